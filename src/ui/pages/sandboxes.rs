//! Administration / Access / Sandboxes: the organization's sandboxes; administrators add them.

use crate::api::sandboxes::{list_sandboxes, CreateSandbox, SandboxList, SwitchSandbox};
use crate::model::routes;
use crate::ui::components::layout::{Crumbs, TopBar};
use leptos::prelude::*;

#[component]
pub fn SandboxesPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_sandboxes());
    view! {
        <Crumbs parents=&["Administration", "Access"] section=("Sandboxes", routes::SANDBOXES)/>
        <div class="page-head">
            <div>
                <h1>"Sandboxes"</h1>
                <p class="muted">"Each sandbox has its own webhooks, campaigns and deliveries; API calls name theirs with "
                    <code>"x-sandbox-name"</code> "."</p>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading sandboxes…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => view! { <Sandboxes list/> }.into_any(),
                    Err(error) => view! { <p class="banner error">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Sandboxes(list: SandboxList) -> impl IntoView {
    let SandboxList {
        ims_org,
        items,
        can_create,
    } = list;
    let items = RwSignal::new(items);
    let create = ServerAction::<CreateSandbox>::new();
    let switch = ServerAction::<SwitchSandbox>::new();
    let error = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let hint = format!("In organization {ims_org}. Lower-case letters, digits and dashes.");
    Effect::new(move |_| match create.value().get() {
        Some(Ok(sandbox)) => {
            items.update(|items| {
                items.push(sandbox);
                items.sort_by(|a, b| a.name.cmp(&b.name));
            });
            name.set(String::new());
            error.set(None);
            TopBar::refresh();
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = switch.value().get() {
            let _ = window().location().reload();
        }
    });
    view! {
        {can_create.then(|| view! {
            <section class="form-section" aria-labelledby="section-create-sandbox">
                <h2 id="section-create-sandbox">"Create a sandbox"</h2>
                <ActionForm action=create attr:class="inline-form">
                    <div class="field">
                        <label for="sandbox-name">"Name"</label>
                        <input id="sandbox-name" name="name" autocomplete="off" required placeholder="e.g. dev-eu"
                            prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                        <p class="hint">{hint}</p>
                    </div>
                    <button type="submit" class="primary" disabled=move || create.pending().get()>"Create sandbox"</button>
                </ActionForm>
                {move || error.get().map(|e| view! { <p class="banner error" role="alert">{e}</p> })}
            </section>
        })}
        <div class="table-wrap">
            <table class="webhooks sandboxes">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || items.get() key=|s| s.id.clone() let:sandbox>
                        <tr>
                            <td data-label="Name">{sandbox.name.clone()}</td>
                            <td class="row-actions">
                                {if sandbox.current {
                                    view! { <span class="status enabled">"Current"</span> }.into_any()
                                } else {
                                    view! {
                                        <ActionForm action=switch>
                                            <input type="hidden" name="id" value=sandbox.id.clone()/>
                                            <button type="submit" class="secondary small">"Work in this sandbox"</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                            </td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </div>
    }
}

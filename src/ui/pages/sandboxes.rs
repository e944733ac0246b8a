//! Administration / Access / Sandboxes: the organization's sandboxes; administrators add them.

use crate::api::sandboxes::{list_sandboxes, CreateSandbox, SandboxList, SwitchSandbox};
use crate::i18n::{td_string, use_locale};
use crate::ui::components::interactive::preload_lazy_island;
use crate::ui::components::layout::{Crumbs, Section};
use crate::ui::components::problem::problem;
use leptos::prelude::*;

#[component]
pub fn SandboxesPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_sandboxes());
    let locale = use_locale();
    view! {
        <Crumbs section=Section::Sandboxes/>
        <div class="page-head">
            <div>
                <h1>{td_string!(locale, sandboxes.title)}</h1>
                <p class="muted">{td_string!(locale, sandboxes.intro)}
                    <code>"x-sandbox-name"</code> "."</p>
            </div>
        </div>
        <Transition fallback=move || view! { <p class="loading">{td_string!(locale, sandboxes.loading)}</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => view! { <Sandboxes list/> }.into_any(),
                    Err(error) => view! { <p class="banner error">{problem(&error)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The form and the list. Creating or switching loads the page afresh: the top bar's menu of
/// sandboxes (and, after a switch, every list) changed with it.
#[island(lazy)]
fn Sandboxes(list: SandboxList) -> impl IntoView {
    preload_lazy_island("sandboxes");
    let SandboxList {
        ims_org,
        items,
        can_create,
    } = list;
    let create = ServerAction::<CreateSandbox>::new();
    let switch = ServerAction::<SwitchSandbox>::new();
    let error = RwSignal::new(None::<String>);
    let locale = use_locale();
    let hint = td_string!(locale, sandboxes.hint, org = ims_org).to_string();
    Effect::new(move |_| match create.value().get() {
        Some(Ok(_)) => {
            let _ = window().location().reload();
        }
        Some(Err(e)) => error.set(Some(problem(&e))),
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
                <h2 id="section-create-sandbox">{td_string!(locale, sandboxes.create_title)}</h2>
                <ActionForm action=create attr:class="inline-form">
                    <div class="field">
                        <label for="sandbox-name">{td_string!(locale, sandboxes.name)}</label>
                        <input id="sandbox-name" name="name" autocomplete="off" required placeholder=td_string!(locale, sandboxes.placeholder)/>
                        <p class="hint">{hint}</p>
                    </div>
                    <button type="submit" class="primary" disabled=move || create.pending().get()>{td_string!(locale, sandboxes.create)}</button>
                </ActionForm>
                {move || error.get().map(|e| view! { <p class="banner error" role="alert">{e}</p> })}
            </section>
        })}
        <div class="table-wrap">
            <table class="webhooks sandboxes">
                <thead>
                    <tr>
                        <th scope="col">{td_string!(locale, sandboxes.name)}</th>
                        <th scope="col"><span class="visually-hidden">{td_string!(locale, sandboxes.actions)}</span></th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|sandbox| view! {
                        <tr>
                            <td data-label=td_string!(locale, sandboxes.name)>{sandbox.name.clone()}</td>
                            <td class="row-actions">
                                {if sandbox.current {
                                    view! { <span class="status enabled">{td_string!(locale, sandboxes.current)}</span> }.into_any()
                                } else {
                                    view! {
                                        <ActionForm action=switch>
                                            <input type="hidden" name="id" value=sandbox.id.clone()/>
                                            <button type="submit" class="secondary small">{td_string!(locale, sandboxes.work_here)}</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

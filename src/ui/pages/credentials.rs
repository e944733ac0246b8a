//! Administration / Access / API credentials: create (the token shown once), list, revoke.

use crate::api::credentials::{list_credentials, CreateCredential, RevokeCredential};
use crate::model::credential::{CredentialList, CredentialView, Scope, EXPIRY_CHOICES};
use crate::model::routes;
use crate::ui::components::layout::Crumbs;
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;

#[component]
pub fn CredentialsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_credentials());
    view! {
        <Crumbs parents=&["Administration", "Access"] section=("API credentials", routes::CREDENTIALS)/>
        <div class="page-head">
            <div>
                <h1>"API credentials"</h1>
                <p class="muted">"Callers of the execution API send the API key as " <code>"x-api-key"</code>
                    " and the secret token as " <code>"Authorization: Bearer <token>"</code> ", with the organization and sandbox headers."</p>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading credentials…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => view! { <Credentials list/> }.into_any(),
                    Err(error) => view! { <p class="banner error">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Credentials(list: CredentialList) -> impl IntoView {
    let CredentialList {
        items,
        ims_org,
        sandbox_name,
    } = list;
    let items = RwSignal::new(items);
    let create = ServerAction::<CreateCredential>::new();
    let revoke = ServerAction::<RevokeCredential>::new();
    let created = RwSignal::new(None);
    let error = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    Effect::new(move |_| match create.value().get() {
        Some(Ok(new)) => {
            items.update(|items| items.insert(0, new.credential.clone()));
            created.set(Some(new));
            name.set(String::new());
            error.set(None);
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    // A revocation shows as done only once the server confirmed it, and the list after it is
    // the server's (as on the users page): a row that read "Revoked" while the call was still on
    // its way, or had failed, would tell the administrator a leaked token is dead when it is not.
    let revoking = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let Some(outcome) = revoke.value().get() else {
            return;
        };
        error.set(outcome.err().map(|e| e.to_string()));
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = list_credentials().await {
                items.set(fresh.items);
            }
            revoking.set(None);
        });
    });
    let on_revoke = move |id: String| {
        revoking.set(Some(id.clone()));
        revoke.dispatch(RevokeCredential { id });
    };
    let org = StoredValue::new((ims_org, sandbox_name));
    view! {
        <section class="form-section" aria-labelledby="section-create">
            <h2 id="section-create">"Create a credential"</h2>
            <ActionForm action=create attr:class="credential-form">
                <div class="field">
                    <label for="credential-name">"Name"</label>
                    <input id="credential-name" name="form[name]" autocomplete="off" required
                        placeholder="e.g. Order service (production)"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                    <p class="hint">{move || {
                        let (org, _) = org.get_value();
                        format!("For organization {org}.")
                    }}</p>
                </div>
                <fieldset class="field plain">
                    <legend>"May"</legend>
                    {Scope::ALL.into_iter().map(|scope| {
                        let id = format!("credential-scope-{}", scope.as_str());
                        view! {
                            <div class="checkbox-row">
                                <input type="checkbox" id=id.clone() name=format!("form[scope_{}]", scope.as_str())
                                    checked=scope == Scope::Execute/>
                                <label for=id>{scope.meaning()}" (" <code>{scope.as_str()}</code> ")"</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="field">
                    <label for="credential-expires">"Expires after"</label>
                    <select id="credential-expires" name="form[expires]">
                        {EXPIRY_CHOICES.iter().map(|(key, label, _)| view! {
                            <option value=*key>{*label}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="primary" disabled=move || create.pending().get()>"Create credential"</button>
            </ActionForm>
            {move || error.get().map(|e| view! { <p class="banner error" role="alert">{e}</p> })}
            {move || created.get().map(|new| {
                let (org, sandbox) = org.get_value();
                view! {
                    <div class="secret-once" role="status">
                        <p><strong>"Copy the token now: it is not shown again."</strong></p>
                        <dl class="credential-once">
                            <dt>"API key (" <code>"x-api-key"</code> ")"</dt>
                            <dd><code class="secret-value">{new.credential.api_key.clone()}</code></dd>
                            <dt>"Secret token (" <code>"Authorization: Bearer"</code> ")"</dt>
                            <dd><code class="secret-value token">{new.token.clone()}</code></dd>
                            <dt>"Headers of every call"</dt>
                            <dd><code class="secret-value">{format!("x-gw-ims-org-id: {org}")}</code>
                                <code class="secret-value">{format!("x-sandbox-name: {sandbox}")}</code></dd>
                        </dl>
                    </div>
                }
            })}
        </section>
        <Show
            when=move || !items.with(Vec::is_empty)
            fallback=|| view! { <p class="muted">"No credentials yet."</p> }
        >
            <div class="table-wrap">
                <table class="webhooks credentials">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"API key"</th>
                            <th scope="col">"Created"</th>
                            <th scope="col">"Last used"</th>
                            <th scope="col">"May"</th>
                            <th scope="col">"Expires"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || items.get() key=|c| (c.id.clone(), c.revoked_at.clone()) let:credential>
                            <CredentialRow credential on_revoke revoking/>
                        </For>
                    </tbody>
                </table>
            </div>
        </Show>
    }
}

#[component]
fn CredentialRow(
    credential: CredentialView,
    on_revoke: impl Fn(String) + Copy + 'static,
    revoking: RwSignal<Option<String>>,
) -> impl IntoView {
    let active = credential.revoked_at.is_none();
    let id = credential.id.clone();
    let this_revoking = {
        let id = id.clone();
        Signal::derive(move || revoking.get().as_deref() == Some(id.as_str()))
    };
    view! {
        <tr>
            <td data-label="Name">{credential.name.clone()}</td>
            <td data-label="API key"><code>{credential.api_key.clone()}</code></td>
            <td data-label="Created" class="nowrap"><Timestamp at=credential.created_at.clone()/></td>
            <td data-label="Last used" class="nowrap">
                {match credential.last_used_at.clone() {
                    Some(at) => view! { <Timestamp at/> }.into_any(),
                    None => view! { <span class="muted">"Never"</span> }.into_any(),
                }}
            </td>
            <td data-label="May">
                {credential.scopes.iter().map(|scope| view! {
                    <span class="chip" title=scope.meaning()>{scope.as_str()}</span>
                }).collect_view()}
            </td>
            <td data-label="Expires" class="nowrap">
                {match credential.expires_at.clone() {
                    Some(at) => view! { <Timestamp at/> }.into_any(),
                    None => view! { <span class="muted">"Never"</span> }.into_any(),
                }}
            </td>
            <td data-label="Status">
                {match (active, credential.expired) {
                    (true, false) => view! { <span class="status enabled">"Active"</span> }.into_any(),
                    (true, true) => view! { <span class="status disabled">"Expired"</span> }.into_any(),
                    (false, _) => view! { <span class="status disabled">"Revoked"</span> }.into_any(),
                }}
            </td>
            <td class="row-actions">
                {active.then(|| view! {
                    <button type="button" class="danger-outline small" disabled=this_revoking on:click=move |_| {
                        let confirmed = window()
                            .confirm_with_message("Revoke this credential? Calls using it are refused from now on.")
                            .unwrap_or(false);
                        if confirmed {
                            on_revoke(id.clone());
                        }
                    }>{move || if this_revoking.get() { "Revoking…" } else { "Revoke" }}</button>
                })}
            </td>
        </tr>
    }
}

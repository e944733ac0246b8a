//! Administration / Access / API credentials: create (the token shown once), list, revoke.

use crate::api::credentials::{list_credentials, CreateCredential, RevokeCredential};
use crate::i18n::{td_string, use_locale};
use crate::model::credential::{CredentialList, CredentialView, Scope, EXPIRY_CHOICES};
use crate::ui::components::interactive::preload_lazy_island;
use crate::ui::components::labels::{expiry_label, scope_meaning};
use crate::ui::components::layout::{Crumbs, Section};
use crate::ui::components::problem::problem;
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;

#[component]
pub fn CredentialsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_credentials());
    let locale = use_locale();
    view! {
        <Crumbs section=Section::ApiCredentials/>
        <div class="page-head">
            <div>
                <h1>{td_string!(locale, credentials.title)}</h1>
                <p class="muted">{td_string!(locale, credentials.intro_1)} <code>"x-api-key"</code>
                    {td_string!(locale, credentials.intro_2)} <code>"Authorization: Bearer <token>"</code> {td_string!(locale, credentials.intro_3)}</p>
            </div>
        </div>
        <Transition fallback=move || view! { <p class="loading">{td_string!(locale, credentials.loading)}</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => view! { <Credentials list/> }.into_any(),
                    Err(error) => view! { <p class="banner error">{problem(&error)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The form, the token shown once, and the list with its revocations.
#[island(lazy)]
fn Credentials(list: CredentialList) -> impl IntoView {
    preload_lazy_island("credentials");
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
        Some(Err(e)) => error.set(Some(problem(&e))),
        None => {}
    });
    // A revocation shows as done only once the server confirmed it, and the list after it is
    // the server's (as on the users page): a row that read {td_string!(locale, credentials.revoked)} while the call was still on
    // its way, or had failed, would tell the administrator a leaked token is dead when it is not.
    let revoking = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let Some(outcome) = revoke.value().get() else {
            return;
        };
        error.set(outcome.err().map(|e| problem(&e)));
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
    let locale = use_locale();
    view! {
        <section class="form-section" aria-labelledby="section-create">
            <h2 id="section-create">{td_string!(locale, credentials.create_title)}</h2>
            <ActionForm action=create attr:class="credential-form">
                <div class="field">
                    <label for="credential-name">{td_string!(locale, credentials.name)}</label>
                    <input id="credential-name" name="form[name]" autocomplete="off" required
                        placeholder=td_string!(locale, credentials.name_placeholder)
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                    <p class="hint">{move || {
                        let (org, _) = org.get_value();
                        td_string!(locale, credentials.for_org, org).to_string()
                    }}</p>
                </div>
                <fieldset class="field plain">
                    <legend>{td_string!(locale, credentials.may)}</legend>
                    {Scope::ALL.into_iter().map(|scope| {
                        let id = format!("credential-scope-{}", scope.as_str());
                        view! {
                            <div class="checkbox-row">
                                <input type="checkbox" id=id.clone() name=format!("form[scope_{}]", scope.as_str())
                                    checked=scope == Scope::Execute/>
                                <label for=id>{scope_meaning(scope)}" (" <code>{scope.as_str()}</code> {td_string!(locale, credentials.close)}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="field">
                    <label for="credential-expires">{td_string!(locale, credentials.expires_after)}</label>
                    <select id="credential-expires" name="form[expires]">
                        {EXPIRY_CHOICES.iter().map(|(key, _, _)| view! {
                            <option value=*key>{expiry_label(key)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="primary" disabled=move || create.pending().get()>{td_string!(locale, credentials.create)}</button>
            </ActionForm>
            {move || error.get().map(|e| view! { <p class="banner error" role="alert">{e}</p> })}
            {move || created.get().map(|new| {
                let (org, sandbox) = org.get_value();
                view! {
                    <div class="secret-once" role="status">
                        <p><strong>{td_string!(locale, credentials.copy_now)}</strong></p>
                        <dl class="credential-once">
                            <dt>{td_string!(locale, credentials.api_key_before)} <code>"x-api-key"</code> {td_string!(locale, credentials.close)}</dt>
                            <dd><code class="secret-value">{new.credential.api_key.clone()}</code></dd>
                            <dt>{td_string!(locale, credentials.token_before)} <code>"Authorization: Bearer"</code> {td_string!(locale, credentials.close)}</dt>
                            <dd><code class="secret-value token">{new.token.clone()}</code></dd>
                            <dt>{td_string!(locale, credentials.headers)}</dt>
                            <dd><code class="secret-value">{format!("x-gw-ims-org-id: {org}")}</code>
                                <code class="secret-value">{format!("x-sandbox-name: {sandbox}")}</code></dd>
                        </dl>
                    </div>
                }
            })}
        </section>
        <Show
            when=move || !items.with(Vec::is_empty)
            fallback=move || view! { <p class="muted">{td_string!(locale, credentials.none)}</p> }
        >
            <div class="table-wrap">
                <table class="webhooks credentials">
                    <thead>
                        <tr>
                            <th scope="col">{td_string!(locale, credentials.name)}</th>
                            <th scope="col">{td_string!(locale, credentials.api_key)}</th>
                            <th scope="col">{td_string!(locale, credentials.created)}</th>
                            <th scope="col">{td_string!(locale, credentials.last_used)}</th>
                            <th scope="col">{td_string!(locale, credentials.may)}</th>
                            <th scope="col">{td_string!(locale, credentials.expires)}</th>
                            <th scope="col">{td_string!(locale, credentials.status)}</th>
                            <th scope="col"><span class="visually-hidden">{td_string!(locale, credentials.actions)}</span></th>
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
    let locale = use_locale();
    let confirm_revoke = td_string!(locale, credentials.confirm_revoke);
    let active = credential.revoked_at.is_none();
    let id = credential.id.clone();
    let this_revoking = {
        let id = id.clone();
        Signal::derive(move || revoking.get().as_deref() == Some(id.as_str()))
    };
    view! {
        <tr>
            <td data-label=td_string!(locale, credentials.name)>{credential.name.clone()}</td>
            <td data-label=td_string!(locale, credentials.api_key)><code>{credential.api_key.clone()}</code></td>
            <td data-label=td_string!(locale, credentials.created) class="nowrap"><Timestamp at=credential.created_at.clone()/></td>
            <td data-label=td_string!(locale, credentials.last_used) class="nowrap">
                {match credential.last_used_at.clone() {
                    Some(at) => view! { <Timestamp at/> }.into_any(),
                    None => view! { <span class="muted">{td_string!(locale, credentials.never)}</span> }.into_any(),
                }}
            </td>
            <td data-label=td_string!(locale, credentials.may)>
                {credential.scopes.iter().map(|scope| view! {
                    <span class="chip" title=scope_meaning(*scope)>{scope.as_str()}</span>
                }).collect_view()}
            </td>
            <td data-label=td_string!(locale, credentials.expires) class="nowrap">
                {match credential.expires_at.clone() {
                    Some(at) => view! { <Timestamp at/> }.into_any(),
                    None => view! { <span class="muted">{td_string!(locale, credentials.never)}</span> }.into_any(),
                }}
            </td>
            <td data-label=td_string!(locale, credentials.status)>
                {match (active, credential.expired) {
                    (true, false) => view! { <span class="status enabled">{td_string!(locale, credentials.active)}</span> }.into_any(),
                    (true, true) => view! { <span class="status disabled">{td_string!(locale, credentials.expired)}</span> }.into_any(),
                    (false, _) => view! { <span class="status disabled">{td_string!(locale, credentials.revoked)}</span> }.into_any(),
                }}
            </td>
            <td class="row-actions">
                {active.then(|| view! {
                    <button type="button" class="danger-outline small" disabled=this_revoking on:click=move |_| {
                        let confirmed = window()
                            .confirm_with_message(confirm_revoke)
                            .unwrap_or(false);
                        if confirmed {
                            on_revoke(id.clone());
                        }
                    }>{move || if this_revoking.get() { td_string!(locale, credentials.revoking) } else { td_string!(locale, credentials.revoke) }}</button>
                })}
            </td>
        </tr>
    }
}

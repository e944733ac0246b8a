//! Your account: change your password (your other sessions end), see your sessions and end them.

use crate::api::users::{my_sessions, ChangeMyPassword, EndMyOtherSessions, EndMySession};
use crate::i18n::{td_string, use_locale};
use crate::model::user::{PasswordOutcome, SessionItem};
use crate::ui::components::interactive::preload_lazy_island;
use crate::ui::components::layout::{Crumbs, Section};
use crate::ui::components::problem::{plain_post_problem, problem};
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AccountPage() -> impl IntoView {
    let locale = use_locale();
    // A change posted without JavaScript comes back with its outcome in the query.
    let query = use_query_map();
    let plain_changed = query.read_untracked().get("changed").is_some();
    let plain_error = plain_post_problem(query.read_untracked().get("error"), locale);
    view! {
        <Crumbs section=Section::Account/>
        <div class="page-head">
            <div>
                <h1>{td_string!(locale, account.title)}</h1>
            </div>
        </div>
        <PasswordChange plain_changed plain_error/>
        <Sessions/>
    }
}

/// The form, with each refusal next to its field and emptied once the password changed.
#[island(lazy)]
fn PasswordChange(plain_changed: bool, plain_error: Option<String>) -> impl IntoView {
    preload_lazy_island("password_change");
    let locale = use_locale();
    let changed = td_string!(locale, account.changed);
    let change = ServerAction::<ChangeMyPassword>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(PasswordOutcome::Changed)) = change.value().get() {
            if let Some(form) = form.get() {
                form.reset();
            }
        }
    });
    let field_error = move |field: &'static str| {
        move || match change.value().get() {
            Some(Ok(PasswordOutcome::Invalid { errors })) => errors
                .get(field)
                .map(|m| crate::i18n::messages::text(m, locale)),
            _ => None,
        }
    };
    let banner = move || match change.value().get() {
        Some(Ok(PasswordOutcome::Changed)) => Some((true, changed.to_string())),
        Some(Err(error)) => Some((false, problem(&error))),
        Some(Ok(PasswordOutcome::Invalid { .. })) => None,
        None if plain_changed => Some((true, changed.to_string())),
        None => plain_error.clone().map(|e| (false, e)),
    };
    view! {
        <section class="form-section" aria-labelledby="section-password">
            <h2 id="section-password">{td_string!(locale, account.password)}</h2>
            {move || banner().map(|(ok, text)| view! {
                <p class=if ok { "banner success" } else { "banner error" } role="status">{text}</p>
            })}
            <ActionForm action=change node_ref=form attr:class="password-form">
                <div class="field">
                    <label for="current-password">{td_string!(locale, account.current)}</label>
                    <input id="current-password" type="password" name="current_password" autocomplete="current-password" required/>
                    <p class="field-error">{field_error("current_password")}</p>
                </div>
                <div class="field">
                    <label for="new-password">{td_string!(locale, account.new_password)}</label>
                    <input id="new-password" type="password" name="password" autocomplete="new-password" required/>
                    <p class="hint">{td_string!(locale, account.hint)}</p>
                    <p class="field-error">{field_error("password")}</p>
                </div>
                <div class="field">
                    <label for="new-password-confirm">{td_string!(locale, account.confirm)}</label>
                    <input id="new-password-confirm" type="password" name="password_confirm" autocomplete="new-password" required/>
                    <p class="field-error">{field_error("password_confirm")}</p>
                </div>
                <button type="submit" class="primary" disabled=move || change.pending().get()>{td_string!(locale, account.change)}</button>
            </ActionForm>
        </section>
    }
}

/// One's sessions, each ended by a plain form (the server sends the browser back here, or to
/// the sign-in page when it was this one).
#[component]
fn Sessions() -> impl IntoView {
    let locale = use_locale();
    let end_one = ServerAction::<EndMySession>::new();
    let end_others = ServerAction::<EndMyOtherSessions>::new();
    let sessions = Resource::new(|| (), |_| my_sessions());
    view! {
        <section class="form-section" aria-labelledby="section-sessions">
            <h2 id="section-sessions">{td_string!(locale, account.sessions)}</h2>
            <p class="muted">{td_string!(locale, account.sessions_intro)}</p>
            <Transition fallback=move || view! { <p class="loading">{td_string!(locale, account.loading)}</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(items) => view! {
                            <div class="table-wrap">
                                <table class="webhooks sessions">
                                    <thead>
                                        <tr>
                                            <th scope="col">{td_string!(locale, account.browser)}</th>
                                            <th scope="col">{td_string!(locale, account.address)}</th>
                                            <th scope="col">{td_string!(locale, account.signed_in)}</th>
                                            <th scope="col">{td_string!(locale, account.last_seen)}</th>
                                            <th scope="col"><span class="visually-hidden">{td_string!(locale, account.actions)}</span></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {items.into_iter().map(|item| view! { <SessionRow item end_one/> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <p class="banner error">{problem(&error)}</p> }.into_any(),
                    }
                })}
            </Transition>
            <ActionForm action=end_others>
                <button type="submit" class="danger-outline">{td_string!(locale, account.end_others)}</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn SessionRow(item: SessionItem, end_one: ServerAction<EndMySession>) -> impl IntoView {
    let locale = use_locale();
    let confirm_sign_out = td_string!(locale, account.confirm_sign_out);
    let current = item.current;
    let time = |at: Option<String>| match at {
        Some(at) => view! { <Timestamp at/> }.into_any(),
        None => view! { <span class="muted">"—"</span> }.into_any(),
    };
    view! {
        <tr>
            <td data-label=td_string!(locale, account.browser)>
                {item.agent.clone().filter(|a| !a.is_empty()).unwrap_or_else(|| td_string!(locale, account.unknown).to_string())}
                {current.then(|| view! { " " <span class="chip">{td_string!(locale, account.this_session)}</span> })}
            </td>
            <td data-label=td_string!(locale, account.address)><code>{item.address.clone().unwrap_or_default()}</code></td>
            <td data-label=td_string!(locale, account.signed_in) class="nowrap">{time(item.signed_in_at.clone())}</td>
            <td data-label=td_string!(locale, account.last_seen) class="nowrap">{time(item.last_seen_at.clone())}</td>
            <td class="row-actions">
                <ActionForm action=end_one attr:data-confirm=current.then_some(confirm_sign_out)>
                    <input type="hidden" name="handle" value=item.handle.clone()/>
                    <button type="submit" class="danger-outline small">{if current { td_string!(locale, account.sign_out) } else { td_string!(locale, account.end) }}</button>
                </ActionForm>
            </td>
        </tr>
    }
}

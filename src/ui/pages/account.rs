//! Your account: change your password (your other sessions end), see your sessions and end them.

use crate::api::users::{my_sessions, ChangeMyPassword, EndMyOtherSessions, EndMySession};
use crate::model::routes;
use crate::model::user::{PasswordOutcome, SessionItem};
use crate::ui::components::layout::Crumbs;
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Crumbs parents=&[] section=("Your account", routes::ACCOUNT)/>
        <div class="page-head">
            <div>
                <h1>"Your account"</h1>
            </div>
        </div>
        <PasswordChange/>
        <Sessions/>
    }
}

#[component]
fn PasswordChange() -> impl IntoView {
    let query = use_query_map();
    let plain_changed = query.read_untracked().get("changed").is_some();
    let plain_error = StoredValue::new(query.read_untracked().get("error"));
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
            Some(Ok(PasswordOutcome::Invalid { errors })) => errors.get(field).cloned(),
            _ => None,
        }
    };
    let banner = move || match change.value().get() {
        Some(Ok(PasswordOutcome::Changed)) => Some((true, CHANGED.to_string())),
        Some(Err(error)) => Some((false, error.to_string())),
        Some(Ok(PasswordOutcome::Invalid { .. })) => None,
        None if plain_changed => Some((true, CHANGED.to_string())),
        None => plain_error.get_value().map(|e| (false, e)),
    };
    view! {
        <section class="form-section" aria-labelledby="section-password">
            <h2 id="section-password">"Password"</h2>
            {move || banner().map(|(ok, text)| view! {
                <p class=if ok { "banner success" } else { "banner error" } role="status">{text}</p>
            })}
            <ActionForm action=change node_ref=form attr:class="password-form">
                <div class="field">
                    <label for="current-password">"Current password"</label>
                    <input id="current-password" type="password" name="current_password" autocomplete="current-password" required/>
                    <p class="field-error">{field_error("current_password")}</p>
                </div>
                <div class="field">
                    <label for="new-password">"New password"</label>
                    <input id="new-password" type="password" name="password" autocomplete="new-password" required/>
                    <p class="hint">"At least 12 characters; not your email, not a common password."</p>
                    <p class="field-error">{field_error("password")}</p>
                </div>
                <div class="field">
                    <label for="new-password-confirm">"Confirm new password"</label>
                    <input id="new-password-confirm" type="password" name="password_confirm" autocomplete="new-password" required/>
                    <p class="field-error">{field_error("password_confirm")}</p>
                </div>
                <button type="submit" class="primary" disabled=move || change.pending().get()>"Change password"</button>
            </ActionForm>
        </section>
    }
}

const CHANGED: &str = "Your password is changed. Your other sessions have ended.";

#[component]
fn Sessions() -> impl IntoView {
    let end_one = ServerAction::<EndMySession>::new();
    let end_others = ServerAction::<EndMyOtherSessions>::new();
    let sessions = Resource::new(
        move || (end_one.version().get(), end_others.version().get()),
        |_| my_sessions(),
    );
    // Ending this session signs out: the next list is refused, and the way on is to sign in.
    Effect::new(move |_| {
        if let Some(Err(crate::error::AppError::Unauthenticated)) = sessions.get() {
            let _ = window().location().set_href(routes::LOGIN);
        }
    });
    let error = move || {
        end_one
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| end_others.value().get().and_then(Result::err))
            .map(|e| e.to_string())
    };
    view! {
        <section class="form-section" aria-labelledby="section-sessions">
            <h2 id="section-sessions">"Sessions"</h2>
            <p class="muted">"Where you are signed in. End a session you do not recognise, then change your password."</p>
            {move || error().map(|e| view! { <p class="banner error" role="alert">{e}</p> })}
            <Transition fallback=|| view! { <p class="loading">"Loading sessions…"</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(items) => view! {
                            <div class="table-wrap">
                                <table class="webhooks sessions">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Browser"</th>
                                            <th scope="col">"Address"</th>
                                            <th scope="col">"Signed in"</th>
                                            <th scope="col">"Last seen"</th>
                                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {items.into_iter().map(|item| view! { <SessionRow item end_one/> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <p class="banner error">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <ActionForm action=end_others>
                <button type="submit" class="danger-outline">"End all other sessions"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn SessionRow(item: SessionItem, end_one: ServerAction<EndMySession>) -> impl IntoView {
    let current = item.current;
    let time = |at: Option<String>| match at {
        Some(at) => view! { <Timestamp at/> }.into_any(),
        None => view! { <span class="muted">"—"</span> }.into_any(),
    };
    view! {
        <tr>
            <td data-label="Browser">
                {item.agent.clone().filter(|a| !a.is_empty()).unwrap_or_else(|| "Unknown".into())}
                {current.then(|| view! { " " <span class="chip">"this session"</span> })}
            </td>
            <td data-label="Address"><code>{item.address.clone().unwrap_or_default()}</code></td>
            <td data-label="Signed in" class="nowrap">{time(item.signed_in_at.clone())}</td>
            <td data-label="Last seen" class="nowrap">{time(item.last_seen_at.clone())}</td>
            <td class="row-actions">
                <ActionForm action=end_one>
                    <input type="hidden" name="handle" value=item.handle.clone()/>
                    <button type="submit" class="danger-outline small" on:click=move |ev| {
                        if current && !window().confirm_with_message("End this session? You are signed out.").unwrap_or(false) {
                            ev.prevent_default();
                        }
                    }>{if current { "Sign out" } else { "End" }}</button>
                </ActionForm>
            </td>
        </tr>
    }
}

//! Administration / Access / Users: invite (the link shown once), change a role, disable,
//! enable, remove, and make a password reset link.

use crate::api::users::{list_users, ChangeUser, InviteUser, MakePasswordLink};
use crate::i18n::{td_string, use_locale};
use crate::model::user::{LinkPurpose, LinkShown, UserAction, UserItem, UserStatus};
use crate::model::Role;
use crate::ui::components::interactive::preload_lazy_island;
use crate::ui::components::labels::{role_label, user_status_label};
use crate::ui::components::layout::{Crumbs, Section};
use crate::ui::components::problem::problem;
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;

const ROLES: [Role; 3] = [Role::Admin, Role::Editor, Role::Viewer];

#[component]
pub fn UsersPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_users());
    let locale = use_locale();
    view! {
        <Crumbs section=Section::Users/>
        <div class="page-head">
            <div>
                <h1>{td_string!(locale, users.title)}</h1>
                <p class="muted">{td_string!(locale, users.intro_1)}
                    {td_string!(locale, users.intro_2)}</p>
            </div>
        </div>
        <Transition fallback=move || view! { <p class="loading">{td_string!(locale, users.loading)}</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(items) => view! { <Users items/> }.into_any(),
                    Err(error) => view! { <p class="banner error">{problem(&error)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The invitation form, the link shown once, and the list with its changes.
#[island(lazy)]
fn Users(items: Vec<UserItem>) -> impl IntoView {
    preload_lazy_island("users");
    let locale = use_locale();
    let items = RwSignal::new(items);
    let invite = ServerAction::<InviteUser>::new();
    let change = ServerAction::<ChangeUser>::new();
    let reset = ServerAction::<MakePasswordLink>::new();
    let shown = RwSignal::new(None::<LinkShown>);
    let error = RwSignal::new(None::<String>);
    let email = RwSignal::new(String::new());
    let generation = RwSignal::new(0u64);
    Effect::new(move |_| match invite.value().get() {
        Some(Ok(link)) => {
            items.update(|items| {
                items.push(link.user.clone());
                items.sort_by(|a, b| a.email.cmp(&b.email));
            });
            shown.set(Some(link));
            email.set(String::new());
            error.set(None);
        }
        Some(Err(e)) => error.set(Some(problem(&e))),
        None => {}
    });
    Effect::new(move |_| match reset.value().get() {
        Some(Ok(link)) => {
            shown.set(Some(link));
            error.set(None);
        }
        Some(Err(e)) => error.set(Some(problem(&e))),
        None => {}
    });
    // The list after a change is the server's: a refused change leaves the row as it was.
    Effect::new(move |_| {
        let Some(outcome) = change.value().get() else {
            return;
        };
        error.set(outcome.err().map(|e| problem(&e)));
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = list_users().await {
                items.set(fresh);
                // Rows are drawn again even when unchanged: a refused role change puts the
                // role menu back.
                generation.update(|g| *g += 1);
            }
        });
    });
    let on_change = move |id: String, action: UserAction| {
        shown.set(None);
        change.dispatch(ChangeUser {
            id,
            action: action.code(),
        });
    };
    let on_reset = move |id: String| {
        reset.dispatch(MakePasswordLink { id });
    };
    view! {
        <section class="form-section" aria-labelledby="section-invite">
            <h2 id="section-invite">{td_string!(locale, users.invite_title)}</h2>
            <ActionForm action=invite attr:class="credential-form">
                <div class="field">
                    <label for="invite-email">{td_string!(locale, users.email)}</label>
                    <input id="invite-email" type="email" name="form[email]" autocomplete="off" required
                        placeholder="name@example.com"
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="invite-role">{td_string!(locale, users.role)}</label>
                    <select id="invite-role" name="form[role]">
                        {ROLES.iter().map(|role| view! {
                            <option value=role.as_str() selected=*role == Role::Editor>{role_label(*role)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="primary" disabled=move || invite.pending().get()>{td_string!(locale, users.invite)}</button>
            </ActionForm>
            {move || error.get().map(|e| view! { <p class="banner error" role="alert">{e}</p> })}
            {move || shown.get().map(|link| view! { <LinkOnce link/> })}
        </section>
        <div class="table-wrap">
            <table class="webhooks users">
                <thead>
                    <tr>
                        <th scope="col">{td_string!(locale, users.email)}</th>
                        <th scope="col">{td_string!(locale, users.role)}</th>
                        <th scope="col">{td_string!(locale, users.status)}</th>
                        <th scope="col">{td_string!(locale, users.last_sign_in)}</th>
                        <th scope="col">{td_string!(locale, users.invited_by)}</th>
                        <th scope="col"><span class="visually-hidden">{td_string!(locale, users.actions)}</span></th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || {
                            let generation = generation.get();
                            items.get().into_iter().map(move |user| (generation, user))
                        }
                        key=|(generation, user)| (*generation, user.id.clone())
                        children=move |(_, user)| view! { <UserRow user on_change on_reset/> }
                    />
                </tbody>
            </table>
        </div>
    }
}

/// The link an administrator passes on, shown once.
#[component]
fn LinkOnce(link: LinkShown) -> impl IntoView {
    let url = format!(
        "{}{}",
        window().location().origin().unwrap_or_default(),
        link.path
    );
    let locale = use_locale();
    let email = link.user.email.clone();
    let copy_now = match link.purpose {
        LinkPurpose::Invitation => td_string!(locale, users.copy_invitation, email).to_string(),
        LinkPurpose::Reset => td_string!(locale, users.copy_reset, email).to_string(),
    };
    view! {
        <div class="secret-once" role="status">
            <p><strong>{copy_now}</strong></p>
            <p><code class="secret-value token link-once">{url}</code></p>
            <p>{td_string!(locale, users.works_once)} <Timestamp at=link.expires_at/> {td_string!(locale, users.pass_on)}</p>
        </div>
    }
}

#[component]
fn UserRow(
    user: UserItem,
    on_change: impl Fn(String, UserAction) + Copy + 'static,
    on_reset: impl Fn(String) + Copy + 'static,
) -> impl IntoView {
    let id = StoredValue::new(user.id.clone());
    let email = user.email.clone();
    let disabled = user.status == UserStatus::Disabled;
    let locale = use_locale();
    let role_of = td_string!(locale, users.role_of, email = email.clone()).to_string();
    view! {
        <tr>
            <td data-label=td_string!(locale, users.email)>
                {user.email.clone()}
                {user.is_you.then(|| view! { " " <span class="chip">{td_string!(locale, users.you)}</span> })}
            </td>
            <td data-label=td_string!(locale, users.role)>
                <select aria-label=role_of on:change=move |ev| {
                    if let Some(role) = Role::parse(&event_target_value(&ev)) {
                        on_change(id.get_value(), UserAction::SetRole(role));
                    }
                }>
                    {ROLES.iter().map(|role| view! {
                        <option value=role.as_str() selected=*role == user.role>{role_label(*role)}</option>
                    }).collect_view()}
                </select>
            </td>
            <td data-label=td_string!(locale, users.status)>
                <span class=match user.status {
                    UserStatus::Active => "status enabled",
                    _ => "status disabled",
                }>{user_status_label(user.status)}</span>
            </td>
            <td data-label=td_string!(locale, users.last_sign_in) class="nowrap">
                {match user.last_sign_in_at.clone() {
                    Some(at) => view! { <Timestamp at/> }.into_any(),
                    None => view! { <span class="muted">{td_string!(locale, users.never)}</span> }.into_any(),
                }}
            </td>
            <td data-label=td_string!(locale, users.invited_by)>
                {match user.created_by.clone() {
                    Some(by) => view! { <span>{by}</span> }.into_any(),
                    None => view! { <span class="muted">"—"</span> }.into_any(),
                }}
            </td>
            <td class="row-actions">
                {(!disabled).then(|| view! {
                    <button type="button" class="small" on:click=move |_| on_reset(id.get_value())>
                        {if user.status == UserStatus::Invited { td_string!(locale, users.new_invitation) } else { td_string!(locale, users.reset_link) }}
                    </button>
                })}
                {if disabled {
                    view! {
                        <button type="button" class="small" on:click=move |_| on_change(id.get_value(), UserAction::Enable)>{td_string!(locale, users.enable)}</button>
                    }.into_any()
                } else {
                    let question = td_string!(locale, users.confirm_disable, email = email.clone()).to_string();
                    view! {
                        <button type="button" class="danger-outline small" on:click=move |_| {
                            if window().confirm_with_message(&question).unwrap_or(false) {
                                on_change(id.get_value(), UserAction::Disable);
                            }
                        }>{td_string!(locale, users.disable)}</button>
                    }.into_any()
                }}
                {
                    let question = td_string!(locale, users.confirm_remove, email = user.email.clone()).to_string();
                    view! {
                        <button type="button" class="danger-outline small" on:click=move |_| {
                            if window().confirm_with_message(&question).unwrap_or(false) {
                                on_change(id.get_value(), UserAction::Remove);
                            }
                        }>{td_string!(locale, users.remove)}</button>
                    }
                }
            </td>
        </tr>
    }
}

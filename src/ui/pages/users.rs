//! Administration / Access / Users: invite (the link shown once), change a role, disable,
//! enable, remove, and make a password reset link.

use crate::api::users::{list_users, ChangeUser, InviteUser, MakePasswordLink};
use crate::model::routes;
use crate::model::user::{LinkPurpose, LinkShown, UserAction, UserItem, UserStatus};
use crate::model::Role;
use crate::ui::components::layout::Crumbs;
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;

const ROLES: [Role; 3] = [Role::Admin, Role::Editor, Role::Viewer];

#[component]
pub fn UsersPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_users());
    view! {
        <Crumbs parents=&["Administration", "Access"] section=("Users", routes::USERS)/>
        <div class="page-head">
            <div>
                <h1>"Users"</h1>
                <p class="muted">"Who may sign in to this organization, and what their role lets them do: "
                    "viewers read, editors also change webhooks and campaigns, administrators also manage users, credentials and sandboxes."</p>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(items) => view! { <Users items/> }.into_any(),
                    Err(error) => view! { <p class="banner error">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Users(items: Vec<UserItem>) -> impl IntoView {
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
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    Effect::new(move |_| match reset.value().get() {
        Some(Ok(link)) => {
            shown.set(Some(link));
            error.set(None);
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    // The list after a change is the server's: a refused change leaves the row as it was.
    Effect::new(move |_| {
        let Some(outcome) = change.value().get() else {
            return;
        };
        error.set(outcome.err().map(|e| e.to_string()));
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
            <h2 id="section-invite">"Invite a user"</h2>
            <ActionForm action=invite attr:class="credential-form">
                <div class="field">
                    <label for="invite-email">"Email"</label>
                    <input id="invite-email" type="email" name="form[email]" autocomplete="off" required
                        placeholder="name@example.com"
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="invite-role">"Role"</label>
                    <select id="invite-role" name="form[role]">
                        {ROLES.iter().map(|role| view! {
                            <option value=role.as_str() selected=*role == Role::Editor>{role.as_str()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="primary" disabled=move || invite.pending().get()>"Invite"</button>
            </ActionForm>
            {move || error.get().map(|e| view! { <p class="banner error" role="alert">{e}</p> })}
            {move || shown.get().map(|link| view! { <LinkOnce link/> })}
        </section>
        <div class="table-wrap">
            <table class="webhooks users">
                <thead>
                    <tr>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Last sign-in"</th>
                        <th scope="col">"Invited by"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
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
    let what = match link.purpose {
        LinkPurpose::Invitation => "invitation",
        LinkPurpose::Reset => "password reset link",
    };
    view! {
        <div class="secret-once" role="status">
            <p><strong>{format!("Copy the {what} for {} now: it is not shown again.", link.user.email)}</strong></p>
            <p><code class="secret-value token link-once">{url}</code></p>
            <p>"It works once, until " <Timestamp at=link.expires_at/> "; pass it on yourself: no email is sent."</p>
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
    let role_label = format!("Role of {email}");
    view! {
        <tr>
            <td data-label="Email">
                {user.email.clone()}
                {user.is_you.then(|| view! { " " <span class="chip">"you"</span> })}
            </td>
            <td data-label="Role">
                <select aria-label=role_label on:change=move |ev| {
                    if let Some(role) = Role::parse(&event_target_value(&ev)) {
                        on_change(id.get_value(), UserAction::SetRole(role));
                    }
                }>
                    {ROLES.iter().map(|role| view! {
                        <option value=role.as_str() selected=*role == user.role>{role.as_str()}</option>
                    }).collect_view()}
                </select>
            </td>
            <td data-label="Status">
                <span class=match user.status {
                    UserStatus::Active => "status enabled",
                    _ => "status disabled",
                }>{user.status.label()}</span>
            </td>
            <td data-label="Last sign-in" class="nowrap">
                {match user.last_sign_in_at.clone() {
                    Some(at) => view! { <Timestamp at/> }.into_any(),
                    None => view! { <span class="muted">"Never"</span> }.into_any(),
                }}
            </td>
            <td data-label="Invited by">
                {match user.created_by.clone() {
                    Some(by) => view! { <span>{by}</span> }.into_any(),
                    None => view! { <span class="muted">"—"</span> }.into_any(),
                }}
            </td>
            <td class="row-actions">
                {(!disabled).then(|| view! {
                    <button type="button" class="small" on:click=move |_| on_reset(id.get_value())>
                        {if user.status == UserStatus::Invited { "New invitation link" } else { "Password reset link" }}
                    </button>
                })}
                {if disabled {
                    view! {
                        <button type="button" class="small" on:click=move |_| on_change(id.get_value(), UserAction::Enable)>"Enable"</button>
                    }.into_any()
                } else {
                    let question = format!("Disable {email}? Their sessions end now and they cannot sign in until enabled.");
                    view! {
                        <button type="button" class="danger-outline small" on:click=move |_| {
                            if window().confirm_with_message(&question).unwrap_or(false) {
                                on_change(id.get_value(), UserAction::Disable);
                            }
                        }>"Disable"</button>
                    }.into_any()
                }}
                {
                    let question = format!("Remove {}? Their sessions end now; this cannot be undone.", user.email);
                    view! {
                        <button type="button" class="danger-outline small" on:click=move |_| {
                            if window().confirm_with_message(&question).unwrap_or(false) {
                                on_change(id.get_value(), UserAction::Remove);
                            }
                        }>"Remove"</button>
                    }
                }
            </td>
        </tr>
    }
}

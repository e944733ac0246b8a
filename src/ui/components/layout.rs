//! The admin frame: navigation on the left, sandbox and account on top, the page in the middle.

use crate::api::auth::{current_user, Logout};
use crate::api::sandboxes::SwitchSandbox;
use crate::model::{routes, Role};
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

#[component]
pub fn AdminLayout() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    provide_context(TopBar(user));
    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            let _ = window().location().set_href(routes::LOGIN);
        }
    });
    let switch = ServerAction::<SwitchSandbox>::new();
    Effect::new(move |_| {
        // Every list on the page belongs to the old sandbox: load the page afresh.
        if let Some(Ok(())) = switch.value().get() {
            let _ = window().location().reload();
        }
    });
    view! {
        <div class="shell">
            <aside class="sidebar">
                <a class="brand" href=routes::WEBHOOKS>
                    <span class="brand-mark" aria-hidden="true">"FW"</span>
                    "Feedback Webhooks"
                </a>
                <nav aria-label="Main">
                    <p class="nav-section">"Journeys"</p>
                    <ul>
                        <li>
                            <A href=routes::CAMPAIGNS>"Campaigns"</A>
                        </li>
                    </ul>
                    <p class="nav-section">"Administration"</p>
                    <p class="nav-group">"Channels"</p>
                    <ul>
                        <li>
                            <A href=routes::WEBHOOKS>"Feedback webhook settings"</A>
                        </li>
                        <li>
                            <A href=routes::DELIVERIES>"Delivery history"</A>
                        </li>
                    </ul>
                    <p class="nav-group">"Access"</p>
                    <ul>
                        <li>
                            <A href=routes::SANDBOXES>"Sandboxes"</A>
                        </li>
                        <ForRole role=Role::Admin>
                            <li>
                                <A href=routes::CREDENTIALS>"API credentials"</A>
                            </li>
                        </ForRole>
                        <li>
                            <A href=routes::API_REFERENCE>"API reference"</A>
                        </li>
                        <ForRole role=Role::Admin>
                            <li>
                                <A href=routes::USERS>"Users"</A>
                            </li>
                            <li>
                                <A href=routes::AUDIT_LOG>"Audit log"</A>
                            </li>
                        </ForRole>
                    </ul>
                </nav>
            </aside>
            <div class="main">
                <header class="topbar">
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            user.await.ok().flatten().map(|user| view! {
                                <ActionForm action=switch attr:class="sandbox">
                                    <label for="sandbox-select">
                                        <span class="muted">{user.ims_org}</span>
                                        " / "
                                        <span class="visually-hidden">"Sandbox"</span>
                                    </label>
                                    <select id="sandbox-select" name="id" on:change=move |ev| {
                                        switch.dispatch(SwitchSandbox { id: event_target_value(&ev) });
                                    }>
                                        {user.sandboxes.iter().map(|(id, name)| view! {
                                            <option value=id.clone() selected=*id == user.sandbox_id>{name.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                    <noscript><button type="submit" class="link-button">"Switch"</button></noscript>
                                </ActionForm>
                                <a class="account" href=routes::ACCOUNT title="Your password and sessions">
                                    {user.email}
                                    <span class="role">{user.role.as_str()}</span>
                                </a>
                            })
                        })}
                    </Transition>
                    <ActionForm action=logout attr:class="logout">
                        <button type="submit" class="link-button">"Log out"</button>
                    </ActionForm>
                </header>
                <main class="content">
                    <Outlet/>
                </main>
            </div>
        </div>
    }
}

/// The top bar's view of the session (account, sandboxes): pages that change it refetch it.
#[derive(Clone, Copy)]
pub struct TopBar(pub Resource<Result<Option<crate::model::UserView>, crate::error::AppError>>);

impl TopBar {
    pub fn refresh() {
        if let Some(TopBar(user)) = use_context::<TopBar>() {
            user.refetch();
        }
    }
}

/// Its children only for a signed-in person whose role is at least `role`: the UI hides what
/// a role cannot do (the server refuses it anyway).
#[component]
pub fn ForRole(role: Role, children: ChildrenFn) -> impl IntoView {
    let user = use_context::<TopBar>().map(|TopBar(user)| user);
    let children = StoredValue::new(children);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let allowed = match user {
                    Some(user) => matches!(user.await, Ok(Some(person)) if person.role >= role),
                    None => false,
                };
                allowed.then(|| children.with_value(|children| children()))
            })}
        </Transition>
    }
}

/// Administration / Channels / Feedback webhook settings / <page>.
#[component]
pub fn Breadcrumb(#[prop(optional)] current: Option<String>) -> impl IntoView {
    match current {
        Some(current) => view! {
            <Crumbs parents=&["Administration", "Channels"] section=("Feedback webhook settings", routes::WEBHOOKS) current/>
        }
        .into_any(),
        None => view! {
            <Crumbs parents=&["Administration", "Channels"] section=("Feedback webhook settings", routes::WEBHOOKS)/>
        }
        .into_any(),
    }
}

/// `parents` / `section` (a link when a `current` page follows) / `current`.
#[component]
pub fn Crumbs(
    parents: &'static [&'static str],
    section: (&'static str, &'static str),
    #[prop(optional, into)] current: Option<String>,
) -> impl IntoView {
    let (label, href) = section;
    let on_section = current.is_none();
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <ol>
                {parents.iter().map(|parent| view! { <li>{*parent}</li> }).collect_view()}
                <li>
                    {if on_section {
                        view! { <span aria-current="page">{label}</span> }.into_any()
                    } else {
                        view! { <a href=href>{label}</a> }.into_any()
                    }}
                </li>
                {current.map(|current| view! { <li><span aria-current="page">{current}</span></li> })}
            </ol>
        </nav>
    }
}

/// The centred card of the pages seen before signing in.
#[component]
pub fn AuthCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <main class="centered">
            <div class="card login">
                <p class="brand-line">
                    <span class="brand-mark" aria-hidden="true">"FW"</span>
                    "Feedback Webhooks"
                </p>
                <h1>{title}</h1>
                {children()}
            </div>
        </main>
    }
}

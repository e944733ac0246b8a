//! The admin frame: navigation on the left, sandbox and account on top, the page in the middle.

use crate::api::auth::{current_user, Logout};
use crate::api::sandboxes::SwitchSandbox;
use crate::i18n::{td_string, use_locale, Locale};
use crate::model::{routes, Role};
use crate::ui::components::confirm_submit::ConfirmSubmits;
use crate::ui::components::labels::role_label;
use crate::ui::components::language_switcher::LanguageSwitcher;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Outlet, A};

#[component]
pub fn AdminLayout() -> impl IntoView {
    let locale = use_locale();
    let user = Resource::new(|| (), |_| current_user());
    provide_context(TopBar(user));
    // Signing out posts a plain form: the server ends the session and sends the browser to the
    // sign-in page.
    let logout = ServerAction::<Logout>::new();
    view! {
        <div class="shell">
            <aside class="sidebar">
                <a class="brand" href=routes::WEBHOOKS>
                    <span class="brand-mark" aria-hidden="true">"FW"</span>
                    {td_string!(locale, app.name)}
                </a>
                <nav aria-label=td_string!(locale, nav.main)>
                    <p class="nav-section">{td_string!(locale, nav.journeys)}</p>
                    <ul>
                        <li>
                            <A href=routes::CAMPAIGNS>{td_string!(locale, nav.campaigns)}</A>
                        </li>
                    </ul>
                    <p class="nav-section">{td_string!(locale, nav.administration)}</p>
                    <p class="nav-group">{td_string!(locale, nav.channels)}</p>
                    <ul>
                        <li>
                            <A href=routes::WEBHOOKS>{td_string!(locale, nav.webhook_settings)}</A>
                        </li>
                        <li>
                            <A href=routes::DELIVERIES>{td_string!(locale, nav.delivery_history)}</A>
                        </li>
                    </ul>
                    <p class="nav-group">{td_string!(locale, nav.access)}</p>
                    <ul>
                        <li>
                            <A href=routes::SANDBOXES>{td_string!(locale, nav.sandboxes)}</A>
                        </li>
                        <ForRole role=Role::Admin>
                            <li>
                                <A href=routes::CREDENTIALS>{td_string!(locale, nav.api_credentials)}</A>
                            </li>
                        </ForRole>
                        <li>
                            <A href=routes::API_REFERENCE>{td_string!(locale, nav.api_reference)}</A>
                        </li>
                        <ForRole role=Role::Admin>
                            <li>
                                <A href=routes::USERS>{td_string!(locale, nav.users)}</A>
                            </li>
                            <li>
                                <A href=routes::AUDIT_LOG>{td_string!(locale, nav.audit_log)}</A>
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
                                <SandboxSwitch ims_org=user.ims_org sandboxes=user.sandboxes current=user.sandbox_id/>
                                <a class="account" href=routes::ACCOUNT title=td_string!(locale, topbar.account_hint)>
                                    {user.email}
                                    <span class="role">{role_label(user.role)}</span>
                                </a>
                            })
                        })}
                    </Transition>
                    <LanguageSwitcher/>
                    <ActionForm action=logout attr:class="logout">
                        <button type="submit" class="link-button">{td_string!(locale, topbar.log_out)}</button>
                    </ActionForm>
                </header>
                <main class="content">
                    <Outlet/>
                </main>
                <ConfirmSubmits/>
            </div>
        </div>
    }
}

/// The organization / sandbox menu of the top bar. Choosing a sandbox switches to it at once and
/// loads the page afresh (every list on it belongs to the old sandbox); without JavaScript, the
/// form's button does the same through the server.
#[island]
fn SandboxSwitch(
    ims_org: String,
    sandboxes: Vec<(String, String)>,
    current: String,
) -> impl IntoView {
    let locale = use_locale();
    let switch = ServerAction::<SwitchSandbox>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = switch.value().get() {
            let _ = window().location().reload();
        }
    });
    view! {
        <ActionForm action=switch attr:class="sandbox">
            <label for="sandbox-select">
                <span class="muted">{ims_org}</span>
                " / "
                <span class="visually-hidden">{td_string!(locale, topbar.sandbox)}</span>
            </label>
            <select id="sandbox-select" name="id" on:change=move |ev| {
                switch.dispatch(SwitchSandbox { id: event_target_value(&ev) });
            }>
                {sandboxes.into_iter().map(|(id, name)| {
                    let selected = id == current;
                    view! { <option value=id selected=selected>{name}</option> }
                }).collect_view()}
            </select>
            <noscript><button type="submit" class="link-button">{td_string!(locale, topbar.switch)}</button></noscript>
        </ActionForm>
    }
}

/// The top bar's view of the session (account, sandboxes), which [`ForRole`] reads.
#[derive(Clone, Copy)]
pub struct TopBar(pub Resource<Result<Option<crate::model::UserView>, crate::error::AppError>>);

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

/// The sections of the navigation a page belongs to, as its breadcrumb names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    WebhookSettings,
    DeliveryHistory,
    Campaigns,
    Sandboxes,
    ApiCredentials,
    ApiReference,
    Users,
    AuditLog,
    Account,
}

impl Section {
    /// The groups above the section, its name and its address, in `locale`.
    fn crumbs(self, locale: Locale) -> (Vec<&'static str>, &'static str, &'static str) {
        let channels = || {
            vec![
                td_string!(locale, nav.administration),
                td_string!(locale, nav.channels),
            ]
        };
        let access = || {
            vec![
                td_string!(locale, nav.administration),
                td_string!(locale, nav.access),
            ]
        };
        match self {
            Section::WebhookSettings => (
                channels(),
                td_string!(locale, nav.webhook_settings),
                routes::WEBHOOKS,
            ),
            Section::DeliveryHistory => (
                channels(),
                td_string!(locale, nav.delivery_history),
                routes::DELIVERIES,
            ),
            Section::Campaigns => (
                vec![td_string!(locale, nav.journeys)],
                td_string!(locale, nav.campaigns),
                routes::CAMPAIGNS,
            ),
            Section::Sandboxes => (
                access(),
                td_string!(locale, nav.sandboxes),
                routes::SANDBOXES,
            ),
            Section::ApiCredentials => (
                access(),
                td_string!(locale, nav.api_credentials),
                routes::CREDENTIALS,
            ),
            Section::ApiReference => (
                access(),
                td_string!(locale, nav.api_reference),
                routes::API_REFERENCE,
            ),
            Section::Users => (access(), td_string!(locale, nav.users), routes::USERS),
            Section::AuditLog => (
                access(),
                td_string!(locale, nav.audit_log),
                routes::AUDIT_LOG,
            ),
            Section::Account => (Vec::new(), td_string!(locale, nav.account), routes::ACCOUNT),
        }
    }
}

/// Administration / Channels / Feedback webhook settings / <page>.
#[component]
pub fn Breadcrumb(#[prop(optional, into)] current: Option<String>) -> impl IntoView {
    match current {
        Some(current) => view! { <Crumbs section=Section::WebhookSettings current/> }.into_any(),
        None => view! { <Crumbs section=Section::WebhookSettings/> }.into_any(),
    }
}

/// The groups above `section` / `section` (a link when a `current` page follows) / `current`.
#[component]
pub fn Crumbs(section: Section, #[prop(optional, into)] current: Option<String>) -> impl IntoView {
    let locale = use_locale();
    let (parents, label, href) = section.crumbs(locale);
    let on_section = current.is_none();
    // The browser tab says where one is: the page, else its section.
    let page = current.clone().unwrap_or_else(|| label.to_string());
    view! {
        <Title text=td_string!(locale, app.title, page).to_string()/>
        <nav class="breadcrumb" aria-label=td_string!(locale, nav.breadcrumb)>
            <ol>
                {parents.into_iter().map(|parent| view! { <li>{parent}</li> }).collect_view()}
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
    let locale = use_locale();
    view! {
        <main class="centered">
            <div class="card login">
                <LanguageSwitcher/>
                <p class="brand-line">
                    <span class="brand-mark" aria-hidden="true">"FW"</span>
                    {td_string!(locale, app.name)}
                </p>
                <h1>{title}</h1>
                <Title text=td_string!(locale, app.title, page = title).to_string()/>
                {children()}
            </div>
        </main>
    }
}

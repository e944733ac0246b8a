//! The HTML shell, the app and its routes.

use crate::i18n::Locale;
use crate::ui::components::layout::AdminLayout;
use crate::ui::pages::*;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;
use leptos_router::SsrMode;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang=page_language().to_string()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The language the server chose for this request (see `server::language`); in the browser,
/// the page's own `<html lang>` says it.
fn page_language() -> Locale {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .and_then(|parts| {
                parts
                    .extensions
                    .get::<crate::i18n::language::PageLanguage>()
                    .copied()
            })
            .map_or(Locale::en, |chosen| chosen.0)
    }
    #[cfg(not(feature = "ssr"))]
    Locale::en
}

#[component]
pub fn App() -> impl IntoView {
    let language = page_language();
    // The server decides the language (the cookie is its own) and writes `<html lang>`; the
    // browser reads it back while hydrating. The context is made here rather than by the
    // library's provider component, which writes an empty `<script>` without the page's nonce.
    let server_choice = leptos_use::UseLocalesOptions::default()
        .ssr_lang_header_getter(move || Some(language.to_string()));
    let options = leptos_i18n::context::I18nContextOptions::default()
        .enable_cookie(false)
        .ssr_lang_header_getter(server_choice);
    provide_context(leptos_i18n::context::init_i18n_context_with_options::<Locale>(options));
    view! { <Pages/> }
}

#[component]
fn Pages() -> impl IntoView {
    provide_meta_context();
    // Lets browser tests (and people's scripts) know when the page has become interactive.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/feedback-webhooks.css"/>
        <Title text="Feedback Webhooks"/>
        <Router>
            // In order: each page's data is in its HTML, so a page works without JavaScript
            // (out of order, the default, leaves its loading placeholders for a script to fill).
            <Routes fallback=|| view! { <NotFoundPage/> }>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::InOrder/>
                <Route path=path!("/setup") view=SetupPage ssr=SsrMode::InOrder/>
                <Route path=path!("/set-password") view=SetPasswordPage ssr=SsrMode::InOrder/>
                <ParentRoute path=path!("/admin") view=AdminLayout ssr=SsrMode::InOrder>
                    <Route path=path!("channels/feedback-webhooks") view=WebhooksPage/>
                    // Rendered whole before the response starts, so the one-time values this page
                    // takes from the session (a new secret, a test answer, a draft) are removed
                    // from the session that is saved with the response.
                    <Route path=path!("channels/feedback-webhooks/new") view=WebhookFormPage ssr=SsrMode::Async/>
                    <Route path=path!("channels/feedback-webhooks/:id") view=WebhookFormPage ssr=SsrMode::Async/>
                    <Route path=path!("channels/feedback-webhooks/:id/delete") view=DeleteWebhookPage/>
                    <Route path=path!("channels/feedback-webhooks/:id/deliveries") view=WebhookDeliveriesPage/>
                    <Route path=path!("deliveries") view=DeliveriesPage/>
                    <Route path=path!("deliveries/:id") view=DeliveryDetailPage/>
                    <Route path=path!("campaigns/:id/executions") view=CampaignExecutionsPage/>
                    <Route path=path!("campaigns") view=CampaignsPage/>
                    <Route path=path!("campaigns/new") view=CampaignFormPage ssr=SsrMode::Async/>
                    <Route path=path!("campaigns/:id") view=CampaignFormPage ssr=SsrMode::Async/>
                    <Route path=path!("api-credentials") view=CredentialsPage/>
                    <Route path=path!("sandboxes") view=SandboxesPage/>
                    <Route path=path!("api-reference") view=ApiReferencePage/>
                    <Route path=path!("users") view=UsersPage/>
                    <Route path=path!("audit-log") view=AuditLogPage/>
                    <Route path=path!("account") view=AccountPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

//! The HTML shell, the app and its routes: rendered by the server alone (the browser hydrates
//! only the islands within, see `ui`).

use crate::i18n::language::PageLanguage;
use crate::i18n::Locale;
use crate::ui::components::interactive::PageInteractive;
use crate::ui::components::layout::AdminLayout;
use crate::ui::pages::*;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
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
                // The styles under their content-hashed name when the build hashed them.
                <HashedStylesheet options=options.clone() id="leptos"/>
                <AutoReload options=options.clone()/>
                // Islands: the page is the server's HTML; the loader hydrates only its islands.
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
                <PageInteractive/>
            </body>
        </html>
    }
}

/// The language the server chose for this request (see `server::language`).
fn page_language() -> Locale {
    use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PageLanguage>().copied())
        .map_or(Locale::en, |chosen| chosen.0)
}

#[component]
pub fn App() -> impl IntoView {
    provide_context(PageLanguage(page_language()));
    view! { <Pages/> }
}

/// The pages and their routes, in the language [`App`] provides. The server lists its routes from
/// this alone (see `serve::page_routes`): the listing needs no language.
#[component]
pub fn Pages() -> impl IntoView {
    provide_meta_context();
    view! {
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

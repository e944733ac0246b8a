//! The HTML shell, the app and its routes.

use crate::i18n::language::PageLanguage;
use crate::i18n::Locale;
use crate::ui::components::layout::AdminLayout;
use crate::ui::pages::*;
use leptos::lazy;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::SsrMode;
use leptos_router::{path, Lazy, LazyRoute};

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
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The language the server chose for this request (see `server::language`); in the browser, the
/// page's own `<html lang>`, which the server wrote.
fn page_language() -> Locale {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<PageLanguage>().copied())
            .map_or(Locale::en, |chosen| chosen.0)
    }
    #[cfg(not(feature = "ssr"))]
    {
        document()
            .document_element()
            .and_then(|html| html.get_attribute("lang"))
            .and_then(|tag| crate::i18n::language::parse_tag(&tag))
            .unwrap_or(Locale::en)
    }
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
                <Route path=path!("/setup") view={Lazy::<SetupRoute>::new()} ssr=SsrMode::InOrder/>
                <Route path=path!("/set-password") view={Lazy::<SetPasswordRoute>::new()} ssr=SsrMode::InOrder/>
                <ParentRoute path=path!("/admin") view=AdminLayout ssr=SsrMode::InOrder>
                    <Route path=path!("channels/feedback-webhooks") view={Lazy::<WebhooksRoute>::new()}/>
                    // Rendered whole before the response starts, so the one-time values this page
                    // takes from the session (a new secret, a test answer, a draft) are removed
                    // from the session that is saved with the response.
                    <Route path=path!("channels/feedback-webhooks/new") view={Lazy::<WebhookFormRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("channels/feedback-webhooks/:id") view={Lazy::<WebhookFormRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("channels/feedback-webhooks/:id/delete") view={Lazy::<DeleteWebhookRoute>::new()}/>
                    <Route path=path!("channels/feedback-webhooks/:id/deliveries") view={Lazy::<WebhookDeliveriesRoute>::new()}/>
                    <Route path=path!("deliveries") view={Lazy::<DeliveriesRoute>::new()}/>
                    <Route path=path!("deliveries/:id") view={Lazy::<DeliveryDetailRoute>::new()}/>
                    <Route path=path!("campaigns/:id/executions") view={Lazy::<CampaignExecutionsRoute>::new()}/>
                    <Route path=path!("campaigns") view={Lazy::<CampaignsRoute>::new()}/>
                    <Route path=path!("campaigns/new") view={Lazy::<CampaignFormRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("campaigns/:id") view={Lazy::<CampaignFormRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("api-credentials") view={Lazy::<CredentialsRoute>::new()}/>
                    <Route path=path!("sandboxes") view={Lazy::<SandboxesRoute>::new()}/>
                    <Route path=path!("api-reference") view={Lazy::<ApiReferenceRoute>::new()}/>
                    <Route path=path!("users") view={Lazy::<UsersRoute>::new()}/>
                    <Route path=path!("audit-log") view={Lazy::<AuditLogRoute>::new()}/>
                    <Route path=path!("account") view={Lazy::<AccountRoute>::new()}/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The admin pages, in five groups each compiled into wasm chunks of their own that the browser
/// fetches when a page of the group is first shown (the server names them in the page's
/// `<head>`, so they download alongside the main module); the first-run and set-password pages
/// are a group too. The sign-in page and the admin layout stay in the main module: a first visit,
/// on the sign-in page, downloads none of the other pages' code. The layout as a lazy group of
/// its own took 20 KB more off the sign-in page but cost the settings form 25 more chunks and
/// about a second (interactive after 4.3 s against 3.3 s at 1.6 Mbit/s). Groups rather than a
/// chunk per page: the splitter makes a chunk of every set of pages that share code, and fifteen
/// lazy pages made 124 chunks for the settings form alone, each a request.
macro_rules! lazy_page_group {
    ($group:ident, $preload:ident, $which:ident { $($route:ident => $page:ident,)* }) => {
        // Each variant is named after its page component.
        #[allow(clippy::enum_variant_names)]
        #[derive(Clone, Copy)]
        #[repr(u8)]
        enum $which {
            $($page,)*
        }

        #[lazy]
        fn $group(which: $which) -> AnyView {
            match which {
                $($which::$page => view! { <$page/> }.into_any(),)*
            }
        }

        $(
            struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn view(_this: Self) -> AnyView {
                    $group($which::$page).await
                }

                async fn preload() {
                    // Only the browser's build has chunks to fetch.
                    #[cfg(target_arch = "wasm32")]
                    $preload().await;
                }
            }
        )*
    };
}

lazy_page_group!(first_steps, __preload_first_steps, FirstStepsPage {
    SetupRoute => SetupPage,
    SetPasswordRoute => SetPasswordPage,
});
lazy_page_group!(webhook_list, __preload_webhook_list, WebhookListPage {
    WebhooksRoute => WebhooksPage,
});
lazy_page_group!(webhook_editor, __preload_webhook_editor, WebhookEditorPage {
    WebhookFormRoute => WebhookFormPage,
    DeleteWebhookRoute => DeleteWebhookPage,
});
lazy_page_group!(history, __preload_history, HistoryPage {
    DeliveriesRoute => DeliveriesPage,
    WebhookDeliveriesRoute => WebhookDeliveriesPage,
    DeliveryDetailRoute => DeliveryDetailPage,
    CampaignExecutionsRoute => CampaignExecutionsPage,
});
lazy_page_group!(campaigns, __preload_campaigns, CampaignPage {
    CampaignsRoute => CampaignsPage,
    CampaignFormRoute => CampaignFormPage,
});
lazy_page_group!(access, __preload_access, AccessPage {
    CredentialsRoute => CredentialsPage,
    SandboxesRoute => SandboxesPage,
    ApiReferenceRoute => ApiReferencePage,
    UsersRoute => UsersPage,
    AuditLogRoute => AuditLogPage,
    AccountRoute => AccountPage,
});

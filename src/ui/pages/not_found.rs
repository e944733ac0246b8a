//! What any unknown address shows, with a 404.

use crate::i18n::{t, tu_string, use_i18n};
use crate::model::routes;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    let i18n = use_i18n();
    view! {
        <main class="centered">
            <div class="card">
                <h1>{t!(i18n, not_found.title)}</h1>
                <Title text=tu_string!(i18n, app.title, page = tu_string!(i18n, not_found.title)).to_string()/>
                <p>{t!(i18n, not_found.text)}</p>
                <a class="button primary" href=routes::WEBHOOKS>{t!(i18n, not_found.back)}</a>
            </div>
        </main>
    }
}

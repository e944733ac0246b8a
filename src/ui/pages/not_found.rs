//! What any unknown address shows, with a 404.

use crate::i18n::{td_string, use_locale};
use crate::model::routes;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    let locale = use_locale();
    view! {
        <main class="centered">
            <div class="card">
                <h1>{td_string!(locale, not_found.title)}</h1>
                <Title text=td_string!(locale, app.title, page = td_string!(locale, not_found.title)).to_string()/>
                <p>{td_string!(locale, not_found.text)}</p>
                <a class="button primary" href=routes::WEBHOOKS>{td_string!(locale, not_found.back)}</a>
            </div>
        </main>
    }
}

//! Français / English: a plain form to `POST /language`, so the choice works without
//! JavaScript; the server keeps it and renders the same page again in that language.

use crate::i18n::language::own_name;
use crate::i18n::{td_string, use_locale, Locale};
use crate::model::routes;
use leptos::prelude::*;
use leptos_i18n::Locale as _;
use leptos_router::hooks::use_location;

#[component]
pub fn LanguageSwitcher() -> impl IntoView {
    let locale = use_locale();
    let location = use_location();
    // The router's search has no leading `?`.
    let back = move || {
        let (path, search) = (location.pathname.get(), location.search.get());
        if search.is_empty() {
            path
        } else {
            format!("{path}?{search}")
        }
    };
    let current = locale;
    view! {
        <form class="language-switcher" method="post" action=routes::LANGUAGE
            aria-label=td_string!(locale, language.label)>
            <input type="hidden" name="back" value=back/>
            {Locale::get_all().iter().map(|&locale| {
                let chosen = locale == current;
                view! {
                    <button type="submit" name="language" value=locale.as_str()
                        lang=locale.as_str() class="link-button" class:chosen=chosen
                        aria-pressed=if chosen { "true" } else { "false" }>
                        {own_name(locale)}
                    </button>
                }
            }).collect_view()}
        </form>
    }
}

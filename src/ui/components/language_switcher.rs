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
    view! {
        <form class="language-switcher" method="post" action=routes::LANGUAGE
            aria-label=td_string!(locale, language.label)>
            <input type="hidden" name="back" value=back/>
            {Locale::get_all().iter().map(|&offered| {
                let chosen = offered == locale;
                view! {
                    <button type="submit" name="language" value=offered.as_str()
                        lang=offered.as_str() class="link-button" class:chosen=chosen
                        aria-pressed=if chosen { "true" } else { "false" }>
                        {own_name(offered)}
                    </button>
                }
            }).collect_view()}
        </form>
    }
}

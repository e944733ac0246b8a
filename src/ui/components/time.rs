//! A UTC timestamp shown as its date and time of day, written the way the page's language
//! writes them.

use crate::i18n::format::date_and_time;
use crate::i18n::{use_locale, Locale};
use leptos::prelude::*;

/// `2026-12-01T14:05:09Z` → "Dec 1, 2026" and "2:05 PM UTC" (or "1 déc. 2026" and "14:05 UTC"),
/// the full value on hover.
#[component]
pub fn Timestamp(at: String) -> impl IntoView {
    let locale = use_locale();
    let (date, time) = match date_and_time(&at, locale) {
        Some(written) => (written.date, written.time),
        None => (at.clone(), String::new()),
    };
    view! {
        <time datetime=at.clone() title=at.clone()>
            {date}
            <span class="time-of-day">{time}</span>
        </time>
    }
}

/// A UTC time in one line of the page's words ("Dec 1, 2026, 2:05 PM UTC"); as given when it
/// is no time.
pub fn written_time(rfc3339: &str, locale: Locale) -> String {
    date_and_time(rfc3339, locale).map_or_else(|| rfc3339.to_string(), |written| written.joined())
}

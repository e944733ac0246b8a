//! A UTC timestamp shown as its date and time of day.

use leptos::prelude::*;

/// `2026-11-28T05:57:59Z` → "2026-11-28 05:57 UTC", the full value on hover.
#[component]
pub fn Timestamp(at: String) -> impl IntoView {
    view! {
        <time datetime=at.clone() title=at.clone()>
            {date_part(&at)}
            <span class="time-of-day">{time_part(&at)}</span>
        </time>
    }
}

fn date_part(rfc3339: &str) -> String {
    rfc3339.get(..10).unwrap_or(rfc3339).to_string()
}

fn time_part(rfc3339: &str) -> String {
    rfc3339
        .get(11..16)
        .map(|hm| format!("{hm} UTC"))
        .unwrap_or_default()
}

//! "Last changed by … at …" under a webhook's or campaign's title, with a link to its history
//! in the audit log for those who may read it.

use crate::i18n::{td_string, use_locale};
use crate::model::audit::LastChange;
use crate::model::Role;
use crate::ui::components::layout::ForRole;
use crate::ui::components::time::written_time;
use leptos::prelude::*;

/// `updated_at` alone when the log has no entry about the object (it predates the log).
#[component]
pub fn LastChanged(last_change: Option<LastChange>, updated_at: Option<String>) -> impl IntoView {
    let locale = use_locale();
    let when = move |at: &str| written_time(at, locale);
    match (last_change, updated_at) {
        (Some(change), _) => {
            let history = change.history.clone();
            view! {
                <p class="muted last-change">
                    {td_string!(locale, last_change.by)} <strong>{change.actor.clone()}</strong> {td_string!(locale, last_change.at)} {when(&change.at)}
                    <ForRole role=Role::Admin>
                        " · " <a href=history.clone()>{td_string!(locale, last_change.history)}</a>
                    </ForRole>
                </p>
            }
            .into_any()
        }
        (None, Some(at)) => {
            view! { <p class="muted">{td_string!(locale, last_change.updated)} {when(&at)}</p> }
                .into_any()
        }
        (None, None) => ().into_any(),
    }
}

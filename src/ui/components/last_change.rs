//! "Last changed by … at …" under a webhook's or campaign's title, with a link to its history
//! in the audit log for those who may read it.

use crate::model::audit::LastChange;
use crate::model::Role;
use crate::ui::components::layout::ForRole;
use leptos::prelude::*;

/// `updated_at` alone when the log has no entry about the object (it predates the log).
#[component]
pub fn LastChanged(last_change: Option<LastChange>, updated_at: Option<String>) -> impl IntoView {
    let when = |at: &str| at.replace('T', " ").replace('Z', " UTC");
    match (last_change, updated_at) {
        (Some(change), _) => {
            let history = change.history.clone();
            view! {
                <p class="muted last-change">
                    "Last changed by " <strong>{change.actor.clone()}</strong> " at " {when(&change.at)}
                    <ForRole role=Role::Admin>
                        " · " <a href=history.clone()>"History"</a>
                    </ForRole>
                </p>
            }
            .into_any()
        }
        (None, Some(at)) => view! { <p class="muted">"Last updated " {when(&at)}</p> }.into_any(),
        (None, None) => ().into_any(),
    }
}

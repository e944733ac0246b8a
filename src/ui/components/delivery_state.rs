//! How a delivery's state and last result read in lists and details.

use crate::model::history::{DeliveryRow, DeliveryState};
use crate::ui::components::labels::state_label;
use leptos::prelude::*;

#[component]
pub fn StateBadge(state: DeliveryState) -> impl IntoView {
    let class = format!("state {}", state.as_str());
    view! { <span class=class>{state_label(state)}</span> }
}

/// `HTTP 200`, an error code such as `E_TIMEOUT`, or a dash before the first attempt.
pub fn last_result(row: &DeliveryRow) -> String {
    match (&row.last_error, row.last_status) {
        (Some(code), _) => code.clone(),
        (None, Some(status)) => format!("HTTP {status}"),
        (None, None) => "—".to_string(),
    }
}

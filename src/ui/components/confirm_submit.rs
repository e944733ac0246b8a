//! A question before a plain form is sent: any form of the page with `data-confirm` asks it.

use leptos::prelude::*;

/// Asks each form that carries `data-confirm` its question before it is sent, and keeps it
/// unsent when the answer is no. Without JavaScript the form is sent unasked.
#[island]
pub fn ConfirmSubmits() -> impl IntoView {
    let handle = window_event_listener(leptos::ev::submit, |ev| {
        if let Some(question) = question_of(&ev) {
            if !window().confirm_with_message(&question).unwrap_or(false) {
                ev.prevent_default();
            }
        }
    });
    on_cleanup(move || handle.remove());
}

/// The question of the form being sent, if it has one.
fn question_of(ev: &leptos::ev::SubmitEvent) -> Option<String> {
    use leptos::wasm_bindgen::JsCast;
    ev.target()?
        .dyn_into::<leptos::web_sys::Element>()
        .ok()?
        .get_attribute("data-confirm")
}

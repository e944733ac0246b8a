//! "Delete this webhook?" asked in place; the same question has its own page without JavaScript.

use crate::api::webhooks::DeleteWebhook;
use crate::i18n::{td_string, use_locale};
use crate::model::routes;
use crate::ui::components::problem::problem;
use leptos::prelude::*;

/// The question for every [`DeleteWebhookLink`] of the page. Once deleted, the list is loaded
/// with the "deleted" notice.
#[island]
pub fn ConfirmDelete() -> impl IntoView {
    let target = RwSignal::new(None::<(String, String)>);
    let handle = window_event_listener(leptos::ev::click, move |ev| {
        if let Some(asked) = delete_link_clicked(&ev) {
            ev.prevent_default();
            target.set(Some(asked));
        }
    });
    on_cleanup(move || handle.remove());
    let delete = ServerAction::<DeleteWebhook>::new();
    let cancel_ref = NodeRef::<leptos::html::Button>::new();
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if target.with(Option::is_some) {
            error.set(None);
            if let Some(button) = cancel_ref.get() {
                let _ = button.focus();
            }
        }
    });
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(())) => {
            if let Some((_, name)) = target.get_untracked() {
                let _ = window()
                    .location()
                    .set_href(&routes::webhook_deleted(&name));
            }
        }
        Some(Err(e)) => error.set(Some(problem(&e))),
        None => {}
    });
    let close = move || target.set(None);
    let locale = use_locale();
    view! {
        <Show when=move || target.with(Option::is_some)>
            <div class="dialog-backdrop" on:click=move |_| close()>
                <div
                    class="dialog"
                    role="alertdialog"
                    aria-modal="true"
                    aria-labelledby="confirm-delete-title"
                    on:click=|ev| ev.stop_propagation()
                    on:keydown=move |ev| if ev.key() == "Escape" { close() }
                >
                    <h2 id="confirm-delete-title">
                        {move || target.get().map(|(_, name)| td_string!(locale, confirm_delete.question, name).to_string())}
                    </h2>
                    <p>{td_string!(locale, confirm_delete.consequence)}</p>
                    {move || error.get().map(|e| view! { <p class="banner error">{e}</p> })}
                    <div class="actions">
                        <button type="button" class="secondary" node_ref=cancel_ref on:click=move |_| close()>
                            {td_string!(locale, confirm_delete.cancel)}
                        </button>
                        <button
                            type="button"
                            class="danger"
                            disabled=move || delete.pending().get()
                            on:click=move |_| {
                                if let Some((id, _)) = target.get_untracked() {
                                    delete.dispatch(DeleteWebhook { id });
                                }
                            }
                        >
                            {move || if delete.pending().get() { td_string!(locale, confirm_delete.deleting) } else { td_string!(locale, confirm_delete.delete) }}
                        </button>
                    </div>
                </div>
            </div>
        </Show>
    }
}

/// A webhook's Delete: a link to the question's own page, which [`ConfirmDelete`] asks in place
/// instead; it carries the webhook's id (`data-delete-webhook`) and name (`data-webhook-name`).
#[component]
pub fn DeleteWebhookLink(
    id: String,
    name: String,
    class: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <a class=class href=routes::delete_webhook(&id) data-delete-webhook=id data-webhook-name=name>{children()}</a>
    }
}

/// The webhook (id, name) of the [`DeleteWebhookLink`] a plain click followed; a click with a modifier
/// (a new tab, a new window) still follows the link.
fn delete_link_clicked(ev: &leptos::ev::MouseEvent) -> Option<(String, String)> {
    use leptos::wasm_bindgen::JsCast;
    if ev.button() != 0 || ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key() {
        return None;
    }
    let clicked = ev.target()?.dyn_into::<leptos::web_sys::Element>().ok()?;
    let link = clicked.closest("a[data-delete-webhook]").ok()??;
    Some((
        link.get_attribute("data-delete-webhook")?,
        link.get_attribute("data-webhook-name").unwrap_or_default(),
    ))
}

//! "Delete this webhook?" asked in place; the same question has its own page without JavaScript.

use crate::api::webhooks::DeleteWebhook;
use crate::i18n::{td_string, use_locale};
use crate::ui::components::problem::problem;
use leptos::prelude::*;

/// The webhook being asked about: (id, name).
pub type DeleteTarget = RwSignal<Option<(String, String)>>;

#[component]
pub fn ConfirmDelete(
    target: DeleteTarget,
    on_deleted: Callback<(String, String)>,
) -> impl IntoView {
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
            if let Some(deleted) = target.get_untracked() {
                target.set(None);
                on_deleted.run(deleted);
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

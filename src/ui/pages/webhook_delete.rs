//! The delete confirmation as a page, for browsers without JavaScript (and for a delete link
//! opened in a tab of its own).

use crate::api::webhooks::{get_webhook, DeleteWebhook};
use crate::i18n::{td_string, use_locale};
use crate::model::routes;
use crate::ui::components::layout::Breadcrumb;
use crate::ui::components::problem::problem;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn DeleteWebhookPage() -> impl IntoView {
    let locale = use_locale();
    let params = use_params_map();
    let webhook = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        get_webhook,
    );
    // Posted as a plain form: the server deletes, then sends the browser to the list.
    let delete = ServerAction::<DeleteWebhook>::new();
    view! {
        <Breadcrumb current=td_string!(locale, confirm_delete.delete).to_string()/>
        <Transition fallback=move || view! { <p class="loading">{td_string!(locale, confirm_delete.loading)}</p> }>
            {move || Suspend::new(async move {
                match webhook.await {
                    Ok(webhook) => view! {
                        <div class="card narrow">
                            <h1>{td_string!(locale, confirm_delete.question, name = webhook.name.clone()).to_string()}</h1>
                            <p>{td_string!(locale, confirm_delete.consequence)}</p>
                            {move || delete.value().get().and_then(Result::err).map(|e| view! { <p class="banner error">{problem(&e)}</p> })}
                            <ActionForm action=delete>
                                <input type="hidden" name="id" value=webhook.id.clone()/>
                                <div class="actions">
                                    <a class="button secondary" href=routes::webhook(&webhook.id)>{td_string!(locale, confirm_delete.cancel)}</a>
                                    <button type="submit" class="danger">{td_string!(locale, webhook.delete)}</button>
                                </div>
                            </ActionForm>
                        </div>
                    }.into_any(),
                    Err(error) => view! { <p class="banner error">{problem(&error)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

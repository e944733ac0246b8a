//! Administration / Channels / Feedback webhook settings: every webhook of the sandbox.

use crate::api::deliveries::load_webhook_health;
use crate::api::webhooks::list_webhooks;
use crate::model::history::WebhookHealth;
use crate::model::Role;
use crate::model::{routes, WebhookSummary};
use crate::ui::components::confirm_delete::ConfirmDelete;
use crate::ui::components::health::{latency, success_rate};
use crate::ui::components::layout::{Breadcrumb, ForRole};
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use std::collections::HashMap;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_webhooks());
    let health = Resource::new(|| (), |_| load_webhook_health(None));
    let query = use_query_map();
    view! {
        <Breadcrumb/>
        <div class="page-head">
            <div>
                <h1>"Feedback webhook settings"</h1>
                <p class="muted">"Delivery feedback (sent, delivered, bounce, error) of API-triggered transactional campaigns, pushed to your endpoints."</p>
            </div>
            <ForRole role=Role::Editor>
                <a class="button primary" href=routes::NEW_WEBHOOK>"Create feedback webhook"</a>
            </ForRole>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading webhooks…"</p> }>
            {move || Suspend::new(async move {
                // Health is a bonus: the list shows without it.
                let health: HashMap<String, WebhookHealth> =
                    health.await.map(|h| h.into_iter().collect()).unwrap_or_default();
                match list.await {
                    Ok(list) => {
                        let saved = query.read_untracked().get("saved");
                        let deleted = query.read_untracked().get("deleted");
                        let notice = match saved.and_then(|id| list.items.iter().find(|w| w.id == id)) {
                            Some(webhook) => Some(format!("Saved “{}”.", webhook.name)),
                            None => deleted.map(|name| format!("Deleted “{name}”.")),
                        };
                        view! { <WebhookTable items=list.items can_edit=list.can_edit notice health/> }.into_any()
                    }
                    Err(error) => view! { <p class="banner error">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn WebhookTable(
    items: Vec<WebhookSummary>,
    can_edit: bool,
    notice: Option<String>,
    health: HashMap<String, WebhookHealth>,
) -> impl IntoView {
    let health = StoredValue::new(health);
    let items = RwSignal::new(items);
    let notice = RwSignal::new(notice);
    let confirming = RwSignal::new(None::<(String, String)>);
    let on_deleted = Callback::new(move |(id, name): (String, String)| {
        items.update(|items| items.retain(|w| w.id != id));
        notice.set(Some(format!("Deleted “{name}”.")));
    });
    view! {
        {move || notice.get().map(|n| view! { <p class="banner success" role="status">{n}</p> })}
        <Show
            when=move || !items.with(Vec::is_empty)
            fallback=move || view! {
                <div class="empty-state">
                    <h2>"No feedback webhooks yet"</h2>
                    <p>"Create one to receive sent, delivered, bounce and error events of your transactional messages in real time."</p>
                    {can_edit.then(|| view! {
                        <a class="button primary" href=routes::NEW_WEBHOOK>"Create your first feedback webhook"</a>
                    })}
                </div>
            }
        >
            <div class="table-wrap">
                <table class="webhooks">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Channels"</th>
                            <th scope="col">"URL"</th>
                            <th scope="col">"Authentication"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Health (24 h)"</th>
                            <th scope="col">"Last updated"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || items.get() key=|w| (w.id.clone(), w.updated_at.clone()) let:webhook>
                            <WebhookRow health=health.with_value(|h| h.get(&webhook.id).cloned()) webhook can_edit confirming/>
                        </For>
                    </tbody>
                </table>
            </div>
        </Show>
        <ConfirmDelete target=confirming on_deleted/>
    }
}

#[component]
fn WebhookRow(
    health: Option<WebhookHealth>,
    webhook: WebhookSummary,
    can_edit: bool,
    confirming: RwSignal<Option<(String, String)>>,
) -> impl IntoView {
    let channels = webhook
        .channels
        .iter()
        .map(|c| view! { <span class="chip">{c.label()}</span> })
        .collect_view();
    let auth = webhook
        .jwt_algorithm
        .map(|a| format!("JWT ({})", a.as_str()))
        .unwrap_or_else(|| "None".into());
    let (id, name) = (webhook.id.clone(), webhook.name.clone());
    let open_confirm = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        confirming.set(Some((id.clone(), name.clone())));
    };
    view! {
        <tr>
            <td data-label="Name"><a class="row-link" href=routes::webhook(&webhook.id)>{webhook.name.clone()}</a></td>
            <td data-label="Channels">{channels}</td>
            <td data-label="URL" class="url"><code title=webhook.url.clone()>{webhook.url.clone()}</code></td>
            <td data-label="Authentication">{auth}</td>
            <td data-label="Status">
                {if webhook.enabled {
                    view! { <span class="status enabled">"Enabled"</span> }.into_any()
                } else {
                    view! { <span class="status disabled" title=webhook.disabled_reason.clone().unwrap_or_default()>"Disabled"</span> }.into_any()
                }}
            </td>
            <td data-label="Health (24 h)" class="nowrap health-cell">
                {match health.filter(|h| h.attempts > 0) {
                    Some(health) => view! {
                        <span class="success-rate">{success_rate(&health)}</span>
                        <span class="muted">" · p95 " {latency(health.p95_ms)}</span>
                    }.into_any(),
                    None => view! { <span class="muted">"No attempts"</span> }.into_any(),
                }}
            </td>
            <td data-label="Last updated" class="nowrap">
                <Timestamp at=webhook.updated_at.clone()/>
            </td>
            <td class="row-actions">
                <a href=routes::webhook_deliveries(&webhook.id) class="button secondary small">"Deliveries"</a>
                <a href=routes::webhook(&webhook.id) class="button secondary small">{if can_edit { "Edit" } else { "View" }}</a>
                {can_edit.then(|| view! {
                    <a href=routes::delete_webhook(&webhook.id) class="button danger-outline small" on:click=open_confirm>"Delete"</a>
                })}
            </td>
        </tr>
    }
}

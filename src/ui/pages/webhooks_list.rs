//! Administration / Channels / Feedback webhook settings: every webhook of the sandbox.

use crate::api::deliveries::load_webhook_health;
use crate::api::webhooks::list_webhooks;
use crate::i18n::messages::stored_text;
use crate::i18n::{td_string, use_locale};
use crate::model::history::WebhookHealth;
use crate::model::Role;
use crate::model::{routes, WebhookSummary};
use crate::ui::components::confirm_delete::{ConfirmDelete, DeleteWebhookLink};
use crate::ui::components::health::{latency, success_rate};
use crate::ui::components::labels::channel_label;
use crate::ui::components::layout::{Breadcrumb, ForRole};
use crate::ui::components::problem::problem;
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use std::collections::HashMap;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let locale = use_locale();
    let list = Resource::new(|| (), |_| list_webhooks());
    let health = Resource::new(|| (), |_| load_webhook_health(None));
    let query = use_query_map();
    view! {
        <Breadcrumb/>
        <div class="page-head">
            <div>
                <h1>{td_string!(locale, webhooks.title)}</h1>
                <p class="muted">{td_string!(locale, webhooks.intro)}</p>
            </div>
            <ForRole role=Role::Editor>
                <a class="button primary" href=routes::NEW_WEBHOOK>{td_string!(locale, webhooks.create)}</a>
            </ForRole>
        </div>
        <Transition fallback=move || view! { <p class="loading">{td_string!(locale, webhooks.loading)}</p> }>
            {move || Suspend::new(async move {
                // Health is a bonus: the list shows without it.
                let health: HashMap<String, WebhookHealth> =
                    health.await.map(|h| h.into_iter().collect()).unwrap_or_default();
                match list.await {
                    Ok(list) => {
                        let saved = query.read_untracked().get("saved");
                        let deleted = query.read_untracked().get("deleted");
                        let notice = match saved.and_then(|id| list.items.iter().find(|w| w.id == id)) {
                            Some(webhook) => Some(td_string!(locale, webhooks.saved, name = webhook.name.clone()).to_string()),
                            None => deleted.map(|name| td_string!(locale, webhooks.deleted, name).to_string()),
                        };
                        view! { <WebhookTable items=list.items can_edit=list.can_edit notice health/> }.into_any()
                    }
                    Err(error) => view! { <p class="banner error">{problem(&error)}</p> }.into_any(),
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
    let locale = use_locale();
    let notice = notice.map(|n| view! { <p class="banner success" role="status">{n}</p> });
    if items.is_empty() {
        return view! {
            {notice}
            <div class="empty-state">
                <h2>{td_string!(locale, webhooks.empty_title)}</h2>
                <p>{td_string!(locale, webhooks.empty_text)}</p>
                {can_edit.then(|| view! {
                    <a class="button primary" href=routes::NEW_WEBHOOK>{td_string!(locale, webhooks.create_first)}</a>
                })}
            </div>
        }
        .into_any();
    }
    view! {
        {notice}
            <div class="table-wrap">
                <table class="webhooks">
                    <thead>
                        <tr>
                            <th scope="col">{td_string!(locale, webhooks.col_name)}</th>
                            <th scope="col">{td_string!(locale, webhooks.col_channels)}</th>
                            <th scope="col">{td_string!(locale, webhooks.col_url)}</th>
                            <th scope="col">{td_string!(locale, webhooks.col_auth)}</th>
                            <th scope="col">{td_string!(locale, webhooks.col_status)}</th>
                            <th scope="col">{td_string!(locale, webhooks.col_health)}</th>
                            <th scope="col">{td_string!(locale, webhooks.col_updated)}</th>
                            <th scope="col"><span class="visually-hidden">{td_string!(locale, webhooks.col_actions)}</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {items.into_iter().map(|webhook| view! {
                            <WebhookRow health=health.get(&webhook.id).cloned() webhook can_edit/>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        {can_edit.then(|| view! { <ConfirmDelete/> })}
    }
    .into_any()
}

#[component]
fn WebhookRow(
    health: Option<WebhookHealth>,
    webhook: WebhookSummary,
    can_edit: bool,
) -> impl IntoView {
    let locale = use_locale();
    let channels = webhook
        .channels
        .iter()
        .map(|c| view! { <span class="chip">{channel_label(*c)}</span> })
        .collect_view();
    let auth = webhook
        .jwt_algorithm
        .map(|a| td_string!(locale, webhooks.auth_jwt, algorithm = a.as_str()).to_string())
        .unwrap_or_else(|| td_string!(locale, webhooks.auth_none).to_string());
    view! {
        <tr>
            <td data-label=td_string!(locale, webhooks.col_name)><a class="row-link" href=routes::webhook(&webhook.id)>{webhook.name.clone()}</a></td>
            <td data-label=td_string!(locale, webhooks.col_channels)>{channels}</td>
            <td data-label=td_string!(locale, webhooks.col_url) class="url"><code title=webhook.url.clone()>{webhook.url.clone()}</code></td>
            <td data-label=td_string!(locale, webhooks.col_auth)>{auth}</td>
            <td data-label=td_string!(locale, webhooks.col_status)>
                {if webhook.enabled {
                    view! { <span class="status enabled">{td_string!(locale, webhooks.enabled)}</span> }.into_any()
                } else {
                    view! { <span class="status disabled" title=webhook.disabled_reason.as_deref().map(|reason| stored_text(reason, locale)).unwrap_or_default()>{td_string!(locale, webhooks.disabled)}</span> }.into_any()
                }}
            </td>
            <td data-label=td_string!(locale, webhooks.col_health) class="nowrap health-cell">
                {match health.filter(|h| h.attempts > 0) {
                    Some(health) => view! {
                        <span class="success-rate">{success_rate(&health, locale)}</span>
                        <span class="muted">" · p95 " {latency(health.p95_ms, locale)}</span>
                    }.into_any(),
                    None => view! { <span class="muted">{td_string!(locale, webhooks.no_attempts)}</span> }.into_any(),
                }}
            </td>
            <td data-label=td_string!(locale, webhooks.col_updated) class="nowrap">
                <Timestamp at=webhook.updated_at.clone()/>
            </td>
            <td class="row-actions">
                <a href=routes::webhook_deliveries(&webhook.id) class="button secondary small">{td_string!(locale, webhooks.deliveries)}</a>
                <a href=routes::webhook(&webhook.id) class="button secondary small">{if can_edit { td_string!(locale, webhooks.edit) } else { td_string!(locale, webhooks.view) }}</a>
                {can_edit.then(|| view! {
                    <DeleteWebhookLink id=webhook.id.clone() name=webhook.name.clone() class="button danger-outline small">
                        {td_string!(locale, webhooks.delete)}
                    </DeleteWebhookLink>
                })}
            </td>
        </tr>
    }
}

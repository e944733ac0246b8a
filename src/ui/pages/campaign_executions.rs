//! Executions of a campaign: per requestId, its recipients and each message's feedback events.

use crate::api::deliveries::list_executions;
use crate::i18n::{td_string, use_locale};
use crate::model::history::{ExecutionPage, ExecutionView, MessageView};
use crate::model::routes;
use crate::ui::components::delivery_state::StateBadge;
use crate::ui::components::labels::event_label;
use crate::ui::components::layout::{Crumbs, Section};
use crate::ui::components::problem::problem;
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn CampaignExecutionsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let page = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                query.read().get("before"),
            )
        },
        |(id, before)| list_executions(id, before),
    );
    let locale = use_locale();
    view! {
        <Crumbs section=Section::Campaigns current=td_string!(locale, executions.title)/>
        <Transition fallback=move || view! { <p class="loading">{td_string!(locale, executions.loading)}</p> }>
            {move || Suspend::new(async move {
                let id = params.read_untracked().get("id").unwrap_or_default();
                let paged = query.read_untracked().get("before").is_some();
                match page.await {
                    Ok(page) => view! { <Executions page id paged/> }.into_any(),
                    Err(error) => view! {
                        <h1>{td_string!(locale, executions.title)}</h1>
                        <p class="banner error" role="alert">{problem(&error)}</p>
                        <a class="button secondary" href=routes::CAMPAIGNS>{td_string!(locale, executions.back)}</a>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Executions(page: ExecutionPage, id: String, paged: bool) -> impl IntoView {
    let locale = use_locale();
    let base = routes::campaign_executions(&id);
    let older = page
        .older
        .clone()
        .map(|before| format!("{base}?before={before}"));
    let empty = page.executions.is_empty();
    view! {
        <div class="page-head">
            <div>
                <h1>{td_string!(locale, executions.of_before)} {page.campaign_name.clone()} {td_string!(locale, executions.of_after)}</h1>
                <p class="muted">{td_string!(locale, executions.intro)}</p>
            </div>
            <a class="button secondary" href=routes::campaign(&id)>{td_string!(locale, executions.settings)}</a>
        </div>
        {if empty {
            view! {
                <div class="empty-state">
                    <h2>{td_string!(locale, executions.empty_title)}</h2>
                    <p>{td_string!(locale, executions.empty_call)} <code>"POST /im/executions/unitary"</code> {td_string!(locale, executions.empty_while)}</p>
                </div>
            }.into_any()
        } else {
            page.executions.into_iter().map(|execution| view! { <ExecutionCard execution/> }).collect_view().into_any()
        }}
        <nav class="pager" aria-label=td_string!(locale, executions.pages)>
            {paged.then(|| view! { <a class="button secondary small" href=base.clone()>{td_string!(locale, executions.newest)}</a> })}
            {older.map(|href| view! { <a class="button secondary small" href=href>{td_string!(locale, executions.older)}</a> })}
        </nav>
    }
}

#[component]
fn ExecutionCard(execution: ExecutionView) -> impl IntoView {
    let locale = use_locale();
    let search = format!(
        "{}?search={}",
        routes::DELIVERIES,
        crate::model::history::encode(&execution.request_id)
    );
    view! {
        <section class="form-section execution">
            <div class="section-head">
                <h2><code>{execution.request_id.clone()}</code></h2>
                <span class="muted"><Timestamp at=execution.created_at.clone()/></span>
                <a class="button secondary small" href=search>{td_string!(locale, executions.deliveries)}</a>
            </div>
            <table class="messages">
                <thead>
                    <tr>
                        <th scope="col">{td_string!(locale, executions.recipient)}</th>
                        <th scope="col">"messageExecutionID"</th>
                        <th scope="col">{td_string!(locale, executions.events)}</th>
                    </tr>
                </thead>
                <tbody>
                    {execution.messages.into_iter().map(|message| view! { <MessageRow message/> }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn MessageRow(message: MessageView) -> impl IntoView {
    let locale = use_locale();
    let events = if message.events.is_empty() {
        view! { <span class="muted">{td_string!(locale, executions.none_yet)}</span> }.into_any()
    } else {
        message
            .events
            .into_iter()
            .map(|event| {
                let deliveries = if event.deliveries.is_empty() {
                    view! { <span class="muted" title=td_string!(locale, executions.no_webhook)>{td_string!(locale, executions.not_delivered)}</span> }.into_any()
                } else {
                    event
                        .deliveries
                        .into_iter()
                        .map(|(id, state)| view! {
                            " " <a href=routes::delivery(&id)><StateBadge state/></a>
                        })
                        .collect_view()
                        .into_any()
                };
                view! {
                    <li>
                        <span class="chip">{event_label(&event.event)}</span>
                        " " <Timestamp at=event.created_at/>
                        {deliveries}
                    </li>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <tr>
            <td data-label=td_string!(locale, executions.recipient)><code>{message.recipient}</code> " " <span class="muted">{message.namespace}</span></td>
            <td data-label="messageExecutionID"><code>{message.message_execution_id}</code></td>
            <td data-label=td_string!(locale, executions.events)><ul class="events">{events}</ul></td>
        </tr>
    }
}

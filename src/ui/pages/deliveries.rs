//! Delivery history: every delivery of the sandbox, or of one webhook, newest first, filtered,
//! a page at a time, updating live while the first page is open.

use crate::api::deliveries::{
    count_failed_since, delivery_queue, list_deliveries, ResendFailedSince,
};
use crate::error::AppError;
use crate::i18n::format::{count, wait};
use crate::i18n::{td_string, use_locale};
use crate::model::history::{
    query_string, BulkResend as BulkResendCount, DeliveryPage, DeliveryQuery, DeliveryRow,
    DeliveryState, QueueSummary,
};
use crate::model::routes;
use crate::ui::components::delivery_state::{last_result, StateBadge};
use crate::ui::components::interactive::preload_lazy_island;
use crate::ui::components::labels::state_label;
use crate::ui::components::layout::{Crumbs, Section};
use crate::ui::components::live::poll_while;
use crate::ui::components::problem::problem;
use crate::ui::components::time::{written_time, Timestamp};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::time::Duration;

/// How often an open first page looks for new deliveries.
const LIVE_EVERY: Duration = Duration::from_secs(3);

const FILTER_KEYS: [&str; 8] = [
    "webhook", "state", "event", "channel", "from", "to", "search", "before",
];

/// Administration › Channels › Delivery history: the whole sandbox.
#[component]
pub fn DeliveriesPage() -> impl IntoView {
    view! { <DeliveryHistory webhook=Signal::derive(|| None)/> }
}

/// One webhook's deliveries, from its row and its form.
#[component]
pub fn WebhookDeliveriesPage() -> impl IntoView {
    let params = use_params_map();
    view! { <DeliveryHistory webhook=Signal::derive(move || params.read().get("id"))/> }
}

#[component]
fn DeliveryHistory(webhook: Signal<Option<String>>) -> impl IntoView {
    let locale = use_locale();
    let address = use_query_map();
    let query = Memo::new(move |_| {
        let address = address.read();
        let values: Vec<(&str, String)> = FILTER_KEYS
            .iter()
            .filter_map(|key| address.get(key).map(|value| (*key, value)))
            .collect();
        let mut query =
            DeliveryQuery::from_pairs(values.iter().map(|(key, value)| (*key, value.as_str())));
        if let Some(webhook) = webhook.get() {
            query.webhook = Some(webhook);
        }
        query
    });
    let resend_since = move || address.read().get("resend_since");
    let page = Resource::new(move || query.get(), |query| list_deliveries(Some(query)));
    // Every resource of the page is made here, before anything is awaited (a resource made
    // inside a `Suspend` is made only once the data before it arrived).
    let queue = Resource::new(move || webhook.get().is_none(), queue_if);
    // The bulk resend's count, when the address asks for one.
    let count = Resource::new(move || (webhook.get(), resend_since()), count_if);
    let on_webhook = move || webhook.get().is_some();
    view! {
        {move || if on_webhook() {
            view! { <Crumbs section=Section::WebhookSettings current=td_string!(locale, deliveries.title_one)/> }.into_any()
        } else {
            view! { <Crumbs section=Section::DeliveryHistory/> }.into_any()
        }}
        <Suspense fallback=move || view! { <p class="loading">{td_string!(locale, deliveries.loading)}</p> }>
            {move || Suspend::new(async move {
                let query = query.get_untracked();
                let (queue, count) = (queue.await, count.await);
                match page.await {
                    Ok(page) => {
                        let resent_count = address.read_untracked().get("resent_count");
                        view! { <LiveHistory page query queue count resent_count resend_since=resend_since()/> }.into_any()
                    }
                    Err(error) => view! {
                        <h1>{td_string!(locale, deliveries.title_one)}</h1>
                        <p class="banner error" role="alert">{problem(&error)}</p>
                        <a class="button secondary" href=routes::DELIVERIES>{td_string!(locale, deliveries.all)}</a>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The queue of the whole sandbox; none on one webhook's page.
async fn queue_if(whole_sandbox: bool) -> Option<QueueSummary> {
    match whole_sandbox {
        true => delivery_queue().await.ok(),
        false => None,
    }
}

/// How many failed deliveries of `webhook` a bulk resend since `since` would queue, when asked.
async fn count_if(
    (webhook, since): (Option<String>, Option<String>),
) -> Option<Result<BulkResendCount, AppError>> {
    match (webhook, since) {
        (Some(webhook), Some(since)) => Some(count_failed_since(webhook, since).await),
        _ => None,
    }
}

/// The history as the server drew it; the first page looks again for new deliveries (with the
/// queue and the bulk resend's count) while it is open, and after a bulk resend.
#[island(lazy)]
fn LiveHistory(
    page: DeliveryPage,
    query: DeliveryQuery,
    queue: Option<QueueSummary>,
    count: Option<Result<BulkResendCount, AppError>>,
    resent_count: Option<String>,
    resend_since: Option<String>,
) -> impl IntoView {
    preload_lazy_island("live_history");
    let page = RwSignal::new(page);
    let queue = RwSignal::new(queue);
    let count = RwSignal::new(count);
    let resend = ServerAction::<ResendFailedSince>::new();
    let look_again = {
        let (query, since) = (query.clone(), resend_since.clone());
        move || {
            let (query, since) = (query.clone(), since.clone());
            leptos::task::spawn_local(async move {
                let whole_sandbox = query.webhook.is_none();
                let webhook = query.webhook.clone();
                if let Ok(fresh) = list_deliveries(Some(query)).await {
                    page.set(fresh);
                }
                queue.set(queue_if(whole_sandbox).await);
                count.set(count_if((webhook, since)).await);
            });
        }
    };
    Effect::new({
        let look_again = look_again.clone();
        move |_| {
            if let Some(Ok(_)) = resend.value().get() {
                look_again();
            }
        }
    });
    // Only the first page moves: older pages stay put under new deliveries.
    let first_page = query.before.is_none();
    poll_while(LIVE_EVERY, move || first_page, look_again);
    view! {
        {move || view! {
            <HistoryBody page=page.get() query=query.clone() queue count resend
                resent_count=resent_count.clone() resend_since=resend_since.clone()/>
        }}
    }
}

#[component]
fn HistoryBody(
    page: DeliveryPage,
    query: DeliveryQuery,
    queue: RwSignal<Option<QueueSummary>>,
    count: RwSignal<Option<Result<BulkResendCount, AppError>>>,
    resend: ServerAction<ResendFailedSince>,
    resent_count: Option<String>,
    resend_since: Option<String>,
) -> impl IntoView {
    let locale = use_locale();
    let webhook = query.webhook.clone();
    let title = match &page.webhook_name {
        Some(name) => td_string!(locale, deliveries.title_of, name = name.clone()).to_string(),
        None => td_string!(locale, deliveries.title_all).to_string(),
    };
    let base = match &webhook {
        Some(id) => routes::webhook_deliveries(id),
        None => routes::DELIVERIES.to_string(),
    };
    let newest = query.first_page();
    let newest_href = format!("{base}{}", newest.to_query_string());
    let older_label = if page.partial {
        td_string!(locale, deliveries.further_back)
    } else {
        td_string!(locale, deliveries.older)
    };
    let older_href = page.older.clone().map(|before| {
        let older = DeliveryQuery {
            before: Some(before),
            ..query.clone()
        };
        format!("{base}{}", older.to_query_string())
    });
    let export_href = |format: &str| {
        let mut pairs = vec![("format", format.to_string())];
        if let Some(id) = &webhook {
            pairs.push(("webhook", id.clone()));
        }
        pairs.extend(newest.to_pairs());
        format!("{}{}", routes::DELIVERIES_EXPORT, query_string(pairs))
    };
    let live = query.before.is_none();
    let can_edit = page.can_edit;
    let filtered = query.is_filtered();
    let partial = page.partial;
    let rows = page.rows.clone();
    let show_webhook = webhook.is_none();
    view! {
        <div class="page-head">
            <div>
                <h1>{title}</h1>
                <p class="muted">
                    {td_string!(locale, deliveries.intro)}
                    {if live {
                        view! { <span class="live" aria-live="off">{td_string!(locale, deliveries.live)}</span> }.into_any()
                    } else {
                        view! { <span>{td_string!(locale, deliveries.older_page)}</span> }.into_any()
                    }}
                </p>
            </div>
            <div class="head-actions">
                {webhook.clone().map(|id| view! { <a class="button secondary" href=routes::webhook(&id)>{td_string!(locale, deliveries.webhook_settings)}</a> })}
                <a class="button secondary" href=export_href("csv") download="" rel="external">{td_string!(locale, deliveries.export_csv)}</a>
                <a class="button secondary" href=export_href("jsonl") download="" rel="external">{td_string!(locale, deliveries.export_jsonl)}</a>
            </div>
        </div>
        {resent_count.map(|count| view! { <p class="banner success" role="status">{td_string!(locale, deliveries.queued, count).to_string()}</p> })}
        {show_webhook.then(|| view! { <QueueState queue/> })}
        <Filters query=query.clone() base=base.clone() webhooks=page.webhooks.clone() show_webhook/>
        {match (webhook.clone(), can_edit) {
            (Some(id), true) => Some(view! { <BulkResend webhook=id since=resend_since base=base.clone() count resend/> }),
            _ => None,
        }}
        {if rows.is_empty() {
            view! {
                <div class="empty-state">
                    <h2>{match (partial, filtered) {
                        (true, _) => td_string!(locale, deliveries.no_match_looked),
                        (false, true) => td_string!(locale, deliveries.no_match),
                        (false, false) => td_string!(locale, deliveries.none_yet),
                    }}</h2>
                    <p>{if filtered {
                        td_string!(locale, deliveries.widen)
                    } else {
                        td_string!(locale, deliveries.appear)
                    }}</p>
                </div>
            }.into_any()
        } else {
            view! { <DeliveryTable rows show_webhook/> }.into_any()
        }}
        <nav class="pager" aria-label=td_string!(locale, deliveries.pages)>
            {page.partial.then(|| view! {
                <span class="muted">{td_string!(locale, deliveries.bounded)}</span>
            })}
            {query.before.is_some().then(|| view! { <a class="button secondary small" href=newest_href>{td_string!(locale, deliveries.newest)}</a> })}
            {older_href.map(|href| view! { <a class="button secondary small" href=href>{older_label}</a> })}
        </nav>
    }
}

/// The sandbox's queue now, refreshed with the list: what is due and how long the oldest has
/// waited, what is being sent, what waits for a retry.
#[component]
fn QueueState(queue: RwSignal<Option<QueueSummary>>) -> impl IntoView {
    move || queue.get().map(|queue| view! { <QueueLine queue/> })
}

#[component]
fn QueueLine(queue: QueueSummary) -> impl IntoView {
    let locale = use_locale();
    let waited = queue.oldest_due_secs.filter(|_| queue.due > 0).map(|secs| {
        td_string!(locale, deliveries.oldest_for, wait = wait(secs, locale)).to_string()
    });
    let late = queue.oldest_due_secs.is_some_and(|secs| secs >= 60);
    view! {
        <section class="queue-state" class:late=late aria-label=td_string!(locale, deliveries.queue_now)>
            <h2>{td_string!(locale, deliveries.queue_now)}</h2>
            <dl>
                <div><dt>{td_string!(locale, deliveries.due)}</dt><dd>{count(queue.due, queue.is_capped(queue.due), locale)}<span class="muted">{waited}</span></dd></div>
                <div><dt>{td_string!(locale, deliveries.being_sent)}</dt><dd>{count(queue.in_flight, queue.is_capped(queue.in_flight), locale)}</dd></div>
                <div><dt>{td_string!(locale, deliveries.waiting_retry)}</dt><dd>{count(queue.retrying, queue.is_capped(queue.retrying), locale)}</dd></div>
            </dl>
        </section>
    }
}

#[component]
fn Filters(
    query: DeliveryQuery,
    base: String,
    webhooks: Vec<(String, String)>,
    show_webhook: bool,
) -> impl IntoView {
    let locale = use_locale();
    let option = |value: &str, label: &str, current: &Option<String>| {
        let selected = current.as_deref() == Some(value);
        view! { <option value=value.to_string() selected=selected>{label.to_string()}</option> }
    };
    let states: Vec<_> = DeliveryState::ALL
        .into_iter()
        .map(|state| option(state.as_str(), state_label(state), &query.state))
        .collect();
    let events: Vec<_> = [
        ("sent", td_string!(locale, webhook.sent)),
        ("delivered", td_string!(locale, webhook.delivered)),
        ("bounce", td_string!(locale, webhook.bounce)),
        ("error", td_string!(locale, webhook.error)),
    ]
    .into_iter()
    .map(|(value, label)| option(value, label, &query.event))
    .collect();
    let channels: Vec<_> = [
        ("email", td_string!(locale, webhook.email)),
        ("sms", td_string!(locale, webhook.sms)),
    ]
    .into_iter()
    .map(|(value, label)| option(value, label, &query.channel))
    .collect();
    let webhook_options: Vec<_> = webhooks
        .iter()
        .map(|(id, name)| option(id, name, &query.webhook))
        .collect();
    let clear_href = base.clone();
    view! {
        <form class="filters" method="get" action=base role="search" aria-label=td_string!(locale, deliveries.filter)>
            {show_webhook.then(|| view! {
                <label class="filter">
                    <span>{td_string!(locale, deliveries.webhook)}</span>
                    <select name="webhook"><option value="">{td_string!(locale, deliveries.all_option)}</option>{webhook_options}</select>
                </label>
            })}
            <label class="filter">
                <span>{td_string!(locale, deliveries.state)}</span>
                <select name="state"><option value="">{td_string!(locale, deliveries.all_option)}</option>{states}</select>
            </label>
            <label class="filter">
                <span>{td_string!(locale, deliveries.event)}</span>
                <select name="event"><option value="">{td_string!(locale, deliveries.all_option)}</option>{events}</select>
            </label>
            <label class="filter">
                <span>{td_string!(locale, deliveries.channel)}</span>
                <select name="channel"><option value="">{td_string!(locale, deliveries.all_option)}</option>{channels}</select>
            </label>
            <label class="filter">
                <span>{td_string!(locale, deliveries.from)}</span>
                <input type="datetime-local" name="from" value=query.from.clone().unwrap_or_default()/>
            </label>
            <label class="filter">
                <span>{td_string!(locale, deliveries.to)}</span>
                <input type="datetime-local" name="to" value=query.to.clone().unwrap_or_default()/>
            </label>
            <label class="filter search">
                <span>{td_string!(locale, deliveries.search)}</span>
                <input type="search" name="search" value=query.search.clone().unwrap_or_default()
                    placeholder=td_string!(locale, deliveries.search_placeholder) autocomplete="off"/>
            </label>
            <div class="filter-actions">
                <button type="submit" class="primary small">{td_string!(locale, deliveries.apply)}</button>
                <a class="button secondary small" href=clear_href>{td_string!(locale, deliveries.clear)}</a>
            </div>
        </form>
    }
}

#[component]
fn DeliveryTable(rows: Vec<DeliveryRow>, show_webhook: bool) -> impl IntoView {
    let locale = use_locale();
    view! {
        <div class="table-wrap">
            <table class="deliveries">
                <thead>
                    <tr>
                        <th scope="col">{td_string!(locale, deliveries.event)}</th>
                        {show_webhook.then(|| view! { <th scope="col">{td_string!(locale, deliveries.webhook)}</th> })}
                        <th scope="col">{td_string!(locale, deliveries.ids)}</th>
                        <th scope="col">{td_string!(locale, deliveries.state)}</th>
                        <th scope="col">{td_string!(locale, deliveries.attempts)}</th>
                        <th scope="col">{td_string!(locale, deliveries.last_result)}</th>
                        <th scope="col">{td_string!(locale, deliveries.last_attempt)}</th>
                        <th scope="col">{td_string!(locale, deliveries.next_attempt)}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| view! { <DeliveryRowView row show_webhook/> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn DeliveryRowView(row: DeliveryRow, show_webhook: bool) -> impl IntoView {
    let locale = use_locale();
    let href = routes::delivery(&row.id);
    let result = last_result(&row);
    view! {
        <tr>
            <td data-label=td_string!(locale, deliveries.event)>
                <a class="row-link" href=href.clone()>{row.event.clone()}</a>
                " " <span class="chip">{row.channel.clone()}</span>
            </td>
            {show_webhook.then(|| view! { <td data-label=td_string!(locale, deliveries.webhook)>{row.webhook_name.clone()}</td> })}
            <td data-label=td_string!(locale, deliveries.ids) class="ids">
                <code>{row.request_id.clone()}</code>
                <code class="muted">{row.message_execution_id.clone()}</code>
            </td>
            <td data-label=td_string!(locale, deliveries.state)><StateBadge state=row.state/></td>
            <td data-label=td_string!(locale, deliveries.attempts)>{row.attempts}</td>
            <td data-label=td_string!(locale, deliveries.last_result)><code>{result}</code></td>
            <td data-label=td_string!(locale, deliveries.last_attempt) class="nowrap">
                {row.last_attempt_at.clone().map(|at| view! { <Timestamp at/> })}
            </td>
            <td data-label=td_string!(locale, deliveries.next_attempt) class="nowrap">
                {row.next_attempt_at.clone().map(|at| view! { <Timestamp at/> })}
            </td>
        </tr>
    }
}

/// "Resend all failed since …": the count first, then a confirmation.
#[component]
fn BulkResend(
    webhook: String,
    since: Option<String>,
    base: String,
    count: RwSignal<Option<Result<BulkResendCount, AppError>>>,
    resend: ServerAction<ResendFailedSince>,
) -> impl IntoView {
    let locale = use_locale();
    let open = since.is_some();
    let webhook_id = StoredValue::new(webhook);
    view! {
        <details class="bulk-resend" open=open>
            <summary>{td_string!(locale, deliveries.resend_failed)}</summary>
            <form method="get" action=base class="inline-form">
                <label>
                    <span>{td_string!(locale, deliveries.failed_since)}</span>
                    <input type="datetime-local" name="resend_since" required value=since.clone().unwrap_or_default()/>
                </label>
                <button type="submit" class="secondary small">{td_string!(locale, deliveries.count)}</button>
            </form>
            {open.then(|| view! {
                {move || {
                        match count.get() {
                            None => ().into_any(),
                            Some(Ok(found)) if found.count == 0 => view! {
                                <p class="hint" role="status">{td_string!(locale, deliveries.nothing_to_resend)}</p>
                            }.into_any(),
                            Some(Ok(found)) => {
                                let label = td_string!(locale, deliveries.resend_n, count = found.count).to_string();
                                view! {
                                    <p role="status">
                                        <strong>{found.count}</strong>
                                        {td_string!(locale, deliveries.will_retry, since = written_time(&found.since, locale)).to_string()}
                                    </p>
                                    <ActionForm action=resend>
                                        <input type="hidden" name="webhook" value=webhook_id.get_value()/>
                                        <input type="hidden" name="since" value=found.since.clone()/>
                                        <button type="submit" class="primary small" disabled=move || resend.pending().get()>{label}</button>
                                    </ActionForm>
                                }.into_any()
                            }
                            Some(Err(error)) => view! { <p class="banner error" role="alert">{problem(&error)}</p> }.into_any(),
                        }
                    }}
            })}
            {move || resend.value().get().map(|done| match done {
                Ok(done) => view! { <p class="banner success" role="status">{td_string!(locale, deliveries.queued, count = done.count).to_string()}</p> }.into_any(),
                Err(error) => view! { <p class="banner error" role="alert">{problem(&error)}</p> }.into_any(),
            })}
        </details>
    }
}

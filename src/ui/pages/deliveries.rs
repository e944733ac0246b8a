//! Delivery history: every delivery of the sandbox, or of one webhook, newest first, filtered,
//! a page at a time, updating live while the first page is open.

use crate::api::deliveries::{
    count_failed_since, delivery_queue, list_deliveries, ResendFailedSince,
};
use crate::error::AppError;
use crate::model::history::{
    query_string, wait_text, BulkResend as BulkResendCount, DeliveryPage, DeliveryQuery,
    DeliveryRow, DeliveryState, QueueSummary,
};
use crate::model::routes;
use crate::ui::components::delivery_state::{last_result, StateBadge};
use crate::ui::components::layout::Crumbs;
use crate::ui::components::live::poll_while;
use crate::ui::components::time::Timestamp;
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
    let tick = RwSignal::new(0u32);
    let page = Resource::new(
        move || (query.get(), tick.get()),
        |(query, _)| list_deliveries(Some(query)),
    );
    // Every resource of the page is made here, before anything is awaited: one made inside a
    // `Suspend` gets its hydration id only once the data before it has arrived, which the
    // browser may see in another order than the server did; it then reads another resource's
    // value and the page panics while hydrating (seen with the bulk resend's count).
    // Made here, beside the list, so each refresh of the list's body reads the same one.
    let queue = Resource::new(
        move || (webhook.get().is_none(), tick.get()),
        |(whole_sandbox, _)| async move {
            match whole_sandbox {
                true => delivery_queue().await.ok(),
                false => None,
            }
        },
    );
    // The bulk resend's count, when the address asks for one; counted again with the list.
    let count = Resource::new(
        move || {
            (
                webhook.get(),
                address.read().get("resend_since"),
                tick.get(),
            )
        },
        |(webhook, since, _)| async move {
            match (webhook, since) {
                (Some(webhook), Some(since)) => Some(count_failed_since(webhook, since).await),
                _ => None,
            }
        },
    );
    // Made here too: the list refreshes after a bulk resend, and its body (with the resend
    // form) is made anew, while what the resend answered must stay on screen.
    let resend = ServerAction::<ResendFailedSince>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = resend.value().get() {
            tick.update(|n| *n += 1);
        }
    });
    // Only the first page moves: older pages stay put under new deliveries.
    poll_while(
        LIVE_EVERY,
        move || query.with_untracked(|q| q.before.is_none()),
        move || tick.update(|n| *n += 1),
    );
    let on_webhook = move || webhook.get().is_some();
    view! {
        {move || if on_webhook() {
            view! { <Crumbs parents=&["Administration", "Channels"] section=("Feedback webhook settings", routes::WEBHOOKS) current="Deliveries"/> }.into_any()
        } else {
            view! { <Crumbs parents=&["Administration", "Channels"] section=("Delivery history", routes::DELIVERIES)/> }.into_any()
        }}
        <Transition fallback=|| view! { <p class="loading">"Loading deliveries…"</p> }>
            {move || Suspend::new(async move {
                let query = query.get_untracked();
                match page.await {
                    Ok(page) => view! { <HistoryBody page query queue count resend/> }.into_any(),
                    Err(error) => view! {
                        <h1>"Deliveries"</h1>
                        <p class="banner error" role="alert">{error.to_string()}</p>
                        <a class="button secondary" href=routes::DELIVERIES>"All deliveries"</a>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn HistoryBody(
    page: DeliveryPage,
    query: DeliveryQuery,
    queue: Resource<Option<QueueSummary>>,
    count: Resource<Option<Result<BulkResendCount, AppError>>>,
    resend: ServerAction<ResendFailedSince>,
) -> impl IntoView {
    let address = use_query_map();
    let webhook = query.webhook.clone();
    let title = match &page.webhook_name {
        Some(name) => format!("Deliveries of “{name}”"),
        None => "Delivery history".to_string(),
    };
    let base = match &webhook {
        Some(id) => routes::webhook_deliveries(id),
        None => routes::DELIVERIES.to_string(),
    };
    let newest = query.first_page();
    let newest_href = format!("{base}{}", newest.to_query_string());
    let older_label = if page.partial {
        "Look further back →"
    } else {
        "Older →"
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
    let resent_count = address.read_untracked().get("resent_count");
    let resend_since = address.read_untracked().get("resend_since");
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
                    "One row per delivery of a feedback event to a webhook, newest first. "
                    {if live {
                        view! { <span class="live" aria-live="off">"Live: new deliveries appear as they happen."</span> }.into_any()
                    } else {
                        view! { <span>"An older page: it does not update."</span> }.into_any()
                    }}
                </p>
            </div>
            <div class="head-actions">
                {webhook.clone().map(|id| view! { <a class="button secondary" href=routes::webhook(&id)>"Webhook settings"</a> })}
                <a class="button secondary" href=export_href("csv") download="" rel="external">"Export CSV"</a>
                <a class="button secondary" href=export_href("jsonl") download="" rel="external">"Export JSON Lines"</a>
            </div>
        </div>
        {resent_count.map(|count| view! { <p class="banner success" role="status">{format!("Queued {count} failed deliveries for a new attempt.")}</p> })}
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
                        (true, _) => "No match among the deliveries looked at",
                        (false, true) => "No delivery matches these filters",
                        (false, false) => "No deliveries yet",
                    }}</h2>
                    <p>{if filtered {
                        "Widen the time range or clear a filter. Search matches a whole requestId, messageExecutionID or recipient address."
                    } else {
                        "Deliveries appear here as soon as an executed campaign reports feedback to a webhook."
                    }}</p>
                </div>
            }.into_any()
        } else {
            view! { <DeliveryTable rows show_webhook/> }.into_any()
        }}
        <nav class="pager" aria-label="Pages">
            {page.partial.then(|| view! {
                <span class="muted">"These filters look through a bounded number of deliveries per page; older matches may follow. "</span>
            })}
            {query.before.is_some().then(|| view! { <a class="button secondary small" href=newest_href>"← Newest"</a> })}
            {older_href.map(|href| view! { <a class="button secondary small" href=href>{older_label}</a> })}
        </nav>
    }
}

/// The sandbox's queue now, refreshed with the list: what is due and how long the oldest has
/// waited, what is being sent, what waits for a retry.
#[component]
fn QueueState(queue: Resource<Option<QueueSummary>>) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                queue.await.map(|queue| view! { <QueueLine queue/> })
            })}
        </Transition>
    }
}

#[component]
fn QueueLine(queue: QueueSummary) -> impl IntoView {
    let waited = queue
        .oldest_due_secs
        .filter(|_| queue.due > 0)
        .map(|secs| format!(", the oldest for {}", wait_text(secs)));
    let late = queue.oldest_due_secs.is_some_and(|secs| secs >= 60);
    view! {
        <section class="queue-state" class:late=late aria-label="Queue now">
            <h2>"Queue now"</h2>
            <dl>
                <div><dt>"Due"</dt><dd>{queue.count(queue.due)}<span class="muted">{waited}</span></dd></div>
                <div><dt>"Being sent"</dt><dd>{queue.count(queue.in_flight)}</dd></div>
                <div><dt>"Waiting to retry"</dt><dd>{queue.count(queue.retrying)}</dd></div>
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
    let option = |value: &str, label: &str, current: &Option<String>| {
        let selected = current.as_deref() == Some(value);
        view! { <option value=value.to_string() selected=selected>{label.to_string()}</option> }
    };
    let states: Vec<_> = DeliveryState::ALL
        .into_iter()
        .map(|state| option(state.as_str(), state.label(), &query.state))
        .collect();
    let events: Vec<_> = [
        ("sent", "Sent"),
        ("delivered", "Delivered"),
        ("bounce", "Bounce"),
        ("error", "Error"),
    ]
    .into_iter()
    .map(|(value, label)| option(value, label, &query.event))
    .collect();
    let channels: Vec<_> = [("email", "Email"), ("sms", "SMS")]
        .into_iter()
        .map(|(value, label)| option(value, label, &query.channel))
        .collect();
    let webhook_options: Vec<_> = webhooks
        .iter()
        .map(|(id, name)| option(id, name, &query.webhook))
        .collect();
    let clear_href = base.clone();
    view! {
        <form class="filters" method="get" action=base role="search" aria-label="Filter deliveries">
            {show_webhook.then(|| view! {
                <label class="filter">
                    <span>"Webhook"</span>
                    <select name="webhook"><option value="">"All"</option>{webhook_options}</select>
                </label>
            })}
            <label class="filter">
                <span>"State"</span>
                <select name="state"><option value="">"All"</option>{states}</select>
            </label>
            <label class="filter">
                <span>"Event"</span>
                <select name="event"><option value="">"All"</option>{events}</select>
            </label>
            <label class="filter">
                <span>"Channel"</span>
                <select name="channel"><option value="">"All"</option>{channels}</select>
            </label>
            <label class="filter">
                <span>"From (UTC)"</span>
                <input type="datetime-local" name="from" value=query.from.clone().unwrap_or_default()/>
            </label>
            <label class="filter">
                <span>"To (UTC)"</span>
                <input type="datetime-local" name="to" value=query.to.clone().unwrap_or_default()/>
            </label>
            <label class="filter search">
                <span>"Search"</span>
                <input type="search" name="search" value=query.search.clone().unwrap_or_default()
                    placeholder="requestId, messageExecutionID or recipient" autocomplete="off"/>
            </label>
            <div class="filter-actions">
                <button type="submit" class="primary small">"Apply"</button>
                <a class="button secondary small" href=clear_href>"Clear"</a>
            </div>
        </form>
    }
}

#[component]
fn DeliveryTable(rows: Vec<DeliveryRow>, show_webhook: bool) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="deliveries">
                <thead>
                    <tr>
                        <th scope="col">"Event"</th>
                        {show_webhook.then(|| view! { <th scope="col">"Webhook"</th> })}
                        <th scope="col">"requestId / messageExecutionID"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Attempts"</th>
                        <th scope="col">"Last result"</th>
                        <th scope="col">"Last attempt"</th>
                        <th scope="col">"Next attempt"</th>
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
    let href = routes::delivery(&row.id);
    let result = last_result(&row);
    view! {
        <tr>
            <td data-label="Event">
                <a class="row-link" href=href.clone()>{row.event.clone()}</a>
                " " <span class="chip">{row.channel.clone()}</span>
            </td>
            {show_webhook.then(|| view! { <td data-label="Webhook">{row.webhook_name.clone()}</td> })}
            <td data-label="requestId / messageExecutionID" class="ids">
                <code>{row.request_id.clone()}</code>
                <code class="muted">{row.message_execution_id.clone()}</code>
            </td>
            <td data-label="State"><StateBadge state=row.state/></td>
            <td data-label="Attempts">{row.attempts}</td>
            <td data-label="Last result"><code>{result}</code></td>
            <td data-label="Last attempt" class="nowrap">
                {row.last_attempt_at.clone().map(|at| view! { <Timestamp at/> })}
            </td>
            <td data-label="Next attempt" class="nowrap">
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
    count: Resource<Option<Result<BulkResendCount, AppError>>>,
    resend: ServerAction<ResendFailedSince>,
) -> impl IntoView {
    let open = since.is_some();
    let webhook_id = StoredValue::new(webhook);
    view! {
        <details class="bulk-resend" open=open>
            <summary>"Resend failed deliveries"</summary>
            <form method="get" action=base class="inline-form">
                <label>
                    <span>"Failed deliveries created since (UTC)"</span>
                    <input type="datetime-local" name="resend_since" required value=since.clone().unwrap_or_default()/>
                </label>
                <button type="submit" class="secondary small">"Count"</button>
            </form>
            {open.then(|| view! {
                <Suspense fallback=|| view! { <p class="loading">"Counting…"</p> }>
                    {move || Suspend::new(async move {
                        match count.await {
                            None => ().into_any(),
                            Some(Ok(found)) if found.count == 0 => view! {
                                <p class="hint" role="status">"No failed delivery since then: nothing to resend."</p>
                            }.into_any(),
                            Some(Ok(found)) => {
                                let label = format!("Resend {} deliveries", found.count);
                                view! {
                                    <p role="status">
                                        <strong>{found.count}</strong>
                                        " failed deliveries created since " {found.since.replace('T', " ")} " UTC will get a new attempt now."
                                    </p>
                                    <ActionForm action=resend>
                                        <input type="hidden" name="webhook" value=webhook_id.get_value()/>
                                        <input type="hidden" name="since" value=found.since.clone()/>
                                        <button type="submit" class="primary small" disabled=move || resend.pending().get()>{label}</button>
                                    </ActionForm>
                                }.into_any()
                            }
                            Some(Err(error)) => view! { <p class="banner error" role="alert">{error.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            })}
            {move || resend.value().get().map(|done| match done {
                Ok(done) => view! { <p class="banner success" role="status">{format!("Queued {} failed deliveries for a new attempt.", done.count)}</p> }.into_any(),
                Err(error) => view! { <p class="banner error" role="alert">{error.to_string()}</p> }.into_any(),
            })}
        </details>
    }
}

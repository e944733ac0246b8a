//! The delivery history: filters read from an address, rows and details as people see them,
//! resends, webhook health, campaign executions and the streamed export.

use crate::error::AppError;
use crate::model::explain_outcome;
use crate::model::feedback::FeedbackStatus;
use crate::model::history::*;
use crate::model::message::{Message, Thing};
use crate::model::Channel;
use crate::server::audit::enabled_fields;
use crate::server::auth::internal;
use crate::server::state::AppState;
use crate::server::storage::*;
use crate::server::webhooks::format_ms;
use std::collections::HashMap;
use uuid::Uuid;

/// Rows of one page of the deliveries list.
pub const PAGE_SIZE: i64 = 50;
/// Rows read per query by the export.
const EXPORT_PAGE: i64 = 1_000;
/// Deliveries one export holds at most, the newest the filter matches: older ones are
/// exported with a narrower time range.
pub const EXPORT_MAX_ROWS: usize = 100_000;
/// Deliveries queued per statement by a bulk resend.
const RESEND_BATCH: i64 = 500;

/// A filter value that cannot be used, with the parameter it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct FilterProblem {
    pub field: &'static str,
    pub message: Message,
    /// Each value is well formed but together they ask for nothing (`to` before `from`).
    pub contradiction: bool,
}

impl From<FilterProblem> for AppError {
    fn from(problem: FilterProblem) -> Self {
        AppError::BadRequest(problem.message)
    }
}

/// `2026-11-28T10:30` as a `datetime-local` input sends it (seconds, a fraction and a trailing
/// `Z` allowed, or a bare date) as ms since the epoch, read as UTC; impossible dates are `None`.
pub fn parse_time_filter(text: &str) -> Option<i64> {
    use time::macros::format_description;
    if let Ok(at) =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
    {
        return Some((at.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let text = text.trim().trim_end_matches('Z');
    let formats = [
        format_description!("[year]-[month]-[day]T[hour]:[minute]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]"),
    ];
    let at = formats
        .iter()
        .find_map(|format| time::PrimitiveDateTime::parse(text, format).ok())
        .or_else(|| {
            time::Date::parse(text, format_description!("[year]-[month]-[day]"))
                .ok()
                .map(|date| date.midnight())
        })?;
    Some((at.assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
}

/// `<created_at ms>_<id>`: where the next (older) page of deliveries or executions starts.
pub fn cursor((at, id): (i64, Uuid)) -> String {
    format!("{at}_{id}")
}

/// Only the form [`cursor`] writes: digits, `_`, a hyphenated id (what the API documents).
pub fn parse_cursor(text: &str) -> Option<(i64, Uuid)> {
    let (at, id) = text.split_once('_')?;
    let digits = !at.is_empty() && at.len() <= 18 && at.bytes().all(|b| b.is_ascii_digit());
    if !digits || id.len() != 36 {
        return None;
    }
    Some((at.parse().ok()?, Uuid::parse_str(id).ok()?))
}

/// The store's filter for these address parameters, or what is wrong with one of them.
pub fn filter_of(query: &DeliveryQuery, limit: i64) -> Result<DeliveryFilter, FilterProblem> {
    let problem = |field: &'static str, message: Message| FilterProblem {
        field,
        message,
        contradiction: false,
    };
    let one_of = |field: &'static str, choices: &[&str]| {
        problem(
            field,
            Message::FilterOneOf {
                parameter: field.into(),
                choices: choices.iter().map(|c| c.to_string()).collect(),
            },
        )
    };
    let webhook_id = match &query.webhook {
        Some(id) => Some(Uuid::parse_str(id).map_err(|_| {
            problem(
                "webhook",
                Message::FilterNotAnId {
                    parameter: "webhook".into(),
                },
            )
        })?),
        None => None,
    };
    let state = match &query.state {
        Some(state) => Some(
            DeliveryState::parse(state)
                .ok_or_else(|| one_of("state", &["pending", "retrying", "succeeded", "failed"]))?,
        ),
        None => None,
    };
    if let Some(event) = &query.event {
        FeedbackStatus::parse(event)
            .ok_or_else(|| one_of("event", &["sent", "delivered", "bounce", "error"]))?;
    }
    if let Some(channel) = &query.channel {
        Channel::parse(channel).ok_or_else(|| one_of("channel", &["email", "sms"]))?;
    }
    let time = |field: &'static str, value: &Option<String>| match value {
        Some(text) => parse_time_filter(text).map(Some).ok_or_else(|| {
            problem(
                field,
                Message::FilterNotATime {
                    parameter: field.into(),
                },
            )
        }),
        None => Ok(None),
    };
    let since_ms = time("from", &query.from)?;
    let until_ms = time("to", &query.to)?;
    if let (Some(since), Some(until)) = (since_ms, until_ms) {
        if until <= since {
            return Err(FilterProblem {
                contradiction: true,
                ..problem("to", Message::FilterTimesReversed)
            });
        }
    }
    if query
        .search
        .as_ref()
        .is_some_and(|s| s.chars().count() > 320)
    {
        return Err(problem(
            "search",
            Message::FilterTooLong {
                parameter: "search".into(),
                max: 320,
            },
        ));
    }
    // Matched against stored text, which holds no control character (a NUL is refused by
    // PostgreSQL before any row is read).
    if query
        .search
        .as_ref()
        .is_some_and(|s| s.chars().any(char::is_control))
    {
        return Err(problem(
            "search",
            Message::FilterControlCharacters {
                parameter: "search".into(),
            },
        ));
    }
    let before = match &query.before {
        Some(text) => {
            Some(parse_cursor(text).ok_or_else(|| problem("before", Message::PageLinkStale))?)
        }
        None => None,
    };
    Ok(DeliveryFilter {
        webhook_id,
        state,
        event_type: query.event.clone(),
        channel: query.channel.clone(),
        since_ms,
        until_ms,
        search: query.search.clone(),
        before,
        limit,
        scan_budget: 0,
    })
}

pub fn row_of(record: &DeliveryRecord, names: &HashMap<Uuid, String>) -> DeliveryRow {
    DeliveryRow {
        id: record.id.to_string(),
        webhook_id: record.webhook_id.to_string(),
        webhook_name: names.get(&record.webhook_id).cloned().unwrap_or_default(),
        event: record.event_type.clone(),
        channel: record.channel.clone(),
        request_id: record.request_id.clone(),
        message_execution_id: record.message_execution_id.clone(),
        state: DeliveryState::of(&record.state, record.attempts),
        attempts: record.attempts,
        last_status: record.last_status,
        last_error: record.last_error.clone(),
        created_at: format_ms(record.created_at_ms),
        last_attempt_at: record.last_attempt_at_ms.map(format_ms),
        next_attempt_at: record.next_attempt_at_ms.map(format_ms),
    }
}

/// The sandbox's webhooks by id, with their names.
async fn webhook_names(
    state: &AppState,
    sandbox: &SandboxRef,
) -> Result<HashMap<Uuid, String>, AppError> {
    Ok(state
        .store
        .list_webhooks(sandbox.id)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|record| (record.id, record.settings.name))
        .collect())
}

/// One page of the deliveries list, newest first.
/// Counts of the queue stop here on the history page: reading them stays cheap.
const QUEUE_CAP: i64 = 10_000;

/// The sandbox's delivery queue now: due, the oldest due, in flight, retrying.
pub async fn queue(state: &AppState, sandbox: &SandboxRef) -> Result<QueueSummary, AppError> {
    let now = now_ms();
    let queue = state
        .store
        .queue_state(Some(sandbox.id), now, QUEUE_CAP)
        .await
        .map_err(internal)?;
    Ok(QueueSummary {
        due: queue.due,
        oldest_due_secs: queue
            .oldest_due_ms
            .map(|at| ((now - at).max(0) / 1000) as u64),
        in_flight: queue.in_flight,
        retrying: queue.retrying,
        cap: QUEUE_CAP as u64,
    })
}

pub async fn page(
    state: &AppState,
    sandbox: &SandboxRef,
    query: &DeliveryQuery,
    can_edit: bool,
) -> Result<DeliveryPage, AppError> {
    let filter = filter_of(query, PAGE_SIZE + 1)?;
    let names = webhook_names(state, sandbox).await?;
    if let Some(webhook_id) = filter.webhook_id {
        if !names.contains_key(&webhook_id) {
            return Err(AppError::no_such(Thing::Webhook));
        }
    }
    let list = state
        .store
        .list_deliveries(sandbox.id, &filter)
        .await
        .map_err(internal)?;
    let mut records = list.records;
    // One row more than a page tells whether an older page exists.
    let (older, partial) = if records.len() as i64 > PAGE_SIZE {
        records.truncate(PAGE_SIZE as usize);
        (
            records.last().map(|r| cursor((r.created_at_ms, r.id))),
            false,
        )
    } else {
        let resume = list.resume_before.map(cursor);
        let partial = resume.is_some();
        (resume, partial)
    };
    let mut webhooks: Vec<(String, String)> = names
        .iter()
        .map(|(id, name)| (id.to_string(), name.clone()))
        .collect();
    webhooks.sort_by_key(|(_, name)| name.to_lowercase());
    Ok(DeliveryPage {
        rows: records.iter().map(|r| row_of(r, &names)).collect(),
        older,
        partial,
        webhook_name: filter.webhook_id.and_then(|id| names.get(&id).cloned()),
        webhooks,
        can_edit,
    })
}

fn parse_delivery_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.trim()).map_err(|_| AppError::no_such(Thing::Delivery))
}

/// A delivery with its pretty-printed payload and every attempt explained.
pub async fn detail(
    state: &AppState,
    sandbox: &SandboxRef,
    id: &str,
    can_edit: bool,
) -> Result<DeliveryDetail, AppError> {
    let id = parse_delivery_id(id)?;
    let (record, payload, attempts) = state
        .store
        .delivery(sandbox.id, id)
        .await
        .map_err(internal)?
        .ok_or(AppError::no_such(Thing::Delivery))?;
    let webhook = state
        .store
        .webhook(sandbox.id, record.webhook_id)
        .await
        .map_err(internal)?;
    let names: HashMap<Uuid, String> = webhook
        .iter()
        .map(|w| (w.id, w.settings.name.clone()))
        .collect();
    let payload_pretty = serde_json::from_str::<serde_json::Value>(&payload)
        .and_then(|value| serde_json::to_string_pretty(&value))
        .unwrap_or(payload);
    Ok(DeliveryDetail {
        row: row_of(&record, &names),
        payload_pretty,
        attempts: attempts
            .into_iter()
            .map(|attempt| AttemptView {
                attempt: attempt.attempt,
                started_at: format_ms(attempt.started_at_ms),
                duration_ms: attempt.duration_ms,
                explanation: explain_outcome(
                    attempt.error_code.as_deref(),
                    attempt.status.map(|status| status as u16),
                ),
                status: attempt.status,
                error_code: attempt.error_code,
                request_headers: attempt.request_headers,
                response_headers: attempt.response_headers,
                body_excerpt: attempt.body_excerpt,
            })
            .collect(),
        webhook_enabled: webhook.is_some_and(|w| w.settings.enabled),
        can_edit,
    })
}

/// Queues a delivery for an attempt now and wakes the engine.
pub async fn resend(
    state: &AppState,
    sandbox: &SandboxRef,
    actor: &crate::server::audit::Actor,
    id: &str,
) -> Result<ResendOutcome, AppError> {
    let id = parse_delivery_id(id)?;
    let name = id.to_string();
    let audit = crate::server::audit::entry(
        sandbox.organization_id,
        actor,
        "delivery.resent",
        crate::server::audit::Object {
            kind: "delivery",
            id: Some(name.clone()),
            name: &name,
        },
        &[],
    );
    let outcome = state
        .store
        .resend_delivery(sandbox.id, id, now_ms(), &audit)
        .await
        .map_err(internal)?
        .ok_or(AppError::no_such(Thing::Delivery))?;
    if outcome == ResendOutcome::Queued {
        tracing::info!(delivery = %id, "delivery resent");
        state.delivery.wake();
    }
    Ok(outcome)
}

fn parse_since(since: &str) -> Result<i64, AppError> {
    parse_time_filter(since).ok_or_else(|| {
        AppError::BadRequest(Message::FilterNotATime {
            parameter: "since".into(),
        })
    })
}

async fn enabled_webhook(
    state: &AppState,
    sandbox: &SandboxRef,
    webhook_id: &str,
) -> Result<WebhookRecord, AppError> {
    let record = crate::server::webhooks::load(state, sandbox, webhook_id).await?;
    if !record.settings.enabled {
        return Err(AppError::BadRequest(Message::WebhookDisabledResend));
    }
    Ok(record)
}

/// How many failed deliveries of the webhook, created since `since`, a bulk resend would queue.
pub async fn count_failed_since(
    state: &AppState,
    sandbox: &SandboxRef,
    webhook_id: &str,
    since: &str,
) -> Result<BulkResend, AppError> {
    let webhook = crate::server::webhooks::load(state, sandbox, webhook_id).await?;
    let since_ms = parse_since(since)?;
    let count = state
        .store
        .count_failed_since(sandbox.id, webhook.id, since_ms)
        .await
        .map_err(internal)?;
    Ok(BulkResend {
        since: since.to_string(),
        count,
    })
}

/// Queues every failed delivery of the webhook created since `since`, a batch at a time.
pub async fn resend_failed_since(
    state: &AppState,
    sandbox: &SandboxRef,
    actor: &crate::server::audit::Actor,
    webhook_id: &str,
    since: &str,
) -> Result<BulkResend, AppError> {
    let webhook = enabled_webhook(state, sandbox, webhook_id).await?;
    let webhook_id = webhook.id;
    let since_ms = parse_since(since)?;
    // Each batch is its own transaction, with its own entry.
    let audit = crate::server::audit::entry(
        sandbox.organization_id,
        actor,
        "delivery.bulk_resent",
        crate::server::audit::Object::webhook(webhook.id, &webhook.settings.name),
        &crate::model::audit::diff(
            None,
            Some(&vec![(
                "failed since".to_string(),
                Some(format_ms(since_ms)),
                false,
            )]),
        ),
    );
    let mut count = 0;
    loop {
        let queued = state
            .store
            .resend_failed_since(
                sandbox.id,
                webhook_id,
                since_ms,
                RESEND_BATCH,
                now_ms(),
                &audit,
            )
            .await
            .map_err(internal)?;
        count += queued;
        state.delivery.wake();
        if queued < RESEND_BATCH as u64 {
            break;
        }
    }
    tracing::info!(webhook = %webhook_id, count, "failed deliveries resent");
    Ok(BulkResend {
        since: since.to_string(),
        count,
    })
}

/// Turns a webhook back on after it was disabled (automatically or by hand).
pub async fn enable(
    state: &AppState,
    sandbox: &SandboxRef,
    actor: &crate::server::audit::Actor,
    id: &str,
) -> Result<(), AppError> {
    let record = crate::server::webhooks::load(state, sandbox, id).await?;
    let audit = crate::server::audit::entry(
        sandbox.organization_id,
        actor,
        "webhook.enabled",
        crate::server::audit::Object::webhook(record.id, &record.settings.name),
        &crate::model::audit::diff(
            Some(&enabled_fields(
                record.settings.enabled,
                record.settings.disabled_reason.as_deref(),
            )),
            Some(&enabled_fields(true, None)),
        ),
    );
    if !state
        .store
        .enable_webhook(sandbox.id, record.id, &audit)
        .await
        .map_err(internal)?
    {
        return Err(AppError::no_such(Thing::Webhook));
    }
    state.delivery.wake();
    Ok(())
}

/// The start of the health window: this hour's start, 23 hours back.
pub fn health_window_start() -> i64 {
    let now = now_ms();
    now - now.rem_euclid(3_600_000) - 23 * 3_600_000
}

/// The last 24 hours (this hour and the 23 before) of one webhook or of each in the sandbox.
pub async fn health(
    state: &AppState,
    sandbox: &SandboxRef,
    webhook_id: Option<Uuid>,
) -> Result<HashMap<Uuid, WebhookHealth>, AppError> {
    let first_hour = health_window_start();
    let data = state
        .store
        .health_data(sandbox.id, webhook_id, first_hour)
        .await
        .map_err(internal)?;
    let mut cells: HashMap<Uuid, Vec<StatsCell>> = HashMap::new();
    for (webhook, cell) in data.cells {
        cells.entry(webhook).or_default().push(cell);
    }
    let mut health: HashMap<Uuid, WebhookHealth> = cells
        .into_iter()
        .map(|(webhook, cells)| {
            (
                webhook,
                WebhookHealth::from_cells(&cells, first_hour, format_ms),
            )
        })
        .collect();
    for (webhook, error, at) in data.last_errors {
        let entry = health
            .entry(webhook)
            .or_insert_with(|| WebhookHealth::from_cells(&[], first_hour, format_ms));
        entry.last_error = Some(error);
        entry.last_error_at = Some(format_ms(at));
    }
    Ok(health)
}

/// Executions of a campaign per page, newest first.
pub async fn executions(
    state: &AppState,
    sandbox: &SandboxRef,
    campaign_id: &str,
    before: Option<&str>,
    per_page: i64,
) -> Result<ExecutionPage, AppError> {
    let campaign = crate::server::campaigns::load(state, sandbox, campaign_id).await?;
    let before = match before {
        Some(text) => Some(parse_cursor(text).ok_or(AppError::BadRequest(Message::PageLinkStale))?),
        None => None,
    };
    let mut records = state
        .store
        .list_executions(sandbox.id, campaign.id, before, per_page + 1)
        .await
        .map_err(internal)?;
    let older = if records.len() as i64 > per_page {
        records.truncate(per_page as usize);
        records.last().map(|r| cursor((r.created_at_ms, r.id)))
    } else {
        None
    };
    Ok(ExecutionPage {
        campaign_name: campaign.settings.name,
        executions: records
            .into_iter()
            .map(|execution| ExecutionView {
                request_id: execution.request_id,
                created_at: format_ms(execution.created_at_ms),
                messages: execution
                    .messages
                    .into_iter()
                    .map(|message| MessageView {
                        message_execution_id: message.id,
                        recipient: message.address,
                        namespace: message.namespace,
                        events: message
                            .events
                            .into_iter()
                            .map(|event| MessageEventView {
                                event: event.event_type,
                                created_at: format_ms(event.created_at_ms),
                                deliveries: event
                                    .deliveries
                                    .into_iter()
                                    .map(|(id, stored, attempts)| {
                                        (id.to_string(), DeliveryState::of(&stored, attempts))
                                    })
                                    .collect(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        older,
    })
}

/// The export's file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    JsonLines,
}

const CSV_HEADER: &str = "delivery_id,webhook_id,webhook_name,event,channel,request_id,message_execution_id,state,attempts,last_status,last_error,created_at,last_attempt_at,next_attempt_at\n";

/// A CSV field, quoted when it holds a separator, a quote or a line break. A leading `=`, `+`,
/// `-` or `@` is prefixed with `'` so spreadsheets never run it as a formula.
pub(crate) fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// One exported line (with its line break).
pub fn export_line(row: &DeliveryRow, format: ExportFormat) -> String {
    match format {
        ExportFormat::Csv => {
            let fields = [
                row.id.clone(),
                row.webhook_id.clone(),
                row.webhook_name.clone(),
                row.event.clone(),
                row.channel.clone(),
                row.request_id.clone(),
                row.message_execution_id.clone(),
                row.state.as_str().to_string(),
                row.attempts.to_string(),
                row.last_status.map(|s| s.to_string()).unwrap_or_default(),
                row.last_error.clone().unwrap_or_default(),
                row.created_at.clone(),
                row.last_attempt_at.clone().unwrap_or_default(),
                row.next_attempt_at.clone().unwrap_or_default(),
            ];
            let fields: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            format!("{}\n", fields.join(","))
        }
        ExportFormat::JsonLines => {
            let value = serde_json::json!({
                "deliveryId": row.id,
                "webhookId": row.webhook_id,
                "webhookName": row.webhook_name,
                "event": row.event,
                "channel": row.channel,
                "requestId": row.request_id,
                "messageExecutionID": row.message_execution_id,
                "state": row.state.as_str(),
                "attempts": row.attempts,
                "lastStatus": row.last_status,
                "lastError": row.last_error,
                "createdAt": row.created_at,
                "lastAttemptAt": row.last_attempt_at,
                "nextAttemptAt": row.next_attempt_at,
            });
            format!("{value}\n")
        }
    }
}

/// Every delivery the filter matches, newest first, as a stream of chunks read a page at a
/// time: memory stays flat whatever the size. A failure mid-way ends the stream with an error,
/// so the download is visibly cut rather than silently short.
pub async fn export(
    state: &AppState,
    sandbox: &SandboxRef,
    query: &DeliveryQuery,
    format: ExportFormat,
) -> Result<
    impl futures_util::Stream<Item = Result<String, std::io::Error>> + Send + 'static,
    AppError,
> {
    export_at_most(state, sandbox, query, format, EXPORT_MAX_ROWS).await
}

/// The same, of at most `max_rows` deliveries.
pub async fn export_at_most(
    state: &AppState,
    sandbox: &SandboxRef,
    query: &DeliveryQuery,
    format: ExportFormat,
    max_rows: usize,
) -> Result<
    impl futures_util::Stream<Item = Result<String, std::io::Error>> + Send + 'static,
    AppError,
> {
    let filter = filter_of(&query.first_page(), EXPORT_PAGE)?;
    let names = webhook_names(state, sandbox).await?;
    let header = match format {
        ExportFormat::Csv => Some(CSV_HEADER.to_string()),
        ExportFormat::JsonLines => None,
    };
    let store = state.store.clone();
    let sandbox_id = sandbox.id;
    let start = (Some(filter), header, 0usize);
    Ok(futures_util::stream::unfold(
        start,
        move |(filter, header, exported)| {
            let store = store.clone();
            let names = names.clone();
            async move {
                if let Some(header) = header {
                    return Some((Ok(header), (filter, None, exported)));
                }
                let mut filter = filter?;
                filter.limit = filter.limit.min((max_rows - exported) as i64);
                match store.list_deliveries(sandbox_id, &filter).await {
                    Ok(list) => {
                        let exported = exported + list.records.len();
                        let chunk: String = list
                            .records
                            .iter()
                            .map(|record| export_line(&row_of(record, &names), format))
                            .collect();
                        let next = list
                            .next_before(filter.limit)
                            .filter(|_| exported < max_rows)
                            .map(|before| {
                                filter.before = Some(before);
                                filter
                            });
                        if chunk.is_empty() && next.is_none() {
                            return None;
                        }
                        Some((Ok(chunk), (next, None, exported)))
                    }
                    Err(error) => {
                        tracing::error!(%error, "export stopped");
                        Some((
                            Err(std::io::Error::other("the export could not be completed")),
                            (None, None, exported),
                        ))
                    }
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked_field_by_field() {
        let query = |pairs: &[(&str, &str)]| DeliveryQuery::from_pairs(pairs.iter().copied());
        let filter = filter_of(
            &query(&[
                ("state", "retrying"),
                ("event", "bounce"),
                ("channel", "sms"),
                ("from", "2026-11-28T09:00"),
                ("search", "req-1"),
            ]),
            50,
        )
        .unwrap();
        assert_eq!(filter.state, Some(DeliveryState::Retrying));
        assert_eq!(filter.event_type.as_deref(), Some("bounce"));
        assert_eq!(filter.since_ms, parse_time_filter("2026-11-28T09:00"));
        assert_eq!(filter.search.as_deref(), Some("req-1"));
        for (pairs, field) in [
            (vec![("state", "lost")], "state"),
            (vec![("event", "opened")], "event"),
            (vec![("channel", "fax")], "channel"),
            (vec![("from", "monday")], "from"),
            (
                vec![("from", "2026-11-28T09:00"), ("to", "2026-11-28T08:00")],
                "to",
            ),
            (vec![("before", "12_nope")], "before"),
            (vec![("webhook", "x")], "webhook"),
            (vec![("search", "req\u{0}1")], "search"),
        ] {
            assert_eq!(filter_of(&query(&pairs), 50).unwrap_err().field, field);
        }
    }

    #[test]
    fn a_cursor_reads_back_only_in_the_form_it_is_written() {
        let id = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        assert_eq!(parse_cursor(&cursor((1_700, id))), Some((1_700, id)));
        for bad in [
            "+1700_01234567-89ab-cdef-0123-456789abcdef",
            "-1700_01234567-89ab-cdef-0123-456789abcdef",
            "1700_0123456789abcdef0123456789abcdef",
            "_01234567-89ab-cdef-0123-456789abcdef",
            "1700",
        ] {
            assert_eq!(parse_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn time_filters_are_read_as_utc() {
        assert_eq!(parse_time_filter("1970-01-01T00:00"), Some(0));
        assert_eq!(
            parse_time_filter("2026-11-28T10:30"),
            Some(1_795_861_800_000)
        );
        assert_eq!(
            parse_time_filter("2026-11-28T10:30:15Z"),
            Some(1_795_861_815_000)
        );
        assert_eq!(
            parse_time_filter("2026-11-28T10:30:15.5"),
            Some(1_795_861_815_500)
        );
        assert_eq!(parse_time_filter("2026-11-28"), Some(1_795_824_000_000));
        assert_eq!(parse_time_filter("2026-02-30T10:00"), None);
        // RFC 3339 with an offset, as the API's document promises.
        assert_eq!(
            parse_time_filter("2026-11-28T11:30:15+01:00"),
            parse_time_filter("2026-11-28T10:30:15Z")
        );
        assert_eq!(parse_time_filter("2026-11-28T25:00"), None);
        assert_eq!(parse_time_filter("yesterday"), None);
    }

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
    }
}

//! `/api/v1/deliveries`: the feedback deliveries of the caller's sandbox under the history
//! page's filters, and one delivery with its payload and every attempt.

use super::*;
use crate::model::feedback::FeedbackStatus;
use crate::model::message::Message;
use crate::model::webhook::Channel;
use crate::server::storage::DeliveryRecord;
use crate::server::webhooks::format_ms;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::routing::post;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/deliveries", get(list_deliveries))
        .route("/api/v1/deliveries/{id}", get(get_delivery))
        .route("/api/v1/deliveries/{id}/resend", post(resend_delivery))
        .route(
            "/api/v1/webhooks/{id}/failed-deliveries",
            get(count_failed_deliveries),
        )
        .route(
            "/api/v1/webhooks/{id}/failed-deliveries/resend",
            post(resend_failed_deliveries),
        )
        .route("/api/v1/webhooks/{id}/health", get(webhook_health))
}

/// Where a delivery stands: `pending` (no attempt yet), `retrying` (failed at least once, to
/// be tried again), `succeeded` or `failed` (for good).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum DeliveryState {
    Pending,
    Retrying,
    Succeeded,
    Failed,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryResource {
    #[schema(format = Uuid)]
    id: String,
    #[schema(format = Uuid)]
    webhook_id: String,
    #[schema(value_type = FeedbackStatus)]
    event: String,
    #[schema(value_type = Channel)]
    channel: String,
    request_id: String,
    #[serde(rename = "messageExecutionID")]
    message_execution_id: String,
    #[schema(value_type = DeliveryState)]
    state: String,
    attempts: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
    next_attempt_at: Option<String>,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryDetail {
    delivery: DeliveryResource,
    /// The exact JSON body sent.
    payload: serde_json::Value,
    attempts: Vec<AttemptResource>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptResource {
    attempt: i64,
    started_at: String,
    duration_ms: i64,
    status: Option<i64>,
    /// `E_TIMEOUT`, `E_CONNECT`, `E_TLS`, `E_DNS`, `E_BODY`, `E_CONFIG`… when no status came.
    error_code: Option<String>,
    /// As sent, secret values masked: `[name, value]` pairs.
    request_headers: Vec<(String, String)>,
    response_headers: Vec<(String, String)>,
    body_excerpt: String,
}

/// The history page's filters, and the page.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    #[param(format = Uuid)]
    webhook_id: Option<String>,
    #[param(value_type = Option<DeliveryState>)]
    state: Option<String>,
    #[param(value_type = Option<FeedbackStatus>)]
    event: Option<String>,
    #[param(value_type = Option<Channel>)]
    channel: Option<String>,
    /// Created at or after this UTC time: RFC 3339 (`2026-11-28T09:30:00Z`), or shorter
    /// (`2026-11-28T09:30`, `2026-11-28`).
    #[param(format = DateTime)]
    from: Option<String>,
    /// Created before this UTC time, later than `from`.
    #[param(format = DateTime)]
    to: Option<String>,
    /// A requestId, messageExecutionID or recipient address, matched exactly.
    #[param(max_length = 320, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    search: Option<String>,
    /// 1 to 100; default 50.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// The `nextBefore` of the previous page.
    #[param(
        pattern = r"^[0-9]{1,18}_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    before: Option<String>,
}

fn delivery_resource(record: &DeliveryRecord) -> DeliveryResource {
    DeliveryResource {
        id: record.id.to_string(),
        webhook_id: record.webhook_id.to_string(),
        event: record.event_type.clone(),
        channel: record.channel.clone(),
        request_id: record.request_id.clone(),
        message_execution_id: record.message_execution_id.clone(),
        state: crate::model::history::DeliveryState::of(&record.state, record.attempts)
            .as_str()
            .to_string(),
        attempts: record.attempts,
        last_status: record.last_status,
        last_error: record.last_error.clone(),
        next_attempt_at: record.next_attempt_at_ms.map(format_ms),
        created_at: format_ms(record.created_at_ms),
        updated_at: format_ms(record.updated_at_ms),
    }
}

/// Deliveries of the sandbox, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/deliveries", tag = "deliveries", params(DeliveryQuery),
    responses((status = 200, body = Page<DeliveryResource>),
              (status = 422, description = "`to` is not later than `from`")), security(("apiKey" = ["read"], "bearerToken" = ["read"])))]
async fn list_deliveries(
    State(state): State<AppState>,
    call: RestCall,
    query: Result<Query<DeliveryQuery>, QueryRejection>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Read).await?;
            // Who calls is checked first: a refused caller learns nothing of the query.
            let Query(query) = query.map_err(query_refused)?;
            let limit = page_limit(query.limit)?;
            let filter = crate::server::history::filter_of(
                &crate::model::history::DeliveryQuery {
                    webhook: query.webhook_id.clone(),
                    state: query.state.clone(),
                    event: query.event.clone(),
                    channel: query.channel.clone(),
                    from: query.from.clone(),
                    to: query.to.clone(),
                    search: query.search.clone(),
                    before: query.before.clone(),
                },
                limit,
            )
            .map_err(|mut problem| {
                // The REST API names the webhook filter `webhookId`.
                if let Message::FilterNotAnId { parameter } = &mut problem.message {
                    *parameter = "webhookId".into();
                    problem.field = "webhookId";
                }
                Refusal::new(
                    if problem.contradiction { 422 } else { 400 },
                    Some(problem.field),
                    problem.message.to_string(),
                )
            })?;
            let list = state
                .store
                .list_deliveries(sandbox.id, &filter)
                .await
                .map_err(internal)?;
            let next_before = list.next_before(limit).map(crate::server::history::cursor);
            let records = list.records;
            Ok(json_response(
                StatusCode::OK,
                &Page {
                    items: records.iter().map(delivery_resource).collect(),
                    next_before,
                },
            ))
        }
        .await,
    )
}

#[utoipa::path(get, path = "/api/v1/deliveries/{id}", tag = "deliveries", params(Id),
    responses((status = 200, body = DeliveryDetail), (status = 404)), security(("apiKey" = ["read"], "bearerToken" = ["read"])))]
async fn get_delivery(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Read).await?;
            let (record, payload, attempts) = stored_delivery(&state, &sandbox, &id).await?;
            Ok(json_response(
                StatusCode::OK,
                &DeliveryDetail {
                    delivery: delivery_resource(&record),
                    payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                    attempts: attempts
                        .into_iter()
                        .map(|a| AttemptResource {
                            attempt: a.attempt,
                            started_at: format_ms(a.started_at_ms),
                            duration_ms: a.duration_ms,
                            status: a.status,
                            error_code: a.error_code,
                            request_headers: a.request_headers,
                            response_headers: a.response_headers,
                            body_excerpt: a.body_excerpt,
                        })
                        .collect(),
                },
            ))
        }
        .await,
    )
}

/// One delivery of the sandbox with its payload and attempts, 404 when there is none by that
/// id.
async fn stored_delivery(
    state: &AppState,
    sandbox: &SandboxRef,
    id: &str,
) -> Result<
    (
        DeliveryRecord,
        String,
        Vec<crate::server::storage::AttemptRow>,
    ),
    Refusal,
> {
    let id = uuid::Uuid::parse_str(id).map_err(|_| not_found("delivery"))?;
    state
        .store
        .delivery(sandbox.id, id)
        .await
        .map_err(internal)?
        .ok_or_else(|| not_found("delivery"))
}

/// Queues a new attempt of the delivery now, with the same `webhook-id` header (the receiver's
/// idempotency key) and payload; 409 while its webhook is disabled.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/resend", tag = "deliveries", params(Id),
    responses((status = 202, body = DeliveryResource, description = "Queued: the delivery as it now stands"),
              (status = 409, description = "The delivery's webhook is disabled: enable it first")),
    security(("apiKey" = ["write"], "bearerToken" = ["write"])))]
async fn resend_delivery(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
) -> Response {
    use crate::model::history::ResendOutcome;
    answer(
        async {
            let (sandbox, actor) = acting_caller(&state, &call, Scope::Write).await?;
            let outcome = crate::server::history::resend(&state, &sandbox, &actor, &id)
                .await
                .map_err(refused("delivery"))?;
            if outcome == ResendOutcome::WebhookDisabled {
                return Err(Refusal::new(
                    409,
                    None,
                    "The delivery's webhook is disabled: enable it before resending.",
                ));
            }
            let (record, _, _) = stored_delivery(&state, &sandbox, &id).await?;
            Ok(json_response(
                StatusCode::ACCEPTED,
                &delivery_resource(&record),
            ))
        }
        .await,
    )
}

/// How many of a webhook's deliveries failed for good since a time: what a bulk resend queues.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailedDeliveries {
    /// As given.
    since: String,
    count: u64,
}

#[derive(Deserialize, IntoParams, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Since {
    /// Deliveries created at or after this UTC time: RFC 3339, or shorter
    /// (`2026-11-28T09:30`, `2026-11-28`).
    #[param(format = DateTime)]
    #[schema(format = DateTime, example = "2026-11-28T09:30:00Z")]
    since: String,
}

/// A `since` the history's bulk resend reads, refused here (400) so a later refusal is the
/// webhook's state.
fn checked_since(since: &str) -> Result<(), Refusal> {
    crate::server::history::parse_time_filter(since)
        .map(|_| ())
        .ok_or_else(|| {
            Refusal::new(
                400,
                Some("since"),
                "since is a UTC date and time such as 2026-11-28T09:30:00Z.",
            )
        })
}

/// Counts the webhook's failed deliveries created since a time (asked before a bulk resend).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/failed-deliveries", tag = "deliveries", params(Id, Since),
    responses((status = 200, body = FailedDeliveries)),
    security(("apiKey" = ["read"], "bearerToken" = ["read"])))]
async fn count_failed_deliveries(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
    query: Result<Query<Since>, QueryRejection>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Read).await?;
            // Who calls is checked first: a refused caller learns nothing of the query.
            let Query(query) = query.map_err(query_refused)?;
            checked_since(&query.since)?;
            let counted =
                crate::server::history::count_failed_since(&state, &sandbox, &id, &query.since)
                    .await
                    .map_err(refused("webhook"))?;
            Ok(json_response(
                StatusCode::OK,
                &FailedDeliveries {
                    since: counted.since,
                    count: counted.count,
                },
            ))
        }
        .await,
    )
}

/// Queues every delivery of the webhook that failed for good since a time for a new attempt,
/// each with its own `webhook-id`; 409 while the webhook is disabled.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/failed-deliveries/resend", tag = "deliveries", params(Id),
    request_body = Since,
    responses((status = 202, body = FailedDeliveries, description = "Queued, with how many"),
              (status = 409, description = "The webhook is disabled: enable it first")),
    security(("apiKey" = ["write"], "bearerToken" = ["write"])))]
async fn resend_failed_deliveries(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    answer(
        async {
            let (sandbox, actor) = acting_caller(&state, &call, Scope::Write).await?;
            let Since { since } = parse_body(&body)?;
            checked_since(&since)?;
            let done =
                crate::server::history::resend_failed_since(&state, &sandbox, &actor, &id, &since)
                    .await
                    .map_err(refused("webhook"))?;
            Ok(json_response(
                StatusCode::ACCEPTED,
                &FailedDeliveries {
                    since: done.since,
                    count: done.count,
                },
            ))
        }
        .await,
    )
}

/// A webhook's last 24 hours, as its health chart shows them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthResource {
    attempts: i64,
    /// Successful attempts in percent; absent without attempts.
    success_rate: Option<f64>,
    p50_ms: Option<i64>,
    p95_ms: Option<i64>,
    /// This hour and the 23 before, oldest first.
    hourly: Vec<HourResource>,
    last_error: Option<String>,
    last_error_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HourResource {
    /// The hour's start (RFC 3339, UTC).
    hour: String,
    succeeded: i64,
    /// Failed attempts to be tried again.
    retried: i64,
    /// Attempts that failed for good.
    failed: i64,
}

/// The webhook's health: attempts, success rate and latency over the last 24 hours, hour by
/// hour, and its last error.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/health", tag = "deliveries", params(Id),
    responses((status = 200, body = HealthResource)),
    security(("apiKey" = ["read"], "bearerToken" = ["read"])))]
async fn webhook_health(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Read).await?;
            let webhook = crate::server::webhooks::load(&state, &sandbox, &id)
                .await
                .map_err(refused("webhook"))?;
            let mut all = crate::server::history::health(&state, &sandbox, Some(webhook.id))
                .await
                .map_err(internal)?;
            let health = all.remove(&webhook.id).unwrap_or_else(|| {
                crate::model::history::WebhookHealth::from_cells(
                    &[],
                    crate::server::history::health_window_start(),
                    format_ms,
                )
            });
            Ok(json_response(
                StatusCode::OK,
                &HealthResource {
                    attempts: health.attempts,
                    success_rate: health.success_rate,
                    p50_ms: health.p50_ms,
                    p95_ms: health.p95_ms,
                    hourly: health
                        .hourly
                        .into_iter()
                        .map(|(hour, counts)| HourResource {
                            hour,
                            succeeded: counts.succeeded,
                            retried: counts.retried,
                            failed: counts.failed,
                        })
                        .collect(),
                    last_error: health.last_error,
                    last_error_at: health.last_error_at,
                },
            ))
        }
        .await,
    )
}

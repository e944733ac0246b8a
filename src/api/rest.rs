//! The JSON REST API for automation (`/api/v1/…`), authenticated like the execution API, with
//! the same validation as the forms, and the OpenAPI document generated from these handlers.

use crate::error::AppError;
use crate::model::campaign::CampaignForm;
use crate::model::credential::Scope;
use crate::model::feedback::FeedbackStatus;
use crate::model::{checkbox, HeaderRowForm, SaveOutcome, WebhookForm};
use crate::server::audit::Actor;
use crate::server::public_api::{authorize, error_body, CallerHeaders, Refusal};
use crate::server::state::AppState;
use crate::server::storage::*;
use crate::server::webhooks::format_ms;
use crate::server::{campaigns, webhooks};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/webhooks", get(list_webhooks).post(create_webhook))
        .route(
            "/api/v1/webhooks/{id}",
            get(get_webhook).put(update_webhook).delete(delete_webhook),
        )
        .route(
            "/api/v1/campaigns",
            get(list_campaigns).post(create_campaign),
        )
        .route(
            "/api/v1/campaigns/{id}",
            get(get_campaign).put(update_campaign),
        )
        .route("/api/v1/deliveries", get(list_deliveries))
        .route("/api/v1/deliveries/{id}", get(get_delivery))
        .route("/api/v1/audit-log", get(list_audit_log))
        .route("/api/openapi.json", get(openapi_json))
}

/// A feedback webhook as the API shows it: secrets never, their fingerprints only.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookResource {
    id: String,
    name: String,
    /// `email` and/or `sms`.
    channels: Vec<String>,
    url: String,
    enabled: bool,
    disabled_reason: Option<String>,
    /// Which of `sent`, `delivered`, `bounce`, `error` it receives.
    events: Vec<String>,
    authentication: AuthenticationResource,
    headers: Vec<HeaderResource>,
    signing_secret_fingerprint: Option<String>,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationResource {
    /// `none` or `jwt`.
    r#type: String,
    algorithm: Option<String>,
    key_fingerprint: Option<String>,
    key_id: Option<String>,
    issuer: Option<String>,
    subject: Option<String>,
    audience: Option<String>,
    extra_claims: Option<String>,
    lifetime_secs: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeaderResource {
    id: String,
    name: String,
    /// `null` for a secret value.
    value: Option<String>,
    secret: bool,
}

/// A webhook to create or replace. On replace, a blank `authentication.key` or secret header
/// `value` keeps the stored one (send the header's `id`).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookInput {
    name: String,
    channels: Vec<String>,
    url: String,
    #[serde(default = "yes")]
    enabled: bool,
    /// Default: every event.
    events: Option<Vec<String>>,
    authentication: Option<AuthenticationInput>,
    #[serde(default)]
    headers: Vec<HeaderInput>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationInput {
    /// `none` or `jwt`.
    r#type: String,
    algorithm: Option<String>,
    /// Shared secret (HS*) or PEM private key; write-only.
    key: Option<String>,
    key_id: Option<String>,
    issuer: Option<String>,
    subject: Option<String>,
    audience: Option<String>,
    /// A JSON object as text.
    extra_claims: Option<String>,
    lifetime_secs: Option<u32>,
}

#[derive(Deserialize, ToSchema)]
pub struct HeaderInput {
    id: Option<String>,
    name: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    secret: bool,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignResource {
    id: String,
    name: String,
    /// `email` or `sms`.
    channel: String,
    /// `draft`, `live` or `stopped`.
    status: String,
    #[serde(rename = "campaignVersionID")]
    campaign_version_id: String,
    email_subject: String,
    email_body: String,
    sms_text: String,
    feedback_webhook: FeedbackWebhookSetting,
    created_at: String,
    updated_at: String,
}

/// The Audience section's switch and choice.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackWebhookSetting {
    enabled: bool,
    webhook_id: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignInput {
    name: String,
    channel: String,
    #[serde(default = "draft")]
    status: String,
    #[serde(default)]
    email_subject: String,
    #[serde(default)]
    email_body: String,
    #[serde(default)]
    sms_text: String,
    feedback_webhook: Option<FeedbackWebhookSetting>,
}

fn draft() -> String {
    "draft".into()
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryResource {
    id: String,
    webhook_id: String,
    /// `sent`, `delivered`, `bounce` or `error`.
    event: String,
    channel: String,
    request_id: String,
    #[serde(rename = "messageExecutionID")]
    message_execution_id: String,
    /// `pending` (no attempt yet), `retrying`, `succeeded` or `failed`.
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
pub struct DeliveryPage {
    items: Vec<DeliveryResource>,
    /// Pass as `before` for the next page; absent on the last one. A filtered page may hold
    /// fewer items than `limit` (even none) and still have a next page: each page looks through
    /// a bounded number of deliveries.
    next_before: Option<String>,
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
    error_code: Option<String>,
    /// As sent, secret values masked.
    request_headers: Vec<(String, String)>,
    response_headers: Vec<(String, String)>,
    body_excerpt: String,
}

/// Field errors of a refused body: field → message.
#[derive(Serialize, ToSchema)]
pub struct ValidationErrors {
    errors: BTreeMap<String, String>,
}

#[derive(Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    webhook_id: Option<String>,
    /// `pending` (no attempt yet), `retrying`, `succeeded` or `failed`.
    state: Option<String>,
    /// `sent`, `delivered`, `bounce` or `error`.
    event: Option<String>,
    /// `email` or `sms`.
    channel: Option<String>,
    /// Created at or after this UTC time (`2026-11-28T09:30`).
    from: Option<String>,
    /// Created before this UTC time.
    to: Option<String>,
    /// A requestId, messageExecutionID or recipient address, matched exactly.
    search: Option<String>,
    /// 1 to 100; default 50.
    limit: Option<i64>,
    /// The `nextBefore` of the previous page.
    before: Option<String>,
}

type ApiResult = Result<Response, Refusal>;

fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    let mut response = (status, serde_json::to_string(body).unwrap_or_default()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn answer(result: ApiResult) -> Response {
    result.unwrap_or_else(|refusal| {
        let status =
            StatusCode::from_u16(refusal.problem.status).unwrap_or(StatusCode::BAD_REQUEST);
        json_response(status, &error_body(&refusal))
    })
}

/// What a REST handler takes of its request besides the body: the headers that carry the
/// credentials, and the client's address, which the audit log names with every change.
pub struct RestCall {
    headers: HeaderMap,
    address: Option<String>,
}

impl axum::extract::FromRequestParts<AppState> for RestCall {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = crate::server::peer::Peer::of_request(
            &parts.extensions,
            &parts.headers,
            &state.config.trusted_proxies,
        );
        Ok(RestCall {
            headers: parts.headers.clone(),
            address: peer.map(|peer| peer.address.to_string()),
        })
    }
}

/// The caller's sandbox, if its credential may do what `scope` allows.
async fn caller(state: &AppState, call: &RestCall, scope: Scope) -> Result<SandboxRef, Refusal> {
    Ok(acting_caller(state, call, scope).await?.0)
}

/// [`caller`] with the credential and the call's address as the audit log names them, for the
/// calls that change things.
async fn acting_caller(
    state: &AppState,
    call: &RestCall,
    scope: Scope,
) -> Result<(SandboxRef, Actor), Refusal> {
    let text = |name: &str| call.headers.get(name).and_then(|v| v.to_str().ok());
    let (credential, sandbox) = authorize(
        state,
        CallerHeaders {
            api_key: text("x-api-key"),
            authorization: text("authorization"),
            ims_org: text("x-gw-ims-org-id"),
            sandbox: text("x-sandbox-name"),
        },
        scope,
    )
    .await?;
    Ok((
        sandbox,
        Actor::credential(&credential, call.address.clone()),
    ))
}

/// A list's page size: `limit`, 1 to 100, 50 when not given.
fn page_limit(limit: Option<i64>) -> Result<i64, Refusal> {
    let limit = limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(Refusal::new(400, Some("limit"), "limit is 1 to 100."));
    }
    Ok(limit)
}

fn internal(error: impl std::fmt::Display) -> Refusal {
    tracing::error!(%error, "a REST call failed");
    Refusal::new(
        500,
        None,
        "Something went wrong on our side; it has been logged.",
    )
}

fn not_found(what: &str) -> Refusal {
    Refusal::new(404, Some("id"), format!("No such {what} in this sandbox."))
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body)
        .map_err(|error| Refusal::new(400, None, format!("The body is not valid: {error}.")))
}

fn refused_fields(errors: BTreeMap<String, String>) -> Response {
    json_response(StatusCode::BAD_REQUEST, &ValidationErrors { errors })
}

fn webhook_resource(record: &WebhookRecord) -> WebhookResource {
    let settings = &record.settings;
    let jwt = settings.jwt.as_ref();
    WebhookResource {
        id: record.id.to_string(),
        name: settings.name.clone(),
        channels: crate::model::summary_channels(settings.email, settings.sms)
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        url: settings.url.clone(),
        enabled: settings.enabled,
        disabled_reason: settings.disabled_reason.clone(),
        events: settings
            .events
            .iter()
            .map(|e| e.as_str().to_string())
            .collect(),
        authentication: AuthenticationResource {
            r#type: if jwt.is_some() { "jwt" } else { "none" }.into(),
            algorithm: jwt.map(|j| j.algorithm.clone()),
            key_fingerprint: jwt.map(|j| j.secret_fingerprint.clone()),
            key_id: jwt.and_then(|j| j.key_id.clone()),
            issuer: jwt.and_then(|j| j.issuer.clone()),
            subject: jwt.and_then(|j| j.subject.clone()),
            audience: jwt.and_then(|j| j.audience.clone()),
            extra_claims: jwt.and_then(|j| j.extra_claims.clone()),
            lifetime_secs: jwt.map(|j| j.lifetime_secs),
        },
        headers: settings
            .headers
            .iter()
            .map(|h| HeaderResource {
                id: h.id.to_string(),
                name: h.name.clone(),
                value: match &h.value {
                    StoredHeaderValue::Plain(value) => Some(value.clone()),
                    StoredHeaderValue::Sealed { .. } => None,
                },
                secret: matches!(h.value, StoredHeaderValue::Sealed { .. }),
            })
            .collect(),
        signing_secret_fingerprint: record.signing.as_ref().map(|s| s.fingerprint.clone()),
        created_at: format_ms(record.created_at_ms),
        updated_at: format_ms(record.updated_at_ms),
    }
}

/// The same form a person fills in, so the API validates exactly like the page.
fn webhook_form(id: &str, input: WebhookInput) -> WebhookForm {
    let auth = input.authentication;
    let text = |value: Option<String>| value.unwrap_or_default();
    let mut form = WebhookForm {
        id: id.to_string(),
        name: input.name,
        email: checkbox(input.channels.iter().any(|c| c == "email")),
        sms: checkbox(input.channels.iter().any(|c| c == "sms")),
        url: input.url,
        enabled: checkbox(input.enabled),
        auth: auth
            .as_ref()
            .map(|a| a.r#type.clone())
            .unwrap_or_else(|| "none".into()),
        jwt_lifetime: auth
            .as_ref()
            .and_then(|a| a.lifetime_secs)
            .unwrap_or(crate::model::DEFAULT_JWT_LIFETIME_SECS)
            .to_string(),
        headers: input
            .headers
            .into_iter()
            .map(|h| HeaderRowForm {
                id: h.id.unwrap_or_default(),
                name: h.name,
                value: h.value,
                secret: checkbox(h.secret),
            })
            .collect(),
        ..Default::default()
    };
    if let Some(auth) = auth {
        form.jwt_algorithm = text(auth.algorithm);
        form.jwt_secret = text(auth.key);
        form.jwt_key_id = text(auth.key_id);
        form.jwt_issuer = text(auth.issuer);
        form.jwt_subject = text(auth.subject);
        form.jwt_audience = text(auth.audience);
        form.jwt_extra_claims = text(auth.extra_claims);
    }
    let events = match input.events {
        Some(events) => events
            .iter()
            .filter_map(|e| FeedbackStatus::parse(e))
            .collect(),
        None => FeedbackStatus::ALL.to_vec(),
    };
    form.set_events(&events);
    form
}

fn campaign_resource(record: &CampaignRecord) -> CampaignResource {
    let settings = &record.settings;
    CampaignResource {
        id: record.id.to_string(),
        name: settings.name.clone(),
        channel: settings.channel.as_str().into(),
        status: settings.status.as_str().into(),
        campaign_version_id: settings.version_id.clone(),
        email_subject: settings.content.email_subject.clone(),
        email_body: settings.content.email_body.clone(),
        sms_text: settings.content.sms_text.clone(),
        feedback_webhook: FeedbackWebhookSetting {
            enabled: settings.webhook_enabled,
            webhook_id: settings.webhook_id.map(|id| id.to_string()),
        },
        created_at: format_ms(record.created_at_ms),
        updated_at: format_ms(record.updated_at_ms),
    }
}

fn campaign_form(id: &str, input: CampaignInput) -> CampaignForm {
    let webhook = input.feedback_webhook;
    CampaignForm {
        id: id.to_string(),
        name: input.name,
        channel: input.channel,
        status: input.status,
        email_subject: input.email_subject,
        email_body: input.email_body,
        sms_text: input.sms_text,
        webhook_enabled: checkbox(webhook.as_ref().is_some_and(|w| w.enabled)),
        webhook_id: webhook.and_then(|w| w.webhook_id).unwrap_or_default(),
    }
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

/// Maps a page save's outcome: saved → the stored resource (201 when created); refused → 400
/// with an error per field.
async fn saved<T, F, Fut>(
    outcome: Result<SaveOutcome, crate::error::AppError>,
    what: &str,
    resource: F,
) -> ApiResult
where
    T: Serialize,
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    match outcome {
        Ok(SaveOutcome::Saved { id, created }) => {
            let body = resource(id).await.ok_or_else(|| not_found(what))?;
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok(json_response(status, &body))
        }
        Ok(SaveOutcome::Invalid { errors }) => Ok(refused_fields(errors)),
        Err(crate::error::AppError::NotFound(_)) => Err(not_found(what)),
        Err(error) => Err(internal(error)),
    }
}

async fn saved_webhook(
    state: &AppState,
    sandbox: &SandboxRef,
    outcome: Result<SaveOutcome, crate::error::AppError>,
) -> ApiResult {
    saved(outcome, "webhook", |id| async move {
        let record = webhooks::load(state, sandbox, &id).await.ok()?;
        Some(webhook_resource(&record))
    })
    .await
}

async fn saved_campaign(
    state: &AppState,
    sandbox: &SandboxRef,
    outcome: Result<SaveOutcome, crate::error::AppError>,
) -> ApiResult {
    saved(outcome, "campaign", |id| async move {
        let record = campaigns::load(state, sandbox, &id).await.ok()?;
        Some(campaign_resource(&record))
    })
    .await
}

/// The sandbox's webhooks, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = [WebhookResource]), (status = 401, description = "Missing or invalid credentials")),
    security(("apiKey" = ["read"], "bearerToken" = ["read"])))]
async fn list_webhooks(State(state): State<AppState>, call: RestCall) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Read).await?;
            let records = state
                .store
                .list_webhooks(sandbox.id)
                .await
                .map_err(internal)?;
            let items: Vec<_> = records.iter().map(webhook_resource).collect();
            Ok(json_response(StatusCode::OK, &items))
        }
        .await,
    )
}

#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookInput,
    responses((status = 201, body = WebhookResource), (status = 400, body = ValidationErrors)),
    security(("apiKey" = ["write"], "bearerToken" = ["write"])))]
async fn create_webhook(State(state): State<AppState>, call: RestCall, body: Bytes) -> Response {
    answer(
        async {
            let (sandbox, actor) = acting_caller(&state, &call, Scope::Write).await?;
            let form = webhook_form("", parse_body(&body)?);
            let outcome = webhooks::save(&state, &sandbox, &actor, &form).await;
            saved_webhook(&state, &sandbox, outcome).await
        }
        .await,
    )
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    responses((status = 200, body = WebhookResource), (status = 404, description = "Not in this sandbox")),
    security(("apiKey" = ["read"], "bearerToken" = ["read"])))]
async fn get_webhook(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Read).await?;
            let record = webhooks::load(&state, &sandbox, &id)
                .await
                .map_err(|_| not_found("webhook"))?;
            Ok(json_response(StatusCode::OK, &webhook_resource(&record)))
        }
        .await,
    )
}

#[utoipa::path(put, path = "/api/v1/webhooks/{id}", tag = "webhooks", request_body = WebhookInput,
    responses((status = 200, body = WebhookResource), (status = 400, body = ValidationErrors), (status = 404)),
    security(("apiKey" = ["write"], "bearerToken" = ["write"])))]
async fn update_webhook(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    answer(
        async {
            let (sandbox, actor) = acting_caller(&state, &call, Scope::Write).await?;
            webhooks::load(&state, &sandbox, &id)
                .await
                .map_err(|_| not_found("webhook"))?;
            let form = webhook_form(&id, parse_body(&body)?);
            let outcome = webhooks::save(&state, &sandbox, &actor, &form).await;
            saved_webhook(&state, &sandbox, outcome).await
        }
        .await,
    )
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    responses((status = 204, description = "Deleted with its deliveries"), (status = 404)),
    security(("apiKey" = ["write"], "bearerToken" = ["write"])))]
async fn delete_webhook(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            let (sandbox, actor) = acting_caller(&state, &call, Scope::Write).await?;
            webhooks::delete(&state, &sandbox, &actor, &id)
                .await
                .map_err(|error| match error {
                    AppError::NotFound(_) => not_found("webhook"),
                    other => internal(other),
                })?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        .await,
    )
}

#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns",
    responses((status = 200, body = [CampaignResource])), security(("apiKey" = ["read"], "bearerToken" = ["read"])))]
async fn list_campaigns(State(state): State<AppState>, call: RestCall) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Read).await?;
            let records = state
                .store
                .list_campaigns(sandbox.id)
                .await
                .map_err(internal)?;
            let items: Vec<_> = records.iter().map(campaign_resource).collect();
            Ok(json_response(StatusCode::OK, &items))
        }
        .await,
    )
}

#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignInput,
    responses((status = 201, body = CampaignResource), (status = 400, body = ValidationErrors)),
    security(("apiKey" = ["write"], "bearerToken" = ["write"])))]
async fn create_campaign(State(state): State<AppState>, call: RestCall, body: Bytes) -> Response {
    answer(
        async {
            let (sandbox, actor) = acting_caller(&state, &call, Scope::Write).await?;
            let form = campaign_form("", parse_body(&body)?);
            let outcome = campaigns::save(&state, &sandbox, &actor, &form).await;
            saved_campaign(&state, &sandbox, outcome).await
        }
        .await,
    )
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns",
    responses((status = 200, body = CampaignResource), (status = 404)), security(("apiKey" = ["read"], "bearerToken" = ["read"])))]
async fn get_campaign(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Read).await?;
            let record = campaigns::load(&state, &sandbox, &id)
                .await
                .map_err(|_| not_found("campaign"))?;
            Ok(json_response(StatusCode::OK, &campaign_resource(&record)))
        }
        .await,
    )
}

#[utoipa::path(put, path = "/api/v1/campaigns/{id}", tag = "campaigns", request_body = CampaignInput,
    responses((status = 200, body = CampaignResource), (status = 400, body = ValidationErrors), (status = 404)),
    security(("apiKey" = ["write"], "bearerToken" = ["write"])))]
async fn update_campaign(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    answer(
        async {
            let (sandbox, actor) = acting_caller(&state, &call, Scope::Write).await?;
            campaigns::load(&state, &sandbox, &id)
                .await
                .map_err(|_| not_found("campaign"))?;
            let form = campaign_form(&id, parse_body(&body)?);
            let outcome = campaigns::save(&state, &sandbox, &actor, &form).await;
            saved_campaign(&state, &sandbox, outcome).await
        }
        .await,
    )
}

/// Deliveries of the sandbox, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/deliveries", tag = "deliveries", params(DeliveryQuery),
    responses((status = 200, body = DeliveryPage)), security(("apiKey" = ["read"], "bearerToken" = ["read"])))]
async fn list_deliveries(
    State(state): State<AppState>,
    call: RestCall,
    Query(query): Query<DeliveryQuery>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Read).await?;
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
            .map_err(|problem| {
                let field = if problem.field == "webhook" {
                    "webhookId"
                } else {
                    problem.field
                };
                Refusal::new(
                    400,
                    Some(field),
                    problem.message.replace("webhook is", "webhookId is"),
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
                &DeliveryPage {
                    items: records.iter().map(delivery_resource).collect(),
                    next_before,
                },
            ))
        }
        .await,
    )
}

#[utoipa::path(get, path = "/api/v1/deliveries/{id}", tag = "deliveries",
    responses((status = 200, body = DeliveryDetail), (status = 404)), security(("apiKey" = ["read"], "bearerToken" = ["read"])))]
async fn get_delivery(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Read).await?;
            let id = uuid::Uuid::parse_str(&id).map_err(|_| not_found("delivery"))?;
            let (record, payload, attempts) = state
                .store
                .delivery(sandbox.id, id)
                .await
                .map_err(internal)?
                .ok_or_else(|| not_found("delivery"))?;
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

/// An entry of the audit log: who changed what, when, from where, and how.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntryResource {
    /// Increasing with time; the cursor of the pages.
    id: i64,
    at: String,
    /// `user`, `credential`, `system` or `anonymous` (a sign-in by someone not signed in).
    actor_kind: String,
    /// The user's email, the credential's name, or what the system did it as.
    actor: String,
    /// The client's address, when the change came through a request.
    address: Option<String>,
    /// What was done, e.g. `webhook.updated`, `user.role_changed`, `sign_in.failed`.
    action: String,
    /// `webhook`, `campaign`, `credential`, `sandbox`, `user` or `delivery`.
    object_kind: String,
    object_id: Option<String>,
    object_name: String,
    /// The fields that changed; a secret's values are never given, only that it changed.
    changes: Vec<FieldChangeResource>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldChangeResource {
    field: String,
    before: Option<String>,
    after: Option<String>,
    /// A secret (a key, a secret header value, a password): `before` and `after` are absent.
    secret: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditLogPage {
    /// Newest first.
    items: Vec<AuditEntryResource>,
    /// Pass as `before` for the next page; absent on the last one.
    next_before: Option<String>,
}

#[derive(Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditLogQuery {
    /// A user's email or a credential's name, matched exactly, without regard to case.
    actor: Option<String>,
    /// `webhook`, `campaign`, `credential`, `sandbox`, `user` or `delivery`.
    object_kind: Option<String>,
    /// One object's id: its whole history.
    object_id: Option<String>,
    /// e.g. `webhook.updated`.
    action: Option<String>,
    /// At or after this UTC time (`2026-11-28T09:30`, or a date).
    from: Option<String>,
    /// Before this UTC time.
    to: Option<String>,
    /// 1 to 100; default 50.
    limit: Option<i64>,
    /// The `nextBefore` of the previous page.
    before: Option<String>,
}

fn audit_entry_resource(entry: crate::model::audit::AuditEntry) -> AuditEntryResource {
    AuditEntryResource {
        id: entry.id,
        at: entry.at,
        actor_kind: entry.actor_kind.as_str().into(),
        actor: entry.actor,
        address: entry.address,
        action: entry.action,
        object_kind: entry.object_kind,
        object_id: entry.object_id,
        object_name: entry.object_name,
        changes: entry
            .changes
            .into_iter()
            .map(|change| FieldChangeResource {
                field: change.field,
                before: change.before,
                after: change.after,
                secret: change.secret,
            })
            .collect(),
    }
}

/// The organization's audit log, newest first, under the same filters as its page. The log
/// belongs to the organization, so every sandbox's credential of it reads the same one.
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit log", params(AuditLogQuery),
    responses((status = 200, body = AuditLogPage), (status = 400, description = "A filter, `limit` or `before` is not valid, naming it"),
              (status = 401, description = "Missing or invalid credentials"), (status = 403, description = "The credential lacks the audit scope")),
    security(("apiKey" = ["audit"], "bearerToken" = ["audit"])))]
async fn list_audit_log(
    State(state): State<AppState>,
    call: RestCall,
    Query(query): Query<AuditLogQuery>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Audit).await?;
            let limit = page_limit(query.limit)?;
            let before = match query.before.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(text) => Some(text.parse::<i64>().map_err(|_| {
                    Refusal::new(
                        400,
                        Some("before"),
                        "before is the nextBefore of a previous page.",
                    )
                })?),
            };
            let filters = crate::model::audit::AuditQuery {
                actor: query.actor,
                object_kind: query.object_kind,
                object_id: query.object_id,
                action: query.action,
                from: query.from,
                to: query.to,
                before,
            };
            let page = crate::server::audit::page(
                &state,
                sandbox.organization_id,
                &filters,
                Some(limit as usize),
            )
            .await
            .map_err(|error| match error {
                AppError::BadRequest(problem) => Refusal::new(400, None, problem),
                other => internal(other),
            })?;
            Ok(json_response(
                StatusCode::OK,
                &AuditLogPage {
                    items: page.entries.into_iter().map(audit_entry_resource).collect(),
                    next_before: page.next.map(|id| id.to_string()),
                },
            ))
        }
        .await,
    )
}

/// The body of `POST /im/executions/unitary` (spec §4).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ExecutionInput {
    request_id: String,
    campaign_id: String,
    /// 1 to 20.
    recipients: Vec<RecipientInput>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct RecipientInput {
    /// `aep` or `external`.
    r#type: String,
    user_id: String,
    namespace: String,
    channel_data: Option<ChannelDataInput>,
    profile: Option<serde_json::Value>,
    context: Option<serde_json::Value>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ChannelDataInput {
    email_address: Option<String>,
    mobile_phone_number: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionAccepted {
    execution_id: String,
    request_id: String,
    created_at: String,
    created_by: String,
}

/// Executes a live campaign for up to 20 recipients; a replayed requestId gets the same answer.
#[utoipa::path(post, path = "/im/executions/unitary", tag = "executions", request_body = ExecutionInput,
    params(("x-sandbox-name" = String, Header, description = "The sandbox of the campaign"),
           ("x-gw-ims-org-id" = String, Header, description = "The organization of the credentials"),
           ("x-request-id" = Option<String>, Header, description = "Echoed back")),
    responses((status = 202, body = ExecutionAccepted), (status = 400, description = "Invalid body, naming the field"),
              (status = 401), (status = 403), (status = 404), (status = 409, description = "Campaign not live"),
              (status = 422, description = "Address missing for the campaign's channel")),
    security(("apiKey" = ["execute"], "bearerToken" = ["execute"])))]
#[allow(dead_code)]
fn execution_documented() {}

struct Credentials;

impl utoipa::Modify for Credentials {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "apiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
        );
        components.add_security_scheme(
            "bearerToken",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Feedback Webhooks API", description = "Every call sends `x-api-key`, `Authorization: Bearer <token>`, `x-gw-ims-org-id` and `x-sandbox-name`. A credential may do what its scopes allow, named on each operation's security requirement: `execute` (the execution API), `read` (the REST API's reads), `write` (its creates, updates and deletes), `audit` (the organization's audit log); a call outside them is refused with 403, and a credential past its expiry with 401. Errors are `{type, title, status, report: {additionalContext}}`."),
    paths(list_webhooks, create_webhook, get_webhook, update_webhook, delete_webhook,
          list_campaigns, create_campaign, get_campaign, update_campaign,
          list_deliveries, get_delivery, list_audit_log, execution_documented),
    modifiers(&Credentials)
)]
pub struct ApiDoc;

/// The OpenAPI document, generated from the handlers above.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

async fn openapi_json() -> Response {
    json_response(StatusCode::OK, &openapi_document())
}

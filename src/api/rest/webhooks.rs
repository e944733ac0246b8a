//! `/api/v1/webhooks`: the feedback webhooks of the caller's sandbox, created and changed
//! through the same form checks as the settings page.

use super::*;
use crate::error::AppError;
use crate::model::feedback::FeedbackStatus;
use crate::model::webhook::{Channel, JwtAlgorithm};
use crate::model::{checkbox, HeaderRowForm, SaveOutcome, WebhookForm};
use crate::server::storage::{StoredHeaderValue, WebhookRecord};
use crate::server::webhooks;
use crate::server::webhooks::format_ms;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::routing::post;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/webhooks", get(list_webhooks).post(create_webhook))
        .route(
            "/api/v1/webhooks/{id}",
            get(get_webhook).put(update_webhook).delete(delete_webhook),
        )
        .route(
            "/api/v1/webhooks/{id}/signing-secret",
            post(rotate_signing_secret).delete(remove_signing_secret),
        )
        .route("/api/v1/webhooks/{id}/test", post(send_test_event))
        .route("/api/v1/webhooks/{id}/enable", post(enable_webhook))
}

/// A feedback webhook as the API shows it: secrets never, their fingerprints only.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookResource {
    #[schema(format = Uuid)]
    id: String,
    name: String,
    channels: Vec<Channel>,
    url: String,
    enabled: bool,
    /// Why the server turned it off (its endpoint answered 410 Gone, or failed for days).
    disabled_reason: Option<String>,
    /// The events it receives.
    events: Vec<FeedbackStatus>,
    authentication: AuthenticationResource,
    headers: Vec<HeaderResource>,
    /// The Standard Webhooks signing secret's fingerprint, when one is set.
    signing_secret_fingerprint: Option<String>,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum AuthenticationType {
    None,
    Jwt,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationResource {
    r#type: AuthenticationType,
    algorithm: Option<JwtAlgorithm>,
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
    #[schema(format = Uuid)]
    id: String,
    name: String,
    /// `null` for a secret value.
    value: Option<String>,
    secret: bool,
}

/// A webhook to create or replace. On replace, a blank `authentication.key` or secret header
/// `value` keeps the stored one (send the header's `id`). Unknown fields are refused.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = webhook_example)]
pub struct WebhookInput {
    /// Unique in the sandbox, ignoring case; surrounding spaces are trimmed.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        example = "Order feedback"
    )]
    name: String,
    #[schema(min_items = 1, max_items = 2)]
    channels: Vec<Channel>,
    /// `https://` (plain `http://` only for the server's allow-listed private addresses), no
    /// user name, password or fragment, at most 2,048 characters.
    #[schema(
        min_length = 1,
        max_length = 2048,
        pattern = r"^[hH][tT][tT][pP][sS]?://",
        example = "https://hooks.example.com/feedback"
    )]
    url: String,
    #[serde(default = "yes")]
    #[schema(default = true)]
    enabled: bool,
    /// Default: every event.
    #[schema(min_items = 1, max_items = 4)]
    events: Option<Vec<FeedbackStatus>>,
    authentication: Option<AuthenticationInput>,
    #[serde(default)]
    #[schema(max_items = 50)]
    headers: Vec<HeaderInput>,
}

fn yes() -> bool {
    true
}

/// The README's example body.
pub fn webhook_example() -> serde_json::Value {
    serde_json::json!({
        "name": "Order feedback",
        "channels": ["email", "sms"],
        "url": "https://hooks.example.com/feedback",
        "events": ["delivered", "bounce", "error"],
        "authentication": {"type": "jwt", "algorithm": "HS256",
                           "key": "a-shared-secret-of-at-least-32-bytes", "issuer": "feedback-webhooks"},
        "headers": [{"name": "X-Tenant", "value": "acme"}]
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthenticationInput {
    r#type: AuthenticationType,
    /// Required for `jwt`.
    algorithm: Option<JwtAlgorithm>,
    /// Shared secret (HS*: 32 bytes or more) or PEM private key; write-only. Required for a
    /// new JWT webhook; blank keeps the stored one.
    #[schema(max_length = 16384)]
    key: Option<String>,
    #[schema(max_length = 256)]
    key_id: Option<String>,
    #[schema(max_length = 1024)]
    issuer: Option<String>,
    #[schema(max_length = 1024)]
    subject: Option<String>,
    #[schema(max_length = 1024)]
    audience: Option<String>,
    /// A JSON object as text, without `iat`, `exp`, `jti`.
    #[schema(max_length = 4096)]
    extra_claims: Option<String>,
    /// 30 to 3,600; default 300.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(minimum = 30, maximum = 3600)]
    lifetime_secs: Option<u32>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeaderInput {
    /// The stored header's id, to keep its secret value with a blank `value`.
    #[schema(format = Uuid)]
    id: Option<String>,
    /// A header name (an HTTP token); the rows' names and values add up to 8 KiB at most.
    #[schema(
        min_length = 1,
        pattern = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
        example = "X-Tenant"
    )]
    name: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    secret: bool,
}

fn webhook_resource(record: &WebhookRecord) -> WebhookResource {
    let settings = &record.settings;
    let jwt = settings.jwt.as_ref();
    WebhookResource {
        id: record.id.to_string(),
        name: settings.name.clone(),
        channels: crate::model::summary_channels(settings.email, settings.sms),
        url: settings.url.clone(),
        enabled: settings.enabled,
        disabled_reason: settings
            .disabled_reason
            .as_deref()
            .map(crate::i18n::messages::stored_english),
        events: settings.events.clone(),
        authentication: AuthenticationResource {
            r#type: if jwt.is_some() {
                AuthenticationType::Jwt
            } else {
                AuthenticationType::None
            },
            algorithm: jwt.and_then(|j| JwtAlgorithm::parse(&j.algorithm)),
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

/// The same form a person fills in, so the API validates exactly like the page. What only a
/// body can get wrong is refused first: the form ignores a blank header row, a body may not
/// send one, and a header's `id` is a stored header's.
fn webhook_form(id: &str, input: WebhookInput) -> Result<WebhookForm, Refusal> {
    each_once("channels", input.channels.iter().map(|c| c.as_str()))?;
    if let Some(events) = &input.events {
        each_once("events", events.iter().map(|e| e.as_str()))?;
    }
    for (index, header) in input.headers.iter().enumerate() {
        if header.name.is_empty() {
            let field = format!("headers[{index}].name");
            return Err(Refusal::new(
                400,
                Some(&field),
                format!("{field} is required."),
            ));
        }
        if let Some(id) = &header.id {
            if uuid::Uuid::try_parse(id).is_err() || id.len() != 36 {
                let field = format!("headers[{index}].id");
                return Err(Refusal::new(
                    400,
                    Some(&field),
                    format!("{field} is the id of one of the webhook's headers."),
                ));
            }
        }
    }
    let auth = input.authentication;
    let text = |value: Option<String>| value.unwrap_or_default();
    let mut form = WebhookForm {
        id: id.to_string(),
        name: input.name,
        email: checkbox(input.channels.contains(&Channel::Email)),
        sms: checkbox(input.channels.contains(&Channel::Sms)),
        url: input.url,
        enabled: checkbox(input.enabled),
        auth: match auth.as_ref().map(|a| a.r#type) {
            Some(AuthenticationType::Jwt) => "jwt",
            _ => "none",
        }
        .into(),
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
        form.jwt_algorithm = auth
            .algorithm
            .map(|a| a.as_str().to_string())
            .unwrap_or_default();
        form.jwt_secret = text(auth.key);
        form.jwt_key_id = text(auth.key_id);
        form.jwt_issuer = text(auth.issuer);
        form.jwt_subject = text(auth.subject);
        form.jwt_audience = text(auth.audience);
        form.jwt_extra_claims = text(auth.extra_claims);
    }
    form.set_events(&input.events.unwrap_or_else(|| FeedbackStatus::ALL.to_vec()));
    Ok(form)
}

/// A settings form's field as the body names it: `jwt_secret` → `authentication.key`.
fn api_field(field: &str) -> String {
    match field {
        "auth" => "authentication.type".into(),
        "jwt_secret" => "authentication.key".into(),
        "jwt_lifetime" => "authentication.lifetimeSecs".into(),
        _ => match field.strip_prefix("jwt_") {
            Some(rest) => format!("authentication.{}", camel_case(rest)),
            None => camel_case(field),
        },
    }
}

/// A webhook of the caller's sandbox, 404 when there is none by that id.
async fn load(state: &AppState, sandbox: &SandboxRef, id: &str) -> Result<WebhookRecord, Refusal> {
    webhooks::load(state, sandbox, id)
        .await
        .map_err(refused("webhook"))
}

async fn saved_webhook(
    state: &AppState,
    sandbox: &SandboxRef,
    outcome: Result<SaveOutcome, AppError>,
) -> ApiResult {
    saved(outcome, "webhook", api_field, |id| async move {
        let record = webhooks::load(state, sandbox, &id).await.ok()?;
        Some(webhook_resource(&record))
    })
    .await
}

/// The sandbox's webhooks, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(PageQuery),
    responses((status = 200, body = Page<WebhookResource>)),
    security(("apiKey" = ["read"], "bearerToken" = ["read"])))]
async fn list_webhooks(
    State(state): State<AppState>,
    call: RestCall,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Read).await?;
            // Who calls is checked first: a refused caller learns nothing of the query.
            let Query(query) = query.map_err(query_refused)?;
            let records = state
                .store
                .list_webhooks(sandbox.id)
                .await
                .map_err(internal)?;
            list_page(
                records,
                |r| (r.created_at_ms, r.id),
                &query,
                webhook_resource,
            )
        }
        .await,
    )
}

/// Creates a webhook, checked exactly like the settings form.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookInput,
    responses((status = 201, body = WebhookResource)),
    security(("apiKey" = ["write"], "bearerToken" = ["write"])))]
async fn create_webhook(State(state): State<AppState>, call: RestCall, body: Bytes) -> Response {
    answer(
        async {
            let (sandbox, actor) = acting_caller(&state, &call, Scope::Write).await?;
            let form = webhook_form("", parse_body(&body)?)?;
            let outcome = webhooks::save(&state, &sandbox, &actor, &form).await;
            saved_webhook(&state, &sandbox, outcome).await
        }
        .await,
    )
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(Id),
    responses((status = 200, body = WebhookResource)),
    security(("apiKey" = ["read"], "bearerToken" = ["read"])))]
async fn get_webhook(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Read).await?;
            let record = load(&state, &sandbox, &id).await?;
            Ok(json_response(StatusCode::OK, &webhook_resource(&record)))
        }
        .await,
    )
}

/// Replaces a webhook's settings.
#[utoipa::path(put, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(Id), request_body = WebhookInput,
    responses((status = 200, body = WebhookResource)),
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
            load(&state, &sandbox, &id).await?;
            let form = webhook_form(&id, parse_body(&body)?)?;
            let outcome = webhooks::save(&state, &sandbox, &actor, &form).await;
            saved_webhook(&state, &sandbox, outcome).await
        }
        .await,
    )
}

/// Deletes a webhook with its deliveries; campaigns that used it stop sending feedback.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(Id),
    responses((status = 204, description = "Deleted with its deliveries")),
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
                .map_err(refused("webhook"))?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        .await,
    )
}

/// A new Standard Webhooks signing secret: shown this once, never again.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewSigningSecretResource {
    /// `whsec_` and the base64 of 32 random bytes.
    secret: String,
    fingerprint: String,
    /// Until then (RFC 3339), requests carry a second signature with the previous secret.
    previous_valid_until: Option<String>,
}

/// What the endpoint answered to a sample event.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestEventResource {
    /// `test-…`: the sample event's requestId.
    request_id: String,
    /// A 2xx answer.
    success: bool,
    status: Option<u16>,
    /// `E_TIMEOUT`, `E_CONNECT`, `E_TLS`… when no status came.
    error_code: Option<String>,
    /// The status or error code in plain words.
    explanation: String,
    duration_ms: u64,
    /// The start of the response body.
    body_excerpt: String,
}

/// Generates a new signing secret (the previous one keeps signing alongside for the server's
/// overlap, 24 hours by default) and shows it, the only time.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/signing-secret", tag = "webhooks", params(Id),
    responses((status = 201, body = NewSigningSecretResource)),
    security(("apiKey" = ["write"], "bearerToken" = ["write"])))]
async fn rotate_signing_secret(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            let (sandbox, actor) = acting_caller(&state, &call, Scope::Write).await?;
            let new = webhooks::rotate_signing_secret(&state, &sandbox, &actor, &id)
                .await
                .map_err(refused("webhook"))?;
            // Kept by no cache: the security headers' no-store covers every REST answer.
            Ok(json_response(
                StatusCode::CREATED,
                &NewSigningSecretResource {
                    secret: new.secret,
                    fingerprint: new.info.fingerprint,
                    previous_valid_until: new.info.previous_valid_until,
                },
            ))
        }
        .await,
    )
}

/// Stops signing this webhook's requests, at once (the previous secret too).
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}/signing-secret", tag = "webhooks", params(Id),
    responses((status = 204, description = "No signing secret any more")),
    security(("apiKey" = ["write"], "bearerToken" = ["write"])))]
async fn remove_signing_secret(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            let (sandbox, actor) = acting_caller(&state, &call, Scope::Write).await?;
            webhooks::remove_signing_secret(&state, &sandbox, &actor, &id)
                .await
                .map_err(refused("webhook"))?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        .await,
    )
}

/// Sends a sample `delivered` event to the webhook now, signed and authenticated like the real
/// ones, and reports what its endpoint answered (not stored as a delivery).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks", params(Id),
    responses((status = 200, body = TestEventResource)),
    security(("apiKey" = ["write"], "bearerToken" = ["write"])))]
async fn send_test_event(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Write).await?;
            let result = webhooks::send_test_event(&state, &sandbox, &id)
                .await
                .map_err(refused("webhook"))?;
            Ok(json_response(
                StatusCode::OK,
                &TestEventResource {
                    request_id: result.request_id,
                    success: result.success,
                    status: result.status,
                    error_code: result.error_code,
                    explanation: result
                        .explanation
                        .map(|said| said.to_string())
                        .unwrap_or_default(),
                    duration_ms: result.duration_ms,
                    body_excerpt: result.body_excerpt,
                },
            ))
        }
        .await,
    )
}

/// Turns a webhook back on after the server disabled it (410 Gone, or failing for days) or a
/// person did; its waiting deliveries go out again.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/enable", tag = "webhooks", params(Id),
    responses((status = 200, body = WebhookResource)),
    security(("apiKey" = ["write"], "bearerToken" = ["write"])))]
async fn enable_webhook(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            let (sandbox, actor) = acting_caller(&state, &call, Scope::Write).await?;
            crate::server::history::enable(&state, &sandbox, &actor, &id)
                .await
                .map_err(refused("webhook"))?;
            let record = load(&state, &sandbox, &id).await?;
            Ok(json_response(StatusCode::OK, &webhook_resource(&record)))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::validation::{
        EXTRA_CLAIMS_MAX_CHARS, HEADERS_MAX_ROWS, JWT_LIFETIME_RANGE, KEY_MAX_CHARS,
        NAME_MAX_CHARS, URL_MAX_CHARS,
    };

    #[test]
    fn the_documented_example_is_a_body_the_api_takes_and_the_readme_shows() {
        let example = webhook_example();
        let input: WebhookInput = parse_body(example.to_string().as_bytes()).unwrap();
        let form = webhook_form("", input).unwrap();
        let allow = crate::model::network::PrivateTargetAllowList::default();
        crate::model::validation::validate_webhook(&form, &allow, &Default::default()).unwrap();
        let readme = include_str!("../../../README.md");
        assert!(readme.contains(r#""url": "https://hooks.example.com/feedback""#));
        assert!(readme.contains(r#""key": "a-shared-secret-of-at-least-32-bytes""#));
    }

    #[test]
    fn the_forms_fields_are_named_as_the_body_spells_them() {
        assert_eq!(api_field("auth"), "authentication.type");
        assert_eq!(api_field("jwt_secret"), "authentication.key");
        assert_eq!(api_field("jwt_key_id"), "authentication.keyId");
        assert_eq!(api_field("jwt_extra_claims"), "authentication.extraClaims");
        assert_eq!(api_field("jwt_lifetime"), "authentication.lifetimeSecs");
        assert_eq!(api_field("headers.3.name"), "headers.3.name");
        assert_eq!(api_field("url"), "url");
    }

    #[test]
    fn the_schema_bounds_are_the_forms() {
        // The document's bounds are literals (attributes take no paths): they follow the
        // form's constants.
        assert_eq!(NAME_MAX_CHARS, 100);
        assert_eq!(URL_MAX_CHARS, 2048);
        assert_eq!(HEADERS_MAX_ROWS, 50);
        assert_eq!(JWT_LIFETIME_RANGE, 30..=3600);
        assert_eq!(KEY_MAX_CHARS, 16384);
        assert_eq!(EXTRA_CLAIMS_MAX_CHARS, 4096);
    }
}

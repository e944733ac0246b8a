//! The delivery history of the current sandbox: lists, one delivery, resends, health, campaign
//! executions, and the export download.

use crate::error::AppError;
use crate::model::history::{
    BulkResend, DeliveryDetail, DeliveryPage, DeliveryQuery, ExecutionPage, QueueSummary,
    ResendOutcome, WebhookHealth,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::support::*,
    crate::model::message::Message,
    crate::model::{routes, Role},
    crate::server::{auth::*, history},
};

#[server(endpoint = "deliveries/list")]
pub async fn list_deliveries(query: Option<DeliveryQuery>) -> Result<DeliveryPage, AppError> {
    with_status(
        async {
            let (state, _, role, sandbox) = require_sandbox_user(Role::Viewer).await?;
            // No filter at all arrives as no `query` field.
            let query = query.unwrap_or_default();
            history::page(&state, &sandbox, &query, role.can_edit()).await
        }
        .await,
    )
}

/// The sandbox's delivery queue now.
#[server(endpoint = "deliveries/queue")]
pub async fn delivery_queue() -> Result<QueueSummary, AppError> {
    with_status(
        async {
            let (state, _, _, sandbox) = require_sandbox_user(Role::Viewer).await?;
            history::queue(&state, &sandbox).await
        }
        .await,
    )
}

#[server(endpoint = "deliveries/get")]
pub async fn load_delivery(id: String) -> Result<DeliveryDetail, AppError> {
    with_status(
        async {
            let (state, _, role, sandbox) = require_sandbox_user(Role::Viewer).await?;
            history::detail(&state, &sandbox, &id, role.can_edit()).await
        }
        .await,
    )
}

/// A new attempt now, with the same `webhook-id`.
#[server(endpoint = "deliveries/resend")]
pub async fn resend_delivery(id: String) -> Result<ResendOutcome, AppError> {
    with_status(
        async {
            let (state, user, _, sandbox) = require_sandbox_user(Role::Editor).await?;
            let actor = request_actor(&state, &user)?;
            let outcome = history::resend(&state, &sandbox, &actor, &id).await?;
            redirect_plain_post(&format!("{}?resent=1", routes::delivery(&id)));
            Ok(outcome)
        }
        .await,
    )
}

/// How many failed deliveries a bulk resend would queue (asked before confirming).
#[server(endpoint = "deliveries/failed-count")]
pub async fn count_failed_since(webhook: String, since: String) -> Result<BulkResend, AppError> {
    with_status(
        async {
            let (state, _, _, sandbox) = require_sandbox_user(Role::Viewer).await?;
            history::count_failed_since(&state, &sandbox, &webhook, &since).await
        }
        .await,
    )
}

#[server(endpoint = "deliveries/resend-failed")]
pub async fn resend_failed_since(webhook: String, since: String) -> Result<BulkResend, AppError> {
    with_status(
        async {
            let (state, user, _, sandbox) = require_sandbox_user(Role::Editor).await?;
            let actor = request_actor(&state, &user)?;
            let done =
                history::resend_failed_since(&state, &sandbox, &actor, &webhook, &since).await?;
            redirect_plain_post(&format!(
                "{}?resent_count={}",
                routes::webhook_deliveries(&webhook),
                done.count
            ));
            Ok(done)
        }
        .await,
    )
}

/// Turns a disabled webhook back on.
#[server(endpoint = "webhooks/enable")]
pub async fn enable_webhook(id: String) -> Result<(), AppError> {
    with_status(
        async {
            let (state, user, _, sandbox) = require_sandbox_user(Role::Editor).await?;
            let actor = request_actor(&state, &user)?;
            history::enable(&state, &sandbox, &actor, &id).await?;
            redirect_plain_post(&routes::webhook(&id));
            Ok(())
        }
        .await,
    )
}

/// The last 24 hours of one webhook, or of every webhook of the sandbox: (webhook id, health).
#[server(endpoint = "webhooks/health")]
pub async fn load_webhook_health(
    id: Option<String>,
) -> Result<Vec<(String, WebhookHealth)>, AppError> {
    with_status(
        async {
            let (state, _, _, sandbox) = require_sandbox_user(Role::Viewer).await?;
            let webhook = match id.as_deref() {
                Some(id) => Some(crate::server::webhooks::parse_id(id)?),
                None => None,
            };
            Ok(history::health(&state, &sandbox, webhook)
                .await?
                .into_iter()
                .map(|(id, health)| (id.to_string(), health))
                .collect())
        }
        .await,
    )
}

/// Executions a page of the campaign's executions shows.
#[cfg(feature = "ssr")]
const EXECUTIONS_PER_PAGE: i64 = 20;

#[server(endpoint = "campaigns/executions")]
pub async fn list_executions(
    campaign: String,
    before: Option<String>,
) -> Result<ExecutionPage, AppError> {
    with_status(
        async {
            let (state, _, _, sandbox) = require_sandbox_user(Role::Viewer).await?;
            history::executions(
                &state,
                &sandbox,
                &campaign,
                before.as_deref(),
                EXECUTIONS_PER_PAGE,
            )
            .await
        }
        .await,
    )
}

/// What an export's `format` may be, as its refusal says.
#[cfg(feature = "ssr")]
pub(super) fn export_format_choices() -> Message {
    Message::FilterOneOf {
        parameter: "format".into(),
        choices: vec!["csv".into(), "jsonl".into()],
    }
}

/// `GET /admin/deliveries/export?format=csv|jsonl&…filters`: a download of every matching
/// delivery, streamed.
#[cfg(feature = "ssr")]
pub async fn export(
    axum::extract::State(state): axum::extract::State<crate::server::state::AppState>,
    session: tower_sessions::Session,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> axum::response::Response {
    let refuse = refused_as_text;
    let user = match session_user(&state, &session).await {
        Ok(Some(user)) => user,
        Ok(None) => return refuse(AppError::Unauthenticated),
        Err(error) => return refuse(error),
    };
    let sandbox = match sandbox_of_session(&state, &user, &session).await {
        Ok(sandbox) => sandbox,
        Err(error) => return refuse(error),
    };
    let raw = raw.unwrap_or_default();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect();
    let query = DeliveryQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let format = match pairs
        .iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.as_str())
    {
        Some("jsonl") => history::ExportFormat::JsonLines,
        Some("csv") | None => history::ExportFormat::Csv,
        Some(_) => return refuse(AppError::BadRequest(export_format_choices())),
    };
    let stream = match history::export(&state, &sandbox, &query, format).await {
        Ok(stream) => stream,
        Err(error) => return refuse(error),
    };
    let (content_type, extension) = match format {
        history::ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        history::ExportFormat::JsonLines => ("application/x-ndjson", "jsonl"),
    };
    let file = format!(
        "deliveries-{}-{}.{extension}",
        sandbox.name,
        crate::server::storage::now_ms() / 1000
    );
    download(content_type, &file, stream)
}

//! Administration › Audit log (administrators only): a page of entries under filters, and the
//! same entries as a file.

use crate::error::AppError;
use crate::model::audit::{AuditPage, AuditQuery};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::support::*, crate::model::Role, crate::server::audit, crate::server::auth::*};

#[server(endpoint = "audit/list")]
pub async fn list_audit(query: Option<AuditQuery>) -> Result<AuditPage, AppError> {
    with_status(
        async {
            let (state, admin, _) = require_user(Role::Admin).await?;
            audit::page(
                &state,
                admin.organization_id,
                &query.unwrap_or_default(),
                None,
            )
            .await
        }
        .await,
    )
}

/// `GET /admin/audit-log/export?format=csv|jsonl` with the page's filters: a file, newest first.
#[cfg(feature = "ssr")]
pub async fn export(
    axum::extract::State(state): axum::extract::State<crate::server::state::AppState>,
    session: tower_sessions::Session,
    axum::extract::Query(query): axum::extract::Query<AuditQuery>,
    axum::extract::Query(format): axum::extract::Query<ExportChoice>,
) -> axum::response::Response {
    use crate::server::history::ExportFormat;
    let refuse = refused_as_text;
    let admin = match session_user(&state, &session).await {
        Ok(Some(user)) if Role::parse(&user.role) == Some(Role::Admin) => user,
        Ok(Some(_)) => return refuse(AppError::Forbidden),
        Ok(None) => return refuse(AppError::Unauthenticated),
        Err(error) => return refuse(error),
    };
    let (format, content_type, extension) = match format.format.as_deref() {
        Some("jsonl") => (ExportFormat::JsonLines, "application/x-ndjson", "jsonl"),
        Some("csv") | None => (ExportFormat::Csv, "text/csv; charset=utf-8", "csv"),
        Some(_) => {
            return refuse(AppError::BadRequest(
                super::deliveries::export_format_choices(),
            ))
        }
    };
    let stream = match audit::export(&state, admin.organization_id, &query, format) {
        Ok(stream) => stream,
        Err(error) => return refuse(error),
    };
    let file = format!(
        "audit-log-{}.{extension}",
        crate::server::storage::now_ms() / 1000
    );
    download(content_type, &file, stream)
}

/// The export's `format` parameter.
#[cfg(feature = "ssr")]
#[derive(serde::Deserialize)]
pub struct ExportChoice {
    format: Option<String>,
}

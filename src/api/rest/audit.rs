//! `/api/v1/audit-log`: the organization's audit log, under the same filters as its page.

use super::*;
use crate::error::AppError;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/audit-log", get(list_audit_log))
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

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditLogQuery {
    /// A user's email or a credential's name, matched exactly, without regard to case.
    #[param(
        max_length = 320,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    actor: Option<String>,
    /// `webhook`, `campaign`, `credential`, `sandbox`, `user` or `delivery`.
    #[param(
        max_length = 320,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    object_kind: Option<String>,
    /// One object's id: its whole history.
    #[param(
        max_length = 320,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    object_id: Option<String>,
    /// e.g. `webhook.updated`.
    #[param(
        max_length = 320,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    action: Option<String>,
    /// At or after this UTC time: RFC 3339 (`2026-11-28T09:30:00Z`), or shorter
    /// (`2026-11-28T09:30`, `2026-11-28`).
    #[param(format = DateTime, max_length = 320, pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")]
    from: Option<String>,
    /// Before this UTC time.
    #[param(format = DateTime, max_length = 320, pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")]
    to: Option<String>,
    /// 1 to 100; default 50.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// The `nextBefore` of the previous page.
    #[param(pattern = r"^[0-9]{1,18}$")]
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
    responses((status = 200, body = Page<AuditEntryResource>), (status = 400, description = "A filter, `limit` or `before` is not valid, naming it"),
              (status = 401, description = "Missing or invalid credentials"), (status = 403, description = "The credential lacks the audit scope")),
    security(("apiKey" = ["audit"], "bearerToken" = ["audit"])))]
async fn list_audit_log(
    State(state): State<AppState>,
    call: RestCall,
    query: Result<Query<AuditLogQuery>, QueryRejection>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Audit).await?;
            // Who calls is checked first: a refused caller learns nothing of the query.
            let Query(query) = query.map_err(query_refused)?;
            let limit = page_limit(query.limit)?;
            for (field, value) in [
                ("actor", &query.actor),
                ("objectKind", &query.object_kind),
                ("objectId", &query.object_id),
                ("action", &query.action),
                ("from", &query.from),
                ("to", &query.to),
            ] {
                not_blank(field, value)?;
            }
            let before = match query.before.as_deref() {
                None => None,
                Some(text) => {
                    let digits =
                        (1..=18).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
                    Some(text.parse::<i64>().ok().filter(|_| digits).ok_or_else(|| {
                        Refusal::new(
                            400,
                            Some("before"),
                            "before is the nextBefore of a previous page.",
                        )
                    })?)
                }
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
                AppError::BadRequest(problem) => Refusal::new(400, None, problem.to_string()),
                other => internal(other),
            })?;
            Ok(json_response(
                StatusCode::OK,
                &Page {
                    items: page.entries.into_iter().map(audit_entry_resource).collect(),
                    next_before: page.next.map(|id| id.to_string()),
                },
            ))
        }
        .await,
    )
}

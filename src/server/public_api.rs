//! What every call of the public API shares: the caller's credentials and headers, and the
//! one error shape of every refusal, REST and execution API alike:
//! `{"type", "title", "status", "report": {"additionalContext": {...}, "errors": {...}}}`.

use crate::model::credential::Scope;
use crate::model::execution::RequestProblem;
use crate::server::credentials::{authenticate, CredentialProblem};
use crate::server::state::AppState;
use crate::server::storage::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// The caller's headers that matter.
pub struct CallerHeaders<'a> {
    pub api_key: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub ims_org: Option<&'a str>,
    pub sandbox: Option<&'a str>,
}

/// A refusal with what the error body reports.
#[derive(Debug, Default, PartialEq)]
pub struct Refusal {
    pub problem: RequestProblem,
    /// Every field refused at once (a REST body checked like its form): field → message.
    /// Boxed: a refusal travels in every `Result` of the API's handlers, kept small.
    pub field_errors: Box<BTreeMap<String, String>>,
    pub request_id: Option<String>,
    pub campaign_id: Option<String>,
}

impl Refusal {
    pub fn new(status: u16, field: Option<&str>, message: impl Into<String>) -> Self {
        Refusal {
            problem: RequestProblem {
                status,
                field: field.map(str::to_string),
                message: message.into(),
            },
            ..Default::default()
        }
    }

    /// A well-formed body whose values break the rules field by field (422: a JWT without
    /// its key, a taken name, an address that is not public), its title naming the fields.
    pub fn invalid_fields(errors: BTreeMap<String, String>) -> Self {
        let names: Vec<&str> = errors.keys().map(String::as_str).collect();
        Refusal {
            problem: RequestProblem {
                status: 422,
                field: None,
                message: format!("Refused field by field: {}.", names.join(", ")),
            },
            field_errors: Box::new(errors),
            ..Default::default()
        }
    }
}

/// Checks the caller's credentials and headers: the credential, that it may do what `scope`
/// allows, its organization, the sandbox.
pub async fn authorize(
    state: &AppState,
    headers: CallerHeaders<'_>,
    scope: Scope,
) -> Result<(CredentialRecord, SandboxRef), Refusal> {
    let named_sandbox = headers
        .sandbox
        .map(str::trim)
        .filter(|name| !name.is_empty());
    let (credential, sandbox) = authenticate(
        state.store.as_ref(),
        headers.api_key,
        headers.authorization,
        named_sandbox,
    )
    .await
    .map_err(|problem| match problem {
        CredentialProblem::Missing(header) => Refusal::new(
            401,
            Some(header),
            format!("The {header} header is required."),
        ),
        CredentialProblem::Invalid => Refusal::new(
            401,
            None,
            "The API key and token are not valid credentials.",
        ),
        CredentialProblem::Expired => Refusal::new(
            401,
            None,
            "These credentials have expired: create new ones in API credentials.",
        ),
        CredentialProblem::Unreadable { unavailable: true } => Refusal::new(
            503,
            None,
            "The database is unavailable; nothing was done. Try again shortly.",
        ),
        CredentialProblem::Unreadable { unavailable: false } => {
            Refusal::new(500, None, "The credentials could not be read.")
        }
    })?;
    if !credential.scopes.contains(&scope) {
        return Err(Refusal::new(
            403,
            None,
            format!(
                "These credentials lack the {} scope, needed to {}.",
                scope.as_str(),
                scope.meaning()
            ),
        ));
    }
    let ims_org = required_header(headers.ims_org, "x-gw-ims-org-id")?;
    if ims_org != credential.ims_org {
        return Err(Refusal::new(
            403,
            Some("x-gw-ims-org-id"),
            "These credentials do not belong to this organization.",
        ));
    }
    let sandbox_name = required_header(headers.sandbox, "x-sandbox-name")?;
    let store = state.store.as_ref();
    // The stored last use is at most a minute old: most calls need no write for it.
    let now = now_ms();
    if credential
        .last_used_at_ms
        .is_none_or(|last| now - last >= 60_000)
    {
        let _ = store.touch_credential(credential.id, now).await;
    }

    let sandbox = sandbox.ok_or_else(|| {
        Refusal::new(
            404,
            Some("x-sandbox-name"),
            format!("No sandbox {sandbox_name} in this organization."),
        )
    })?;
    Ok((credential, sandbox))
}

fn required_header<'a>(value: Option<&'a str>, name: &'static str) -> Result<&'a str, Refusal> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Refusal::new(400, Some(name), format!("The {name} header is required.")))
}

/// The public API's error body: one shape for every refusal.
#[derive(Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Problem {
    /// Stable: `/api/errors#validation` (400), `#unauthorized` (401), `#forbidden` (403),
    /// `#not-found` (404), `#method-not-allowed` (405), `#conflict` (409), `#too-large` (413),
    /// `#unprocessable` (422), `#unavailable` (503), `#internal` (500).
    #[serde(rename = "type")]
    pub kind: String,
    /// What went wrong, in a sentence meant for a person.
    pub title: String,
    /// The HTTP status, repeated.
    pub status: u16,
    pub report: ProblemReport,
}

#[derive(Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProblemReport {
    /// What the refusal is about: `field` (the one field or header refused), and for the
    /// execution API the call's `requestId` and `campaignId`.
    pub additional_context: BTreeMap<String, String>,
    /// Each refused field (a path such as `authentication.key` or `headers.0.name`) with its
    /// message; absent when no field is at fault.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, String>,
}

/// The `type` of a refusal with this status.
pub fn problem_type(status: u16) -> String {
    let slug = match status {
        400 => "validation",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        409 => "conflict",
        413 => "too-large",
        422 => "unprocessable",
        503 => "unavailable",
        _ => "internal",
    };
    format!("/api/errors#{slug}")
}

pub fn error_body(refusal: &Refusal) -> Problem {
    let mut context = BTreeMap::new();
    if let Some(id) = &refusal.request_id {
        context.insert("requestId".into(), id.clone());
    }
    if let Some(id) = &refusal.campaign_id {
        context.insert("campaignId".into(), id.clone());
    }
    let mut errors = (*refusal.field_errors).clone();
    if let Some(field) = &refusal.problem.field {
        context.insert("field".into(), field.clone());
        errors
            .entry(field.clone())
            .or_insert_with(|| refusal.problem.message.clone());
    }
    Problem {
        kind: problem_type(refusal.problem.status),
        title: refusal.problem.message.clone(),
        status: refusal.problem.status,
        report: ProblemReport {
            additional_context: context,
            errors,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_its_field_in_the_context_and_the_errors() {
        let body = serde_json::to_value(error_body(&Refusal::new(
            401,
            Some("x-api-key"),
            "The x-api-key header is required.",
        )))
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "type": "/api/errors#unauthorized",
                "title": "The x-api-key header is required.",
                "status": 401,
                "report": {
                    "additionalContext": {"field": "x-api-key"},
                    "errors": {"x-api-key": "The x-api-key header is required."},
                },
            })
        );
    }

    #[test]
    fn a_body_refused_field_by_field_lists_every_field() {
        let errors = BTreeMap::from([
            ("name".to_string(), "Enter a webhook name.".to_string()),
            ("url".to_string(), "Use https.".to_string()),
        ]);
        let body = serde_json::to_value(error_body(&Refusal::invalid_fields(errors))).unwrap();
        assert_eq!(body["type"], "/api/errors#unprocessable");
        assert_eq!(body["status"], 422);
        assert_eq!(body["title"], "Refused field by field: name, url.");
        assert_eq!(body["report"]["errors"]["url"], "Use https.");
        assert_eq!(body["report"]["additionalContext"], serde_json::json!({}));
    }

    #[test]
    fn a_refusal_without_a_field_has_no_errors_member() {
        let body = serde_json::to_value(error_body(&Refusal::new(503, None, "Away."))).unwrap();
        assert_eq!(body["type"], "/api/errors#unavailable");
        assert!(body["report"].get("errors").is_none());
    }
}

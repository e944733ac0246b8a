//! What every call of the public API shares: the caller's credentials and headers, and the
//! error shape `{"type", "title", "status", "report": {"additionalContext": {...}}}`.

use crate::model::credential::Scope;
use crate::model::execution::RequestProblem;
use crate::server::credentials::{authenticate, CredentialProblem};
use crate::server::state::AppState;
use crate::server::storage::*;
use serde_json::json;

/// The caller's headers that matter.
pub struct CallerHeaders<'a> {
    pub api_key: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub ims_org: Option<&'a str>,
    pub sandbox: Option<&'a str>,
}

/// A refusal with what the error body reports.
#[derive(Debug, PartialEq)]
pub struct Refusal {
    pub problem: RequestProblem,
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
            request_id: None,
            campaign_id: None,
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

/// The public API's error body.
pub fn error_body(refusal: &Refusal) -> serde_json::Value {
    let slug = match refusal.problem.status {
        400 => "validation",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        409 => "conflict",
        422 => "unprocessable",
        _ => "internal",
    };
    let mut context = serde_json::Map::new();
    if let Some(id) = &refusal.request_id {
        context.insert("requestId".into(), json!(id));
    }
    if let Some(id) = &refusal.campaign_id {
        context.insert("campaignId".into(), json!(id));
    }
    if let Some(field) = &refusal.problem.field {
        context.insert("field".into(), json!(field));
    }
    json!({
        "type": format!("/api/errors#{slug}"),
        "title": refusal.problem.message,
        "status": refusal.problem.status,
        "report": { "additionalContext": context },
    })
}

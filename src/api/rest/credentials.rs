//! `/api/v1/credentials`: the organization's API credentials, listed, created (the token shown
//! once) and revoked with the `admin` scope, as on the API credentials page. A credential
//! creates none that may do more than itself.

use super::*;
use crate::model::credential::{CredentialForm, CredentialView};
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/credentials",
            get(list_credentials).post(create_credential),
        )
        .route(
            "/api/v1/credentials/{id}",
            axum::routing::delete(revoke_credential),
        )
}

/// A credential as the API shows it: never its token.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialResource {
    #[schema(format = Uuid)]
    id: String,
    name: String,
    /// Sent as `x-api-key`.
    api_key: String,
    /// What it may do.
    scopes: Vec<Scope>,
    created_at: String,
    last_used_at: Option<String>,
    expires_at: Option<String>,
    revoked_at: Option<String>,
    /// `active`, `expired` or `revoked`.
    status: String,
}

/// A credential just created, with its token: shown this once.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewCredentialResource {
    credential: CredentialResource,
    /// Sent as `Authorization: Bearer <token>`; kept by the server only as a hash.
    token: String,
}

/// How long a new credential lasts.
#[derive(Deserialize, ToSchema, Clone, Copy)]
pub enum Expiry {
    #[serde(rename = "never")]
    Never,
    #[serde(rename = "30d")]
    Days30,
    #[serde(rename = "90d")]
    Days90,
    #[serde(rename = "180d")]
    Days180,
    #[serde(rename = "365d")]
    Days365,
}

impl Expiry {
    fn key(self) -> &'static str {
        match self {
            Expiry::Never => "never",
            Expiry::Days30 => "30d",
            Expiry::Days90 => "90d",
            Expiry::Days180 => "180d",
            Expiry::Days365 => "365d",
        }
    }
}

/// A credential to create. Unknown fields are refused.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CredentialInput {
    /// Who uses it.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        example = "Deployment scripts"
    )]
    name: String,
    /// At least one, each at most once, and none the calling credential lacks.
    #[schema(min_items = 1, max_items = 5)]
    scopes: Vec<Scope>,
    /// Default: `never`.
    #[serde(default)]
    expires: Option<Expiry>,
}

fn credential_resource(view: CredentialView) -> CredentialResource {
    let status = match (&view.revoked_at, view.expired) {
        (Some(_), _) => "revoked",
        (None, true) => "expired",
        (None, false) => "active",
    };
    CredentialResource {
        id: view.id,
        name: view.name,
        api_key: view.api_key,
        scopes: view.scopes,
        created_at: view.created_at,
        last_used_at: view.last_used_at,
        expires_at: view.expires_at,
        revoked_at: view.revoked_at,
        status: status.into(),
    }
}

/// The organization's credentials, revoked ones included, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/credentials", tag = "credentials", params(PageQuery),
    responses((status = 200, body = Page<CredentialResource>)),
    security(("apiKey" = ["admin"], "bearerToken" = ["admin"])))]
async fn list_credentials(
    State(state): State<AppState>,
    call: RestCall,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Admin).await?;
            // Who calls is checked first: a refused caller learns nothing of the query.
            let Query(query) = query.map_err(query_refused)?;
            let records = state
                .store
                .list_credentials(sandbox.organization_id)
                .await
                .map_err(internal)?;
            list_page(
                records,
                |r| (r.created_at_ms, r.id),
                &query,
                |record| credential_resource(crate::server::credentials::view(record)),
            )
        }
        .await,
    )
}

/// Creates a credential in the organization and shows its token, the only time.
#[utoipa::path(post, path = "/api/v1/credentials", tag = "credentials", request_body = CredentialInput,
    responses((status = 201, body = NewCredentialResource),
              (status = 403, description = "A scope the calling credential lacks, or no admin scope")),
    security(("apiKey" = ["admin"], "bearerToken" = ["admin"])))]
async fn create_credential(State(state): State<AppState>, call: RestCall, body: Bytes) -> Response {
    answer(
        async {
            let caller = authorized(&state, &call, Scope::Admin).await?;
            let input: CredentialInput = parse_body(&body)?;
            each_once("scopes", input.scopes.iter().map(|s| s.as_str()))?;
            if let Some(lacking) = input.scopes.iter().find(|s| !caller.scopes.contains(s)) {
                return Err(Refusal::new(
                    403,
                    Some("scopes"),
                    format!(
                        "These credentials lack the {} scope, so they cannot give it.",
                        lacking.as_str()
                    ),
                ));
            }
            let on = |scope: Scope| input.scopes.contains(&scope).then(|| "on".to_string());
            let form = CredentialForm {
                name: input.name,
                scope_execute: on(Scope::Execute),
                scope_read: on(Scope::Read),
                scope_write: on(Scope::Write),
                scope_audit: on(Scope::Audit),
                scope_admin: on(Scope::Admin),
                expires: input.expires.unwrap_or(Expiry::Never).key().to_string(),
            };
            let draft =
                crate::model::credential::validate_credential(&form).map_err(|message| {
                    Refusal::invalid_fields(BTreeMap::from([(
                        "name".to_string(),
                        message.to_string(),
                    )]))
                })?;
            let created = crate::server::credentials::create(
                &state,
                caller.sandbox.organization_id,
                &caller.actor,
                draft,
            )
            .await
            .map_err(|error| match error {
                crate::error::AppError::BadRequest(message) => {
                    Refusal::new(422, None, message.to_string())
                }
                other => internal(other),
            })?;
            // Kept by no cache: the security headers' no-store covers every REST answer.
            Ok(json_response(
                StatusCode::CREATED,
                &NewCredentialResource {
                    credential: credential_resource(created.credential),
                    token: created.token,
                },
            ))
        }
        .await,
    )
}

/// Revokes a credential of the organization: every call with it is refused from the next one
/// on (this one's own included).
#[utoipa::path(delete, path = "/api/v1/credentials/{id}", tag = "credentials", params(Id),
    responses((status = 204, description = "Revoked")),
    security(("apiKey" = ["admin"], "bearerToken" = ["admin"])))]
async fn revoke_credential(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            let (sandbox, actor) = acting_caller(&state, &call, Scope::Admin).await?;
            crate::server::credentials::revoke(&state, sandbox.organization_id, &actor, &id)
                .await
                .map_err(|error| match error {
                    crate::error::AppError::NotFound(_) => Refusal::new(
                        404,
                        Some("id"),
                        "No such active credential in this organization.",
                    ),
                    other => internal(other),
                })?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::credential::EXPIRY_CHOICES;

    #[test]
    fn every_expiry_the_form_offers_is_one_the_api_takes() {
        let keys: Vec<&str> = [
            Expiry::Never,
            Expiry::Days30,
            Expiry::Days90,
            Expiry::Days180,
            Expiry::Days365,
        ]
        .iter()
        .map(|e| e.key())
        .collect();
        let offered: Vec<&str> = EXPIRY_CHOICES.iter().map(|(key, _, _)| *key).collect();
        assert_eq!(keys, offered);
    }
}

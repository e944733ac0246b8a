//! Administration › API credentials of the current organization.

use crate::error::AppError;
use crate::model::credential::{CredentialForm, CredentialList, NewCredentialShown};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::support::*,
    crate::model::audit::diff,
    crate::model::credential::{validate_credential, CredentialView},
    crate::model::Role,
    crate::server::storage::CredentialRecord,
    crate::server::webhooks::format_ms,
    crate::server::{audit, auth::*, credentials},
};

#[cfg(feature = "ssr")]
fn view_of(record: &CredentialRecord) -> CredentialView {
    CredentialView {
        id: record.id.to_string(),
        name: record.name.clone(),
        ims_org: record.ims_org.clone(),
        api_key: record.api_key.clone(),
        created_at: format_ms(record.created_at_ms),
        last_used_at: record.last_used_at_ms.map(format_ms),
        revoked_at: record.revoked_at_ms.map(format_ms),
        scopes: record.scopes.clone(),
        expires_at: record.expires_at_ms.map(format_ms),
        expired: record.revoked_at_ms.is_none()
            && !record.active_at(crate::server::storage::now_ms()),
    }
}

#[server(endpoint = "credentials/list")]
pub async fn list_credentials() -> Result<CredentialList, AppError> {
    with_status(
        async {
            let (state, user, _, sandbox) = require_sandbox_user(Role::Admin).await?;
            let records = state
                .store
                .list_credentials(user.organization_id)
                .await
                .map_err(internal)?;
            Ok(CredentialList {
                items: records.iter().map(view_of).collect(),
                ims_org: sandbox.ims_org.clone(),
                sandbox_name: sandbox.name.clone(),
            })
        }
        .await,
    )
}

/// Creates a credential for the administrator's organization, with what it may do and until
/// when; its token is returned this once.
#[server(endpoint = "credentials/create")]
pub async fn create_credential(form: CredentialForm) -> Result<NewCredentialShown, AppError> {
    with_status(
        async {
            let (state, user, _) = require_user(Role::Admin).await?;
            let draft = validate_credential(&form).map_err(AppError::BadRequest)?;
            let active = state
                .store
                .list_credentials(user.organization_id)
                .await
                .map_err(internal)?
                .iter()
                .filter(|credential| credential.revoked_at_ms.is_none())
                .count();
            if let Some(full) = crate::model::capacity::CREDENTIALS_PER_ORGANIZATION.full(active) {
                return Err(AppError::BadRequest(full));
            }
            let new = credentials::generate();
            let expires_at_ms = draft.expires_at_ms(crate::server::storage::now_ms());
            let write = crate::server::storage::CredentialWrite {
                name: draft.name,
                api_key: new.api_key.clone(),
                token_hash: credentials::token_hash(&new.token),
                scopes: draft.scopes,
                expires_at_ms,
            };
            let audit = audit::entry(
                user.organization_id,
                &request_actor(&state, &user)?,
                "credential.created",
                audit::Object {
                    kind: "credential",
                    id: None,
                    name: &write.name,
                },
                &diff(None, Some(&audit::credential_fields(&write))),
            );
            let record = state
                .store
                .create_credential(user.organization_id, &write, &audit)
                .await
                .map_err(internal)?;
            Ok(NewCredentialShown {
                credential: view_of(&record),
                token: new.token,
            })
        }
        .await,
    )
}

#[server(endpoint = "credentials/revoke")]
pub async fn revoke_credential(id: String) -> Result<(), AppError> {
    with_status(
        async {
            let (state, user, _) = require_user(Role::Admin).await?;
            let id = uuid::Uuid::parse_str(id.trim())
                .map_err(|_| AppError::NotFound("No such credential.".into()))?;
            let name = state
                .store
                .list_credentials(user.organization_id)
                .await
                .map_err(internal)?
                .into_iter()
                .find(|credential| credential.id == id)
                .map(|credential| credential.name)
                .unwrap_or_default();
            let audit = audit::entry(
                user.organization_id,
                &request_actor(&state, &user)?,
                "credential.revoked",
                audit::Object {
                    kind: "credential",
                    id: Some(id.to_string()),
                    name: &name,
                },
                &[],
            );
            if !state
                .store
                .revoke_credential(user.organization_id, id, &audit)
                .await
                .map_err(internal)?
            {
                return Err(AppError::NotFound(
                    "No such active credential in this organization.".into(),
                ));
            }
            Ok(())
        }
        .await,
    )
}

/// The REST API reference, read from the generated OpenAPI document.
#[server(endpoint = "api-reference")]
pub async fn load_api_reference() -> Result<crate::model::api_reference::ApiReference, AppError> {
    with_status(
        async {
            require_user(Role::Viewer).await?;
            let document =
                serde_json::to_value(crate::api::rest::openapi_document()).map_err(internal)?;
            Ok(crate::model::api_reference::read_reference(&document))
        }
        .await,
    )
}

//! Administration › API credentials of the current organization.

use crate::error::AppError;
use crate::model::credential::{CredentialForm, CredentialList, NewCredentialShown};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::support::*,
    crate::model::credential::validate_credential,
    crate::model::Role,
    crate::server::{auth::*, credentials},
};

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
                items: records.iter().map(credentials::view).collect(),
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
            let actor = request_actor(&state, &user)?;
            credentials::create(&state, user.organization_id, &actor, draft).await
        }
        .await,
    )
}

#[server(endpoint = "credentials/revoke")]
pub async fn revoke_credential(id: String) -> Result<(), AppError> {
    with_status(
        async {
            let (state, user, _) = require_user(Role::Admin).await?;
            let actor = request_actor(&state, &user)?;
            credentials::revoke(&state, user.organization_id, &actor, &id).await
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

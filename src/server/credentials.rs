//! API credentials: an API key (public, sent as `x-api-key`) and a secret token (sent as
//! `Authorization: Bearer`), shown once and kept only as a SHA-256 hash. The token carries 256
//! random bits, so a fast hash is as safe as a slow one and keeps each API call cheap.

use crate::error::AppError;
use crate::model::credential::{CredentialDraft, CredentialView, NewCredentialShown};
use crate::model::message::Thing;
use crate::server::audit::{self, Actor};
use crate::server::auth::internal;
use crate::server::crypto::random_token;
pub use crate::server::crypto::token_hash;
use crate::server::state::AppState;
use crate::server::storage::{CredentialRecord, SandboxRef, Store};

/// A new credential's key and token, before hashing.
pub struct NewCredential {
    pub api_key: String,
    pub token: String,
}

pub fn generate() -> NewCredential {
    NewCredential {
        api_key: format!("fwk_{}", random_token(15)),
        token: format!("fwt_{}", random_token(32)),
    }
}

/// Why a caller is refused; the message never says which half was wrong.
#[derive(Debug, PartialEq)]
pub enum CredentialProblem {
    Missing(&'static str),
    Invalid,
    /// Right key and token, past the credential's expiry.
    Expired,
    /// The credential could not be read; `unavailable`: the database is away.
    Unreadable {
        unavailable: bool,
    },
}

/// The active credential matching the key and token, with the sandbox of that name in its
/// organization (when a name is given and such a sandbox exists).
pub async fn authenticate(
    store: &dyn Store,
    api_key: Option<&str>,
    bearer: Option<&str>,
    sandbox_name: Option<&str>,
) -> Result<(CredentialRecord, Option<SandboxRef>), CredentialProblem> {
    let api_key = api_key
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .ok_or(CredentialProblem::Missing("x-api-key"))?;
    let token = bearer
        .and_then(|value| value.trim().strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(CredentialProblem::Missing("Authorization"))?;
    let (record, sandbox) = store
        .caller(api_key, sandbox_name)
        .await
        .map_err(|error| {
            tracing::error!(%error, "reading an API caller failed");
            CredentialProblem::Unreadable {
                unavailable: error.is_unavailable(),
            }
        })?
        .ok_or(CredentialProblem::Invalid)?;
    let same = crate::server::crypto::same_secret(
        record.token_hash.as_bytes(),
        token_hash(token).as_bytes(),
    );
    if !same || record.revoked_at_ms.is_some() {
        return Err(CredentialProblem::Invalid);
    }
    if !record.active_at(crate::server::storage::now_ms()) {
        return Err(CredentialProblem::Expired);
    }
    Ok((record, sandbox))
}

/// A credential as the administration page and the REST API show it (never its token).
pub fn view(record: &CredentialRecord) -> CredentialView {
    use crate::server::webhooks::format_ms;
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

/// Creates a credential for the organization, within its capacity, and answers it with its
/// token, the only time the token is seen.
pub async fn create(
    state: &AppState,
    organization_id: uuid::Uuid,
    actor: &Actor,
    draft: CredentialDraft,
) -> Result<NewCredentialShown, AppError> {
    let active = state
        .store
        .list_credentials(organization_id)
        .await
        .map_err(internal)?
        .iter()
        .filter(|credential| credential.revoked_at_ms.is_none())
        .count();
    if let Some(full) = crate::model::capacity::CREDENTIALS_PER_ORGANIZATION.full(active) {
        return Err(AppError::BadRequest(full));
    }
    let new = generate();
    let write = crate::server::storage::CredentialWrite {
        expires_at_ms: draft.expires_at_ms(crate::server::storage::now_ms()),
        name: draft.name,
        api_key: new.api_key.clone(),
        token_hash: token_hash(&new.token),
        scopes: draft.scopes,
    };
    let audit = audit::entry(
        organization_id,
        actor,
        "credential.created",
        audit::Object {
            kind: "credential",
            id: None,
            name: &write.name,
        },
        &crate::model::audit::diff(None, Some(&audit::credential_fields(&write))),
    );
    let record = state
        .store
        .create_credential(organization_id, &write, &audit)
        .await
        .map_err(internal)?;
    Ok(NewCredentialShown {
        credential: view(&record),
        token: new.token,
    })
}

/// Revokes an active credential of the organization: every call with it is refused from the
/// next one on.
pub async fn revoke(
    state: &AppState,
    organization_id: uuid::Uuid,
    actor: &Actor,
    id: &str,
) -> Result<(), AppError> {
    let missing = || AppError::no_such(Thing::Credential);
    let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| missing())?;
    let name = state
        .store
        .list_credentials(organization_id)
        .await
        .map_err(internal)?
        .into_iter()
        .find(|credential| credential.id == id)
        .map(|credential| credential.name)
        .ok_or_else(missing)?;
    let audit = audit::entry(
        organization_id,
        actor,
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
        .revoke_credential(organization_id, id, &audit)
        .await
        .map_err(internal)?
    {
        return Err(missing());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_tokens_are_random_and_only_the_hash_is_kept() {
        let (a, b) = (generate(), generate());
        assert_ne!(a.token, b.token);
        assert!(a.api_key.starts_with("fwk_") && a.token.starts_with("fwt_"));
        assert_eq!(a.token.len(), 4 + 43);
        assert_eq!(token_hash(&a.token), token_hash(&a.token));
        assert_eq!(token_hash(&a.token).len(), 64);
        // SHA-256 in lowercase hex, as stored: the published test vector.
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(!token_hash(&a.token).contains(&a.token));
    }
}

//! The organization's sandboxes: created by name, within the organization's capacity, each
//! name once.

use crate::error::AppError;
use crate::model::message::Message;
use crate::server::audit::{self, Actor};
use crate::server::auth::internal;
use crate::server::state::AppState;
use crate::server::storage::{SandboxRef, StoreError};

/// Creates a sandbox named `name` (lower-case letters, digits and dashes).
pub async fn create(
    state: &AppState,
    organization_id: uuid::Uuid,
    actor: &Actor,
    name: &str,
) -> Result<SandboxRef, AppError> {
    if let Some(problem) = crate::model::sandbox::sandbox_name_problem(name) {
        return Err(AppError::BadRequest(problem));
    }
    let count = state
        .store
        .list_sandboxes(organization_id)
        .await
        .map_err(internal)?
        .len();
    if let Some(full) = crate::model::capacity::SANDBOXES_PER_ORGANIZATION.full(count) {
        return Err(AppError::BadRequest(full));
    }
    let name = name.trim();
    let audit = audit::entry(
        organization_id,
        actor,
        "sandbox.created",
        audit::Object {
            kind: "sandbox",
            id: None,
            name,
        },
        &[],
    );
    match state
        .store
        .create_sandbox(organization_id, name, &audit)
        .await
    {
        Ok(sandbox) => Ok(sandbox),
        Err(StoreError::Duplicate(_)) => Err(AppError::BadRequest(Message::SandboxNameTaken {
            name: name.to_string(),
        })),
        Err(error) => Err(internal(error)),
    }
}

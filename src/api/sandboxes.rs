//! Sandboxes of the organization: list, create (administrators), and the one a person works in.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {
    super::support::*,
    crate::model::message::Thing,
    crate::model::{routes, Role},
    crate::server::auth::*,
    tower_sessions::Session,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SandboxView {
    pub id: String,
    pub name: String,
    pub current: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SandboxList {
    pub ims_org: String,
    pub items: Vec<SandboxView>,
    pub can_create: bool,
}

#[server(endpoint = "sandboxes/list")]
pub async fn list_sandboxes() -> Result<SandboxList, AppError> {
    with_status(
        async {
            let (state, user, role, current) = require_sandbox_user(Role::Viewer).await?;
            let sandboxes = state
                .store
                .list_sandboxes(user.organization_id)
                .await
                .map_err(internal)?;
            Ok(SandboxList {
                ims_org: current.ims_org.clone(),
                items: sandboxes
                    .into_iter()
                    .map(|s| SandboxView {
                        current: s.id == current.id,
                        id: s.id.to_string(),
                        name: s.name,
                    })
                    .collect(),
                can_create: role == Role::Admin,
            })
        }
        .await,
    )
}

#[server(endpoint = "sandboxes/create")]
pub async fn create_sandbox(name: String) -> Result<SandboxView, AppError> {
    with_status(
        async {
            let (state, user, _) = require_user(Role::Admin).await?;
            let actor = request_actor(&state, &user)?;
            let sandbox =
                crate::server::sandboxes::create(&state, user.organization_id, &actor, &name)
                    .await?;
            redirect_plain_post(routes::SANDBOXES);
            Ok(SandboxView {
                id: sandbox.id.to_string(),
                name: sandbox.name,
                current: false,
            })
        }
        .await,
    )
}

/// Makes `id` the sandbox this person works in, for the rest of the session.
#[server(endpoint = "sandboxes/switch")]
pub async fn switch_sandbox(id: String) -> Result<(), AppError> {
    with_status(
        async {
            let (state, user, _) = require_user(Role::Viewer).await?;
            let sandboxes = state
                .store
                .list_sandboxes(user.organization_id)
                .await
                .map_err(internal)?;
            let chosen = sandboxes
                .iter()
                .find(|s| s.id.to_string() == id.trim())
                .ok_or(AppError::no_such(Thing::Sandbox))?;
            let session = leptos_axum::extract::<Session>().await.map_err(internal)?;
            session
                .insert(SANDBOX_KEY, chosen.id)
                .await
                .map_err(internal)?;
            redirect_plain_post(routes::WEBHOOKS);
            Ok(())
        }
        .await,
    )
}

//! API-triggered transactional campaigns of the current sandbox.

use crate::error::AppError;
use crate::model::campaign::{CampaignEditorData, CampaignForm, CampaignList};
use crate::model::SaveOutcome;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::support::*,
    crate::model::{routes, Role},
    crate::server::{auth::*, campaigns},
};

#[cfg(feature = "ssr")]
const DRAFT_KEY: &str = "campaign_draft";

#[server(endpoint = "campaigns/list")]
pub async fn list_campaigns() -> Result<CampaignList, AppError> {
    with_status(
        async {
            let (state, _, role, sandbox) = require_sandbox_user(Role::Viewer).await?;
            let webhooks = campaigns::webhook_options(&state, &sandbox).await?;
            let records = state
                .store
                .list_campaigns(sandbox.id)
                .await
                .map_err(internal)?;
            Ok(CampaignList {
                items: records
                    .iter()
                    .map(|record| campaigns::summary(record, &webhooks))
                    .collect(),
                can_edit: role.can_edit(),
            })
        }
        .await,
    )
}

/// The form page's data: a blank campaign or a stored one, with the sandbox's webhooks.
#[server(endpoint = "campaigns/editor")]
pub async fn load_campaign_editor(
    id: Option<String>,
    draft: Option<String>,
) -> Result<CampaignEditorData, AppError> {
    with_status(
        async {
            let (state, _, role, sandbox) = require_sandbox_user(Role::Viewer).await?;
            let record = match id.as_deref() {
                Some(id) => Some(campaigns::load(&state, &sandbox, id).await?),
                None => None,
            };
            // A refused plain form post comes back with what was typed and why it was refused.
            let stashed = match draft {
                Some(token) => take_stashed_draft::<CampaignForm>(DRAFT_KEY, &token).await?,
                None => None,
            };
            let (form, errors) = stashed.unwrap_or_else(|| {
                let form = record
                    .as_ref()
                    .map(campaigns::form_of)
                    .unwrap_or_else(CampaignForm::blank);
                (form, Default::default())
            });
            let webhooks = campaigns::webhook_options(&state, &sandbox).await?;
            let mut data =
                campaigns::editor_data(record.as_ref(), form, errors, webhooks, role.can_edit());
            if let Some(record) = &record {
                data.last_change = crate::server::audit::last_change(
                    &state,
                    sandbox.organization_id,
                    "campaign",
                    record.id,
                )
                .await?;
            }
            Ok(data)
        }
        .await,
    )
}

/// Saves the form. Refused input is `SaveOutcome::Invalid` with a message per field.
#[server(endpoint = "campaigns/save")]
pub async fn save_campaign(form: CampaignForm) -> Result<SaveOutcome, AppError> {
    with_status(
        async {
            let (state, user, _, sandbox) = require_sandbox_user(Role::Editor).await?;
            let actor = request_actor(&state, &user)?;
            let outcome = campaigns::save(&state, &sandbox, &actor, &form).await?;
            match &outcome {
                SaveOutcome::Saved { id, .. } => redirect_plain_post(&routes::campaign_saved(id)),
                SaveOutcome::Invalid { errors } => {
                    let back_to = match form.id.trim() {
                        "" => routes::NEW_CAMPAIGN.to_string(),
                        id => routes::campaign(id),
                    };
                    stash_draft_and_return(DRAFT_KEY, &back_to, form, errors.clone()).await?
                }
            }
            Ok(outcome)
        }
        .await,
    )
}

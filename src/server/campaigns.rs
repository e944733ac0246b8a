//! Saving and showing campaigns: validation against the sandbox's webhooks, a new campaign
//! version whenever the content changes, and the flag shown when the chosen webhook stops fitting.

use crate::error::AppError;
use crate::model::audit::diff;
use crate::model::campaign::*;
use crate::model::message::{Message, Thing};
use crate::model::{summary_channels, FieldErrors, SaveOutcome};
use crate::server::audit::{self, campaign_fields, Actor, Object};
use crate::server::auth::internal;
use crate::server::state::AppState;
use crate::server::storage::*;
use crate::server::webhooks::{format_ms, save_outcome};
use uuid::Uuid;

/// The sandbox's webhooks as the Audience section offers them.
pub async fn webhook_options(
    state: &AppState,
    sandbox: &SandboxRef,
) -> Result<Vec<WebhookOption>, AppError> {
    let records = state
        .store
        .list_webhooks(sandbox.id)
        .await
        .map_err(internal)?;
    Ok(records
        .iter()
        .map(|record| WebhookOption {
            id: record.id.to_string(),
            name: record.settings.name.clone(),
            channels: summary_channels(record.settings.email, record.settings.sms),
            enabled: record.settings.enabled,
        })
        .collect())
}

fn problem_of(record: &CampaignRecord, webhooks: &[WebhookOption]) -> Option<Message> {
    let settings = &record.settings;
    let id = settings.webhook_id.map(|id| id.to_string());
    let chosen = id
        .as_deref()
        .and_then(|id| webhooks.iter().find(|w| w.id == id));
    webhook_problem(
        settings.channel,
        settings.webhook_enabled,
        chosen,
        id.as_deref(),
    )
}

pub fn summary(record: &CampaignRecord, webhooks: &[WebhookOption]) -> CampaignSummary {
    let settings = &record.settings;
    let webhook_name = settings.webhook_id.and_then(|id| {
        webhooks
            .iter()
            .find(|w| w.id == id.to_string())
            .map(|w| w.name.clone())
    });
    CampaignSummary {
        id: record.id.to_string(),
        name: settings.name.clone(),
        channel: settings.channel,
        status: settings.status,
        version_id: settings.version_id.clone(),
        webhook_enabled: settings.webhook_enabled,
        webhook_name,
        webhook_problem: problem_of(record, webhooks),
        updated_at: format_ms(record.updated_at_ms),
    }
}

pub fn form_of(record: &CampaignRecord) -> CampaignForm {
    let settings = &record.settings;
    campaign_form(
        &record.id.to_string(),
        &settings.name,
        settings.channel,
        settings.status,
        &settings.content,
        settings.webhook_enabled,
        settings.webhook_id.map(|id| id.to_string()).as_deref(),
    )
}

pub fn editor_data(
    record: Option<&CampaignRecord>,
    form: CampaignForm,
    errors: FieldErrors,
    webhooks: Vec<WebhookOption>,
    can_edit: bool,
) -> CampaignEditorData {
    CampaignEditorData {
        form,
        errors,
        version_id: record.map(|r| r.settings.version_id.clone()),
        updated_at: record.map(|r| format_ms(r.updated_at_ms)),
        webhook_problem: record.and_then(|r| problem_of(r, &webhooks)),
        webhooks,
        can_edit,
        last_change: None,
    }
}

pub async fn load(
    state: &AppState,
    sandbox: &SandboxRef,
    id: &str,
) -> Result<CampaignRecord, AppError> {
    let missing = || AppError::no_such(Thing::Campaign);
    let id = Uuid::parse_str(id.trim()).map_err(|_| missing())?;
    state
        .store
        .campaign(sandbox.id, id)
        .await
        .map_err(internal)?
        .ok_or_else(missing)
}

/// Validates and stores the form. The campaign version changes with its content (or channel).
pub async fn save(
    state: &AppState,
    sandbox: &SandboxRef,
    actor: &Actor,
    form: &CampaignForm,
) -> Result<SaveOutcome, AppError> {
    let existing = match form.id.trim() {
        "" => None,
        id => Some(load(state, sandbox, id).await?),
    };
    if existing.is_none() {
        let count = state
            .store
            .list_campaigns(sandbox.id)
            .await
            .map_err(internal)?
            .len();
        if let Some(full) = crate::model::capacity::CAMPAIGNS_PER_SANDBOX.full(count) {
            return Err(AppError::BadRequest(full));
        }
    }
    let webhooks = webhook_options(state, sandbox).await?;
    let draft = match validate_campaign(form, &webhooks) {
        Ok(draft) => draft,
        Err(errors) => return Ok(SaveOutcome::Invalid { errors }),
    };
    let content_changed = existing.as_ref().is_none_or(|old| {
        old.settings.content != draft.content || old.settings.channel != draft.channel
    });
    let version_id = match (&existing, content_changed) {
        (Some(old), false) => old.settings.version_id.clone(),
        _ => Uuid::new_v4().to_string(),
    };
    let write = CampaignWrite {
        name: draft.name,
        channel: draft.channel,
        status: draft.status,
        content: draft.content,
        version_id,
        webhook_enabled: draft.webhook_enabled,
        webhook_id: draft
            .webhook_id
            .as_deref()
            .and_then(|id| Uuid::parse_str(id).ok()),
    };
    let id = existing
        .as_ref()
        .map_or_else(Uuid::new_v4, |record| record.id);
    let audit = audit::entry(
        sandbox.organization_id,
        actor,
        if existing.is_some() {
            "campaign.updated"
        } else {
            "campaign.created"
        },
        Object::campaign(id, &write.name),
        &diff(
            existing
                .as_ref()
                .map(|record| campaign_fields(&record.settings))
                .as_ref(),
            Some(&campaign_fields(&write)),
        ),
    );
    let result = match &existing {
        None => {
            state
                .store
                .create_campaign(sandbox.id, id, &write, &audit)
                .await
        }
        Some(record) => {
            state
                .store
                .update_campaign(sandbox.id, record.id, &write, &audit)
                .await
        }
    };
    save_outcome(
        result.map(|record| record.id),
        existing.is_none(),
        crate::model::message::NamedKind::Campaign,
        &write.name,
    )
}

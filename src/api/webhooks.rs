//! Feedback webhooks of the current sandbox.

use crate::error::AppError;
use crate::model::{
    NewSigningSecret, SaveOutcome, TestEventResult, WebhookEditorData, WebhookForm, WebhookSummary,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {
    super::support::*,
    crate::model::{routes, FieldErrors, HeaderRowForm, Role},
    crate::server::{auth::*, webhooks},
    tower_sessions::Session,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookList {
    pub items: Vec<WebhookSummary>,
    pub can_edit: bool,
}

#[server(endpoint = "webhooks/list")]
pub async fn list_webhooks() -> Result<WebhookList, AppError> {
    with_status(
        async {
            let (state, _, role, sandbox) = require_sandbox_user(Role::Viewer).await?;
            let records = state
                .store
                .list_webhooks(sandbox.id)
                .await
                .map_err(internal)?;
            Ok(WebhookList {
                items: records.iter().map(webhooks::summary).collect(),
                can_edit: role.can_edit(),
            })
        }
        .await,
    )
}

#[server(endpoint = "webhooks/get")]
pub async fn get_webhook(id: String) -> Result<WebhookSummary, AppError> {
    with_status(
        async {
            let (state, _, _, sandbox) = require_sandbox_user(Role::Viewer).await?;
            Ok(webhooks::summary(
                &webhooks::load(&state, &sandbox, &id).await?,
            ))
        }
        .await,
    )
}

/// The form page's data: a blank form, a stored webhook, or a refused draft posted without JavaScript.
#[server(endpoint = "webhooks/editor")]
pub async fn load_webhook_editor(
    id: Option<String>,
    draft: Option<String>,
) -> Result<WebhookEditorData, AppError> {
    with_status(
        async {
            let (state, _, role, sandbox) = require_sandbox_user(Role::Viewer).await?;
            let record = match id.as_deref() {
                Some(id) => Some(webhooks::load(&state, &sandbox, id).await?),
                None => None,
            };
            let stashed = match draft {
                Some(token) => take_stashed_draft::<WebhookForm>(DRAFT_KEY, &token).await?,
                None => None,
            };
            let (form, errors) = match (stashed, &record) {
                (Some(stashed), _) => stashed,
                (None, Some(record)) => (webhooks::form_of(record), Default::default()),
                (None, None) => (WebhookForm::blank(), Default::default()),
            };
            let mut data =
                webhooks::editor_data(&state, record.as_ref(), form, errors, role.can_edit());
            if let Some(record) = &record {
                let id = record.id.to_string();
                data.new_signing_secret = take_flash::<Vec<u8>>(NEW_SECRET_KEY, &id)
                    .await?
                    .and_then(|sealed| webhooks::open_shown_once(&state, record.id, &sealed));
                data.test_result = take_flash(TEST_RESULT_KEY, &id).await?;
                data.last_change = crate::server::audit::last_change(
                    &state,
                    sandbox.organization_id,
                    "webhook",
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
#[server(endpoint = "webhooks/save")]
pub async fn save_webhook(form: WebhookForm) -> Result<SaveOutcome, AppError> {
    with_status(
        async {
            let (state, user, _, sandbox) = require_sandbox_user(Role::Editor).await?;
            let actor = request_actor(&state, &user)?;
            let mut form = form;
            // Without JavaScript, "Add header" and "Remove" post the form and come back to it.
            if let Some(edited) = edit_rows(&mut form) {
                stash_webhook_draft(form, FieldErrors::new()).await?;
                return Ok(SaveOutcome::Invalid { errors: edited });
            }
            let outcome = webhooks::save(&state, &sandbox, &actor, &form).await?;
            match &outcome {
                SaveOutcome::Saved { id, .. } => redirect_plain_post(&routes::webhook_saved(id)),
                SaveOutcome::Invalid { errors } => {
                    stash_webhook_draft(form, errors.clone()).await?
                }
            }
            Ok(outcome)
        }
        .await,
    )
}

#[server(endpoint = "webhooks/delete")]
pub async fn delete_webhook(id: String) -> Result<(), AppError> {
    with_status(
        async {
            let (state, user, _, sandbox) = require_sandbox_user(Role::Editor).await?;
            let actor = request_actor(&state, &user)?;
            let record = webhooks::delete(&state, &sandbox, &actor, &id).await?;
            redirect_plain_post(&routes::webhook_deleted(&record.settings.name));
            Ok(())
        }
        .await,
    )
}

/// Generates (or rotates to) a new signing secret and returns it, the only time it is shown.
#[server(endpoint = "webhooks/signing-secret/rotate")]
pub async fn rotate_signing_secret(id: String) -> Result<NewSigningSecret, AppError> {
    with_status(
        async {
            let (state, user, _, sandbox) = require_sandbox_user(Role::Editor).await?;
            let actor = request_actor(&state, &user)?;
            let new = webhooks::rotate_signing_secret(&state, &sandbox, &actor, &id).await?;
            if plain_form_post() {
                // Without JavaScript the secret is shown once by the page the browser returns to.
                // Sealed: the session table never holds a secret in clear.
                let sealed = webhooks::seal_shown_once(&state, &id, &new.secret)?;
                flash_and_return(NEW_SECRET_KEY, &id, &sealed).await?;
            }
            Ok(new)
        }
        .await,
    )
}

/// Stops signing requests for this webhook.
#[server(endpoint = "webhooks/signing-secret/remove")]
pub async fn remove_signing_secret(id: String) -> Result<(), AppError> {
    with_status(
        async {
            let (state, user, _, sandbox) = require_sandbox_user(Role::Editor).await?;
            let actor = request_actor(&state, &user)?;
            webhooks::remove_signing_secret(&state, &sandbox, &actor, &id).await?;
            redirect_plain_post(&routes::webhook(&id));
            Ok(())
        }
        .await,
    )
}

/// Sends a sample event to the webhook now and reports the endpoint's answer.
#[server(endpoint = "webhooks/send-test")]
pub async fn send_test_event(id: String) -> Result<TestEventResult, AppError> {
    with_status(
        async {
            let (state, _, _, sandbox) = require_sandbox_user(Role::Editor).await?;
            let result = webhooks::send_test_event(&state, &sandbox, &id).await?;
            if plain_form_post() {
                flash_and_return(TEST_RESULT_KEY, &id, &result).await?;
            }
            Ok(result)
        }
        .await,
    )
}

/// Applies an "Add header" / "Remove" button of a plain form post; `None` for a save.
#[cfg(feature = "ssr")]
fn edit_rows(form: &mut WebhookForm) -> Option<FieldErrors> {
    let intent = std::mem::take(&mut form.intent);
    if intent == "add_header" {
        if form.headers.len() < crate::model::validation::HEADERS_MAX_ROWS {
            form.headers.push(HeaderRowForm::default());
        }
    } else if let Some(index) = intent
        .strip_prefix("remove_header:")
        .and_then(|i| i.parse::<usize>().ok())
    {
        if index < form.headers.len() {
            form.headers.remove(index);
        }
    } else {
        return None;
    }
    Some(FieldErrors::new())
}

#[cfg(feature = "ssr")]
const DRAFT_KEY: &str = "webhook_draft";
#[cfg(feature = "ssr")]
const NEW_SECRET_KEY: &str = "new_signing_secret";
#[cfg(feature = "ssr")]
const TEST_RESULT_KEY: &str = "test_event_result";

/// A value a plain form post left in the session for this webhook's page, removed as it is read.
#[cfg(feature = "ssr")]
async fn take_flash<T>(key: &str, webhook_id: &str) -> Result<Option<T>, AppError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let session = leptos_axum::extract::<Session>().await.map_err(internal)?;
    let stored: Option<(String, T)> = session.get(key).await.map_err(internal)?;
    match stored {
        Some((id, value)) if id == webhook_id => {
            session.remove::<(String, T)>(key).await.map_err(internal)?;
            Ok(Some(value))
        }
        _ => Ok(None),
    }
}

/// Leaves a value for this webhook's page and sends a plain form post back to it.
#[cfg(feature = "ssr")]
async fn flash_and_return<T: serde::Serialize>(
    key: &str,
    webhook_id: &str,
    value: &T,
) -> Result<(), AppError> {
    let session = leptos_axum::extract::<Session>().await.map_err(internal)?;
    session
        .insert(key, (webhook_id, value))
        .await
        .map_err(internal)?;
    leptos_axum::redirect(&routes::webhook(webhook_id));
    Ok(())
}

/// Keeps what a plain form post typed (never its secrets) for the page it is sent back to.
#[cfg(feature = "ssr")]
async fn stash_webhook_draft(form: WebhookForm, errors: FieldErrors) -> Result<(), AppError> {
    let back_to = match form.id.trim() {
        "" => routes::NEW_WEBHOOK.to_string(),
        id => routes::webhook(id),
    };
    stash_draft_and_return(DRAFT_KEY, &back_to, form.without_secrets(), errors).await
}

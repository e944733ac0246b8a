//! Saving and showing feedback webhooks: validation, secrets sealed at rest, and the views the
//! UI receives (which never carry a secret).

use crate::error::AppError;
use crate::model::audit::diff;
use crate::model::feedback::{FeedbackFacts, FeedbackPayload, FeedbackStatus};
use crate::model::message::Thing;
use crate::model::message::{Message, NamedKind};
use crate::model::validation::{validate_webhook, StoredSecrets, WebhookDraft};
use crate::model::*;
use crate::server::audit::{self, webhook_fields, Actor, Object};
use crate::server::auth::internal;
use crate::server::crypto::SealedField;
use crate::server::delivery::signing::signing_key_problem;
use crate::server::state::AppState;
use crate::server::storage::*;
use std::collections::BTreeMap;
use uuid::Uuid;

pub fn summary(record: &WebhookRecord) -> WebhookSummary {
    let settings = &record.settings;
    WebhookSummary {
        id: record.id.to_string(),
        name: settings.name.clone(),
        channels: summary_channels(settings.email, settings.sms),
        url: settings.url.clone(),
        jwt_algorithm: settings
            .jwt
            .as_ref()
            .and_then(|jwt| JwtAlgorithm::parse(&jwt.algorithm)),
        enabled: settings.enabled,
        disabled_reason: settings.disabled_reason.clone(),
        updated_at: format_ms(record.updated_at_ms),
    }
}

/// RFC 3339 in UTC, to the second.
pub fn format_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.replace_nanosecond(0).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The form as it shows a stored webhook: every value but the secrets.
pub fn form_of(record: &WebhookRecord) -> WebhookForm {
    let settings = &record.settings;
    let jwt = settings.jwt.as_ref();
    let text = |value: Option<&String>| value.cloned().unwrap_or_default();
    let mut form = WebhookForm {
        id: record.id.to_string(),
        name: settings.name.clone(),
        email: checkbox(settings.email),
        sms: checkbox(settings.sms),
        url: settings.url.clone(),
        enabled: checkbox(settings.enabled),
        auth: if jwt.is_some() { "jwt" } else { "none" }.into(),
        jwt_algorithm: jwt
            .map(|j| j.algorithm.clone())
            .unwrap_or_else(|| JwtAlgorithm::HS256.as_str().into()),
        jwt_secret: String::new(),
        jwt_key_id: text(jwt.and_then(|j| j.key_id.as_ref())),
        jwt_issuer: text(jwt.and_then(|j| j.issuer.as_ref())),
        jwt_subject: text(jwt.and_then(|j| j.subject.as_ref())),
        jwt_audience: text(jwt.and_then(|j| j.audience.as_ref())),
        jwt_extra_claims: text(jwt.and_then(|j| j.extra_claims.as_ref())),
        jwt_lifetime: jwt
            .map(|j| j.lifetime_secs)
            .unwrap_or(DEFAULT_JWT_LIFETIME_SECS as i64)
            .to_string(),
        headers: settings
            .headers
            .iter()
            .map(|header| HeaderRowForm {
                id: header.id.to_string(),
                name: header.name.clone(),
                value: match &header.value {
                    StoredHeaderValue::Plain(value) => value.clone(),
                    StoredHeaderValue::Sealed { .. } => String::new(),
                },
                secret: checkbox(matches!(header.value, StoredHeaderValue::Sealed { .. })),
            })
            .collect(),
        intent: String::new(),
        ..Default::default()
    };
    form.set_events(&settings.events);
    form
}

fn stored_secrets(record: Option<&WebhookRecord>) -> StoredSecrets {
    let Some(record) = record else {
        return StoredSecrets::default();
    };
    StoredSecrets {
        jwt_key: record
            .settings
            .jwt
            .as_ref()
            .and_then(|jwt| KeyKind::parse(&jwt.key_kind)),
        header_values: record
            .settings
            .headers
            .iter()
            .filter_map(|header| match &header.value {
                StoredHeaderValue::Sealed { len, .. } => Some((header.id.to_string(), *len)),
                StoredHeaderValue::Plain(_) => None,
            })
            .collect(),
    }
}

/// What the form page draws: the given form (the stored webhook's, or what was typed) with the
/// fingerprints of the secrets the server holds.
pub fn editor_data(
    state: &AppState,
    record: Option<&WebhookRecord>,
    form: WebhookForm,
    errors: FieldErrors,
    can_edit: bool,
) -> WebhookEditorData {
    let jwt_secret = record
        .and_then(|r| r.settings.jwt.as_ref())
        .and_then(|jwt| {
            KeyKind::parse(&jwt.key_kind).map(|kind| {
                (
                    kind,
                    StoredSecretInfo {
                        fingerprint: jwt.secret_fingerprint.clone(),
                    },
                )
            })
        });
    let header_secrets: BTreeMap<String, StoredSecretInfo> = record
        .map(|r| {
            r.settings
                .headers
                .iter()
                .filter_map(|header| match &header.value {
                    StoredHeaderValue::Sealed { fingerprint, .. } => Some((
                        header.id.to_string(),
                        StoredSecretInfo {
                            fingerprint: fingerprint.clone(),
                        },
                    )),
                    StoredHeaderValue::Plain(_) => None,
                })
                .collect()
        })
        .unwrap_or_default();
    WebhookEditorData {
        form: form.without_secrets(),
        errors,
        jwt_secret,
        header_secrets,
        allow_list: state.config.allow_private_targets.clone(),
        disabled_reason: record.and_then(|r| r.settings.disabled_reason.clone()),
        updated_at: record.map(|r| format_ms(r.updated_at_ms)),
        can_edit,
        signing: record.and_then(|r| r.signing.as_ref()).map(signing_info),
        new_signing_secret: None,
        test_result: None,
        last_change: None,
    }
}

fn signing_info(signing: &StoredSigning) -> SigningSecretInfo {
    SigningSecretInfo {
        fingerprint: signing.fingerprint.clone(),
        previous_valid_until: signing
            .previous
            .as_ref()
            .filter(|(_, until)| *until > now_ms())
            .map(|(_, until)| format_ms(*until)),
    }
}

/// A new signing secret sealed for the one page view that shows it (kept in the session
/// meanwhile, by a plain form post).
pub fn seal_shown_once(
    state: &AppState,
    webhook_id: &str,
    secret: &str,
) -> Result<Vec<u8>, AppError> {
    let webhook =
        Uuid::parse_str(webhook_id.trim()).map_err(|_| AppError::no_such(Thing::Webhook))?;
    Ok(state
        .secrets
        .seal(secret, SealedField::ShownOnce { webhook }))
}

pub fn open_shown_once(state: &AppState, webhook: Uuid, sealed: &[u8]) -> Option<String> {
    state
        .secrets
        .open(sealed, SealedField::ShownOnce { webhook })
}

/// Generates a new signing secret; the current one (if any) keeps signing for the configured
/// overlap (`--signing-secret-overlap`, 24 hours by default).
pub async fn rotate_signing_secret(
    state: &AppState,
    sandbox: &SandboxRef,
    actor: &Actor,
    id: &str,
) -> Result<NewSigningSecret, AppError> {
    let record = load(state, sandbox, id).await?;
    let secret = crate::server::delivery::signing::generate_signing_secret();
    let signing = StoredSigning {
        secret_sealed: state
            .secrets
            .seal(&secret, SealedField::SigningSecret { webhook: record.id }),
        fingerprint: state.secrets.fingerprint(&secret),
        previous: record.signing.clone().map(|old| {
            let overlap = state.config.signing_secret_overlap.as_millis() as i64;
            (old.secret_sealed, now_ms() + overlap)
        }),
    };
    let action = if record.signing.is_some() {
        "webhook.signing_secret_rotated"
    } else {
        "webhook.signing_secret_generated"
    };
    let audit = signing_entry(sandbox, actor, action, &record, Some(&signing));
    state
        .store
        .set_signing_secret(sandbox.id, record.id, Some(&signing), &audit)
        .await
        .map_err(internal)?;
    Ok(NewSigningSecret {
        secret,
        info: signing_info(&signing),
    })
}

pub async fn remove_signing_secret(
    state: &AppState,
    sandbox: &SandboxRef,
    actor: &Actor,
    id: &str,
) -> Result<(), AppError> {
    let record = load(state, sandbox, id).await?;
    let audit = signing_entry(
        sandbox,
        actor,
        "webhook.signing_secret_removed",
        &record,
        None,
    );
    state
        .store
        .set_signing_secret(sandbox.id, record.id, None, &audit)
        .await
        .map_err(internal)?;
    Ok(())
}

/// The entry of a signing secret's change: the secret only said to have changed.
fn signing_entry(
    sandbox: &SandboxRef,
    actor: &Actor,
    action: &str,
    record: &WebhookRecord,
    new: Option<&StoredSigning>,
) -> AuditRecord {
    let secret = |signing: Option<&StoredSigning>| {
        vec![(
            "signing secret".to_string(),
            signing.map(|signing| signing.fingerprint.clone()),
            true,
        )]
    };
    audit::entry(
        sandbox.organization_id,
        actor,
        action,
        Object::webhook(record.id, &record.settings.name),
        &diff(Some(&secret(record.signing.as_ref())), Some(&secret(new))),
    )
}

/// Deletes a webhook of the sandbox (with its deliveries); the record it was.
pub async fn delete(
    state: &AppState,
    sandbox: &SandboxRef,
    actor: &Actor,
    id: &str,
) -> Result<WebhookRecord, AppError> {
    let record = load(state, sandbox, id).await?;
    let audit = audit::entry(
        sandbox.organization_id,
        actor,
        "webhook.deleted",
        Object::webhook(record.id, &record.settings.name),
        &diff(Some(&webhook_fields(&record.settings)), None),
    );
    state
        .store
        .delete_webhook(sandbox.id, record.id, &audit)
        .await
        .map_err(internal)?;
    Ok(record)
}

pub fn parse_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.trim()).map_err(|_| AppError::no_such(Thing::Webhook))
}

pub async fn load(
    state: &AppState,
    sandbox: &SandboxRef,
    id: &str,
) -> Result<WebhookRecord, AppError> {
    let id = parse_id(id)?;
    state
        .store
        .webhook(sandbox.id, id)
        .await
        .map_err(internal)?
        .ok_or(AppError::no_such(Thing::Webhook))
}

/// Validates and stores the form; refused input comes back as field errors.
pub async fn save(
    state: &AppState,
    sandbox: &SandboxRef,
    actor: &Actor,
    form: &WebhookForm,
) -> Result<SaveOutcome, AppError> {
    let existing = match form.id.trim() {
        "" => None,
        id => Some(load(state, sandbox, id).await?),
    };
    if existing.is_none() {
        let count = state
            .store
            .list_webhooks(sandbox.id)
            .await
            .map_err(internal)?
            .len();
        if let Some(full) = crate::model::capacity::WEBHOOKS_PER_SANDBOX.full(count) {
            return Err(AppError::BadRequest(full));
        }
    }
    let draft = match validate_webhook(
        form,
        &state.config.allow_private_targets,
        &stored_secrets(existing.as_ref()),
    ) {
        Ok(draft) => draft,
        Err(errors) => return Ok(SaveOutcome::Invalid { errors }),
    };
    if let Some(problem) = draft.jwt.as_ref().and_then(|jwt| {
        jwt.secret
            .as_ref()
            .and_then(|secret| signing_key_problem(jwt.algorithm, secret))
    }) {
        return Ok(SaveOutcome::Invalid {
            errors: FieldErrors::from([("jwt_secret".to_string(), problem)]),
        });
    }
    let id = existing
        .as_ref()
        .map_or_else(Uuid::new_v4, |record| record.id);
    let write = to_write(state, id, draft, existing.as_ref());
    let audit = audit::entry(
        sandbox.organization_id,
        actor,
        if existing.is_some() {
            "webhook.updated"
        } else {
            "webhook.created"
        },
        Object::webhook(id, &write.name),
        &diff(
            existing
                .as_ref()
                .map(|record| webhook_fields(&record.settings))
                .as_ref(),
            Some(&webhook_fields(&write)),
        ),
    );
    let result = match &existing {
        None => {
            state
                .store
                .create_webhook(sandbox.id, id, &write, &audit)
                .await
        }
        Some(record) => {
            state
                .store
                .update_webhook(sandbox.id, record.id, &write, &audit)
                .await
        }
    };
    save_outcome(
        result.map(|record| record.id),
        existing.is_none(),
        NamedKind::Webhook,
        &write.name,
    )
}

/// What a create or update of a named thing (webhook, campaign) tells the person.
pub fn save_outcome(
    result: StoreResult<Uuid>,
    created: bool,
    kind: NamedKind,
    name: &str,
) -> Result<SaveOutcome, AppError> {
    match result {
        Ok(id) => Ok(SaveOutcome::Saved {
            id: id.to_string(),
            created,
        }),
        Err(StoreError::Duplicate(_)) => Ok(SaveOutcome::Invalid {
            errors: FieldErrors::from([(
                "name".to_string(),
                Message::NameTaken {
                    kind,
                    name: name.to_string(),
                },
            )]),
        }),
        Err(StoreError::NotFound) => Err(AppError::NotFound(Message::DeletedMeanwhile { kind })),
        Err(other) => Err(internal(other)),
    }
}

/// Seals new secrets and carries over the stored ones that were left blank.
fn to_write(
    state: &AppState,
    webhook: Uuid,
    draft: WebhookDraft,
    existing: Option<&WebhookRecord>,
) -> WebhookWrite {
    let old = existing.map(|record| &record.settings);
    let jwt = draft.jwt.map(|jwt| {
        let (secret_sealed, secret_fingerprint) =
            match (&jwt.secret, old.and_then(|o| o.jwt.as_ref())) {
                (Some(secret), _) => (
                    state.secrets.seal(secret, SealedField::JwtKey { webhook }),
                    state.secrets.fingerprint(secret),
                ),
                (None, Some(stored)) => (
                    stored.secret_sealed.clone(),
                    stored.secret_fingerprint.clone(),
                ),
                (None, None) => unreachable!("validation requires a key when none is stored"),
            };
        StoredJwt {
            algorithm: jwt.algorithm.as_str().into(),
            key_kind: jwt.algorithm.key_kind().as_str().into(),
            secret_sealed,
            secret_fingerprint,
            key_id: jwt.claims.key_id,
            issuer: jwt.claims.issuer,
            subject: jwt.claims.subject,
            audience: jwt.claims.audience,
            extra_claims: jwt.claims.extra_claims,
            lifetime_secs: jwt.claims.lifetime_secs as i64,
        }
    });
    let old_headers = old.map(|o| o.headers.as_slice()).unwrap_or_default();
    let headers = draft
        .headers
        .into_iter()
        .filter_map(|header| {
            let old_header = header.id.as_deref().and_then(|id| {
                old_headers
                    .iter()
                    .find(|stored| stored.id.to_string() == id)
            });
            let id = old_header.map(|h| h.id).unwrap_or_else(Uuid::new_v4);
            let value = match (header.value, header.secret) {
                (Some(value), true) => StoredHeaderValue::Sealed {
                    sealed: state.secrets.seal(
                        &value,
                        SealedField::HeaderValue {
                            webhook,
                            header: id,
                        },
                    ),
                    fingerprint: state.secrets.fingerprint(&value),
                    len: value.len(),
                },
                (Some(value), false) => StoredHeaderValue::Plain(value),
                (None, _) => old_header?.value.clone(),
            };
            Some(StoredHeader {
                id,
                name: header.name,
                value,
            })
        })
        .collect();
    let enabled = draft.enabled;
    WebhookWrite {
        name: draft.name,
        email: draft.email,
        sms: draft.sms,
        url: draft.url,
        enabled,
        // A person enabling the webhook clears the reason it was disabled.
        disabled_reason: if enabled {
            None
        } else {
            old.and_then(|o| o.disabled_reason.clone())
        },
        events: draft.events,
        jwt,
        headers,
    }
}

/// The longest response excerpt shown beside the "Send test event" button.
const TEST_EXCERPT_CHARS: usize = 2_000;

/// Sends a sample `delivered` event (real structure, `requestId` prefixed `test-`) to the
/// webhook now, through the delivery engine's signing and client, and reports what came back.
pub async fn send_test_event(
    state: &AppState,
    sandbox: &SandboxRef,
    id: &str,
) -> Result<TestEventResult, AppError> {
    let record = load(state, sandbox, id).await?;
    let payload = sample_payload(sandbox, &record);
    let body = serde_json::to_string(&payload).map_err(internal)?;
    let result = state.delivery.send_test(record.id, &body).await;
    let explanation = explain_outcome(result.error.map(|e| e.code()), result.status);
    Ok(TestEventResult {
        request_id: payload.request_id,
        success: result.is_success(),
        status: result.status,
        error_code: result.error.map(|e| e.code().to_string()),
        explanation,
        duration_ms: result.duration.as_millis() as u64,
        body_excerpt: result
            .body_excerpt
            .chars()
            .take(TEST_EXCERPT_CHARS)
            .collect(),
    })
}

/// A `delivered` feedback event as a real one would look, on the webhook's first channel.
fn sample_payload(sandbox: &SandboxRef, record: &WebhookRecord) -> FeedbackPayload {
    let channel = if record.settings.email {
        Channel::Email
    } else {
        Channel::Sms
    };
    let simple = |uuid: Uuid| uuid.simple().to_string();
    FeedbackPayload::new(FeedbackFacts {
        request_id: format!("test-{}", simple(Uuid::new_v4())),
        ims_org: sandbox.ims_org.clone(),
        sandbox_id: sandbox.id.to_string(),
        sandbox_name: sandbox.name.clone(),
        channel,
        message_execution_id: format!("TEST-{}", &simple(Uuid::new_v4())[..8].to_uppercase()),
        campaign_id: Uuid::nil().to_string(),
        campaign_version_id: Uuid::nil().to_string(),
        status: FeedbackStatus::Delivered,
        failure: None,
        retry_count: 0,
        address: match channel {
            Channel::Email => "test.recipient@example.com".to_string(),
            Channel::Sms => "+15555550100".to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format_as_rfc3339_utc() {
        assert_eq!(format_ms(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_ms(1_764_308_400_123), "2025-11-28T05:40:00Z");
    }
}

//! Reading the product's rows, written once for both backends: a backend says how it reads a
//! column (an id is text in SQLite, a uuid in PostgreSQL) and the records are put together here.

use super::records::*;
use super::{StoreError, StoreResult};
use crate::model::campaign::{CampaignContent, CampaignStatus};
use crate::model::Channel;
use uuid::Uuid;

/// A column type both drivers decode alike: text, integers, booleans, bytes and their options.
pub(super) trait Portable:
    for<'r> sqlx::Decode<'r, sqlx::Sqlite>
    + sqlx::Type<sqlx::Sqlite>
    + for<'r> sqlx::Decode<'r, sqlx::Postgres>
    + sqlx::Type<sqlx::Postgres>
{
}

impl<T> Portable for T where
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
        + for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
{
}

/// How a backend's row gives its columns.
pub(super) trait Columns {
    fn column<T: Portable>(&self, name: &str) -> StoreResult<T>;
    fn id(&self, name: &str) -> StoreResult<Uuid>;
    fn opt_id(&self, name: &str) -> StoreResult<Option<Uuid>>;
}

/// JSON arrays of `[name, value]` pairs (an attempt's headers); unreadable ones read as none.
pub(super) fn headers_column(row: &impl Columns, name: &str) -> StoreResult<Vec<(String, String)>> {
    let text: String = row.column(name)?;
    Ok(serde_json::from_str(&text).unwrap_or_default())
}

pub(super) const USER_COLUMNS: &str =
    "u.id, u.organization_id, u.email, u.password_hash, u.role, u.status, u.language";

pub(super) fn user_from_row(row: &impl Columns) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        id: row.id("id")?,
        organization_id: row.id("organization_id")?,
        email: row.column("email")?,
        password_hash: row.column("password_hash")?,
        role: row.column("role")?,
        status: row.column("status")?,
        language: row.column("language")?,
    })
}

pub(super) fn user_listing_from_row(row: &impl Columns) -> StoreResult<UserListing> {
    Ok(UserListing {
        user: user_from_row(row)?,
        created_at_ms: row.column("created_at")?,
        last_sign_in_at_ms: row.column("last_sign_in_at")?,
        created_by: row.column("created_by")?,
    })
}

pub(super) fn session_summary_from_row(row: &impl Columns) -> StoreResult<SessionSummary> {
    Ok(SessionSummary {
        handle: row.column("handle")?,
        signed_in_at_ms: row.column("signed_in_at")?,
        seen_at_ms: row.column("seen_at")?,
        address: row.column("address")?,
        agent: row.column("agent")?,
    })
}

pub(super) const CREDENTIAL_COLUMNS: &str =
    "c.id, c.organization_id, o.ims_org, c.name, c.api_key, c.token_hash, \
     c.created_at, c.last_used_at, c.revoked_at, c.scopes, c.expires_at";

pub(super) fn credential_from_row(row: &impl Columns) -> StoreResult<CredentialRecord> {
    Ok(CredentialRecord {
        id: row.id("id")?,
        organization_id: row.id("organization_id")?,
        ims_org: row.column("ims_org")?,
        name: row.column("name")?,
        api_key: row.column("api_key")?,
        token_hash: row.column("token_hash")?,
        created_at_ms: row.column("created_at")?,
        last_used_at_ms: row.column("last_used_at")?,
        revoked_at_ms: row.column("revoked_at")?,
        scopes: crate::model::credential::Scope::split(&row.column::<String>("scopes")?),
        expires_at_ms: row.column("expires_at")?,
    })
}

pub(super) const WEBHOOK_COLUMNS: &str = "id, sandbox_id, name, channel_email, channel_sms, url, enabled, disabled_reason, event_filter, \
     jwt_algorithm, jwt_key_kind, jwt_secret_sealed, jwt_secret_fingerprint, jwt_key_id, jwt_issuer, \
     jwt_subject, jwt_audience, jwt_extra_claims, jwt_lifetime_secs, created_at, updated_at, \
     signing_secret_sealed, signing_secret_fingerprint, previous_signing_secret_sealed, previous_signing_secret_expires_at";

pub(super) fn webhook_from_row(
    row: &impl Columns,
    headers: Vec<StoredHeader>,
) -> StoreResult<WebhookRecord> {
    let algorithm: Option<String> = row.column("jwt_algorithm")?;
    let jwt = match algorithm {
        None => None,
        Some(algorithm) => Some(StoredJwt {
            algorithm,
            key_kind: row.column("jwt_key_kind")?,
            secret_sealed: row.column("jwt_secret_sealed")?,
            secret_fingerprint: row.column("jwt_secret_fingerprint")?,
            key_id: row.column("jwt_key_id")?,
            issuer: row.column("jwt_issuer")?,
            subject: row.column("jwt_subject")?,
            audience: row.column("jwt_audience")?,
            extra_claims: row.column("jwt_extra_claims")?,
            lifetime_secs: row.column("jwt_lifetime_secs")?,
        }),
    };
    Ok(WebhookRecord {
        id: row.id("id")?,
        sandbox_id: row.id("sandbox_id")?,
        settings: WebhookWrite {
            name: row.column("name")?,
            email: row.column("channel_email")?,
            sms: row.column("channel_sms")?,
            url: row.column("url")?,
            enabled: row.column("enabled")?,
            disabled_reason: row.column("disabled_reason")?,
            events: crate::model::feedback::FeedbackStatus::parse_list(
                &row.column::<String>("event_filter")?,
            ),
            jwt,
            headers,
        },
        signing: signing_from_row(row)?,
        created_at_ms: row.column("created_at")?,
        updated_at_ms: row.column("updated_at")?,
    })
}

pub(super) fn signing_from_row(row: &impl Columns) -> StoreResult<Option<StoredSigning>> {
    let Some(secret_sealed) = row.column::<Option<Vec<u8>>>("signing_secret_sealed")? else {
        return Ok(None);
    };
    let previous_sealed: Option<Vec<u8>> = row.column("previous_signing_secret_sealed")?;
    let previous_until: Option<i64> = row.column("previous_signing_secret_expires_at")?;
    Ok(Some(StoredSigning {
        secret_sealed,
        fingerprint: row
            .column::<Option<String>>("signing_secret_fingerprint")?
            .unwrap_or_default(),
        previous: previous_sealed.zip(previous_until),
    }))
}

pub(super) fn header_from_row(row: &impl Columns) -> StoreResult<(Uuid, StoredHeader)> {
    let sealed: Option<Vec<u8>> = row.column("value_sealed")?;
    let value = match sealed {
        Some(sealed) => StoredHeaderValue::Sealed {
            sealed,
            fingerprint: row
                .column::<Option<String>>("value_fingerprint")?
                .unwrap_or_default(),
            len: row.column::<i64>("value_len")? as usize,
        },
        None => {
            StoredHeaderValue::Plain(row.column::<Option<String>>("value")?.unwrap_or_default())
        }
    };
    Ok((
        row.id("webhook_id")?,
        StoredHeader {
            id: row.id("id")?,
            name: row.column("name")?,
            value,
        },
    ))
}

/// A campaign with its activated webhook's routing settings (one read on the execution path).
pub(super) const CAMPAIGN_COLUMNS: &str = "c.id, c.sandbox_id, c.name, c.channel, c.status, c.email_subject, \
     c.email_body, c.sms_text, c.campaign_version_id, c.webhook_enabled, c.webhook_id, c.created_at, \
     c.updated_at, w.enabled AS route_enabled, w.channel_email AS route_email, \
     w.channel_sms AS route_sms, w.event_filter AS route_events";
pub(super) const CAMPAIGN_FROM: &str = "campaigns c LEFT JOIN feedback_webhooks w \
     ON w.id = c.webhook_id AND w.sandbox_id = c.sandbox_id";

pub(super) fn campaign_from_row(row: &impl Columns) -> StoreResult<CampaignRecord> {
    let text = |column: &str| -> StoreResult<String> { row.column(column) };
    let channel = text("channel")?;
    let status = text("status")?;
    let webhook_id = row.opt_id("webhook_id")?;
    let route_events: Option<String> = row.column("route_events")?;
    let webhook_route = match (webhook_id, route_events) {
        (Some(id), Some(events)) => Some(WebhookRoute {
            id,
            enabled: row.column("route_enabled")?,
            email: row.column("route_email")?,
            sms: row.column("route_sms")?,
            events: crate::model::feedback::FeedbackStatus::parse_list(&events),
        }),
        _ => None,
    };
    Ok(CampaignRecord {
        id: row.id("id")?,
        sandbox_id: row.id("sandbox_id")?,
        settings: CampaignWrite {
            name: text("name")?,
            channel: Channel::parse(&channel)
                .ok_or_else(|| StoreError::Corrupt(format!("channel {channel}")))?,
            status: CampaignStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("status {status}")))?,
            content: CampaignContent {
                email_subject: text("email_subject")?,
                email_body: text("email_body")?,
                sms_text: text("sms_text")?,
            },
            version_id: text("campaign_version_id")?,
            webhook_enabled: row.column("webhook_enabled")?,
            webhook_id,
        },
        webhook_route,
        created_at_ms: row.column("created_at")?,
        updated_at_ms: row.column("updated_at")?,
    })
}

pub(super) const DELIVERY_COLUMNS: &str = "d.id, d.webhook_id, d.event_type, d.channel, e.request_id, e.message_execution_id, \
     d.state, d.attempts, d.last_status, d.last_error, d.next_attempt_at, d.last_attempt_at, d.created_at, d.updated_at";

/// The queue from its counts as both backends read them: (due, the earliest pending time, in
/// flight, retrying). The earliest is the oldest due one only once it has come.
pub(super) fn queue_state_from_counts(
    (due, earliest, in_flight, retrying): (i64, Option<i64>, i64, i64),
    now: i64,
) -> QueueState {
    QueueState {
        due: due as u64,
        oldest_due_ms: earliest.filter(|at| *at <= now),
        in_flight: in_flight as u64,
        retrying: retrying as u64,
    }
}

pub(super) fn delivery_from_row(row: &impl Columns) -> StoreResult<DeliveryRecord> {
    let state: String = row.column("state")?;
    Ok(DeliveryRecord {
        id: row.id("id")?,
        webhook_id: row.id("webhook_id")?,
        event_type: row.column("event_type")?,
        channel: row.column("channel")?,
        request_id: row.column("request_id")?,
        message_execution_id: row.column("message_execution_id")?,
        next_attempt_at_ms: (state == "pending")
            .then(|| row.column("next_attempt_at"))
            .transpose()?,
        state,
        attempts: row.column("attempts")?,
        last_status: row.column("last_status")?,
        last_error: row.column("last_error")?,
        last_attempt_at_ms: row.column("last_attempt_at")?,
        created_at_ms: row.column("created_at")?,
        updated_at_ms: row.column("updated_at")?,
    })
}

/// A user: `$1` id, `$2` organization, `$3` email, `$4` password hash, `$5` role, `$6` now.
pub(super) const INSERT_USER: &str =
    "INSERT INTO users (id, organization_id, email, password_hash, role, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";
/// The first user, inserted only while there is none (the same parameters).
pub(super) const INSERT_FIRST_USER: &str =
    "INSERT INTO users (id, organization_id, email, password_hash, role, created_at) \
     SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM users)";

/// Sign-in attempts, the same SQL on both backends: `$1` key, `$2` now, `$3` window. One
/// statement counts the attempt and answers the count, so parallel guesses cannot all pass a
/// check made before any of them was counted. (The table's `failures` column holds attempts
/// not yet forgiven.)
pub(super) const COUNT_LOGIN_ATTEMPT: &str =
    "INSERT INTO login_failures (email_key, failures, window_started_at) VALUES ($1, 1, $2) \
     ON CONFLICT (email_key) DO UPDATE SET \
     failures = CASE WHEN login_failures.window_started_at <= $2 - $3 THEN 1 \
                ELSE login_failures.failures + 1 END, \
     window_started_at = CASE WHEN login_failures.window_started_at <= $2 - $3 THEN $2 \
                ELSE login_failures.window_started_at END \
     RETURNING failures, window_started_at";
/// `$1`: windows started at or before this are over.
pub(super) const DROP_OVER_LOGIN_ATTEMPTS: &str =
    "DELETE FROM login_failures WHERE window_started_at <= $1";
pub(super) const FORGIVE_LOGIN_ATTEMPT: &str =
    "UPDATE login_failures SET failures = failures - 1 WHERE email_key = $1 AND failures > 0";
pub(super) const CLEAR_LOGIN_ATTEMPTS: &str = "DELETE FROM login_failures WHERE email_key = $1";

/// Every sealed value a webhook row keeps itself: its JWT key, its signing secret and the one
/// before a rotation.
pub(super) const SEALED_WEBHOOK_VALUES: &str =
    "SELECT id, jwt_secret_sealed, signing_secret_sealed, previous_signing_secret_sealed \
     FROM feedback_webhooks";
/// The sealed values of secret headers.
pub(super) const SEALED_HEADER_VALUES: &str =
    "SELECT id, webhook_id, value_sealed FROM webhook_headers WHERE value_sealed IS NOT NULL";

/// The sealed values of the rows [`SEALED_WEBHOOK_VALUES`] and [`SEALED_HEADER_VALUES`] read.
pub(super) fn sealed_values_from(
    webhooks: &[impl Columns],
    headers: &[impl Columns],
) -> StoreResult<Vec<SealedValue>> {
    let mut values = Vec::new();
    for row in webhooks {
        let webhook_id = row.id("id")?;
        for (column, place) in [
            ("jwt_secret_sealed", SealedPlace::JwtKey),
            ("signing_secret_sealed", SealedPlace::SigningSecret),
            (
                "previous_signing_secret_sealed",
                SealedPlace::PreviousSigningSecret,
            ),
        ] {
            if let Some(sealed) = row.column::<Option<Vec<u8>>>(column)? {
                values.push(SealedValue {
                    webhook_id,
                    place,
                    sealed,
                });
            }
        }
    }
    for row in headers {
        values.push(SealedValue {
            webhook_id: row.id("webhook_id")?,
            place: SealedPlace::HeaderValue {
                header: row.id("id")?,
            },
            sealed: row.column("value_sealed")?,
        });
    }
    Ok(values)
}

/// The statement that writes a value sealed again, and the id of the row it goes to: `$1` the
/// sealed value, `$2` its fingerprint, `$3` the row's id.
pub(super) fn reseal_statement(value: &Resealed) -> (&'static str, Uuid) {
    match value.place {
        SealedPlace::JwtKey => (
            "UPDATE feedback_webhooks SET jwt_secret_sealed = $1, jwt_secret_fingerprint = $2 WHERE id = $3",
            value.webhook_id,
        ),
        SealedPlace::SigningSecret => (
            "UPDATE feedback_webhooks SET signing_secret_sealed = $1, signing_secret_fingerprint = $2 WHERE id = $3",
            value.webhook_id,
        ),
        // No fingerprint is kept of the previous secret: $2 is bound all the same.
        SealedPlace::PreviousSigningSecret => (
            "UPDATE feedback_webhooks SET previous_signing_secret_sealed = $1 \
             WHERE id = $3 AND CAST($2 AS TEXT) IS NOT NULL",
            value.webhook_id,
        ),
        SealedPlace::HeaderValue { header } => (
            "UPDATE webhook_headers SET value_sealed = $1, value_fingerprint = $2 WHERE id = $3",
            header,
        ),
    }
}

// The team's statements, the same SQL on both backends: `$1` is the user's id and `$2` their
// organization's wherever both are taken.

/// An invited user: no password (no hash verifies against an empty one) until their link is
/// used.
pub(super) const INSERT_INVITED_USER: &str =
    "INSERT INTO users (id, organization_id, email, password_hash, role, created_at, status, created_by) \
     VALUES ($1, $2, $3, '', $4, $5, 'invited', $6)";
pub(super) const INSERT_USER_LINK: &str =
    "INSERT INTO user_links (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
pub(super) const LIST_USERS: &str = "SELECT u.id, u.organization_id, u.email, u.password_hash, u.role, u.status, u.language, \
     u.created_at, u.last_sign_in_at, i.email AS created_by \
     FROM users u LEFT JOIN users i ON i.id = u.created_by WHERE u.organization_id = $1 ORDER BY u.email";
/// `$1` user, `$2` language (none: the browser's preference decides).
pub(super) const SET_LANGUAGE: &str = "UPDATE users SET language = $2 WHERE id = $1";
pub(super) const USER_IN_ORGANIZATION: &str =
    "SELECT count(*) FROM users WHERE id = $1 AND organization_id = $2";
pub(super) const DELETE_LINKS_OF: &str = "DELETE FROM user_links WHERE user_id = $1";
/// `$1` token hash, `$2` now.
pub(super) const FIND_USER_LINK: &str = "SELECT l.purpose, u.id, u.organization_id, u.email, u.password_hash, u.role, u.status, u.language \
     FROM user_links l JOIN users u ON u.id = l.user_id WHERE l.token_hash = $1 AND l.expires_at > $2";
/// `$1` token hash, `$2` now: the link is gone once read.
pub(super) const TAKE_USER_LINK: &str =
    "DELETE FROM user_links WHERE token_hash = $1 AND expires_at > $2 RETURNING user_id";
/// `$1` user, `$2` hash: an invited user becomes active; a disabled one is left alone.
pub(super) const SET_PASSWORD_BY_LINK: &str = "UPDATE users SET password_hash = $2, \
     status = CASE WHEN status = 'invited' THEN 'active' ELSE status END \
     WHERE id = $1 AND status <> 'disabled'";
pub(super) const SET_PASSWORD: &str = "UPDATE users SET password_hash = $2 WHERE id = $1";
pub(super) const NOTE_SIGN_IN: &str = "UPDATE users SET last_sign_in_at = $2 WHERE id = $1";

/// The user of the statement (`$1`, of organization `$2`) is not its organization's last active
/// administrator.
const KEEPS_AN_ADMIN: &str =
    "(role <> 'admin' OR status <> 'active' OR EXISTS (SELECT 1 FROM users o \
     WHERE o.organization_id = $2 AND o.id <> $1 AND o.role = 'admin' AND o.status = 'active'))";

/// The statement that makes `change`, with its extra parameter (`$3`, the new role), if any;
/// it changes no row when the user is not the organization's or when it would leave the
/// organization without an active administrator.
pub(super) fn user_change_statement(change: UserChange) -> (String, Option<&'static str>) {
    match change {
        UserChange::SetRole(role) => (
            format!(
                "UPDATE users SET role = $3 WHERE id = $1 AND organization_id = $2 \
                 AND ($3 = 'admin' OR {KEEPS_AN_ADMIN})"
            ),
            Some(role.as_str()),
        ),
        UserChange::Disable => (
            format!(
                "UPDATE users SET status = 'disabled' WHERE id = $1 AND organization_id = $2 \
                 AND {KEEPS_AN_ADMIN}"
            ),
            None,
        ),
        // Back to what they were: an invited user who never set a password is invited still.
        UserChange::Enable => (
            "UPDATE users SET status = CASE WHEN status <> 'disabled' THEN status \
             WHEN password_hash = '' THEN 'invited' ELSE 'active' END \
             WHERE id = $1 AND organization_id = $2"
                .into(),
            None,
        ),
        UserChange::Remove => (
            format!(
                "DELETE FROM users WHERE id = $1 AND organization_id = $2 AND {KEEPS_AN_ADMIN}"
            ),
            None,
        ),
    }
}

/// Whether `change` ends the user's sessions.
pub(super) fn ends_sessions(change: UserChange) -> bool {
    matches!(change, UserChange::Disable | UserChange::Remove)
}

pub(super) const DELETE_SESSIONS_OF: &str = "DELETE FROM sessions WHERE user_id = $1";
/// `$1` user, `$2` the handle of the session to keep (or none).
pub(super) const DELETE_SESSIONS_OF_BUT: &str =
    "DELETE FROM sessions WHERE user_id = $1 AND handle <> COALESCE($2, '')";
pub(super) const DELETE_SESSION_OF: &str =
    "DELETE FROM sessions WHERE user_id = $1 AND handle = $2";
/// Parameters in [`SessionRow`] order: id, handle, user, data, expiry, signed in, seen,
/// address, agent.
pub(super) const INSERT_SESSION: &str =
    "INSERT INTO sessions (id, handle, user_id, data, expires_at, signed_in_at, seen_at, address, agent) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING";
/// The same parameters; a session deleted meanwhile (ended) is not brought back.
pub(super) const UPDATE_SESSION: &str =
    "UPDATE sessions SET handle = $2, user_id = $3, data = $4, expires_at = $5, \
     signed_in_at = $6, seen_at = $7, address = $8, agent = $9 WHERE id = $1";
pub(super) const LOAD_SESSION: &str = "SELECT data FROM sessions WHERE id = $1 AND expires_at > $2";
pub(super) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE id = $1";
pub(super) const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at <= $1";
/// The most a person's list of sessions shows.
pub(super) const SESSIONS_LISTED: i64 = 100;
/// `$1` user, `$2` now, `$3` at most.
pub(super) const SESSIONS_OF: &str =
    "SELECT handle, signed_in_at, seen_at, address, agent FROM sessions \
     WHERE user_id = $1 AND expires_at > $2 ORDER BY seen_at DESC, handle LIMIT $3";

// The audit log's statements, the same SQL on both backends.

/// Parameters in [`AuditRecord`] order.
pub(super) const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (organization_id, at, actor_kind, actor_id, \
     actor_name, address, action, object_kind, object_id, object_name, changes) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
/// [`INSERT_AUDIT`] for a change the system makes to a webhook it knows by id only (an automatic
/// disabling): `$1` is the webhook, whose sandbox's organization the entry goes to; an entry
/// without an object id or name names the webhook.
pub(super) const INSERT_AUDIT_OF_WEBHOOK: &str =
    "INSERT INTO audit_log (organization_id, at, actor_kind, actor_id, \
     actor_name, address, action, object_kind, object_id, object_name, changes) \
     SELECT s.organization_id, $2, $3, $4, $5, $6, $7, $8, COALESCE($9, CAST(w.id AS TEXT)), \
     COALESCE(NULLIF($10, ''), w.name), $11 \
     FROM feedback_webhooks w JOIN sandboxes s ON s.id = w.sandbox_id WHERE w.id = $1";
/// `$1` organization, then [`AuditFilter`]'s fields in order, `$9` at most; newest first.
pub(super) const LIST_AUDIT: &str = "SELECT id, organization_id, at, actor_kind, actor_id, actor_name, address, \
     action, object_kind, object_id, object_name, changes FROM audit_log \
     WHERE organization_id = $1 AND ($2 IS NULL OR actor_name = $2) AND ($3 IS NULL OR object_kind = $3) \
     AND ($4 IS NULL OR object_id = $4) AND ($5 IS NULL OR action = $5) AND ($6 IS NULL OR at >= $6) \
     AND ($7 IS NULL OR at < $7) AND ($8 IS NULL OR id < $8) ORDER BY id DESC LIMIT $9";
/// `$1` cutoff, `$2` at most: retention, in small batches.
pub(super) const DELETE_OLD_AUDIT: &str =
    "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 ORDER BY id LIMIT $2)";

pub(super) fn audit_from_row(row: &impl Columns) -> StoreResult<StoredAudit> {
    Ok(StoredAudit {
        id: row.column("id")?,
        record: AuditRecord {
            organization_id: row.id("organization_id")?,
            at_ms: row.column("at")?,
            actor_kind: row.column("actor_kind")?,
            actor_id: row.column("actor_id")?,
            actor_name: row.column("actor_name")?,
            address: row.column("address")?,
            action: row.column("action")?,
            object_kind: row.column("object_kind")?,
            object_id: row.column("object_id")?,
            object_name: row.column("object_name")?,
            changes: row.column("changes")?,
        },
    })
}

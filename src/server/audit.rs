//! The audit log's entries made and read: who acts (a user, a credential, the system, someone
//! not signed in) and from where, the entry of each change, and entries as people read them.

use crate::error::AppError;
use crate::model::audit::{
    diff, ActorKind, AuditEntry, AuditPage, AuditQuery, FieldChange, Fields, AUDIT_PAGE_SIZE,
};
use crate::model::message::Message;
use crate::server::auth::internal;
use crate::server::history::{csv_field, parse_time_filter, ExportFormat};
use crate::server::state::AppState;
use crate::server::storage::{now_ms, AuditFilter, AuditRecord, StoredAudit, UserRecord};
use crate::server::webhooks::format_ms;
use uuid::Uuid;

/// Who makes a change, and from which address.
#[derive(Clone, Debug, PartialEq)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<String>,
    pub name: String,
    pub address: Option<String>,
}

impl Actor {
    pub fn user(user: &UserRecord, address: Option<String>) -> Actor {
        Actor {
            kind: ActorKind::User,
            id: Some(user.id.to_string()),
            name: user.email.clone(),
            address,
        }
    }

    /// A caller of the REST API, by its credential, with the call's address.
    pub fn credential(
        credential: &crate::server::storage::CredentialRecord,
        address: Option<String>,
    ) -> Actor {
        Actor {
            kind: ActorKind::Credential,
            id: Some(credential.id.to_string()),
            name: credential.name.clone(),
            address,
        }
    }

    /// The product itself.
    pub fn system() -> Actor {
        Actor {
            kind: ActorKind::System,
            id: None,
            name: "Feedback Webhooks".into(),
            address: None,
        }
    }

    /// Someone not signed in, by what they typed as their email.
    pub fn anonymous(typed_email: &str, address: Option<String>) -> Actor {
        Actor {
            kind: ActorKind::Anonymous,
            id: None,
            name: typed_email
                .trim()
                .chars()
                .take(crate::model::user::MAX_EMAIL_CHARS)
                .collect(),
            address,
        }
    }
}

/// What a change is done to.
pub struct Object<'a> {
    pub kind: &'static str,
    pub id: Option<String>,
    pub name: &'a str,
}

impl<'a> Object<'a> {
    pub fn webhook(id: Uuid, name: &'a str) -> Object<'a> {
        Object {
            kind: "webhook",
            id: Some(id.to_string()),
            name,
        }
    }

    pub fn campaign(id: Uuid, name: &'a str) -> Object<'a> {
        Object {
            kind: "campaign",
            id: Some(id.to_string()),
            name,
        }
    }

    pub fn user(user: &'a UserRecord) -> Object<'a> {
        Object {
            kind: "user",
            id: Some(user.id.to_string()),
            name: &user.email,
        }
    }
}

/// The entry of `action` by `actor` on `object` in `organization_id`, now.
pub fn entry(
    organization_id: Uuid,
    actor: &Actor,
    action: &str,
    object: Object<'_>,
    changes: &[FieldChange],
) -> AuditRecord {
    AuditRecord {
        organization_id,
        at_ms: now_ms(),
        actor_kind: actor.kind.as_str().into(),
        actor_id: actor.id.clone(),
        actor_name: actor.name.clone(),
        address: actor.address.clone(),
        action: action.into(),
        object_kind: object.kind.into(),
        object_id: object.id,
        object_name: object.name.into(),
        changes: serde_json::to_string(changes).unwrap_or_else(|_| "[]".into()),
    }
}

/// A user's fields as the audit log compares them (the password only ever as changed).
pub fn user_fields(email: &str, role: &str, status: &str) -> Fields {
    vec![
        ("email".into(), Some(email.into()), false),
        ("role".into(), Some(role.into()), false),
        ("status".into(), Some(status.into()), false),
    ]
}

/// A webhook's settings as the audit log compares them: its secrets (the JWT key, secret
/// header values) by fingerprint, so that a change is seen and never shown.
pub fn webhook_fields(webhook: &crate::server::storage::WebhookWrite) -> Fields {
    use crate::server::storage::StoredHeaderValue;
    let plain = |name: &str, value: String| (name.to_string(), Some(value), false);
    let events: Vec<&str> = webhook.events.iter().map(|event| event.as_str()).collect();
    let channels: Vec<&str> = [("email", webhook.email), ("sms", webhook.sms)]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect();
    let mut fields = vec![
        plain("name", webhook.name.clone()),
        plain("channels", channels.join(", ")),
        plain("url", webhook.url.clone()),
    ];
    fields.extend(enabled_fields(
        webhook.enabled,
        webhook.disabled_reason.as_deref(),
    ));
    fields.push(plain("events", events.join(", ")));
    match &webhook.jwt {
        None => fields.push(plain("authentication", "none".into())),
        Some(jwt) => {
            fields.push(plain("authentication", format!("JWT ({})", jwt.algorithm)));
            fields.push(("JWT key".into(), Some(jwt.secret_fingerprint.clone()), true));
            for (name, value) in [
                ("JWT key id", &jwt.key_id),
                ("JWT issuer", &jwt.issuer),
                ("JWT subject", &jwt.subject),
                ("JWT audience", &jwt.audience),
                ("JWT extra claims", &jwt.extra_claims),
            ] {
                fields.push((name.into(), value.clone(), false));
            }
            fields.push(plain("JWT lifetime (s)", jwt.lifetime_secs.to_string()));
        }
    }
    for header in &webhook.headers {
        let name = format!("header {}", header.name);
        fields.push(match &header.value {
            StoredHeaderValue::Plain(value) => (name, Some(value.clone()), false),
            StoredHeaderValue::Sealed { fingerprint, .. } => {
                (name, Some(fingerprint.clone()), true)
            }
        });
    }
    fields
}

/// A webhook's on/off state as the audit log compares it: whether it is enabled, and why it was
/// turned off (`disabled_reason` as the webhook keeps it, a message) in English, as the log
/// keeps every value.
pub fn enabled_fields(enabled: bool, disabled_reason: Option<&str>) -> Fields {
    vec![
        ("enabled".into(), Some(enabled.to_string()), false),
        (
            "disabled reason".into(),
            disabled_reason.map(crate::i18n::messages::stored_english),
            false,
        ),
    ]
}

/// A campaign's settings as the audit log compares them, the Audience switch among them.
pub fn campaign_fields(campaign: &crate::server::storage::CampaignWrite) -> Fields {
    let plain = |name: &str, value: String| (name.to_string(), Some(value), false);
    vec![
        plain("name", campaign.name.clone()),
        plain("channel", campaign.channel.as_str().into()),
        plain("status", campaign.status.as_str().into()),
        plain("email subject", campaign.content.email_subject.clone()),
        plain("email body", campaign.content.email_body.clone()),
        plain("SMS text", campaign.content.sms_text.clone()),
        plain(
            "feedback webhook enabled",
            campaign.webhook_enabled.to_string(),
        ),
        (
            "feedback webhook".into(),
            campaign.webhook_id.map(|id| id.to_string()),
            false,
        ),
    ]
}

/// The entry of something set up by the product itself or by a tool beside it (the benchmark,
/// a test), not by a person or an API caller.
pub fn system_entry(
    organization_id: Uuid,
    action: &str,
    kind: &'static str,
    name: &str,
) -> AuditRecord {
    entry(
        organization_id,
        &Actor::system(),
        action,
        Object {
            kind,
            id: None,
            name,
        },
        &[],
    )
}

/// An API credential's fields as the audit log records them: its public key and what it may
/// do, never its token.
pub fn credential_fields(credential: &crate::server::storage::CredentialWrite) -> Fields {
    let scopes: Vec<&str> = credential
        .scopes
        .iter()
        .map(|scope| scope.as_str())
        .collect();
    vec![
        ("name".into(), Some(credential.name.clone()), false),
        ("API key".into(), Some(credential.api_key.clone()), false),
        ("scopes".into(), Some(scopes.join(", ")), false),
        (
            "expires".into(),
            Some(credential.expires_at_ms.map_or("never".into(), format_ms)),
            false,
        ),
    ]
}

/// The change of a password: said to have happened, never what it was or is.
pub fn password_changed() -> Vec<FieldChange> {
    diff(
        Some(&vec![("password".into(), Some("old".into()), true)]),
        Some(&vec![("password".into(), Some("new".into()), true)]),
    )
}

/// An entry as the audit log page and the REST API show it; unreadable changes read as none.
pub fn entry_view(stored: &StoredAudit) -> AuditEntry {
    let record = &stored.record;
    AuditEntry {
        id: stored.id,
        at: format_ms(record.at_ms),
        actor_kind: ActorKind::parse(&record.actor_kind).unwrap_or(ActorKind::System),
        actor: record.actor_name.clone(),
        address: record.address.clone(),
        action: record.action.clone(),
        object_kind: record.object_kind.clone(),
        object_id: record.object_id.clone(),
        object_name: record.object_name.clone(),
        changes: serde_json::from_str(&record.changes).unwrap_or_default(),
    }
}

/// The store's filter for a page's query, or what is wrong with it.
pub fn filter_of(query: &AuditQuery) -> Result<AuditFilter, AppError> {
    let query = query.cleaned();
    if let Some(problem) = query.problem() {
        return Err(AppError::BadRequest(problem));
    }
    let time = |value: &Option<String>, name: &str| match value {
        None => Ok(None),
        Some(text) => parse_time_filter(text).map(Some).ok_or_else(|| {
            AppError::BadRequest(Message::FilterNotATime {
                parameter: name.into(),
            })
        }),
    };
    Ok(AuditFilter {
        actor_name: query.actor.map(|actor| actor.to_lowercase()),
        object_kind: query.object_kind,
        object_id: query.object_id,
        action: query.action,
        from_ms: time(&query.from, "from")?,
        to_ms: time(&query.to, "to")?,
        before_id: query.before,
    })
}

/// A page of the organization's log, newest first: the page's [`AUDIT_PAGE_SIZE`] entries, or
/// `size` for a REST caller (already bounded by its handler).
pub async fn page(
    state: &AppState,
    organization_id: uuid::Uuid,
    query: &AuditQuery,
    size: Option<usize>,
) -> Result<AuditPage, AppError> {
    let size = size.unwrap_or(AUDIT_PAGE_SIZE);
    let filter = filter_of(query)?;
    // One more than the page shows: whether there is a next page, without counting.
    let stored = state
        .store
        .list_audit(organization_id, &filter, size as i64 + 1)
        .await
        .map_err(internal)?;
    let more = stored.len() > size;
    let entries: Vec<AuditEntry> = stored.iter().take(size).map(entry_view).collect();
    Ok(AuditPage {
        next: more.then(|| entries.last().map(|entry| entry.id)).flatten(),
        entries,
    })
}

/// The latest entry about an object of the organization, as its page names it.
pub async fn last_change(
    state: &AppState,
    organization_id: uuid::Uuid,
    kind: &str,
    id: uuid::Uuid,
) -> Result<Option<crate::model::audit::LastChange>, AppError> {
    let filter = AuditFilter {
        object_kind: Some(kind.into()),
        object_id: Some(id.to_string()),
        ..Default::default()
    };
    let latest = state
        .store
        .list_audit(organization_id, &filter, 1)
        .await
        .map_err(internal)?;
    Ok(latest
        .first()
        .map(|stored| crate::model::audit::LastChange {
            actor: stored.record.actor_name.clone(),
            at: format_ms(stored.record.at_ms),
            history: format!(
                "{}?object_kind={kind}&object_id={id}",
                crate::model::routes::AUDIT_LOG
            ),
        }))
}

/// The most entries one export holds: narrow the time range for older ones.
pub const EXPORT_MAX_ENTRIES: usize = 100_000;
const EXPORT_BATCH: i64 = 500;
const CSV_HEADER: &str =
    "id,at,actor_kind,actor,address,action,object_kind,object_id,object_name,changes\n";

/// One entry as a line of the export.
pub fn export_line(entry: &AuditEntry, format: ExportFormat) -> String {
    match format {
        ExportFormat::Csv => {
            let changes: Vec<String> = entry.changes.iter().map(FieldChange::describe).collect();
            let fields = [
                entry.id.to_string(),
                entry.at.clone(),
                entry.actor_kind.as_str().to_string(),
                entry.actor.clone(),
                entry.address.clone().unwrap_or_default(),
                entry.action.clone(),
                entry.object_kind.clone(),
                entry.object_id.clone().unwrap_or_default(),
                entry.object_name.clone(),
                changes.join("; "),
            ];
            let fields: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
            format!("{}\n", fields.join(","))
        }
        ExportFormat::JsonLines => format!(
            "{}\n",
            serde_json::to_string(entry).unwrap_or_else(|_| "{}".into())
        ),
    }
}

/// The entries a query matches as a file, newest first, read 500 at a time.
pub fn export(
    state: &AppState,
    organization_id: uuid::Uuid,
    query: &AuditQuery,
    format: ExportFormat,
) -> Result<
    impl futures_util::Stream<Item = Result<String, std::io::Error>> + Send + 'static,
    AppError,
> {
    let mut filter = filter_of(query)?;
    filter.before_id = None;
    let header = match format {
        ExportFormat::Csv => Some(CSV_HEADER.to_string()),
        ExportFormat::JsonLines => None,
    };
    let store = state.store.clone();
    Ok(futures_util::stream::unfold(
        (Some(filter), header, 0usize),
        move |(filter, header, exported)| {
            let store = store.clone();
            async move {
                if let Some(header) = header {
                    return Some((Ok(header), (filter, None, exported)));
                }
                let mut filter = filter?;
                let limit = EXPORT_BATCH.min((EXPORT_MAX_ENTRIES - exported) as i64);
                match store.list_audit(organization_id, &filter, limit).await {
                    Ok(stored) if stored.is_empty() => None,
                    Ok(stored) => {
                        let exported = exported + stored.len();
                        let chunk: String = stored
                            .iter()
                            .map(|stored| export_line(&entry_view(stored), format))
                            .collect();
                        let full = (stored.len() as i64) < limit || exported >= EXPORT_MAX_ENTRIES;
                        filter.before_id = stored.last().map(|stored| stored.id);
                        Some((Ok(chunk), ((!full).then_some(filter), None, exported)))
                    }
                    Err(error) => {
                        tracing::error!(%error, "audit log export stopped");
                        Some((
                            Err(std::io::Error::other("the export could not be completed")),
                            (None, None, exported),
                        ))
                    }
                }
            }
        },
    ))
}

/// Entries older than `retention` go, in small batches: what one pass of the maintenance loop
/// does.
pub async fn prune(state: &AppState, retention: std::time::Duration) -> Result<u64, AppError> {
    let cutoff = now_ms() - retention.as_millis() as i64;
    state
        .store
        .delete_old_audit(cutoff, 500)
        .await
        .map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_names_who_what_and_how_and_reads_back() {
        let user = UserRecord {
            id: Uuid::from_u128(7),
            organization_id: Uuid::from_u128(1),
            email: "editor@example.com".into(),
            password_hash: "$argon2id$secret-hash".into(),
            role: "editor".into(),
            status: "active".into(),
            language: None,
        };
        let admin = Actor {
            kind: ActorKind::User,
            id: Some("42".into()),
            name: "admin@example.com".into(),
            address: Some("192.0.2.9".into()),
        };
        let changes = diff(
            Some(&user_fields("editor@example.com", "editor", "active")),
            Some(&user_fields("editor@example.com", "viewer", "active")),
        );
        let record = entry(
            user.organization_id,
            &admin,
            "user.role_changed",
            Object::user(&user),
            &changes,
        );
        assert!(!record.changes.contains("argon2"));
        let view = entry_view(&StoredAudit { id: 3, record });
        assert_eq!(view.actor, "admin@example.com");
        assert_eq!(view.address.as_deref(), Some("192.0.2.9"));
        assert_eq!(view.object_name, "editor@example.com");
        assert_eq!(view.changes.len(), 1);
        assert_eq!(view.changes[0].describe(), "role: editor → viewer");
        let password = password_changed();
        assert_eq!(password[0].describe(), "password: changed");
    }

    #[test]
    fn an_export_line_is_csv_safe_and_json_whole() {
        let entry = AuditEntry {
            id: 9,
            at: "2026-12-03T10:00:00Z".into(),
            actor_kind: ActorKind::User,
            actor: "=cmd@example.com".into(),
            address: None,
            action: "user.role_changed".into(),
            object_kind: "user".into(),
            object_id: Some("u1".into()),
            object_name: "a, b".into(),
            changes: vec![FieldChange {
                field: "role".into(),
                before: Some("editor".into()),
                after: Some("viewer".into()),
                secret: false,
            }],
        };
        assert_eq!(
            export_line(&entry, ExportFormat::Csv),
            "9,2026-12-03T10:00:00Z,user,'=cmd@example.com,,user.role_changed,user,u1,\"a, b\",role: editor → viewer\n"
        );
        let json: AuditEntry =
            serde_json::from_str(export_line(&entry, ExportFormat::JsonLines).trim()).unwrap();
        assert_eq!(json, entry);
    }

    #[test]
    fn filters_are_checked_before_the_store_is_asked() {
        let bad_time = AuditQuery {
            from: Some("yesterday".into()),
            ..Default::default()
        };
        assert!(matches!(filter_of(&bad_time), Err(AppError::BadRequest(_))));
        let filter = filter_of(&AuditQuery {
            actor: Some(" Admin@Example.com ".into()),
            to: Some("2026-12-01".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(filter.actor_name.as_deref(), Some("admin@example.com"));
        assert_eq!(filter.to_ms, Some(1_796_083_200_000));
    }

    #[test]
    fn a_typed_email_is_kept_within_its_bound() {
        let actor = Actor::anonymous(&"a".repeat(1000), None);
        assert_eq!(actor.name.len(), crate::model::user::MAX_EMAIL_CHARS);
    }
}

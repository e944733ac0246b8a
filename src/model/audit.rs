//! The audit log's entries as people read them: who did what to which object, from where, and
//! the field-level difference, secrets only ever said to have changed.

use super::message::Message;
use serde::{Deserialize, Serialize};

/// Who made a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    /// A person signed in to the app.
    User,
    /// A caller of the REST or execution API, by its credential.
    Credential,
    /// The product itself (an automatic disabling, the first administrator from the
    /// configuration).
    System,
    /// Someone not signed in: a failed sign-in, a used invitation link.
    Anonymous,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Credential => "credential",
            ActorKind::System => "system",
            ActorKind::Anonymous => "anonymous",
        }
    }

    pub fn parse(value: &str) -> Option<ActorKind> {
        match value {
            "user" => Some(ActorKind::User),
            "credential" => Some(ActorKind::Credential),
            "system" => Some(ActorKind::System),
            "anonymous" => Some(ActorKind::Anonymous),
            _ => None,
        }
    }
}

/// One field of an object before and after a change. A secret field carries no value either
/// side: it is only said to have changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
}

impl FieldChange {
    /// How the audit log page shows it.
    pub fn describe(&self) -> String {
        self.describe_in("changed", "(none)", ":")
    }

    /// The same with a language's words for "changed" and "(none)", and its colon (French puts
    /// a no-break space before it).
    pub fn describe_in(&self, changed: &str, none: &str, colon: &str) -> String {
        let field = &self.field;
        if self.secret {
            return format!("{field}{colon} {changed}");
        }
        match (&self.before, &self.after) {
            (Some(before), Some(after)) => format!("{field}{colon} {before} → {after}"),
            (None, Some(after)) => format!("{field}{colon} {after}"),
            (Some(before), None) => format!("{field}{colon} {before} → {none}"),
            (None, None) => format!("{field}{colon} {changed}"),
        }
    }
}

/// An object's fields as a change sees them: name, value, and whether the value is a secret.
pub type Fields = Vec<(String, Option<String>, bool)>;

/// The fields that differ between `before` (none for a new object) and `after` (none for a
/// removed one), in `after`'s order then `before`'s; a secret's values are never carried.
pub fn diff(before: Option<&Fields>, after: Option<&Fields>) -> Vec<FieldChange> {
    let empty = Fields::new();
    let (before, after) = (before.unwrap_or(&empty), after.unwrap_or(&empty));
    let value_in = |fields: &Fields, name: &str| {
        fields
            .iter()
            .find(|(field, _, _)| *field == name)
            .map(|(_, value, secret)| (value.clone(), *secret))
    };
    let mut names: Vec<&str> = after.iter().map(|(name, _, _)| name.as_str()).collect();
    for (name, _, _) in before {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let (old, old_secret) = value_in(before, name).unwrap_or((None, false));
            let (new, new_secret) = value_in(after, name).unwrap_or((None, false));
            if old == new {
                return None;
            }
            let secret = old_secret || new_secret;
            Some(FieldChange {
                field: name.to_string(),
                before: if secret { None } else { old },
                after: if secret { None } else { new },
                secret,
            })
        })
        .collect()
}

/// An entry of the audit log as the page and the REST API show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Increasing: the page's keyset cursor.
    pub id: i64,
    pub at: String,
    pub actor_kind: ActorKind,
    /// The user's email, the credential's name, or what the system did it as.
    pub actor: String,
    pub address: Option<String>,
    /// What was done, e.g. `user.invited`, `webhook.updated`, `sign_in.failed`.
    pub action: String,
    pub object_kind: String,
    pub object_id: Option<String>,
    pub object_name: String,
    pub changes: Vec<FieldChange>,
}

/// The latest entry about an object, as its own page names it: "last changed by … at …".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LastChange {
    pub actor: String,
    pub at: String,
    /// The object's history in the audit log.
    pub history: String,
}

/// A page of the audit log, newest first; `next` continues after its last entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next: Option<i64>,
}

/// Entries a page holds.
pub const AUDIT_PAGE_SIZE: usize = 50;

/// The audit log page's filters, as its address carries them (every one optional).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub object_kind: Option<String>,
    #[serde(default)]
    pub object_id: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    /// `2026-11-28T10:30` (a `datetime-local` input) or a bare date, UTC.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// The id the next page starts below.
    #[serde(default)]
    pub before: Option<i64>,
}

/// The longest text filter: longer is no actor, kind, id or action the log holds.
pub const MAX_AUDIT_FILTER_CHARS: usize = 320;

impl AuditQuery {
    /// The filter texts, trimmed, blank ones dropped.
    pub fn cleaned(&self) -> AuditQuery {
        let clean = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(str::to_string)
        };
        AuditQuery {
            actor: clean(&self.actor),
            object_kind: clean(&self.object_kind),
            object_id: clean(&self.object_id),
            action: clean(&self.action),
            from: clean(&self.from),
            to: clean(&self.to),
            before: self.before,
        }
    }

    /// The first filter that cannot match anything the log holds: too long, or with control
    /// characters.
    pub fn problem(&self) -> Option<Message> {
        let filters = [
            ("actor", &self.actor),
            ("object kind", &self.object_kind),
            ("object", &self.object_id),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ];
        filters.into_iter().find_map(|(name, value)| {
            let text = value.as_deref()?;
            if text.chars().count() > MAX_AUDIT_FILTER_CHARS {
                Some(Message::FilterTooLong {
                    parameter: name.to_string(),
                    max: MAX_AUDIT_FILTER_CHARS,
                })
            } else if text.chars().any(char::is_control) {
                // Matched against stored text, which holds none (PostgreSQL refuses a NUL).
                Some(Message::FilterControlCharacters {
                    parameter: name.to_string(),
                })
            } else {
                None
            }
        })
    }

    /// The query string of these filters (without the cursor), for links and the export.
    pub fn to_query_string(&self) -> String {
        let mut form = url_form();
        for (key, value) in [
            ("actor", &self.actor),
            ("object_kind", &self.object_kind),
            ("object_id", &self.object_id),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(value) = value {
                form.append_pair(key, value);
            }
        }
        form.finish()
    }
}

fn url_form() -> url::form_urlencoded::Serializer<'static, String> {
    url::form_urlencoded::Serializer::new(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&'static str, &str, bool)]) -> Fields {
        pairs
            .iter()
            .map(|(name, value, secret)| (name.to_string(), Some(value.to_string()), *secret))
            .collect()
    }

    #[test]
    fn only_the_fields_that_differ_are_kept() {
        let before = fields(&[
            ("name", "Orders", false),
            ("url", "https://a.example", false),
        ]);
        let after = fields(&[
            ("name", "Orders", false),
            ("url", "https://b.example", false),
        ]);
        assert_eq!(
            diff(Some(&before), Some(&after)),
            vec![FieldChange {
                field: "url".into(),
                before: Some("https://a.example".into()),
                after: Some("https://b.example".into()),
                secret: false,
            }]
        );
        assert!(diff(Some(&before), Some(&before)).is_empty());
    }

    #[test]
    fn a_secret_is_only_said_to_have_changed() {
        let before = fields(&[("secret", "old-secret-value", true)]);
        let after = fields(&[("secret", "new-secret-value", true)]);
        let changes = diff(Some(&before), Some(&after));
        assert_eq!(changes.len(), 1);
        assert!(changes[0].secret);
        assert_eq!(
            (changes[0].before.clone(), changes[0].after.clone()),
            (None, None)
        );
        let shown = serde_json::to_string(&changes).unwrap();
        assert!(!shown.contains("secret-value"), "{shown}");
        assert_eq!(changes[0].describe(), "secret: changed");
        // Unchanged secrets are not mentioned at all.
        assert!(diff(Some(&before), Some(&before)).is_empty());
    }

    #[test]
    fn a_new_or_removed_object_lists_what_it_had() {
        let object = fields(&[("email", "a@example.com", false), ("role", "editor", false)]);
        let created = diff(None, Some(&object));
        assert_eq!(created.len(), 2);
        assert_eq!(created[1].describe(), "role: editor");
        let removed = diff(Some(&object), None);
        assert_eq!(removed[0].describe(), "email: a@example.com → (none)");
    }

    #[test]
    fn a_query_drops_blank_filters_and_bounds_the_rest() {
        let query = AuditQuery {
            actor: Some("  admin@example.com ".into()),
            action: Some("   ".into()),
            ..Default::default()
        }
        .cleaned();
        assert_eq!(query.actor.as_deref(), Some("admin@example.com"));
        assert_eq!(query.action, None);
        assert_eq!(query.problem(), None);
        assert_eq!(query.to_query_string(), "actor=admin%40example.com");
        let long = AuditQuery {
            object_id: Some("x".repeat(321)),
            ..Default::default()
        };
        assert!(long
            .problem()
            .unwrap()
            .to_string()
            .contains("object filter"));
        let nul = AuditQuery {
            actor: Some("admin\0".into()),
            ..Default::default()
        };
        assert!(nul
            .problem()
            .unwrap()
            .to_string()
            .contains("actor filter holds control"));
    }

    #[test]
    fn actor_kinds_read_back_what_they_write() {
        for kind in [
            ActorKind::User,
            ActorKind::Credential,
            ActorKind::System,
            ActorKind::Anonymous,
        ] {
            assert_eq!(ActorKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ActorKind::parse("root"), None);
    }
}

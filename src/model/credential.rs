//! API credentials as the administration page shows them (never the token after creation),
//! what each may do (scopes) and for how long.

use super::message::Message;
use serde::{Deserialize, Serialize};

/// What a credential may do. Every route of the public API needs one.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// `POST /im/executions/unitary`.
    Execute,
    /// The REST API's reads.
    Read,
    /// The REST API's creates, updates and deletes.
    Write,
    /// The organization's audit log through the REST API: who changed what, from where. Its
    /// own scope, never implied by `read`, since the log names people and their addresses.
    Audit,
    /// The organization's sandboxes and API credentials through the REST API: what an
    /// administrator does on the Sandboxes and API credentials pages. A credential it creates
    /// may do no more than it.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::Execute,
        Scope::Read,
        Scope::Write,
        Scope::Audit,
        Scope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Execute => "execute",
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Audit => "audit",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == text)
    }

    /// What the scope allows, as the credentials page says it.
    pub fn meaning(self) -> &'static str {
        match self {
            Scope::Execute => "run campaigns through the execution API",
            Scope::Read => "read webhooks, campaigns and deliveries through the REST API",
            Scope::Write => "create, change and delete webhooks and campaigns through the REST API",
            Scope::Audit => "read the organization's audit log through the REST API",
            Scope::Admin => {
                "manage the organization's sandboxes and API credentials through the REST API"
            }
        }
    }

    /// `execute,read` as stored.
    pub fn join(scopes: &[Scope]) -> String {
        Scope::ALL
            .into_iter()
            .filter(|scope| scopes.contains(scope))
            .map(Scope::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The scopes of a stored list; unknown names are dropped (they allow nothing).
    pub fn split(text: &str) -> Vec<Scope> {
        text.split(',')
            .filter_map(|s| Scope::parse(s.trim()))
            .collect()
    }
}

/// How long a new credential lasts, as the form offers it.
pub const EXPIRY_CHOICES: [(&str, &str, Option<i64>); 5] = [
    ("never", "Never", None),
    ("30d", "30 days", Some(30)),
    ("90d", "90 days", Some(90)),
    ("180d", "180 days", Some(180)),
    ("365d", "1 year", Some(365)),
];

/// The form that creates a credential: checkboxes send `on`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CredentialForm {
    pub name: String,
    #[serde(default)]
    pub scope_execute: Option<String>,
    #[serde(default)]
    pub scope_read: Option<String>,
    #[serde(default)]
    pub scope_write: Option<String>,
    #[serde(default)]
    pub scope_audit: Option<String>,
    #[serde(default)]
    pub scope_admin: Option<String>,
    /// One of [`EXPIRY_CHOICES`]' keys.
    #[serde(default)]
    pub expires: String,
}

/// What a valid form asks for: a name, at least one scope, a lifetime in days (or none).
#[derive(Clone, Debug, PartialEq)]
pub struct CredentialDraft {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub lifetime_days: Option<i64>,
}

impl CredentialDraft {
    /// When a credential made at `now_ms` stops working, if it does.
    pub fn expires_at_ms(&self, now_ms: i64) -> Option<i64> {
        self.lifetime_days
            .map(|days| now_ms + days * 24 * 60 * 60 * 1000)
    }
}

pub fn validate_credential(form: &CredentialForm) -> Result<CredentialDraft, Message> {
    if let Some(problem) = credential_name_problem(&form.name) {
        return Err(problem);
    }
    let checked = [
        (Scope::Execute, &form.scope_execute),
        (Scope::Read, &form.scope_read),
        (Scope::Write, &form.scope_write),
        (Scope::Audit, &form.scope_audit),
        (Scope::Admin, &form.scope_admin),
    ];
    let scopes: Vec<Scope> = checked
        .iter()
        .filter(|(_, on)| on.is_some())
        .map(|(scope, _)| *scope)
        .collect();
    if scopes.is_empty() {
        return Err(Message::ChooseCredentialScope);
    }
    let key = match form.expires.trim() {
        "" => "never",
        key => key,
    };
    let lifetime_days = EXPIRY_CHOICES
        .iter()
        .find(|(choice, _, _)| *choice == key)
        .map(|(_, _, days)| *days)
        .ok_or(Message::ChooseCredentialExpiry)?;
    Ok(CredentialDraft {
        name: form.name.trim().to_string(),
        scopes,
        lifetime_days,
    })
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CredentialView {
    pub id: String,
    pub name: String,
    pub ims_org: String,
    /// Public: sent as `x-api-key`.
    pub api_key: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<String>,
    /// Past its expiry: refused like a revoked one.
    pub expired: bool,
}

/// A credential just created, with its secret token: shown this once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewCredentialShown {
    pub credential: CredentialView,
    pub token: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CredentialList {
    pub items: Vec<CredentialView>,
    pub ims_org: String,
    pub sandbox_name: String,
}

pub fn credential_name_problem(name: &str) -> Option<Message> {
    let chars = name.trim().chars().count();
    if chars == 0 {
        Some(Message::EnterCredentialName)
    } else if chars > 100 {
        Some(Message::NameTooLong {
            max: 100,
            actual: chars,
        })
    } else if name.chars().any(char::is_control) {
        Some(Message::NameControlCharacters)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(scopes: [bool; 4], expires: &str) -> CredentialForm {
        let on = |yes: bool| yes.then(|| "on".to_string());
        CredentialForm {
            name: "Order service".into(),
            scope_execute: on(scopes[0]),
            scope_read: on(scopes[1]),
            scope_write: on(scopes[2]),
            scope_audit: on(scopes[3]),
            scope_admin: None,
            expires: expires.into(),
        }
    }

    #[test]
    fn a_credential_name_is_one_line_of_text() {
        assert_eq!(credential_name_problem(" Deploy scripts "), None);
        assert!(credential_name_problem("Deploy\u{85}").is_some());
        assert!(credential_name_problem("Deploy\nscripts").is_some());
    }

    #[test]
    fn a_credential_needs_a_scope_and_a_listed_expiry() {
        let draft = validate_credential(&form([true, false, true, false], "90d")).unwrap();
        assert_eq!(draft.scopes, vec![Scope::Execute, Scope::Write]);
        assert_eq!(draft.lifetime_days, Some(90));
        assert_eq!(draft.expires_at_ms(1_000), Some(1_000 + 90 * 86_400_000));
        assert_eq!(
            validate_credential(&form([false, true, false, false], ""))
                .unwrap()
                .lifetime_days,
            None
        );
        assert_eq!(
            validate_credential(&form([false; 4], "never")),
            Err(Message::ChooseCredentialScope)
        );
        assert_eq!(
            validate_credential(&form([true; 4], "10y")),
            Err(Message::ChooseCredentialExpiry)
        );
    }

    #[test]
    fn scopes_are_stored_in_a_fixed_order_and_unknown_ones_allow_nothing() {
        assert_eq!(
            Scope::join(&[Scope::Write, Scope::Execute]),
            "execute,write"
        );
        assert_eq!(
            Scope::split("read, write,owner"),
            vec![Scope::Read, Scope::Write]
        );
        assert_eq!(
            Scope::join(&[Scope::Admin, Scope::Execute]),
            "execute,admin",
            "the admin scope is stored by its own name"
        );
        assert_eq!(
            Scope::join(&[Scope::Audit, Scope::Read]),
            "read,audit",
            "the audit scope is stored by its own name"
        );
        assert_eq!(Scope::split("audit"), vec![Scope::Audit]);
        assert_eq!(Scope::split(""), Vec::<Scope>::new());
    }
}

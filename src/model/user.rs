use serde::{Deserialize, Serialize};

/// What a person may do. Ordered: each role includes the ones below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Editor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        match value {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn can_edit(self) -> bool {
        self >= Role::Editor
    }
}

/// The signed-in person as the UI sees them, with the sandbox they work in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub email: String,
    pub role: Role,
    pub ims_org: String,
    pub sandbox_name: String,
    pub sandbox_id: String,
    /// Every sandbox of the organization, to switch to: (id, name).
    pub sandboxes: Vec<(String, String)>,
}

/// Passwords are checked the same way at setup, by `FW_ADMIN_PASSWORD` and later by user admin.
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// The longest address a mail path can carry (RFC 5321).
pub const MAX_EMAIL_CHARS: usize = 254;

/// Why a sign-in cannot match any account whatever the database holds: refused before any
/// lookup or hashing, so an oversized form costs nothing but reading it.
pub fn sign_in_problem(email: &str, password: &str) -> Option<String> {
    if email.trim().chars().count() > MAX_EMAIL_CHARS {
        return Some(format!(
            "The email is too long: at most {MAX_EMAIL_CHARS} characters."
        ));
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Some(format!(
            "The password is too long: at most {MAX_PASSWORD_CHARS} characters."
        ));
    }
    None
}

pub fn password_problem(password: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Some(format!("Use at least {MIN_PASSWORD_CHARS} characters."));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Some(format!("Use at most {MAX_PASSWORD_CHARS} characters."));
    }
    None
}

/// What a sign-in refused before its password was checked was counted under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThrottledKey {
    /// This account from the person's network.
    Account,
    /// The person's network, whatever the account.
    Address,
}

impl ThrottledKey {
    /// Its name in the sign-in page's query (`?error=account`).
    pub fn code(self) -> &'static str {
        match self {
            ThrottledKey::Account => "account",
            ThrottledKey::Address => "address",
        }
    }

    pub fn from_code(code: &str) -> Option<ThrottledKey> {
        match code {
            "account" => Some(ThrottledKey::Account),
            "address" => Some(ThrottledKey::Address),
            _ => None,
        }
    }

    /// What a person reads: what is refused and when to try again.
    pub fn message(self, minutes: u64) -> String {
        let minutes = minutes.max(1);
        let plural = if minutes == 1 { "" } else { "s" };
        let what = match self {
            ThrottledKey::Account => "for this account from your network",
            ThrottledKey::Address => "from your network",
        };
        format!("Too many sign-in attempts {what}. Try again in {minutes} minute{plural}.")
    }
}

/// A sign-in refused because the server is busy hashing others, in the page's query.
pub const SIGN_IN_BUSY: &str = "busy";
pub const SIGN_IN_BUSY_MESSAGE: &str =
    "The server is busy with other sign-ins. Try again in a few seconds.";

pub fn email_problem(email: &str) -> Option<String> {
    let email = email.trim();
    let valid = email.chars().count() <= MAX_EMAIL_CHARS
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    (!valid).then(|| "Enter an email address like name@example.com.".into())
}

/// The first problem with a new account's email or password.
pub fn email_problem_or_password(email: &str, password: &str) -> Option<String> {
    email_problem(email).or_else(|| password_problem(password).map(|p| format!("password: {p}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin.can_edit());
        assert!(Role::Editor.can_edit());
        assert!(!Role::Viewer.can_edit());
        assert_eq!(Role::parse("editor"), Some(Role::Editor));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn passwords_need_twelve_characters() {
        assert!(password_problem("short").is_some());
        assert!(password_problem("correct horse battery").is_none());
    }

    #[test]
    fn throttled_sign_ins_say_what_is_refused_and_for_how_long() {
        assert_eq!(
            ThrottledKey::Account.message(15),
            "Too many sign-in attempts for this account from your network. Try again in 15 minutes."
        );
        assert!(ThrottledKey::Address.message(0).ends_with("in 1 minute."));
        for key in [ThrottledKey::Account, ThrottledKey::Address] {
            assert_eq!(ThrottledKey::from_code(key.code()), Some(key));
        }
        assert_eq!(ThrottledKey::from_code("<script>"), None);
    }

    #[test]
    fn oversized_sign_ins_are_refused_before_any_work() {
        let long_email = format!("{}@example.com", "a".repeat(300));
        assert!(sign_in_problem(&long_email, "whatever")
            .unwrap()
            .contains("254"));
        assert!(sign_in_problem("a@example.com", &"p".repeat(1025))
            .unwrap()
            .contains("1024"));
        assert_eq!(sign_in_problem("a@example.com", &"p".repeat(1024)), None);
    }

    #[test]
    fn emails_need_a_local_part_and_a_domain() {
        assert!(email_problem("admin@example.com").is_none());
        assert!(email_problem("admin@localhost").is_some());
        assert!(email_problem("@example.com").is_some());
        assert!(email_problem("a b@example.com").is_some());
    }
}

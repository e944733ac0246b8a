use crate::model::message::Message;
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

/// Where a user stands: invited (no password yet), active, or disabled (cannot sign in).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Invited,
    Active,
    Disabled,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Invited => "invited",
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
    }

    pub fn parse(value: &str) -> Option<UserStatus> {
        match value {
            "invited" => Some(UserStatus::Invited),
            "active" => Some(UserStatus::Active),
            "disabled" => Some(UserStatus::Disabled),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            UserStatus::Invited => "Invited",
            UserStatus::Active => "Active",
            UserStatus::Disabled => "Disabled",
        }
    }
}

/// What an administrator does to a user, as the users page posts it (`action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserAction {
    SetRole(Role),
    Disable,
    Enable,
    Remove,
}

impl UserAction {
    pub fn code(self) -> String {
        match self {
            UserAction::SetRole(role) => format!("role:{}", role.as_str()),
            UserAction::Disable => "disable".into(),
            UserAction::Enable => "enable".into(),
            UserAction::Remove => "remove".into(),
        }
    }

    pub fn parse(code: &str) -> Option<UserAction> {
        match code {
            "disable" => Some(UserAction::Disable),
            "enable" => Some(UserAction::Enable),
            "remove" => Some(UserAction::Remove),
            other => other
                .strip_prefix("role:")
                .and_then(Role::parse)
                .map(UserAction::SetRole),
        }
    }
}

/// A user of the organization as Administration › Users lists them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserItem {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub status: UserStatus,
    pub created_at: String,
    pub last_sign_in_at: Option<String>,
    /// Who invited them (`None` for the first administrator, or once the inviter is removed).
    pub created_by: Option<String>,
    /// The administrator looking at the list.
    pub is_you: bool,
}

/// An invitation to send, as the users page posts it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InvitationForm {
    pub email: String,
    pub role: String,
}

/// What a one-time link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkPurpose {
    Invitation,
    Reset,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Invitation => "invitation",
            LinkPurpose::Reset => "reset",
        }
    }

    pub fn parse(value: &str) -> Option<LinkPurpose> {
        match value {
            "invitation" => Some(LinkPurpose::Invitation),
            "reset" => Some(LinkPurpose::Reset),
            _ => None,
        }
    }
}

/// A one-time link made for a user, shown this once to the administrator to pass on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkShown {
    pub user: UserItem,
    pub purpose: LinkPurpose,
    /// The path with its token (`/set-password?token=…`); the page prefixes its own origin.
    pub path: String,
    pub expires_at: String,
}

/// What the set-password page finds behind its link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LinkState {
    Ready {
        email: String,
        purpose: LinkPurpose,
    },
    /// Used already, expired, replaced by a newer one, or never made.
    Invalid,
}

/// One of the signed-in person's sessions, as their account page lists them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionItem {
    /// Names the session without being its cookie.
    pub handle: String,
    pub signed_in_at: Option<String>,
    pub last_seen_at: Option<String>,
    pub address: Option<String>,
    /// The browser, as its user agent names it.
    pub agent: Option<String>,
    /// The session this page is seen through.
    pub current: bool,
}

/// How a form that sets a password went: set, or its fields' problems.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PasswordOutcome {
    Changed,
    Invalid { errors: crate::model::FieldErrors },
}

/// The problems of a new password and its confirmation, by field (`password`,
/// `password_confirm`).
pub fn new_password_errors(
    email: &str,
    password: &str,
    password_confirm: &str,
) -> crate::model::FieldErrors {
    let mut errors = crate::model::FieldErrors::new();
    if let Some(problem) = password_problem(email, password) {
        errors.insert("password".into(), problem);
    } else if password != password_confirm {
        errors.insert(
            "password_confirm".into(),
            crate::model::message::Message::PasswordsDiffer,
        );
    }
    errors
}

/// Passwords are checked the same way at setup, by `FW_ADMIN_PASSWORD`, through an invitation
/// or reset link and by a change of one's own password.
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// The longest address a mail path can carry (RFC 5321).
pub const MAX_EMAIL_CHARS: usize = 254;

/// Why a sign-in cannot match any account whatever the database holds: refused before any
/// lookup or hashing, so an oversized form costs nothing but reading it.
pub fn sign_in_problem(email: &str, password: &str) -> Option<Message> {
    if email.trim().chars().count() > MAX_EMAIL_CHARS {
        return Some(Message::EmailTooLong {
            max: MAX_EMAIL_CHARS,
        });
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Some(Message::SignInPasswordTooLong {
            max: MAX_PASSWORD_CHARS,
        });
    }
    None
}

/// Why `password` may not be `email`'s new password: too short or too long, the email itself
/// (or its part before the `@`), one character repeated, or one of the passwords tried first by
/// anyone guessing ([`COMMON_PASSWORDS`]). Letter case does not make a weak one strong.
pub fn password_problem(email: &str, password: &str) -> Option<Message> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Some(Message::PasswordTooShort {
            min: MIN_PASSWORD_CHARS,
        });
    }
    if chars > MAX_PASSWORD_CHARS {
        return Some(Message::PasswordTooLong {
            max: MAX_PASSWORD_CHARS,
        });
    }
    let folded = password.trim().to_lowercase();
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    if folded == email || (!local.is_empty() && folded == local) {
        return Some(Message::PasswordIsEmail);
    }
    let first = folded.chars().next();
    if folded.chars().all(|c| Some(c) == first) || COMMON_PASSWORDS.contains(&folded.as_str()) {
        return Some(Message::PasswordTooCommon);
    }
    None
}

/// Passwords of 12 characters or more that appear near the top of every published list of
/// leaked passwords (shorter ones are refused by length already), in lower case.
pub const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789abc",
    "1234567890qwerty",
    "0123456789ab",
    "098765432112",
    "123123123123",
    "121212121212",
    "123321123321",
    "147258369147",
    "987654321012",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "1qaz2wsx3edc4rfv",
    "qwertyuiopas",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwerty123456",
    "qwerty12345678",
    "asdfghjkl123",
    "asdfghjklqwe",
    "zxcvbnm12345",
    "qazwsxedcrfv",
    "abcdefghijkl",
    "abcd12345678",
    "abc123456789",
    "abcdef123456",
    "aaaaaa111111",
    "password1234",
    "password12345",
    "password123!",
    "password@123",
    "password1234!",
    "passwordpassword",
    "p@ssw0rd1234",
    "p@ssword1234",
    "passw0rd1234",
    "mypassword123",
    "mypassword1234",
    "iloveyou1234",
    "iloveyou123456",
    "letmein12345",
    "letmeinplease",
    "welcome12345",
    "welcome123456",
    "welcometothejungle",
    "changeme1234",
    "changeme12345",
    "administrator",
    "administrator1",
    "admin1234567",
    "admin12345678",
    "adminadmin123",
    "adminpassword",
    "superman1234",
    "batman123456",
    "football1234",
    "baseball1234",
    "basketball12",
    "sunshine1234",
    "princess1234",
    "starwars1234",
    "dragon123456",
    "monkey123456",
    "trustno11234",
    "whatever1234",
    "michael12345",
    "jennifer1234",
    "computer1234",
    "internet1234",
    "secret123456",
    "qwertyqwerty",
    "asdfasdfasdf",
    "zaq12wsxcde3",
    "correcthorsebatterystaple",
    "correct horse battery staple",
    "thequickbrownfox",
    "feedbackwebhooks",
    "feedback webhooks",
    "feedback-webhooks",
];

/// What a sign-in refused before its password was checked was counted under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
}

/// A sign-in refused because the server is busy hashing others, in the page's query.
pub const SIGN_IN_BUSY: &str = "busy";

pub fn email_problem(email: &str) -> Option<Message> {
    let email = email.trim();
    let valid = email.chars().count() <= MAX_EMAIL_CHARS
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    (!valid).then_some(Message::EnterEmail)
}

/// The first problem with a new account's email or password.
pub fn email_problem_or_password(email: &str, password: &str) -> Option<String> {
    email_problem(email)
        .map(|problem| problem.to_string())
        .or_else(|| password_problem(email, password).map(|p| format!("password: {p}")))
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
        assert!(password_problem("a@example.com", "short").is_some());
        assert!(password_problem("a@example.com", "correct horse battery").is_none());
        assert!(password_problem("a@example.com", &"x".repeat(1025)).is_some());
    }

    #[test]
    fn a_password_may_not_be_the_email_a_repeat_or_a_common_one() {
        let email = "marketing.lead@example.com";
        for weak in [
            "marketing.lead@example.com",
            "Marketing.Lead@Example.com",
            "marketing.lead",
            "aaaaaaaaaaaaaaaa",
            "Password1234",
            "QWERTYUIOPAS",
            "administrator",
        ] {
            assert!(password_problem(email, weak).is_some(), "{weak}");
        }
        assert!(password_problem(email, "marketing.lead plus a phrase").is_none());
        assert!(password_problem("", "a long enough phrase").is_none());
    }

    #[test]
    fn the_common_list_is_lower_case_and_no_shorter_than_the_minimum() {
        for common in COMMON_PASSWORDS {
            assert_eq!(*common, common.to_lowercase());
            assert!(common.chars().count() >= MIN_PASSWORD_CHARS, "{common}");
        }
    }

    #[test]
    fn statuses_read_back_what_they_write() {
        for status in [
            UserStatus::Invited,
            UserStatus::Active,
            UserStatus::Disabled,
        ] {
            assert_eq!(UserStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(UserStatus::parse("deleted"), None);
        assert_eq!(
            UserAction::parse("role:editor"),
            Some(UserAction::SetRole(Role::Editor))
        );
        assert_eq!(UserAction::parse("role:root"), None);
        for action in [UserAction::Disable, UserAction::Enable, UserAction::Remove] {
            assert_eq!(UserAction::parse(action.code().as_str()), Some(action));
        }
    }

    #[test]
    fn a_throttled_key_goes_through_the_sign_in_pages_query() {
        for key in [ThrottledKey::Account, ThrottledKey::Address] {
            assert_eq!(ThrottledKey::from_code(key.code()), Some(key));
        }
        assert_eq!(ThrottledKey::from_code("<script>"), None);
    }

    #[test]
    fn oversized_sign_ins_are_refused_before_any_work() {
        let long_email = format!("{}@example.com", "a".repeat(300));
        assert_eq!(
            sign_in_problem(&long_email, "whatever"),
            Some(Message::EmailTooLong { max: 254 })
        );
        assert_eq!(
            sign_in_problem("a@example.com", &"p".repeat(1025)),
            Some(Message::SignInPasswordTooLong { max: 1024 })
        );
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

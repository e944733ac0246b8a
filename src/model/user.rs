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

pub fn password_problem(password: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Some(format!("Use at least {MIN_PASSWORD_CHARS} characters."));
    }
    if chars > 1024 {
        return Some("Use at most 1024 characters.".into());
    }
    None
}

pub fn email_problem(email: &str) -> Option<String> {
    let email = email.trim();
    let valid = email.len() <= 254
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
    fn emails_need_a_local_part_and_a_domain() {
        assert!(email_problem("admin@example.com").is_none());
        assert!(email_problem("admin@localhost").is_some());
        assert!(email_problem("@example.com").is_some());
        assert!(email_problem("a b@example.com").is_some());
    }
}

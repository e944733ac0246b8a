//! A sandbox's name: like the platform's, lower-case letters, digits and dashes.

use super::message::Message;

/// Most characters in a sandbox name.
pub const SANDBOX_NAME_MAX_CHARS: usize = 40;

/// What is wrong with a sandbox name, if anything.
pub fn sandbox_name_problem(name: &str) -> Option<Message> {
    let name = name.trim();
    if name.is_empty() {
        Some(Message::EnterSandboxName)
    } else if name.len() > SANDBOX_NAME_MAX_CHARS {
        Some(Message::AtMostCharacters {
            max: SANDBOX_NAME_MAX_CHARS,
        })
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || name.starts_with('-')
    {
        Some(Message::SandboxNameCharacters)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_lower_case_letters_digits_and_dashes() {
        assert_eq!(sandbox_name_problem(" dev-eu "), None);
        assert_eq!(sandbox_name_problem(&"a".repeat(40)), None);
        assert!(sandbox_name_problem(&"a".repeat(41)).is_some());
        for bad in ["", "Dev", "-dev", "dev_eu", "dév"] {
            assert!(sandbox_name_problem(bad).is_some(), "{bad}");
        }
    }
}

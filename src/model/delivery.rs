//! Delivery outcomes as people see them: error codes in plain words, the result of a test send.

use super::message::Message;
use serde::{Deserialize, Serialize};

/// The error codes stored with attempts (and deliveries that never got one), each explained
/// by its own message (`i18n::messages`).
pub const ERROR_CODES: [&str; 9] = [
    "E_TIMEOUT",
    "E_CONNECT",
    "E_DNS",
    "E_TLS",
    "E_SSRF",
    "E_REDIRECT",
    "E_BODY",
    "E_CONFIG",
    "E_EXPIRED",
];

/// What an attempt's outcome means, in plain words: its error code if it has one, else its
/// HTTP status; `None` for an attempt with neither.
pub fn explain_outcome(error_code: Option<&str>, status: Option<u16>) -> Option<Message> {
    match (error_code, status) {
        (Some(code), _) => Some(Message::AttemptError {
            code: code.to_string(),
        }),
        (None, Some(status)) => Some(Message::AttemptStatus { status }),
        (None, None) => None,
    }
}

/// What a "Send test event" click got back from the endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestEventResult {
    pub request_id: String,
    pub success: bool,
    pub status: Option<u16>,
    pub error_code: Option<String>,
    /// The status or error code in plain words.
    pub explanation: Option<Message>,
    pub duration_ms: u64,
    /// The start of the response body (at most a few KiB).
    pub body_excerpt: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_is_explained_by_its_error_code_first() {
        assert_eq!(
            explain_outcome(Some("E_TIMEOUT"), Some(200)),
            Some(Message::AttemptError {
                code: "E_TIMEOUT".into()
            })
        );
        assert_eq!(
            explain_outcome(None, Some(503)),
            Some(Message::AttemptStatus { status: 503 })
        );
        assert_eq!(explain_outcome(None, None), None);
    }
}

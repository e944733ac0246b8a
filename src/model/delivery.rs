//! Delivery outcomes as people see them: error codes in plain words, the result of a test send.

use serde::{Deserialize, Serialize};

/// The stable error codes stored with attempts (and deliveries that never got one), explained.
pub fn explain_error_code(code: &str) -> &'static str {
    match code {
        "E_TIMEOUT" => "The endpoint did not answer in time (5 s to connect, 15 s in all).",
        "E_CONNECT" => "The connection to the endpoint could not be opened or was cut.",
        "E_DNS" => "The endpoint's host name does not resolve.",
        "E_TLS" => "The TLS handshake failed (certificate or protocol).",
        "E_SSRF" => {
            "The endpoint resolves to a private or reserved address, which webhooks may not reach."
        }
        "E_REDIRECT" => "The endpoint answered with a redirect; redirects are not followed.",
        "E_BODY" => "The response body could not be read.",
        "E_CONFIG" => {
            "The webhook's settings could not be used (a key or header that no longer opens)."
        }
        "E_EXPIRED" => "The webhook stayed disabled too long; this delivery expired unsent.",
        _ => "Unknown error.",
    }
}

/// In plain words, what an HTTP status means for a delivery.
pub fn explain_status(status: u16) -> String {
    match status {
        200..=299 => "Accepted by the endpoint.".into(),
        300..=399 => "A redirect: redirects are not followed, so this counts as a failure.".into(),
        408 | 429 => "The endpoint asked to slow down or try again later.".into(),
        410 => "Gone: the endpoint asked to stop; the webhook was disabled.".into(),
        400..=499 => format!("The endpoint refused the request ({status})."),
        _ => format!("The endpoint failed while handling the request ({status})."),
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
    pub explanation: String,
    pub duration_ms: u64,
    /// The start of the response body (at most a few KiB).
    pub body_excerpt: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attempt_error_code_has_its_own_explanation() {
        let codes = [
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
        let explanations: std::collections::HashSet<_> =
            codes.iter().map(|code| explain_error_code(code)).collect();
        assert_eq!(explanations.len(), codes.len());
        assert!(!explanations.contains(explain_error_code("E_NOPE")));
        assert!(explain_status(410).contains("disabled"));
        assert!(explain_status(503).contains("503"));
    }
}

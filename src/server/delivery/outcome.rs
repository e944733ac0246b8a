//! What one delivery attempt led to, with stable error codes stored beside each attempt
//! (explained to people by `model::explain_outcome`).

use std::time::Duration;

/// Why an attempt got no usable HTTP answer (or an answer that is a failure by rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptError {
    /// No complete answer within the time allowed.
    Timeout,
    /// The connection could not be opened or broke.
    Connect,
    /// The host name does not resolve.
    Dns,
    /// TLS handshake or certificate failure.
    Tls,
    /// The target resolves to an address webhooks may not reach.
    Ssrf,
    /// The endpoint answered with a redirect, which is never followed.
    Redirect,
    /// The response body could not be read.
    Body,
    /// The webhook's stored settings could not be used (a sealed key that no longer opens).
    Config,
}

impl AttemptError {
    pub fn code(self) -> &'static str {
        match self {
            AttemptError::Timeout => "E_TIMEOUT",
            AttemptError::Connect => "E_CONNECT",
            AttemptError::Dns => "E_DNS",
            AttemptError::Tls => "E_TLS",
            AttemptError::Ssrf => "E_SSRF",
            AttemptError::Redirect => "E_REDIRECT",
            AttemptError::Body => "E_BODY",
            AttemptError::Config => "E_CONFIG",
        }
    }
}

/// One attempt as it is recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptResult {
    pub status: Option<u16>,
    pub error: Option<AttemptError>,
    pub duration: Duration,
    /// A few response headers worth keeping (content type, request ids, Retry-After).
    pub response_headers: Vec<(String, String)>,
    /// At most the first 64 KiB of the body, as text.
    pub body_excerpt: String,
    /// What the endpoint asked for with `Retry-After`, if anything.
    pub retry_after: Option<Duration>,
}

impl AttemptResult {
    pub fn failed(error: AttemptError, duration: Duration) -> Self {
        AttemptResult {
            status: None,
            error: Some(error),
            duration,
            response_headers: Vec::new(),
            body_excerpt: String::new(),
            retry_after: None,
        }
    }

    /// Any 2xx within the time allowed.
    pub fn is_success(&self) -> bool {
        self.error.is_none()
            && self
                .status
                .is_some_and(|status| (200..300).contains(&status))
    }

    /// `410 Gone`: the endpoint asks to stop; the webhook is disabled.
    pub fn is_gone(&self) -> bool {
        self.status == Some(410)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_2xx_without_error_is_success() {
        let ok = AttemptResult {
            status: Some(204),
            ..AttemptResult::failed(AttemptError::Body, Duration::ZERO)
        };
        assert!(!ok.is_success(), "a body error spoils a 2xx");
        let ok = AttemptResult { error: None, ..ok };
        assert!(ok.is_success());
        let redirect = AttemptResult {
            status: Some(302),
            error: None,
            ..ok.clone()
        };
        assert!(!redirect.is_success());
        let gone = AttemptResult {
            status: Some(410),
            error: None,
            ..ok
        };
        assert!(gone.is_gone() && !gone.is_success());
        assert_eq!(AttemptError::Ssrf.code(), "E_SSRF");
    }
}

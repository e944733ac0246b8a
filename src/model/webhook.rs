//! The feedback webhook as people edit it and as the UI lists it.

use crate::model::network::PrivateTargetAllowList;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Field name (`name`, `url`, `headers.2.value`, ...) → what is wrong with that field, written
/// next to it in the page's language.
pub type FieldErrors = BTreeMap<String, crate::model::message::Message>;

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn label(self) -> &'static str {
        match self {
            Channel::Email => "Email",
            Channel::Sms => "SMS",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    /// The `identityMap` namespace of the recipient's address in feedback payloads.
    pub fn identity_namespace(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "Phone",
        }
    }
}

/// The signing algorithms offered for JWT authentication.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JwtAlgorithm {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    ES256,
    ES384,
    EdDSA,
}

/// The kind of key an algorithm signs with; a stored key is kept only for the same kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyKind {
    SharedSecret,
    Rsa,
    EcP256,
    EcP384,
    Ed25519,
}

impl JwtAlgorithm {
    pub const ALL: [JwtAlgorithm; 10] = [
        JwtAlgorithm::HS256,
        JwtAlgorithm::HS384,
        JwtAlgorithm::HS512,
        JwtAlgorithm::RS256,
        JwtAlgorithm::RS384,
        JwtAlgorithm::RS512,
        JwtAlgorithm::PS256,
        JwtAlgorithm::ES256,
        JwtAlgorithm::ES384,
        JwtAlgorithm::EdDSA,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JwtAlgorithm::HS256 => "HS256",
            JwtAlgorithm::HS384 => "HS384",
            JwtAlgorithm::HS512 => "HS512",
            JwtAlgorithm::RS256 => "RS256",
            JwtAlgorithm::RS384 => "RS384",
            JwtAlgorithm::RS512 => "RS512",
            JwtAlgorithm::PS256 => "PS256",
            JwtAlgorithm::ES256 => "ES256",
            JwtAlgorithm::ES384 => "ES384",
            JwtAlgorithm::EdDSA => "EdDSA",
        }
    }

    pub fn parse(value: &str) -> Option<JwtAlgorithm> {
        Self::ALL.into_iter().find(|alg| alg.as_str() == value)
    }

    pub fn key_kind(self) -> KeyKind {
        match self {
            JwtAlgorithm::HS256 | JwtAlgorithm::HS384 | JwtAlgorithm::HS512 => {
                KeyKind::SharedSecret
            }
            JwtAlgorithm::RS256
            | JwtAlgorithm::RS384
            | JwtAlgorithm::RS512
            | JwtAlgorithm::PS256 => KeyKind::Rsa,
            JwtAlgorithm::ES256 => KeyKind::EcP256,
            JwtAlgorithm::ES384 => KeyKind::EcP384,
            JwtAlgorithm::EdDSA => KeyKind::Ed25519,
        }
    }

    /// The label of the key field and what it expects.
    pub fn key_description(self) -> &'static str {
        match self.key_kind() {
            KeyKind::SharedSecret => "Shared secret (at least 32 bytes)",
            KeyKind::Rsa => "RSA private key (PEM)",
            KeyKind::EcP256 => "EC P-256 private key (PEM)",
            KeyKind::EcP384 => "EC P-384 private key (PEM)",
            KeyKind::Ed25519 => "Ed25519 private key (PEM)",
        }
    }
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::SharedSecret => "shared-secret",
            KeyKind::Rsa => "rsa",
            KeyKind::EcP256 => "ec-p256",
            KeyKind::EcP384 => "ec-p384",
            KeyKind::Ed25519 => "ed25519",
        }
    }

    pub fn parse(value: &str) -> Option<KeyKind> {
        [
            KeyKind::SharedSecret,
            KeyKind::Rsa,
            KeyKind::EcP256,
            KeyKind::EcP384,
            KeyKind::Ed25519,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == value)
    }
}

pub const DEFAULT_JWT_LIFETIME_SECS: u32 = 300;

/// What every token of a webhook carries besides `iat`, `exp` and `jti`: validated from the
/// form, then used as-is to sign each request.
#[derive(Clone, Debug, PartialEq)]
pub struct JwtClaims {
    pub key_id: Option<String>,
    pub issuer: Option<String>,
    pub subject: Option<String>,
    pub audience: Option<String>,
    /// A JSON object, compact.
    pub extra_claims: Option<String>,
    pub lifetime_secs: u32,
}

/// The webhook form exactly as typed: plain strings, checkboxes present when ticked. The browser
/// posts it as-is (with or without JavaScript); `validation::validate_webhook` turns it into a draft.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WebhookForm {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub sms: Option<String>,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub enabled: Option<String>,
    /// The feedback events it receives (checkboxes).
    #[serde(default)]
    pub event_sent: Option<String>,
    #[serde(default)]
    pub event_delivered: Option<String>,
    #[serde(default)]
    pub event_bounce: Option<String>,
    #[serde(default)]
    pub event_error: Option<String>,
    /// `none` or `jwt`.
    #[serde(default)]
    pub auth: String,
    #[serde(default)]
    pub jwt_algorithm: String,
    /// Write-only: blank on edit keeps the stored key.
    #[serde(default)]
    pub jwt_secret: String,
    #[serde(default)]
    pub jwt_key_id: String,
    #[serde(default)]
    pub jwt_issuer: String,
    #[serde(default)]
    pub jwt_subject: String,
    #[serde(default)]
    pub jwt_audience: String,
    #[serde(default)]
    pub jwt_extra_claims: String,
    #[serde(default)]
    pub jwt_lifetime: String,
    #[serde(default)]
    pub headers: Vec<HeaderRowForm>,
    /// Which button sent the form without JavaScript: `save`, `add_header` or `remove_header:N`.
    #[serde(default)]
    pub intent: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HeaderRowForm {
    /// Id of the stored header this row edits; empty for a new row.
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// For a secret row, blank keeps the stored value.
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub secret: Option<String>,
}

impl WebhookForm {
    /// The ticked events, in their usual order.
    pub fn events(&self) -> Vec<crate::model::feedback::FeedbackStatus> {
        use crate::model::feedback::FeedbackStatus as S;
        [
            (S::Sent, &self.event_sent),
            (S::Delivered, &self.event_delivered),
            (S::Bounce, &self.event_bounce),
            (S::Error, &self.event_error),
        ]
        .into_iter()
        .filter(|(_, ticked)| checked(ticked))
        .map(|(status, _)| status)
        .collect()
    }

    pub fn set_events(&mut self, events: &[crate::model::feedback::FeedbackStatus]) {
        use crate::model::feedback::FeedbackStatus as S;
        self.event_sent = checkbox(events.contains(&S::Sent));
        self.event_delivered = checkbox(events.contains(&S::Delivered));
        self.event_bounce = checkbox(events.contains(&S::Bounce));
        self.event_error = checkbox(events.contains(&S::Error));
    }
}

pub fn checked(value: &Option<String>) -> bool {
    value.is_some()
}

pub fn checkbox(on: bool) -> Option<String> {
    on.then(|| "on".to_string())
}

impl WebhookForm {
    /// A new webhook: email ticked, enabled, every event, no authentication.
    pub fn blank() -> Self {
        WebhookForm {
            email: checkbox(true),
            enabled: checkbox(true),
            event_sent: checkbox(true),
            event_delivered: checkbox(true),
            event_bounce: checkbox(true),
            event_error: checkbox(true),
            auth: "none".into(),
            jwt_algorithm: JwtAlgorithm::HS256.as_str().into(),
            jwt_lifetime: DEFAULT_JWT_LIFETIME_SECS.to_string(),
            ..Default::default()
        }
    }

    /// The same form with every secret value removed, as it may be sent back to a browser.
    pub fn without_secrets(mut self) -> Self {
        self.jwt_secret.clear();
        for row in &mut self.headers {
            if checked(&row.secret) {
                row.value.clear();
            }
        }
        self
    }
}

/// A secret the server holds, shown only by its fingerprint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredSecretInfo {
    pub fingerprint: String,
}

/// Everything the webhook form page needs to draw itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookEditorData {
    pub form: WebhookForm,
    pub errors: FieldErrors,
    /// The stored JWT key, with the kind of key it is.
    pub jwt_secret: Option<(KeyKind, StoredSecretInfo)>,
    /// Stored secret header values by header id.
    pub header_secrets: BTreeMap<String, StoredSecretInfo>,
    pub allow_list: PrivateTargetAllowList,
    pub disabled_reason: Option<String>,
    pub updated_at: Option<String>,
    pub can_edit: bool,
    /// The Standard Webhooks signing secret, if one is set.
    pub signing: Option<SigningSecretInfo>,
    /// A secret just generated by a form post without JavaScript: shown on this page once.
    pub new_signing_secret: Option<String>,
    /// The answer to a "Send test event" posted without JavaScript.
    pub test_result: Option<crate::model::TestEventResult>,
    /// Who changed it last, and when.
    pub last_change: Option<crate::model::audit::LastChange>,
}

/// A signing secret as the UI sees it: never the secret itself after it was first shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SigningSecretInfo {
    pub fingerprint: String,
    /// While set (RFC 3339), requests carry a second signature with the previous secret.
    pub previous_valid_until: Option<String>,
}

/// A freshly generated signing secret, shown once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewSigningSecret {
    pub secret: String,
    pub info: SigningSecretInfo,
}

/// One row of the webhook list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookSummary {
    pub id: String,
    pub name: String,
    pub channels: Vec<Channel>,
    pub url: String,
    /// `None` or the JWT algorithm.
    pub jwt_algorithm: Option<JwtAlgorithm>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// RFC 3339, UTC.
    pub updated_at: String,
}

/// What saving the form led to. Refused input is an answer, not a failure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SaveOutcome {
    Saved { id: String, created: bool },
    Invalid { errors: FieldErrors },
}

pub fn summary_channels(email: bool, sms: bool) -> Vec<Channel> {
    let mut channels = Vec::new();
    if email {
        channels.push(Channel::Email);
    }
    if sms {
        channels.push(Channel::Sms);
    }
    channels
}

//! What a check says is wrong with a field: a key with its values, not a sentence. A page
//! writes it in its own language and the APIs in English (`i18n::messages`), so the rules here
//! say what is wrong once for both.

use super::webhook::{Channel, KeyKind};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "key", rename_all = "snake_case")]
pub enum Message {
    // Names: of webhooks, campaigns.
    EnterWebhookName,
    EnterCampaignName,
    NameTooLong {
        max: usize,
        actual: usize,
    },
    NameControlCharacters,
    /// Another object of that kind has the name in this sandbox.
    NameTaken {
        kind: NamedKind,
        name: String,
    },

    // The webhook's settings.
    ChooseChannel,
    ChooseEvent,
    ChooseAuthentication,
    EnterUrl,
    UrlTooLong {
        max: usize,
        actual: usize,
    },
    UrlNotAbsolute,
    UrlNotHttps,
    UrlWithoutHost,
    UrlWithCredentials,
    UrlWithFragment,
    PlainHttpNotAllowed,
    /// `reason` is the network's technical name (`loopback`, `private`, `NAT64`...).
    InternalAddress {
        ip: String,
        reason: String,
    },

    // JWT authentication.
    ChooseAlgorithm,
    KeyDoesNotFit {
        algorithm: String,
    },
    EnterSharedSecret,
    PasteKey {
        kind: KeyKind,
    },
    KeyTooLong {
        max: usize,
        actual: usize,
    },
    SecretTooShort {
        min: usize,
        actual: usize,
    },
    NotPemKey,
    /// The server could not read the key with the algorithm chosen.
    KeyUnreadable {
        kind: KeyKind,
        algorithm: String,
    },
    AtMostCharacters {
        max: usize,
    },
    ControlCharacters,
    LifetimeOutOfRange {
        min: u32,
        max: u32,
    },
    ExtraClaimsTooLong {
        max: usize,
    },
    ExtraClaimsNotObject,
    ReservedClaim {
        claim: String,
    },
    ClaimInItsOwnField {
        claim: String,
    },

    // Header parameters.
    TooManyHeaders {
        max: usize,
        actual: usize,
    },
    EnterHeaderName,
    HeaderNameCharacters,
    HeaderSetBySender {
        name: String,
    },
    AuthorizationSetByJwt,
    WebhookHeadersReserved,
    HeaderListedTwice {
        name: String,
    },
    HeaderValueCharacters,
    EnterSecretValue,
    HeadersTooLarge {
        total: usize,
        max: usize,
    },

    // Campaigns.
    ChooseCampaignChannel,
    ChooseCampaignStatus,
    ChooseWebhookOrSwitchOff,
    ChooseSandboxWebhook,
    WebhookMissesChannel {
        webhook: String,
        channel: Channel,
    },
    EnterText {
        what: TextKind,
    },
    TextTooLong {
        max: usize,
        actual: usize,
    },
    TextOnOneLine,
    TextControlCharacters,
    /// `text` is what stands between the braces.
    NotAPlaceholder {
        text: String,
    },
    PlaceholderNotClosed,

    // People: emails and passwords.
    EnterEmail,
    PasswordTooShort {
        min: usize,
    },
    PasswordTooLong {
        max: usize,
    },
    PasswordIsEmail,
    PasswordTooCommon,
    PasswordsDiffer,
    NotCurrentPassword,
}

impl Message {
    /// As a form posted without JavaScript carries it back to its page (`?error=`).
    pub fn to_query(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The message a page's `?error=` carries; `None` for anything else.
    pub fn from_query(value: &str) -> Option<Message> {
        serde_json::from_str(value).ok()
    }
}

/// What a name belongs to, in [`Message::NameTaken`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamedKind {
    Webhook,
    Campaign,
}

/// The texts of a campaign's content, in [`Message::EnterText`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextKind {
    Subject,
    Body,
    SmsText,
}

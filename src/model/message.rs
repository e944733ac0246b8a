//! What a check says is wrong with a field: a key with its values, not a sentence. A page
//! writes it in its own language and the APIs in English (`i18n::messages`), so the rules here
//! say what is wrong once for both.

use super::capacity::Holding;
use super::user::ThrottledKey;
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
    EmailTooLong {
        max: usize,
    },
    /// A password too long to be checked (signing in: no rule but a bound).
    SignInPasswordTooLong {
        max: usize,
    },

    // Signing in.
    /// The server is busy hashing other sign-ins' passwords.
    SignInsBusy,
    TooManySignIns {
        counted: ThrottledKey,
        minutes: u64,
    },
    /// A one-time link used, expired, replaced, or never made.
    LinkNoGood,

    // A campaign whose chosen webhook would not receive its events.
    NoWebhookChosen,
    ChosenWebhookDeleted,
    ChosenWebhookLostChannel {
        webhook: String,
        channel: Channel,
    },
    ChosenWebhookDisabled {
        webhook: String,
    },

    // Credentials, sandboxes and users.
    EnterCredentialName,
    ChooseCredentialScope,
    ChooseCredentialExpiry,
    EnterSandboxName,
    SandboxNameCharacters,
    SandboxNameTaken {
        name: String,
    },
    ChooseRole,
    AccountExists,
    UserExists,
    UnknownUserChange,
    UserDisabledNoLink,
    LastAdmin,
    /// One of the person's own sessions, to end, that has ended already.
    SessionEnded,

    // A list's filters, as a page's address or an API's query gives them.
    FilterNotAnId {
        parameter: String,
    },
    FilterOneOf {
        parameter: String,
        choices: Vec<String>,
    },
    FilterNotATime {
        parameter: String,
    },
    FilterTimesReversed,
    FilterTooLong {
        parameter: String,
        max: usize,
    },
    FilterControlCharacters {
        parameter: String,
    },
    PageLinkStale,

    // What a delivery attempt's outcome means.
    /// `code` is one of [`ERROR_CODES`](super::delivery::ERROR_CODES), or an unknown one.
    AttemptError {
        code: String,
    },
    AttemptStatus {
        status: u16,
    },

    // Why the engine turned a webhook off (kept as the webhook's `disabled_reason`).
    DisabledGone,
    DisabledFailing {
        span: Span,
    },

    // A request refused as a whole.
    NoSuch {
        thing: Thing,
    },
    DeletedMeanwhile {
        kind: NamedKind,
    },
    NoSandbox,
    /// The container holds as many as it can.
    Full {
        holding: Holding,
        max: usize,
    },
    /// A server call whose arguments could not be read; `detail` is the decoder's.
    RequestUnreadable {
        detail: String,
    },
    WebhookDisabledResend,
    StorageUnavailable,
    StorageFull,
}

impl Message {
    /// As a form posted without JavaScript carries it back to its page (`?error=`), and as a
    /// webhook keeps the reason it was disabled.
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

/// A duration in its largest whole unit: 5 days, 36 hours, 1500 milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub count: u64,
    pub unit: TimeUnit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    Day,
    Hour,
    Minute,
    Second,
    Millisecond,
}

impl Span {
    /// `duration` in the largest unit that divides it.
    pub fn of(duration: std::time::Duration) -> Span {
        let ms = duration.as_millis() as u64;
        let units = [
            (86_400_000, TimeUnit::Day),
            (3_600_000, TimeUnit::Hour),
            (60_000, TimeUnit::Minute),
            (1_000, TimeUnit::Second),
        ];
        let (size, unit) = units
            .into_iter()
            .find(|(size, _)| ms >= *size && ms.is_multiple_of(*size))
            .unwrap_or((1, TimeUnit::Millisecond));
        Span {
            count: ms / size,
            unit,
        }
    }
}

/// What a request asked for and did not find, in [`Message::NoSuch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Thing {
    Webhook,
    Campaign,
    Delivery,
    /// An active credential of the organization.
    Credential,
    /// A user of the organization.
    User,
    /// A sandbox of the organization.
    Sandbox,
}

/// The texts of a campaign's content, in [`Message::EnterText`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextKind {
    Subject,
    Body,
    SmsText,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_span_is_a_duration_in_its_largest_whole_unit() {
        let span = |duration| {
            let Span { count, unit } = Span::of(duration);
            (count, unit)
        };
        assert_eq!(span(Duration::from_secs(5 * 86_400)), (5, TimeUnit::Day));
        assert_eq!(span(Duration::from_secs(36 * 3_600)), (36, TimeUnit::Hour));
        assert_eq!(span(Duration::from_secs(60)), (1, TimeUnit::Minute));
        assert_eq!(
            span(Duration::from_millis(1_500)),
            (1_500, TimeUnit::Millisecond)
        );
    }
}

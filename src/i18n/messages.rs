//! A check's [`Message`] in words: in the page's language for people, in English for the
//! APIs (and wherever a message is displayed without a language, such as a log).

use super::{td_string, Locale};
use crate::error::AppError;
use crate::model::capacity::Holding;
use crate::model::message::{Message, NamedKind, Span, TextKind, Thing, TimeUnit};
use crate::model::user::ThrottledKey;
use crate::model::webhook::{Channel, KeyKind};

/// The placeholders a campaign's text may hold, as a refusal shows them.
const CONTEXT_EXAMPLE: &str = "{{context.name}}";
const PROFILE_EXAMPLE: &str = "{{profile.name}}";

/// `message` written in `locale`.
pub fn text(message: &Message, locale: Locale) -> String {
    use Message as M;
    let l = locale;
    match message {
        M::EnterWebhookName => td_string!(l, messages.enter_webhook_name).to_string(),
        M::EnterCampaignName => td_string!(l, messages.enter_campaign_name).to_string(),
        M::NameTooLong { max, actual } => {
            td_string!(l, messages.name_too_long, max = *max, actual = *actual).to_string()
        }
        M::NameControlCharacters => td_string!(l, messages.name_control_characters).to_string(),
        M::NameTaken {
            kind: NamedKind::Webhook,
            name,
        } => td_string!(l, messages.name_taken_webhook, name = name.clone()).to_string(),
        M::NameTaken {
            kind: NamedKind::Campaign,
            name,
        } => td_string!(l, messages.name_taken_campaign, name = name.clone()).to_string(),
        M::ChooseChannel => td_string!(l, messages.choose_channel).to_string(),
        M::ChooseEvent => td_string!(l, messages.choose_event).to_string(),
        M::ChooseAuthentication => td_string!(l, messages.choose_authentication).to_string(),
        M::EnterUrl => td_string!(l, messages.enter_url).to_string(),
        M::UrlTooLong { max, actual } => {
            td_string!(l, messages.url_too_long, max = *max, actual = *actual).to_string()
        }
        M::UrlNotAbsolute => td_string!(l, messages.url_not_absolute).to_string(),
        M::UrlNotHttps => td_string!(l, messages.url_not_https).to_string(),
        M::UrlWithoutHost => td_string!(l, messages.url_without_host).to_string(),
        M::UrlWithCredentials => td_string!(l, messages.url_with_credentials).to_string(),
        M::UrlWithFragment => td_string!(l, messages.url_with_fragment).to_string(),
        M::PlainHttpNotAllowed => td_string!(l, messages.plain_http_not_allowed).to_string(),
        M::InternalAddress { ip, reason } => td_string!(
            l,
            messages.internal_address,
            ip = ip.clone(),
            reason = reason.clone()
        )
        .to_string(),
        M::ChooseAlgorithm => td_string!(l, messages.choose_algorithm).to_string(),
        M::KeyDoesNotFit { algorithm } => {
            td_string!(l, messages.key_does_not_fit, algorithm = algorithm.clone()).to_string()
        }
        M::EnterSharedSecret => td_string!(l, messages.enter_shared_secret).to_string(),
        M::PasteKey { kind } => {
            td_string!(l, messages.paste_key, key = key_name(*kind, l)).to_string()
        }
        M::KeyTooLong { max, actual } => {
            td_string!(l, messages.key_too_long, max = *max, actual = *actual).to_string()
        }
        M::SecretTooShort { min, actual } => {
            td_string!(l, messages.secret_too_short, min = *min, actual = *actual).to_string()
        }
        M::NotPemKey => td_string!(l, messages.not_pem_key).to_string(),
        M::KeyUnreadable { kind, algorithm } => td_string!(
            l,
            messages.key_unreadable,
            key = key_name(*kind, l),
            algorithm = algorithm.clone()
        )
        .to_string(),
        M::AtMostCharacters { max } => {
            td_string!(l, messages.at_most_characters, max = *max).to_string()
        }
        M::ControlCharacters => td_string!(l, messages.control_characters).to_string(),
        M::LifetimeOutOfRange { min, max } => {
            td_string!(l, messages.lifetime_out_of_range, min = *min, max = *max).to_string()
        }
        M::ExtraClaimsTooLong { max } => {
            td_string!(l, messages.extra_claims_too_long, max = *max).to_string()
        }
        M::ExtraClaimsNotObject => td_string!(
            l,
            messages.extra_claims_not_object,
            example = r#"{"tenant": "acme"}"#
        )
        .to_string(),
        M::ReservedClaim { claim } => {
            td_string!(l, messages.reserved_claim, claim = claim.clone()).to_string()
        }
        M::ClaimInItsOwnField { claim } => {
            td_string!(l, messages.claim_in_its_own_field, claim = claim.clone()).to_string()
        }
        M::TooManyHeaders { max, actual } => {
            td_string!(l, messages.too_many_headers, max = *max, actual = *actual).to_string()
        }
        M::EnterHeaderName => td_string!(l, messages.enter_header_name).to_string(),
        M::HeaderNameCharacters => td_string!(
            l,
            messages.header_name_characters,
            characters = "! # $ % & ' * + - . ^ _ ` | ~"
        )
        .to_string(),
        M::HeaderSetBySender { name } => {
            td_string!(l, messages.header_set_by_sender, name = name.clone()).to_string()
        }
        M::AuthorizationSetByJwt => td_string!(l, messages.authorization_set_by_jwt).to_string(),
        M::WebhookHeadersReserved => td_string!(l, messages.webhook_headers_reserved).to_string(),
        M::HeaderListedTwice { name } => {
            td_string!(l, messages.header_listed_twice, name = name.clone()).to_string()
        }
        M::HeaderValueCharacters => td_string!(l, messages.header_value_characters).to_string(),
        M::EnterSecretValue => td_string!(l, messages.enter_secret_value).to_string(),
        M::HeadersTooLarge { total, max } => {
            td_string!(l, messages.headers_too_large, total = *total, max = *max).to_string()
        }
        M::ChooseCampaignChannel => td_string!(l, messages.choose_campaign_channel).to_string(),
        M::ChooseCampaignStatus => td_string!(l, messages.choose_campaign_status).to_string(),
        M::ChooseWebhookOrSwitchOff => {
            td_string!(l, messages.choose_webhook_or_switch_off).to_string()
        }
        M::ChooseSandboxWebhook => td_string!(l, messages.choose_sandbox_webhook).to_string(),
        M::WebhookMissesChannel { webhook, channel } => td_string!(
            l,
            messages.webhook_misses_channel,
            webhook = webhook.clone(),
            channel = channel_name(*channel, l)
        )
        .to_string(),
        M::EnterText {
            what: TextKind::Subject,
        } => td_string!(l, messages.enter_subject).to_string(),
        M::EnterText {
            what: TextKind::Body,
        } => td_string!(l, messages.enter_body).to_string(),
        M::EnterText {
            what: TextKind::SmsText,
        } => td_string!(l, messages.enter_sms_text).to_string(),
        M::TextTooLong { max, actual } => {
            td_string!(l, messages.text_too_long, max = *max, actual = *actual).to_string()
        }
        M::TextOnOneLine => td_string!(l, messages.text_on_one_line).to_string(),
        M::TextControlCharacters => td_string!(l, messages.text_control_characters).to_string(),
        M::NotAPlaceholder { text } => td_string!(
            l,
            messages.not_a_placeholder,
            text = format!("{{{{{text}}}}}"),
            context_example = CONTEXT_EXAMPLE,
            profile_example = PROFILE_EXAMPLE
        )
        .to_string(),
        M::PlaceholderNotClosed => td_string!(
            l,
            messages.placeholder_not_closed,
            example = CONTEXT_EXAMPLE
        )
        .to_string(),
        M::EnterEmail => td_string!(l, messages.enter_email).to_string(),
        M::PasswordTooShort { min } => {
            td_string!(l, messages.password_too_short, min = *min).to_string()
        }
        M::PasswordTooLong { max } => {
            td_string!(l, messages.password_too_long, max = *max).to_string()
        }
        M::PasswordIsEmail => td_string!(l, messages.password_is_email).to_string(),
        M::PasswordTooCommon => td_string!(l, messages.password_too_common).to_string(),
        M::PasswordsDiffer => td_string!(l, messages.passwords_differ).to_string(),
        M::NotCurrentPassword => td_string!(l, messages.not_current_password).to_string(),
        M::EmailTooLong { max } => td_string!(l, messages.email_too_long, max = *max).to_string(),
        M::SignInPasswordTooLong { max } => {
            td_string!(l, messages.sign_in_password_too_long, max = *max).to_string()
        }
        M::SignInsBusy => td_string!(l, login.busy).to_string(),
        M::TooManySignIns { counted, minutes } => {
            let minutes = (*minutes).max(1);
            let one = super::format::is_one(l, minutes);
            match (counted, one) {
                (ThrottledKey::Account, true) => {
                    td_string!(l, login.throttled_account_single, minutes)
                }
                (ThrottledKey::Account, false) => {
                    td_string!(l, login.throttled_account_several, minutes)
                }
                (ThrottledKey::Address, true) => {
                    td_string!(l, login.throttled_address_single, minutes)
                }
                (ThrottledKey::Address, false) => {
                    td_string!(l, login.throttled_address_several, minutes)
                }
            }
            .to_string()
        }
        M::LinkNoGood => td_string!(l, set_password.link_no_good).to_string(),
        M::NoWebhookChosen => td_string!(l, messages.no_webhook_chosen).to_string(),
        M::ChosenWebhookDeleted => td_string!(l, messages.chosen_webhook_deleted).to_string(),
        M::ChosenWebhookLostChannel { webhook, channel } => td_string!(
            l,
            messages.chosen_webhook_lost_channel,
            webhook = webhook.clone(),
            channel = channel_name(*channel, l)
        )
        .to_string(),
        M::ChosenWebhookDisabled { webhook } => td_string!(
            l,
            messages.chosen_webhook_disabled,
            webhook = webhook.clone()
        )
        .to_string(),
        M::EnterCredentialName => td_string!(l, messages.enter_credential_name).to_string(),
        M::ChooseCredentialScope => td_string!(l, messages.choose_credential_scope).to_string(),
        M::ChooseCredentialExpiry => td_string!(l, messages.choose_credential_expiry).to_string(),
        M::EnterSandboxName => td_string!(l, messages.enter_sandbox_name).to_string(),
        M::SandboxNameCharacters => td_string!(l, messages.sandbox_name_characters).to_string(),
        M::SandboxNameTaken { name } => {
            td_string!(l, messages.sandbox_name_taken, name = name.clone()).to_string()
        }
        M::ChooseRole => td_string!(l, messages.choose_role).to_string(),
        M::AccountExists => td_string!(l, messages.account_exists).to_string(),
        M::UserExists => td_string!(l, messages.user_exists).to_string(),
        M::UnknownUserChange => td_string!(l, messages.unknown_user_change).to_string(),
        M::UserDisabledNoLink => td_string!(l, messages.user_disabled_no_link).to_string(),
        M::LastAdmin => td_string!(l, messages.last_admin).to_string(),
        M::SessionEnded => td_string!(l, messages.session_ended).to_string(),
        M::FilterNotAnId { parameter } => {
            td_string!(l, messages.filter_not_an_id, parameter = parameter.clone()).to_string()
        }
        M::FilterOneOf { parameter, choices } => td_string!(
            l,
            messages.filter_one_of,
            parameter = parameter.clone(),
            choices = one_of(choices, td_string!(l, messages.or))
        )
        .to_string(),
        M::FilterNotATime { parameter } => {
            td_string!(l, messages.filter_not_a_time, parameter = parameter.clone()).to_string()
        }
        M::FilterTimesReversed => td_string!(l, messages.filter_times_reversed).to_string(),
        M::FilterTooLong { parameter, max } => td_string!(
            l,
            messages.filter_too_long,
            parameter = parameter.clone(),
            max = *max
        )
        .to_string(),
        M::FilterControlCharacters { parameter } => td_string!(
            l,
            messages.filter_control_characters,
            parameter = parameter.clone()
        )
        .to_string(),
        M::PageLinkStale => td_string!(l, messages.page_link_stale).to_string(),
        M::NoSuch { thing } => match thing {
            Thing::Webhook => td_string!(l, messages.no_such_webhook),
            Thing::Campaign => td_string!(l, messages.no_such_campaign),
            Thing::Delivery => td_string!(l, messages.no_such_delivery),
            Thing::Credential => td_string!(l, messages.no_such_credential),
            Thing::User => td_string!(l, messages.no_such_user),
            Thing::Sandbox => td_string!(l, messages.no_such_sandbox),
        }
        .to_string(),
        M::DeletedMeanwhile { kind } => match kind {
            NamedKind::Webhook => td_string!(l, messages.webhook_deleted_meanwhile),
            NamedKind::Campaign => td_string!(l, messages.campaign_deleted_meanwhile),
        }
        .to_string(),
        M::NoSandbox => td_string!(l, messages.no_sandbox).to_string(),
        M::DisabledGone => td_string!(l, messages.disabled_gone).to_string(),
        M::DisabledFailing { span } => {
            td_string!(l, messages.disabled_failing, span = span_text(*span, l)).to_string()
        }
        M::AttemptError { code } => match code.as_str() {
            "E_TIMEOUT" => td_string!(l, messages.attempt_timeout),
            "E_CONNECT" => td_string!(l, messages.attempt_connect),
            "E_DNS" => td_string!(l, messages.attempt_dns),
            "E_TLS" => td_string!(l, messages.attempt_tls),
            "E_SSRF" => td_string!(l, messages.attempt_ssrf),
            "E_REDIRECT" => td_string!(l, messages.attempt_redirect),
            "E_BODY" => td_string!(l, messages.attempt_body),
            "E_CONFIG" => td_string!(l, messages.attempt_config),
            "E_EXPIRED" => td_string!(l, messages.attempt_expired),
            _ => td_string!(l, messages.attempt_unknown),
        }
        .to_string(),
        M::AttemptStatus { status } => {
            let status = *status;
            match status {
                200..=299 => td_string!(l, messages.status_accepted).to_string(),
                300..=399 => td_string!(l, messages.status_redirect).to_string(),
                408 | 429 => td_string!(l, messages.status_slow_down).to_string(),
                410 => td_string!(l, messages.status_gone).to_string(),
                400..=499 => td_string!(l, messages.status_refused, status).to_string(),
                _ => td_string!(l, messages.status_failed, status).to_string(),
            }
        }
        M::Full { holding, max } => {
            let max = *max;
            match holding {
                Holding::WebhooksPerSandbox => td_string!(l, messages.full_webhooks, max),
                Holding::CampaignsPerSandbox => td_string!(l, messages.full_campaigns, max),
                Holding::CredentialsPerOrganization => {
                    td_string!(l, messages.full_credentials, max)
                }
                Holding::UsersPerOrganization => td_string!(l, messages.full_users, max),
                Holding::SandboxesPerOrganization => td_string!(l, messages.full_sandboxes, max),
            }
            .to_string()
        }
        M::RequestUnreadable { detail } => {
            td_string!(l, messages.request_unreadable, detail = detail.clone()).to_string()
        }
        M::WebhookDisabledResend => td_string!(l, messages.webhook_disabled_resend).to_string(),
        M::StorageUnavailable => td_string!(l, messages.storage_unavailable).to_string(),
        M::StorageFull => td_string!(l, messages.storage_full).to_string(),
    }
}

/// "5 days", "1 minute", "36 heures".
fn span_text(span: Span, l: Locale) -> String {
    let count = span.count;
    let one = super::format::is_one(l, count);
    match (span.unit, one) {
        (TimeUnit::Day, true) => td_string!(l, messages.days_single, count),
        (TimeUnit::Day, false) => td_string!(l, messages.days_several, count),
        (TimeUnit::Hour, true) => td_string!(l, messages.hours_single, count),
        (TimeUnit::Hour, false) => td_string!(l, messages.hours_several, count),
        (TimeUnit::Minute, true) => td_string!(l, messages.minutes_single, count),
        (TimeUnit::Minute, false) => td_string!(l, messages.minutes_several, count),
        (TimeUnit::Second, true) => td_string!(l, messages.seconds_single, count),
        (TimeUnit::Second, false) => td_string!(l, messages.seconds_several, count),
        (TimeUnit::Millisecond, true) => td_string!(l, messages.milliseconds_single, count),
        (TimeUnit::Millisecond, false) => td_string!(l, messages.milliseconds_several, count),
    }
    .to_string()
}

/// A text the server kept as a message (a disabled webhook's reason) in `locale`; one kept as
/// plain words, by a version before messages, as it is.
pub fn stored_text(stored: &str, locale: Locale) -> String {
    match Message::from_query(stored) {
        Some(message) => text(&message, locale),
        None => stored.to_string(),
    }
}

/// A stored text in English: what the audit log and the APIs say of it.
pub fn stored_english(stored: &str) -> String {
    stored_text(stored, Locale::en)
}

/// `choices` as one list: `a, b or c`.
fn one_of(choices: &[String], or: &str) -> String {
    match choices.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {or} {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// A server call's refusal in `locale`.
pub fn error_text(error: &AppError, locale: Locale) -> String {
    let l = locale;
    match error {
        AppError::TooManyAttempts(message)
        | AppError::NotFound(message)
        | AppError::BadRequest(message)
        | AppError::Unavailable(message) => text(message, l),
        AppError::Transport(detail) => {
            td_string!(l, errors.transport, detail = detail.clone()).to_string()
        }
        AppError::Unauthenticated => td_string!(l, errors.unauthenticated).to_string(),
        AppError::InvalidCredentials => td_string!(l, login.invalid_credentials).to_string(),
        AppError::Forbidden => td_string!(l, errors.forbidden).to_string(),
        AppError::AccountDisabled => td_string!(l, login.disabled).to_string(),
        AppError::Internal => td_string!(l, errors.internal).to_string(),
    }
}

fn channel_name(channel: Channel, l: Locale) -> &'static str {
    match channel {
        Channel::Email => td_string!(l, webhook.email),
        Channel::Sms => td_string!(l, webhook.sms),
    }
}

/// A private key's kind as a message names it (never a shared secret: that one is no PEM).
fn key_name(kind: KeyKind, l: Locale) -> &'static str {
    match kind {
        KeyKind::SharedSecret | KeyKind::Rsa => td_string!(l, messages.key_rsa),
        KeyKind::EcP256 => td_string!(l, messages.key_ec_p256),
        KeyKind::EcP384 => td_string!(l, messages.key_ec_p384),
        KeyKind::Ed25519 => td_string!(l, messages.key_ed25519),
    }
}

/// In English: what the APIs answer, and how a message reads in a log or a test.
impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&text(self, Locale::en))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::webhook::Channel;

    fn samples() -> Vec<Message> {
        use Message as M;
        let name = || "X-Tenant".to_string();
        vec![
            M::EnterWebhookName,
            M::EnterCampaignName,
            M::NameTooLong {
                max: 100,
                actual: 101,
            },
            M::NameControlCharacters,
            M::NameTaken {
                kind: NamedKind::Webhook,
                name: "Orders".into(),
            },
            M::NameTaken {
                kind: NamedKind::Campaign,
                name: "Orders".into(),
            },
            M::ChooseChannel,
            M::ChooseEvent,
            M::ChooseAuthentication,
            M::EnterUrl,
            M::UrlTooLong {
                max: 2048,
                actual: 3000,
            },
            M::UrlNotAbsolute,
            M::UrlNotHttps,
            M::UrlWithoutHost,
            M::UrlWithCredentials,
            M::UrlWithFragment,
            M::PlainHttpNotAllowed,
            M::InternalAddress {
                ip: "10.0.0.1".into(),
                reason: "private".into(),
            },
            M::ChooseAlgorithm,
            M::KeyDoesNotFit {
                algorithm: "RS256".into(),
            },
            M::EnterSharedSecret,
            M::PasteKey { kind: KeyKind::Rsa },
            M::KeyTooLong {
                max: 16384,
                actual: 20000,
            },
            M::SecretTooShort { min: 32, actual: 8 },
            M::NotPemKey,
            M::KeyUnreadable {
                kind: KeyKind::EcP256,
                algorithm: "ES256".into(),
            },
            M::AtMostCharacters { max: 256 },
            M::ControlCharacters,
            M::LifetimeOutOfRange { min: 30, max: 3600 },
            M::ExtraClaimsTooLong { max: 4096 },
            M::ExtraClaimsNotObject,
            M::ReservedClaim {
                claim: "exp".into(),
            },
            M::ClaimInItsOwnField {
                claim: "iss".into(),
            },
            M::TooManyHeaders {
                max: 50,
                actual: 51,
            },
            M::EnterHeaderName,
            M::HeaderNameCharacters,
            M::HeaderSetBySender { name: name() },
            M::AuthorizationSetByJwt,
            M::WebhookHeadersReserved,
            M::HeaderListedTwice { name: name() },
            M::HeaderValueCharacters,
            M::EnterSecretValue,
            M::HeadersTooLarge {
                total: 9000,
                max: 8192,
            },
            M::ChooseCampaignChannel,
            M::ChooseCampaignStatus,
            M::ChooseWebhookOrSwitchOff,
            M::ChooseSandboxWebhook,
            M::WebhookMissesChannel {
                webhook: "Orders".into(),
                channel: Channel::Sms,
            },
            M::EnterText {
                what: TextKind::Subject,
            },
            M::EnterText {
                what: TextKind::Body,
            },
            M::EnterText {
                what: TextKind::SmsText,
            },
            M::TextTooLong {
                max: 160,
                actual: 200,
            },
            M::TextOnOneLine,
            M::TextControlCharacters,
            M::NotAPlaceholder {
                text: "name".into(),
            },
            M::PlaceholderNotClosed,
            M::EnterEmail,
            M::PasswordTooShort { min: 12 },
            M::PasswordTooLong { max: 1024 },
            M::PasswordIsEmail,
            M::PasswordTooCommon,
            M::PasswordsDiffer,
            M::NotCurrentPassword,
            M::EmailTooLong { max: 254 },
            M::SignInPasswordTooLong { max: 1024 },
            M::SignInsBusy,
            M::TooManySignIns {
                counted: ThrottledKey::Account,
                minutes: 15,
            },
            M::TooManySignIns {
                counted: ThrottledKey::Address,
                minutes: 1,
            },
            M::LinkNoGood,
            M::NoWebhookChosen,
            M::ChosenWebhookDeleted,
            M::ChosenWebhookLostChannel {
                webhook: "Orders".into(),
                channel: Channel::Email,
            },
            M::ChosenWebhookDisabled {
                webhook: "Orders".into(),
            },
            M::EnterCredentialName,
            M::ChooseCredentialScope,
            M::ChooseCredentialExpiry,
            M::EnterSandboxName,
            M::SandboxNameCharacters,
            M::SandboxNameTaken {
                name: "dev-eu".into(),
            },
            M::ChooseRole,
            M::AccountExists,
            M::UserExists,
            M::UnknownUserChange,
            M::UserDisabledNoLink,
            M::LastAdmin,
            M::SessionEnded,
            M::FilterNotAnId {
                parameter: "webhook".into(),
            },
            M::FilterOneOf {
                parameter: "channel".into(),
                choices: vec!["email".into(), "sms".into()],
            },
            M::FilterNotATime {
                parameter: "from".into(),
            },
            M::FilterTimesReversed,
            M::FilterTooLong {
                parameter: "search".into(),
                max: 320,
            },
            M::FilterControlCharacters {
                parameter: "actor".into(),
            },
            M::PageLinkStale,
            M::NoSuch {
                thing: Thing::Webhook,
            },
            M::NoSuch {
                thing: Thing::Campaign,
            },
            M::NoSuch {
                thing: Thing::Delivery,
            },
            M::NoSuch {
                thing: Thing::Credential,
            },
            M::NoSuch { thing: Thing::User },
            M::NoSuch {
                thing: Thing::Sandbox,
            },
            M::DeletedMeanwhile {
                kind: NamedKind::Webhook,
            },
            M::DeletedMeanwhile {
                kind: NamedKind::Campaign,
            },
            M::NoSandbox,
            M::DisabledGone,
            M::DisabledFailing {
                span: Span {
                    count: 5,
                    unit: TimeUnit::Day,
                },
            },
            M::AttemptStatus { status: 200 },
            M::AttemptStatus { status: 302 },
            M::AttemptStatus { status: 429 },
            M::AttemptStatus { status: 410 },
            M::AttemptStatus { status: 404 },
            M::AttemptStatus { status: 503 },
            M::AttemptError {
                code: "E_NOPE".into(),
            },
            M::Full {
                holding: Holding::WebhooksPerSandbox,
                max: 100,
            },
            M::Full {
                holding: Holding::CampaignsPerSandbox,
                max: 1000,
            },
            M::Full {
                holding: Holding::CredentialsPerOrganization,
                max: 50,
            },
            M::Full {
                holding: Holding::UsersPerOrganization,
                max: 500,
            },
            M::Full {
                holding: Holding::SandboxesPerOrganization,
                max: 20,
            },
            M::RequestUnreadable {
                detail: "missing field `name`".into(),
            },
            M::WebhookDisabledResend,
            M::StorageUnavailable,
            M::StorageFull,
        ]
    }

    #[test]
    fn every_message_is_written_in_both_languages_with_its_values() {
        for message in samples() {
            let (english, french) = (text(&message, Locale::en), text(&message, Locale::fr));
            assert_eq!(
                message.to_string(),
                english,
                "the APIs' words are the English ones"
            );
            assert_ne!(english, french, "{message:?} has no French");
            for written in [&english, &french] {
                assert!(!written.contains("{{ "), "{message:?}: {written}");
            }
            // The values the message carries appear in both languages (but a status that
            // needs no number, such as 200 "accepted", is explained by its kind).
            let values = serde_json::to_value(&message).unwrap();
            let fields = values.as_object().unwrap().iter();
            let said_by_kind = |name: &str| name == "status" && !english.contains('(');
            for (_, value) in fields.filter(|(name, _)| *name != "key" && !said_by_kind(name)) {
                if let Some(number) = value.as_u64() {
                    assert!(
                        english.contains(&number.to_string()),
                        "{message:?}: {english}"
                    );
                    assert!(
                        french.contains(&number.to_string()),
                        "{message:?}: {french}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_english_words_stay_those_the_apis_always_answered() {
        assert_eq!(
            Message::NameTooLong {
                max: 100,
                actual: 120
            }
            .to_string(),
            "Use at most 100 characters (this name has 120)."
        );
        assert_eq!(
            Message::NotAPlaceholder {
                text: "user.name".into()
            }
            .to_string(),
            "“{{user.name}}” is not a placeholder: use {{context.name}} or {{profile.name}}."
        );
        assert_eq!(
            text(&Message::WebhookMissesChannel { webhook: "Orders".into(), channel: Channel::Email }, Locale::fr),
            "«\u{a0}Orders\u{a0}» ne reçoit pas les commentaires E-mail\u{a0}: choisissez un webhook qui a ce canal."
        );
    }

    #[test]
    fn every_attempt_error_code_has_its_own_explanation() {
        use crate::model::delivery::ERROR_CODES;
        for locale in [Locale::en, Locale::fr] {
            let explain = |code: &str| {
                text(
                    &Message::AttemptError {
                        code: code.to_string(),
                    },
                    locale,
                )
            };
            let explanations: std::collections::HashSet<_> =
                ERROR_CODES.iter().map(|code| explain(code)).collect();
            assert_eq!(explanations.len(), ERROR_CODES.len());
            assert!(!explanations.contains(&explain("E_NOPE")));
        }
        let status = |status| Message::AttemptStatus { status }.to_string();
        assert!(status(410).contains("disabled"));
        assert!(status(503).contains("503"));
    }

    #[test]
    fn a_disabled_webhooks_reason_is_kept_as_a_message_and_read_in_each_language() {
        let failing = |count, unit| {
            Message::DisabledFailing {
                span: Span { count, unit },
            }
            .to_query()
        };
        assert_eq!(
            stored_text(&failing(5, TimeUnit::Day), Locale::en),
            "Every delivery failed for 5 days: no successful delivery since then."
        );
        assert_eq!(
            stored_text(&failing(1, TimeUnit::Hour), Locale::fr),
            "Tous les envois ont échoué pendant 1 heure\u{a0}: aucun envoi réussi depuis."
        );
        assert_eq!(
            stored_text(&failing(250, TimeUnit::Millisecond), Locale::en),
            "Every delivery failed for 250 milliseconds: no successful delivery since then."
        );
        // A reason kept before reasons were messages reads as it was written.
        assert_eq!(
            stored_text("Turned off by hand.", Locale::fr),
            "Turned off by hand."
        );
    }

    #[test]
    fn a_list_of_choices_reads_as_one_in_each_language() {
        let choices = Message::FilterOneOf {
            parameter: "state".into(),
            choices: ["pending", "retrying", "succeeded", "failed"]
                .map(String::from)
                .to_vec(),
        };
        assert_eq!(
            choices.to_string(),
            "state is pending, retrying, succeeded or failed."
        );
        assert_eq!(
            text(&choices, Locale::fr),
            "«\u{a0}state\u{a0}» vaut pending, retrying, succeeded ou failed."
        );
        assert_eq!(
            text(
                &Message::TooManySignIns {
                    counted: ThrottledKey::Account,
                    minutes: 0
                },
                Locale::en
            ),
            "Too many sign-in attempts for this account from your network. Try again in 1 minute."
        );
    }

    #[test]
    fn a_refusal_with_its_own_words_is_written_in_the_pages_language() {
        let missing = AppError::no_such(Thing::Delivery);
        assert_eq!(missing.to_string(), "No such delivery in this sandbox.");
        assert_eq!(
            error_text(&missing, Locale::fr),
            "Cet envoi n’existe pas dans cette sandbox."
        );
        assert_eq!(
            error_text(&AppError::Transport("offline".into()), Locale::en),
            "The server could not be reached: offline"
        );
    }

    #[test]
    fn a_page_reads_back_only_a_message_from_its_query() {
        let message = Message::SecretTooShort { min: 32, actual: 4 };
        assert_eq!(Message::from_query(&message.to_query()), Some(message));
        assert_eq!(Message::from_query("<script>alert(1)</script>"), None);
        assert_eq!(Message::from_query(r#"{"key":"no_such_message"}"#), None);
    }
}

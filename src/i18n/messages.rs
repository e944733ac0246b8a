//! A check's [`Message`] in words: in the page's language for people, in English for the
//! APIs (and wherever a message is displayed without a language, such as a log).

use super::{td_string, Locale};
use crate::error::AppError;
use crate::model::message::{Message, NamedKind, TextKind};
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
            channel = match channel {
                Channel::Email => td_string!(l, webhook.email),
                Channel::Sms => td_string!(l, webhook.sms),
            }
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
    }
}

/// A server call's refusal in `locale`. The refusals that carry their own sentence (a thing not
/// found, a request refused) are still written in English by the server.
pub fn error_text(error: &AppError, locale: Locale) -> String {
    let l = locale;
    match error {
        AppError::Unauthenticated => td_string!(l, errors.unauthenticated).to_string(),
        AppError::InvalidCredentials => td_string!(l, login.invalid_credentials).to_string(),
        AppError::Forbidden => td_string!(l, errors.forbidden).to_string(),
        AppError::AccountDisabled => td_string!(l, login.disabled).to_string(),
        AppError::Internal => td_string!(l, errors.internal).to_string(),
        other => other.to_string(),
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
            // The values the message carries appear in both languages.
            let values = serde_json::to_value(&message).unwrap();
            let fields = values.as_object().unwrap().iter();
            for (_, value) in fields.filter(|(name, _)| *name != "key") {
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
    fn a_page_reads_back_only_a_message_from_its_query() {
        let message = Message::SecretTooShort { min: 32, actual: 4 };
        assert_eq!(Message::from_query(&message.to_query()), Some(message));
        assert_eq!(Message::from_query("<script>alert(1)</script>"), None);
        assert_eq!(Message::from_query(r#"{"key":"no_such_message"}"#), None);
    }
}

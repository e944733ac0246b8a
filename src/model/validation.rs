//! The rules of the webhook form (spec §2). The server enforces them; the browser runs the same
//! code for instant feedback. Checks that need the server (unique names, parsing PEM keys) live there.

use crate::model::message::Message;
use crate::model::network::{non_public_reason, PrivateTargetAllowList};
use crate::model::webhook::*;
use std::collections::BTreeMap;
use std::net::IpAddr;

pub const NAME_MAX_CHARS: usize = 100;
pub const URL_MAX_CHARS: usize = 2048;
pub const HEADERS_MAX_BYTES: usize = 8 * 1024;
/// Header rows per webhook, blank ones included: a form of more is refused before any row is
/// looked at (each row is checked against the others).
pub const HEADERS_MAX_ROWS: usize = 50;
pub const HMAC_MIN_BYTES: usize = 32;
/// A JWT key, shared secret or PEM: a 4096-bit RSA key in PEM is about 3,300 characters.
pub const KEY_MAX_CHARS: usize = 16 * 1024;
/// Extra claims ride in every token, so in every request's headers.
pub const EXTRA_CLAIMS_MAX_CHARS: usize = 4 * 1024;
pub const JWT_LIFETIME_RANGE: std::ops::RangeInclusive<u32> = 30..=3600;
const CLAIM_MAX_CHARS: usize = 1024;
const RESERVED_CLAIMS: [&str; 3] = ["iat", "exp", "jti"];
/// Headers the sender writes itself; `authorization` only while JWT is on.
const SENDER_HEADERS: [&str; 6] = [
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "user-agent",
];

/// What the server already stores for this webhook, so blank secret fields can mean "keep".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredSecrets {
    pub jwt_key: Option<KeyKind>,
    /// Stored secret header values: header id → value length in bytes.
    pub header_values: BTreeMap<String, usize>,
}

/// A validated webhook, ready to store.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookDraft {
    pub name: String,
    pub email: bool,
    pub sms: bool,
    pub url: String,
    pub enabled: bool,
    pub events: Vec<crate::model::feedback::FeedbackStatus>,
    pub jwt: Option<JwtDraft>,
    pub headers: Vec<HeaderDraft>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct JwtDraft {
    pub algorithm: JwtAlgorithm,
    /// `None` keeps the stored key.
    pub secret: Option<String>,
    pub claims: JwtClaims,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HeaderDraft {
    pub id: Option<String>,
    pub name: String,
    /// `None` keeps the stored secret value.
    pub value: Option<String>,
    pub secret: bool,
}

pub fn validate_webhook(
    form: &WebhookForm,
    allow_list: &PrivateTargetAllowList,
    stored: &StoredSecrets,
) -> Result<WebhookDraft, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut check = |field: &str, result: Result<(), Message>| {
        if let Err(message) = result {
            errors.insert(field.to_string(), message);
        }
    };

    let name = form.name.trim().to_string();
    check("name", name_problem(&name));
    let email = checked(&form.email);
    let sms = checked(&form.sms);
    check(
        "channels",
        if email || sms {
            Ok(())
        } else {
            Err(Message::ChooseChannel)
        },
    );
    let url = form.url.trim().to_string();
    check("url", url_problem(&url, allow_list));
    let events = form.events();
    check(
        "events",
        if events.is_empty() {
            Err(Message::ChooseEvent)
        } else {
            Ok(())
        },
    );

    let jwt = match form.auth.as_str() {
        "none" => None,
        "jwt" => Some(validate_jwt(form, stored, &mut check)),
        _ => {
            check("auth", Err(Message::ChooseAuthentication));
            None
        }
    };

    let headers = validate_headers(&form.headers, jwt.is_some(), stored, &mut check);

    if errors.is_empty() {
        Ok(WebhookDraft {
            name,
            email,
            sms,
            url,
            enabled: checked(&form.enabled),
            events,
            jwt: jwt.flatten(),
            headers,
        })
    } else {
        Err(errors)
    }
}

pub fn name_problem(name: &str) -> Result<(), Message> {
    let chars = name.chars().count();
    if chars == 0 {
        Err(Message::EnterWebhookName)
    } else if chars > NAME_MAX_CHARS {
        Err(Message::NameTooLong {
            max: NAME_MAX_CHARS,
            actual: chars,
        })
    } else if name.chars().any(char::is_control) {
        Err(Message::NameControlCharacters)
    } else {
        Ok(())
    }
}

pub fn url_problem(raw: &str, allow_list: &PrivateTargetAllowList) -> Result<(), Message> {
    if raw.is_empty() {
        return Err(Message::EnterUrl);
    }
    let chars = raw.chars().count();
    if chars > URL_MAX_CHARS {
        return Err(Message::UrlTooLong {
            max: URL_MAX_CHARS,
            actual: chars,
        });
    }
    let url = UrlParts::parse(raw).ok_or(Message::UrlNotAbsolute)?;
    if url.scheme != "https" && url.scheme != "http" {
        return Err(Message::UrlNotHttps);
    }
    let Some(host) = url.host else {
        return Err(Message::UrlWithoutHost);
    };
    if url.has_credentials {
        return Err(Message::UrlWithCredentials);
    }
    if url.has_fragment {
        return Err(Message::UrlWithFragment);
    }
    let allow_listed = match &host {
        UrlHost::Ip(ip) => allow_list.allows(*ip),
        UrlHost::Domain(domain) => {
            domain.eq_ignore_ascii_case("localhost") && allow_list.allows_localhost()
        }
    };
    if url.scheme == "http" && !allow_listed {
        return Err(Message::PlainHttpNotAllowed);
    }
    if let UrlHost::Ip(ip) = host {
        if let Some(reason) = non_public_reason(ip) {
            if !allow_listed {
                return Err(Message::InternalAddress {
                    ip: ip.to_string(),
                    reason: reason.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// What the URL rules look at, read by a WHATWG URL parser: the `url` crate on the server, the
/// browser's own `URL` in the browser (the same standard, without IDNA's Unicode tables in the
/// wasm). The server's reading decides; the browser's only answers sooner.
struct UrlParts {
    /// Lower case, without the colon.
    scheme: String,
    /// `None` for a URL that cannot have one (`mailto:`).
    host: Option<UrlHost>,
    has_credentials: bool,
    has_fragment: bool,
}

enum UrlHost {
    Ip(IpAddr),
    Domain(String),
}

impl UrlParts {
    #[cfg(not(all(feature = "hydrate", target_arch = "wasm32")))]
    fn parse(raw: &str) -> Option<UrlParts> {
        let url = url::Url::parse(raw).ok()?;
        let host = match url.host() {
            _ if url.cannot_be_a_base() => None,
            Some(url::Host::Ipv4(v4)) => Some(UrlHost::Ip(v4.into())),
            Some(url::Host::Ipv6(v6)) => Some(UrlHost::Ip(v6.into())),
            Some(url::Host::Domain(domain)) => Some(UrlHost::Domain(domain.to_string())),
            None => None,
        };
        Some(UrlParts {
            scheme: url.scheme().to_string(),
            host,
            has_credentials: !url.username().is_empty() || url.password().is_some(),
            has_fragment: url.fragment().is_some(),
        })
    }

    #[cfg(all(feature = "hydrate", target_arch = "wasm32"))]
    fn parse(raw: &str) -> Option<UrlParts> {
        let url = web_sys::Url::new(raw).ok()?;
        let hostname = url.hostname();
        // The browser writes an IPv6 host in brackets and an IPv4 one in dotted form (`0x7f.1`
        // becomes `127.0.0.1`), as the url crate reads them.
        let host = if hostname.is_empty() {
            None
        } else if let Some(v6) = hostname.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            v6.parse().ok().map(UrlHost::Ip)
        } else if let Ok(v4) = hostname.parse::<std::net::Ipv4Addr>() {
            Some(UrlHost::Ip(v4.into()))
        } else {
            Some(UrlHost::Domain(hostname))
        };
        Some(UrlParts {
            scheme: url.protocol().trim_end_matches(':').to_string(),
            host,
            has_credentials: !url.username().is_empty() || !url.password().is_empty(),
            // `hash` is empty for a bare `#` too: the server refuses that one.
            has_fragment: !url.hash().is_empty(),
        })
    }
}

fn validate_jwt(
    form: &WebhookForm,
    stored: &StoredSecrets,
    check: &mut impl FnMut(&str, Result<(), Message>),
) -> Option<JwtDraft> {
    let Some(algorithm) = JwtAlgorithm::parse(&form.jwt_algorithm) else {
        check("jwt_algorithm", Err(Message::ChooseAlgorithm));
        return None;
    };
    let kind = algorithm.key_kind();
    let secret = if form.jwt_secret.trim().is_empty() {
        match stored.jwt_key {
            Some(stored_kind) if stored_kind == kind => None,
            Some(_) => {
                check(
                    "jwt_secret",
                    Err(Message::KeyDoesNotFit {
                        algorithm: algorithm.as_str().to_string(),
                    }),
                );
                None
            }
            None => {
                check(
                    "jwt_secret",
                    Err(match kind {
                        KeyKind::SharedSecret => Message::EnterSharedSecret,
                        _ => Message::PasteKey { kind },
                    }),
                );
                None
            }
        }
    } else {
        check("jwt_secret", key_shape_problem(kind, &form.jwt_secret));
        Some(normalize_key(kind, &form.jwt_secret))
    };

    let optional = |value: &str| Some(value.trim().to_string()).filter(|v| !v.is_empty());
    let key_id = optional(&form.jwt_key_id);
    let issuer = optional(&form.jwt_issuer);
    let subject = optional(&form.jwt_subject);
    let audience = optional(&form.jwt_audience);
    for (field, value, max) in [
        ("jwt_key_id", &key_id, 256),
        ("jwt_issuer", &issuer, CLAIM_MAX_CHARS),
        ("jwt_subject", &subject, CLAIM_MAX_CHARS),
        ("jwt_audience", &audience, CLAIM_MAX_CHARS),
    ] {
        if let Some(value) = value {
            if value.chars().count() > max {
                check(field, Err(Message::AtMostCharacters { max }));
            } else if value.chars().any(char::is_control) {
                check(field, Err(Message::ControlCharacters));
            }
        }
    }

    let extra_claims =
        optional(&form.jwt_extra_claims).and_then(|text| {
            match extra_claims_problem(
                &text,
                [("iss", &issuer), ("sub", &subject), ("aud", &audience)],
            ) {
                Ok(compact) => Some(compact),
                Err(message) => {
                    check("jwt_extra_claims", Err(message));
                    None
                }
            }
        });

    let lifetime_text = form.jwt_lifetime.trim();
    let lifetime_secs = if lifetime_text.is_empty() {
        DEFAULT_JWT_LIFETIME_SECS
    } else {
        match lifetime_text.parse::<u32>() {
            Ok(secs) if JWT_LIFETIME_RANGE.contains(&secs) => secs,
            _ => {
                check(
                    "jwt_lifetime",
                    Err(Message::LifetimeOutOfRange {
                        min: *JWT_LIFETIME_RANGE.start(),
                        max: *JWT_LIFETIME_RANGE.end(),
                    }),
                );
                DEFAULT_JWT_LIFETIME_SECS
            }
        }
    };

    Some(JwtDraft {
        algorithm,
        secret,
        claims: JwtClaims {
            key_id,
            issuer,
            subject,
            audience,
            extra_claims,
            lifetime_secs,
        },
    })
}

/// What can be told about a key without parsing it; the server parses PEM keys on save.
fn key_shape_problem(kind: KeyKind, key: &str) -> Result<(), Message> {
    let chars = key.chars().count();
    if chars > KEY_MAX_CHARS {
        return Err(Message::KeyTooLong {
            max: KEY_MAX_CHARS,
            actual: chars,
        });
    }
    match kind {
        KeyKind::SharedSecret => {
            let bytes = key.len();
            if bytes < HMAC_MIN_BYTES {
                Err(Message::SecretTooShort {
                    min: HMAC_MIN_BYTES,
                    actual: bytes,
                })
            } else {
                Ok(())
            }
        }
        _ => {
            let key = key.trim();
            if key.starts_with("-----BEGIN ")
                && key.contains("PRIVATE KEY-----")
                && key.ends_with("-----")
            {
                Ok(())
            } else {
                Err(Message::NotPemKey)
            }
        }
    }
}

fn normalize_key(kind: KeyKind, key: &str) -> String {
    match kind {
        KeyKind::SharedSecret => key.to_string(),
        _ => format!("{}\n", key.trim().replace("\r\n", "\n")),
    }
}

fn extra_claims_problem(
    text: &str,
    named: [(&str, &Option<String>); 3],
) -> Result<String, Message> {
    if text.chars().count() > EXTRA_CLAIMS_MAX_CHARS {
        return Err(Message::ExtraClaimsTooLong {
            max: EXTRA_CLAIMS_MAX_CHARS,
        });
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|_| Message::ExtraClaimsNotObject)?;
    let object = value.as_object().ok_or(Message::ExtraClaimsNotObject)?;
    if let Some(claim) = RESERVED_CLAIMS
        .iter()
        .find(|claim| object.contains_key(**claim))
    {
        return Err(Message::ReservedClaim {
            claim: claim.to_string(),
        });
    }
    if let Some((claim, _)) = named
        .iter()
        .find(|(claim, field)| field.is_some() && object.contains_key(*claim))
    {
        return Err(Message::ClaimInItsOwnField {
            claim: claim.to_string(),
        });
    }
    Ok(value.to_string())
}

fn validate_headers(
    rows: &[HeaderRowForm],
    jwt_on: bool,
    stored: &StoredSecrets,
    check: &mut impl FnMut(&str, Result<(), Message>),
) -> Vec<HeaderDraft> {
    if rows.len() > HEADERS_MAX_ROWS {
        check(
            "headers",
            Err(Message::TooManyHeaders {
                max: HEADERS_MAX_ROWS,
                actual: rows.len(),
            }),
        );
        return Vec::new();
    }
    let mut drafts = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut total_bytes = 0;
    for (index, row) in rows.iter().enumerate() {
        let name = row.name.trim().to_string();
        let secret = checked(&row.secret);
        let stored_len = stored
            .header_values
            .get(&row.id)
            .copied()
            .filter(|_| secret);
        let keeps_stored = secret && row.value.is_empty() && stored_len.is_some();
        if name.is_empty() && row.value.is_empty() && !keeps_stored {
            continue; // an untouched blank row
        }
        let lower = name.to_ascii_lowercase();
        let name_field = format!("headers.{index}.name");
        let value_field = format!("headers.{index}.value");
        let name_check = if name.is_empty() {
            Err(Message::EnterHeaderName)
        } else if !name.bytes().all(is_token_byte) {
            Err(Message::HeaderNameCharacters)
        } else if SENDER_HEADERS.contains(&lower.as_str()) {
            Err(Message::HeaderSetBySender { name: name.clone() })
        } else if lower == "authorization" && jwt_on {
            Err(Message::AuthorizationSetByJwt)
        } else if lower.starts_with("webhook-") {
            Err(Message::WebhookHeadersReserved)
        } else if seen.contains(&lower) {
            Err(Message::HeaderListedTwice { name: name.clone() })
        } else {
            Ok(())
        };
        check(&name_field, name_check);
        seen.push(lower);

        let value = if keeps_stored {
            total_bytes += stored_len.unwrap_or(0);
            None
        } else {
            if row
                .value
                .bytes()
                .any(|b| b == b'\r' || b == b'\n' || b == 0)
            {
                check(&value_field, Err(Message::HeaderValueCharacters));
            } else if secret && row.value.is_empty() {
                check(&value_field, Err(Message::EnterSecretValue));
            }
            total_bytes += row.value.len();
            Some(row.value.clone())
        };
        total_bytes += name.len();
        drafts.push(HeaderDraft {
            id: Some(row.id.clone()).filter(|id| !id.is_empty()),
            name,
            value,
            secret,
        });
    }
    if total_bytes > HEADERS_MAX_BYTES {
        check(
            "headers",
            Err(Message::HeadersTooLarge {
                total: total_bytes,
                max: HEADERS_MAX_BYTES,
            }),
        );
    }
    drafts
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_form() -> WebhookForm {
        WebhookForm {
            name: "Orders feedback".into(),
            url: "https://hooks.example.com/feedback".into(),
            ..WebhookForm::blank()
        }
    }

    fn jwt_form(algorithm: &str, secret: &str) -> WebhookForm {
        WebhookForm {
            auth: "jwt".into(),
            jwt_algorithm: algorithm.into(),
            jwt_secret: secret.into(),
            ..valid_form()
        }
    }

    fn errors_of(form: &WebhookForm) -> FieldErrors {
        errors_with(form, &StoredSecrets::default())
    }

    fn errors_with(form: &WebhookForm, stored: &StoredSecrets) -> FieldErrors {
        validate_webhook(form, &PrivateTargetAllowList::default(), stored)
            .err()
            .unwrap_or_default()
    }

    fn header(name: &str, value: &str) -> HeaderRowForm {
        HeaderRowForm {
            name: name.into(),
            value: value.into(),
            ..Default::default()
        }
    }

    const SECRET_32: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_complete_form_is_accepted() {
        let draft = validate_webhook(
            &valid_form(),
            &PrivateTargetAllowList::default(),
            &StoredSecrets::default(),
        )
        .unwrap();
        assert_eq!(draft.name, "Orders feedback");
        assert!(draft.email && !draft.sms && draft.enabled);
        assert_eq!(draft.jwt, None);
    }

    #[test]
    fn name_is_required_trimmed_and_at_most_100_chars() {
        assert_eq!(
            errors_of(&WebhookForm {
                name: "   ".into(),
                ..valid_form()
            })["name"],
            Message::EnterWebhookName
        );
        let long = "é".repeat(101);
        assert!(errors_of(&WebhookForm {
            name: long,
            ..valid_form()
        })["name"]
            .to_string()
            .contains("at most 100"));
        let exactly = "é".repeat(100);
        assert!(errors_of(&WebhookForm {
            name: format!("  {exactly}  "),
            ..valid_form()
        })
        .is_empty());
        assert!(errors_of(&WebhookForm {
            name: "a\tb".into(),
            ..valid_form()
        })
        .contains_key("name"));
    }

    #[test]
    fn at_least_one_channel() {
        let none = WebhookForm {
            email: None,
            sms: None,
            ..valid_form()
        };
        assert_eq!(errors_of(&none)["channels"], Message::ChooseChannel);
        let sms_only = WebhookForm {
            email: None,
            sms: checkbox(true),
            ..valid_form()
        };
        assert!(errors_of(&sms_only).is_empty());
    }

    #[test]
    fn url_rules() {
        let url_error = |url: &str| {
            errors_of(&WebhookForm {
                url: url.into(),
                ..valid_form()
            })
            .remove("url")
        };
        assert_eq!(url_error("").unwrap(), Message::EnterUrl);
        assert!(url_error("hooks.example.com/x")
            .unwrap()
            .to_string()
            .contains("absolute URL"));
        assert!(url_error("http://hooks.example.com/x")
            .unwrap()
            .to_string()
            .starts_with("Use https://"));
        assert!(url_error("ftp://hooks.example.com/x")
            .unwrap()
            .to_string()
            .contains("https"));
        assert!(url_error("https://user:pw@hooks.example.com/")
            .unwrap()
            .to_string()
            .contains("user name and password"));
        assert!(url_error("https://hooks.example.com/#frag")
            .unwrap()
            .to_string()
            .contains("fragment"));
        assert!(url_error("https://10.0.0.1/hook")
            .unwrap()
            .to_string()
            .contains("private"));
        assert!(url_error("https://[::1]/hook")
            .unwrap()
            .to_string()
            .contains("loopback"));
        let long = format!("https://hooks.example.com/{}", "a".repeat(2048));
        assert!(url_error(&long)
            .unwrap()
            .to_string()
            .contains("at most 2048"));
        assert_eq!(
            url_error("https://hooks.example.com:8443/feedback?x=1"),
            None
        );
    }

    #[test]
    fn http_is_accepted_only_for_allow_listed_targets() {
        let allow = PrivateTargetAllowList::parse("127.0.0.1/32").unwrap();
        assert!(url_problem("http://127.0.0.1:9000/hook", &allow).is_ok());
        assert!(url_problem("http://localhost:9000/hook", &allow).is_ok());
        assert!(url_problem("http://127.0.0.2:9000/hook", &allow).is_err());
        assert!(url_problem("http://example.com/hook", &allow).is_err());
        assert!(url_problem(
            "http://127.0.0.1:9000/hook",
            &PrivateTargetAllowList::default()
        )
        .is_err());
    }

    #[test]
    fn authentication_must_be_chosen() {
        let form = WebhookForm {
            auth: "basic".into(),
            ..valid_form()
        };
        assert_eq!(errors_of(&form)["auth"], Message::ChooseAuthentication);
    }

    #[test]
    fn hmac_secrets_need_32_bytes() {
        assert!(errors_of(&jwt_form("HS256", SECRET_32)).is_empty());
        assert!(errors_of(&jwt_form("HS512", "short"))["jwt_secret"]
            .to_string()
            .contains("at least 32 bytes"));
        assert_eq!(
            errors_of(&jwt_form("HS256", ""))["jwt_secret"],
            Message::EnterSharedSecret
        );
        assert_eq!(
            errors_of(&jwt_form("XX999", SECRET_32))["jwt_algorithm"],
            Message::ChooseAlgorithm
        );
    }

    #[test]
    fn asymmetric_algorithms_need_a_pem_key() {
        assert!(errors_of(&jwt_form("RS256", SECRET_32))["jwt_secret"]
            .to_string()
            .contains("PEM"));
        assert!(errors_of(&jwt_form("ES256", ""))["jwt_secret"]
            .to_string()
            .contains("PEM"));
        let pem =
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----";
        assert!(errors_of(&jwt_form("EdDSA", pem)).is_empty());
    }

    #[test]
    fn blank_secret_keeps_a_stored_key_of_the_same_kind() {
        let stored = StoredSecrets {
            jwt_key: Some(KeyKind::SharedSecret),
            ..Default::default()
        };
        let draft = validate_webhook(
            &jwt_form("HS384", ""),
            &PrivateTargetAllowList::default(),
            &stored,
        )
        .unwrap();
        assert_eq!(draft.jwt.unwrap().secret, None);
        assert!(errors_with(&jwt_form("RS256", ""), &stored)["jwt_secret"]
            .to_string()
            .contains("does not fit RS256"));
    }

    #[test]
    fn keys_and_extra_claims_have_a_bound() {
        let at_bound = "k".repeat(KEY_MAX_CHARS);
        assert!(!errors_of(&jwt_form("HS256", &at_bound)).contains_key("jwt_secret"));
        let over = "k".repeat(KEY_MAX_CHARS + 1);
        assert!(errors_of(&jwt_form("HS256", &over))["jwt_secret"]
            .to_string()
            .contains("at most 16384 characters"));
        let mut form = jwt_form("HS256", SECRET_32);
        let padding = "x".repeat(EXTRA_CLAIMS_MAX_CHARS);
        form.jwt_extra_claims = format!(r#"{{"tenant": "{padding}"}}"#);
        assert!(errors_of(&form)["jwt_extra_claims"]
            .to_string()
            .contains("4096 characters"));
    }

    #[test]
    fn jwt_optional_fields() {
        let mut form = jwt_form("HS256", SECRET_32);
        form.jwt_lifetime = "29".into();
        assert!(errors_of(&form)["jwt_lifetime"]
            .to_string()
            .contains("30 to 3600"));
        form.jwt_lifetime = "3601".into();
        assert!(errors_of(&form).contains_key("jwt_lifetime"));
        form.jwt_lifetime = "ten".into();
        assert!(errors_of(&form).contains_key("jwt_lifetime"));
        form.jwt_lifetime = "".into();
        form.jwt_extra_claims = "[1,2]".into();
        assert!(errors_of(&form)["jwt_extra_claims"]
            .to_string()
            .contains("JSON object"));
        form.jwt_extra_claims = r#"{"exp": 1}"#.into();
        assert!(errors_of(&form)["jwt_extra_claims"]
            .to_string()
            .contains("\"exp\""));
        form.jwt_issuer = "acme".into();
        form.jwt_extra_claims = r#"{"iss": "other"}"#.into();
        assert!(errors_of(&form)["jwt_extra_claims"]
            .to_string()
            .contains("own field"));
        form.jwt_extra_claims = r#"{ "tenant": "acme" }"#.into();
        form.jwt_key_id = "k".repeat(257);
        assert!(errors_of(&form).contains_key("jwt_key_id"));
        form.jwt_key_id = "key-1".into();
        let jwt = validate_webhook(
            &form,
            &PrivateTargetAllowList::default(),
            &StoredSecrets::default(),
        )
        .unwrap()
        .jwt
        .unwrap();
        assert_eq!(jwt.claims.lifetime_secs, 300);
        assert_eq!(
            jwt.claims.extra_claims.as_deref(),
            Some(r#"{"tenant":"acme"}"#)
        );
        assert_eq!(jwt.claims.issuer.as_deref(), Some("acme"));
    }

    #[test]
    fn header_names_are_tokens_and_not_sender_controlled() {
        let with = |rows: Vec<HeaderRowForm>| {
            errors_of(&WebhookForm {
                headers: rows,
                ..valid_form()
            })
        };
        assert!(with(vec![header("X-Tenant", "acme"), header("X-Env", "prod")]).is_empty());
        assert!(with(vec![header("X Tenant", "acme")])["headers.0.name"]
            .to_string()
            .contains("only letters"));
        assert!(with(vec![header("", "acme")])["headers.0.name"]
            .to_string()
            .contains("Enter the header name"));
        for name in [
            "Host",
            "content-length",
            "Content-Type",
            "Transfer-Encoding",
            "Connection",
        ] {
            assert!(
                with(vec![header(name, "x")])["headers.0.name"]
                    .to_string()
                    .contains("set by the sender"),
                "{name}"
            );
        }
        assert!(with(vec![header("webhook-id", "x")])["headers.0.name"]
            .to_string()
            .contains("reserved"));
        assert!(
            with(vec![header("X-A", "1"), header("x-a", "2")])["headers.1.name"]
                .to_string()
                .contains("already listed")
        );
        assert!(with(vec![header("Authorization", "Basic abc")]).is_empty());
        let jwt_on = WebhookForm {
            headers: vec![header("Authorization", "Basic abc")],
            ..jwt_form("HS256", SECRET_32)
        };
        assert!(errors_of(&jwt_on)["headers.0.name"]
            .to_string()
            .contains("JWT"));
    }

    #[test]
    fn a_webhook_has_at_most_50_header_rows_counted_before_any_is_checked() {
        let rows = |n: usize| (0..n).map(|i| header(&format!("X-H{i}"), "1")).collect();
        let with = |rows: Vec<HeaderRowForm>| {
            errors_of(&WebhookForm {
                headers: rows,
                ..valid_form()
            })
        };
        assert!(with(rows(HEADERS_MAX_ROWS)).is_empty());
        assert!(with(rows(HEADERS_MAX_ROWS + 1))["headers"]
            .to_string()
            .contains("at most 50 headers"));
        // 200,000 rows (a 2 MB form) are refused without comparing rows with one another.
        let errors = with(vec![header("X-A", "1"); 200_000]);
        assert!(
            errors["headers"].to_string().contains("200000 rows"),
            "{errors:?}"
        );
        assert_eq!(errors.len(), 1, "no row by row errors: {errors:?}");
    }

    #[test]
    fn header_values_have_no_line_breaks_and_fit_8_kib() {
        let with = |rows: Vec<HeaderRowForm>| {
            errors_of(&WebhookForm {
                headers: rows,
                ..valid_form()
            })
        };
        assert!(
            with(vec![header("X-A", "a\r\nInjected: 1")])["headers.0.value"]
                .to_string()
                .contains("line breaks")
        );
        assert!(with(vec![header("X-A", "a\0b")]).contains_key("headers.0.value"));
        assert!(with(vec![header("X-A", &"v".repeat(8189))]).is_empty());
        assert!(with(vec![header("X-A", &"v".repeat(8190))])["headers"]
            .to_string()
            .contains("limit is 8192"));
    }

    #[test]
    fn blank_rows_are_dropped_and_secret_rows_keep_stored_values() {
        let form = WebhookForm {
            headers: vec![header("", "")],
            ..valid_form()
        };
        assert!(validate_webhook(
            &form,
            &PrivateTargetAllowList::default(),
            &StoredSecrets::default()
        )
        .unwrap()
        .headers
        .is_empty());

        let secret_row = HeaderRowForm {
            id: "h1".into(),
            name: "X-Key".into(),
            value: "".into(),
            secret: checkbox(true),
        };
        let form = WebhookForm {
            headers: vec![secret_row],
            ..valid_form()
        };
        assert_eq!(
            errors_of(&form)["headers.0.value"],
            Message::EnterSecretValue
        );
        let stored = StoredSecrets {
            header_values: [("h1".to_string(), 10)].into(),
            ..Default::default()
        };
        let draft = validate_webhook(&form, &PrivateTargetAllowList::default(), &stored).unwrap();
        assert_eq!(draft.headers[0].value, None);
        assert_eq!(draft.headers[0].id.as_deref(), Some("h1"));
    }

    #[test]
    fn without_secrets_clears_only_secret_values() {
        let form = WebhookForm {
            jwt_secret: SECRET_32.into(),
            headers: vec![
                HeaderRowForm {
                    name: "X-Key".into(),
                    value: "s3cret".into(),
                    secret: checkbox(true),
                    ..Default::default()
                },
                header("X-Plain", "visible"),
            ],
            ..valid_form()
        }
        .without_secrets();
        assert_eq!(form.jwt_secret, "");
        assert_eq!(form.headers[0].value, "");
        assert_eq!(form.headers[1].value, "visible");
    }
}

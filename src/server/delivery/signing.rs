//! What proves a delivery came from us: a JWT signed per request, and Standard Webhooks
//! signatures (`webhook-signature`) over `id.timestamp.body`.

use crate::model::message::Message;
use crate::model::{JwtAlgorithm, JwtClaims, KeyKind};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Map, Value};
use sha2::Sha256;

/// Parses a key the way deliveries will use it; refuses what would fail at signing time.
pub fn signing_key_problem(algorithm: JwtAlgorithm, key: &str) -> Option<Message> {
    let bytes = key.as_bytes();
    let parsed = match algorithm.key_kind() {
        KeyKind::SharedSecret => return None,
        KeyKind::Rsa => EncodingKey::from_rsa_pem(bytes).map(|_| ()),
        KeyKind::EcP256 | KeyKind::EcP384 => EncodingKey::from_ec_pem(bytes).and_then(|key| {
            // jsonwebtoken accepts any EC key here; sign once so a P-384 key is refused for ES256.
            let header = jsonwebtoken::Header::new(to_jsonwebtoken(algorithm));
            jsonwebtoken::encode(&header, &serde_json::json!({}), &key).map(|_| ())
        }),
        KeyKind::Ed25519 => EncodingKey::from_ed_pem(bytes).and_then(|key| {
            let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
            jsonwebtoken::encode(&header, &serde_json::json!({}), &key).map(|_| ())
        }),
    };
    parsed.err().map(|_| Message::KeyUnreadable {
        kind: algorithm.key_kind(),
        algorithm: algorithm.as_str().to_string(),
    })
}

pub fn to_jsonwebtoken(algorithm: JwtAlgorithm) -> jsonwebtoken::Algorithm {
    use jsonwebtoken::Algorithm as A;
    match algorithm {
        JwtAlgorithm::HS256 => A::HS256,
        JwtAlgorithm::HS384 => A::HS384,
        JwtAlgorithm::HS512 => A::HS512,
        JwtAlgorithm::RS256 => A::RS256,
        JwtAlgorithm::RS384 => A::RS384,
        JwtAlgorithm::RS512 => A::RS512,
        JwtAlgorithm::PS256 => A::PS256,
        JwtAlgorithm::ES256 => A::ES256,
        JwtAlgorithm::ES384 => A::ES384,
        JwtAlgorithm::EdDSA => A::EdDSA,
    }
}

/// Signs a fresh token for each request of one webhook; built once, used for many deliveries.
pub struct JwtSigner {
    header: Header,
    key: EncodingKey,
    claims: Map<String, Value>,
    lifetime_secs: i64,
}

impl std::fmt::Debug for JwtSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtSigner")
            .field("alg", &self.header.alg)
            .finish_non_exhaustive()
    }
}

impl JwtSigner {
    /// `key` is in clear only in memory, only while this signer lives.
    pub fn new(algorithm: JwtAlgorithm, key: &str, configured: &JwtClaims) -> Result<Self, String> {
        let bytes = key.as_bytes();
        let key = match algorithm.key_kind() {
            KeyKind::SharedSecret => Ok(EncodingKey::from_secret(bytes)),
            KeyKind::Rsa => EncodingKey::from_rsa_pem(bytes),
            KeyKind::EcP256 | KeyKind::EcP384 => EncodingKey::from_ec_pem(bytes),
            KeyKind::Ed25519 => EncodingKey::from_ed_pem(bytes),
        }
        .map_err(|error| format!("the {} key cannot be used: {error}", algorithm.as_str()))?;
        let mut header = Header::new(to_jsonwebtoken(algorithm));
        header.kid = configured.key_id.clone();
        let mut claims = match &configured.extra_claims {
            Some(json) => match serde_json::from_str::<Value>(json) {
                Ok(Value::Object(map)) => map,
                _ => return Err("extra claims are not a JSON object".into()),
            },
            None => Map::new(),
        };
        for (name, value) in [
            ("iss", &configured.issuer),
            ("sub", &configured.subject),
            ("aud", &configured.audience),
        ] {
            if let Some(value) = value {
                claims.insert(name.into(), Value::String(value.clone()));
            }
        }
        Ok(JwtSigner {
            header,
            key,
            claims,
            lifetime_secs: configured.lifetime_secs as i64,
        })
    }

    /// `iat` = now, `exp` = now + lifetime, `jti` = the delivery id, plus the configured claims.
    pub fn token(&self, delivery_id: &str, now_secs: i64) -> Result<String, String> {
        let mut claims = self.claims.clone();
        claims.insert("iat".into(), now_secs.into());
        claims.insert("exp".into(), (now_secs + self.lifetime_secs).into());
        claims.insert("jti".into(), delivery_id.into());
        jsonwebtoken::encode(&self.header, &claims, &self.key).map_err(|error| error.to_string())
    }
}

/// A Standard Webhooks signing secret: `whsec_` and base64 of 32 random bytes.
pub fn generate_signing_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// The key bytes of a `whsec_…` secret.
pub fn signing_key(secret: &str) -> Result<Vec<u8>, String> {
    STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|_| "a signing secret is whsec_ followed by base64".to_string())
}

/// `webhook-signature`: `v1,<base64 HMAC-SHA256 of id.timestamp.body>` per key, space-separated
/// (two keys while a rotated secret is still honoured).
pub fn webhook_signature(
    keys: &[Vec<u8>],
    message_id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    keys.iter()
        .map(|key| {
            let mut mac =
                <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
            mac.update(message_id.as_bytes());
            mac.update(b".");
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}
#[cfg(test)]
mod tests {
    use super::*;

    const RSA: &str = include_str!("../../../tests/fixtures/keys/rsa.pem");
    const EC256: &str = include_str!("../../../tests/fixtures/keys/ec256.pem");
    const EC384: &str = include_str!("../../../tests/fixtures/keys/ec384.pem");
    const ED25519: &str = include_str!("../../../tests/fixtures/keys/ed25519.pem");

    #[test]
    fn matching_keys_are_accepted() {
        for (algorithm, key) in [
            (JwtAlgorithm::RS256, RSA),
            (JwtAlgorithm::PS256, RSA),
            (JwtAlgorithm::ES256, EC256),
            (JwtAlgorithm::ES384, EC384),
            (JwtAlgorithm::EdDSA, ED25519),
        ] {
            assert_eq!(signing_key_problem(algorithm, key), None, "{algorithm:?}");
        }
    }

    #[test]
    fn mismatched_or_broken_keys_are_refused() {
        for (algorithm, key) in [
            (JwtAlgorithm::RS256, EC256),
            (JwtAlgorithm::ES256, EC384),
            (JwtAlgorithm::ES384, EC256),
            (JwtAlgorithm::EdDSA, RSA),
            (
                JwtAlgorithm::RS512,
                "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n",
            ),
        ] {
            let problem = signing_key_problem(algorithm, key).expect("refused");
            assert!(
                problem.to_string().contains(algorithm.as_str()),
                "{problem}"
            );
        }
    }

    const PUBLIC_RSA: &str = include_str!("../../../tests/fixtures/keys/rsa.pub.pem");
    const PUBLIC_EC256: &str = include_str!("../../../tests/fixtures/keys/ec256.pub.pem");
    const PUBLIC_EC384: &str = include_str!("../../../tests/fixtures/keys/ec384.pub.pem");
    const PUBLIC_ED25519: &str = include_str!("../../../tests/fixtures/keys/ed25519.pub.pem");
    const HMAC_KEY: &str = "0123456789abcdef0123456789abcdef";

    fn claims() -> JwtClaims {
        JwtClaims {
            key_id: Some("key-1".into()),
            issuer: Some("feedback-webhooks".into()),
            subject: None,
            audience: Some("acme".into()),
            extra_claims: Some(r#"{"tenant":"acme"}"#.into()),
            lifetime_secs: 300,
        }
    }

    fn verify(
        algorithm: JwtAlgorithm,
        token: &str,
        key: jsonwebtoken::DecodingKey,
    ) -> Map<String, Value> {
        // The algorithm by its published name, not through the mapping under test.
        let named: jsonwebtoken::Algorithm = algorithm.as_str().parse().unwrap();
        let mut validation = jsonwebtoken::Validation::new(named);
        validation.set_audience(&["acme"]);
        validation.validate_exp = false;
        let header = jsonwebtoken::decode_header(token).unwrap();
        assert_eq!(header.alg, named);
        assert_eq!(header.kid.as_deref(), Some("key-1"));
        jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .unwrap()
            .claims
    }

    #[test]
    fn tokens_verify_with_the_matching_public_key() {
        use jsonwebtoken::DecodingKey;
        let secret = || DecodingKey::from_secret(HMAC_KEY.as_bytes());
        let rsa = || DecodingKey::from_rsa_pem(PUBLIC_RSA.as_bytes()).unwrap();
        // Every algorithm the settings offer; the verifier accepts only the one named, so a
        // token signed or labelled with another fails.
        let cases = [
            (JwtAlgorithm::HS256, HMAC_KEY, secret()),
            (JwtAlgorithm::HS384, HMAC_KEY, secret()),
            (JwtAlgorithm::HS512, HMAC_KEY, secret()),
            (JwtAlgorithm::RS256, RSA, rsa()),
            (JwtAlgorithm::RS384, RSA, rsa()),
            (JwtAlgorithm::RS512, RSA, rsa()),
            (JwtAlgorithm::PS256, RSA, rsa()),
            (
                JwtAlgorithm::ES256,
                EC256,
                DecodingKey::from_ec_pem(PUBLIC_EC256.as_bytes()).unwrap(),
            ),
            (
                JwtAlgorithm::ES384,
                EC384,
                DecodingKey::from_ec_pem(PUBLIC_EC384.as_bytes()).unwrap(),
            ),
            (
                JwtAlgorithm::EdDSA,
                ED25519,
                DecodingKey::from_ed_pem(PUBLIC_ED25519.as_bytes()).unwrap(),
            ),
        ];
        let covered: Vec<JwtAlgorithm> = cases.iter().map(|(algorithm, ..)| *algorithm).collect();
        assert_eq!(covered, JwtAlgorithm::ALL, "every offered algorithm");
        for (algorithm, key, decoding) in cases {
            let signer = JwtSigner::new(algorithm, key, &claims()).unwrap();
            let token = signer.token("delivery-42", 1_700_000_000).unwrap();
            let claims = verify(algorithm, &token, decoding);
            assert_eq!(claims["iat"], 1_700_000_000, "{algorithm:?}");
            assert_eq!(claims["exp"], 1_700_000_300);
            assert_eq!(claims["jti"], "delivery-42");
            assert_eq!(claims["iss"], "feedback-webhooks");
            assert_eq!(claims["aud"], "acme");
            assert_eq!(claims["tenant"], "acme");
            assert!(!claims.contains_key("sub"));
        }
    }

    #[test]
    fn a_token_signed_with_another_key_fails_verification() {
        let signer = JwtSigner::new(JwtAlgorithm::HS256, HMAC_KEY, &claims()).unwrap();
        let token = signer.token("d", 1).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_audience(&["acme"]);
        let wrong = jsonwebtoken::DecodingKey::from_secret(b"another-secret-another-secret-xx");
        assert!(jsonwebtoken::decode::<Map<String, Value>>(&token, &wrong, &validation).is_err());
    }

    #[test]
    fn standard_webhooks_signature_matches_the_published_example() {
        // The example of the Standard Webhooks specification.
        let key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = webhook_signature(
            &[key],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn rotation_sends_both_signatures_and_new_secrets_are_well_formed() {
        let secret = generate_signing_secret();
        assert!(secret.starts_with("whsec_"));
        assert_eq!(signing_key(&secret).unwrap().len(), 32);
        let keys = [
            signing_key(&secret).unwrap(),
            signing_key(&generate_signing_secret()).unwrap(),
        ];
        let header = webhook_signature(&keys, "id", 1, b"{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.starts_with("v1,")) && parts[0] != parts[1]);
        assert!(signing_key("whsec_***").is_err());
    }
}

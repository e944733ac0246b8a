//! Keys that sign the JWT of each delivery.

use crate::model::{JwtAlgorithm, KeyKind};
use jsonwebtoken::EncodingKey;

/// Parses a key the way deliveries will use it; refuses what would fail at signing time.
pub fn signing_key_problem(algorithm: JwtAlgorithm, key: &str) -> Option<String> {
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
    parsed.err().map(|_| {
        format!(
            "This is not a valid {} for {}.",
            algorithm.key_description(),
            algorithm.as_str()
        )
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
            assert!(problem.contains(algorithm.as_str()), "{problem}");
        }
    }
}

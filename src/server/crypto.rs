//! Secrets at rest: XChaCha20-Poly1305 with a random nonce per value, each value bound to the
//! row and field it belongs to (sealed for one webhook's header, it does not open on another's),
//! and keyed fingerprints that identify a secret without revealing it (a plain hash of a short
//! header value could be guessed). The configured key is never used directly: one key derived
//! from it seals, another makes fingerprints.

use base64::{engine::general_purpose::STANDARD, Engine};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::path::Path;
use uuid::Uuid;

const NONCE_LEN: usize = 24;
/// The first byte of a value sealed with associated data and a derived key. Values sealed
/// before carry no version: their first byte is their nonce's.
const SEALED_V2: u8 = 2;

/// Where a sealed value belongs; it opens only there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealedField {
    /// A webhook's JWT signing key.
    JwtKey { webhook: Uuid },
    /// A webhook's Standard Webhooks signing secret, current or previous.
    SigningSecret { webhook: Uuid },
    /// The value of a webhook's secret header.
    HeaderValue { webhook: Uuid, header: Uuid },
    /// A new signing secret on its way to the one page view that shows it.
    ShownOnce { webhook: Uuid },
}

impl SealedField {
    fn associated_data(&self) -> String {
        match self {
            SealedField::JwtKey { webhook } => format!("webhook {webhook} jwt key"),
            SealedField::SigningSecret { webhook } => format!("webhook {webhook} signing secret"),
            SealedField::HeaderValue { webhook, header } => {
                format!("webhook {webhook} header {header} value")
            }
            SealedField::ShownOnce { webhook } => format!("webhook {webhook} shown once"),
        }
    }
}

#[derive(Clone)]
pub struct SecretBox {
    sealing: XChaCha20Poly1305,
    fingerprints: [u8; 32],
    /// The configured key itself, which sealed values before keys were derived from it.
    legacy: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the encryption key must be 32 bytes encoded in base64")]
    BadKey,
    #[error("cannot read or create the key file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

/// Whether a key file was there or has just been made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOrigin {
    Given,
    Created,
}

/// HKDF-SHA256's expand step for one 32-byte block (RFC 5869): `HMAC(key, info || 0x01)`. The
/// configured key is already uniformly random, so it serves as the pseudorandom key.
fn derive(key: &[u8; 32], info: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(info);
    mac.update(&[1]);
    mac.finalize().into_bytes().into()
}

impl SecretBox {
    pub fn new(key: [u8; 32]) -> Self {
        SecretBox {
            sealing: XChaCha20Poly1305::new(&derive(&key, b"feedback-webhooks sealing v2").into()),
            fingerprints: derive(&key, b"feedback-webhooks fingerprints v2"),
            legacy: XChaCha20Poly1305::new(&key.into()),
        }
    }

    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| KeyError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| KeyError::BadKey)?;
        Ok(Self::new(key))
    }

    /// A new random key, as the base64 text that configures it.
    pub fn generate_key() -> String {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        STANDARD.encode(key)
    }

    /// Reads the key file, or creates it (mode 0600) with a fresh random key.
    pub fn from_key_file(path: &Path) -> Result<(Self, KeyOrigin), KeyError> {
        let file_error = |source| KeyError::File {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Ok((Self::from_base64(&text)?, KeyOrigin::Given)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate_key();
                write_key_file(path, &key).map_err(file_error)?;
                Ok((Self::from_base64(&key)?, KeyOrigin::Created))
            }
            Err(error) => Err(file_error(error)),
        }
    }

    pub fn seal(&self, plaintext: &str, field: SealedField) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = field.associated_data();
        let ciphertext = self
            .sealing
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory data");
        [&[SEALED_V2], nonce.as_slice(), &ciphertext].concat()
    }

    /// The value sealed for `field`; `None` if it was sealed for another field, another key,
    /// or altered.
    pub fn open(&self, sealed: &[u8], field: SealedField) -> Option<String> {
        let rest = sealed.strip_prefix(&[SEALED_V2])?;
        if rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let aad = field.associated_data();
        let plaintext = self
            .sealing
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .ok()?;
        String::from_utf8(plaintext).ok()
    }

    /// A value sealed the way it was before values were bound to their field (the configured
    /// key, no associated data): read once, at start, to seal it again.
    pub fn open_legacy(&self, sealed: &[u8]) -> Option<String> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let plaintext = self
            .legacy
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .ok()?;
        String::from_utf8(plaintext).ok()
    }

    /// A value sealed the legacy way, for tests of the upgrade.
    #[doc(hidden)]
    pub fn seal_legacy(&self, plaintext: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .legacy
            .encrypt(XNonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("in-memory encryption");
        [nonce.as_slice(), &ciphertext].concat()
    }

    /// A short, stable identifier of a secret: the first 8 bytes of HMAC-SHA256 under the
    /// fingerprint key, as hex.
    pub fn fingerprint(&self, secret: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.fingerprints)
            .expect("HMAC takes any key length");
        mac.update(b"fingerprint:");
        mac.update(secret.as_bytes());
        let digest = mac.finalize().into_bytes();
        digest[..8].chunks(2).map(hex).collect::<Vec<_>>().join(":")
    }
}

/// Writes a new key file (mode 0600), its folder created when missing; never over another.
pub fn write_key_file(path: &Path, key: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    write_private(path, key)
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

/// Lowercase hex, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        hex.push(DIGITS[usize::from(byte >> 4)] as char);
        hex.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    hex
}

/// `bytes` random bytes from the operating system, URL-safe base64 without padding: a token
/// fit for a header or a link's query.
pub fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer)
}

/// The SHA-256 of a random token in lowercase hex, as stored in its place: a token of 256
/// random bits cannot be guessed from its hash, so a fast hash is as safe as a slow one.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex(&Sha256::digest(token.as_bytes()))
}

/// Whether two secrets are equal, comparing every byte so the time taken does not tell how
/// many leading bytes matched.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOOK: Uuid = Uuid::from_u128(1);
    const FIELD: SealedField = SealedField::JwtKey { webhook: HOOK };

    #[test]
    fn sealed_values_open_and_differ_each_time() {
        let secret_box = SecretBox::new([7; 32]);
        let a = secret_box.seal("s3cret-value", FIELD);
        let b = secret_box.seal("s3cret-value", FIELD);
        assert_ne!(a, b);
        assert!(!a.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(secret_box.open(&a, FIELD).as_deref(), Some("s3cret-value"));
        assert_eq!(SecretBox::new([8; 32]).open(&a, FIELD), None);
        assert_eq!(secret_box.open(&a[..10], FIELD), None);
    }

    #[test]
    fn a_sealed_value_opens_only_in_its_own_row_and_field() {
        let secret_box = SecretBox::new([7; 32]);
        let other = Uuid::from_u128(2);
        let header = SealedField::HeaderValue {
            webhook: HOOK,
            header: Uuid::from_u128(3),
        };
        let sealed = secret_box.seal("k-123", header);
        assert_eq!(secret_box.open(&sealed, header).as_deref(), Some("k-123"));
        for elsewhere in [
            SealedField::HeaderValue {
                webhook: other,
                header: Uuid::from_u128(3),
            },
            SealedField::HeaderValue {
                webhook: HOOK,
                header: other,
            },
            SealedField::JwtKey { webhook: HOOK },
            SealedField::SigningSecret { webhook: HOOK },
        ] {
            assert_eq!(secret_box.open(&sealed, elsewhere), None, "{elsewhere:?}");
        }
    }

    #[test]
    fn keys_are_derived_apart_and_legacy_values_still_open_for_the_upgrade() {
        let key = [5; 32];
        let secret_box = SecretBox::new(key);
        // Neither the sealing key nor the fingerprint key is the configured key, nor each other.
        let sealing = derive(&key, b"feedback-webhooks sealing v2");
        let fingerprints = derive(&key, b"feedback-webhooks fingerprints v2");
        assert!(sealing != key && fingerprints != key && sealing != fingerprints);
        let legacy = secret_box.seal_legacy("old");
        assert_eq!(secret_box.open_legacy(&legacy).as_deref(), Some("old"));
        assert_eq!(secret_box.open(&legacy, FIELD), None);
        assert_eq!(secret_box.open_legacy(&secret_box.seal("new", FIELD)), None);
    }

    #[test]
    fn fingerprints_are_stable_and_keyed() {
        let one = SecretBox::new([1; 32]);
        assert_eq!(one.fingerprint("abc"), one.fingerprint("abc"));
        assert_ne!(one.fingerprint("abc"), one.fingerprint("abd"));
        assert_ne!(
            one.fingerprint("abc"),
            SecretBox::new([2; 32]).fingerprint("abc")
        );
        assert_eq!(one.fingerprint("abc").len(), 19);
    }

    #[test]
    fn key_file_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/encryption.key");
        let (first, origin) = SecretBox::from_key_file(&path).unwrap();
        assert_eq!(origin, KeyOrigin::Created);
        let sealed = first.seal("kept", FIELD);
        let (second, origin) = SecretBox::from_key_file(&path).unwrap();
        assert_eq!(origin, KeyOrigin::Given);
        assert_eq!(second.open(&sealed, FIELD).as_deref(), Some("kept"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(SecretBox::from_base64("dG9vIHNob3J0").is_err());
    }
}

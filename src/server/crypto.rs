//! Secrets at rest: XChaCha20-Poly1305 with a random nonce per value, and keyed fingerprints that
//! identify a secret without revealing it (a plain hash of a short header value could be guessed).

use base64::{engine::general_purpose::STANDARD, Engine};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::path::Path;

const NONCE_LEN: usize = 24;

#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    key: [u8; 32],
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

impl SecretBox {
    pub fn new(key: [u8; 32]) -> Self {
        SecretBox {
            cipher: XChaCha20Poly1305::new(&key.into()),
            key,
        }
    }

    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| KeyError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| KeyError::BadKey)?;
        Ok(Self::new(key))
    }

    /// Reads the key file, or creates it (mode 0600) with a fresh random key.
    pub fn from_key_file(path: &Path) -> Result<Self, KeyError> {
        let file_error = |source| KeyError::File {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(file_error)?;
                }
                write_private(path, &STANDARD.encode(key)).map_err(file_error)?;
                Ok(Self::new(key))
            }
            Err(error) => Err(file_error(error)),
        }
    }

    pub fn seal(&self, plaintext: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory data");
        [nonce.as_slice(), &ciphertext].concat()
    }

    pub fn open(&self, sealed: &[u8]) -> Option<String> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let plaintext = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .ok()?;
        String::from_utf8(plaintext).ok()
    }

    /// A short, stable identifier of a secret: the first 8 bytes of HMAC-SHA256 under this key, as hex.
    pub fn fingerprint(&self, secret: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"fingerprint:");
        mac.update(secret.as_bytes());
        let digest = mac.finalize().into_bytes();
        digest[..8].chunks(2).map(hex).collect::<Vec<_>>().join(":")
    }
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

/// Whether two secrets are equal, comparing every byte so the time taken does not tell how
/// many leading bytes matched.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_and_differ_each_time() {
        let secret_box = SecretBox::new([7; 32]);
        let a = secret_box.seal("s3cret-value");
        let b = secret_box.seal("s3cret-value");
        assert_ne!(a, b);
        assert!(!a.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(secret_box.open(&a).as_deref(), Some("s3cret-value"));
        assert_eq!(SecretBox::new([8; 32]).open(&a), None);
        assert_eq!(secret_box.open(&a[..10]), None);
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
        let first = SecretBox::from_key_file(&path).unwrap();
        let sealed = first.seal("kept");
        let second = SecretBox::from_key_file(&path).unwrap();
        assert_eq!(second.open(&sealed).as_deref(), Some("kept"));
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

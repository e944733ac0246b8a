//! The encryption key and the values it seals: checked at start (a missing or wrong key is
//! refused, never silently replaced), values sealed the old way sealed again the current way,
//! and the `rotate-key` command that seals everything under a new key.

use crate::server::crypto::{KeyOrigin, SecretBox};
use crate::server::storage::{Resealed, SealedValue, Store};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum KeyProblem {
    #[error(
        "the key file {path} is missing but the database holds {sealed} sealed secrets: restore \
         the key file from your backup (or set --encryption-key); a new key would open none of them"
    )]
    KeyMissing { path: String, sealed: usize },
    #[error(
        "the encryption key opens none of the database's {sealed} sealed secrets: is it the key \
         this database was sealed with?"
    )]
    WrongKey { sealed: usize },
    #[error("{unopened} of the database's {sealed} sealed secrets do not open with the current key: nothing was changed")]
    Unopenable { unopened: usize, sealed: usize },
    #[error("the new key is the current key")]
    SameKey,
    #[error("key file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Storage(String),
}

/// What a key makes of the values a database holds.
#[derive(Debug, Default)]
pub struct Examined {
    /// Values with their plaintext, in the current format.
    pub current: Vec<(SealedValue, String)>,
    /// Values sealed before values were bound to their field, with their plaintext.
    pub legacy: Vec<(SealedValue, String)>,
    /// Values that do not open: another key, another row, or altered.
    pub unopened: Vec<SealedValue>,
}

/// Opens every value with `secrets`, the current way or the legacy way.
pub fn examine(values: Vec<SealedValue>, secrets: &SecretBox) -> Examined {
    let mut examined = Examined::default();
    for value in values {
        if let Some(plain) = secrets.open(&value.sealed, value.field()) {
            examined.current.push((value, plain));
        } else if let Some(plain) = secrets.open_legacy(&value.sealed) {
            examined.legacy.push((value, plain));
        } else {
            examined.unopened.push(value);
        }
    }
    examined
}

/// The values sealed again under `secrets`, each for its own field, with new fingerprints.
pub fn resealed(values: &[(SealedValue, String)], secrets: &SecretBox) -> Vec<Resealed> {
    values
        .iter()
        .map(|(value, plain)| Resealed {
            webhook_id: value.webhook_id,
            place: value.place,
            sealed: secrets.seal(plain, value.field()),
            fingerprint: secrets.fingerprint(plain),
        })
        .collect()
}

/// Where `rotate-key` keeps a new key while it seals with it; renamed over the key file after.
pub fn pending_key_file(key_file: &Path) -> PathBuf {
    let mut name = key_file.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// Checks the key against what the database holds, and seals legacy values again.
///
/// A key file that was just created (it was missing) while the database holds sealed values is
/// removed again and the start refused: the operator restores the real one. A key that opens
/// none of the values is refused. A few values that do not open (moved to another row, say)
/// are reported; the webhooks they belong to fail their deliveries until edited.
pub async fn check_at_start(
    store: &dyn Store,
    secrets: SecretBox,
    origin: KeyOrigin,
    key_file: Option<&Path>,
) -> Result<SecretBox, KeyProblem> {
    let values = store
        .sealed_values()
        .await
        .map_err(|error| KeyProblem::Storage(error.to_string()))?;
    let sealed = values.len();
    if sealed == 0 {
        return Ok(secrets);
    }
    let (secrets, examined) = match (examine(values.clone(), &secrets), key_file) {
        (examined, _) if examined.unopened.len() < sealed => (secrets, examined),
        // A rotation stopped between sealing and renaming its key file: finish it.
        (_, Some(file)) if pending_key_file(file).exists() => {
            let pending = pending_key_file(file);
            let file_problem = |source| KeyProblem::File {
                path: pending.display().to_string(),
                source,
            };
            let text = std::fs::read_to_string(&pending).map_err(file_problem)?;
            let new = SecretBox::from_base64(&text).map_err(|_| KeyProblem::WrongKey { sealed })?;
            let examined = examine(values, &new);
            if examined.unopened.len() == sealed {
                return Err(KeyProblem::WrongKey { sealed });
            }
            std::fs::rename(&pending, file).map_err(file_problem)?;
            tracing::info!(file = %file.display(), "finished a key rotation that had stopped");
            (new, examined)
        }
        (_, file) => {
            return Err(match (origin, file) {
                (KeyOrigin::Created, Some(file)) => {
                    let _ = std::fs::remove_file(file);
                    KeyProblem::KeyMissing {
                        path: file.display().to_string(),
                        sealed,
                    }
                }
                _ => KeyProblem::WrongKey { sealed },
            })
        }
    };
    for value in &examined.unopened {
        tracing::error!(
            webhook = %value.webhook_id,
            place = ?value.place,
            "a sealed secret does not open here: deliveries to this webhook fail until the secret is entered again"
        );
    }
    if !examined.legacy.is_empty() {
        store
            .reseal(&resealed(&examined.legacy, &secrets))
            .await
            .map_err(|error| KeyProblem::Storage(error.to_string()))?;
        tracing::info!(
            count = examined.legacy.len(),
            "sealed secrets bound to their rows and sealed with the derived key"
        );
    }
    Ok(secrets)
}

/// Seals every value again under `new`, all or none; how many.
pub async fn rotate(
    store: &dyn Store,
    current: &SecretBox,
    new: &SecretBox,
) -> Result<usize, KeyProblem> {
    let values = store
        .sealed_values()
        .await
        .map_err(|error| KeyProblem::Storage(error.to_string()))?;
    let sealed = values.len();
    let examined = examine(values, current);
    if !examined.unopened.is_empty() {
        return Err(KeyProblem::Unopenable {
            unopened: examined.unopened.len(),
            sealed,
        });
    }
    let all: Vec<(SealedValue, String)> = examined
        .current
        .into_iter()
        .chain(examined.legacy)
        .collect();
    store
        .reseal(&resealed(&all, new))
        .await
        .map_err(|error| KeyProblem::Storage(error.to_string()))?;
    Ok(all.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::crypto::SealedField;
    use crate::server::storage::SealedPlace;
    use uuid::Uuid;

    fn value(secrets: &SecretBox, webhook: u128, plain: &str, legacy: bool) -> SealedValue {
        let webhook_id = Uuid::from_u128(webhook);
        SealedValue {
            webhook_id,
            place: SealedPlace::JwtKey,
            sealed: if legacy {
                secrets.seal_legacy(plain)
            } else {
                secrets.seal(
                    plain,
                    SealedField::JwtKey {
                        webhook: webhook_id,
                    },
                )
            },
        }
    }

    #[test]
    fn values_are_told_apart_current_legacy_and_unopened() {
        let secrets = SecretBox::new([3; 32]);
        let mut moved = value(&secrets, 1, "moved", false);
        moved.webhook_id = Uuid::from_u128(9);
        let examined = examine(
            vec![
                value(&secrets, 1, "now", false),
                value(&secrets, 2, "before", true),
                value(&SecretBox::new([4; 32]), 3, "other key", false),
                moved,
            ],
            &secrets,
        );
        assert_eq!(examined.current.len(), 1);
        assert_eq!(examined.current[0].1, "now");
        assert_eq!(examined.legacy[0].1, "before");
        assert_eq!(examined.unopened.len(), 2);
    }

    #[test]
    fn resealed_values_open_under_the_new_key_for_their_own_field_only() {
        let (old, new) = (SecretBox::new([3; 32]), SecretBox::new([4; 32]));
        let examined = examine(vec![value(&old, 1, "k", true)], &old);
        let again = resealed(&examined.legacy, &new);
        let field = SealedField::JwtKey {
            webhook: Uuid::from_u128(1),
        };
        assert_eq!(new.open(&again[0].sealed, field).as_deref(), Some("k"));
        assert_eq!(old.open(&again[0].sealed, field), None);
        assert_eq!(again[0].fingerprint, new.fingerprint("k"));
    }
}

//! Sessions live in the store, whatever its backend, in a table that knows whose each one is:
//! the session layer's records are stored with the user, the times and the client they name, so
//! that a person's sessions can be listed and ended, and all of a user's ended with a change to
//! the user. The keys below are the record's format; `server::auth` writes them.

use super::{now_ms, SessionRow, Store, StoreError};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};
use uuid::Uuid;

/// The signed-in user's id.
pub const USER_ID_KEY: &str = "user_id";
/// When they signed in (ms).
pub const SIGNED_IN_AT_KEY: &str = "signed_in_at";
/// When a request last noted them (ms; see `server::auth::SessionClock`).
pub const SEEN_AT_KEY: &str = "seen_at";
/// The client they signed in from: [`SessionClient`].
pub const CLIENT_KEY: &str = "client";

/// Where a session was signed in from, as its owner reads it in their list of sessions.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SessionClient {
    pub address: String,
    pub agent: String,
}

/// The longest user agent kept with a session: a browser's is under 200 characters.
pub const MAX_AGENT_CHARS: usize = 256;

#[derive(Clone)]
pub struct Sessions(Arc<dyn Store>);

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sessions")
    }
}

impl Sessions {
    pub fn new(store: Arc<dyn Store>) -> Sessions {
        Sessions(store)
    }

    /// Deletes the sessions whose expiry has passed (the store keeps them otherwise).
    pub async fn delete_expired(&self) -> std::result::Result<u64, StoreError> {
        self.0.delete_expired_sessions(now_ms()).await
    }
}

/// Names a session in lists without giving its id away: the id is the cookie's value, and a
/// list shown to its owner (or to anyone looking over their shoulder) must not hand it out.
pub fn session_handle(id: &str) -> String {
    let digest = Sha256::digest(id.as_bytes());
    crate::server::crypto::hex(&digest[..8])
}

/// The stored row of a session layer's record.
pub fn session_row(record: &Record) -> Result<SessionRow> {
    let id = record.id.to_string();
    let number = |key: &str| record.data.get(key).and_then(|value| value.as_i64());
    let client = record
        .data
        .get(CLIENT_KEY)
        .and_then(|value| serde_json::from_value::<SessionClient>(value.clone()).ok());
    Ok(SessionRow {
        handle: session_handle(&id),
        user_id: record
            .data
            .get(USER_ID_KEY)
            .and_then(|value| value.as_str())
            .and_then(|text| Uuid::parse_str(text).ok()),
        data: serde_json::to_vec(record).map_err(|error| Error::Encode(error.to_string()))?,
        expires_at_ms: (record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64,
        signed_in_at_ms: number(SIGNED_IN_AT_KEY),
        seen_at_ms: number(SEEN_AT_KEY),
        address: client.as_ref().map(|client| client.address.clone()),
        agent: client.map(|client| client.agent),
        id,
    })
}

fn backend(error: StoreError) -> Error {
    Error::Backend(error.to_string())
}

#[async_trait::async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // An id taken already (a 128-bit random one: in theory) gets a new one.
        while !self
            .0
            .insert_session(&session_row(record)?)
            .await
            .map_err(backend)?
        {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.0
            .update_session(&session_row(record)?)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let data = self
            .0
            .load_session(&id.to_string(), now_ms())
            .await
            .map_err(backend)?;
        // A record this release cannot read is no session: its owner signs in again.
        Ok(data.and_then(|data| serde_json::from_slice(&data).ok()))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.0
            .delete_session(&id.to_string())
            .await
            .map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_sessions::cookie::time::OffsetDateTime;

    #[test]
    fn a_row_names_the_user_times_and_client_its_record_holds() {
        let user = Uuid::new_v4();
        let mut record = Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap(),
        };
        record
            .data
            .insert(USER_ID_KEY.into(), serde_json::json!(user));
        record
            .data
            .insert(SIGNED_IN_AT_KEY.into(), serde_json::json!(1_000));
        record
            .data
            .insert(SEEN_AT_KEY.into(), serde_json::json!(2_000));
        record.data.insert(
            CLIENT_KEY.into(),
            serde_json::json!({"address": "192.0.2.7", "agent": "Firefox"}),
        );
        let row = session_row(&record).unwrap();
        assert_eq!(row.user_id, Some(user));
        assert_eq!(row.expires_at_ms, 1_900_000_000_000);
        assert_eq!(
            (row.signed_in_at_ms, row.seen_at_ms),
            (Some(1_000), Some(2_000))
        );
        assert_eq!(row.address.as_deref(), Some("192.0.2.7"));
        assert_eq!(row.agent.as_deref(), Some("Firefox"));
        let back: Record = serde_json::from_slice(&row.data).unwrap();
        assert_eq!(back, record);
    }

    #[test]
    fn a_handle_names_a_session_without_giving_its_id() {
        let id = Id::default().to_string();
        let handle = session_handle(&id);
        assert_eq!(handle.len(), 16);
        assert_eq!(handle, session_handle(&id));
        assert_ne!(handle, session_handle(&Id::default().to_string()));
        assert!(!id.contains(&handle));
    }

    #[test]
    fn an_anonymous_record_has_no_user() {
        let record = Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: OffsetDateTime::now_utc(),
        };
        let row = session_row(&record).unwrap();
        assert_eq!((row.user_id, row.address), (None, None));
    }
}

//! Sessions live in the database the store uses, whatever its backend: one session store type
//! for the web layer, wrapping the backend's own.

use std::sync::Arc;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{ExpiredDeletion, Result, SessionStore};

#[derive(Clone, Debug)]
pub struct Sessions(Arc<dyn BackendSessions>);

/// A backend's session store with its deletion of expired sessions (`ExpiredDeletion` itself
/// cannot be a trait object).
#[async_trait::async_trait]
trait BackendSessions: SessionStore {
    async fn delete_expired_sessions(&self) -> Result<()>;
}

#[async_trait::async_trait]
impl<T: ExpiredDeletion> BackendSessions for T {
    async fn delete_expired_sessions(&self) -> Result<()> {
        self.delete_expired().await
    }
}

impl Sessions {
    pub fn new(store: impl ExpiredDeletion) -> Sessions {
        Sessions(Arc::new(store))
    }

    /// Deletes the sessions whose expiry has passed (the store keeps them otherwise).
    pub async fn delete_expired(&self) -> Result<()> {
        self.0.delete_expired_sessions().await
    }
}

#[async_trait::async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> Result<()> {
        self.0.create(record).await
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.0.save(record).await
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        self.0.load(id).await
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.0.delete(id).await
    }
}

//! Sessions live in the database the store uses, whatever its backend: one session store type
//! for the web layer, wrapping the backend's own.

use std::sync::Arc;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Result, SessionStore};

#[derive(Clone, Debug)]
pub struct Sessions(Arc<dyn SessionStore>);

impl Sessions {
    pub fn new(store: impl SessionStore) -> Sessions {
        Sessions(Arc::new(store))
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

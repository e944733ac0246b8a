//! The PostgreSQL store, for several server instances sharing one database: batched writes as
//! one statement per table over `UNNEST` arrays in a real transaction, claims with
//! `FOR UPDATE SKIP LOCKED` in short transactions, unique violations by constraint name. One
//! file per role trait, as in `sqlite/`.

mod audit;
mod campaigns;
mod history;
mod notifications;
mod outbox;
mod tenancy;
mod users;
mod webhooks;

use super::rows::*;
use super::*;
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::Row;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct PostgresStorage {
    pool: PgPool,
}

impl PostgresStorage {
    /// Connects as the instance named `instance` (its `application_name`, which also signs
    /// its notifications) and migrates. A connection is checked before use, so a restarted
    /// server's dead connections are replaced instead of failing a request.
    pub async fn open(url: &str, instance: &str) -> Result<Self, sqlx::Error> {
        let options = PgConnectOptions::from_str(url)?.application_name(instance);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .min_connections(1)
            // While the database is away, a request waits this long for a connection and then
            // fails (the API answers 503) instead of hanging.
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PostgresStorage { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// The advisory lock key under which the first user is created ("fw-1st").
pub(super) const FIRST_USER_LOCK: i64 = 0x6677_2d31_7374;

/// The store and its sessions, and what the other instances tell this one; the key is given
/// (`--encryption-key`), not a file beside the database, so that every instance seals and
/// opens secrets alike.
pub(super) async fn open(url: &str) -> Result<Opened, sqlx::Error> {
    let instance = format!("fw-{}", Uuid::new_v4().simple());
    let storage = PostgresStorage::open(url, &instance).await?;
    let pool = storage.pool().clone();
    let store = Arc::new(Cached::new(storage));
    // Room for a burst; beyond it a wake-up already queued covers the rest.
    let (wakeups, told) = tokio::sync::mpsc::channel(256);
    tokio::spawn(notifications::listen(
        pool,
        instance,
        store.clone(),
        wakeups,
    ));
    Ok(Opened {
        sessions: super::sessions::Sessions::new(store.clone()),
        store,
        key_file: None,
        wakeups: told,
    })
}

/// Unique violations by the constraint the driver names.
fn map_unique(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        if db.is_unique_violation() {
            return StoreError::Duplicate(db.constraint().unwrap_or("unique").to_string());
        }
    }
    StoreError::Database(error)
}

impl Columns for PgRow {
    fn column<T: Portable>(&self, name: &str) -> StoreResult<T> {
        Ok(self.try_get(name)?)
    }

    fn id(&self, name: &str) -> StoreResult<Uuid> {
        Ok(self.try_get(name)?)
    }

    fn opt_id(&self, name: &str) -> StoreResult<Option<Uuid>> {
        Ok(self.try_get(name)?)
    }
}

fn uuid_column(row: &PgRow, column: &str) -> StoreResult<Uuid> {
    Ok(row.try_get(column)?)
}

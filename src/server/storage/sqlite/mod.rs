//! The embedded SQLite store (WAL mode, foreign keys on): one file per role trait, the batch
//! machinery in `batch`.

mod audit;
mod batch;
mod campaigns;
mod history;
mod outbox;
mod tenancy;
mod users;
mod webhooks;

use super::rows::*;
use super::*;
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Writes go through one connection, so writers queue in order inside the process instead of
/// meeting SQLite's lock and its sleeping busy handler (tens of ms lost per collision). Reads use
/// their own connections: in WAL mode they never wait for the writer.
#[derive(Clone, Debug)]
pub struct SqliteStorage {
    pool: SqlitePool,
    readers: SqlitePool,
    _checkpoints: Arc<Checkpointer>,
}

/// Copies the WAL into the database file in the background, so writes never wait for it except
/// when the WAL has to start over (see `RESTART_ABOVE_FRAMES`); stops with the storage.
#[derive(Debug)]
struct Checkpointer(tokio::task::JoinHandle<()>);

impl Checkpointer {
    const EVERY: Duration = Duration::from_millis(250);
    /// WAL frames (4 KiB pages) beyond which the WAL is restarted. Under sustained writes a
    /// PASSIVE checkpoint never copies the last frames before new ones arrive, so the WAL would
    /// never start over and would grow without bound.
    const RESTART_ABOVE_FRAMES: i64 = 8192;

    fn start(checkpointer: SqlitePool, writer: SqlitePool) -> Checkpointer {
        Checkpointer(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Self::EVERY);
            loop {
                tick.tick().await;
                // PASSIVE: never blocks the writer or readers; what it cannot copy now waits.
                let frames =
                    match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
                        .fetch_one(&checkpointer)
                        .await
                    {
                        Ok((_, frames, _)) => frames,
                        Err(error) => {
                            tracing::warn!(%error, "WAL checkpoint failed");
                            continue;
                        }
                    };
                if frames >= Self::RESTART_ABOVE_FRAMES {
                    // Through the writing connection: writes queue behind it in the pool rather
                    // than meet SQLite's sleeping busy handler. Little is left to copy, as the
                    // PASSIVE pass just copied all it could.
                    if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(RESTART)")
                        .execute(&writer)
                        .await
                    {
                        tracing::warn!(%error, "WAL restart failed");
                    }
                }
            }
        }))
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl SqliteStorage {
    /// Opens (creating the file and its folder when missing) and migrates the database.
    pub async fn open(url: &str) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Every commit that answers a caller (a 202, a saved form) must survive a power cut,
            // not only a crash of the process: FULL syncs the WAL at each commit. Group commit
            // keeps that to one sync per batch of calls.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let path = options.get_filename();
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        }
        let pool = SqlitePoolOptions::new()
            // A connection to a local file cannot go stale: no ping before each use.
            .test_before_acquire(false)
            .max_connections(1)
            .connect_with(
                options
                    .clone()
                    .pragma("wal_autocheckpoint", "0")
                    // After a burst, a restarted WAL is cut back to 64 MiB.
                    .pragma("journal_size_limit", "67108864")
                    // A multi-row statement inside a transaction keeps a statement journal (to
                    // undo just that statement); in memory it costs no file writes.
                    .pragma("temp_store", "memory"),
            )
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let readers = SqlitePoolOptions::new()
            // A connection to a local file cannot go stale: no ping before each use.
            .test_before_acquire(false)
            .max_connections(4)
            .connect_with(options.clone().read_only(true))
            .await?;
        let checkpointer = SqlitePoolOptions::new()
            // A connection to a local file cannot go stale: no ping before each use.
            .test_before_acquire(false)
            .max_connections(1)
            .connect_with(options)
            .await?;
        let checkpoints = Arc::new(Checkpointer::start(checkpointer, pool.clone()));
        Ok(SqliteStorage {
            pool,
            readers,
            _checkpoints: checkpoints,
        })
    }

    /// The writing connection.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// The store, its sessions and the key file beside the
/// database: `data/feedback-webhooks.db` keeps its key in `data/encryption.key`.
pub(super) async fn open(url: &str) -> Result<Opened, sqlx::Error> {
    // Processes started together on a new file would each create the schema and all but one
    // fail ("table already exists"): one at a time, under a lock on a file beside it.
    let _migrating = migration_lock(url).await?;
    let storage = SqliteStorage::open(url).await?;
    let key_file = SqliteConnectOptions::from_str(url)?
        .get_filename()
        .parent()
        .map(|dir| dir.join("encryption.key"))
        .unwrap_or_else(|| "encryption.key".into());
    // No other instance can tell this one anything: the channel is closed at once.
    let (_, wakeups) = tokio::sync::mpsc::channel(1);
    let store = Arc::new(Cached::new(storage));
    Ok(Opened {
        sessions: super::sessions::Sessions::new(store.clone()),
        store,
        key_file: Some(key_file),
        wakeups,
    })
}

/// A consistent copy of the database at `url` in `to` (see [`super::backup`]): `VACUUM INTO`
/// reads one snapshot, so writers go on meanwhile and the copy holds every transaction committed
/// before it began, compacted. It is written beside `to` and renamed there once synced, so a
/// crash never leaves a half-written file under the backup's name.
pub(super) async fn backup(url: &str, to: &std::path::Path) -> Result<u64, super::BackupError> {
    use super::BackupError;
    use sqlx::{ConnectOptions, Connection};
    if to.exists() {
        return Err(BackupError::TargetExists(to.to_path_buf()));
    }
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(30));
    let database = options.get_filename().to_path_buf();
    if !database.exists() {
        return Err(BackupError::NoDatabase(database));
    }
    let mut partial = to.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    // What a backup that died halfway left behind.
    let _ = std::fs::remove_file(&partial);
    let mut connection = options.connect().await?;
    let copied = sqlx::query("VACUUM INTO $1")
        .bind(partial.to_string_lossy().into_owned())
        .execute(&mut connection)
        .await;
    let _ = connection.close().await;
    if let Err(error) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(error.into());
    }
    // VACUUM INTO does not sync what it wrote.
    let file = std::fs::File::open(&partial)?;
    file.sync_all()?;
    let size = file.metadata()?.len();
    std::fs::rename(&partial, to)?;
    if let Some(dir) = to.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(size)
}

/// An exclusive lock on `<database file>.lock`, held until dropped (none for a database in
/// memory, which no other process can open).
async fn migration_lock(url: &str) -> Result<Option<std::fs::File>, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?;
    let database = options.get_filename();
    if database.as_os_str() == ":memory:" || url.contains("mode=memory") {
        return Ok(None);
    }
    if let Some(dir) = database.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
    }
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    let file = std::fs::File::create(std::path::PathBuf::from(name)).map_err(sqlx::Error::Io)?;
    tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await
        .map_err(|error| sqlx::Error::Io(std::io::Error::other(error)))?
        .map(Some)
        .map_err(sqlx::Error::Io)
}

fn map_unique(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        if db.is_unique_violation() {
            let message = db.message();
            let constraint = if message.contains("feedback_webhooks.name_key") {
                "feedback_webhooks_name_unique"
            } else if message.contains("campaigns.name_key") {
                "campaigns_name_unique"
            } else if message.contains("sandboxes.name") {
                "sandboxes_name_unique"
            } else if message.contains("users.email") {
                "users_email_unique"
            } else {
                "unique"
            };
            return StoreError::Duplicate(constraint.to_string());
        }
    }
    StoreError::Database(error)
}

impl Columns for SqliteRow {
    fn column<T: Portable>(&self, name: &str) -> StoreResult<T> {
        Ok(self.try_get(name)?)
    }

    /// Ids are stored as text.
    fn id(&self, name: &str) -> StoreResult<Uuid> {
        uuid_column(self, name)
    }

    fn opt_id(&self, name: &str) -> StoreResult<Option<Uuid>> {
        match self.try_get::<Option<String>, _>(name)? {
            Some(_) => uuid_column(self, name).map(Some),
            None => Ok(None),
        }
    }
}

fn uuid_column(row: &SqliteRow, column: &str) -> StoreResult<Uuid> {
    let text: String = row.try_get(column)?;
    Uuid::parse_str(&text)
        .map_err(|_| StoreError::Corrupt(format!("{column} is not a UUID: {text}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_commit_is_synced_before_it_is_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/durable.db", dir.path().display());
        let storage = SqliteStorage::open(&url).await.unwrap();
        let (journal, synchronous): (String, i64) = (
            sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(storage.pool())
                .await
                .unwrap(),
            sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(storage.pool())
                .await
                .unwrap(),
        );
        assert_eq!(journal, "wal");
        // 2 is FULL: in WAL mode, NORMAL (1) may lose the last commits on a power cut.
        assert_eq!(synchronous, 2, "the writing connection syncs every commit");
    }

    async fn synchronous(connection: &mut sqlx::SqliteConnection) -> i64 {
        sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(connection)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn bookkeeping_commits_unsynced_and_never_leaves_the_writer_so() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/bookkeeping.db", dir.path().display());
        let storage = SqliteStorage::open(&url).await.unwrap();
        let pool = storage.pool();

        // NORMAL while its statements run, FULL again once they are done.
        let mut reading = batch::Statements::default();
        reading.push("SELECT synchronous FROM pragma_synchronous");
        let rows = reading.fetch_in_unsynced_transaction(pool).await.unwrap();
        assert_eq!(rows[0].get::<i64, _>(0), 1, "NORMAL while it works");
        assert_eq!(synchronous(&mut pool.acquire().await.unwrap()).await, 2);

        // An unsynced transaction that fails is rolled back and the writer synced again.
        let mut failing = batch::Statements::default();
        failing.push("INSERT INTO sandboxes (id) VALUES ('only-an-id')");
        assert!(failing.run_in_unsynced_transaction(pool).await.is_err());
        assert_eq!(synchronous(&mut pool.acquire().await.unwrap()).await, 2);
        // And one that succeeds leaves it synced too.
        let mut fine = batch::Statements::default();
        fine.push("SELECT 'x' AS id WHERE 0");
        assert!(fine.run_in_unsynced_transaction(pool).await.is_ok());
        assert_eq!(synchronous(&mut pool.acquire().await.unwrap()).await, 2);
    }
}

//! The embedded SQLite store (WAL mode, foreign keys on).

mod campaigns;
mod history;
mod outbox;

use super::lookups::Lookups;
use super::*;
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
    lookups: Arc<Lookups>,
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
            .synchronous(SqliteSynchronous::Normal)
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
            lookups: Arc::default(),
            _checkpoints: checkpoints,
        })
    }

    /// The writing connection (sessions are stored through it too).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
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

fn uuid_column(row: &SqliteRow, column: &str) -> StoreResult<Uuid> {
    let text: String = row.try_get(column)?;
    Uuid::parse_str(&text)
        .map_err(|_| StoreError::Corrupt(format!("{column} is not a UUID: {text}")))
}

fn user_from_row(row: &SqliteRow) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        id: uuid_column(row, "id")?,
        organization_id: uuid_column(row, "organization_id")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        role: row.try_get("role")?,
    })
}

const WEBHOOK_COLUMNS: &str = "id, sandbox_id, name, channel_email, channel_sms, url, enabled, disabled_reason, event_filter, \
     jwt_algorithm, jwt_key_kind, jwt_secret_sealed, jwt_secret_fingerprint, jwt_key_id, jwt_issuer, \
     jwt_subject, jwt_audience, jwt_extra_claims, jwt_lifetime_secs, created_at, updated_at, \
     signing_secret_sealed, signing_secret_fingerprint, previous_signing_secret_sealed, previous_signing_secret_expires_at";

fn webhook_from_row(row: &SqliteRow, headers: Vec<StoredHeader>) -> StoreResult<WebhookRecord> {
    let algorithm: Option<String> = row.try_get("jwt_algorithm")?;
    let jwt = match algorithm {
        None => None,
        Some(algorithm) => Some(StoredJwt {
            algorithm,
            key_kind: row.try_get("jwt_key_kind")?,
            secret_sealed: row.try_get("jwt_secret_sealed")?,
            secret_fingerprint: row.try_get("jwt_secret_fingerprint")?,
            key_id: row.try_get("jwt_key_id")?,
            issuer: row.try_get("jwt_issuer")?,
            subject: row.try_get("jwt_subject")?,
            audience: row.try_get("jwt_audience")?,
            extra_claims: row.try_get("jwt_extra_claims")?,
            lifetime_secs: row.try_get("jwt_lifetime_secs")?,
        }),
    };
    Ok(WebhookRecord {
        id: uuid_column(row, "id")?,
        sandbox_id: uuid_column(row, "sandbox_id")?,
        settings: WebhookWrite {
            name: row.try_get("name")?,
            email: row.try_get("channel_email")?,
            sms: row.try_get("channel_sms")?,
            url: row.try_get("url")?,
            enabled: row.try_get("enabled")?,
            disabled_reason: row.try_get("disabled_reason")?,
            events: crate::model::feedback::FeedbackStatus::parse_list(
                &row.try_get::<String, _>("event_filter")?,
            ),
            jwt,
            headers,
        },
        signing: signing_from_row(row)?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
    })
}

fn signing_from_row(row: &SqliteRow) -> StoreResult<Option<StoredSigning>> {
    let Some(secret_sealed) = row.try_get::<Option<Vec<u8>>, _>("signing_secret_sealed")? else {
        return Ok(None);
    };
    let previous_sealed: Option<Vec<u8>> = row.try_get("previous_signing_secret_sealed")?;
    let previous_until: Option<i64> = row.try_get("previous_signing_secret_expires_at")?;
    Ok(Some(StoredSigning {
        secret_sealed,
        fingerprint: row
            .try_get::<Option<String>, _>("signing_secret_fingerprint")?
            .unwrap_or_default(),
        previous: previous_sealed.zip(previous_until),
    }))
}

fn header_from_row(row: &SqliteRow) -> StoreResult<(Uuid, StoredHeader)> {
    let sealed: Option<Vec<u8>> = row.try_get("value_sealed")?;
    let value = match sealed {
        Some(sealed) => StoredHeaderValue::Sealed {
            sealed,
            fingerprint: row
                .try_get::<Option<String>, _>("value_fingerprint")?
                .unwrap_or_default(),
            len: row.try_get::<i64, _>("value_len")? as usize,
        },
        None => StoredHeaderValue::Plain(
            row.try_get::<Option<String>, _>("value")?
                .unwrap_or_default(),
        ),
    };
    Ok((
        uuid_column(row, "webhook_id")?,
        StoredHeader {
            id: uuid_column(row, "id")?,
            name: row.try_get("name")?,
            value,
        },
    ))
}

impl SqliteStorage {
    async fn user_where(
        &self,
        column: &'static str,
        value: String,
    ) -> StoreResult<Option<UserRecord>> {
        sqlx::query(&format!(
            "SELECT id, organization_id, email, password_hash, role FROM users WHERE {column} = ?"
        ))
        .bind(value)
        .fetch_optional(&self.readers)
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }

    async fn headers_of(&self, webhook_ids: &[Uuid]) -> StoreResult<Vec<(Uuid, StoredHeader)>> {
        if webhook_ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = vec!["?"; webhook_ids.len()].join(",");
        let sql = format!(
            "SELECT id, webhook_id, name, value, value_sealed, value_fingerprint, value_len FROM webhook_headers \
             WHERE webhook_id IN ({placeholders}) ORDER BY webhook_id, position"
        );
        let mut query = sqlx::query(&sql);
        for id in webhook_ids {
            query = query.bind(id.to_string());
        }
        query
            .fetch_all(&self.readers)
            .await?
            .iter()
            .map(header_from_row)
            .collect()
    }

    async fn write_webhook(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        webhook: &WebhookWrite,
        create: bool,
    ) -> StoreResult<WebhookRecord> {
        let now = now_ms();
        let jwt = webhook.jwt.as_ref();
        let mut tx = self.pool.begin().await?;
        // Both statements take the same binds in the same order; the update ignores `created_at`.
        let sql = if create {
            "INSERT INTO feedback_webhooks (name, name_key, channel_email, channel_sms, url, enabled, disabled_reason, event_filter, \
             jwt_algorithm, jwt_key_kind, jwt_secret_sealed, jwt_secret_fingerprint, jwt_key_id, jwt_issuer, jwt_subject, \
             jwt_audience, jwt_extra_claims, jwt_lifetime_secs, updated_at, id, sandbox_id, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        } else {
            "UPDATE feedback_webhooks SET name = ?, name_key = ?, channel_email = ?, channel_sms = ?, url = ?, \
             enabled = ?, disabled_reason = ?, event_filter = ?, jwt_algorithm = ?, jwt_key_kind = ?, jwt_secret_sealed = ?, \
             jwt_secret_fingerprint = ?, jwt_key_id = ?, jwt_issuer = ?, jwt_subject = ?, jwt_audience = ?, \
             jwt_extra_claims = ?, jwt_lifetime_secs = ?, updated_at = ?, \
             failing_since = CASE WHEN enabled = 0 THEN NULL ELSE failing_since END \
             WHERE id = ? AND sandbox_id = ? AND ? IS NOT NULL"
        };
        let result = sqlx::query(sql)
            .bind(&webhook.name)
            .bind(name_key(&webhook.name))
            .bind(webhook.email)
            .bind(webhook.sms)
            .bind(&webhook.url)
            .bind(webhook.enabled)
            .bind(&webhook.disabled_reason)
            .bind(crate::model::feedback::FeedbackStatus::join(
                &webhook.events,
            ))
            .bind(jwt.map(|j| j.algorithm.clone()))
            .bind(jwt.map(|j| j.key_kind.clone()))
            .bind(jwt.map(|j| j.secret_sealed.clone()))
            .bind(jwt.map(|j| j.secret_fingerprint.clone()))
            .bind(jwt.and_then(|j| j.key_id.clone()))
            .bind(jwt.and_then(|j| j.issuer.clone()))
            .bind(jwt.and_then(|j| j.subject.clone()))
            .bind(jwt.and_then(|j| j.audience.clone()))
            .bind(jwt.and_then(|j| j.extra_claims.clone()))
            .bind(jwt.map(|j| j.lifetime_secs).unwrap_or(300))
            .bind(now)
            .bind(id.to_string())
            .bind(sandbox_id.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_unique)?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM webhook_headers WHERE webhook_id = ?")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        for (position, header) in webhook.headers.iter().enumerate() {
            let (plain, sealed, fingerprint, len) = match &header.value {
                StoredHeaderValue::Plain(value) => (Some(value.clone()), None, None, value.len()),
                StoredHeaderValue::Sealed {
                    sealed,
                    fingerprint,
                    len,
                } => (None, Some(sealed.clone()), Some(fingerprint.clone()), *len),
            };
            sqlx::query(
                "INSERT INTO webhook_headers (id, webhook_id, position, name, value, value_sealed, value_fingerprint, value_len) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(header.id.to_string())
            .bind(id.to_string())
            .bind(position as i64)
            .bind(&header.name)
            .bind(plain)
            .bind(sealed)
            .bind(fingerprint)
            .bind(len as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.lookups.changed();
        self.webhook(sandbox_id, id)
            .await?
            .ok_or(StoreError::NotFound)
    }
}

#[async_trait]
impl Store for SqliteStorage {
    async fn ensure_sandbox(&self, ims_org: &str, sandbox: &str) -> StoreResult<SandboxRef> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO organizations (id, ims_org, created_at) VALUES (?, ?, ?) ON CONFLICT (ims_org) DO NOTHING")
            .bind(Uuid::new_v4().to_string())
            .bind(ims_org)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let organization_id: String =
            sqlx::query_scalar("SELECT id FROM organizations WHERE ims_org = ?")
                .bind(ims_org)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO sandboxes (id, organization_id, name, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (organization_id, name) DO NOTHING",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(&organization_id)
        .bind(sandbox)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let sandbox_id: String =
            sqlx::query_scalar("SELECT id FROM sandboxes WHERE organization_id = ? AND name = ?")
                .bind(&organization_id)
                .bind(sandbox)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        self.lookups.changed();
        let parse =
            |text: &str| Uuid::parse_str(text).map_err(|_| StoreError::Corrupt(text.to_string()));
        Ok(SandboxRef {
            id: parse(&sandbox_id)?,
            name: sandbox.to_string(),
            organization_id: parse(&organization_id)?,
            ims_org: ims_org.to_string(),
        })
    }

    async fn user_count(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.readers)
            .await?)
    }

    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord> {
        let id = Uuid::new_v4();
        sqlx::query("INSERT INTO users (id, organization_id, email, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(id.to_string())
            .bind(user.organization_id.to_string())
            .bind(user.email.to_lowercase())
            .bind(&user.password_hash)
            .bind(&user.role)
            .bind(now_ms())
            .execute(&self.pool)
            .await
            .map_err(map_unique)?;
        self.user_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        self.user_where("email", email.trim().to_lowercase()).await
    }

    async fn user_by_id(&self, id: Uuid) -> StoreResult<Option<UserRecord>> {
        self.user_where("id", id.to_string()).await
    }

    async fn list_webhooks(&self, sandbox_id: Uuid) -> StoreResult<Vec<WebhookRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM feedback_webhooks WHERE sandbox_id = ? ORDER BY updated_at DESC, id"
        ))
        .bind(sandbox_id.to_string())
        .fetch_all(&self.readers)
        .await?;
        let ids = rows
            .iter()
            .map(|row| uuid_column(row, "id"))
            .collect::<StoreResult<Vec<_>>>()?;
        // Headers come ordered by position; grouping keeps that order per webhook.
        let mut headers: std::collections::HashMap<Uuid, Vec<StoredHeader>> =
            std::collections::HashMap::new();
        for (owner, header) in self.headers_of(&ids).await? {
            headers.entry(owner).or_default().push(header);
        }
        rows.iter()
            .zip(ids)
            .map(|(row, id)| webhook_from_row(row, headers.remove(&id).unwrap_or_default()))
            .collect()
    }

    async fn webhook(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<WebhookRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM feedback_webhooks WHERE id = ? AND sandbox_id = ?"
        ))
        .bind(id.to_string())
        .bind(sandbox_id.to_string())
        .fetch_optional(&self.readers)
        .await?;
        match row {
            None => Ok(None),
            Some(row) => {
                let headers = self
                    .headers_of(&[id])
                    .await?
                    .into_iter()
                    .map(|(_, header)| header)
                    .collect();
                webhook_from_row(&row, headers).map(Some)
            }
        }
    }

    async fn create_webhook(
        &self,
        sandbox_id: Uuid,
        webhook: &WebhookWrite,
    ) -> StoreResult<WebhookRecord> {
        self.write_webhook(sandbox_id, Uuid::new_v4(), webhook, true)
            .await
    }

    async fn update_webhook(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        webhook: &WebhookWrite,
    ) -> StoreResult<WebhookRecord> {
        self.write_webhook(sandbox_id, id, webhook, false).await
    }

    async fn delete_webhook(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM feedback_webhooks WHERE id = ? AND sandbox_id = ?")
            .bind(id.to_string())
            .bind(sandbox_id.to_string())
            .execute(&self.pool)
            .await?;
        self.lookups.changed();
        Ok(result.rows_affected() > 0)
    }

    async fn set_signing_secret(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        signing: Option<&StoredSigning>,
    ) -> StoreResult<bool> {
        let previous = signing.and_then(|s| s.previous.clone());
        let result = sqlx::query(
            "UPDATE feedback_webhooks SET signing_secret_sealed = ?, signing_secret_fingerprint = ?, \
             previous_signing_secret_sealed = ?, previous_signing_secret_expires_at = ?, updated_at = ? \
             WHERE id = ? AND sandbox_id = ?",
        )
        .bind(signing.map(|s| s.secret_sealed.clone()))
        .bind(signing.map(|s| s.fingerprint.clone()))
        .bind(previous.as_ref().map(|(sealed, _)| sealed.clone()))
        .bind(previous.map(|(_, until)| until))
        .bind(now_ms())
        .bind(id.to_string())
        .bind(sandbox_id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() > 0)
    }

    async fn disable_webhook(&self, id: Uuid, reason: &str) -> StoreResult<()> {
        sqlx::query("UPDATE feedback_webhooks SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?")
            .bind(reason)
            .bind(now_ms())
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        self.lookups.changed();
        Ok(())
    }

    async fn webhook_by_id(&self, id: Uuid) -> StoreResult<Option<WebhookRecord>> {
        let sandbox: Option<String> =
            sqlx::query_scalar("SELECT sandbox_id FROM feedback_webhooks WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(&self.readers)
                .await?;
        match sandbox.map(|s| Uuid::parse_str(&s)) {
            Some(Ok(sandbox_id)) => self.webhook(sandbox_id, id).await,
            _ => Ok(None),
        }
    }

    async fn webhook_route(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<WebhookRoute>> {
        let row: Option<(bool, bool, bool, String)> = sqlx::query_as(
            "SELECT enabled, channel_email, channel_sms, event_filter FROM feedback_webhooks \
             WHERE id = ?1 AND sandbox_id = ?2",
        )
        .bind(id.to_string())
        .bind(sandbox_id.to_string())
        .fetch_optional(&self.readers)
        .await?;
        Ok(row.map(|(enabled, email, sms, events)| WebhookRoute {
            id,
            enabled,
            email,
            sms,
            events: crate::model::feedback::FeedbackStatus::parse_list(&events),
        }))
    }

    async fn enqueue_events(
        &self,
        batch: &[(NewEvent, Vec<Uuid>)],
    ) -> StoreResult<Vec<StoreResult<Vec<Uuid>>>> {
        let now = now_ms();
        match outbox::enqueue_all(&self.pool, batch, now).await {
            Ok(ids) => Ok(ids.into_iter().map(Ok).collect()),
            Err(error) if batch.len() > 1 => {
                tracing::warn!(%error, events = batch.len(), "group commit failed; writing the events one by one");
                Ok(outbox::enqueue_each(&self.pool, batch, now).await)
            }
            Err(error) => Err(error),
        }
    }

    async fn claim_due(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
        per_webhook: i64,
        skip: &[Uuid],
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        outbox::claim_due(
            &self.readers,
            &self.pool,
            now,
            lease_until,
            limit,
            per_webhook,
            skip,
        )
        .await
    }

    async fn record_attempts(
        &self,
        attempts: &[AttemptRecord],
        policy: &AutoDisable,
    ) -> StoreResult<Vec<Uuid>> {
        let disabled = outbox::record_attempts(&self.pool, attempts, policy, now_ms()).await?;
        if !disabled.is_empty() {
            self.lookups.changed();
        }
        Ok(disabled)
    }

    async fn next_due_ms(&self) -> StoreResult<Option<i64>> {
        outbox::next_due(&self.readers).await
    }

    async fn expire_waiting(&self, due_before_ms: i64, limit: i64) -> StoreResult<u64> {
        outbox::expire_waiting(&self.pool, due_before_ms, limit, now_ms()).await
    }

    async fn list_sandboxes(&self, organization_id: Uuid) -> StoreResult<Vec<SandboxRef>> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT s.id, s.name, o.ims_org FROM sandboxes s JOIN organizations o ON o.id = s.organization_id \
             WHERE s.organization_id = ?1 ORDER BY s.name",
        )
        .bind(organization_id.to_string())
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter()
            .map(|(id, name, ims_org)| {
                Ok(SandboxRef {
                    id: Uuid::parse_str(&id).map_err(|_| StoreError::Corrupt(id.clone()))?,
                    name,
                    organization_id,
                    ims_org,
                })
            })
            .collect()
    }

    async fn create_sandbox(&self, organization_id: Uuid, name: &str) -> StoreResult<SandboxRef> {
        sqlx::query(
            "INSERT INTO sandboxes (id, organization_id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(organization_id.to_string())
        .bind(name)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(map_unique)?;
        self.lookups.changed();
        self.sandbox_by_name(organization_id, name)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn sandbox_by_name(
        &self,
        organization_id: Uuid,
        name: &str,
    ) -> StoreResult<Option<SandboxRef>> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT s.id, o.ims_org FROM sandboxes s JOIN organizations o ON o.id = s.organization_id \
             WHERE s.organization_id = ?1 AND s.name = ?2",
        )
        .bind(organization_id.to_string())
        .bind(name)
        .fetch_optional(&self.readers)
        .await?;
        row.map(|(id, ims_org)| {
            Ok(SandboxRef {
                id: Uuid::parse_str(&id).map_err(|_| StoreError::Corrupt(id.clone()))?,
                name: name.to_string(),
                organization_id,
                ims_org,
            })
        })
        .transpose()
    }

    async fn list_campaigns(&self, sandbox_id: Uuid) -> StoreResult<Vec<CampaignRecord>> {
        campaigns::list(&self.readers, sandbox_id).await
    }

    async fn campaign(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<CampaignRecord>> {
        if let Some(kept) = self.lookups.campaign(sandbox_id, id) {
            return Ok(Some(kept));
        }
        let read_in = self.lookups.generation();
        let campaign = campaigns::one(&self.readers, sandbox_id, id).await?;
        if let Some(campaign) = &campaign {
            self.lookups.keep_campaign(read_in, campaign);
        }
        Ok(campaign)
    }

    async fn create_campaign(
        &self,
        sandbox_id: Uuid,
        campaign: &CampaignWrite,
    ) -> StoreResult<CampaignRecord> {
        let id = Uuid::new_v4();
        campaigns::write(&self.pool, sandbox_id, id, campaign, true).await?;
        campaigns::one(&self.readers, sandbox_id, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn update_campaign(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        campaign: &CampaignWrite,
    ) -> StoreResult<CampaignRecord> {
        campaigns::write(&self.pool, sandbox_id, id, campaign, false).await?;
        self.lookups.changed();
        campaigns::one(&self.readers, sandbox_id, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn create_credential(
        &self,
        organization_id: Uuid,
        name: &str,
        api_key: &str,
        token_hash: &str,
    ) -> StoreResult<CredentialRecord> {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO api_credentials (id, organization_id, name, api_key, token_hash, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(id.to_string())
        .bind(organization_id.to_string())
        .bind(name)
        .bind(api_key)
        .bind(token_hash)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        campaigns::credentials_where(&self.readers, "c.id = ?", id.to_string())
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn list_credentials(&self, organization_id: Uuid) -> StoreResult<Vec<CredentialRecord>> {
        campaigns::credentials_where(
            &self.readers,
            "c.organization_id = ?",
            organization_id.to_string(),
        )
        .await
    }

    async fn caller(
        &self,
        api_key: &str,
        sandbox_name: Option<&str>,
    ) -> StoreResult<Option<(CredentialRecord, Option<SandboxRef>)>> {
        if let Some(kept) = self.lookups.caller(api_key, sandbox_name) {
            return Ok(Some(kept));
        }
        let read_in = self.lookups.generation();
        let caller = campaigns::caller(&self.readers, api_key, sandbox_name).await?;
        if let Some(caller) = &caller {
            self.lookups
                .keep_caller(read_in, api_key, sandbox_name, caller);
        }
        Ok(caller)
    }

    async fn revoke_credential(&self, organization_id: Uuid, id: Uuid) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE api_credentials SET revoked_at = ?1 WHERE id = ?2 AND organization_id = ?3 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(id.to_string())
        .bind(organization_id.to_string())
        .execute(&self.pool)
        .await?;
        self.lookups.changed();
        Ok(result.rows_affected() > 0)
    }

    async fn touch_credential(&self, id: Uuid, now: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE api_credentials SET last_used_at = ?1 WHERE id = ?2 \
             AND (last_used_at IS NULL OR last_used_at < ?1 - 60000)",
        )
        .bind(now)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        self.lookups.touched(id, now);
        Ok(())
    }

    async fn store_executions(
        &self,
        executions: &[NewExecution],
    ) -> StoreResult<Vec<ExecutionStored>> {
        campaigns::store_executions(&self.pool, executions).await
    }

    async fn due_outcomes(&self, now: i64, limit: i64) -> StoreResult<Vec<DueOutcome>> {
        campaigns::due_outcomes(&self.readers, now, limit).await
    }

    async fn emit_outcomes(
        &self,
        events: &[(i64, NewEvent, Vec<Uuid>)],
        set_aside: &[i64],
    ) -> StoreResult<()> {
        campaigns::emit_outcomes(&self.pool, events, set_aside, now_ms()).await
    }

    async fn list_deliveries(
        &self,
        sandbox_id: Uuid,
        filter: &DeliveryFilter,
    ) -> StoreResult<DeliveryList> {
        history::list_deliveries(&self.readers, sandbox_id, filter).await
    }

    async fn delivery(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<(DeliveryRecord, String, Vec<AttemptRow>)>> {
        history::delivery(&self.readers, sandbox_id, id).await
    }

    async fn next_outcome_due_ms(&self) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query_scalar(
                "SELECT MIN(due_at) FROM provider_outcomes WHERE emitted_at IS NULL",
            )
            .fetch_one(&self.readers)
            .await?,
        )
    }

    async fn resend_delivery(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        now_ms: i64,
    ) -> StoreResult<Option<crate::model::history::ResendOutcome>> {
        history::resend_delivery(&self.pool, sandbox_id, id, now_ms).await
    }

    async fn count_failed_since(
        &self,
        sandbox_id: Uuid,
        webhook_id: Uuid,
        since_ms: i64,
    ) -> StoreResult<u64> {
        history::count_failed_since(&self.readers, sandbox_id, webhook_id, since_ms).await
    }

    async fn resend_failed_since(
        &self,
        sandbox_id: Uuid,
        webhook_id: Uuid,
        since_ms: i64,
        limit: i64,
        now_ms: i64,
    ) -> StoreResult<u64> {
        history::resend_failed_since(&self.pool, sandbox_id, webhook_id, since_ms, limit, now_ms)
            .await
    }

    async fn enable_webhook(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<bool> {
        let enabled = history::enable_webhook(&self.pool, sandbox_id, id, now_ms()).await?;
        self.lookups.changed();
        Ok(enabled)
    }

    async fn health_data(
        &self,
        sandbox_id: Uuid,
        webhook_id: Option<Uuid>,
        from_hour_ms: i64,
    ) -> StoreResult<HealthData> {
        history::health_data(&self.readers, sandbox_id, webhook_id, from_hour_ms).await
    }

    async fn list_executions(
        &self,
        sandbox_id: Uuid,
        campaign_id: Uuid,
        before: Option<(i64, Uuid)>,
        limit: i64,
    ) -> StoreResult<Vec<ExecutionRecord>> {
        history::list_executions(&self.readers, sandbox_id, campaign_id, before, limit).await
    }

    async fn prune(&self, before_ms: i64, limit: i64) -> StoreResult<Pruned> {
        history::prune(&self.pool, before_ms, limit).await
    }
}

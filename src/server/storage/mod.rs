//! Storage behind role traits, with [`Store`] as their sum. SQLite is the embedded default,
//! PostgreSQL the backend several instances share; both implement the same traits, and the domain rules they share live above the backends
//! ([`plan`]), so a backend only translates plain rows to its SQL.
//!
//! Who owns the clock: the caller passes every time that decides what a call does (a due time, a
//! lease, a cutoff, "now" for a claim or a resend); a backend stamps the bookkeeping times of the
//! rows it writes (`created_at`, `updated_at`, `emitted_at`) with [`now_ms`].

mod cached;
mod lookups;
pub mod plan;
mod postgres;
mod records;
mod rows;
pub mod sessions;
mod sqlite;

pub use cached::Cached;
pub use postgres::PostgresStorage;
pub use records::*;
pub use sqlite::SqliteStorage;

/// Attempts a delivery's detail lists, the latest ones: resends add attempts to the same
/// delivery without end, and every attempt keeps its headers and a body excerpt.
pub const ATTEMPTS_LISTED: i64 = 100;

use async_trait::async_trait;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write; carries the constraint name.
    #[error("duplicate value for {0}")]
    Duplicate(String),
    #[error("not found")]
    NotFound,
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    /// The transaction holding this write failed as a whole.
    #[error("batch write failed: {0}")]
    Batch(String),
    /// The database cannot be reached: down, restarting, or every connection busy past the
    /// wait. The caller may try again shortly.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database's disk is full: nothing more is written until space is freed.
    #[error("the database's disk is full: {0}")]
    StorageFull(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// Whether the failure is the database being away (or its disk full) rather than the
    /// request.
    pub fn is_unavailable(&self) -> bool {
        if self.is_storage_full() {
            return true;
        }
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::Database(error) => match error {
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::WorkerCrashed => true,
                // PostgreSQL's connection exceptions (08…) and shutdowns (57P01–57P03).
                sqlx::Error::Database(db) => db
                    .code()
                    .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")),
                _ => false,
            },
            _ => false,
        }
    }

    /// Whether the database's disk is full: SQLite's `SQLITE_FULL` (13, in the low byte of
    /// its extended codes), PostgreSQL's `disk_full` (53100).
    pub fn is_storage_full(&self) -> bool {
        match self {
            StoreError::StorageFull(_) => true,
            StoreError::Database(sqlx::Error::Database(db)) => db.code().is_some_and(|code| {
                code == "53100" || code.parse::<i32>().is_ok_and(|code| code & 0xff == 13)
            }),
            _ => false,
        }
    }

    /// What a person or an API caller is told when a write could not happen because of the
    /// database (not of their request), with nothing stored.
    pub fn unavailable_message(&self) -> crate::model::message::Message {
        if self.is_storage_full() {
            crate::model::message::Message::StorageFull
        } else {
            crate::model::message::Message::StorageUnavailable
        }
    }

    /// What each waiter of a batch that failed as a whole is told: the same kind of failure.
    pub fn for_a_waiter(&self) -> StoreError {
        if self.is_storage_full() {
            StoreError::StorageFull(self.to_string())
        } else if self.is_unavailable() {
            StoreError::Unavailable(self.to_string())
        } else {
            StoreError::Batch(self.to_string())
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the product stores: the sum of the role traits, implemented by every backend
/// (and by [`Cached`] over any of them).
pub trait Store:
    TenancyStore + UserStore + AuditStore + WebhookStore + CampaignStore + OutboxStore + HistoryStore
{
}

impl<S> Store for S where
    S: TenancyStore
        + UserStore
        + AuditStore
        + WebhookStore
        + CampaignStore
        + OutboxStore
        + HistoryStore
{
}

/// The audit log. Changes write their entry in their own transaction (the `audit` argument of
/// the other traits' methods), and only when they change something; what is no change of
/// stored state (a failed sign-in) is appended on its own.
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    async fn append_audit(&self, entry: &AuditRecord) -> StoreResult<()>;
    /// The organization's entries matching `filter`, newest first, at most `limit`.
    async fn list_audit(
        &self,
        organization_id: Uuid,
        filter: &AuditFilter,
        limit: i64,
    ) -> StoreResult<Vec<StoredAudit>>;
    /// Deletes at most `limit` entries older than `cutoff_ms`; how many went.
    async fn delete_old_audit(&self, cutoff_ms: i64, limit: i64) -> StoreResult<u64>;
}

/// The team: users beyond the first, their one-time links, and their sessions (kept here so
/// that a user's sessions can be listed and ended with a change to the user, atomically).
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// The organization's users, by email.
    async fn list_users(&self, organization_id: Uuid) -> StoreResult<Vec<UserListing>>;
    /// Creates an invited user, without a password, and their link; `Duplicate` when the
    /// email is taken.
    async fn invite_user(
        &self,
        invitation: &NewInvitation,
        audit: &AuditRecord,
    ) -> StoreResult<UserRecord>;
    /// Replaces the user's unused links by `link`; `false` when no such user of the
    /// organization.
    async fn replace_user_link(
        &self,
        organization_id: Uuid,
        user_id: Uuid,
        link: &NewLink,
        audit: &AuditRecord,
    ) -> StoreResult<bool>;
    /// The unexpired link with this token hash: its purpose and its user.
    async fn user_link(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> StoreResult<Option<(String, UserRecord)>>;
    /// Uses the link once, all or nothing: the user gets `password_hash` and becomes active (an
    /// invited one) and their sessions end; `None` when the link is used, expired or unknown,
    /// or the user was disabled meanwhile.
    async fn use_user_link(
        &self,
        token_hash: &str,
        password_hash: &str,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> StoreResult<Option<UserRecord>>;
    /// Applies an administrator's change to a user of the organization; disabling or removing
    /// ends their sessions. Refused when the organization would be left without an active
    /// administrator (checked under a lock: two changes at once cannot both pass).
    async fn change_user(
        &self,
        organization_id: Uuid,
        user_id: Uuid,
        change: UserChange,
        audit: &AuditRecord,
    ) -> StoreResult<UserChanged>;
    /// Sets the user's password, voids their links and ends their sessions but the one with
    /// handle `keep`.
    async fn set_password(
        &self,
        user_id: Uuid,
        password_hash: &str,
        keep: Option<&str>,
        audit: &AuditRecord,
    ) -> StoreResult<()>;
    /// Keeps the language the user chose for the interface.
    async fn set_language(
        &self,
        user_id: Uuid,
        language: Option<&str>,
        audit: &AuditRecord,
    ) -> StoreResult<()>;
    async fn note_sign_in(
        &self,
        user_id: Uuid,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> StoreResult<()>;

    /// `false` when a session with this id exists.
    async fn insert_session(&self, row: &SessionRow) -> StoreResult<bool>;
    /// Updates a stored session; one ended meanwhile stays ended.
    async fn update_session(&self, row: &SessionRow) -> StoreResult<()>;
    /// The session's data unless it has expired.
    async fn load_session(&self, id: &str, now_ms: i64) -> StoreResult<Option<Vec<u8>>>;
    async fn delete_session(&self, id: &str) -> StoreResult<()>;
    async fn delete_expired_sessions(&self, now_ms: i64) -> StoreResult<u64>;
    /// The user's unexpired sessions, the most recently seen first.
    async fn sessions_of(&self, user_id: Uuid, now_ms: i64) -> StoreResult<Vec<SessionSummary>>;
    /// Ends one of the user's sessions, by handle; `false` when they have none by that handle.
    async fn end_session_of(&self, user_id: Uuid, handle: &str) -> StoreResult<bool>;
    /// Ends the user's sessions but the one with handle `keep`; how many ended.
    async fn end_sessions_of(&self, user_id: Uuid, keep: Option<&str>) -> StoreResult<u64>;
}

/// Organizations, sandboxes, users and API credentials.
#[async_trait]
pub trait TenancyStore: Send + Sync + 'static {
    /// Finds or creates the organization and its sandbox.
    async fn ensure_sandbox(&self, ims_org: &str, sandbox: &str) -> StoreResult<SandboxRef>;
    /// The organization's sandboxes, by name.
    async fn list_sandboxes(&self, organization_id: Uuid) -> StoreResult<Vec<SandboxRef>>;
    /// Refused with `Duplicate` when the organization has a sandbox of that name.
    /// The entry written with it names the new sandbox's id (see [`AuditRecord::naming`]).
    async fn create_sandbox(
        &self,
        organization_id: Uuid,
        name: &str,
        audit: &AuditRecord,
    ) -> StoreResult<SandboxRef>;
    /// A sandbox of the organization, by name.
    async fn sandbox_by_name(
        &self,
        organization_id: Uuid,
        name: &str,
    ) -> StoreResult<Option<SandboxRef>>;
    async fn user_count(&self) -> StoreResult<i64>;
    /// Refused with `Duplicate` when the email is taken (emails are stored lower-cased).
    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord>;
    /// Creates `user` only if no user exists yet, atomically (several setups, or instances,
    /// racing for the first administrator: one wins), with `audit`'s entry naming it; `None`
    /// (and no entry) when one already existed.
    async fn create_first_user(
        &self,
        user: NewUser,
        audit: &AuditRecord,
    ) -> StoreResult<Option<UserRecord>>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>>;
    async fn user_by_id(&self, id: Uuid) -> StoreResult<Option<UserRecord>>;
    async fn create_credential(
        &self,
        organization_id: Uuid,
        credential: &CredentialWrite,
        audit: &AuditRecord,
    ) -> StoreResult<CredentialRecord>;
    /// Newest first, revoked ones included.
    async fn list_credentials(&self, organization_id: Uuid) -> StoreResult<Vec<CredentialRecord>>;
    /// An API caller in one read: the credential with this key and, when `sandbox_name` is
    /// given, the sandbox of that name in the credential's organization.
    async fn caller(
        &self,
        api_key: &str,
        sandbox_name: Option<&str>,
    ) -> StoreResult<Option<(CredentialRecord, Option<SandboxRef>)>>;
    /// `false` when it is not the organization's or was already revoked.
    async fn revoke_credential(
        &self,
        organization_id: Uuid,
        id: Uuid,
        audit: &AuditRecord,
    ) -> StoreResult<bool>;
    /// Notes a use, at most once a minute per credential.
    async fn touch_credential(&self, id: Uuid, now_ms: i64) -> StoreResult<()>;
    /// Counts a sign-in attempt under `key` at `now_ms` and answers the attempts counted in
    /// its window, this one included, with the window's start. A window started `window_ms`
    /// ago or more starts afresh, and windows already over are dropped (so the table holds
    /// only the keys tried in the last `window_ms`).
    async fn count_login_attempt(
        &self,
        key: &str,
        now_ms: i64,
        window_ms: i64,
    ) -> StoreResult<(i64, i64)>;
    /// Takes one counted attempt back (a sign-in that succeeded).
    async fn forgive_login_attempt(&self, key: &str) -> StoreResult<()>;
    async fn clear_login_attempts(&self, key: &str) -> StoreResult<()>;
}

/// Feedback webhooks and their settings, signing secrets and on/off state.
#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    /// Newest first by last update.
    async fn list_webhooks(&self, sandbox_id: Uuid) -> StoreResult<Vec<WebhookRecord>>;
    async fn webhook(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<WebhookRecord>>;
    /// Every sealed value the database holds, with where it is kept.
    async fn sealed_values(&self) -> StoreResult<Vec<SealedValue>>;
    /// Writes values sealed again (under another key, or in the current format) with their
    /// fingerprints, all or none.
    async fn reseal(&self, values: &[Resealed]) -> StoreResult<()>;
    /// Refused with `Duplicate` when the sandbox has a webhook of that name in any case. The id
    /// is the caller's: the webhook's secrets are sealed for it before it is stored.
    async fn create_webhook(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        webhook: &WebhookWrite,
        audit: &AuditRecord,
    ) -> StoreResult<WebhookRecord>;
    async fn update_webhook(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        webhook: &WebhookWrite,
        audit: &AuditRecord,
    ) -> StoreResult<WebhookRecord>;
    async fn delete_webhook(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        audit: &AuditRecord,
    ) -> StoreResult<bool>;
    /// Sets or removes the signing secret; `false` when the webhook is not in the sandbox.
    async fn set_signing_secret(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        signing: Option<&StoredSigning>,
        audit: &AuditRecord,
    ) -> StoreResult<bool>;
    /// Turns a webhook off with the reason shown to people (e.g. the endpoint answered 410 Gone);
    /// `audit` goes to the log of the webhook's organization, whatever it names.
    async fn disable_webhook(&self, id: Uuid, reason: &str, audit: &AuditRecord)
        -> StoreResult<()>;
    /// Turns a webhook of the sandbox back on, clearing its disabled reason and failing streak.
    async fn enable_webhook(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        audit: &AuditRecord,
    ) -> StoreResult<bool>;
    /// A webhook of any sandbox, for the delivery workers.
    async fn webhook_by_id(&self, id: Uuid) -> StoreResult<Option<WebhookRecord>>;
    /// The routing settings of a webhook of the sandbox (one cheap read, for the outcome
    /// dispatcher; the execution path gets them with the campaign).
    async fn webhook_route(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<WebhookRoute>>;
}

/// Campaigns, their executions and the provider outcomes those executions will report.
#[async_trait]
pub trait CampaignStore: Send + Sync + 'static {
    /// Newest first by last update.
    async fn list_campaigns(&self, sandbox_id: Uuid) -> StoreResult<Vec<CampaignRecord>>;
    async fn campaign(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<CampaignRecord>>;
    /// Refused with `Duplicate` when the sandbox has a campaign of that name in any case. The
    /// id is the caller's, so that the audit entry written with it can name it.
    async fn create_campaign(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        campaign: &CampaignWrite,
        audit: &AuditRecord,
    ) -> StoreResult<CampaignRecord>;
    async fn update_campaign(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        campaign: &CampaignWrite,
        audit: &AuditRecord,
    ) -> StoreResult<CampaignRecord>;
    /// Stores the execution, its messages and their provider outcomes in one transaction, or
    /// answers the stored response when the campaign already had this `requestId`.
    async fn store_execution(&self, execution: &NewExecution) -> StoreResult<ExecutionStored> {
        self.store_executions(std::slice::from_ref(execution), &Handoff::default())
            .await?
            .answer
            .pop()
            .ok_or(StoreError::NotFound)
    }
    /// Several executions in one transaction (group commit); the outer error means none was
    /// stored. The deliveries of their outcomes due at once are handed off as `handoff` allows.
    async fn store_executions(
        &self,
        executions: &[NewExecution],
        handoff: &Handoff,
    ) -> StoreResult<Written<Vec<ExecutionStored>>>;
    /// Up to `limit` outcomes due by `now_ms` and not emitted yet, oldest first.
    async fn due_outcomes(&self, now_ms: i64, limit: i64) -> StoreResult<Vec<DueOutcome>>;
    /// Stores the feedback events of due outcomes, `(outcome id, event, webhooks)`, with their
    /// deliveries, and marks those outcomes emitted, with the `set_aside` ones (malformed: they
    /// can never become an event), in one transaction: each outcome is emitted exactly once.
    /// The deliveries handed off as `handoff` allows.
    async fn emit_outcomes(
        &self,
        events: &[(i64, NewEvent, Vec<Uuid>)],
        set_aside: &[i64],
        handoff: &Handoff,
    ) -> StoreResult<Vec<ClaimedDelivery>>;
    /// When the next outcome not yet emitted falls due.
    async fn next_outcome_due_ms(&self) -> StoreResult<Option<i64>>;
}

/// The outbox: feedback events with their deliveries, claimed under a lease, attempts recorded.
#[async_trait]
pub trait OutboxStore: Send + Sync + 'static {
    /// Writes the event and one pending delivery per enabled webhook of its sandbox in ONE
    /// transaction: once this returns, the event will be delivered or visibly fail. Returns the
    /// delivery ids (none for a disabled or unknown webhook).
    async fn enqueue_event(
        &self,
        event: &NewEvent,
        webhook_ids: &[Uuid],
    ) -> StoreResult<Vec<Uuid>> {
        let batch = [(event.clone(), webhook_ids.to_vec())];
        self.enqueue_events(&batch, &Handoff::default())
            .await?
            .answer
            .pop()
            .unwrap_or(Err(StoreError::NotFound))
    }
    /// Several events in one transaction (group commit). Should that transaction fail, each
    /// event is retried alone so one bad event does not fail the others. The outer error means
    /// nothing was written. Deliveries are handed off as `handoff` allows.
    async fn enqueue_events(
        &self,
        batch: &[(NewEvent, Vec<Uuid>)],
        handoff: &Handoff,
    ) -> StoreResult<Written<Vec<StoreResult<Vec<Uuid>>>>>;
    /// Leases up to `limit` due deliveries of enabled webhooks, at most `per_webhook` of each
    /// and none of the webhooks or sandboxes in `skip`, until `lease_until_ms`. An expired
    /// lease is due again.
    async fn claim_due(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
        per_webhook: i64,
        skip: &ClaimSkip,
    ) -> StoreResult<Vec<ClaimedDelivery>>;
    /// Stores attempts and moves their deliveries on, in one transaction; keeps each webhook's
    /// failing streak and disables the ones `policy` condemns, returning their ids. An attempt
    /// whose claim is no longer its delivery's current one (the lease ended and the delivery
    /// was claimed again, resent or expired) is left out: it changes nothing.
    async fn record_attempts(
        &self,
        attempts: &[AttemptRecord],
        policy: &AutoDisable,
    ) -> StoreResult<Vec<Uuid>>;
    /// Makes claimed deliveries due at once again, each only while the given claim
    /// (delivery id, claim) is still its current one: the work a stopping instance did not
    /// send. Returns how many were released.
    async fn release_claims(&self, claims: &[(Uuid, i64)], now_ms: i64) -> StoreResult<u64>;
    /// When the next delivery of an enabled webhook falls due, if any.
    async fn next_due_ms(&self) -> StoreResult<Option<i64>>;
    /// Fails (`E_EXPIRED`) up to `limit` deliveries waiting for a disabled webhook since before
    /// `due_before_ms`; returns how many.
    async fn expire_waiting(&self, due_before_ms: i64, limit: i64) -> StoreResult<u64>;
}

/// What people read back: deliveries with their attempts, resends, health, executions, retention.
#[async_trait]
pub trait HistoryStore: Send + Sync + 'static {
    async fn list_deliveries(
        &self,
        sandbox_id: Uuid,
        filter: &DeliveryFilter,
    ) -> StoreResult<DeliveryList>;
    /// A delivery of the sandbox with its latest [`ATTEMPTS_LISTED`] attempts (oldest first) and
    /// its payload.
    async fn delivery(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<(DeliveryRecord, String, Vec<AttemptRow>)>>;
    /// Queues a delivery of the sandbox for an attempt now (same delivery, so the same
    /// `webhook-id`). `None`: no such delivery.
    async fn resend_delivery(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> StoreResult<Option<crate::model::history::ResendOutcome>>;
    /// How many deliveries of the webhook failed and were created since `since_ms`.
    async fn count_failed_since(
        &self,
        sandbox_id: Uuid,
        webhook_id: Uuid,
        since_ms: i64,
    ) -> StoreResult<u64>;
    /// Queues up to `limit` of those failed deliveries for an attempt now; the count queued.
    async fn resend_failed_since(
        &self,
        sandbox_id: Uuid,
        webhook_id: Uuid,
        since_ms: i64,
        limit: i64,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> StoreResult<u64>;
    /// Statistics cells from `from_hour_ms` on and last errors, of one webhook or all of the sandbox.
    async fn health_data(
        &self,
        sandbox_id: Uuid,
        webhook_id: Option<Uuid>,
        from_hour_ms: i64,
    ) -> StoreResult<HealthData>;
    /// A campaign's executions, newest first, continuing before `(created_at, id)`.
    async fn list_executions(
        &self,
        sandbox_id: Uuid,
        campaign_id: Uuid,
        before: Option<(i64, Uuid)>,
        limit: i64,
    ) -> StoreResult<Vec<ExecutionRecord>>;
    /// The delivery queue of the sandbox (of every sandbox with `None`) at `now_ms`, each count
    /// stopping at `cap`.
    async fn queue_state(
        &self,
        sandbox_id: Option<Uuid>,
        now_ms: i64,
        cap: i64,
    ) -> StoreResult<QueueState>;
    /// How many webhooks are disabled, in every sandbox.
    async fn disabled_webhook_count(&self) -> StoreResult<u64>;
    /// Removes up to `limit` events created before `before_ms` whose deliveries are all
    /// finished (with those deliveries and attempts), up to `limit` executions as old, and
    /// statistics older than that. Small batches: the writer is held briefly.
    async fn prune(&self, before_ms: i64, limit: i64) -> StoreResult<Pruned>;
}

/// [`OutboxStore::enqueue_events`] for either backend, given its write of a batch in one
/// transaction: the whole batch at once; should that fail, each event in a transaction of its
/// own, so one bad event (an unknown sandbox) fails alone, the handoff's room shrinking by what
/// the events before it took.
async fn enqueue_batch_or_each<'a, Write, Writing>(
    batch: &'a [(NewEvent, Vec<Uuid>)],
    handoff: &Handoff,
    write: Write,
) -> StoreResult<Written<Vec<StoreResult<Vec<Uuid>>>>>
where
    Write: Fn(&'a [(NewEvent, Vec<Uuid>)], Handoff) -> Writing,
    Writing: std::future::Future<Output = StoreResult<Written<Vec<Vec<Uuid>>>>>,
{
    let error = match write(batch, handoff.clone()).await {
        Ok(written) => {
            return Ok(Written {
                answer: written.answer.into_iter().map(Ok).collect(),
                handed_off: written.handed_off,
            })
        }
        Err(error) if batch.len() > 1 => error,
        Err(error) => return Err(error),
    };
    tracing::warn!(%error, events = batch.len(), "group commit failed; writing the events one by one");
    let mut written = Written {
        answer: Vec::with_capacity(batch.len()),
        handed_off: Vec::new(),
    };
    for item in batch {
        let room_left = handoff.less(&written.handed_off);
        let one = write(std::slice::from_ref(item), room_left).await;
        written.answer.push(one.map(|mut one| {
            written.handed_off.append(&mut one.handed_off);
            one.answer.pop().unwrap_or_default()
        }));
    }
    Ok(written)
}

/// The key that makes webhook names unique regardless of case.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Work another instance sharing the database made due, as the database told this one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wakeup {
    /// Deliveries were queued, put back by a resend, or freed by enabling their webhook.
    Deliveries,
    /// Provider outcomes were stored; the earliest falls due at this time (ms).
    OutcomeDue(i64),
    /// Notifications may have been missed (the connection carrying them was lost): look again
    /// at everything.
    Everything,
}

/// A database opened for the server: its store (with the API lookups kept in memory), the
/// session store beside it, where the encryption key lives when none is given, and what
/// other instances sharing the database say they changed.
pub struct Opened {
    pub store: std::sync::Arc<dyn Store>,
    pub sessions: sessions::Sessions,
    /// The key file beside the database, for a backend that has a folder of its own.
    pub key_file: Option<std::path::PathBuf>,
    /// Work made due by other instances. A backend no other instance can share closes it at
    /// once; the kept API answers are dropped by the store itself when another instance
    /// changes what they depend on.
    pub wakeups: tokio::sync::mpsc::Receiver<Wakeup>,
}

/// The URL's scheme, which names the backend (`sqlite`, `postgres`).
fn scheme(url: &str) -> Option<&str> {
    url.split_once(':').map(|(scheme, _)| scheme)
}

/// Why a backup was not written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} exists already: name a new file")]
    TargetExists(std::path::PathBuf),
    #[error("no database at {0}")]
    NoDatabase(std::path::PathBuf),
    #[error(
        "a PostgreSQL database is backed up with its own tools: \
         pg_dump --format=custom --file=feedback-webhooks.dump <database URL>, \
         restored with pg_restore --clean --dbname=<database URL> feedback-webhooks.dump"
    )]
    PostgresTools,
    #[error("unsupported database URL: expected sqlite://…")]
    Unsupported,
    #[error("{0}")]
    Database(#[from] sqlx::Error),
    #[error("writing the backup: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes a consistent copy of the database the URL names to `to`, while other connections
/// (a running server) go on writing; its size in bytes.
pub async fn backup(url: &str, to: &std::path::Path) -> Result<u64, BackupError> {
    match scheme(url) {
        Some("sqlite") => sqlite::backup(url, to).await,
        Some("postgres" | "postgresql") => Err(BackupError::PostgresTools),
        _ => Err(BackupError::Unsupported),
    }
}

/// Opens and migrates the database the URL names, choosing the backend by its scheme.
pub async fn open(url: &str) -> Result<Opened, sqlx::Error> {
    match scheme(url) {
        Some("sqlite") => sqlite::open(url).await,
        Some("postgres" | "postgresql") => postgres::open(url).await,
        _ => Err(sqlx::Error::Configuration(
            "unsupported database URL: expected sqlite://… or postgres://…".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_away_is_told_apart_from_a_bad_request() {
        let away = StoreError::Database(sqlx::Error::PoolTimedOut);
        assert!(away.is_unavailable());
        let refused = StoreError::Database(sqlx::Error::RowNotFound);
        assert!(!refused.is_unavailable());
        assert!(!StoreError::NotFound.is_unavailable());
        // Every waiter of a failed group commit learns the same kind of failure.
        assert!(matches!(away.for_a_waiter(), StoreError::Unavailable(_)));
        assert!(matches!(refused.for_a_waiter(), StoreError::Batch(_)));
    }
}

//! Storage behind one trait. SQLite is the embedded default; other databases implement the same trait.

mod sqlite;

pub use sqlite::SqliteStorage;

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
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Debug, PartialEq)]
pub struct SandboxRef {
    pub id: Uuid,
    pub name: String,
    pub organization_id: Uuid,
    pub ims_org: String,
}

#[derive(Clone, Debug)]
pub struct UserRecord {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub role: String,
}

#[derive(Clone, Debug)]
pub struct NewUser {
    pub organization_id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub role: String,
}

/// The JWT settings of a webhook as stored: the key sealed, never in clear.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredJwt {
    pub algorithm: String,
    pub key_kind: String,
    pub secret_sealed: Vec<u8>,
    pub secret_fingerprint: String,
    pub key_id: Option<String>,
    pub issuer: Option<String>,
    pub subject: Option<String>,
    pub audience: Option<String>,
    pub extra_claims: Option<String>,
    pub lifetime_secs: i64,
}

impl StoredJwt {
    pub fn claims(&self) -> crate::model::JwtClaims {
        crate::model::JwtClaims {
            key_id: self.key_id.clone(),
            issuer: self.issuer.clone(),
            subject: self.subject.clone(),
            audience: self.audience.clone(),
            extra_claims: self.extra_claims.clone(),
            lifetime_secs: self.lifetime_secs.clamp(0, u32::MAX as i64) as u32,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum StoredHeaderValue {
    Plain(String),
    Sealed {
        sealed: Vec<u8>,
        fingerprint: String,
        len: usize,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct StoredHeader {
    pub id: Uuid,
    pub name: String,
    pub value: StoredHeaderValue,
}

/// Everything a webhook holds, as written by a save.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookWrite {
    pub name: String,
    pub email: bool,
    pub sms: bool,
    pub url: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub jwt: Option<StoredJwt>,
    pub headers: Vec<StoredHeader>,
}

/// The Standard Webhooks signing secret, sealed, with the previous one while a rotation lasts.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredSigning {
    pub secret_sealed: Vec<u8>,
    pub fingerprint: String,
    /// The secret before the last rotation and when it stops being used (ms).
    pub previous: Option<(Vec<u8>, i64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WebhookRecord {
    pub id: Uuid,
    pub sandbox_id: Uuid,
    pub settings: WebhookWrite,
    /// Changed only by generating, rotating or removing the secret, never by a form save.
    pub signing: Option<StoredSigning>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A feedback event to deliver, with its exact JSON body.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub sandbox_id: Uuid,
    pub event_type: String,
    pub channel: String,
    pub request_id: String,
    pub message_execution_id: String,
    pub payload: String,
}

/// A due delivery handed to a worker until `claimed_until`.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimedDelivery {
    pub id: Uuid,
    pub event_id: Uuid,
    pub webhook_id: Uuid,
    /// The webhook's `updated_at`: prepared settings are reused while it is unchanged.
    pub webhook_version: i64,
    pub attempts: i64,
    pub payload: String,
}

/// How an attempt ended for its delivery.
#[derive(Clone, Debug, PartialEq)]
pub enum NextStep {
    Succeeded,
    RetryAt(i64),
    Failed,
}

/// One attempt to record, with what happens to its delivery next.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptRecord {
    pub delivery_id: Uuid,
    pub webhook_id: Uuid,
    /// 1 for the first attempt of the delivery.
    pub attempt: i64,
    pub started_at_ms: i64,
    pub duration_ms: i64,
    pub status: Option<u16>,
    pub error_code: Option<String>,
    pub response_headers: Vec<(String, String)>,
    pub body_excerpt: String,
    pub next: NextStep,
}

/// When failing webhooks are turned off: those whose failing streak began before the cutoff.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoDisable {
    pub failing_since_before_ms: i64,
    /// Shown to people on the webhook.
    pub reason: String,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Finds or creates the organization and its sandbox.
    async fn ensure_sandbox(&self, ims_org: &str, sandbox: &str) -> StoreResult<SandboxRef>;

    async fn user_count(&self) -> StoreResult<i64>;
    /// Refused with `Duplicate` when the email is taken (emails are stored lower-cased).
    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>>;
    async fn user_by_id(&self, id: Uuid) -> StoreResult<Option<UserRecord>>;

    /// Newest first by last update.
    async fn list_webhooks(&self, sandbox_id: Uuid) -> StoreResult<Vec<WebhookRecord>>;
    async fn webhook(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<WebhookRecord>>;
    /// Refused with `Duplicate` when the sandbox has a webhook of that name in any case.
    async fn create_webhook(
        &self,
        sandbox_id: Uuid,
        webhook: &WebhookWrite,
    ) -> StoreResult<WebhookRecord>;
    async fn update_webhook(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        webhook: &WebhookWrite,
    ) -> StoreResult<WebhookRecord>;
    async fn delete_webhook(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<bool>;
    /// Sets or removes the signing secret; `false` when the webhook is not in the sandbox.
    async fn set_signing_secret(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        signing: Option<&StoredSigning>,
    ) -> StoreResult<bool>;
    /// Turns a webhook off with the reason shown to people (e.g. the endpoint answered 410 Gone).
    async fn disable_webhook(&self, id: Uuid, reason: &str) -> StoreResult<()>;
    /// A webhook of any sandbox, for the delivery workers.
    async fn webhook_by_id(&self, id: Uuid) -> StoreResult<Option<WebhookRecord>>;

    /// Writes the event and one pending delivery per enabled webhook of its sandbox in ONE
    /// transaction: once this returns, the event will be delivered or visibly fail. Returns the
    /// delivery ids (none for a disabled or unknown webhook).
    async fn enqueue_event(
        &self,
        event: &NewEvent,
        webhook_ids: &[Uuid],
    ) -> StoreResult<Vec<Uuid>> {
        let batch = [(event.clone(), webhook_ids.to_vec())];
        self.enqueue_events(&batch)
            .await?
            .pop()
            .unwrap_or(Err(StoreError::NotFound))
    }
    /// Several events in one transaction (group commit). Should that transaction fail, each
    /// event is retried alone so one bad event does not fail the others. The outer error means
    /// nothing was written.
    async fn enqueue_events(
        &self,
        batch: &[(NewEvent, Vec<Uuid>)],
    ) -> StoreResult<Vec<StoreResult<Vec<Uuid>>>>;
    /// Leases up to `limit` due deliveries of enabled webhooks, at most `per_webhook` of each
    /// and none of the webhooks in `skip`, until `lease_until_ms`. An expired lease is due again.
    async fn claim_due(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
        per_webhook: i64,
        skip: &[Uuid],
    ) -> StoreResult<Vec<ClaimedDelivery>>;
    /// Stores attempts and moves their deliveries on, in one transaction; keeps each webhook's
    /// failing streak and disables the ones `policy` condemns, returning their ids.
    async fn record_attempts(
        &self,
        attempts: &[AttemptRecord],
        policy: &AutoDisable,
    ) -> StoreResult<Vec<Uuid>>;
    /// When the next delivery of an enabled webhook falls due, if any.
    async fn next_due_ms(&self) -> StoreResult<Option<i64>>;
    /// Fails (`E_EXPIRED`) up to `limit` deliveries waiting for a disabled webhook since before
    /// `due_before_ms`; returns how many.
    async fn expire_waiting(&self, due_before_ms: i64, limit: i64) -> StoreResult<u64>;
}

/// The key that makes webhook names unique regardless of case.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

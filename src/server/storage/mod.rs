//! Storage behind one trait. SQLite is the embedded default; other databases implement the same trait.

mod lookups;
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
    /// The feedback events it receives.
    pub events: Vec<crate::model::feedback::FeedbackStatus>,
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

/// What routing a feedback event to a webhook reads: whether it is enabled and its channels and
/// event filter.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookRoute {
    pub id: Uuid,
    pub enabled: bool,
    pub email: bool,
    pub sms: bool,
    pub events: Vec<crate::model::feedback::FeedbackStatus>,
}

impl WebhookRoute {
    /// Whether the webhook takes an event: enabled, with the channel and the event.
    pub fn receives(
        &self,
        channel: crate::model::Channel,
        status: crate::model::feedback::FeedbackStatus,
    ) -> bool {
        let channel = match channel {
            crate::model::Channel::Email => self.email,
            crate::model::Channel::Sms => self.sms,
        };
        self.enabled && channel && self.events.contains(&status)
    }
}

/// A feedback event to deliver, with its exact JSON body.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub sandbox_id: Uuid,
    pub event_type: String,
    pub channel: String,
    pub request_id: String,
    pub message_execution_id: String,
    /// Empty when no webhook receives the event.
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
    /// The request headers as sent, secret values already masked.
    pub request_headers: Vec<(String, String)>,
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

/// A campaign as written by a save.
#[derive(Clone, Debug, PartialEq)]
pub struct CampaignWrite {
    pub name: String,
    pub channel: crate::model::Channel,
    pub status: crate::model::campaign::CampaignStatus,
    pub content: crate::model::campaign::CampaignContent,
    /// Changes whenever the content does.
    pub version_id: String,
    pub webhook_enabled: bool,
    pub webhook_id: Option<Uuid>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CampaignRecord {
    pub id: Uuid,
    pub sandbox_id: Uuid,
    pub settings: CampaignWrite,
    /// The routing settings of `settings.webhook_id` (whether or not activated), if it exists.
    pub webhook_route: Option<WebhookRoute>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// An API credential: the key is public, the token is kept only as its hash.
#[derive(Clone, Debug, PartialEq)]
pub struct CredentialRecord {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub ims_org: String,
    pub name: String,
    pub api_key: String,
    pub token_hash: String,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

/// An accepted execution request with its messages and the provider outcomes they will report.
#[derive(Clone, Debug, PartialEq)]
pub struct NewExecution {
    pub id: Uuid,
    pub sandbox_id: Uuid,
    pub campaign_id: Uuid,
    pub request_id: String,
    pub created_by: String,
    /// The 202 body, answered again to a replay.
    pub response: String,
    pub messages: Vec<NewMessageExecution>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewMessageExecution {
    /// The `messageExecutionID`.
    pub id: String,
    pub recipient_type: String,
    pub user_id: String,
    pub namespace: String,
    pub address: String,
    pub campaign_version_id: String,
    /// The rendered message as JSON.
    pub content: String,
    pub outcomes: Vec<NewOutcome>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewOutcome {
    pub status: crate::model::feedback::FeedbackStatus,
    /// The payload's `messageFailure` (stored as JSON).
    pub failure: Option<crate::model::feedback::MessageFailure>,
    pub retry_count: u32,
    pub due_at_ms: i64,
    /// An outcome already due when its execution is stored (the provider's synchronous answer)
    /// is emitted in that same transaction: its feedback event, with deliveries for these
    /// webhooks, is written with the execution, and the outcome itself is not queued.
    pub emit_now: Option<(NewEvent, Vec<Uuid>)>,
}

/// Whether an execution was stored now or had been already (a replayed `requestId`).
#[derive(Clone, Debug, PartialEq)]
pub enum ExecutionStored {
    Created,
    /// The stored answer to the first request.
    Replayed {
        response: String,
    },
}

/// A provider outcome that is due, with what its feedback event needs.
#[derive(Clone, Debug, PartialEq)]
pub struct DueOutcome {
    pub id: i64,
    pub status: String,
    pub failure: Option<String>,
    pub retry_count: i64,
    pub message_execution_id: String,
    pub address: String,
    pub campaign_version_id: String,
    pub request_id: String,
    pub campaign_id: Uuid,
    pub channel: String,
    pub sandbox_id: Uuid,
    pub sandbox_name: String,
    pub ims_org: String,
    pub webhook_enabled: bool,
    pub webhook_id: Option<Uuid>,
}

/// A delivery as its history shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryRecord {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event_type: String,
    pub channel: String,
    pub request_id: String,
    pub message_execution_id: String,
    /// pending, succeeded or failed.
    pub state: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub next_attempt_at_ms: Option<i64>,
    pub last_attempt_at_ms: Option<i64>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AttemptRow {
    pub attempt: i64,
    pub started_at_ms: i64,
    pub duration_ms: i64,
    pub status: Option<i64>,
    pub error_code: Option<String>,
    pub request_headers: Vec<(String, String)>,
    pub response_headers: Vec<(String, String)>,
    pub body_excerpt: String,
}

/// A stored execution with its messages, their events and those events' deliveries.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionRecord {
    pub id: Uuid,
    pub request_id: String,
    pub created_at_ms: i64,
    pub messages: Vec<MessageRecord>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MessageRecord {
    pub id: String,
    pub namespace: String,
    pub address: String,
    /// Oldest first.
    pub events: Vec<MessageEventRecord>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MessageEventRecord {
    pub event_type: String,
    pub created_at_ms: i64,
    /// (delivery id, stored state, attempts).
    pub deliveries: Vec<(Uuid, String, i64)>,
}

/// A webhook's health inputs: statistics cells and its last error.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HealthData {
    pub cells: Vec<(Uuid, crate::model::history::StatsCell)>,
    /// (webhook, error, at ms).
    pub last_errors: Vec<(Uuid, String, i64)>,
}

/// What retention removed in one batch.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Pruned {
    pub events: u64,
    pub executions: u64,
}

/// A page of deliveries, newest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeliveryList {
    pub records: Vec<DeliveryRecord>,
    /// Set when a filter that no index serves looked through its whole budget of rows before
    /// filling the page: the next page starts before this `(created_at, id)`. Every page
    /// thus costs at most one budget, even when nothing matches.
    pub resume_before: Option<(i64, Uuid)>,
}

impl DeliveryList {
    /// Where the page after this one (of at most `limit` rows) starts, if anything may be left.
    pub fn next_before(&self, limit: i64) -> Option<(i64, Uuid)> {
        if self.records.len() as i64 >= limit {
            self.records.last().map(|r| (r.created_at_ms, r.id))
        } else {
            self.resume_before
        }
    }
}

/// Which deliveries a list shows, newest first; `before` continues after the last row seen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeliveryFilter {
    pub webhook_id: Option<Uuid>,
    pub state: Option<crate::model::history::DeliveryState>,
    pub event_type: Option<String>,
    pub channel: Option<String>,
    /// Created at or after (ms).
    pub since_ms: Option<i64>,
    /// Created before (ms).
    pub until_ms: Option<i64>,
    /// A requestId, messageExecutionID or recipient address, matched exactly.
    pub search: Option<String>,
    /// (created_at, id) of the last row of the previous page.
    pub before: Option<(i64, Uuid)>,
    pub limit: i64,
    /// Rows a filter that no index serves may look through for this page; 0: the store's own.
    pub scan_budget: i64,
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
    /// The routing settings of a webhook of the sandbox (one cheap read, for the outcome
    /// dispatcher; the execution path gets them with the campaign).
    async fn webhook_route(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<WebhookRoute>>;

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

    /// The organization's sandboxes, by name.
    async fn list_sandboxes(&self, organization_id: Uuid) -> StoreResult<Vec<SandboxRef>>;
    /// Refused with `Duplicate` when the organization has a sandbox of that name.
    async fn create_sandbox(&self, organization_id: Uuid, name: &str) -> StoreResult<SandboxRef>;
    /// A sandbox of the organization, by name.
    async fn sandbox_by_name(
        &self,
        organization_id: Uuid,
        name: &str,
    ) -> StoreResult<Option<SandboxRef>>;

    /// Newest first by last update.
    async fn list_campaigns(&self, sandbox_id: Uuid) -> StoreResult<Vec<CampaignRecord>>;
    async fn campaign(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<CampaignRecord>>;
    /// Refused with `Duplicate` when the sandbox has a campaign of that name in any case.
    async fn create_campaign(
        &self,
        sandbox_id: Uuid,
        campaign: &CampaignWrite,
    ) -> StoreResult<CampaignRecord>;
    async fn update_campaign(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        campaign: &CampaignWrite,
    ) -> StoreResult<CampaignRecord>;

    async fn create_credential(
        &self,
        organization_id: Uuid,
        name: &str,
        api_key: &str,
        token_hash: &str,
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
    async fn revoke_credential(&self, organization_id: Uuid, id: Uuid) -> StoreResult<bool>;
    /// Notes a use, at most once a minute per credential.
    async fn touch_credential(&self, id: Uuid, now_ms: i64) -> StoreResult<()>;

    /// Stores the execution, its messages and their provider outcomes in one transaction, or
    /// answers the stored response when the campaign already had this `requestId`.
    async fn store_execution(&self, execution: &NewExecution) -> StoreResult<ExecutionStored> {
        self.store_executions(std::slice::from_ref(execution))
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }
    /// Several executions in one transaction (group commit); the outer error means none was stored.
    async fn store_executions(
        &self,
        executions: &[NewExecution],
    ) -> StoreResult<Vec<ExecutionStored>>;
    /// Up to `limit` outcomes due by `now_ms` and not emitted yet, oldest first.
    async fn due_outcomes(&self, now_ms: i64, limit: i64) -> StoreResult<Vec<DueOutcome>>;
    /// Stores the feedback events of due outcomes, `(outcome id, event, webhooks)`, with their
    /// deliveries, and marks those outcomes emitted, with the `set_aside` ones (malformed: they
    /// can never become an event), in one transaction: each outcome is emitted exactly once.
    async fn emit_outcomes(
        &self,
        events: &[(i64, NewEvent, Vec<Uuid>)],
        set_aside: &[i64],
    ) -> StoreResult<()>;
    async fn list_deliveries(
        &self,
        sandbox_id: Uuid,
        filter: &DeliveryFilter,
    ) -> StoreResult<DeliveryList>;
    /// A delivery of the sandbox with its attempts (oldest first) and its payload.
    async fn delivery(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<(DeliveryRecord, String, Vec<AttemptRow>)>>;
    /// When the next outcome not yet emitted falls due.
    async fn next_outcome_due_ms(&self) -> StoreResult<Option<i64>>;

    /// Queues a delivery of the sandbox for an attempt now (same delivery, so the same
    /// `webhook-id`). `None`: no such delivery.
    async fn resend_delivery(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        now_ms: i64,
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
    ) -> StoreResult<u64>;
    /// Turns a webhook of the sandbox back on, clearing its disabled reason and failing streak.
    async fn enable_webhook(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<bool>;
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
    /// Removes up to `limit` events created before `before_ms` whose deliveries are all
    /// finished (with those deliveries and attempts), up to `limit` executions as old, and
    /// statistics older than that. Small batches: the writer is held briefly.
    async fn prune(&self, before_ms: i64, limit: i64) -> StoreResult<Pruned>;
}

/// The key that makes webhook names unique regardless of case.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

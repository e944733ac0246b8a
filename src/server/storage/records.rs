//! The records the storage traits take and return: plain data, no database types.

use uuid::Uuid;

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
    /// `invited`, `active` or `disabled` (see `model::UserStatus`).
    pub status: String,
    /// The language they chose for the interface (`en`, `fr`), if they chose one.
    pub language: Option<String>,
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

/// New deliveries the writing instance sends itself, at once: the delivery engine holds room
/// for up to `room` of each webhook's, and those are written already claimed, until `until`,
/// and come back with the write ([`Written`]), so no claim has to look for them (at everyday
/// rates a claim and its next-due read were two of a call's four database round trips). The
/// rest are written due now, for the claim loop. The default hands nothing off.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Handoff {
    pub until: i64,
    /// Webhook id, and how many of its new deliveries to hand off.
    pub room: Vec<(Uuid, usize)>,
}

impl Handoff {
    /// The room left once `taken` are handed off.
    pub fn less(&self, taken: &[ClaimedDelivery]) -> Handoff {
        let room = self
            .room
            .iter()
            .map(|(webhook, room)| {
                let used = taken.iter().filter(|d| d.webhook_id == *webhook).count();
                (*webhook, room.saturating_sub(used))
            })
            .collect();
        Handoff {
            until: self.until,
            room,
        }
    }
}

/// What a write that creates deliveries answers: its own answer, and the deliveries it wrote
/// claimed for the writing instance (see [`Handoff`]).
#[derive(Debug)]
pub struct Written<T> {
    pub answer: T,
    pub handed_off: Vec<ClaimedDelivery>,
}

/// A due delivery handed to a worker until `claimed_until`.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimedDelivery {
    pub id: Uuid,
    pub event_id: Uuid,
    pub webhook_id: Uuid,
    pub sandbox_id: Uuid,
    /// The webhook's `updated_at`: prepared settings are reused while it is unchanged.
    pub webhook_version: i64,
    /// The claim it is handed under: the end of its lease, which every new claim of the
    /// delivery moves later (a delivery is claimed again only once its lease has ended), so it
    /// tells this claim from every other.
    pub claim: i64,
    pub attempts: i64,
    pub payload: String,
}

/// What a claim leaves out: webhooks and sandboxes holding their share of the deliveries in
/// flight already.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClaimSkip {
    pub webhooks: Vec<Uuid>,
    pub sandboxes: Vec<Uuid>,
}

impl ClaimSkip {
    pub fn is_empty(&self) -> bool {
        self.webhooks.is_empty() && self.sandboxes.is_empty()
    }
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
    /// The claim it was made under ([`ClaimedDelivery::claim`]): it is written only while
    /// that claim is still the delivery's current one, so a late result never overwrites a
    /// newer claim's nor moves a finished delivery back.
    pub claim: i64,
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
    /// The entry each webhook turned off gets, in the log of its organization, naming it.
    pub audit: AuditRecord,
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
    pub scopes: Vec<crate::model::credential::Scope>,
    pub expires_at_ms: Option<i64>,
}

impl CredentialRecord {
    /// Whether it may still be used at `now_ms`: not revoked, not expired.
    pub fn active_at(&self, now_ms: i64) -> bool {
        self.revoked_at_ms.is_none() && self.expires_at_ms.is_none_or(|at| now_ms < at)
    }
}

/// A credential to create: the token only as its hash.
#[derive(Clone, Debug, PartialEq)]
pub struct CredentialWrite {
    pub name: String,
    pub api_key: String,
    pub token_hash: String,
    pub scopes: Vec<crate::model::credential::Scope>,
    pub expires_at_ms: Option<i64>,
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

/// The delivery queue at one moment, of a sandbox or of everything. Each count stops at the
/// cap it was read with (so reading it costs at most that many rows).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QueueState {
    /// Pending deliveries of enabled webhooks whose time has come (an ended lease included).
    pub due: u64,
    /// When the longest-waiting of them fell due (ms).
    pub oldest_due_ms: Option<i64>,
    /// Claimed by a worker under a lease that has not ended.
    pub in_flight: u64,
    /// Waiting for a later attempt (after a failure, or `Retry-After`).
    pub retrying: u64,
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

/// Where the database keeps a sealed value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealedPlace {
    JwtKey,
    SigningSecret,
    PreviousSigningSecret,
    HeaderValue { header: Uuid },
}

/// One sealed value as stored, with the webhook it belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct SealedValue {
    pub webhook_id: Uuid,
    pub place: SealedPlace,
    pub sealed: Vec<u8>,
}

impl SealedValue {
    /// The field it is sealed for (a previous signing secret was sealed as the current one).
    pub fn field(&self) -> crate::server::crypto::SealedField {
        use crate::server::crypto::SealedField;
        let webhook = self.webhook_id;
        match self.place {
            SealedPlace::JwtKey => SealedField::JwtKey { webhook },
            SealedPlace::SigningSecret | SealedPlace::PreviousSigningSecret => {
                SealedField::SigningSecret { webhook }
            }
            SealedPlace::HeaderValue { header } => SealedField::HeaderValue { webhook, header },
        }
    }
}

/// A value sealed again, in the same place, with the fingerprint that goes with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Resealed {
    pub webhook_id: Uuid,
    pub place: SealedPlace,
    pub sealed: Vec<u8>,
    pub fingerprint: String,
}

/// A user as the users page lists them.
#[derive(Clone, Debug)]
pub struct UserListing {
    pub user: UserRecord,
    pub created_at_ms: i64,
    pub last_sign_in_at_ms: Option<i64>,
    /// The email of who invited them, while that user exists.
    pub created_by: Option<String>,
}

/// An invited user (no password yet) with their one-time link.
#[derive(Clone, Debug)]
pub struct NewInvitation {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub email: String,
    pub role: String,
    pub created_by: Uuid,
    pub link: NewLink,
}

/// A one-time link that sets a password: only the token's hash is stored.
#[derive(Clone, Debug)]
pub struct NewLink {
    pub token_hash: String,
    pub purpose: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

/// What an administrator does to another user of the organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserChange {
    SetRole(crate::model::Role),
    Disable,
    Enable,
    Remove,
}

/// How a [`UserChange`] went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserChanged {
    Done,
    /// No such user in the organization.
    NotFound,
    /// It would leave the organization without an active administrator.
    LastAdmin,
}

/// A stored session, with what the session layer's record says about whose it is.
#[derive(Clone, Debug)]
pub struct SessionRow {
    pub id: String,
    pub handle: String,
    pub user_id: Option<Uuid>,
    pub data: Vec<u8>,
    pub expires_at_ms: i64,
    pub signed_in_at_ms: Option<i64>,
    pub seen_at_ms: Option<i64>,
    pub address: Option<String>,
    pub agent: Option<String>,
}

/// A signed-in session as its owner sees it in the list of their sessions.
#[derive(Clone, Debug)]
pub struct SessionSummary {
    pub handle: String,
    pub signed_in_at_ms: Option<i64>,
    pub seen_at_ms: Option<i64>,
    pub address: Option<String>,
    pub agent: Option<String>,
}

/// An entry of the audit log to append: `changes` is the JSON of its field changes.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRecord {
    pub organization_id: Uuid,
    pub at_ms: i64,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub address: Option<String>,
    pub action: String,
    pub object_kind: String,
    pub object_id: Option<String>,
    pub object_name: String,
    pub changes: String,
}

impl AuditRecord {
    /// The entry of an object the store creates and names: the id it gives, unless the entry
    /// names one already.
    pub fn naming(&self, id: Uuid) -> AuditRecord {
        AuditRecord {
            object_id: self.object_id.clone().or_else(|| Some(id.to_string())),
            ..self.clone()
        }
    }
}

/// A stored entry, with its place in the log.
#[derive(Clone, Debug)]
pub struct StoredAudit {
    pub id: i64,
    pub record: AuditRecord,
}

/// Which entries of an organization's log to read; every filter is optional.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor_name: Option<String>,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    pub action: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Only entries older than this one (the keyset cursor).
    pub before_id: Option<i64>,
}

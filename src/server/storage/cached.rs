//! The execution API's hot reads kept in memory, as a decorator over any store: the caller's
//! credential and the campaign with its webhook's routing are read through [`Lookups`], and
//! every write that could change a kept answer moves its generation on, here, once for every
//! backend. A backend thus cannot forget an invalidation.

use super::lookups::Lookups;
use super::*;

/// A store whose API lookups are kept in memory.
pub struct Cached<S> {
    inner: S,
    lookups: Lookups,
}

impl<S: Store> Cached<S> {
    pub fn new(inner: S) -> Cached<S> {
        Cached {
            inner,
            lookups: Lookups::default(),
        }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Another instance sharing the database changed what kept answers depend on.
    pub fn changed_elsewhere(&self) {
        self.lookups.changed();
    }

    /// Runs a write, then drops the kept answers whatever its result: a failed write may still
    /// have changed something (a batch partly written before its error surfaced).
    async fn changing<T>(&self, write: impl std::future::Future<Output = T>) -> T {
        let result = write.await;
        self.lookups.changed();
        result
    }
}

/// Implements a role trait for `Cached`: methods under `pass` only pass through (the kept
/// answers do not depend on what they read or write), methods under `change` may change a kept
/// answer; the rest are written out. (One `#[async_trait]` impl per trait: the attribute must see
/// every method.)
macro_rules! decorate {
    ($role:ident {
        pass { $(fn $pass:ident(&self $(, $pass_arg:ident: $pass_ty:ty)*) -> $pass_ret:ty;)* }
        change { $(fn $change:ident(&self $(, $change_arg:ident: $change_ty:ty)*) -> $change_ret:ty;)* }
        $($own:tt)*
    }) => {
        #[async_trait]
        impl<S: Store> $role for Cached<S> {
            $(
                async fn $pass(&self $(, $pass_arg: $pass_ty)*) -> $pass_ret {
                    self.inner.$pass($($pass_arg),*).await
                }
            )*
            $(
                async fn $change(&self $(, $change_arg: $change_ty)*) -> $change_ret {
                    self.changing(self.inner.$change($($change_arg),*)).await
                }
            )*
            $($own)*
        }
    };
}

decorate! {TenancyStore {
    pass {
        fn list_sandboxes(&self, organization_id: Uuid) -> StoreResult<Vec<SandboxRef>>;
        fn sandbox_by_name(&self, organization_id: Uuid, name: &str) -> StoreResult<Option<SandboxRef>>;
        fn user_count(&self) -> StoreResult<i64>;
        fn create_user(&self, user: NewUser) -> StoreResult<UserRecord>;
        fn create_first_user(&self, user: NewUser, audit: &AuditRecord) -> StoreResult<Option<UserRecord>>;
        fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>>;
        fn user_by_id(&self, id: Uuid) -> StoreResult<Option<UserRecord>>;
        fn list_credentials(&self, organization_id: Uuid) -> StoreResult<Vec<CredentialRecord>>;
        fn count_login_attempt(&self, key: &str, now_ms: i64, window_ms: i64) -> StoreResult<(i64, i64)>;
        fn forgive_login_attempt(&self, key: &str) -> StoreResult<()>;
        fn clear_login_attempts(&self, key: &str) -> StoreResult<()>;
    }
    change {
        fn ensure_sandbox(&self, ims_org: &str, sandbox: &str) -> StoreResult<SandboxRef>;
        fn create_sandbox(&self, organization_id: Uuid, name: &str, audit: &AuditRecord) -> StoreResult<SandboxRef>;
        fn create_credential(&self, organization_id: Uuid, credential: &CredentialWrite, audit: &AuditRecord) -> StoreResult<CredentialRecord>;
        fn revoke_credential(&self, organization_id: Uuid, id: Uuid, audit: &AuditRecord) -> StoreResult<bool>;
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
        let caller = self.inner.caller(api_key, sandbox_name).await?;
        if let Some(caller) = &caller {
            self.lookups
                .keep_caller(read_in, api_key, sandbox_name, caller);
        }
        Ok(caller)
    }

    /// A noted use changes only the kept callers' last use, which they are updated with.
    async fn touch_credential(&self, id: Uuid, now_ms: i64) -> StoreResult<()> {
        self.inner.touch_credential(id, now_ms).await?;
        self.lookups.touched(id, now_ms);
        Ok(())
    }
}}

decorate! {UserStore {
    pass {
        fn list_users(&self, organization_id: Uuid) -> StoreResult<Vec<UserListing>>;
        fn invite_user(&self, invitation: &NewInvitation, audit: &AuditRecord) -> StoreResult<UserRecord>;
        fn replace_user_link(&self, organization_id: Uuid, user_id: Uuid, link: &NewLink, audit: &AuditRecord) -> StoreResult<bool>;
        fn user_link(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<(String, UserRecord)>>;
        fn use_user_link(&self, token_hash: &str, password_hash: &str, now_ms: i64, audit: &AuditRecord) -> StoreResult<Option<UserRecord>>;
        fn change_user(&self, organization_id: Uuid, user_id: Uuid, change: UserChange, audit: &AuditRecord) -> StoreResult<UserChanged>;
        fn set_password(&self, user_id: Uuid, password_hash: &str, keep: Option<&str>, audit: &AuditRecord) -> StoreResult<()>;
        fn set_language(&self, user_id: Uuid, language: Option<&str>, audit: &AuditRecord) -> StoreResult<()>;
        fn note_sign_in(&self, user_id: Uuid, now_ms: i64, audit: &AuditRecord) -> StoreResult<()>;
        fn insert_session(&self, row: &SessionRow) -> StoreResult<bool>;
        fn update_session(&self, row: &SessionRow) -> StoreResult<()>;
        fn load_session(&self, id: &str, now_ms: i64) -> StoreResult<Option<Vec<u8>>>;
        fn delete_session(&self, id: &str) -> StoreResult<()>;
        fn delete_expired_sessions(&self, now_ms: i64) -> StoreResult<u64>;
        fn sessions_of(&self, user_id: Uuid, now_ms: i64) -> StoreResult<Vec<SessionSummary>>;
        fn end_session_of(&self, user_id: Uuid, handle: &str) -> StoreResult<bool>;
        fn end_sessions_of(&self, user_id: Uuid, keep: Option<&str>) -> StoreResult<u64>;
    }
    change {}
}}

decorate! {AuditStore {
    pass {
        fn append_audit(&self, entry: &AuditRecord) -> StoreResult<()>;
        fn list_audit(&self, organization_id: Uuid, filter: &AuditFilter, limit: i64) -> StoreResult<Vec<StoredAudit>>;
        fn delete_old_audit(&self, cutoff_ms: i64, limit: i64) -> StoreResult<u64>;
    }
    change {}
}}

decorate! {WebhookStore {
    pass {
        fn list_webhooks(&self, sandbox_id: Uuid) -> StoreResult<Vec<WebhookRecord>>;
        fn webhook(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<WebhookRecord>>;
        fn webhook_by_id(&self, id: Uuid) -> StoreResult<Option<WebhookRecord>>;
        fn webhook_route(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<WebhookRoute>>;
        fn set_signing_secret(&self, sandbox_id: Uuid, id: Uuid, signing: Option<&StoredSigning>, audit: &AuditRecord) -> StoreResult<bool>;
        fn sealed_values(&self) -> StoreResult<Vec<SealedValue>>;
        fn reseal(&self, values: &[Resealed]) -> StoreResult<()>;
    }
    change {
        fn create_webhook(&self, sandbox_id: Uuid, id: Uuid, webhook: &WebhookWrite, audit: &AuditRecord) -> StoreResult<WebhookRecord>;
        fn update_webhook(&self, sandbox_id: Uuid, id: Uuid, webhook: &WebhookWrite, audit: &AuditRecord) -> StoreResult<WebhookRecord>;
        fn delete_webhook(&self, sandbox_id: Uuid, id: Uuid, audit: &AuditRecord) -> StoreResult<bool>;
        fn disable_webhook(&self, id: Uuid, reason: &str, audit: &AuditRecord) -> StoreResult<()>;
        fn enable_webhook(&self, sandbox_id: Uuid, id: Uuid, audit: &AuditRecord) -> StoreResult<bool>;
    }
}}

decorate! {CampaignStore {
    pass {
        fn list_campaigns(&self, sandbox_id: Uuid) -> StoreResult<Vec<CampaignRecord>>;
        fn store_executions(&self, executions: &[NewExecution], handoff: &Handoff) -> StoreResult<Written<Vec<ExecutionStored>>>;
        fn due_outcomes(&self, now_ms: i64, limit: i64) -> StoreResult<Vec<DueOutcome>>;
        fn emit_outcomes(&self, events: &[(i64, NewEvent, Vec<Uuid>)], set_aside: &[i64], handoff: &Handoff) -> StoreResult<Vec<ClaimedDelivery>>;
        fn next_outcome_due_ms(&self) -> StoreResult<Option<i64>>;
    }
    change {
        fn create_campaign(&self, sandbox_id: Uuid, id: Uuid, campaign: &CampaignWrite, audit: &AuditRecord) -> StoreResult<CampaignRecord>;
        fn update_campaign(&self, sandbox_id: Uuid, id: Uuid, campaign: &CampaignWrite, audit: &AuditRecord) -> StoreResult<CampaignRecord>;
    }

    async fn campaign(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<CampaignRecord>> {
        if let Some(kept) = self.lookups.campaign(sandbox_id, id) {
            return Ok(Some(kept));
        }
        let read_in = self.lookups.generation();
        let campaign = self.inner.campaign(sandbox_id, id).await?;
        if let Some(campaign) = &campaign {
            self.lookups.keep_campaign(read_in, campaign);
        }
        Ok(campaign)
    }
}}

decorate! {OutboxStore {
    pass {
        fn enqueue_events(&self, batch: &[(NewEvent, Vec<Uuid>)], handoff: &Handoff) -> StoreResult<Written<Vec<StoreResult<Vec<Uuid>>>>>;
        fn claim_due(&self, now_ms: i64, lease_until_ms: i64, limit: i64, per_webhook: i64, skip: &ClaimSkip) -> StoreResult<Vec<ClaimedDelivery>>;
        fn release_claims(&self, claims: &[(Uuid, i64)], now_ms: i64) -> StoreResult<u64>;
        fn next_due_ms(&self) -> StoreResult<Option<i64>>;
        fn expire_waiting(&self, due_before_ms: i64, limit: i64) -> StoreResult<u64>;
    }
    change {}

    /// Webhooks disabled for failing change the routing kept with campaigns.
    async fn record_attempts(
        &self,
        attempts: &[AttemptRecord],
        policy: &AutoDisable,
    ) -> StoreResult<Vec<Uuid>> {
        let disabled = self.inner.record_attempts(attempts, policy).await?;
        if !disabled.is_empty() {
            self.lookups.changed();
        }
        Ok(disabled)
    }
}}

decorate! {HistoryStore {
    pass {
        fn list_deliveries(&self, sandbox_id: Uuid, filter: &DeliveryFilter) -> StoreResult<DeliveryList>;
        fn delivery(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<(DeliveryRecord, String, Vec<AttemptRow>)>>;
        fn resend_delivery(&self, sandbox_id: Uuid, id: Uuid, now_ms: i64, audit: &AuditRecord) -> StoreResult<Option<crate::model::history::ResendOutcome>>;
        fn count_failed_since(&self, sandbox_id: Uuid, webhook_id: Uuid, since_ms: i64) -> StoreResult<u64>;
        fn resend_failed_since(&self, sandbox_id: Uuid, webhook_id: Uuid, since_ms: i64, limit: i64, now_ms: i64, audit: &AuditRecord) -> StoreResult<u64>;
        fn health_data(&self, sandbox_id: Uuid, webhook_id: Option<Uuid>, from_hour_ms: i64) -> StoreResult<HealthData>;
        fn list_executions(&self, sandbox_id: Uuid, campaign_id: Uuid, before: Option<(i64, Uuid)>, limit: i64) -> StoreResult<Vec<ExecutionRecord>>;
        fn prune(&self, before_ms: i64, limit: i64) -> StoreResult<Pruned>;
        fn queue_state(&self, sandbox_id: Option<Uuid>, now_ms: i64, cap: i64) -> StoreResult<QueueState>;
        fn disabled_webhook_count(&self) -> StoreResult<u64>;
    }
    change {}
}}

//! The delivery engine, a pipeline of three stages that never wait for one another:
//!
//! 1. the claim loop leases due deliveries (at most `per_webhook_limit` per webhook at a time,
//!    and a sandbox at most a quarter of all in flight)
//!    and starts one task each, while earlier ones are still in flight;
//! 2. each task sends its request under the webhook's concurrency limit (never inside a
//!    database transaction);
//! 3. the recorder writes finished attempts in batches (group commit; see `recorder`).
//!
//! New work wakes the claim loop at once; otherwise it sleeps until the next delivery falls due.
//! A fourth loop expires deliveries waiting for disabled webhooks and prunes old history.
//!
//! Stopping (`stop`) ends claiming, lets the requests in flight finish within a grace period,
//! has the recorder write every finished attempt, and makes what was claimed but not sent due
//! again at once, so another instance or the next start sends it without waiting for a lease.

use crate::model::message::{Message, Span};
use crate::model::JwtAlgorithm;
use crate::server::backoff::Backoff;
use crate::server::crypto::{SealedField, SecretBox};
use crate::server::delivery::client::DeliveryClient;
use crate::server::delivery::outcome::{AttemptError, AttemptResult};
use crate::server::delivery::recorder::{self, AttemptWriter, Finished};
use crate::server::delivery::retry::RetrySchedule;
use crate::server::delivery::signing::{signing_key, webhook_signature, JwtSigner};
use crate::server::group_commit::GroupCommit;
use crate::server::metrics::Metrics;
use crate::server::storage::*;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

/// Most deliveries one claim takes.
const CLAIM_BATCH: i64 = 256;
/// A webhook may have this many times its concurrency limit claimed, so a fast endpoint never
/// waits for the next claim. The lease check before each send keeps this safe for slow ones.
const CLAIM_AHEAD: usize = 8;
/// No request starts unless it would end (15 s timeout and a margin) before its lease does; a
/// lease shorter than that (tests) allows three quarters of itself.
const REQUEST_BUDGET_MS: i64 = 16_000;
/// Most deliveries claimed and not yet finished, all webhooks together.
const MAX_IN_FLIGHT: usize = 4096;
/// Most of them one sandbox holds: a tenant whose endpoints all hang holds a quarter of the
/// engine, and the other tenants' deliveries are claimed and sent beside them.
const SANDBOX_SHARE: usize = MAX_IN_FLIGHT / 4;
/// The recorder's first pause after a failed write.
const RECORDER_FIRST_PAUSE: Duration = Duration::from_millis(50);
/// How long a stop waits for the recorder to write what the sends finished; a database away
/// that long means those deliveries are sent again after the restart.
const FLUSH_WAIT: Duration = Duration::from_secs(5);
/// Events (or executions) removed by one retention statement, and the most statements per
/// maintenance round; the pause between them lets delivery writes through.
const PRUNE_BATCH: i64 = 500;
const PRUNE_ROUNDS: usize = 40;
const PRUNE_PAUSE: Duration = Duration::from_millis(20);

/// The engine's tuning, from configuration.
#[derive(Clone, Debug)]
pub struct EngineSettings {
    pub schedule: RetrySchedule,
    /// How long a claimed delivery belongs to its worker; longer than any attempt.
    pub lease: Duration,
    pub per_webhook_limit: usize,
    /// A webhook with no success for this long is disabled.
    pub disable_after_failing: Duration,
    /// Deliveries waiting for a disabled webhook this long fail as expired.
    pub expire_waiting_after: Duration,
    /// History older than this is pruned.
    pub retention: Duration,
    /// The longest sleep without looking at the queue: the backstop for work no wake-up told
    /// of (another process on the same SQLite file, a notification lost).
    pub poll: Duration,
    /// Whether this instance sends (runs the claim loop): only then are new deliveries handed
    /// off to it; a `web` instance leaves every delivery to the workers.
    pub sends_here: bool,
}

impl EngineSettings {
    /// How often expired waiting deliveries and old history are looked for: often enough for
    /// short test settings, at most once a minute.
    fn maintenance_every(&self) -> Duration {
        (self.expire_waiting_after.min(self.retention) / 4)
            .clamp(Duration::from_millis(10), Duration::from_secs(60))
    }

    fn auto_disable(&self, now: i64) -> AutoDisable {
        let reason = Message::DisabledFailing {
            span: Span::of(self.disable_after_failing),
        }
        .to_query();
        AutoDisable {
            failing_since_before_ms: now - self.disable_after_failing.as_millis() as i64,
            audit: disabling_entry(&reason),
            reason,
        }
    }
}

/// The audit entry of a webhook the engine turns off, for the store to write with the webhook's
/// organization, id and name; `reason` as the webhook keeps it (a message).
fn disabling_entry(reason: &str) -> crate::server::storage::AuditRecord {
    use crate::server::audit::enabled_fields;
    crate::server::audit::entry(
        Uuid::nil(),
        &crate::server::audit::Actor::system(),
        "webhook.disabled_automatically",
        crate::server::audit::Object {
            kind: "webhook",
            id: None,
            name: "",
        },
        &crate::model::audit::diff(
            Some(&enabled_fields(true, None)),
            Some(&enabled_fields(false, Some(reason))),
        ),
    )
}

#[derive(Clone)]
pub struct DeliveryEngine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    client: DeliveryClient,
    settings: EngineSettings,
    secrets: SecretBox,
    metrics: Arc<Metrics>,
    /// New work, a freed slot, or a retry scheduled: the claim loop looks again.
    wake: Arc<Notify>,
    ingest: GroupCommit<(NewEvent, Vec<Uuid>), Vec<Uuid>>,
    attempts: mpsc::UnboundedSender<Finished>,
    /// The recorder's end of `attempts`, kept across restarts of the recorder.
    finished: tokio::sync::Mutex<mpsc::UnboundedReceiver<Finished>>,
    slots: Mutex<Slots>,
    /// Cancelled by `stop`: no more claims, and no request starts.
    stopping: CancellationToken,
    /// Cancelled when the stop's grace period ends: the requests still running are cut.
    cut: CancellationToken,
    /// Held by the claim loop while it claims and starts what it claimed, so a stop waits for
    /// a claim in progress instead of leaving it unreleased.
    claiming: tokio::sync::Mutex<()>,
    /// The sending tasks.
    sends: TaskTracker,
    /// What was claimed and not sent because the engine stopped: (delivery, claim).
    unsent: Mutex<Vec<(Uuid, i64)>>,
}

/// Room the engine holds for new deliveries being written (see [`DeliveryEngine::reserve`]).
/// Whatever is not handed off is given back when it ends, and the claim loop is woken if some
/// new delivery was left to it.
pub struct Reservation {
    engine: DeliveryEngine,
    handoff: Handoff,
    /// (webhook, sandbox, deliveries) of the room still held.
    held: Vec<(Uuid, Uuid, usize)>,
    left_to_loop: bool,
    /// A stop waits until the write is over and what it handed off has started.
    _stop_waits: Option<tokio_util::task::task_tracker::TaskTrackerToken>,
}

impl Reservation {
    /// What the write is to hand off.
    pub fn handoff(&self) -> &Handoff {
        &self.handoff
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut freed_a_full_slot = false;
        for (webhook, sandbox, count) in self.held.drain(..).filter(|(_, _, count)| *count > 0) {
            freed_a_full_slot |= self.engine.free(webhook, sandbox, count);
        }
        if self.left_to_loop || freed_a_full_slot {
            self.engine.inner.wake.notify_one();
        }
    }
}

/// The deliveries in hand, per webhook and per sandbox.
#[derive(Default)]
struct Slots {
    webhooks: HashMap<Uuid, WebhookSlot>,
    /// Claimed and not yet finished, per sandbox.
    sandboxes: HashMap<Uuid, usize>,
}

/// What the engine keeps per webhook while it has deliveries in hand.
struct WebhookSlot {
    permits: Arc<Semaphore>,
    /// Claimed and not yet finished.
    claimed: usize,
    prepared: Option<CachedWebhook>,
}

struct CachedWebhook {
    version: i64,
    /// When the previous signing secret stops signing: prepare again then.
    stale_at: Option<i64>,
    prepared: Result<Arc<PreparedWebhook>, AttemptError>,
}

impl DeliveryEngine {
    /// Starts the events' group-commit writer; call within the Tokio runtime. The claim loop,
    /// the recorder and maintenance are run by the caller (`run`, `record`, `maintain`).
    pub fn new(
        store: Arc<dyn Store>,
        client: DeliveryClient,
        settings: EngineSettings,
        secrets: SecretBox,
        metrics: Arc<Metrics>,
    ) -> Self {
        let (attempts, finished) = mpsc::unbounded_channel();
        DeliveryEngine {
            inner: Arc::new_cyclic(|engine: &std::sync::Weak<Inner>| Inner {
                ingest: {
                    let engine = engine.clone();
                    GroupCommit::start(move |batch: &[(NewEvent, Vec<Uuid>)]| {
                        let engine = engine.upgrade().map(|inner| DeliveryEngine { inner });
                        Box::pin(async move {
                            let engine = engine.ok_or_else(|| {
                                StoreError::Batch("the delivery engine has stopped".into())
                            })?;
                            engine.write_events(batch).await
                        })
                    })
                },
                store,
                client,
                settings,
                secrets,
                metrics,
                wake: Arc::new(Notify::new()),
                attempts,
                finished: tokio::sync::Mutex::new(finished),
                slots: Mutex::default(),
                stopping: CancellationToken::new(),
                cut: CancellationToken::new(),
                claiming: tokio::sync::Mutex::new(()),
                sends: TaskTracker::new(),
                unsent: Mutex::default(),
            }),
        }
    }

    /// The outbox entry point: the event and its deliveries (one per enabled webhook of its
    /// sandbox among `webhook_ids`) are durable when this returns, and the workers wake at once.
    /// Concurrent callers share one transaction (group commit); each returns only after that
    /// transaction committed.
    pub async fn enqueue(&self, event: &NewEvent, webhook_ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
        self.inner
            .ingest
            .submit((event.clone(), webhook_ids.to_vec()))
            .await
    }

    /// Several events in one transaction, for a caller that already holds a batch; the workers
    /// wake at once.
    pub async fn enqueue_batch(
        &self,
        batch: &[(NewEvent, Vec<Uuid>)],
    ) -> StoreResult<Vec<StoreResult<Vec<Uuid>>>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        self.write_events(batch).await
    }

    /// Writes events and their deliveries, handing off what the engine has room for.
    async fn write_events(
        &self,
        batch: &[(NewEvent, Vec<Uuid>)],
    ) -> StoreResult<Vec<StoreResult<Vec<Uuid>>>> {
        let store = &self.inner.store;
        let events = batch.iter().map(|(event, ids)| (event, ids.as_slice()));
        self.commit_handing_off(events, "events", batch.len(), async |handoff| {
            store.enqueue_events(batch, handoff).await
        })
        .await
    }

    /// One group commit of `writer` (`items` of them) that creates the deliveries of `events`:
    /// reserves room for them, writes (timed for the metrics), and starts what it handed off.
    pub async fn commit_handing_off<'a, T>(
        &self,
        events: impl IntoIterator<Item = (&'a NewEvent, &'a [Uuid])>,
        writer: &'static str,
        items: usize,
        write: impl AsyncFnOnce(&Handoff) -> StoreResult<Written<T>>,
    ) -> StoreResult<T> {
        let reservation = self.reserve(events);
        let written = self
            .inner
            .metrics
            .timed_commit(writer, items, write(reservation.handoff()))
            .await?;
        self.hand_off(reservation, written.handed_off).await;
        Ok(written.answer)
    }

    /// Holds room for the new deliveries of `events` (each event with its webhooks) that this
    /// instance can send at once: a webhook with a connection free, in a sandbox under its
    /// share, the engine under its bound. The write asks for them claimed (see [`Handoff`]);
    /// `hand_off` then starts them. Each new delivery left out falls to the claim loop, woken
    /// once the write is over (when the reservation ends).
    pub fn reserve<'a>(
        &self,
        events: impl IntoIterator<Item = (&'a NewEvent, &'a [Uuid])>,
    ) -> Reservation {
        let mut reservation = Reservation {
            engine: self.clone(),
            handoff: Handoff {
                until: now_ms() + self.inner.settings.lease.as_millis() as i64,
                room: Vec::new(),
            },
            held: Vec::new(),
            left_to_loop: false,
            _stop_waits: None,
        };
        let deliveries = events
            .into_iter()
            .flat_map(|(event, webhook_ids)| webhook_ids.iter().map(|id| (*id, event.sandbox_id)));
        if self.inner.stopping.is_cancelled() || !self.inner.settings.sends_here {
            reservation.left_to_loop = deliveries.count() > 0;
            return reservation;
        }
        // A stop waits for the write, and for the deliveries it hands off to start.
        reservation._stop_waits = Some(self.inner.sends.token());
        let connections = self.inner.settings.per_webhook_limit.max(1);
        let mut slots = self.inner.slots.lock().expect("webhook slots");
        let mut held_in_all: usize = slots.sandboxes.values().sum();
        for (webhook_id, sandbox_id) in deliveries {
            let in_sandbox = slots.sandboxes.get(&sandbox_id).copied().unwrap_or(0);
            let in_webhook = slots
                .webhooks
                .get(&webhook_id)
                .map_or(0, |slot| slot.claimed);
            // Only to a free connection: a webhook with deliveries waiting leaves the new ones
            // to the claim loop, which takes the oldest first.
            if in_webhook >= connections
                || in_sandbox >= SANDBOX_SHARE
                || held_in_all >= MAX_IN_FLIGHT
            {
                reservation.left_to_loop = true;
                continue;
            }
            slots
                .webhooks
                .entry(webhook_id)
                .or_insert_with(|| self.new_slot())
                .claimed += 1;
            *slots.sandboxes.entry(sandbox_id).or_default() += 1;
            held_in_all += 1;
            match reservation
                .held
                .iter_mut()
                .find(|(webhook, sandbox, _)| (*webhook, *sandbox) == (webhook_id, sandbox_id))
            {
                Some((_, _, count)) => *count += 1,
                None => reservation.held.push((webhook_id, sandbox_id, 1)),
            }
        }
        reservation.handoff.room = reservation
            .held
            .iter()
            .map(|(webhook, _, count)| (*webhook, *count))
            .collect();
        reservation
    }

    /// After the write: starts the deliveries it handed off, in the room held for them, and
    /// gives back the rest of the room.
    pub async fn hand_off(&self, mut reservation: Reservation, handed_off: Vec<ClaimedDelivery>) {
        let mut started = Vec::with_capacity(handed_off.len());
        for delivery in handed_off {
            let held = reservation
                .held
                .iter_mut()
                .find(|(webhook, sandbox, count)| {
                    (*webhook, *sandbox) == (delivery.webhook_id, delivery.sandbox_id) && *count > 0
                });
            match held {
                Some((_, _, count)) => {
                    *count -= 1;
                    started.push(delivery);
                }
                // Never so: the write hands off no more than the room. Sent once its lease ends.
                None => {
                    tracing::error!(delivery = %delivery.id, "a delivery was handed off beyond the room held")
                }
            }
        }
        self.launch(started, true).await;
        drop(reservation);
    }

    /// Looks for due work now (after a resend made deliveries due).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Sends `payload` to the webhook once, now, through the same signing and client as real
    /// deliveries, without storing anything: the "Send test event" button.
    pub async fn send_test(&self, webhook_id: Uuid, payload: &str) -> AttemptResult {
        let prepared = match self.prepare(webhook_id).await {
            Ok(prepared) => prepared,
            Err(error) => return AttemptResult::failed(error, Duration::ZERO),
        };
        let test_id = format!("test-{}", Uuid::new_v4());
        match prepared.headers(&test_id, payload.as_bytes()) {
            Ok(headers) => {
                self.inner
                    .client
                    .post(&prepared.url, headers, payload.as_bytes().to_vec())
                    .await
            }
            Err(_) => AttemptResult::failed(AttemptError::Config, Duration::ZERO),
        }
    }

    /// The claim loop, until the engine stops. Expired leases (from a crash) are due again
    /// like any other delivery.
    pub async fn run(self) {
        let mut after_error = Backoff::AFTER_DATABASE_ERROR;
        while !self.inner.stopping.is_cancelled() {
            let (skip, room) = self.capacity();
            if room == 0 {
                self.wait(self.inner.settings.poll).await;
                continue;
            }
            let claiming = self.inner.claiming.lock().await;
            if self.inner.stopping.is_cancelled() {
                break;
            }
            let now = now_ms();
            let lease_until = now + self.inner.settings.lease.as_millis() as i64;
            let (limit, per_webhook) = (CLAIM_BATCH.min(room as i64), self.claim_budget() as i64);
            let claimed = match self
                .inner
                .store
                .claim_due(now, lease_until, limit, per_webhook, &skip)
                .await
            {
                Ok(claimed) => {
                    after_error.succeeded();
                    claimed
                }
                Err(error) => {
                    drop(claiming);
                    let pause = after_error.failed();
                    tracing::error!(%error, retry_in_ms = pause.as_millis() as u64, "claiming deliveries failed");
                    self.wait(pause).await;
                    continue;
                }
            };
            if claimed.is_empty() {
                drop(claiming);
                self.idle(!skip.is_empty()).await;
                continue;
            }
            // Everything due was taken: at everyday rates, looking again at once would only
            // find nothing (one more round trip per call); wait for the next due time instead.
            let all_due =
                crate::server::storage::plan::claimed_all_due(&claimed, limit, per_webhook);
            self.start(claimed).await;
            drop(claiming);
            if all_due {
                self.idle(!skip.is_empty()).await;
            }
        }
        // Stopped for good: returning would have the supervisor start it again.
        std::future::pending::<()>().await
    }

    /// The deliveries this instance holds and has not finished, per webhook.
    pub fn in_flight(&self) -> Vec<(Uuid, usize)> {
        let slots = self.inner.slots.lock().expect("webhook slots");
        slots
            .webhooks
            .iter()
            .filter(|(_, slot)| slot.claimed > 0)
            .map(|(id, slot)| (*id, slot.claimed))
            .collect()
    }

    /// Sleeps up to `most`, or until woken or stopped.
    async fn wait(&self, most: Duration) {
        tokio::select! {
            _ = tokio::time::sleep(most) => {}
            _ = self.inner.wake.notified() => {}
            _ = self.inner.stopping.cancelled() => {}
        }
    }

    /// The maintenance loop: expires deliveries waiting too long for a disabled webhook and
    /// prunes old history, every `maintenance_every`.
    pub async fn maintain(self) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.inner.settings.maintenance_every()) => {}
                _ = self.inner.stopping.cancelled() => std::future::pending::<()>().await,
            }
            self.maintain_once().await;
        }
    }

    /// The recorder: writes finished attempts until the engine is dropped.
    pub async fn record(self) {
        let mut finished = self.inner.finished.lock().await;
        let writer = RecordingStore(self.clone());
        recorder::record(&mut finished, &writer, RECORDER_FIRST_PAUSE).await;
    }

    /// Stops delivering: no more claims; the requests in flight finish within `grace` (then
    /// they are cut); the recorder writes every finished attempt; and what was claimed but not
    /// sent is due again at once. Returns how many deliveries were released.
    pub async fn stop(&self, grace: Duration) -> u64 {
        let inner = &self.inner;
        inner.stopping.cancel();
        // A claim in progress ends, and starts its tasks (which leave at once, unsent).
        drop(inner.claiming.lock().await);
        inner.sends.close();
        if tokio::time::timeout(grace, inner.sends.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                grace_ms = grace.as_millis() as u64,
                "requests still running at the end of the shutdown grace period were cut; \
                 their deliveries will be sent again"
            );
            inner.cut.cancel();
            inner.sends.wait().await;
        }
        let (flushed, done) = oneshot::channel();
        let recorded = inner.attempts.send(Finished::Flush(flushed)).is_ok()
            && tokio::time::timeout(FLUSH_WAIT, done)
                .await
                .is_ok_and(|r| r.is_ok());
        if !recorded {
            tracing::error!(
                "the recorder could not write every finished attempt before stopping; \
                 their deliveries will be sent again"
            );
        }
        let unsent = std::mem::take(&mut *inner.unsent.lock().expect("unsent claims"));
        match inner.store.release_claims(&unsent, now_ms()).await {
            Ok(released) => released,
            Err(error) => {
                tracing::error!(%error, deliveries = unsent.len(), "releasing unsent deliveries failed; they are sent again when their leases end");
                0
            }
        }
    }

    /// How many deliveries of one webhook one claim may take.
    fn claim_budget(&self) -> usize {
        self.inner.settings.per_webhook_limit.max(1) * CLAIM_AHEAD
    }

    /// Webhooks holding at least half their claim budget are left out of the next claim (so a
    /// webhook holds less than 1.5 budgets), and sandboxes holding their share; how many more
    /// deliveries may be claimed.
    fn capacity(&self) -> (ClaimSkip, usize) {
        let refill_below = self.claim_budget() / 2;
        let slots = self.inner.slots.lock().expect("webhook slots");
        let held: usize = slots.sandboxes.values().sum();
        let skip = ClaimSkip {
            webhooks: slots
                .webhooks
                .iter()
                .filter(|(_, slot)| slot.claimed >= refill_below)
                .map(|(id, _)| *id)
                .collect(),
            sandboxes: slots
                .sandboxes
                .iter()
                .filter(|(_, held)| **held >= SANDBOX_SHARE)
                .map(|(id, _)| *id)
                .collect(),
        };
        (skip, MAX_IN_FLIGHT.saturating_sub(held))
    }

    async fn idle(&self, some_webhook_full: bool) {
        // A full webhook's due work is taken when one of its slots frees, which wakes us.
        let poll = self.inner.settings.poll;
        let wait = if some_webhook_full {
            poll
        } else {
            match self.inner.store.next_due_ms().await {
                Ok(Some(due)) => Duration::from_millis((due - now_ms()).max(0) as u64).min(poll),
                _ => poll,
            }
        };
        if !wait.is_zero() {
            self.wait(wait).await;
        }
    }

    /// Starts one task per claimed delivery, after preparing each webhook (once per change).
    async fn start(&self, claimed: Vec<ClaimedDelivery>) {
        self.launch(claimed, false).await
    }

    /// [`Self::start`]; with `reserved`, the deliveries' room was counted already.
    async fn launch(&self, claimed: Vec<ClaimedDelivery>, reserved: bool) {
        if claimed.is_empty() {
            return;
        }
        let by = if reserved { "handoff" } else { "claim" };
        self.inner.metrics.started(by, claimed.len());
        let mut prepared: HashMap<Uuid, Result<Arc<PreparedWebhook>, AttemptError>> =
            HashMap::new();
        for delivery in &claimed {
            if let std::collections::hash_map::Entry::Vacant(entry) =
                prepared.entry(delivery.webhook_id)
            {
                entry.insert(
                    self.prepared(delivery.webhook_id, delivery.webhook_version)
                        .await,
                );
            }
        }
        let mut slots = self.inner.slots.lock().expect("webhook slots");
        for delivery in claimed {
            if !reserved {
                *slots.sandboxes.entry(delivery.sandbox_id).or_default() += 1;
            }
            let slot = slots
                .webhooks
                .entry(delivery.webhook_id)
                .or_insert_with(|| self.new_slot());
            if !reserved {
                slot.claimed += 1;
            }
            let permits = slot.permits.clone();
            let webhook = prepared[&delivery.webhook_id].clone();
            let engine = self.clone();
            self.inner.sends.spawn(async move {
                let (webhook_id, sandbox_id) = (delivery.webhook_id, delivery.sandbox_id);
                let claim = (delivery.id, delivery.claim);
                let record = engine.attempt(delivery, webhook, permits).await;
                engine.finish(webhook_id, sandbox_id, claim, record);
            });
        }
    }

    fn new_slot(&self) -> WebhookSlot {
        WebhookSlot {
            permits: Arc::new(Semaphore::new(self.inner.settings.per_webhook_limit.max(1))),
            claimed: 0,
            prepared: None,
        }
    }

    /// Hands the attempt (if one was made) to the recorder and frees the delivery's slot; a
    /// delivery left unsent because the engine stops is kept for release.
    fn finish(
        &self,
        webhook_id: Uuid,
        sandbox_id: Uuid,
        claim: (Uuid, i64),
        record: Option<AttemptRecord>,
    ) {
        let freed_a_full_slot = self.free(webhook_id, sandbox_id, 1);
        let unrecorded = match record {
            Some(record) => self.inner.attempts.send(Finished::Attempt(record)).is_err(),
            None => {
                if self.inner.stopping.is_cancelled() {
                    self.inner.unsent.lock().expect("unsent claims").push(claim);
                }
                false
            }
        };
        if unrecorded {
            tracing::error!(
                "the attempt recorder has stopped; the lease will resend this delivery"
            );
        }
        if freed_a_full_slot {
            self.inner.wake.notify_one();
        }
    }

    /// Gives back `count` deliveries' room in a webhook's and a sandbox's slots; whether that
    /// made room in a slot the claim loop leaves out when full.
    fn free(&self, webhook_id: Uuid, sandbox_id: Uuid, count: usize) -> bool {
        let refill_below = self.claim_budget() / 2;
        let mut slots = self.inner.slots.lock().expect("webhook slots");
        let sandbox_was_full = match slots.sandboxes.get_mut(&sandbox_id) {
            Some(held) => {
                let before = *held;
                *held = held.saturating_sub(count);
                before >= SANDBOX_SHARE && *held < SANDBOX_SHARE
            }
            None => false,
        };
        let webhook_was_full = match slots.webhooks.get_mut(&webhook_id) {
            Some(slot) => {
                let before = slot.claimed;
                slot.claimed = slot.claimed.saturating_sub(count);
                before >= refill_below && slot.claimed < refill_below
            }
            None => false,
        };
        sandbox_was_full || webhook_was_full
    }

    async fn attempt(
        &self,
        delivery: ClaimedDelivery,
        webhook: Result<Arc<PreparedWebhook>, AttemptError>,
        permits: Arc<Semaphore>,
    ) -> Option<AttemptRecord> {
        let lease_until = delivery.claim;
        let permit = tokio::select! {
            permit = permits.acquire_owned() => permit,
            _ = self.inner.stopping.cancelled() => return None,
        };
        if self.inner.stopping.is_cancelled() {
            return None;
        }
        let started_at_ms = now_ms();
        let lease_ms = self.inner.settings.lease.as_millis() as i64;
        if started_at_ms + REQUEST_BUDGET_MS.min(lease_ms * 3 / 4) > lease_until {
            // Waited so long behind a slow endpoint that the request could outlive the lease:
            // leave it unsent; once the lease ends it is claimed again, attempts unchanged.
            tracing::debug!(
                webhook = %delivery.webhook_id,
                delivery = %delivery.id,
                attempt = delivery.attempts + 1,
                "lease too short to send; released"
            );
            return None;
        }
        let id = delivery.id.to_string();
        let mut request_headers = Vec::new();
        let result = match webhook.and_then(|webhook| {
            let headers = webhook
                .headers(&id, delivery.payload.as_bytes())
                .map_err(|problem| {
                    tracing::warn!(
                        webhook = %delivery.webhook_id,
                        delivery = %delivery.id,
                        attempt = delivery.attempts + 1,
                        %problem,
                        "cannot sign the request"
                    );
                    AttemptError::Config
                })?;
            Ok((webhook, headers))
        }) {
            Ok((webhook, headers)) => {
                request_headers = webhook.shown(&headers);
                let post =
                    self.inner
                        .client
                        .post(&webhook.url, headers, delivery.payload.into_bytes());
                tokio::select! {
                    result = post => result,
                    // Cut at the end of a stop's grace: whether it arrived is unknown, so
                    // it is sent again.
                    _ = self.inner.cut.cancelled() => return None,
                }
            }
            Err(error) => AttemptResult::failed(error, Duration::ZERO),
        };
        drop(permit);
        let attempt = delivery.attempts + 1;
        // Names, codes and times only: never a header value, a body or a payload.
        tracing::debug!(
            webhook = %delivery.webhook_id,
            delivery = %delivery.id,
            attempt,
            status = result.status,
            error = result.error.map(|e| e.code()),
            duration_ms = result.duration.as_millis() as u64,
            "attempt finished"
        );
        let next = if result.is_success() {
            NextStep::Succeeded
        } else {
            if result.is_gone() {
                self.disable_gone(delivery.webhook_id).await;
            }
            let jitter = rand::random::<f64>() * 2.0 - 1.0;
            match self.inner.settings.schedule.next_delay(
                attempt as u32,
                result.retry_after,
                jitter,
            ) {
                Some(delay) => NextStep::RetryAt(now_ms() + delay.as_millis() as i64),
                None => NextStep::Failed,
            }
        };
        self.inner.metrics.attempt(
            &next,
            result.status,
            result.error.map(|e| e.code()),
            result.duration,
        );
        Some(AttemptRecord {
            delivery_id: delivery.id,
            webhook_id: delivery.webhook_id,
            claim: delivery.claim,
            attempt,
            started_at_ms,
            duration_ms: result.duration.as_millis() as i64,
            status: result.status,
            error_code: result.error.map(|e| e.code().to_string()),
            request_headers,
            response_headers: result.response_headers,
            body_excerpt: result.body_excerpt,
            next,
        })
    }

    async fn disable_gone(&self, webhook_id: Uuid) {
        let reason = Message::DisabledGone.to_query();
        let audit = disabling_entry(&reason);
        if let Err(error) = self
            .inner
            .store
            .disable_webhook(webhook_id, &reason, &audit)
            .await
        {
            tracing::error!(%error, "disabling a gone webhook failed");
        }
    }

    /// Expires deliveries that waited too long for a disabled webhook, in small batches, and
    /// forgets idle webhooks.
    async fn maintain_once(&self) {
        let due_before = now_ms() - self.inner.settings.expire_waiting_after.as_millis() as i64;
        loop {
            match self.inner.store.expire_waiting(due_before, 500).await {
                Ok(500) => tokio::task::yield_now().await,
                Ok(expired) => {
                    if expired > 0 {
                        tracing::info!(
                            expired,
                            "deliveries expired waiting for a disabled webhook"
                        );
                    }
                    break;
                }
                Err(error) => {
                    tracing::error!(%error, "expiring waiting deliveries failed");
                    break;
                }
            }
        }
        self.prune().await;
        let mut slots = self.inner.slots.lock().expect("webhook slots");
        slots.webhooks.retain(|_, slot| slot.claimed > 0);
        slots.sandboxes.retain(|_, held| *held > 0);
    }

    /// Removes history older than the retention, a small batch at a time.
    async fn prune(&self) {
        let before = now_ms() - self.inner.settings.retention.as_millis() as i64;
        let mut removed = Pruned::default();
        for _ in 0..PRUNE_ROUNDS {
            match self.inner.store.prune(before, PRUNE_BATCH).await {
                Ok(batch) => {
                    removed.events += batch.events;
                    removed.executions += batch.executions;
                    if batch.events < PRUNE_BATCH as u64 && batch.executions < PRUNE_BATCH as u64 {
                        break;
                    }
                    tokio::time::sleep(PRUNE_PAUSE).await;
                }
                Err(error) => {
                    tracing::error!(%error, "pruning old history failed");
                    break;
                }
            }
        }
        if removed != Pruned::default() {
            tracing::info!(
                events = removed.events,
                executions = removed.executions,
                "old history pruned"
            );
        }
    }

    /// The webhook ready to send, reused while its version is unchanged.
    async fn prepared(
        &self,
        webhook_id: Uuid,
        version: i64,
    ) -> Result<Arc<PreparedWebhook>, AttemptError> {
        let now = now_ms();
        {
            let slots = self.inner.slots.lock().expect("webhook slots");
            if let Some(cached) = slots
                .webhooks
                .get(&webhook_id)
                .and_then(|s| s.prepared.as_ref())
            {
                if cached.version == version && cached.stale_at.is_none_or(|at| at > now) {
                    return cached.prepared.clone();
                }
            }
        }
        let prepared = self.prepare(webhook_id).await;
        let stale_at = prepared.as_ref().ok().and_then(|p| p.stale_at);
        let mut slots = self.inner.slots.lock().expect("webhook slots");
        let slot = slots
            .webhooks
            .entry(webhook_id)
            .or_insert_with(|| self.new_slot());
        slot.prepared = Some(CachedWebhook {
            version,
            stale_at,
            prepared: prepared.clone(),
        });
        prepared
    }

    /// The webhook's URL, headers and signer, with its secrets opened.
    async fn prepare(&self, webhook_id: Uuid) -> Result<Arc<PreparedWebhook>, AttemptError> {
        let record = match self.inner.store.webhook_by_id(webhook_id).await {
            Ok(Some(record)) => record,
            Ok(None) => return Err(AttemptError::Config),
            // A database hiccup: the attempt fails and is retried like a connection failure.
            Err(_) => return Err(AttemptError::Connect),
        };
        let secrets = &self.inner.secrets;
        let webhook = record.id;
        let (signing_keys, stale_at) = self
            .signing_keys(webhook, record.signing.as_ref())
            .ok_or(AttemptError::Config)?;
        let settings = record.settings;
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let mut secret_headers = vec![AUTHORIZATION];
        for header in &settings.headers {
            let (value, secret) = match &header.value {
                StoredHeaderValue::Plain(value) => (value.clone(), false),
                StoredHeaderValue::Sealed { sealed, .. } => {
                    let field = SealedField::HeaderValue {
                        webhook,
                        header: header.id,
                    };
                    (
                        secrets.open(sealed, field).ok_or(AttemptError::Config)?,
                        true,
                    )
                }
            };
            if let (Ok(name), Ok(mut value)) = (
                HeaderName::try_from(header.name.as_str()),
                HeaderValue::try_from(value),
            ) {
                value.set_sensitive(true);
                if secret {
                    secret_headers.push(name.clone());
                }
                headers.insert(name, value);
            }
        }
        let signer = match &settings.jwt {
            Some(jwt) => {
                let key = secrets
                    .open(&jwt.secret_sealed, SealedField::JwtKey { webhook })
                    .ok_or(AttemptError::Config)?;
                let algorithm = JwtAlgorithm::parse(&jwt.algorithm).ok_or(AttemptError::Config)?;
                Some(
                    JwtSigner::new(algorithm, &key, &jwt.claims())
                        .map_err(|_| AttemptError::Config)?,
                )
            }
            None => None,
        };
        Ok(Arc::new(PreparedWebhook {
            url: settings.url,
            headers,
            secret_headers,
            signer,
            signing_keys,
            stale_at,
        }))
    }

    /// The current signing key, then the previous one while its rotation window lasts (with
    /// the end of that window).
    fn signing_keys(
        &self,
        webhook: Uuid,
        signing: Option<&StoredSigning>,
    ) -> Option<(Vec<Vec<u8>>, Option<i64>)> {
        let Some(signing) = signing else {
            return Some((Vec::new(), None));
        };
        let secrets = &self.inner.secrets;
        let field = SealedField::SigningSecret { webhook };
        let mut keys = vec![signing_key(&secrets.open(&signing.secret_sealed, field)?).ok()?];
        let mut stale_at = None;
        if let Some((sealed, until)) = &signing.previous {
            if *until > now_ms() {
                keys.extend(
                    secrets
                        .open(sealed, field)
                        .and_then(|secret| signing_key(&secret).ok()),
                );
                stale_at = Some(*until);
            }
        }
        Some((keys, stale_at))
    }
}

/// The recorder's writes: the store's, with the policy of the moment; a retry scheduled wakes
/// the claim loop.
struct RecordingStore(DeliveryEngine);

#[async_trait::async_trait]
impl AttemptWriter for RecordingStore {
    async fn write(&self, batch: &[AttemptRecord]) -> StoreResult<()> {
        let inner = &self.0.inner;
        let policy = inner.settings.auto_disable(now_ms());
        let disabled = inner
            .metrics
            .timed_commit(
                "attempts",
                batch.len(),
                inner.store.record_attempts(batch, &policy),
            )
            .await?;
        for webhook in disabled {
            tracing::warn!(%webhook, reason = %policy.reason, "webhook disabled");
        }
        if batch
            .iter()
            .any(|record| matches!(record.next, NextStep::RetryAt(_)))
        {
            inner.wake.notify_one();
        }
        Ok(())
    }
}

struct PreparedWebhook {
    url: String,
    headers: HeaderMap,
    /// Headers whose values are shown masked in the delivery history.
    secret_headers: Vec<HeaderName>,
    signer: Option<JwtSigner>,
    signing_keys: Vec<Vec<u8>>,
    stale_at: Option<i64>,
}

/// What the history shows of a secret header value.
const MASK: &str = "••••••••";

impl PreparedWebhook {
    /// The request headers as the history shows them: secret values masked (a bearer token
    /// keeps its scheme).
    fn shown(&self, headers: &HeaderMap) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(name, value)| {
                let text = if self.secret_headers.contains(name) {
                    match value.to_str().ok().and_then(|v| v.split_once(' ')) {
                        Some(("Bearer", _)) => format!("Bearer {MASK}"),
                        _ => MASK.to_string(),
                    }
                } else {
                    String::from_utf8_lossy(value.as_bytes()).into_owned()
                };
                (name.as_str().to_string(), text)
            })
            .collect()
    }

    /// The headers of one attempt: fixed ones, a fresh JWT, the Standard Webhooks `webhook-id`
    /// (the delivery id, the same across retries and resends) and, when on, the signature.
    fn headers(&self, delivery_id: &str, body: &[u8]) -> Result<HeaderMap, String> {
        let mut headers = self.headers.clone();
        // The id is the receiver's idempotency key, sent whether or not requests are signed.
        let timestamp = now_ms() / 1000;
        let value = |text: String| HeaderValue::try_from(text).map_err(|e| e.to_string());
        headers.insert("webhook-id", value(delivery_id.to_string())?);
        headers.insert("webhook-timestamp", value(timestamp.to_string())?);
        if !self.signing_keys.is_empty() {
            let signature = webhook_signature(&self.signing_keys, delivery_id, timestamp, body);
            headers.insert("webhook-signature", value(signature)?);
        }
        if let Some(signer) = &self.signer {
            let token = signer.token(delivery_id, now_ms() / 1000)?;
            let mut value =
                HeaderValue::try_from(format!("Bearer {token}")).map_err(|e| e.to_string());
            if let Ok(value) = value.as_mut() {
                value.set_sensitive(true);
            }
            headers.insert(AUTHORIZATION, value?);
        }
        Ok(headers)
    }
}

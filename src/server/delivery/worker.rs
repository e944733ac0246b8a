//! The delivery loop: claim due deliveries under a lease, send them (never holding a database
//! transaction across HTTP), record every attempt in one batch, and sleep only until the next
//! delivery falls due or new work arrives.

use crate::model::JwtAlgorithm;
use crate::server::crypto::SecretBox;
use crate::server::delivery::client::DeliveryClient;
use crate::server::delivery::outcome::AttemptResult;
use crate::server::delivery::retry::RetrySchedule;
use crate::server::delivery::signing::{signing_key, webhook_signature, JwtSigner};
use crate::server::storage::*;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Notify, Semaphore};
use uuid::Uuid;

const BATCH: i64 = 256;
/// The longest sleep without looking at the queue, in case another process added work.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// The engine's tuning, from configuration.
#[derive(Clone, Debug)]
pub struct EngineSettings {
    pub schedule: RetrySchedule,
    /// How long a claimed delivery belongs to its worker; longer than any attempt.
    pub lease: Duration,
    pub per_webhook_limit: usize,
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
    wake: Arc<Notify>,
    ingest: mpsc::Sender<Pending>,
    in_flight: Mutex<HashMap<Uuid, Arc<Semaphore>>>,
}

impl DeliveryEngine {
    /// Starts the group-commit writer; call within the Tokio runtime.
    pub fn new(
        store: Arc<dyn Store>,
        client: DeliveryClient,
        settings: EngineSettings,
        secrets: SecretBox,
    ) -> Self {
        let wake = Arc::new(Notify::new());
        let (ingest, pending) = mpsc::channel(4096);
        tokio::spawn(commit_events(store.clone(), pending, wake.clone()));
        DeliveryEngine {
            inner: Arc::new(Inner {
                store,
                client,
                settings,
                secrets,
                wake,
                ingest,
                in_flight: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The outbox entry point: the event and its deliveries are durable when this returns, and
    /// the workers wake at once.
    /// Concurrent callers share one transaction (group commit); each returns only after that
    /// transaction committed.
    pub async fn enqueue(&self, event: &NewEvent, webhook_ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Batch("the delivery engine has stopped".into());
        self.inner
            .ingest
            .send(Pending {
                event: event.clone(),
                webhook_ids: webhook_ids.to_vec(),
                reply,
            })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Runs until the task is dropped. Expired leases (from a crash) are claimed like any due row.
    pub async fn run(self) {
        loop {
            let now = now_ms();
            let claimed = match self
                .inner
                .store
                .claim_due(
                    now,
                    now + self.inner.settings.lease.as_millis() as i64,
                    BATCH,
                )
                .await
            {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::error!(%error, "claiming deliveries failed");
                    tokio::time::sleep(IDLE_POLL).await;
                    continue;
                }
            };
            if claimed.is_empty() {
                self.idle().await;
                continue;
            }
            let records = self.send_batch(claimed).await;
            if let Err(error) = self.inner.store.record_attempts(&records).await {
                // The leases expire and the deliveries are sent again: at-least-once.
                tracing::error!(%error, "recording attempts failed");
            }
        }
    }

    async fn idle(&self) {
        let wait = match self.inner.store.next_due_ms().await {
            Ok(Some(due)) => Duration::from_millis((due - now_ms()).max(0) as u64).min(IDLE_POLL),
            _ => IDLE_POLL,
        };
        if !wait.is_zero() {
            let _ = tokio::time::timeout(wait, self.inner.wake.notified()).await;
        }
    }

    async fn send_batch(&self, claimed: Vec<ClaimedDelivery>) -> Vec<AttemptRecord> {
        let mut webhooks: HashMap<Uuid, Option<Arc<PreparedWebhook>>> = HashMap::new();
        let mut tasks = tokio::task::JoinSet::new();
        for delivery in claimed {
            let prepared = match webhooks.get(&delivery.webhook_id) {
                Some(prepared) => prepared.clone(),
                None => {
                    let prepared = self.prepare(delivery.webhook_id).await.map(Arc::new);
                    webhooks.insert(delivery.webhook_id, prepared.clone());
                    prepared
                }
            };
            let engine = self.clone();
            tasks.spawn(async move { engine.attempt(delivery, prepared).await });
        }
        let mut records = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(record) => records.push(record),
                Err(error) => tracing::error!(%error, "a delivery task failed"),
            }
        }
        records
    }

    async fn attempt(
        &self,
        delivery: ClaimedDelivery,
        prepared: Option<Arc<PreparedWebhook>>,
    ) -> AttemptRecord {
        let started_at_ms = now_ms();
        let result = match &prepared {
            Some(webhook) => {
                let permit = self.semaphore(delivery.webhook_id).acquire_owned().await;
                let result = match webhook
                    .headers(&delivery.id.to_string(), delivery.payload.as_bytes())
                {
                    Ok(headers) => {
                        self.inner
                            .client
                            .post(&webhook.url, headers, delivery.payload.clone().into_bytes())
                            .await
                    }
                    Err(problem) => {
                        tracing::warn!(webhook = %delivery.webhook_id, %problem, "cannot sign the request");
                        AttemptResult::failed(
                            crate::server::delivery::outcome::AttemptError::Connect,
                            Duration::ZERO,
                        )
                    }
                };
                drop(permit);
                result
            }
            None => AttemptResult::failed(
                crate::server::delivery::outcome::AttemptError::Connect,
                Duration::ZERO,
            ),
        };
        let attempts_made = delivery.attempts as u32 + 1;
        let next = if result.is_success() {
            NextStep::Succeeded
        } else {
            if result.is_gone() {
                let reason = "The endpoint answered 410 Gone: it asked to stop receiving events.";
                if let Err(error) = self
                    .inner
                    .store
                    .disable_webhook(delivery.webhook_id, reason)
                    .await
                {
                    tracing::error!(%error, "disabling a gone webhook failed");
                }
            }
            let jitter = rand::random::<f64>() * 2.0 - 1.0;
            match self
                .inner
                .settings
                .schedule
                .next_delay(attempts_made, result.retry_after, jitter)
            {
                Some(delay) => NextStep::RetryAt(now_ms() + delay.as_millis() as i64),
                None => NextStep::Failed,
            }
        };
        AttemptRecord {
            delivery_id: delivery.id,
            started_at_ms,
            duration_ms: result.duration.as_millis() as i64,
            status: result.status,
            error_code: result.error.map(|e| e.code().to_string()),
            response_headers: result.response_headers,
            body_excerpt: result.body_excerpt,
            next,
        }
    }

    fn semaphore(&self, webhook_id: Uuid) -> Arc<Semaphore> {
        let mut in_flight = self.inner.in_flight.lock().expect("in-flight lock");
        in_flight
            .entry(webhook_id)
            .or_insert_with(|| {
                Arc::new(Semaphore::new(self.inner.settings.per_webhook_limit.max(1)))
            })
            .clone()
    }

    /// The webhook's URL, headers and signer, with its secrets opened once per batch.
    async fn prepare(&self, webhook_id: Uuid) -> Option<PreparedWebhook> {
        let record = self.inner.store.webhook_by_id(webhook_id).await.ok()??;
        let signing_keys = self.signing_keys(record.signing.as_ref())?;
        let settings = record.settings;
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for header in &settings.headers {
            let value = match &header.value {
                StoredHeaderValue::Plain(value) => value.clone(),
                StoredHeaderValue::Sealed { sealed, .. } => self.inner.secrets.open(sealed)?,
            };
            if let (Ok(name), Ok(mut value)) = (
                HeaderName::try_from(header.name.as_str()),
                HeaderValue::try_from(value),
            ) {
                value.set_sensitive(true);
                headers.insert(name, value);
            }
        }
        let signer = match &settings.jwt {
            Some(jwt) => {
                let key = self.inner.secrets.open(&jwt.secret_sealed)?;
                let algorithm = JwtAlgorithm::parse(&jwt.algorithm)?;
                Some(JwtSigner::new(algorithm, &key, &jwt.claims()).ok()?)
            }
            None => None,
        };
        Some(PreparedWebhook {
            url: settings.url,
            headers,
            signer,
            signing_keys,
        })
    }

    /// The current signing key, then the previous one while its rotation window lasts.
    fn signing_keys(&self, signing: Option<&StoredSigning>) -> Option<Vec<Vec<u8>>> {
        let Some(signing) = signing else {
            return Some(Vec::new());
        };
        let mut keys = vec![signing_key(&self.inner.secrets.open(&signing.secret_sealed)?).ok()?];
        if let Some((sealed, until)) = &signing.previous {
            if *until > now_ms() {
                keys.extend(
                    self.inner
                        .secrets
                        .open(sealed)
                        .and_then(|secret| signing_key(&secret).ok()),
                );
            }
        }
        Some(keys)
    }
}

/// An event waiting for the next group commit, with the caller waiting for its answer.
struct Pending {
    event: NewEvent,
    webhook_ids: Vec<Uuid>,
    reply: oneshot::Sender<StoreResult<Vec<Uuid>>>,
}

/// Takes whatever events are waiting (up to 512), writes them in one transaction, answers each
/// caller, and wakes the workers. A lone event is written at once: no waiting for company.
async fn commit_events(
    store: Arc<dyn Store>,
    mut pending: mpsc::Receiver<Pending>,
    wake: Arc<Notify>,
) {
    let mut waiting = Vec::with_capacity(512);
    while pending.recv_many(&mut waiting, 512).await > 0 {
        let (batch, replies): (Vec<_>, Vec<_>) = waiting
            .drain(..)
            .map(|p| ((p.event, p.webhook_ids), p.reply))
            .unzip();
        match store.enqueue_events(&batch).await {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
            }
            Err(error) => {
                tracing::error!(%error, events = batch.len(), "writing feedback events failed");
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Batch(error.to_string())));
                }
            }
        }
        wake.notify_one();
    }
}

struct PreparedWebhook {
    url: String,
    headers: HeaderMap,
    signer: Option<JwtSigner>,
    signing_keys: Vec<Vec<u8>>,
}

impl PreparedWebhook {
    /// The headers of one attempt: fixed ones, a fresh JWT, and the Standard Webhooks signature
    /// whose `webhook-id` (the delivery id) stays the same across retries.
    fn headers(&self, delivery_id: &str, body: &[u8]) -> Result<HeaderMap, String> {
        let mut headers = self.headers.clone();
        if !self.signing_keys.is_empty() {
            let timestamp = now_ms() / 1000;
            let signature = webhook_signature(&self.signing_keys, delivery_id, timestamp, body);
            let value = |text: String| HeaderValue::try_from(text).map_err(|e| e.to_string());
            headers.insert("webhook-id", value(delivery_id.to_string())?);
            headers.insert("webhook-timestamp", value(timestamp.to_string())?);
            headers.insert("webhook-signature", value(signature)?);
        }
        if let Some(signer) = &self.signer {
            let token = signer.token(delivery_id, now_ms() / 1000)?;
            let mut value =
                HeaderValue::try_from(format!("Bearer {token}")).map_err(|e| e.to_string())?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        Ok(headers)
    }
}

//! Channel providers report what happened to each message; their outcomes become feedback events.
//!
//! Outcomes are stored with the execution (one transaction). Those due at once (`sent`) become
//! feedback events in that transaction; later ones are emitted by the dispatcher when due, the
//! event stored and the outcome marked emitted in one transaction, so an accepted execution's
//! feedback survives a crash and each outcome is emitted once.

use crate::model::feedback::{FeedbackFacts, FeedbackPayload, FeedbackStatus, MessageFailure};
use crate::model::Channel;
use crate::server::backoff::Backoff;
use crate::server::delivery::worker::DeliveryEngine;
use crate::server::storage::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use uuid::Uuid;

/// Decides the outcomes a message will report, from its channel and address.
pub trait ChannelProvider: Send + Sync + 'static {
    fn plan(&self, channel: Channel, address: &str, now_ms: i64) -> Vec<NewOutcome>;
}

/// The built-in provider: nothing is sent anywhere; the address decides the outcome.
/// `*@bounce.test` hard-bounces (10), `*@softbounce.test` soft-bounces (22), `*@error.test` and
/// phone numbers ending in `0000` fail; anything else is delivered. Every message is `sent` at
/// once and gets its final outcome after `delay`.
pub struct SimulatedProvider {
    pub delay: Duration,
}

impl ChannelProvider for SimulatedProvider {
    fn plan(&self, channel: Channel, address: &str, now_ms: i64) -> Vec<NewOutcome> {
        let address = address.trim().to_ascii_lowercase();
        let failure = MessageFailure::from_code;
        let (status, failure, retry_count) = match channel {
            Channel::Email if address.ends_with("@bounce.test") => {
                (FeedbackStatus::Bounce, failure("async", 10), 0)
            }
            // A soft bounce comes after the provider's own retry.
            Channel::Email if address.ends_with("@softbounce.test") => {
                (FeedbackStatus::Bounce, failure("async", 22), 1)
            }
            Channel::Email if address.ends_with("@error.test") => {
                (FeedbackStatus::Error, failure("sync", 1), 0)
            }
            Channel::Sms if address.ends_with("0000") => {
                (FeedbackStatus::Error, failure("sync", 1), 0)
            }
            _ => (FeedbackStatus::Delivered, None, 0),
        };
        vec![
            NewOutcome {
                status: FeedbackStatus::Sent,
                failure: None,
                retry_count: 0,
                due_at_ms: now_ms,
                emit_now: None,
            },
            NewOutcome {
                status,
                failure,
                retry_count,
                due_at_ms: now_ms + self.delay.as_millis() as i64,
                emit_now: None,
            },
        ]
    }
}

/// Emits due provider outcomes as feedback events through the outbox.
pub struct OutcomeDispatcher {
    store: Arc<dyn Store>,
    delivery: DeliveryEngine,
    wake: Notify,
    /// When the dispatcher next looks for due outcomes (ms); `i64::MAX` while it is looking, so
    /// an outcome stored meanwhile always wakes it.
    next_look_ms: AtomicI64,
    /// The longest sleep without looking: the backstop for outcomes no wake-up told of.
    poll: Duration,
}

const BATCH: i64 = 256;

impl OutcomeDispatcher {
    pub fn new(store: Arc<dyn Store>, delivery: DeliveryEngine, poll: Duration) -> Arc<Self> {
        Arc::new(OutcomeDispatcher {
            store,
            delivery,
            wake: Notify::new(),
            next_look_ms: AtomicI64::new(i64::MAX),
            poll,
        })
    }

    /// New outcomes were stored, the earliest due at `at_ms`: wakes the dispatcher only if it
    /// would otherwise look later than that.
    pub fn stored_due_at(&self, at_ms: i64) {
        if at_ms < self.next_look_ms.load(Ordering::Acquire) {
            self.wake.notify_one();
        }
    }

    pub async fn run(self: Arc<Self>) {
        // After a failure the next pass waits, longer each time.
        let mut after_error = Backoff::AFTER_DATABASE_ERROR;
        loop {
            self.next_look_ms.store(i64::MAX, Ordering::Release);
            let now = now_ms();
            let failed = match self.store.due_outcomes(now, BATCH).await {
                Ok(due) if !due.is_empty() => {
                    if self.emit(due).await {
                        after_error.succeeded();
                        continue;
                    }
                    true
                }
                Ok(_) => false,
                Err(error) => {
                    tracing::error!(%error, "reading due provider outcomes failed");
                    true
                }
            };
            if failed {
                tokio::time::sleep(after_error.failed()).await;
                continue;
            }
            after_error.succeeded();
            let wait = match self.store.next_outcome_due_ms().await {
                Ok(Some(due)) => {
                    Duration::from_millis((due - now_ms()).max(0) as u64).min(self.poll)
                }
                _ => self.poll,
            };
            if !wait.is_zero() {
                self.next_look_ms
                    .store(now_ms() + wait.as_millis() as i64, Ordering::Release);
                let _ = tokio::time::timeout(wait, self.wake.notified()).await;
            }
        }
    }

    /// Whether any of them was stored (or set aside).
    async fn emit(&self, due: Vec<DueOutcome>) -> bool {
        let mut webhooks: HashMap<Uuid, Option<WebhookRoute>> = HashMap::new();
        let mut events = Vec::with_capacity(due.len());
        // A malformed outcome can never become an event: it is set aside (logged), not retried.
        let mut set_aside = Vec::new();
        for outcome in due {
            let Some(facts) = stored_facts(&outcome) else {
                tracing::error!(
                    outcome = outcome.id,
                    "a stored provider outcome is malformed"
                );
                set_aside.push(outcome.id);
                continue;
            };
            let route = match outcome.webhook_id.filter(|_| outcome.webhook_enabled) {
                Some(id) => {
                    if let std::collections::hash_map::Entry::Vacant(entry) = webhooks.entry(id) {
                        let route = self.store.webhook_route(outcome.sandbox_id, id).await;
                        entry.insert(route.ok().flatten());
                    }
                    webhooks[&id]
                        .as_ref()
                        .filter(|webhook| webhook.receives(facts.channel, facts.status))
                        .map(|webhook| webhook.id)
                }
                None => None,
            };
            match feedback_event(outcome.sandbox_id, facts, route.is_some()) {
                Some(event) => {
                    events.push((outcome.id, event, route.into_iter().collect::<Vec<Uuid>>()))
                }
                None => {
                    tracing::error!(
                        outcome = outcome.id,
                        "a provider outcome's payload could not be written"
                    );
                    set_aside.push(outcome.id);
                }
            }
        }
        let reservation = self.delivery.reserve(
            events
                .iter()
                .map(|(_, event, webhooks)| (event, webhooks.as_slice())),
        );
        let progressed = match self
            .store
            .emit_outcomes(&events, &set_aside, reservation.handoff())
            .await
        {
            Ok(handed_off) => {
                self.delivery.hand_off(reservation, handed_off).await;
                true
            }
            Err(error) if events.len() + set_aside.len() > 1 => {
                // One at a time, so that one outcome that cannot be stored does not hold back
                // the others; their deliveries are left to the claim loop, woken as the
                // reservation ends.
                tracing::warn!(%error, "emitting provider outcomes failed; emitting them one by one");
                let none = Handoff::default();
                let mut any = false;
                for item in events.chunks(1) {
                    match self.store.emit_outcomes(item, &[], &none).await {
                        Ok(_) => any = true,
                        Err(error) => {
                            tracing::error!(outcome = item[0].0, %error, "emitting a provider outcome failed; retrying")
                        }
                    }
                }
                if !set_aside.is_empty() {
                    any |= self
                        .store
                        .emit_outcomes(&[], &set_aside, &none)
                        .await
                        .is_ok();
                }
                any
            }
            Err(error) => {
                tracing::error!(%error, "emitting provider outcomes failed; retrying");
                false
            }
        };
        progressed
    }
}

/// The feedback event of an outcome, with the exact payload of spec §5 when some webhook
/// receives it. An event no webhook receives keeps no payload: only deliveries send one, and
/// the message's timeline needs only the event's type and time (storage keeps those on the
/// message itself).
pub fn feedback_event(sandbox_id: Uuid, facts: FeedbackFacts, routed: bool) -> Option<NewEvent> {
    let (event_type, channel) = (facts.status.as_str(), facts.channel.as_str());
    let (request_id, message_execution_id) =
        (facts.request_id.clone(), facts.message_execution_id.clone());
    Some(NewEvent {
        sandbox_id,
        event_type: event_type.to_string(),
        channel: channel.to_string(),
        request_id,
        message_execution_id,
        payload: if routed {
            serde_json::to_string(&FeedbackPayload::new(facts)).ok()?
        } else {
            String::new()
        },
    })
}

/// What a stored outcome's feedback event says; `None` when the row is malformed.
fn stored_facts(outcome: &DueOutcome) -> Option<FeedbackFacts> {
    let channel = Channel::parse(&outcome.channel)?;
    let status = FeedbackStatus::parse(&outcome.status)?;
    let failure = match &outcome.failure {
        Some(json) => Some(serde_json::from_str::<MessageFailure>(json).ok()?),
        None => None,
    };
    Some(FeedbackFacts {
        request_id: outcome.request_id.clone(),
        ims_org: outcome.ims_org.clone(),
        sandbox_id: outcome.sandbox_id.to_string(),
        sandbox_name: outcome.sandbox_name.clone(),
        channel,
        message_execution_id: outcome.message_execution_id.clone(),
        campaign_id: outcome.campaign_id.to_string(),
        campaign_version_id: outcome.campaign_version_id.clone(),
        status,
        failure,
        retry_count: outcome.retry_count.max(0) as u32,
        address: outcome.address.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulated_provider_decides_by_address() {
        let json =
            |failure: Option<MessageFailure>| serde_json::to_string(&failure.unwrap()).unwrap();
        let provider = SimulatedProvider {
            delay: Duration::from_millis(500),
        };
        let final_of = |channel, address: &str| {
            let plan = provider.plan(channel, address, 1_000);
            assert_eq!(plan[0].status, FeedbackStatus::Sent);
            assert_eq!(plan[0].due_at_ms, 1_000);
            assert_eq!(plan[1].due_at_ms, 1_500);
            plan[1].clone()
        };
        assert_eq!(
            final_of(Channel::Email, "john@luma.com").status,
            FeedbackStatus::Delivered
        );
        let hard = final_of(Channel::Email, "x@Bounce.test");
        assert_eq!(hard.status, FeedbackStatus::Bounce);
        assert!(json(hard.failure).contains(r#""type":"Hard","code":"10""#));
        let soft = final_of(Channel::Email, "x@softbounce.test");
        assert!(json(soft.failure).contains(r#""code":"22""#));
        assert_eq!(soft.retry_count, 1);
        assert_eq!(
            final_of(Channel::Email, "x@error.test").status,
            FeedbackStatus::Error
        );
        assert_eq!(
            final_of(Channel::Sms, "+33600000000").status,
            FeedbackStatus::Error
        );
        assert_eq!(
            final_of(Channel::Sms, "+33600000001").status,
            FeedbackStatus::Delivered
        );
    }
}

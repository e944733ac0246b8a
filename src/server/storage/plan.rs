//! The domain rules of storage, computed once above the backends: what rows a batch writes
//! (events and their deliveries, an execution's messages and outcomes, an attempt's move, the
//! failing streaks, the health cells) and how the rows read back assemble (a campaign's
//! executions). Pure: no I/O, so each backend only writes or reads the plain rows planned here.

use super::records::*;
use crate::model::feedback::FeedbackStatus;
use crate::model::history::{latency_bucket, AttemptCounts};
use std::collections::HashMap;
use uuid::Uuid;

/// A feedback event to insert, with its id.
pub struct PlannedEvent<'a> {
    pub id: Uuid,
    pub event: &'a NewEvent,
}

/// A delivery to insert for one webhook of the event at `event_index`. A backend writes it only
/// while that webhook is enabled and of the event's sandbox.
pub struct PlannedDelivery {
    pub id: Uuid,
    pub event_index: usize,
    pub webhook_id: Uuid,
    /// Written claimed until then, for the writing instance to send (see [`Handoff`]); due now
    /// otherwise.
    pub claimed_until: Option<i64>,
}

/// Events and their deliveries, ids chosen up front so that the rows written can be matched
/// with the ids a backend reports as inserted.
pub struct EventsPlan<'a> {
    pub events: Vec<PlannedEvent<'a>>,
    pub deliveries: Vec<PlannedDelivery>,
}

impl<'a> EventsPlan<'a> {
    /// The rows of `batch`; the first deliveries of each webhook in `handoff`'s room, as many
    /// as it holds, are written claimed.
    pub fn new(batch: &[(&'a NewEvent, &'a [Uuid])], handoff: &Handoff) -> EventsPlan<'a> {
        // Time-ordered ids (v7): new rows land at the end of each index on them, so a commit
        // rewrites a few index pages rather than one page per row.
        let events = batch
            .iter()
            .map(|&(event, _)| PlannedEvent {
                id: Uuid::now_v7(),
                event,
            })
            .collect();
        let mut room: HashMap<Uuid, usize> = handoff.room.iter().copied().collect();
        let mut deliveries = Vec::new();
        for (event_index, (_, webhook_ids)) in batch.iter().enumerate() {
            for webhook_id in *webhook_ids {
                let handed_off = room.get_mut(webhook_id).filter(|left| **left > 0);
                let claimed_until = handed_off.map(|left| {
                    *left -= 1;
                    handoff.until
                });
                deliveries.push(PlannedDelivery {
                    id: Uuid::now_v7(),
                    event_index,
                    webhook_id: *webhook_id,
                    claimed_until,
                });
            }
        }
        EventsPlan { events, deliveries }
    }

    /// The deliveries written claimed, ready to send, given the webhook version each came back
    /// with (`None`: not written, its webhook disabled or gone).
    pub fn handed_off(&self, written: impl Fn(&Uuid) -> Option<i64>) -> Vec<ClaimedDelivery> {
        self.deliveries
            .iter()
            .filter_map(|delivery| {
                let claim = delivery.claimed_until?;
                let webhook_version = written(&delivery.id)?;
                let event = self.event_of(delivery);
                Some(ClaimedDelivery {
                    id: delivery.id,
                    event_id: event.id,
                    webhook_id: delivery.webhook_id,
                    sandbox_id: event.event.sandbox_id,
                    webhook_version,
                    claim,
                    attempts: 0,
                    payload: event.event.payload.clone(),
                })
            })
            .collect()
    }

    /// The event a delivery belongs to.
    pub fn event_of(&self, delivery: &PlannedDelivery) -> &PlannedEvent<'a> {
        &self.events[delivery.event_index]
    }

    /// The ids of the deliveries created, per event, given which ids were inserted.
    pub fn created(&self, inserted: impl Fn(&Uuid) -> bool) -> Vec<Vec<Uuid>> {
        let mut ids = vec![Vec::new(); self.events.len()];
        for delivery in &self.deliveries {
            if inserted(&delivery.id) {
                ids[delivery.event_index].push(delivery.id);
            }
        }
        ids
    }
}

/// Where an attempt leaves its delivery: its stored state and its `next_attempt_at`.
/// How many deliveries of each of `webhooks` due webhooks one claim takes: an equal share of
/// `limit` (at least one), at most `per_webhook`.
pub fn claim_share(limit: i64, webhooks: usize, per_webhook: i64) -> i64 {
    (limit / webhooks.max(1) as i64).max(1).min(per_webhook)
}

/// Whether a claim took every delivery that was due: each webhook it took from got less than
/// the share it could have taken, so none was left behind (a backend that shares the batch
/// otherwise gives each webhook at least this share).
pub fn claimed_all_due(claimed: &[ClaimedDelivery], limit: i64, per_webhook: i64) -> bool {
    let mut per: HashMap<Uuid, i64> = HashMap::new();
    for delivery in claimed {
        *per.entry(delivery.webhook_id).or_default() += 1;
    }
    let share = claim_share(limit, per.len(), per_webhook);
    (claimed.len() as i64) < limit && per.values().all(|taken| *taken < share)
}

pub fn after_attempt(next: &NextStep, now: i64) -> (&'static str, i64) {
    match next {
        NextStep::Succeeded => ("succeeded", now),
        NextStep::RetryAt(at) => ("pending", *at),
        NextStep::Failed => ("failed", now),
    }
}

/// What a batch of attempts does to a webhook's failing streak.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Streak {
    /// A success: the streak ends.
    Ended,
    /// Only failures: the streak starts at this attempt (or goes on from an earlier start), and
    /// the webhook is disabled when it began before the policy's cutoff.
    Failing { first_failure_ms: i64 },
}

/// Each webhook's streak change, by webhook id.
pub fn failing_streaks(attempts: &[AttemptRecord]) -> Vec<(Uuid, Streak)> {
    let mut streaks: HashMap<Uuid, (bool, i64)> = HashMap::new();
    for attempt in attempts {
        let entry = streaks
            .entry(attempt.webhook_id)
            .or_insert((false, attempt.started_at_ms));
        entry.0 |= attempt.next == NextStep::Succeeded;
        entry.1 = entry.1.min(attempt.started_at_ms);
    }
    let mut streaks: Vec<(Uuid, Streak)> = streaks
        .into_iter()
        .map(|(webhook_id, (succeeded, first_failure_ms))| {
            let streak = if succeeded {
                Streak::Ended
            } else {
                Streak::Failing { first_failure_ms }
            };
            (webhook_id, streak)
        })
        .collect();
    streaks.sort_by_key(|(webhook_id, _)| *webhook_id);
    streaks
}

/// The counts a batch of attempts adds to one statistics cell.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthCell {
    pub webhook_id: Uuid,
    /// The hour's first millisecond.
    pub hour_ms: i64,
    pub bucket: i64,
    pub counts: AttemptCounts,
}

/// What a batch of attempts changes in the webhooks' health: counts added to the hourly
/// statistics, and each failing webhook's latest error.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HealthChanges {
    pub cells: Vec<HealthCell>,
    /// (webhook, error, at ms).
    pub last_errors: Vec<(Uuid, String, i64)>,
}

pub fn health_changes(attempts: &[AttemptRecord]) -> HealthChanges {
    let mut cells: HashMap<(Uuid, i64, i64), AttemptCounts> = HashMap::new();
    let mut last_errors: HashMap<Uuid, (String, i64)> = HashMap::new();
    for attempt in attempts {
        let hour = attempt.started_at_ms - attempt.started_at_ms.rem_euclid(3_600_000);
        let bucket = latency_bucket(attempt.duration_ms) as i64;
        let counts = cells.entry((attempt.webhook_id, hour, bucket)).or_default();
        match attempt.next {
            NextStep::Succeeded => counts.succeeded += 1,
            NextStep::RetryAt(_) => counts.retried += 1,
            NextStep::Failed => counts.failed += 1,
        }
        if attempt.next != NextStep::Succeeded {
            let error = match (&attempt.error_code, attempt.status) {
                (Some(code), _) => code.clone(),
                (None, Some(status)) => format!("HTTP {status}"),
                (None, None) => "E_CONNECT".to_string(),
            };
            let entry = last_errors
                .entry(attempt.webhook_id)
                .or_insert((error.clone(), attempt.started_at_ms));
            if attempt.started_at_ms >= entry.1 {
                *entry = (error, attempt.started_at_ms);
            }
        }
    }
    let mut cells: Vec<HealthCell> = cells
        .into_iter()
        .map(|((webhook_id, hour_ms, bucket), counts)| HealthCell {
            webhook_id,
            hour_ms,
            bucket,
            counts,
        })
        .collect();
    cells.sort_by_key(|cell| (cell.webhook_id, cell.hour_ms, cell.bucket));
    let mut last_errors: Vec<(Uuid, String, i64)> = last_errors
        .into_iter()
        .map(|(webhook_id, (error, at))| (webhook_id, error, at))
        .collect();
    last_errors.sort_by_key(|(webhook_id, _, _)| *webhook_id);
    HealthChanges { cells, last_errors }
}

/// A message execution to insert, with its place in its execution and the events no webhook
/// receives that it keeps on its own row.
pub struct PlannedMessage<'a> {
    pub execution: &'a NewExecution,
    pub position: usize,
    pub message: &'a NewMessageExecution,
    /// `unrouted_events`, in [`unrouted_entry`]'s format.
    pub unrouted: String,
}

/// The rows of a batch of executions. A replayed requestId inserts no execution, so a backend
/// writes each other row only when its parent row was written.
pub struct ExecutionsPlan<'a> {
    pub messages: Vec<PlannedMessage<'a>>,
    /// Outcomes still to emit, by message execution id: they wait in the outcome queue.
    pub later: Vec<(&'a str, &'a NewOutcome)>,
    /// Outcomes already due that some webhook receives: events with deliveries, now.
    pub routed: Vec<(&'a NewEvent, &'a [Uuid])>,
}

impl<'a> ExecutionsPlan<'a> {
    pub fn new(executions: &'a [NewExecution], now: i64) -> ExecutionsPlan<'a> {
        let messages: Vec<PlannedMessage> = executions
            .iter()
            .flat_map(|execution| {
                execution
                    .messages
                    .iter()
                    .enumerate()
                    .map(move |(position, message)| PlannedMessage {
                        execution,
                        position,
                        message,
                        unrouted: message
                            .outcomes
                            .iter()
                            .filter_map(|outcome| outcome.emit_now.as_ref())
                            .filter(|(_, webhook_ids)| webhook_ids.is_empty())
                            .map(|(event, _)| unrouted_entry(&event.event_type, now))
                            .collect(),
                    })
            })
            .collect();
        let later = messages
            .iter()
            .flat_map(|m| {
                m.message
                    .outcomes
                    .iter()
                    .map(move |o| (m.message.id.as_str(), o))
            })
            .filter(|(_, outcome)| outcome.emit_now.is_none())
            .collect();
        let routed = messages
            .iter()
            .flat_map(|m| &m.message.outcomes)
            .filter_map(|outcome| outcome.emit_now.as_ref())
            .filter(|(_, webhook_ids)| !webhook_ids.is_empty())
            .map(|(event, webhook_ids)| (event, webhook_ids.as_slice()))
            .collect();
        ExecutionsPlan {
            messages,
            later,
            routed,
        }
    }
}

/// The writes that emit a batch of due outcomes, in one transaction.
pub struct EmissionPlan<'a> {
    /// Events some webhook receives, with their deliveries.
    pub routed: Vec<(&'a NewEvent, &'a [Uuid])>,
    /// Entries appended to each message's `unrouted_events`, all of a message's at once.
    pub unrouted: Vec<(&'a str, String)>,
    /// The outcomes marked emitted: the ones above and those set aside.
    pub emitted: Vec<i64>,
}

impl<'a> EmissionPlan<'a> {
    pub fn new(
        events: &'a [(i64, NewEvent, Vec<Uuid>)],
        set_aside: &[i64],
        now: i64,
    ) -> EmissionPlan<'a> {
        let routed = events
            .iter()
            .filter(|(_, _, webhook_ids)| !webhook_ids.is_empty())
            .map(|(_, event, webhook_ids)| (event, webhook_ids.as_slice()))
            .collect();
        let mut by_message: HashMap<&str, String> = HashMap::new();
        for (_, event, _) in events.iter().filter(|(_, _, ids)| ids.is_empty()) {
            by_message
                .entry(&event.message_execution_id)
                .or_default()
                .push_str(&unrouted_entry(&event.event_type, now));
        }
        let mut unrouted: Vec<(&str, String)> = by_message.into_iter().collect();
        unrouted.sort();
        let emitted = emitted_outcomes(events, set_aside);
        EmissionPlan {
            routed,
            unrouted,
            emitted,
        }
    }
}

/// Every outcome a batch marks emitted: those with events, and those set aside.
pub fn emitted_outcomes(events: &[(i64, NewEvent, Vec<Uuid>)], set_aside: &[i64]) -> Vec<i64> {
    events
        .iter()
        .map(|(id, _, _)| *id)
        .chain(set_aside.iter().copied())
        .collect()
}

/// One event of a message's `unrouted_events`: `sent@1732800000000;`.
pub fn unrouted_entry(event_type: &str, at_ms: i64) -> String {
    format!("{event_type}@{at_ms};")
}

/// The events of a message's `unrouted_events`, oldest first; a malformed entry is skipped.
pub fn unrouted_events(text: &str) -> Vec<(String, i64)> {
    text.split(';')
        .filter_map(|entry| {
            let (event_type, at) = entry.split_once('@')?;
            Some((event_type.to_string(), at.parse().ok()?))
        })
        .collect()
}

/// A message execution row as the executions view reads it.
pub struct MessageRow {
    pub execution_id: Uuid,
    pub id: String,
    pub namespace: String,
    pub address: String,
    pub unrouted_events: String,
}

/// A stored event of a message, joined with one of its deliveries (if any): an event with
/// several deliveries comes as several rows, one after another.
pub struct EventDeliveryRow {
    pub event_id: Uuid,
    pub message_execution_id: String,
    pub event_type: String,
    pub created_at_ms: i64,
    /// (delivery id, stored state, attempts).
    pub delivery: Option<(Uuid, String, i64)>,
}

/// Puts a page of executions together with their messages (in position order) and each
/// message's events, stored and unrouted, oldest first (`sent` first within a millisecond).
pub fn execution_tree(
    mut executions: Vec<ExecutionRecord>,
    messages: Vec<MessageRow>,
    events: Vec<EventDeliveryRow>,
) -> Vec<ExecutionRecord> {
    let mut by_id: HashMap<String, (Uuid, MessageRecord)> = HashMap::new();
    let mut order: Vec<String> = Vec::with_capacity(messages.len());
    for row in messages {
        let events = unrouted_events(&row.unrouted_events)
            .into_iter()
            .map(|(event_type, created_at_ms)| MessageEventRecord {
                event_type,
                created_at_ms,
                deliveries: Vec::new(),
            })
            .collect();
        order.push(row.id.clone());
        by_id.insert(
            row.id.clone(),
            (
                row.execution_id,
                MessageRecord {
                    id: row.id,
                    namespace: row.namespace,
                    address: row.address,
                    events,
                },
            ),
        );
    }
    let mut last_event: Option<Uuid> = None;
    for row in events {
        let Some((_, message)) = by_id.get_mut(&row.message_execution_id) else {
            continue;
        };
        if last_event != Some(row.event_id) {
            message.events.push(MessageEventRecord {
                event_type: row.event_type,
                created_at_ms: row.created_at_ms,
                deliveries: Vec::new(),
            });
            last_event = Some(row.event_id);
        }
        if let (Some(delivery), Some(current)) = (row.delivery, message.events.last_mut()) {
            current.deliveries.push(delivery);
        }
    }
    for id in order {
        let Some((execution_id, mut message)) = by_id.remove(&id) else {
            continue;
        };
        message.events.sort_by_key(|event| {
            (
                event.created_at_ms,
                event.event_type != FeedbackStatus::Sent.as_str(),
            )
        });
        if let Some(execution) = executions.iter_mut().find(|e| e.id == execution_id) {
            execution.messages.push(message);
        }
    }
    executions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_shares_its_batch_and_knows_when_nothing_due_was_left() {
        assert_eq!(claim_share(256, 1, 128), 128);
        assert_eq!(claim_share(256, 4, 128), 64);
        assert_eq!(claim_share(256, 1_000, 128), 1);
        let of = |webhook: Uuid| ClaimedDelivery {
            id: Uuid::new_v4(),
            event_id: Uuid::new_v4(),
            webhook_id: webhook,
            sandbox_id: Uuid::nil(),
            webhook_version: 0,
            claim: 0,
            attempts: 0,
            payload: String::new(),
        };
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let few = vec![of(a), of(a), of(b)];
        assert!(claimed_all_due(&few, 256, 128), "fewer than either share");
        let a_full: Vec<_> = (0..64).map(|_| of(a)).chain([of(b)]).collect();
        assert!(
            !claimed_all_due(&a_full, 128, 128),
            "A took its whole share of 64"
        );
        assert!(claimed_all_due(&a_full, 256, 128), "A's share was 128");
        assert!(
            !claimed_all_due(&[], 0, 128),
            "a claim of nothing knows nothing"
        );
    }

    fn attempt(webhook_id: Uuid, started_at_ms: i64, next: NextStep) -> AttemptRecord {
        AttemptRecord {
            delivery_id: Uuid::new_v4(),
            webhook_id,
            claim: 0,
            attempt: 1,
            started_at_ms,
            duration_ms: 120,
            status: Some(if next == NextStep::Succeeded {
                200
            } else {
                503
            }),
            error_code: None,
            request_headers: Vec::new(),
            response_headers: Vec::new(),
            body_excerpt: String::new(),
            next,
        }
    }

    fn event(message: &str, event_type: &str) -> NewEvent {
        NewEvent {
            sandbox_id: Uuid::nil(),
            event_type: event_type.into(),
            channel: "email".into(),
            request_id: "r".into(),
            message_execution_id: message.into(),
            payload: "{}".into(),
        }
    }

    #[test]
    fn a_success_ends_the_streak_and_failures_start_it_at_the_earliest() {
        let (healthy, failing) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let attempts = [
            attempt(healthy, 50, NextStep::RetryAt(60)),
            attempt(healthy, 40, NextStep::Succeeded),
            attempt(failing, 30, NextStep::RetryAt(90)),
            attempt(failing, 20, NextStep::Failed),
        ];
        assert_eq!(
            failing_streaks(&attempts),
            [
                (healthy, Streak::Ended),
                (
                    failing,
                    Streak::Failing {
                        first_failure_ms: 20
                    }
                )
            ]
        );
    }

    #[test]
    fn health_cells_count_by_hour_and_bucket_and_keep_the_latest_error() {
        let webhook = Uuid::from_u128(7);
        let hour = 3_600_000;
        let mut late = attempt(webhook, hour + 10, NextStep::Failed);
        late.error_code = Some("E_TIMEOUT".into());
        let attempts = [
            attempt(webhook, 10, NextStep::Succeeded),
            attempt(webhook, 20, NextStep::Succeeded),
            attempt(webhook, 30, NextStep::RetryAt(99)),
            late,
        ];
        let changes = health_changes(&attempts);
        let bucket = latency_bucket(120) as i64;
        assert_eq!(
            changes.cells,
            [
                HealthCell {
                    webhook_id: webhook,
                    hour_ms: 0,
                    bucket,
                    counts: AttemptCounts {
                        succeeded: 2,
                        retried: 1,
                        failed: 0
                    },
                },
                HealthCell {
                    webhook_id: webhook,
                    hour_ms: hour,
                    bucket,
                    counts: AttemptCounts {
                        succeeded: 0,
                        retried: 0,
                        failed: 1
                    },
                },
            ]
        );
        assert_eq!(
            changes.last_errors,
            [(webhook, "E_TIMEOUT".to_string(), hour + 10)]
        );
    }

    #[test]
    fn an_attempt_moves_its_delivery_by_its_next_step() {
        assert_eq!(after_attempt(&NextStep::Succeeded, 5), ("succeeded", 5));
        assert_eq!(after_attempt(&NextStep::RetryAt(90), 5), ("pending", 90));
        assert_eq!(after_attempt(&NextStep::Failed, 5), ("failed", 5));
    }

    #[test]
    fn created_deliveries_are_matched_to_their_events() {
        let (a, b) = (event("m1", "sent"), event("m2", "sent"));
        let webhooks = [Uuid::from_u128(1), Uuid::from_u128(2)];
        let batch = [(&a, &webhooks[..]), (&b, &webhooks[..1])];
        let plan = EventsPlan::new(&batch, &Handoff::default());
        assert_eq!(plan.events.len(), 2);
        assert_eq!(plan.deliveries.len(), 3);
        assert_eq!(
            plan.event_of(&plan.deliveries[2])
                .event
                .message_execution_id,
            "m2"
        );
        // The second webhook's delivery was not written (disabled, say).
        let refused = plan.deliveries[1].id;
        let created = plan.created(|id| *id != refused);
        assert_eq!(created[0], [plan.deliveries[0].id]);
        assert_eq!(created[1], [plan.deliveries[2].id]);
    }

    #[test]
    fn a_handoff_claims_as_many_new_deliveries_of_each_webhook_as_its_room() {
        let (a, b, c) = (
            event("m1", "sent"),
            event("m2", "sent"),
            event("m3", "sent"),
        );
        let (one, two, three) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let both = [one, two];
        let batch = [(&a, &both[..]), (&b, &both[..]), (&c, &[three][..])];
        let handoff = Handoff {
            until: 900,
            room: vec![(one, 1), (two, 5)],
        };
        let plan = EventsPlan::new(&batch, &handoff);
        let claims: Vec<(Uuid, Option<i64>)> = plan
            .deliveries
            .iter()
            .map(|d| (d.webhook_id, d.claimed_until))
            .collect();
        // The first of webhook one's, both of two's; none of three's, which had no room.
        assert_eq!(
            claims,
            [
                (one, Some(900)),
                (two, Some(900)),
                (one, None),
                (two, Some(900)),
                (three, None)
            ]
        );
        // Webhook two's second delivery was not written (disabled meanwhile, say).
        let refused = plan.deliveries[3].id;
        let handed = plan.handed_off(|id| (*id != refused).then_some(42));
        assert_eq!(handed.len(), 2);
        let first = &handed[0];
        assert_eq!(
            (first.id, first.event_id, first.webhook_id, first.claim),
            (plan.deliveries[0].id, plan.events[0].id, one, 900)
        );
        assert_eq!((first.webhook_version, first.attempts), (42, 0));
        assert_eq!(first.payload, a.payload);
        assert_eq!(
            (handed[1].id, handed[1].webhook_id),
            (plan.deliveries[1].id, two)
        );
        assert!(EventsPlan::new(&batch, &Handoff::default())
            .deliveries
            .iter()
            .all(|d| d.claimed_until.is_none()));
    }

    fn outcome(emit_now: Option<(NewEvent, Vec<Uuid>)>) -> NewOutcome {
        NewOutcome {
            status: FeedbackStatus::Sent,
            failure: None,
            retry_count: 0,
            due_at_ms: 0,
            emit_now,
        }
    }

    #[test]
    fn an_execution_splits_into_queued_routed_and_unrouted_outcomes() {
        let webhook = Uuid::from_u128(9);
        let message = |id: &str, outcomes: Vec<NewOutcome>| NewMessageExecution {
            id: id.into(),
            recipient_type: "aep".into(),
            user_id: "u".into(),
            namespace: "email".into(),
            address: "a@b.c".into(),
            campaign_version_id: "v".into(),
            content: "{}".into(),
            outcomes,
        };
        let executions = [NewExecution {
            id: Uuid::from_u128(1),
            sandbox_id: Uuid::nil(),
            campaign_id: Uuid::nil(),
            request_id: "r".into(),
            created_by: "k".into(),
            response: "{}".into(),
            messages: vec![
                message(
                    "m1",
                    vec![outcome(Some((event("m1", "sent"), vec![]))), outcome(None)],
                ),
                message(
                    "m2",
                    vec![outcome(Some((event("m2", "sent"), vec![webhook])))],
                ),
            ],
        }];
        let plan = ExecutionsPlan::new(&executions, 77);
        let rows: Vec<(&str, usize, &str)> = plan
            .messages
            .iter()
            .map(|m| (m.message.id.as_str(), m.position, m.unrouted.as_str()))
            .collect();
        assert_eq!(rows, [("m1", 0, "sent@77;"), ("m2", 1, "")]);
        assert_eq!(plan.later.len(), 1);
        assert_eq!(plan.later[0].0, "m1");
        assert_eq!(plan.routed.len(), 1);
        assert_eq!(plan.routed[0].0.message_execution_id, "m2");
        assert_eq!(plan.routed[0].1, [webhook]);
    }

    #[test]
    fn emission_groups_unrouted_events_by_message_and_marks_every_outcome() {
        let webhook = Uuid::from_u128(3);
        let events = vec![
            (1, event("m1", "delivered"), vec![]),
            (2, event("m2", "bounce"), vec![webhook]),
            (3, event("m1", "error"), vec![]),
        ];
        let plan = EmissionPlan::new(&events, &[9], 50);
        assert_eq!(plan.routed.len(), 1);
        assert_eq!(plan.routed[0].0.event_type, "bounce");
        assert_eq!(
            plan.unrouted,
            [("m1", "delivered@50;error@50;".to_string())]
        );
        assert_eq!(plan.emitted, [1, 2, 3, 9]);
    }

    #[test]
    fn unrouted_events_read_back_in_order() {
        let text = [
            ("sent", 1_732_800_000_000),
            ("delivered", 1_732_800_000_500),
        ]
        .map(|(event, at)| unrouted_entry(event, at))
        .concat();
        assert_eq!(text, "sent@1732800000000;delivered@1732800000500;");
        assert_eq!(
            unrouted_events(&text),
            [
                ("sent".to_string(), 1_732_800_000_000),
                ("delivered".to_string(), 1_732_800_000_500)
            ]
        );
        assert!(unrouted_events("").is_empty());
        assert_eq!(
            unrouted_events("sent@x;bounce@7;"),
            [("bounce".to_string(), 7)]
        );
    }

    #[test]
    fn the_execution_tree_merges_stored_and_unrouted_events_in_time_order() {
        let (x1, x2) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let execution = |id| ExecutionRecord {
            id,
            request_id: "r".into(),
            created_at_ms: 0,
            messages: Vec::new(),
        };
        let message = |execution_id, id: &str, unrouted: &str| MessageRow {
            execution_id,
            id: id.into(),
            namespace: "email".into(),
            address: format!("{id}@b.c"),
            unrouted_events: unrouted.into(),
        };
        let (d1, d2) = (Uuid::from_u128(11), Uuid::from_u128(12));
        let row = |event: u128, message: &str, event_type: &str, at, delivery| EventDeliveryRow {
            event_id: Uuid::from_u128(event),
            message_execution_id: message.into(),
            event_type: event_type.into(),
            created_at_ms: at,
            delivery,
        };
        let tree = execution_tree(
            vec![execution(x2), execution(x1)],
            vec![
                message(x1, "m1", "delivered@10;"),
                message(x2, "m2", ""),
                message(x1, "m3", ""),
            ],
            vec![
                // Same millisecond as the unrouted `delivered`: `sent` still comes first.
                row(100, "m1", "sent", 10, Some((d1, "succeeded".into(), 1))),
                row(100, "m1", "sent", 10, Some((d2, "pending".into(), 0))),
                row(101, "m2", "bounce", 20, None),
                row(102, "unknown", "sent", 5, None),
            ],
        );
        assert_eq!(tree[0].id, x2);
        assert_eq!(tree[0].messages.len(), 1);
        assert_eq!(tree[0].messages[0].events[0].event_type, "bounce");
        assert!(tree[0].messages[0].events[0].deliveries.is_empty());
        let first = &tree[1];
        let ids: Vec<&str> = first.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["m1", "m3"]);
        let events: Vec<(&str, usize)> = first.messages[0]
            .events
            .iter()
            .map(|e| (e.event_type.as_str(), e.deliveries.len()))
            .collect();
        assert_eq!(events, [("sent", 2), ("delivered", 0)]);
        assert!(first.messages[1].events.is_empty());
    }
}

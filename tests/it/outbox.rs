//! The outbox in a real database: one transaction per event, leases, attempts.

use feedback_webhooks::server::storage::*;
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

struct Fixture {
    store: Arc<dyn Store>,
    url: String,
    sandbox: SandboxRef,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::support::database::database_url(dir.path());
    let store = open(&url).await.unwrap().store;
    let sandbox = store.ensure_sandbox("test-org", "prod").await.unwrap();
    Fixture {
        store,
        url,
        sandbox,
        _dir: dir,
    }
}

/// Every delivery of the sandbox, newest first, through the store.
async fn deliveries(f: &Fixture) -> Vec<DeliveryRecord> {
    let filter = DeliveryFilter {
        limit: 1_000,
        ..DeliveryFilter::default()
    };
    f.store
        .list_deliveries(f.sandbox.id, &filter)
        .await
        .unwrap()
        .records
}

async fn webhook(f: &Fixture, name: &str) -> Uuid {
    webhook_in(f, f.sandbox.id, name, true).await
}

async fn webhook_in(f: &Fixture, sandbox_id: Uuid, name: &str, enabled: bool) -> Uuid {
    let write = WebhookWrite {
        name: name.into(),
        email: true,
        sms: false,
        url: "https://hooks.example.com/x".into(),
        enabled,
        disabled_reason: None,
        events: feedback_webhooks::model::feedback::FeedbackStatus::ALL.to_vec(),
        jwt: None,
        headers: Vec::new(),
    };
    f.store
        .create_webhook(
            sandbox_id,
            Uuid::new_v4(),
            &write,
            &crate::support::test_entry(&f.sandbox),
        )
        .await
        .unwrap()
        .id
}

async fn enabled(f: &Fixture, id: Uuid) -> (bool, Option<String>) {
    let record = f.store.webhook_by_id(id).await.unwrap().unwrap();
    (record.settings.enabled, record.settings.disabled_reason)
}

fn event(f: &Fixture, request_id: &str) -> NewEvent {
    NewEvent {
        sandbox_id: f.sandbox.id,
        event_type: "delivered".into(),
        channel: "email".into(),
        request_id: request_id.into(),
        message_execution_id: "MEX-1".into(),
        payload: format!(r#"{{"requestId":"{request_id}"}}"#),
    }
}

fn attempt(claimed: &ClaimedDelivery, next: NextStep) -> AttemptRecord {
    AttemptRecord {
        delivery_id: claimed.id,
        webhook_id: claimed.webhook_id,
        claim: claimed.claim,
        attempt: claimed.attempts + 1,
        started_at_ms: now_ms(),
        duration_ms: 12,
        status: Some(500),
        error_code: None,
        request_headers: vec![("webhook-id".into(), claimed.id.to_string())],
        response_headers: vec![("content-type".into(), "text/plain".into())],
        body_excerpt: "oops".into(),
        next,
    }
}

/// The entry of a webhook the engine turns off: the store names the webhook and its
/// organization.
fn disabling_entry() -> feedback_webhooks::server::storage::AuditRecord {
    feedback_webhooks::server::audit::system_entry(
        Uuid::nil(),
        "webhook.disabled_automatically",
        "webhook",
        "",
    )
}

/// Never disables anything.
fn lenient() -> AutoDisable {
    AutoDisable {
        failing_since_before_ms: 0,
        reason: "never".into(),
        audit: disabling_entry(),
    }
}

/// Writes the batch in one transaction, nothing handed off: each event's delivery ids, or why
/// it was refused.
async fn enqueue_batch(
    f: &Fixture,
    batch: &[(NewEvent, Vec<Uuid>)],
) -> Vec<StoreResult<Vec<Uuid>>> {
    f.store
        .enqueue_events(batch, &Handoff::default())
        .await
        .unwrap()
        .answer
}

async fn claim(f: &Fixture, now: i64, lease_until: i64, limit: i64) -> Vec<ClaimedDelivery> {
    f.store
        .claim_due(now, lease_until, limit, 16, &ClaimSkip::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_event_and_its_deliveries_are_claimed_under_a_lease() {
    let f = fixture().await;
    let (a, b) = (webhook(&f, "A").await, webhook(&f, "B").await);
    let ids = f
        .store
        .enqueue_event(&event(&f, "req-1"), &[a, b])
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);

    let now = now_ms();
    let claimed = claim(&f, now, now + 30_000, 10).await;
    assert_eq!(claimed.len(), 2);
    assert!(claimed
        .iter()
        .all(|c| c.payload == r#"{"requestId":"req-1"}"# && c.attempts == 0));
    assert!(
        claim(&f, now, now + 30_000, 10).await.is_empty(),
        "leased rows are not claimed twice"
    );

    // One succeeds, one retries now: only the retry comes back.
    f.store
        .record_attempts(
            &[
                attempt(&claimed[0], NextStep::Succeeded),
                attempt(&claimed[1], NextStep::RetryAt(now)),
            ],
            &lenient(),
        )
        .await
        .unwrap();
    let again = claim(&f, now_ms(), now_ms() + 30_000, 10).await;
    assert_eq!(
        again.iter().map(|c| (c.id, c.attempts)).collect::<Vec<_>>(),
        vec![(claimed[1].id, 1)]
    );
    f.store
        .record_attempts(&[attempt(&again[0], NextStep::Failed)], &lenient())
        .await
        .unwrap();
    assert!(claim(&f, now_ms() + 60_000, now_ms() + 90_000, 10)
        .await
        .is_empty());
    assert_eq!(f.store.next_due_ms().await.unwrap(), None);
}

#[tokio::test]
async fn handed_off_deliveries_are_written_claimed_and_no_claim_takes_them() {
    let f = fixture().await;
    let (a, b) = (webhook(&f, "A").await, webhook(&f, "B").await);
    let off = webhook_in(&f, f.sandbox.id, "Off", false).await;
    let batch: Vec<_> = (0..3)
        .map(|i| (event(&f, &format!("req-h{i}")), vec![a, b, off]))
        .collect();
    let until = now_ms() + 60_000;
    let handoff = Handoff {
        until,
        room: vec![(a, 2), (off, 1)],
    };
    let written = f.store.enqueue_events(&batch, &handoff).await.unwrap();

    // The first two of A's come back ready to send; a disabled webhook's get no delivery.
    let handed = written.handed_off;
    let version = f
        .store
        .webhook_by_id(a)
        .await
        .unwrap()
        .unwrap()
        .updated_at_ms;
    assert_eq!(handed.len(), 2);
    for (i, delivery) in handed.iter().enumerate() {
        assert_eq!(
            (delivery.webhook_id, delivery.sandbox_id, delivery.claim),
            (a, f.sandbox.id, until)
        );
        assert_eq!((delivery.attempts, delivery.webhook_version), (0, version));
        assert_eq!(delivery.payload, batch[i].0.payload);
        let created = written.answer[i].as_ref().unwrap();
        assert_eq!(created.len(), 2, "A's and B's, not Off's");
        assert!(created.contains(&delivery.id));
    }

    // A claim takes the others (B's three, A's third), never a handed-off one.
    let now = now_ms();
    let claimed = claim(&f, now, until + 60_000, 100).await;
    assert_eq!(claimed.len(), 4);
    assert!(claimed.iter().all(|c| handed.iter().all(|h| h.id != c.id)));
    assert_eq!(claimed.iter().filter(|c| c.webhook_id == a).count(), 1);
    assert!(
        claim(&f, until - 1, until, 100).await.is_empty(),
        "a handed-off delivery is due only once its lease ends"
    );

    // Its attempt is recorded under the claim it was written with.
    f.store
        .record_attempts(&[attempt(&handed[0], NextStep::Succeeded)], &lenient())
        .await
        .unwrap();
    assert_eq!(attempt_numbers(&f, handed[0].id).await, [1]);
    let states: Vec<(Uuid, String)> = deliveries(&f)
        .await
        .into_iter()
        .filter(|d| handed.iter().any(|h| h.id == d.id))
        .map(|d| (d.id, d.state))
        .collect();
    assert!(states.contains(&(handed[0].id, "succeeded".to_string())));
    assert!(states.contains(&(handed[1].id, "pending".to_string())));

    // Unsent (the instance stopped), it is due again at once for any instance.
    assert_eq!(
        f.store
            .release_claims(&[(handed[1].id, until)], now_ms())
            .await
            .unwrap(),
        1
    );
    let again = claim(&f, now_ms(), now_ms() + 1_000, 100).await;
    assert_eq!(
        again.iter().map(|c| c.id).collect::<Vec<_>>(),
        [handed[1].id]
    );
}

#[tokio::test]
async fn a_worker_that_dies_holding_a_lease_loses_nothing() {
    let f = fixture().await;
    let a = webhook(&f, "A").await;
    f.store
        .enqueue_event(&event(&f, "req-crash"), &[a])
        .await
        .unwrap();
    let now = now_ms();
    let claimed = claim(&f, now, now + 1_000, 10).await;
    assert_eq!(claimed.len(), 1);
    // The worker vanished without recording anything; once the lease expires the row is due again.
    assert!(claim(&f, now + 500, now + 1_500, 10).await.is_empty());
    assert_eq!(f.store.next_due_ms().await.unwrap(), Some(now + 1_000));
    let reclaimed = claim(&f, now + 1_000, now + 2_000, 10).await;
    assert_eq!(reclaimed[0].id, claimed[0].id);
}

/// The attempts stored for a delivery, by number.
async fn attempt_numbers(f: &Fixture, id: Uuid) -> Vec<i64> {
    let (_, _, attempts) = f.store.delivery(f.sandbox.id, id).await.unwrap().unwrap();
    attempts.iter().map(|a| a.attempt).collect()
}

#[tokio::test]
async fn only_the_current_claims_result_is_recorded_and_a_finished_delivery_never_goes_back() {
    let f = fixture().await;
    let a = webhook(&f, "A").await;
    f.store
        .enqueue_event(&event(&f, "req-late"), &[a])
        .await
        .unwrap();
    let now = now_ms();
    let first = claim(&f, now, now + 1_000, 10).await.remove(0);
    assert_eq!(first.claim, now + 1_000);
    // The first worker is slow: its lease ends and the delivery is claimed again.
    let second = claim(&f, now + 1_000, now + 2_000, 10).await.remove(0);
    assert_eq!((second.id, second.attempts), (first.id, 0));
    assert!(
        second.claim > first.claim,
        "each claim is later than the last"
    );

    // The first worker's late failure changes nothing: the delivery stays claimed by the second.
    f.store
        .record_attempts(&[attempt(&first, NextStep::RetryAt(now))], &lenient())
        .await
        .unwrap();
    assert!(attempt_numbers(&f, first.id).await.is_empty());
    assert!(claim(&f, now + 1_500, now + 2_500, 10).await.is_empty());
    let record = &deliveries(&f).await[0];
    assert_eq!((record.state.as_str(), record.attempts), ("pending", 0));

    // The current claim's success is recorded, once.
    f.store
        .record_attempts(&[attempt(&second, NextStep::Succeeded)], &lenient())
        .await
        .unwrap();
    assert_eq!(attempt_numbers(&f, first.id).await, [1]);
    // Written again (a retried batch that had in fact committed) or late from the first claim,
    // a result never moves a finished delivery back.
    for late in [&second, &first] {
        f.store
            .record_attempts(&[attempt(late, NextStep::RetryAt(now))], &lenient())
            .await
            .unwrap();
    }
    let record = &deliveries(&f).await[0];
    assert_eq!((record.state.as_str(), record.attempts), ("succeeded", 1));
    assert_eq!(attempt_numbers(&f, first.id).await, [1]);
    assert!(claim(&f, now_ms() + 60_000, now_ms() + 61_000, 10)
        .await
        .is_empty());
}

#[tokio::test]
async fn released_claims_are_due_at_once_but_never_a_newer_claim() {
    let f = fixture().await;
    let a = webhook(&f, "A").await;
    for request in ["req-1", "req-2"] {
        f.store
            .enqueue_event(&event(&f, request), &[a])
            .await
            .unwrap();
    }
    let now = now_ms();
    let claimed = claim(&f, now, now + 60_000, 10).await;
    assert_eq!(claimed.len(), 2);
    // The second's lease is taken over (as if it had ended and another worker claimed it).
    let stale = claimed[1].clone();
    let released = f
        .store
        .release_claims(
            &[
                (claimed[0].id, claimed[0].claim),
                (stale.id, stale.claim - 1),
            ],
            now + 5,
        )
        .await
        .unwrap();
    assert_eq!(released, 1, "only the claim still current is released");
    let again = claim(&f, now + 5, now + 60_000, 10).await;
    assert_eq!(
        again.iter().map(|c| c.id).collect::<Vec<_>>(),
        [claimed[0].id],
        "due at once, long before its lease would have ended"
    );
    assert_eq!(again[0].attempts, 0, "releasing is no attempt");
}

#[tokio::test]
async fn the_queue_state_counts_due_in_flight_and_retrying_per_sandbox_up_to_a_cap() {
    let f = fixture().await;
    let a = webhook(&f, "A").await;
    webhook_in(&f, f.sandbox.id, "Off", false).await;
    let other = f.store.ensure_sandbox("test-org", "dev").await.unwrap();
    let elsewhere = webhook_in(&f, other.id, "Elsewhere", true).await;
    for n in 0..5 {
        f.store
            .enqueue_event(&event(&f, &format!("req-{n}")), &[a])
            .await
            .unwrap();
    }
    let mut foreign = event(&f, "req-foreign");
    foreign.sandbox_id = other.id;
    f.store.enqueue_event(&foreign, &[elsewhere]).await.unwrap();
    let now = now_ms();
    // Of A's five: two claimed (in flight), one of them then failing into a retry later.
    let only_a = ClaimSkip {
        webhooks: Vec::new(),
        sandboxes: vec![other.id],
    };
    let claimed = f
        .store
        .claim_due(now, now + 60_000, 2, 2, &only_a)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    f.store
        .record_attempts(
            &[attempt(&claimed[0], NextStep::RetryAt(now + 30_000))],
            &lenient(),
        )
        .await
        .unwrap();
    let later = now + 10;
    let state = f
        .store
        .queue_state(Some(f.sandbox.id), later, 1_000)
        .await
        .unwrap();
    // The other sandbox's delivery is not counted.
    assert_eq!(
        (state.due, state.in_flight, state.retrying),
        (3, 1, 1),
        "{state:?}"
    );
    let oldest = state.oldest_due_ms.expect("some are due");
    assert!(oldest <= later && oldest >= now - 5_000, "{oldest}");
    let everything = f.store.queue_state(None, later, 1_000).await.unwrap();
    assert_eq!(everything.due, 4);
    let capped = f
        .store
        .queue_state(Some(f.sandbox.id), later, 2)
        .await
        .unwrap();
    assert_eq!(capped.due, 2, "counting stops at the cap");
    assert_eq!(f.store.disabled_webhook_count().await.unwrap(), 1);
    // Before anything fell due: nothing due, no oldest.
    let before = f
        .store
        .queue_state(Some(f.sandbox.id), now - 60_000, 1_000)
        .await
        .unwrap();
    assert_eq!((before.due, before.oldest_due_ms), (0, None));
}

#[tokio::test]
async fn deliveries_are_created_only_for_enabled_webhooks_of_the_events_sandbox() {
    let f = fixture().await;
    let a = webhook(&f, "A").await;
    let off = webhook_in(&f, f.sandbox.id, "Off", false).await;
    let other_sandbox = f.store.ensure_sandbox("test-org", "dev").await.unwrap();
    let foreign = webhook_in(&f, other_sandbox.id, "Foreign", true).await;
    let ids = f
        .store
        .enqueue_event(&event(&f, "req-1"), &[a, off, foreign, Uuid::new_v4()])
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    let now = now_ms();
    let claimed = claim(&f, now, now + 1_000, 10).await;
    assert_eq!(
        claimed
            .iter()
            .map(|c| (c.id, c.webhook_id))
            .collect::<Vec<_>>(),
        vec![(ids[0], a)]
    );
    // The event itself is kept even when no webhook takes it.
    let none = f
        .store
        .enqueue_event(&event(&f, "req-2"), &[off])
        .await
        .unwrap();
    assert!(none.is_empty());
    let events =
        crate::support::database::count(&f.url, "SELECT COUNT(*) FROM feedback_events").await;
    assert_eq!(events, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_never_claim_the_same_delivery() {
    let f = fixture().await;
    let a = webhook(&f, "A").await;
    let batch: Vec<_> = (0..200)
        .map(|i| (event(&f, &format!("req-{i}")), vec![a]))
        .collect();
    enqueue_batch(&f, &batch).await;
    let now = now_ms();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let store = f.store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = store
                        .claim_due(now, now + 60_000, 16, 7, &ClaimSkip::default())
                        .await
                        .unwrap();
                    if batch.is_empty() {
                        break mine;
                    }
                    assert!(batch.len() <= 7, "at most the per-webhook quota per claim");
                    mine.extend(batch.into_iter().map(|c| c.id));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 200);
    assert_eq!(unique.len(), 200);
}

#[tokio::test]
async fn claims_share_the_batch_between_webhooks_and_skip_full_ones() {
    let f = fixture().await;
    let (a, b) = (webhook(&f, "A").await, webhook(&f, "B").await);
    let batch: Vec<_> = (0..10)
        .map(|i| (event(&f, &format!("req-{i}")), vec![a, b]))
        .collect();
    enqueue_batch(&f, &batch).await;
    let now = now_ms();
    let claimed = f
        .store
        .claim_due(now, now + 1_000, 100, 3, &ClaimSkip::default())
        .await
        .unwrap();
    let of = |id: Uuid| claimed.iter().filter(|c| c.webhook_id == id).count();
    assert_eq!((of(a), of(b)), (3, 3));
    let only_b = f
        .store
        .claim_due(
            now,
            now + 1_000,
            100,
            3,
            &ClaimSkip {
                webhooks: vec![a],
                sandboxes: Vec::new(),
            },
        )
        .await
        .unwrap();
    assert!(only_b.iter().all(|c| c.webhook_id == b) && only_b.len() == 3);
}

#[tokio::test]
async fn each_attempt_is_stored_with_its_number() {
    let f = fixture().await;
    let a = webhook(&f, "A").await;
    let id = f
        .store
        .enqueue_event(&event(&f, "req-n"), &[a])
        .await
        .unwrap()[0];
    for _ in 0..3 {
        let now = now_ms();
        let claimed = claim(&f, now, now + 1_000, 1).await;
        f.store
            .record_attempts(&[attempt(&claimed[0], NextStep::RetryAt(now))], &lenient())
            .await
            .unwrap();
    }
    let (_, _, attempts) = f.store.delivery(f.sandbox.id, id).await.unwrap().unwrap();
    let numbers: Vec<i64> = attempts.iter().map(|a| a.attempt).collect();
    assert_eq!(numbers, vec![1, 2, 3]);
}

#[tokio::test]
async fn a_group_commit_keeps_good_events_when_one_is_refused() {
    let f = fixture().await;
    let a = webhook(&f, "A").await;
    let mut unknown_sandbox = event(&f, "req-bad");
    unknown_sandbox.sandbox_id = Uuid::new_v4();
    let batch = vec![
        (event(&f, "req-ok-1"), vec![a]),
        (unknown_sandbox, vec![a]),
        (event(&f, "req-ok-2"), vec![a]),
    ];
    let results = enqueue_batch(&f, &batch).await;
    assert!(results[0].is_ok() && results[1].is_err() && results[2].is_ok());
    let mut requests: Vec<String> = deliveries(&f)
        .await
        .into_iter()
        .map(|record| record.request_id)
        .collect();
    requests.sort();
    assert_eq!(requests, vec!["req-ok-1", "req-ok-2"]);
    let now = now_ms();
    assert_eq!(claim(&f, now, now + 1_000, 10).await.len(), 2);
}

/// An event and its deliveries are one transaction: when the database refuses the second
/// delivery, neither the event nor its first delivery is kept, and an event beside it in the
/// same group commit is.
#[tokio::test]
async fn an_event_is_stored_with_all_its_deliveries_or_not_at_all() {
    use crate::support::database::{count, execute};
    let f = fixture().await;
    let kept = webhook(&f, "kept").await;
    let refusing = webhook(&f, "refusing").await;
    // The fault: the database refuses any delivery to the webhook named "refusing".
    if f.url.starts_with("postgres") {
        execute(
            &f.url,
            "CREATE FUNCTION refuse_delivery() RETURNS trigger AS $$ BEGIN \
               IF (SELECT name FROM feedback_webhooks WHERE id = NEW.webhook_id) = 'refusing' \
               THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        )
        .await;
        execute(
            &f.url,
            "CREATE TRIGGER refuse_delivery BEFORE INSERT ON deliveries \
             FOR EACH ROW EXECUTE FUNCTION refuse_delivery()",
        )
        .await;
    } else {
        execute(
            &f.url,
            "CREATE TRIGGER refuse_delivery BEFORE INSERT ON deliveries \
             WHEN (SELECT name FROM feedback_webhooks WHERE id = NEW.webhook_id) = 'refusing' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        )
        .await;
    }
    let batch = vec![
        (event(&f, "req-whole"), vec![kept, refusing]),
        (event(&f, "req-beside"), vec![kept]),
    ];
    let results = enqueue_batch(&f, &batch).await;
    assert!(results[0].is_err(), "the refused delivery fails its event");
    assert_eq!(results[1].as_ref().unwrap().len(), 1);
    let events = |request_id: &str| {
        format!("SELECT COUNT(*) FROM feedback_events WHERE request_id = '{request_id}'")
    };
    assert_eq!(
        count(&f.url, &events("req-whole")).await,
        0,
        "no event without its deliveries"
    );
    assert_eq!(count(&f.url, &events("req-beside")).await, 1);
    let requests: Vec<String> = deliveries(&f)
        .await
        .into_iter()
        .map(|record| record.request_id)
        .collect();
    assert_eq!(requests, ["req-beside"], "no delivery of the refused event");
}

/// Retention takes the hourly statistics older than its cutoff, and only those.
#[tokio::test]
async fn retention_prunes_hourly_statistics_older_than_its_cutoff() {
    use crate::support::database::count;
    const HOUR: i64 = 3_600_000;
    let f = fixture().await;
    let hook = webhook(&f, "A").await;
    let stored = enqueue_batch(&f, &[(event(&f, "req-stats"), vec![hook])]).await;
    assert!(stored[0].is_ok());
    let now = now_ms();
    let claimed = claim(&f, now, now + 60_000, 10).await;
    f.store
        .record_attempts(&[attempt(&claimed[0], NextStep::Failed)], &lenient())
        .await
        .unwrap();
    let statistics = "SELECT COUNT(*) FROM webhook_hourly_stats";
    assert!(
        count(&f.url, statistics).await >= 1,
        "the attempt is counted"
    );
    f.store.prune(now - 2 * HOUR, 100).await.unwrap();
    assert!(
        count(&f.url, statistics).await >= 1,
        "this hour's statistics are newer than a cutoff two hours ago"
    );
    f.store.prune(now + 2 * HOUR, 100).await.unwrap();
    assert_eq!(count(&f.url, statistics).await, 0);
}

#[tokio::test]
async fn a_webhook_failing_since_before_the_cutoff_is_disabled_and_a_success_resets_it() {
    let f = fixture().await;
    let (a, b) = (webhook(&f, "A").await, webhook(&f, "B").await);
    let batch: Vec<_> = (0..3)
        .map(|i| (event(&f, &format!("req-{i}")), vec![a, b]))
        .collect();
    enqueue_batch(&f, &batch).await;
    let start = now_ms();
    let policy = |cutoff: i64| AutoDisable {
        failing_since_before_ms: cutoff,
        reason: "No success for 5 days.".into(),
        audit: disabling_entry(),
    };
    let failing = |c: &ClaimedDelivery, at: i64| AttemptRecord {
        started_at_ms: at,
        ..attempt(c, NextStep::RetryAt(0))
    };

    // First failures of both webhooks start their streaks; nothing is old enough yet.
    let nothing_skipped = ClaimSkip::default();
    let one_each = |now: i64| f.store.claim_due(now, now + 1, 10, 1, &nothing_skipped);
    let claimed = one_each(start).await.unwrap();
    assert_eq!(claimed.len(), 2);
    let disabled = f
        .store
        .record_attempts(
            &[failing(&claimed[0], start), failing(&claimed[1], start)],
            &policy(start - 1),
        )
        .await
        .unwrap();
    assert!(disabled.is_empty());

    // A success of A ends its streak; B keeps failing and its streak is older than the cutoff.
    let claimed = one_each(start + 10).await.unwrap();
    let (of_a, of_b): (Vec<_>, Vec<_>) = claimed.iter().partition(|c| c.webhook_id == a);
    let disabled = f
        .store
        .record_attempts(
            &[
                attempt(of_a[0], NextStep::Succeeded),
                failing(of_b[0], start + 10),
            ],
            &policy(start + 5),
        )
        .await
        .unwrap();
    assert_eq!(disabled, vec![b]);
    assert_eq!(enabled(&f, a).await, (true, None));
    assert_eq!(
        enabled(&f, b).await,
        (false, Some("No success for 5 days.".into()))
    );
    // The disabling is in the audit log of the webhook's organization, naming it; the earlier
    // batches, which disabled nothing, wrote nothing.
    let (disablings, read) = crate::support::logged(
        f.store.as_ref(),
        f.sandbox.organization_id,
        "webhook.disabled_automatically",
    )
    .await;
    assert_eq!(disablings.len(), 1, "{disablings:?} of {read} entries");
    assert_eq!(disablings[0].object_id, Some(b.to_string()));
    assert_eq!(disablings[0].actor_kind, "system");
    assert!(!disablings[0].object_name.is_empty());
    // A disabled webhook's deliveries are not claimed.
    assert!(claim(&f, start + 20, start + 21, 10)
        .await
        .iter()
        .all(|c| c.webhook_id == a));
}

#[tokio::test]
async fn deliveries_waiting_too_long_for_a_disabled_webhook_expire() {
    let f = fixture().await;
    let (a, b) = (webhook(&f, "A").await, webhook(&f, "B").await);
    let ids = f
        .store
        .enqueue_event(&event(&f, "req-1"), &[a, b])
        .await
        .unwrap();
    f.store
        .disable_webhook(b, "410 Gone", &disabling_entry())
        .await
        .unwrap();
    let later = now_ms() + 10_000;
    assert_eq!(
        f.store.expire_waiting(later - 60_000, 100).await.unwrap(),
        0
    );
    assert_eq!(f.store.expire_waiting(later, 100).await.unwrap(), 1);
    let states: Vec<(Uuid, String, Option<String>)> = deliveries(&f)
        .await
        .into_iter()
        .map(|record| (record.id, record.state, record.last_error))
        .collect();
    assert!(
        states.contains(&(ids[1], "failed".into(), Some("E_EXPIRED".into()))),
        "{states:?}"
    );
    assert!(
        states.contains(&(ids[0], "pending".into(), None)),
        "the enabled webhook's delivery waits on: {states:?}"
    );
}

#[tokio::test]
async fn attempts_of_a_webhook_deleted_meanwhile_do_not_fail_the_others() {
    let f = fixture().await;
    let (a, b) = (webhook(&f, "A").await, webhook(&f, "B").await);
    f.store
        .enqueue_event(&event(&f, "req-1"), &[a, b])
        .await
        .unwrap();
    let now = now_ms();
    let claimed = claim(&f, now, now + 1_000, 10).await;
    assert!(f
        .store
        .delete_webhook(f.sandbox.id, a, &crate::support::test_entry(&f.sandbox))
        .await
        .unwrap());
    let records: Vec<_> = claimed
        .iter()
        .map(|c| attempt(c, NextStep::Succeeded))
        .collect();
    f.store.record_attempts(&records, &lenient()).await.unwrap();
    let states: Vec<(Uuid, String)> = deliveries(&f)
        .await
        .into_iter()
        .map(|record| (record.webhook_id, record.state))
        .collect();
    assert_eq!(
        states,
        vec![(b, "succeeded".to_string())],
        "B's delivery is recorded"
    );
}

#[tokio::test]
async fn a_filter_no_index_serves_looks_through_a_bounded_number_of_rows_per_page() {
    let f = fixture().await;
    let hook = webhook(&f, "Budget").await;
    // 12 deliveries, oldest first: only the 2nd and the 11th are bounces.
    for n in 0..12 {
        let mut event = event(&f, &format!("req-{n:02}"));
        if n == 1 || n == 10 {
            event.event_type = "bounce".into();
        }
        f.store.enqueue_event(&event, &[hook]).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let page = |before: Option<(i64, Uuid)>| DeliveryFilter {
        event_type: Some("bounce".into()),
        before,
        limit: 3,
        scan_budget: 4,
        ..Default::default()
    };
    let mut found = Vec::new();
    let mut before = None;
    let mut pages = 0;
    loop {
        let list = f
            .store
            .list_deliveries(f.sandbox.id, &page(before))
            .await
            .unwrap();
        pages += 1;
        found.extend(list.records.iter().map(|r| r.request_id.clone()));
        match list.next_before(3) {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    assert_eq!(
        found,
        ["req-10", "req-01"],
        "every match, newest first, once"
    );
    // 12 rows looked at 4 per page, and a last page that finds the walk's end.
    assert_eq!(pages, 4);
    // Without a budget to spend, an unfiltered page is a plain index walk.
    let all = f
        .store
        .list_deliveries(
            f.sandbox.id,
            &DeliveryFilter {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.records.len(), 12);
    assert_eq!(all.resume_before, None);
}

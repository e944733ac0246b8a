//! The outbox in a real SQLite database: one transaction per event, leases, attempts.
#![cfg(feature = "ssr")]

use feedback_webhooks::server::storage::*;
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

struct Fixture {
    store: Arc<SqliteStorage>,
    sandbox: SandboxRef,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStorage::open(&format!("sqlite://{}/outbox.db", dir.path().display()))
        .await
        .unwrap();
    let sandbox = store.ensure_sandbox("test-org", "prod").await.unwrap();
    Fixture {
        store: Arc::new(store),
        sandbox,
        _dir: dir,
    }
}

async fn webhook(f: &Fixture, name: &str) -> Uuid {
    let write = WebhookWrite {
        name: name.into(),
        email: true,
        sms: false,
        url: "https://hooks.example.com/x".into(),
        enabled: true,
        disabled_reason: None,
        jwt: None,
        headers: Vec::new(),
    };
    f.store
        .create_webhook(f.sandbox.id, &write)
        .await
        .unwrap()
        .id
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

fn attempt(delivery_id: Uuid, next: NextStep) -> AttemptRecord {
    AttemptRecord {
        delivery_id,
        started_at_ms: now_ms(),
        duration_ms: 12,
        status: Some(500),
        error_code: None,
        response_headers: vec![("content-type".into(), "text/plain".into())],
        body_excerpt: "oops".into(),
        next,
    }
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
    let claimed = f.store.claim_due(now, now + 30_000, 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(claimed
        .iter()
        .all(|c| c.payload == r#"{"requestId":"req-1"}"# && c.attempts == 0));
    assert!(
        f.store
            .claim_due(now, now + 30_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased rows are not claimed twice"
    );

    // One succeeds, one retries now: only the retry comes back.
    let (first, second) = (claimed[0].id, claimed[1].id);
    f.store
        .record_attempts(&[
            attempt(first, NextStep::Succeeded),
            attempt(second, NextStep::RetryAt(now)),
        ])
        .await
        .unwrap();
    let again = f
        .store
        .claim_due(now_ms(), now_ms() + 30_000, 10)
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|c| (c.id, c.attempts)).collect::<Vec<_>>(),
        vec![(second, 1)]
    );
    f.store
        .record_attempts(&[attempt(second, NextStep::Failed)])
        .await
        .unwrap();
    assert!(f
        .store
        .claim_due(now_ms() + 60_000, now_ms() + 90_000, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(f.store.next_due_ms().await.unwrap(), None);
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
    let claimed = f.store.claim_due(now, now + 1_000, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    // The worker vanished without recording anything; once the lease expires the row is due again.
    assert!(f
        .store
        .claim_due(now + 500, now + 1_500, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(f.store.next_due_ms().await.unwrap(), Some(now + 1_000));
    let reclaimed = f
        .store
        .claim_due(now + 1_000, now + 2_000, 10)
        .await
        .unwrap();
    assert_eq!(reclaimed[0].id, claimed[0].id);
}

#[tokio::test]
async fn enqueue_is_one_transaction() {
    let f = fixture().await;
    let a = webhook(&f, "A").await;
    let missing = Uuid::new_v4();
    assert!(f
        .store
        .enqueue_event(&event(&f, "req-bad"), &[a, missing])
        .await
        .is_err());
    let now = now_ms();
    assert!(
        f.store
            .claim_due(now, now + 1_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "no half-written event"
    );
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM feedback_events")
        .fetch_one(f.store.pool())
        .await
        .unwrap();
    assert_eq!(events, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_never_claim_the_same_delivery() {
    let f = fixture().await;
    let a = webhook(&f, "A").await;
    for i in 0..200 {
        f.store
            .enqueue_event(&event(&f, &format!("req-{i}")), &[a])
            .await
            .unwrap();
    }
    let now = now_ms();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let store = f.store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = store.claim_due(now, now + 60_000, 16).await.unwrap();
                    if batch.is_empty() {
                        break mine;
                    }
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
        f.store.claim_due(now, now + 1_000, 1).await.unwrap();
        f.store
            .record_attempts(&[attempt(id, NextStep::RetryAt(now))])
            .await
            .unwrap();
    }
    let numbers: Vec<i64> = sqlx::query_scalar(
        "SELECT attempt FROM delivery_attempts WHERE delivery_id = ? ORDER BY id",
    )
    .bind(id.to_string())
    .fetch_all(f.store.pool())
    .await
    .unwrap();
    assert_eq!(numbers, vec![1, 2, 3]);
}

#[tokio::test]
async fn a_group_commit_keeps_good_events_when_one_is_refused() {
    let f = fixture().await;
    let a = webhook(&f, "A").await;
    let batch = vec![
        (event(&f, "req-ok-1"), vec![a]),
        (event(&f, "req-bad"), vec![a, Uuid::new_v4()]),
        (event(&f, "req-ok-2"), vec![a]),
    ];
    let results = f.store.enqueue_events(&batch).await.unwrap();
    assert!(results[0].is_ok() && results[1].is_err() && results[2].is_ok());
    let requests: Vec<String> =
        sqlx::query_scalar("SELECT request_id FROM feedback_events ORDER BY request_id")
            .fetch_all(f.store.pool())
            .await
            .unwrap();
    assert_eq!(requests, vec!["req-ok-1", "req-ok-2"]);
    let now = now_ms();
    assert_eq!(
        f.store.claim_due(now, now + 1_000, 10).await.unwrap().len(),
        2
    );
}

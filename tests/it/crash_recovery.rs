//! A server process killed mid-delivery loses nothing: after a restart every event arrives.
//! One stopped by SIGTERM finishes what it was sending and sends nothing twice.

use crate::support::receiver::{Scripted, TestReceiver};
use feedback_webhooks::server::storage::*;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;

const EVENTS: usize = 40;
/// Deliveries of the one webhook in flight at once (`--per-webhook-concurrency`).
const IN_FLIGHT: usize = 16;
/// What the killed process can have sent without recording it: the requests in flight, and
/// the attempts finished but not yet committed by the recorder. Those finish at most once per
/// slot during one commit (each answer takes 150 ms, a commit a few), so one batch is at most
/// `IN_FLIGHT` more. Every other delivery was either recorded (never sent again) or never sent.
const MAX_DUPLICATES: usize = IN_FLIGHT * 2;

fn spawn_server(db_url: &str, dir: &std::path::Path, lease: &str) -> Child {
    spawn_server_with(db_url, dir, lease, &[])
}

fn spawn_server_with(db_url: &str, dir: &std::path::Path, lease: &str, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_feedback-webhooks"))
        .args(extra)
        .args(["--database-url", db_url, "--listen", "127.0.0.1:0"])
        .args([
            "--allow-private-targets",
            "127.0.0.1/32",
            "--retry-schedule",
            "50ms,50ms,50ms",
        ])
        .args(["--per-webhook-concurrency", &IN_FLIGHT.to_string()])
        .args(["--delivery-lease", lease, "--site-root"])
        .arg(dir.join("site"))
        .env(
            "FW_ENCRYPTION_KEY",
            crate::support::database::ENCRYPTION_KEY,
        )
        .env("FW_ADMIN_EMAIL", "admin@example.com")
        .env("FW_ADMIN_PASSWORD", "tidal marmot quarterly ledger")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("the server binary starts")
}

/// A database with one webhook pointing at a receiver whose answers take `answer_after`, and
/// `events` events waiting for it.
async fn prepare(
    events: usize,
    answer_after: Duration,
) -> (
    tempfile::TempDir,
    String,
    std::sync::Arc<dyn Store>,
    Uuid,
    TestReceiver,
) {
    let dir = tempfile::tempdir().unwrap();
    let db_url = crate::support::database::database_url(dir.path());
    let store = open(&db_url).await.unwrap().store;
    let sandbox = store.ensure_sandbox("default-org", "prod").await.unwrap();
    let receiver = TestReceiver::start().await;
    receiver.script((0..events * 2).map(|_| Scripted::status(200).delay(answer_after)));
    let write = WebhookWrite {
        name: "crash".into(),
        email: true,
        sms: false,
        url: receiver.url("/hook"),
        enabled: true,
        disabled_reason: None,
        events: feedback_webhooks::model::feedback::FeedbackStatus::ALL.to_vec(),
        jwt: None,
        headers: Vec::new(),
    };
    let hook = store
        .create_webhook(
            sandbox.id,
            uuid::Uuid::new_v4(),
            &write,
            &crate::support::test_entry(&sandbox),
        )
        .await
        .unwrap()
        .id;
    let batch: Vec<(NewEvent, Vec<Uuid>)> = (0..events)
        .map(|i| {
            let event = NewEvent {
                sandbox_id: sandbox.id,
                event_type: "sent".into(),
                channel: "email".into(),
                request_id: format!("req-{i}"),
                message_execution_id: format!("MEX-{i}"),
                payload: format!(r#"{{"requestId":"req-{i}"}}"#),
            };
            (event, vec![hook])
        })
        .collect();
    for result in store
        .enqueue_events(&batch, &Handoff::default())
        .await
        .unwrap()
        .answer
    {
        assert_eq!(result.unwrap().len(), 1);
    }
    (dir, db_url, store, sandbox.id, receiver)
}

/// The distinct bodies that arrived.
fn arrived(receiver: &TestReceiver) -> HashSet<String> {
    receiver
        .received()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect()
}

/// Waits until every delivery of the sandbox is recorded as succeeded.
async fn wait_until_all_succeeded(store: &dyn Store, sandbox_id: Uuid, events: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listed = store
            .list_deliveries(
                sandbox_id,
                &DeliveryFilter {
                    limit: events as i64 + 1,
                    ..DeliveryFilter::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(listed.records.len(), events, "one delivery per event");
        let pending = listed
            .records
            .iter()
            .filter(|record| record.state != "succeeded")
            .count();
        if pending == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} deliveries not succeeded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_delivers_the_rest_after_restart() {
    // Slow answers keep deliveries in flight when the process dies.
    let (dir, db_url, store, sandbox_id, receiver) =
        prepare(EVENTS, Duration::from_millis(150)).await;
    let mut first = spawn_server(&db_url, dir.path(), "1s");
    let deadline = Instant::now() + Duration::from_secs(20);
    while receiver.received().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the first process delivered nothing"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill().unwrap(); // SIGKILL: no shutdown, leases left behind
    first.wait().unwrap();
    let before_restart = receiver.received().len();
    assert!(
        before_restart < EVENTS,
        "killed while deliveries were still pending"
    );

    let mut second = spawn_server(&db_url, dir.path(), "1s");
    wait_until_all_arrived(&receiver, EVENTS).await;
    // Every delivery ends succeeded; at-least-once means an in-flight one may have arrived twice.
    wait_until_all_succeeded(store.as_ref(), sandbox_id, EVENTS).await;
    second.kill().unwrap();
    second.wait().unwrap();
    let total = receiver.received().len();
    assert!(
        (EVENTS..=EVENTS + MAX_DUPLICATES).contains(&total),
        "{total} requests for {EVENTS} events"
    );
}

async fn wait_until_all_arrived(receiver: &TestReceiver, events: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while arrived(receiver).len() < events {
        assert!(
            Instant::now() < deadline,
            "only {} of {events} arrived",
            arrived(receiver).len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Two instances on one PostgreSQL database share the outbox: claims are row locks, so while
/// both live no delivery goes out twice. One is killed mid-load; the other claims its leased
/// deliveries once the lease ends and finishes them all: every event arrives, and duplicates
/// are at most what the killed one can have sent unrecorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_outbox_and_one_killed_loses_nothing() {
    if !crate::support::database::is_postgres() {
        eprintln!("a PostgreSQL test: SQLite has one writer process");
        return;
    }
    const MANY: usize = 200;
    // Answers as slow as in the restart test, so that `MAX_DUPLICATES`'s derivation holds: a
    // slot finishes at most once during one commit. (With 20 ms answers a commit slowed by a
    // loaded machine let 33 unrecorded attempts pile up.)
    let (dir, db_url, store, sandbox_id, receiver) =
        prepare(MANY, Duration::from_millis(150)).await;
    // A lease long enough that a live instance's deliveries never expire on a loaded machine
    // (a recorder that lags past the lease lets the other instance send them again): only the
    // killed instance's leases end, so the duplicate bound holds.
    let lease = "5s";
    let mut first = spawn_server(&db_url, dir.path(), lease);
    let deadline = Instant::now() + Duration::from_secs(20);
    while receiver.received().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the first instance delivered nothing"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Started once the first is up: both then claim from the same outbox.
    let mut second = spawn_server(&db_url, dir.path(), lease);
    let deadline = Instant::now() + Duration::from_secs(30);
    while receiver.received().len() < MANY / 2 {
        assert!(Instant::now() < deadline, "the instances stalled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let distinct_while_both = arrived(&receiver).len();
    let sent_while_both = receiver.received().len();
    first.kill().unwrap(); // SIGKILL: no shutdown, leases left behind
    first.wait().unwrap();
    assert!(
        sent_while_both - distinct_while_both <= MAX_DUPLICATES,
        "{} duplicates while both instances lived",
        sent_while_both - distinct_while_both
    );
    assert!(
        distinct_while_both < MANY,
        "killed while deliveries were still pending"
    );

    wait_until_all_arrived(&receiver, MANY).await;
    wait_until_all_succeeded(store.as_ref(), sandbox_id, MANY).await;
    second.kill().unwrap();
    second.wait().unwrap();
    let total = receiver.received().len();
    assert!(
        (MANY..=MANY + MAX_DUPLICATES).contains(&total),
        "{total} requests for {MANY} events"
    );
}

/// Sends SIGTERM and waits for the process to exit, at most `within`; how long it took.
fn terminate(child: &mut Child, within: Duration) -> Duration {
    let asked = Instant::now();
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "a stop is no failure: {status}");
            return asked.elapsed();
        }
        if asked.elapsed() > within {
            child.kill().unwrap();
            panic!("still running {within:?} after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

async fn wait_until_received(receiver: &TestReceiver, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while receiver.received().len() < count {
        assert!(Instant::now() < deadline, "delivered nothing");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// How many deliveries of the sandbox are recorded succeeded, and whether every one still
/// pending is due now (none left claimed).
async fn succeeded_and_none_claimed(store: &dyn Store, sandbox_id: Uuid) -> (usize, bool) {
    let listed = store
        .list_deliveries(
            sandbox_id,
            &DeliveryFilter {
                limit: 1_000,
                ..DeliveryFilter::default()
            },
        )
        .await
        .unwrap();
    let succeeded = listed
        .records
        .iter()
        .filter(|record| record.state == "succeeded")
        .count();
    let due = store.next_due_ms().await.unwrap();
    (succeeded, due.is_none_or(|at| at <= now_ms()))
}

/// SIGTERM under load: the process stops claiming, lets the requests in flight finish and
/// records them, hands back what it had claimed but not sent, and exits. Restarted with the
/// same minute-long lease, it sends the rest at once, and no delivery that had arrived is sent
/// again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminated_server_finishes_its_requests_and_sends_nothing_twice() {
    let (dir, db_url, store, sandbox_id, receiver) =
        prepare(EVENTS * 2, Duration::from_millis(150)).await;
    let mut first = spawn_server(&db_url, dir.path(), "60s");
    wait_until_received(&receiver, IN_FLIGHT).await;
    let took = terminate(&mut first, Duration::from_secs(15));
    let arrived_before = receiver.received().len();
    assert!(
        arrived_before < EVENTS * 2,
        "stopped while deliveries were pending"
    );
    // Each request that arrived was answered and recorded; nothing is left under a lease.
    let (succeeded, none_claimed) = succeeded_and_none_claimed(store.as_ref(), sandbox_id).await;
    assert_eq!(succeeded, arrived_before, "every finished request recorded");
    assert!(none_claimed, "what was claimed and not sent is due again");
    assert!(took < Duration::from_secs(5), "stopped in {took:?}");

    let mut second = spawn_server(&db_url, dir.path(), "60s");
    let restarted = Instant::now();
    wait_until_all_arrived(&receiver, EVENTS * 2).await;
    assert!(
        restarted.elapsed() < Duration::from_secs(30),
        "sent without waiting for the old leases"
    );
    wait_until_all_succeeded(store.as_ref(), sandbox_id, EVENTS * 2).await;
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(
        receiver.received().len(),
        EVENTS * 2,
        "no delivery that had arrived was sent again"
    );
}

/// Requests that outlast the shutdown grace are cut when it ends: the process exits in time,
/// and those deliveries (whose answers never came) are sent again after the restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_outlasting_the_shutdown_grace_are_cut_and_sent_again() {
    let (dir, db_url, store, sandbox_id, receiver) = prepare(EVENTS, Duration::from_secs(10)).await;
    let mut first = spawn_server_with(&db_url, dir.path(), "60s", &["--shutdown-grace", "1s"]);
    wait_until_received(&receiver, IN_FLIGHT).await;
    let took = terminate(&mut first, Duration::from_secs(8));
    assert!(
        took >= Duration::from_secs(1),
        "waited for the grace: {took:?}"
    );
    let (succeeded, none_claimed) = succeeded_and_none_claimed(store.as_ref(), sandbox_id).await;
    assert_eq!(succeeded, 0, "no answer came");
    assert!(
        none_claimed,
        "the cut deliveries are due again, with the unsent ones"
    );
    let cut = receiver.received().len();

    receiver.replace_script((0..EVENTS * 2).map(|_| Scripted::status(200)));
    let mut second = spawn_server(&db_url, dir.path(), "60s");
    wait_until_all_arrived(&receiver, EVENTS).await;
    wait_until_all_succeeded(store.as_ref(), sandbox_id, EVENTS).await;
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(
        receiver.received().len(),
        EVENTS + cut,
        "each cut one sent once more"
    );
}

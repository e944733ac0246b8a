//! A server process killed mid-delivery loses nothing: after a restart every event arrives.

use crate::support::receiver::{Scripted, TestReceiver};
use feedback_webhooks::server::storage::*;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const EVENTS: usize = 40;
/// Deliveries of the one webhook in flight at once (`--per-webhook-concurrency`).
const IN_FLIGHT: usize = 16;
/// What the killed process can have sent without recording it: the requests in flight, and
/// the attempts finished but not yet committed by the recorder. Those finish at most once per
/// slot during one commit (each answer takes 150 ms, a commit a few), so one batch is at most
/// `IN_FLIGHT` more. Every other delivery was either recorded (never sent again) or never sent.
const MAX_DUPLICATES: usize = IN_FLIGHT * 2;

fn spawn_server(db_url: &str, dir: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_feedback-webhooks"))
        .args(["--database-url", db_url, "--listen", "127.0.0.1:0"])
        .args([
            "--allow-private-targets",
            "127.0.0.1/32",
            "--retry-schedule",
            "50ms,50ms,50ms",
        ])
        .args(["--per-webhook-concurrency", &IN_FLIGHT.to_string()])
        .args(["--delivery-lease", "1s", "--site-root"])
        .arg(dir.join("site"))
        .env(
            "FW_ENCRYPTION_KEY",
            crate::support::database::ENCRYPTION_KEY,
        )
        .env("FW_ADMIN_EMAIL", "admin@example.com")
        .env("FW_ADMIN_PASSWORD", "correct horse battery staple")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("the server binary starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_delivers_the_rest_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = crate::support::database::database_url(dir.path());
    let store = open(&db_url).await.unwrap().store;
    let sandbox = store.ensure_sandbox("default-org", "prod").await.unwrap();
    let receiver = TestReceiver::start().await;
    // Slow answers keep deliveries in flight when the process dies.
    receiver.script((0..EVENTS).map(|_| Scripted::status(200).delay(Duration::from_millis(150))));
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
    let hook = store.create_webhook(sandbox.id, &write).await.unwrap().id;
    for i in 0..EVENTS {
        let event = NewEvent {
            sandbox_id: sandbox.id,
            event_type: "sent".into(),
            channel: "email".into(),
            request_id: format!("req-{i}"),
            message_execution_id: format!("MEX-{i}"),
            payload: format!(r#"{{"requestId":"req-{i}"}}"#),
        };
        store.enqueue_event(&event, &[hook]).await.unwrap();
    }

    let mut first = spawn_server(&db_url, dir.path());
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

    let mut second = spawn_server(&db_url, dir.path());
    let arrived = |receiver: &TestReceiver| -> HashSet<String> {
        receiver
            .received()
            .iter()
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while arrived(&receiver).len() < EVENTS {
        assert!(
            Instant::now() < deadline,
            "only {} of {EVENTS} arrived",
            arrived(&receiver).len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Every delivery ends succeeded; at-least-once means an in-flight one may have arrived twice.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let listed = store
            .list_deliveries(
                sandbox.id,
                &DeliveryFilter {
                    limit: EVENTS as i64 + 1,
                    ..DeliveryFilter::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(listed.records.len(), EVENTS, "one delivery per event");
        let pending = listed
            .records
            .iter()
            .filter(|record| record.state != "succeeded")
            .count();
        if pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} deliveries not succeeded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    second.kill().unwrap();
    second.wait().unwrap();
    let total = receiver.received().len();
    assert!(
        (EVENTS..=EVENTS + MAX_DUPLICATES).contains(&total),
        "{total} requests for {EVENTS} events"
    );
}

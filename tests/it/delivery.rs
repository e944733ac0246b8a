//! Deliveries end to end: outbox → worker → a real receiver, with a millisecond retry schedule.

use crate::support::receiver::{Scripted, TestReceiver};
use crate::support::JWT_SECRET;
use feedback_webhooks::i18n::messages::stored_english;
use feedback_webhooks::serve::{start, RunningServer};
use feedback_webhooks::server::storage::*;
use serde_json::{Map, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;

async fn server(dir: &std::path::Path) -> RunningServer {
    start(crate::support::config_for(
        dir,
        &["--retry-schedule", "10ms,10ms"],
    ))
    .await
    .unwrap()
}

async fn webhook(server: &RunningServer, url: &str) -> Uuid {
    let name = format!("hook-{}", Uuid::new_v4());
    crate::support::stored_webhook(&server.state, &name, url)
        .await
        .id
}

fn event(server: &RunningServer, request_id: &str) -> NewEvent {
    NewEvent {
        sandbox_id: server.state.default_sandbox.id,
        event_type: "delivered".into(),
        channel: "email".into(),
        request_id: request_id.into(),
        message_execution_id: "MEX-1".into(),
        payload: format!(r#"{{"requestId":"{request_id}","eventType":"message.feedback"}}"#),
    }
}

async fn wait_for(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The delivery as its history shows it, read through the store.
async fn delivery_record(server: &RunningServer, id: Uuid) -> DeliveryRecord {
    let state = &server.state;
    let (record, _, _) = state
        .store
        .delivery(state.default_sandbox.id, id)
        .await
        .unwrap()
        .expect("the delivery exists");
    record
}

async fn delivery_row(server: &RunningServer, id: Uuid) -> (String, i64) {
    let record = delivery_record(server, id).await;
    (record.state, record.attempts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_arrives_with_its_exact_body_headers_and_a_verifiable_jwt() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let receiver = TestReceiver::start().await;
    let hook = webhook(&server, &receiver.url("/feedback")).await;
    let ids = server
        .state
        .delivery
        .enqueue(&event(&server, "req-1"), &[hook])
        .await
        .unwrap();
    wait_for(|| !receiver.received().is_empty()).await;

    let request = &receiver.received()[0];
    assert_eq!(
        request.body.as_ref(),
        br#"{"requestId":"req-1","eventType":"message.feedback"}"#
    );
    assert_eq!(request.headers["content-type"], "application/json");
    assert!(request.headers["user-agent"]
        .to_str()
        .unwrap()
        .starts_with("feedback-webhooks/"));
    assert_eq!(request.headers["x-tenant"], "acme");
    assert_eq!(
        request.headers["x-api-key"], "k-123",
        "secret header opened for sending"
    );
    let token = request.headers["authorization"]
        .to_str()
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_issuer(&["feedback-webhooks"]);
    let claims = jsonwebtoken::decode::<Map<String, Value>>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(JWT_SECRET.as_bytes()),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(claims["jti"], ids[0].to_string());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );

    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (state, attempts) = delivery_row(&server, ids[0]).await;
        if state == "succeeded" {
            assert_eq!(attempts, 1);
            break;
        }
        assert!(Instant::now() < deadline, "still {state}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_retried_per_schedule_then_fail() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let receiver = TestReceiver::start().await;
    receiver.script([
        Scripted::status(500),
        Scripted::status(503),
        Scripted::status(200),
    ]);
    let recovering = webhook(&server, &receiver.url("/a")).await;
    let id = server
        .state
        .delivery
        .enqueue(&event(&server, "req-2"), &[recovering])
        .await
        .unwrap()[0];
    assert_eq!(wait_for_state(&server, id, "succeeded").await, 3);
    assert_eq!(receiver.received().len(), 3);

    let failing = TestReceiver::start().await;
    failing.script((0..10).map(|_| Scripted::status(500)));
    let hook = webhook(&server, &failing.url("/b")).await;
    let id = server
        .state
        .delivery
        .enqueue(&event(&server, "req-3"), &[hook])
        .await
        .unwrap()[0];
    // Failed is final: once recorded, the worker never claims the delivery again.
    assert_eq!(wait_for_state(&server, id, "failed").await, 3);
    assert_eq!(
        failing.received().len(),
        3,
        "1 attempt + 2 retries, then no more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_disables_the_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let receiver = TestReceiver::start().await;
    receiver.script([Scripted::status(410)]);
    let hook = webhook(&server, &receiver.url("/gone")).await;
    let id = server
        .state
        .delivery
        .enqueue(&event(&server, "req-4"), &[hook])
        .await
        .unwrap()[0];
    wait_for(|| !receiver.received().is_empty()).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let record = server
            .state
            .store
            .webhook_by_id(hook)
            .await
            .unwrap()
            .unwrap();
        if !record.settings.enabled {
            let reason = record.settings.disabled_reason.unwrap();
            assert!(stored_english(&reason).contains("410 Gone"), "{reason}");
            break;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The webhook is disabled before its attempt is recorded, and only enabled webhooks'
    // deliveries are claimed: once recorded, the retry it schedules never goes out.
    let deadline = Instant::now() + Duration::from_secs(5);
    while delivery_record(&server, id).await.attempts < 1 {
        assert!(Instant::now() < deadline, "the attempt was never recorded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let record = delivery_record(&server, id).await;
    assert_eq!((record.state.as_str(), record.attempts), ("pending", 1));
    assert_eq!(
        receiver.received().len(),
        1,
        "a disabled webhook gets no retries"
    );
    // The system's disabling is in the audit log, with the reason.
    let filter = feedback_webhooks::server::storage::AuditFilter {
        object_id: Some(hook.to_string()),
        ..Default::default()
    };
    let log = server
        .state
        .store
        .list_audit(server.state.default_sandbox.organization_id, &filter, 10)
        .await
        .unwrap();
    let entry = &log[0].record;
    assert_eq!(
        (entry.action.as_str(), entry.actor_kind.as_str()),
        ("webhook.disabled_automatically", "system")
    );
    assert!(entry.changes.contains("410 Gone"), "{}", entry.changes);
}

/// Standard Webhooks verification written from the specification, independent of the sender's code.
pub(crate) fn verify_standard_webhooks(
    secret: &str,
    id: &str,
    timestamp: &str,
    body: &[u8],
    signature_header: &str,
) -> bool {
    use base64::Engine;
    use hmac::Mac;
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    signature_header
        .split(' ')
        .any(|candidate| candidate == expected)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_deliveries_verify_and_rotation_signs_with_both_secrets() {
    use feedback_webhooks::server::webhooks::rotate_signing_secret;
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let receiver = TestReceiver::start().await;
    receiver.script([Scripted::status(500), Scripted::status(200)]);
    let hook = webhook(&server, &receiver.url("/signed")).await;
    let first = rotate_signing_secret(
        &server.state,
        &server.state.default_sandbox,
        &feedback_webhooks::server::audit::Actor::system(),
        &hook.to_string(),
    )
    .await
    .unwrap();
    assert!(first.secret.starts_with("whsec_"));
    let id = server
        .state
        .delivery
        .enqueue(&event(&server, "req-s"), &[hook])
        .await
        .unwrap()[0];
    wait_for(|| receiver.received().len() == 2).await;
    let requests = receiver.received();
    for request in &requests {
        let header = |name: &str| request.headers[name].to_str().unwrap().to_string();
        assert_eq!(
            header("webhook-id"),
            id.to_string(),
            "stable across retries"
        );
        assert!(verify_standard_webhooks(
            &first.secret,
            &header("webhook-id"),
            &header("webhook-timestamp"),
            &request.body,
            &header("webhook-signature")
        ));
        let age = (now_ms() / 1000) - header("webhook-timestamp").parse::<i64>().unwrap();
        assert!((0..=5).contains(&age));
    }

    let second = rotate_signing_secret(
        &server.state,
        &server.state.default_sandbox,
        &feedback_webhooks::server::audit::Actor::system(),
        &hook.to_string(),
    )
    .await
    .unwrap();
    assert!(second.info.previous_valid_until.is_some());
    server
        .state
        .delivery
        .enqueue(&event(&server, "req-r"), &[hook])
        .await
        .unwrap();
    wait_for(|| receiver.received().len() == 3).await;
    let request = &receiver.received()[2];
    let header = |name: &str| request.headers[name].to_str().unwrap().to_string();
    assert_eq!(header("webhook-signature").split(' ').count(), 2);
    for secret in [&first.secret, &second.secret] {
        assert!(verify_standard_webhooks(
            secret,
            &header("webhook-id"),
            &header("webhook-timestamp"),
            &request.body,
            &header("webhook-signature")
        ));
    }
    assert!(!verify_standard_webhooks(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        &header("webhook-id"),
        &header("webhook-timestamp"),
        &request.body,
        &header("webhook-signature")
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_previous_secret_stops_signing_after_the_overlap_and_removal_stops_signing() {
    use feedback_webhooks::server::audit::Actor;
    use feedback_webhooks::server::webhooks::{remove_signing_secret, rotate_signing_secret};
    let dir = tempfile::tempdir().unwrap();
    let server = start(crate::support::config_for(
        dir.path(),
        &[
            "--retry-schedule",
            "10ms,10ms",
            "--signing-secret-overlap",
            "400ms",
        ],
    ))
    .await
    .unwrap();
    let receiver = TestReceiver::start().await;
    let hook = webhook(&server, &receiver.url("/rotated")).await;
    let (system, id) = (Actor::system(), hook.to_string());
    let rotate =
        || rotate_signing_secret(&server.state, &server.state.default_sandbox, &system, &id);
    let first = rotate().await.unwrap();
    let before = now_ms();
    let second = rotate().await.unwrap();
    assert!(second.info.previous_valid_until.is_some(), "an overlap");
    let stored = server
        .state
        .store
        .webhook_by_id(hook)
        .await
        .unwrap()
        .unwrap();
    let (_, until) = stored
        .signing
        .unwrap()
        .previous
        .expect("the previous secret");
    assert!(
        (before + 400..=now_ms() + 400).contains(&until),
        "the overlap is the configured 400 ms: ends at {until}, rotated at {before}"
    );
    // Sent once the overlap is over: signed by the new secret alone.
    while now_ms() <= until + 50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let enqueue = |request_id: &'static str| {
        let event = event(&server, request_id);
        let engine = server.state.delivery.clone();
        async move { engine.enqueue(&event, &[hook]).await.unwrap() }
    };
    enqueue("after-overlap").await;
    wait_for(|| receiver.received().len() == 1).await;
    let request = &receiver.received()[0];
    let header = |name: &str| request.headers[name].to_str().unwrap().to_string();
    assert_eq!(header("webhook-signature").split(' ').count(), 1);
    let verifies = |secret: &str| {
        verify_standard_webhooks(
            secret,
            &header("webhook-id"),
            &header("webhook-timestamp"),
            &request.body,
            &header("webhook-signature"),
        )
    };
    assert!(verifies(&second.secret));
    assert!(!verifies(&first.secret), "the old secret stopped signing");

    // Removed: the next delivery carries no signature at all.
    remove_signing_secret(&server.state, &server.state.default_sandbox, &system, &id)
        .await
        .unwrap();
    enqueue("after-removal").await;
    wait_for(|| receiver.received().len() == 2).await;
    let request = &receiver.received()[1];
    assert!(request.headers.get("webhook-signature").is_none());
    assert!(request.headers.get("webhook-id").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_told_to_trust_a_company_ca_delivers_over_https_and_refuses_a_bad_ca_file() {
    use crate::support::tls::TestCa;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("Company CA");
    let ca_file = dir.path().join("company-ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let (tls, server_names) = ca.server_config("localhost");
    let receiver = TestReceiver::start_tls("localhost", tls).await;
    let ca_arg = ca_file.display().to_string();
    let server = start(crate::support::config_for(
        dir.path(),
        &["--retry-schedule", "10ms,10ms", "--extra-ca-file", &ca_arg],
    ))
    .await
    .unwrap();
    let hook = webhook(&server, &receiver.url("/company")).await;
    let id = server
        .state
        .delivery
        .enqueue(&event(&server, "req-tls"), &[hook])
        .await
        .unwrap()[0];
    wait_for_state(&server, id, "succeeded").await;
    assert_eq!(receiver.received().len(), 1);
    assert!(server_names.seen().contains(&Some("localhost".to_string())));
    drop(server);

    // A file that holds no certificate stops the start with its name, never trusts nothing
    // quietly.
    let not_a_ca = dir.path().join("not-a-ca.pem");
    std::fs::write(&not_a_ca, "not a certificate").unwrap();
    let other = tempfile::tempdir().unwrap();
    let refused = start(crate::support::config_for(
        other.path(),
        &["--extra-ca-file", &not_a_ca.display().to_string()],
    ))
    .await
    .err()
    .expect("the start is refused");
    let message = refused.to_string();
    assert!(
        message.contains("not-a-ca.pem") && message.contains("no PEM certificate"),
        "{message}"
    );
}

/// A delivery written while its webhook has a connection free is sent at once by the instance
/// that wrote it (handed off, no claim); one written while the webhook is busy waits in the
/// queue behind the older ones, and is claimed. Each is sent once either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_deliveries_are_handed_off_only_to_a_free_connection() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(crate::support::config_for(
        dir.path(),
        &["--per-webhook-concurrency", "1"],
    ))
    .await
    .unwrap();
    let receiver = TestReceiver::start().await;
    // The first answer takes a while: the webhook's one connection is busy meanwhile.
    receiver.script([Scripted::status(200).delay(Duration::from_millis(400))]);
    let hook = webhook(&server, &receiver.url("/one-at-a-time")).await;
    let engine = &server.state.delivery;
    let started = |by: &str| {
        let text = server
            .state
            .metrics
            .render(&feedback_webhooks::server::metrics::Snapshot::default());
        let line = format!(r#"fw_deliveries_started_total{{by="{by}"}}"#);
        crate::support::metric_sample(&text, &line).unwrap_or(0.0)
    };
    for n in 0..5 {
        let event = event(&server, &format!("req-q{n}"));
        engine.enqueue(&event, &[hook]).await.unwrap();
    }
    wait_for(|| receiver.received().len() == 5).await;
    wait_for(|| engine.in_flight().is_empty()).await;
    assert_eq!((started("handoff"), started("claim")), (1.0, 4.0));
    let first: Value = serde_json::from_slice(&receiver.received()[0].body).unwrap();
    assert_eq!(first["requestId"], "req-q0");

    // Free again: the next one is handed off.
    engine
        .enqueue(&event(&server, "req-q5"), &[hook])
        .await
        .unwrap();
    wait_for(|| receiver.received().len() == 6).await;
    assert_eq!((started("handoff"), started("claim")), (2.0, 4.0));
    let mut requests: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["requestId"].to_string())
        .collect();
    requests.sort();
    requests.dedup();
    assert_eq!(requests.len(), 6, "each sent once");
}

/// A webhook whose endpoint hangs holds back only its own queue: with more of its deliveries
/// due than it may have in flight, a fast webhook of the same sandbox gets every event while
/// the slow one's first requests are still waiting for an answer (15 s, the request timeout).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_webhook_holds_back_only_its_own_queue() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let (hanging, _endpoint) = crate::support::receiver::hanging_endpoint().await;
    let slow = webhook(&server, &format!("http://{hanging}/slow")).await;
    let receiver = TestReceiver::start().await;
    let fast = webhook(&server, &receiver.url("/fast")).await;
    let mut ids = Vec::new();
    // 40 events, each for both: more than the 16 the slow webhook may have in flight.
    for n in 0..40 {
        let event = event(&server, &format!("req-both-{n}"));
        ids.extend(
            server
                .state
                .delivery
                .enqueue(&event, &[slow, fast])
                .await
                .unwrap(),
        );
    }
    wait_for(|| receiver.received().len() == 40).await;
    let mut waiting = 0;
    for id in ids {
        let record = delivery_record(&server, id).await;
        if record.webhook_id == slow {
            assert_eq!(
                (record.state.as_str(), record.attempts),
                ("pending", 0),
                "no slow request has been answered yet"
            );
            waiting += 1;
        }
    }
    assert_eq!(waiting, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured_within_one_to_two_steps() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(crate::support::config_for(
        dir.path(),
        &["--retry-schedule", "1s,1s"],
    ))
    .await
    .unwrap();
    let receiver = TestReceiver::start().await;
    // 2 s is within [1 s, 2 s] and honoured as asked; an hour is capped at 2 × 1 s. Without the
    // header the waits would be 0.8–1.2 s.
    receiver.script([
        Scripted::status(503).header("retry-after", "2"),
        Scripted::status(429).header("retry-after", "3600"),
        Scripted::status(200),
    ]);
    let hook = webhook(&server, &receiver.url("/slow-down")).await;
    let id = server
        .state
        .delivery
        .enqueue(&event(&server, "req-ra"), &[hook])
        .await
        .unwrap()[0];
    let deadline = Instant::now() + Duration::from_secs(20);
    while receiver.received().len() < 3 {
        assert!(Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let arrivals: Vec<Instant> = receiver.received().iter().map(|r| r.at).collect();
    // The rule: each retry waits at least what the server asked, capped at 2 × the step (2 s),
    // so never less than 2 s (without the header: at most 1.2 s), and never anywhere near the
    // hour asked second (4 s leaves room for a loaded machine, and is still no hour).
    for gap in [arrivals[1] - arrivals[0], arrivals[2] - arrivals[1]] {
        assert!(
            gap >= Duration::from_millis(1_990) && gap < Duration::from_secs(4),
            "waited {gap:?}"
        );
    }
    wait_for_state(&server, id, "succeeded").await;
}

async fn wait_for_state(server: &RunningServer, id: Uuid, wanted: &str) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (state, attempts) = delivery_row(server, id).await;
        if state == wanted {
            return attempts;
        }
        assert!(Instant::now() < deadline, "still {state}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_failing_too_long_is_disabled_then_its_waiting_deliveries_expire() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(crate::support::config_for(
        dir.path(),
        &[
            "--retry-schedule",
            "100ms,100ms,100ms,100ms,100ms,100ms",
            "--disable-after-failing",
            "250ms",
            "--expire-waiting-after",
            "400ms",
        ],
    ))
    .await
    .unwrap();
    let receiver = TestReceiver::start().await;
    receiver.script((0..20).map(|_| Scripted::status(500)));
    let hook = webhook(&server, &receiver.url("/down")).await;
    let id = server
        .state
        .delivery
        .enqueue(&event(&server, "req-down"), &[hook])
        .await
        .unwrap()[0];

    let deadline = Instant::now() + Duration::from_secs(10);
    let (reason, disabled_at) = loop {
        let record = server
            .state
            .store
            .webhook_by_id(hook)
            .await
            .unwrap()
            .unwrap();
        if !record.settings.enabled {
            break (
                record.settings.disabled_reason.unwrap(),
                record.updated_at_ms,
            );
        }
        assert!(Instant::now() < deadline, "never disabled");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(
        stored_english(&reason).contains("250 milliseconds"),
        "{reason}"
    );
    // The rule, not a count: disabled once the streak (from the first failure) had lasted the
    // window, and not by an earlier attempt (each is recorded after it ends, so an attempt that
    // had disabled it would have ended before the window was up).
    let (_, _, attempts) = server
        .state
        .store
        .delivery(server.state.default_sandbox.id, id)
        .await
        .unwrap()
        .unwrap();
    let first_failure = attempts[0].started_at_ms;
    assert!(
        disabled_at - first_failure >= 250,
        "disabled {} ms into the streak",
        disabled_at - first_failure
    );
    let before_last = &attempts[attempts.len().saturating_sub(2)];
    assert!(
        attempts.len() >= 2
            && before_last.started_at_ms + before_last.duration_ms < first_failure + 250,
        "an attempt before the disabling one ended past the window: {attempts:?}"
    );
    let attempts_when_disabled = receiver.received().len();
    assert_eq!(attempts_when_disabled, attempts.len());

    // No new deliveries for a disabled webhook; the waiting one expires, visibly.
    let more = server
        .state
        .delivery
        .enqueue(&event(&server, "req-after"), &[hook])
        .await
        .unwrap();
    assert!(more.is_empty());
    wait_for_state(&server, id, "failed").await;
    let last_error = delivery_record(&server, id).await.last_error;
    assert_eq!(last_error.as_deref(), Some("E_EXPIRED"));
    assert_eq!(receiver.received().len(), attempts_when_disabled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_event_reports_the_endpoints_answer_and_has_the_real_structure() {
    use feedback_webhooks::server::webhooks::{rotate_signing_secret, send_test_event};
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let receiver = TestReceiver::start().await;
    receiver.script([
        Scripted::status(202).body("queued, thanks"),
        Scripted::status(500).body("database down"),
    ]);
    let hook = webhook(&server, &receiver.url("/test")).await;
    let signing = rotate_signing_secret(
        &server.state,
        &server.state.default_sandbox,
        &feedback_webhooks::server::audit::Actor::system(),
        &hook.to_string(),
    )
    .await
    .unwrap();

    let ok = send_test_event(
        &server.state,
        &server.state.default_sandbox,
        &hook.to_string(),
    )
    .await
    .unwrap();
    assert!(ok.success);
    assert_eq!(
        (ok.status, ok.body_excerpt.as_str()),
        (Some(202), "queued, thanks")
    );
    assert!(ok.request_id.starts_with("test-"));
    let request = &receiver.received()[0];
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["requestId"], ok.request_id.as_str());
    assert_eq!(body["eventType"], "message.feedback");
    assert_eq!(
        body["imsOrg"],
        server.state.default_sandbox.ims_org.as_str()
    );
    assert_eq!(
        body["sandbox"]["name"],
        server.state.default_sandbox.name.as_str()
    );
    assert_eq!(
        body["messageDeliveryFeedback"]["feedbackStatus"]["value"],
        "delivered"
    );
    assert_eq!(body["messageExecution"]["messageType"], "transactional");
    assert_eq!(body["identityMap"]["email"][0]["primary"], true);
    let header = |name: &str| request.headers[name].to_str().unwrap().to_string();
    assert!(header("authorization").starts_with("Bearer "));
    assert!(verify_standard_webhooks(
        &signing.secret,
        &header("webhook-id"),
        &header("webhook-timestamp"),
        &request.body,
        &header("webhook-signature")
    ));

    let failed = send_test_event(
        &server.state,
        &server.state.default_sandbox,
        &hook.to_string(),
    )
    .await
    .unwrap();
    assert!(!failed.success);
    assert_eq!(failed.status, Some(500));
    assert_eq!(failed.body_excerpt, "database down");
    assert!(failed.explanation.unwrap().to_string().contains("500"));

    // Nothing was stored: a test is not a delivery.
    let deliveries = server
        .state
        .store
        .list_deliveries(
            server.state.default_sandbox.id,
            &DeliveryFilter {
                limit: 10,
                ..DeliveryFilter::default()
            },
        )
        .await
        .unwrap();
    assert!(deliveries.records.is_empty());

    // A private target is refused before any connection, with its code explained.
    let private = webhook(&server, "https://10.0.0.1/hook").await;
    let refused = send_test_event(
        &server.state,
        &server.state.default_sandbox,
        &private.to_string(),
    )
    .await
    .unwrap();
    assert_eq!(refused.error_code.as_deref(), Some("E_SSRF"));
    assert!(refused.explanation.unwrap().to_string().contains("private"));
}

//! Deliveries end to end: outbox → worker → a real receiver, with a millisecond retry schedule.
#![cfg(feature = "ssr")]

mod support;

use feedback_webhooks::server::http::{start, RunningServer};
use feedback_webhooks::server::storage::*;
use serde_json::{Map, Value};
use std::time::{Duration, Instant};
use support::receiver::{Scripted, TestReceiver};
use uuid::Uuid;

const JWT_SECRET: &str = "delivery-test-secret-0123456789abcdef";

async fn server(dir: &std::path::Path) -> RunningServer {
    start(support::config_for(dir, &["--retry-schedule", "10ms,10ms"]))
        .await
        .unwrap()
}

async fn webhook(server: &RunningServer, url: &str) -> Uuid {
    let state = &server.state;
    let write = WebhookWrite {
        name: format!("hook-{}", Uuid::new_v4()),
        email: true,
        sms: false,
        url: url.into(),
        enabled: true,
        disabled_reason: None,
        jwt: Some(StoredJwt {
            algorithm: "HS256".into(),
            key_kind: "shared-secret".into(),
            secret_sealed: state.secrets.seal(JWT_SECRET),
            secret_fingerprint: state.secrets.fingerprint(JWT_SECRET),
            key_id: None,
            issuer: Some("feedback-webhooks".into()),
            subject: None,
            audience: None,
            extra_claims: None,
            lifetime_secs: 300,
        }),
        headers: vec![
            StoredHeader {
                id: Uuid::new_v4(),
                name: "X-Tenant".into(),
                value: StoredHeaderValue::Plain("acme".into()),
            },
            StoredHeader {
                id: Uuid::new_v4(),
                name: "X-Api-Key".into(),
                value: StoredHeaderValue::Sealed {
                    sealed: state.secrets.seal("k-123"),
                    fingerprint: state.secrets.fingerprint("k-123"),
                    len: 5,
                },
            },
        ],
    };
    state
        .store
        .create_webhook(state.default_sandbox.id, &write)
        .await
        .unwrap()
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

async fn delivery_row(server: &RunningServer, id: Uuid) -> (String, i64) {
    let pool = sqlx::SqlitePool::connect(&server.state.config.database_url)
        .await
        .unwrap();
    sqlx::query_as("SELECT state, attempts FROM deliveries WHERE id = ?")
        .bind(id.to_string())
        .fetch_one(&pool)
        .await
        .unwrap()
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
    wait_for(|| receiver.received().len() == 3).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        delivery_row(&server, id).await,
        ("succeeded".to_string(), 3)
    );

    let failing = TestReceiver::start().await;
    failing.script((0..10).map(|_| Scripted::status(500)));
    let hook = webhook(&server, &failing.url("/b")).await;
    let id = server
        .state
        .delivery
        .enqueue(&event(&server, "req-3"), &[hook])
        .await
        .unwrap()[0];
    wait_for(|| failing.received().len() >= 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        failing.received().len(),
        3,
        "1 attempt + 2 retries, then no more"
    );
    assert_eq!(delivery_row(&server, id).await, ("failed".to_string(), 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_disables_the_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let receiver = TestReceiver::start().await;
    receiver.script([Scripted::status(410)]);
    let hook = webhook(&server, &receiver.url("/gone")).await;
    server
        .state
        .delivery
        .enqueue(&event(&server, "req-4"), &[hook])
        .await
        .unwrap();
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
            assert!(record
                .settings
                .disabled_reason
                .unwrap()
                .contains("410 Gone"));
            break;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "a disabled webhook gets no retries"
    );
}

/// Standard Webhooks verification written from the specification, independent of the sender's code.
fn verify_standard_webhooks(
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
    let first = rotate_signing_secret(&server.state, &hook.to_string())
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

    let second = rotate_signing_secret(&server.state, &hook.to_string())
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

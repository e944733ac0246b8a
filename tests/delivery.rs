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

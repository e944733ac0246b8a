//! Secrets at rest against someone who can read or write the database, or who loses its key:
//! a sealed value opens only in its own row, a missing or wrong key is refused rather than
//! replaced, `rotate-key` seals everything anew, and no session holds a secret in clear.

use crate::support::receiver::TestReceiver;
use crate::support::*;
use feedback_webhooks::serve::{rotate_key, start, StartError};
use feedback_webhooks::server::config::RotateKeyArgs;
use feedback_webhooks::server::keys::KeyProblem;
use feedback_webhooks::server::storage::*;
use std::time::{Duration, Instant};
use uuid::Uuid;

const OTHER_KEY: &str = "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzI=";

fn secret_header(record: &WebhookRecord) -> Uuid {
    record
        .settings
        .headers
        .iter()
        .find(|header| matches!(header.value, StoredHeaderValue::Sealed { .. }))
        .unwrap()
        .id
}

async fn deliver_one(app: &TestApp, hook: Uuid, request_id: &str) -> Uuid {
    let event = NewEvent {
        sandbox_id: app.server.state.default_sandbox.id,
        event_type: "sent".into(),
        channel: "email".into(),
        request_id: request_id.into(),
        message_execution_id: format!("MEX-{request_id}"),
        payload: format!(r#"{{"requestId":"{request_id}"}}"#),
    };
    app.server
        .state
        .delivery
        .enqueue(&event, &[hook])
        .await
        .unwrap()[0]
}

async fn finished(app: &TestApp, delivery: Uuid) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, detail) = app
            .call_json("deliveries/get", &[("id", &delivery.to_string())])
            .await;
        assert_eq!(status, 200, "{detail}");
        if matches!(
            detail["row"]["state"].as_str(),
            Some("Succeeded" | "Failed")
        ) {
            return detail;
        }
        assert!(Instant::now() < deadline, "never finished: {detail}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_header_moved_onto_another_webhook_does_not_open_there() {
    let app = TestApp::signed_in_with(&["--retry-schedule", "10ms"]).await;
    let receiver = TestReceiver::start().await;
    let victim = stored_webhook(&app.server.state, "Victim", "https://victim.example/hook").await;
    let attacker = stored_webhook(&app.server.state, "Attacker", &receiver.url("/mine")).await;
    // Someone with write access to the database copies the victim's sealed value onto the
    // attacker's own secret header.
    let url = &app.server.state.config.database_url;
    crate::support::database::execute(
        url,
        &format!(
            "UPDATE webhook_headers SET value_sealed = (SELECT value_sealed FROM webhook_headers WHERE id = '{}') WHERE id = '{}'",
            secret_header(&victim),
            secret_header(&attacker)
        ),
    )
    .await;
    let delivery = deliver_one(&app, attacker.id, "req-moved").await;
    let detail = finished(&app, delivery).await;
    assert_eq!(detail["row"]["state"], "Failed", "{detail}");
    assert_eq!(detail["attempts"][0]["error_code"], "E_CONFIG", "{detail}");
    assert!(
        receiver.received().is_empty(),
        "nothing was sent with the victim's secret"
    );
}

/// Starts a server on `app`'s database with `extra` settings, expecting a refusal.
async fn refused_start(dir: &std::path::Path, extra: &[&str]) -> StartError {
    match start(config_for(dir, extra)).await {
        Ok(_) => panic!("the server started"),
        Err(error) => error,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_wrong_key_is_refused_and_never_replaced() {
    let app = TestApp::with_admin().await;
    stored_webhook(&app.server.state, "Sealed", "https://hooks.example.com/x").await;
    let TestApp { server, dir, .. } = app;
    server.stop().await;

    let wrong = refused_start(dir.path(), &["--encryption-key", OTHER_KEY]).await;
    assert!(
        matches!(wrong, StartError::Keys(KeyProblem::WrongKey { sealed: 2 })),
        "{wrong}"
    );
    if !crate::support::database::is_postgres() {
        let key_file = dir.path().join("encryption.key");
        let kept = std::fs::read_to_string(&key_file).unwrap();
        std::fs::remove_file(&key_file).unwrap();
        let missing = refused_start(dir.path(), &[]).await;
        assert!(
            missing.to_string().contains("key file") && missing.to_string().contains("restore"),
            "{missing}"
        );
        assert!(!key_file.exists(), "no new key was left in its place");
        std::fs::write(&key_file, kept).unwrap();
    }
    // With its key back, it starts.
    TestApp::with_admin_in(dir, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_key_seals_everything_anew_and_deliveries_still_carry_the_secrets() {
    let app = TestApp::signed_in_with(&["--retry-schedule", "10ms"]).await;
    let receiver = TestReceiver::start().await;
    let hook = stored_webhook(&app.server.state, "Rotated", &receiver.url("/in")).await;
    // Rotated twice: the previous secret, still signing for a day, is sealed too.
    for _ in 0..2 {
        let (status, secret) = app
            .call_json(
                "webhooks/signing-secret/rotate",
                &[("id", &hook.id.to_string())],
            )
            .await;
        assert_eq!(status, 200, "{secret}");
    }
    let TestApp { server, dir, .. } = app;
    let database_url = server.state.config.database_url.clone();
    server.stop().await;

    let postgres = crate::support::database::is_postgres();
    let args = RotateKeyArgs {
        database_url,
        encryption_key: postgres.then(|| crate::support::database::ENCRYPTION_KEY.into()),
        new_key: postgres.then(|| OTHER_KEY.into()),
    };
    let done = rotate_key(args).await.unwrap();
    assert!(done.contains("Sealed 4 secrets"), "{done}");

    // The old key opens nothing now.
    let old = refused_start(
        dir.path(),
        &["--encryption-key", crate::support::database::ENCRYPTION_KEY],
    )
    .await;
    assert!(
        matches!(old, StartError::Keys(KeyProblem::WrongKey { .. })),
        "{old}"
    );

    let new_key = if postgres {
        vec!["--encryption-key", OTHER_KEY]
    } else {
        vec![]
    };
    let mut extra = vec!["--retry-schedule", "10ms"];
    extra.extend(new_key);
    let app = TestApp::with_admin_in(dir, &extra).await;
    assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 200);
    let delivery = deliver_one(&app, hook.id, "req-rotated").await;
    let detail = finished(&app, delivery).await;
    assert_eq!(detail["row"]["state"], "Succeeded", "{detail}");
    let received = &receiver.received()[0];
    assert_eq!(received.headers["x-api-key"], "k-123");
    assert!(received.headers["authorization"]
        .to_str()
        .unwrap()
        .starts_with("Bearer "));
    // Signed with the current secret and the previous one: both opened under the new key.
    let signatures = received.headers["webhook-signature"].to_str().unwrap();
    assert_eq!(
        signatures
            .split(' ')
            .filter(|s| s.starts_with("v1,"))
            .count(),
        2,
        "{signatures}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_sealed_the_old_way_are_bound_to_their_rows_at_start() {
    let app = TestApp::signed_in_with(&["--retry-schedule", "10ms"]).await;
    let receiver = TestReceiver::start().await;
    let hook = stored_webhook(&app.server.state, "Old", &receiver.url("/in")).await;
    // The header value as the previous release sealed it: the bare key, no associated data.
    let legacy = app.server.state.secrets.seal_legacy("k-123");
    let hex: String = legacy.iter().map(|b| format!("{b:02x}")).collect();
    let literal = if crate::support::database::is_postgres() {
        format!("'\\x{hex}'::bytea")
    } else {
        format!("X'{hex}'")
    };
    let url = app.server.state.config.database_url.clone();
    crate::support::database::execute(
        &url,
        &format!(
            "UPDATE webhook_headers SET value_sealed = {literal} WHERE id = '{}'",
            secret_header(&hook)
        ),
    )
    .await;
    let TestApp { server, dir, .. } = app;
    server.stop().await;

    let app = TestApp::with_admin_in(dir, &["--retry-schedule", "10ms"]).await;
    let stored = app.server.state.store.sealed_values().await.unwrap();
    let header = stored
        .iter()
        .find(|value| {
            value.place
                == (SealedPlace::HeaderValue {
                    header: secret_header(&hook),
                })
        })
        .unwrap();
    assert_ne!(header.sealed, legacy, "sealed again at start");
    assert!(app
        .server
        .state
        .secrets
        .open(&header.sealed, header.field())
        .is_some());
    assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 200);
    let delivery = deliver_one(&app, hook.id, "req-old").await;
    assert_eq!(finished(&app, delivery).await["row"]["state"], "Succeeded");
    assert_eq!(receiver.received()[0].headers["x-api-key"], "k-123");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signing_secret_shown_without_javascript_never_sits_in_clear_in_a_session() {
    let app = TestApp::signed_in().await;
    let hook = stored_webhook(&app.server.state, "No JS", "https://hooks.example.com/x").await;
    let id = hook.id.to_string();
    let response = app
        .post_plain_form("webhooks/signing-secret/rotate", &[("id", &id)])
        .await;
    let url = &app.server.state.config.database_url;
    assert_eq!(
        crate::support::database::sessions_holding(url, "whsec_").await,
        0
    );
    let page = app.page(&location(&response)).await;
    assert!(page.contains("whsec_"), "shown on the page it returns to");
}

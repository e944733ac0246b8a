//! A real server on port 0 over a temporary database (SQLite, or PostgreSQL when
//! `TEST_DATABASE_URL` says so), and an HTTP client that keeps cookies.
#![allow(dead_code)]

pub mod api;
pub mod cluster;
pub mod database;
pub mod proxy;
pub mod receiver;
pub mod team;
pub mod tls;

use clap::Parser;
use feedback_webhooks::serve::{start, RunningServer};
use feedback_webhooks::server::config::Config;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::redirect::Policy;
use serde_json::Value;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "tidal marmot quarterly ledger";
/// The HS256 key of `webhook_write`'s JWT authentication.
pub const JWT_SECRET: &str = "delivery-test-secret-0123456789abcdef";

/// A webhook for email and SMS with JWT authentication, a plain `X-Tenant: acme` header and a
/// secret `X-Api-Key: k-123` header.
/// A webhook of [`webhook_write`] stored straight in the default sandbox.
pub async fn stored_webhook(
    state: &feedback_webhooks::server::state::AppState,
    name: &str,
    url: &str,
) -> feedback_webhooks::server::storage::WebhookRecord {
    let id = uuid::Uuid::new_v4();
    state
        .store
        .create_webhook(
            state.default_sandbox.id,
            id,
            &webhook_write(state, id, name, url),
            &test_entry(&state.default_sandbox),
        )
        .await
        .unwrap()
}

pub fn webhook_write(
    state: &feedback_webhooks::server::state::AppState,
    webhook: uuid::Uuid,
    name: &str,
    url: &str,
) -> feedback_webhooks::server::storage::WebhookWrite {
    use feedback_webhooks::server::crypto::SealedField;
    use feedback_webhooks::server::storage::*;
    let secret_header = uuid::Uuid::new_v4();
    WebhookWrite {
        name: name.into(),
        email: true,
        sms: true,
        url: url.into(),
        enabled: true,
        disabled_reason: None,
        events: feedback_webhooks::model::feedback::FeedbackStatus::ALL.to_vec(),
        jwt: Some(StoredJwt {
            algorithm: "HS256".into(),
            key_kind: "shared-secret".into(),
            secret_sealed: state
                .secrets
                .seal(JWT_SECRET, SealedField::JwtKey { webhook }),
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
                id: uuid::Uuid::new_v4(),
                name: "X-Tenant".into(),
                value: StoredHeaderValue::Plain("acme".into()),
            },
            StoredHeader {
                id: secret_header,
                name: "X-Api-Key".into(),
                value: StoredHeaderValue::Sealed {
                    sealed: state.secrets.seal(
                        "k-123",
                        SealedField::HeaderValue {
                            webhook,
                            header: secret_header,
                        },
                    ),
                    fingerprint: state.secrets.fingerprint("k-123"),
                    len: 5,
                },
            },
        ],
    }
}

pub struct TestApp {
    pub server: RunningServer,
    pub dir: tempfile::TempDir,
    pub client: reqwest::Client,
}

/// The value of the metrics sample `line_start` begins (name and labels), if present.
pub fn metric_sample(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(line_start)?.trim().parse().ok())
}

pub fn config_for(dir: &std::path::Path, extra: &[&str]) -> Config {
    let database_url = database::database_url(dir);
    let mut args = vec![
        "feedback-webhooks".to_string(),
        "--database-url".into(),
        database_url,
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--allow-private-targets".into(),
        "127.0.0.1/32".into(),
        "--site-root".into(),
        dir.join("site").display().to_string(),
    ];
    if database::is_postgres() && !extra.contains(&"--encryption-key") {
        args.extend(["--encryption-key".into(), database::ENCRYPTION_KEY.into()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    Config::parse_from(args)
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        // A request that hangs fails its test, naming the request, instead of hanging the run.
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

impl TestApp {
    /// A server whose first administrator comes from the configuration.
    pub async fn with_admin() -> TestApp {
        TestApp::with_admin_and(&[]).await
    }

    /// The same with extra command-line settings.
    pub async fn with_admin_and(extra: &[&str]) -> TestApp {
        TestApp::with_admin_in(tempfile::tempdir().unwrap(), extra).await
    }

    /// The same in a folder prepared by the caller (its `database-url`, say).
    pub async fn with_admin_in(dir: tempfile::TempDir, extra: &[&str]) -> TestApp {
        let mut config = config_for(dir.path(), extra);
        config.admin_email = Some(ADMIN_EMAIL.into());
        config.admin_password = Some(ADMIN_PASSWORD.into());
        let server = start(config).await.expect("server starts");
        TestApp {
            server,
            dir,
            client: client(),
        }
    }

    /// Another server on the same database: a folder of its own, the database URL shared
    /// (and, beside a SQLite file, its key file).
    pub async fn beside(&self, extra: &[&str]) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = std::fs::read_to_string(self.dir.path().join("database-url")).unwrap();
        std::fs::write(dir.path().join("database-url"), url).unwrap();
        TestApp::with_admin_in(dir, extra).await
    }

    pub async fn signed_in() -> TestApp {
        TestApp::signed_in_with(&[]).await
    }

    /// The same with extra command-line settings.
    pub async fn signed_in_with(extra: &[&str]) -> TestApp {
        let app = TestApp::with_admin_and(extra).await;
        let response = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(response.status(), 200, "login");
        app
    }

    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// Calls a server function the way the hydrated app does (form-encoded in, JSON out).
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/{endpoint}")))
            .header(ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Posts like a browser form without JavaScript.
    pub async fn post_plain_form(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/{endpoint}")))
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .header("Origin", format!("http://{}", self.server.addr))
            .header("Sec-Fetch-Site", "same-origin")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded(form))
            .send()
            .await
            .unwrap()
    }

    pub async fn call_json(&self, endpoint: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let response = self.call(endpoint, form).await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.call("login", &[("email", email), ("password", password)])
            .await
    }

    /// A page that must answer 200 (a refusal or a timeout fails here, with its answer).
    pub async fn page(&self, path: &str) -> String {
        let (status, text) = self.get_text(path).await;
        assert_eq!(status, 200, "GET {path}: {text}");
        text
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self.client.get(self.url(path)).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

/// The audit entry of something a test writes through the store, as the product would when it
/// sets something up itself.
pub fn test_entry(
    sandbox: &feedback_webhooks::server::storage::SandboxRef,
) -> feedback_webhooks::server::storage::AuditRecord {
    feedback_webhooks::server::audit::system_entry(
        sandbox.organization_id,
        "test.set_up",
        "webhook",
        "set up by a test",
    )
}

/// A form's fields as the call helpers take them.
pub fn pairs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The credentials form: its name, the scopes it may use, when it expires (`never`, `30d`, ...).
pub fn credential_form(name: &str, scopes: &[&str], expires: &str) -> Vec<(&'static str, String)> {
    let mut form = vec![
        ("form[name]", name.to_string()),
        ("form[expires]", expires.to_string()),
    ];
    for scope in scopes {
        let field = match *scope {
            "execute" => "form[scope_execute]",
            "read" => "form[scope_read]",
            "write" => "form[scope_write]",
            "audit" => "form[scope_audit]",
            "admin" => "form[scope_admin]",
            other => panic!("no scope {other}"),
        };
        form.push((field, "on".into()));
    }
    form
}

/// Encodes like a browser: brackets percent-encoded.
pub fn serde_urlencoded(form: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish()
}

/// A field's refusal in the English the product writes it in (server functions answer it as a
/// key with its values, for the page to write in its language).
pub fn english(message: &Value) -> String {
    serde_json::from_value::<feedback_webhooks::model::message::Message>(message.clone())
        .unwrap_or_else(|_| panic!("not a message: {message}"))
        .to_string()
}

/// A server function's refusal (a JSON `AppError`) in the English the product writes it in.
pub fn refusal_text(body: &Value) -> String {
    serde_json::from_value::<feedback_webhooks::error::AppError>(body.clone())
        .unwrap_or_else(|_| panic!("not a refusal: {body}"))
        .to_string()
}

/// Where a redirect points.
pub fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

/// The token of the setup link a server without users printed.
pub fn setup_token(server: &RunningServer) -> String {
    server
        .state
        .setup_link
        .lock()
        .unwrap()
        .as_ref()
        .expect("a setup link")
        .token
        .clone()
}

/// The organization's latest audit entries (at most 10, newest first) of `action`, read
/// straight from the store, with how many entries were read in all (for a failure's message).
pub async fn logged(
    store: &dyn feedback_webhooks::server::storage::Store,
    organization_id: uuid::Uuid,
    action: &str,
) -> (Vec<feedback_webhooks::server::storage::AuditRecord>, usize) {
    let log = store
        .list_audit(organization_id, &Default::default(), 10)
        .await
        .unwrap();
    let read = log.len();
    let matching = log
        .into_iter()
        .filter(|entry| entry.record.action == action)
        .map(|entry| entry.record)
        .collect();
    (matching, read)
}

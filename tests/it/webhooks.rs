//! The feedback webhook settings against a real server and a real SQLite database, on a
//! multi-thread runtime as in production.

use crate::support::*;
use serde_json::Value;

const HMAC_SECRET: &str = "hmac-secret-0123456789-abcdefghijkl";
const HEADER_SECRET: &str = "header-secret-value-xyz";

fn basic(name: &str, url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("form[name]", name.to_string()),
        ("form[email]", "on".into()),
        ("form[url]", url.to_string()),
        ("form[enabled]", "on".into()),
        ("form[event_sent]", "on".into()),
        ("form[event_delivered]", "on".into()),
        ("form[event_bounce]", "on".into()),
        ("form[event_error]", "on".into()),
        ("form[auth]", "none".into()),
    ]
}

fn with_jwt_and_headers(name: &str) -> Vec<(&'static str, String)> {
    let mut form = basic(name, "https://hooks.example.com/feedback");
    form.retain(|(k, _)| *k != "form[auth]");
    form.extend([
        ("form[sms]", "on".to_string()),
        ("form[auth]", "jwt".into()),
        ("form[jwt_algorithm]", "HS256".into()),
        ("form[jwt_secret]", HMAC_SECRET.into()),
        ("form[jwt_issuer]", "feedback-webhooks".into()),
        ("form[jwt_lifetime]", "600".into()),
        ("form[headers][0][name]", "X-Tenant".into()),
        ("form[headers][0][value]", "acme".into()),
        ("form[headers][1][name]", "X-Api-Key".into()),
        ("form[headers][1][value]", HEADER_SECRET.into()),
        ("form[headers][1][secret]", "on".into()),
    ]);
    form
}

/// A form as typed, the field that must refuse it, and part of the message.
type Refusal = (Vec<(&'static str, String)>, &'static str, &'static str);

async fn save(app: &TestApp, form: &[(&'static str, String)]) -> (u16, Value) {
    app.call_json("webhooks/save", &pairs(form)).await
}

async fn create(app: &TestApp, form: &[(&'static str, String)]) -> String {
    let (status, body) = save(app, form).await;
    assert_eq!(status, 200, "{body}");
    body["Saved"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("saved: {body}"))
        .to_string()
}

/// A refusal's messages by field, in English.
fn errors(body: &Value) -> std::collections::BTreeMap<String, String> {
    body["Invalid"]["errors"]
        .as_object()
        .unwrap_or_else(|| panic!("refused: {body}"))
        .iter()
        .map(|(field, message)| (field.clone(), english(message)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_server_functions_require_login() {
    let app = TestApp::with_admin().await;
    let response = app
        .client
        .get(app.url("/admin/channels/feedback-webhooks"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/login?next=%2Fadmin%2Fchannels%2Ffeedback-webhooks"
    );
    let (status, body) = app.call_json("webhooks/list", &[]).await;
    assert_eq!(status, 401);
    assert_eq!(body, Value::String("Unauthenticated".into()), "{body}");
    let (status, _) = save(&app, &basic("Nope", "https://hooks.example.com/x")).await;
    assert_eq!(status, 401);
    let (status, login_page) = app.get_text("/login").await;
    assert_eq!(status, 200);
    assert!(login_page.contains("Sign in"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_checks_the_password_and_sets_a_strict_http_only_cookie() {
    let app = TestApp::with_admin().await;
    let response = app.login(ADMIN_EMAIL, "wrong password entirely").await;
    assert_eq!(response.status(), 401);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("InvalidCredentials"));
    let response = app.login("ADMIN@example.com", ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("fw_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let (status, page) = app.get_text("/admin/channels/feedback-webhooks").await;
    assert_eq!(status, 200);
    assert!(page.contains("Feedback webhook settings") && page.contains("Create feedback webhook"));
    assert!(page.contains("No feedback webhooks yet"), "empty state");

    let (status, _) = app.call_json("logout", &[]).await;
    assert_eq!(status, 200);
    let (status, _) = app.call_json("webhooks/list", &[]).await;
    assert_eq!(status, 401);
}

/// `name=value` of the cookie a response sets.
fn session_cookie(response: &reqwest::Response) -> String {
    let header = response.headers()["set-cookie"].to_str().unwrap();
    header.split(';').next().unwrap().to_string()
}

/// A server-function call carrying exactly `cookie` (no cookie store).
async fn call_with_cookie(
    app: &TestApp,
    cookie: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(&format!("/api/{endpoint}")))
        .header(reqwest::header::ACCEPT, "application/json")
        .header(reqwest::header::COOKIE, cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Who a session cookie is signed in as, if anyone.
async fn signed_in_with_cookie(app: &TestApp, cookie: &str) -> Option<String> {
    let user: Value = call_with_cookie(app, cookie, "session", &[])
        .await
        .json()
        .await
        .unwrap();
    user["email"].as_str().map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_planted_before_sign_in_never_becomes_the_signed_in_one() {
    use crate::support::team::member;
    let app = TestApp::signed_in().await;
    const ATTACKER: &str = "attacker@example.com";
    let _ = member(&app, ATTACKER, "viewer", "attacker password 1").await;
    // The attacker's own session, whose id they know, planted in the administrator's browser.
    let attacker = call_with_cookie(
        &app,
        "",
        "login",
        &[("email", ATTACKER), ("password", "attacker password 1")],
    )
    .await;
    assert_eq!(attacker.status(), 200);
    let planted = session_cookie(&attacker);
    assert_eq!(
        signed_in_with_cookie(&app, &planted).await.as_deref(),
        Some(ATTACKER)
    );
    let victim = call_with_cookie(
        &app,
        &planted,
        "login",
        &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
    )
    .await;
    assert_eq!(victim.status(), 200);
    let issued = session_cookie(&victim);
    assert_ne!(issued, planted, "a new session id at sign-in");
    assert_eq!(
        signed_in_with_cookie(&app, &issued).await.as_deref(),
        Some(ADMIN_EMAIL)
    );
    assert_ne!(
        signed_in_with_cookie(&app, &planted).await.as_deref(),
        Some(ADMIN_EMAIL),
        "the planted id never carries the administrator's sign-in"
    );
    // A made-up id is not taken up either.
    let name = planted.split('=').next().unwrap();
    let made_up = format!("{name}=AAAAAAAAAAAAAAAAAAAAAA");
    let victim = call_with_cookie(
        &app,
        &made_up,
        "login",
        &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
    )
    .await;
    assert_ne!(session_cookie(&victim), made_up);
    assert_eq!(signed_in_with_cookie(&app, &made_up).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_list_edit_and_delete() {
    let app = TestApp::signed_in().await;
    let id = create(&app, &with_jwt_and_headers("Orders feedback")).await;

    let (status, list) = app.call_json("webhooks/list", &[]).await;
    assert_eq!(status, 200);
    let item = &list["items"][0];
    assert_eq!(item["name"], "Orders feedback");
    assert_eq!(item["channels"], serde_json::json!(["email", "sms"]));
    assert_eq!(item["jwt_algorithm"], "HS256");
    assert_eq!(item["enabled"], true);

    let (status, editor) = app.call_json("webhooks/editor", &[("id", &id)]).await;
    assert_eq!(status, 200);
    assert_eq!(editor["form"]["jwt_issuer"], "feedback-webhooks");
    assert_eq!(editor["form"]["headers"][0]["value"], "acme");
    assert_eq!(
        editor["form"]["headers"][1]["value"], "",
        "secret values are not sent back"
    );
    let header_id = editor["form"]["headers"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let fingerprint = editor["header_secrets"][&header_id]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(fingerprint.len(), 19);

    // Edit: rename, drop SMS, keep both secrets by leaving them blank.
    let mut edit = with_jwt_and_headers("Orders feedback (prod)");
    edit.retain(|(k, _)| {
        *k != "form[sms]" && *k != "form[jwt_secret]" && *k != "form[headers][1][value]"
    });
    edit.push(("form[id]", id.clone()));
    edit.push(("form[headers][1][id]", header_id.clone()));
    edit.push(("form[headers][1][value]", String::new()));
    let (status, body) = save(&app, &edit).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Saved"]["created"], false);
    let (_, editor) = app.call_json("webhooks/editor", &[("id", &id)]).await;
    assert_eq!(editor["form"]["name"], "Orders feedback (prod)");
    assert_eq!(editor["form"]["sms"], Value::Null);
    assert_eq!(
        editor["header_secrets"][&header_id]["fingerprint"],
        fingerprint.as_str(),
        "kept"
    );
    assert!(editor["jwt_secret"].is_array(), "JWT key kept: {editor}");

    let (status, _) = app.call_json("webhooks/delete", &[("id", &id)]).await;
    assert_eq!(status, 200);
    let (_, list) = app.call_json("webhooks/list", &[]).await;
    assert_eq!(list["items"], serde_json::json!([]));
    let (status, _) = app.call_json("webhooks/delete", &[("id", &id)]).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_refusal_names_its_field() {
    let app = TestApp::signed_in().await;
    let cases: Vec<Refusal> = vec![
        (
            basic("", "https://hooks.example.com/x"),
            "name",
            "Enter a webhook name.",
        ),
        (
            basic(&"n".repeat(101), "https://hooks.example.com/x"),
            "name",
            "at most 100",
        ),
        (basic("No URL", ""), "url", "Enter the webhook URL."),
        (
            basic("Plain http", "http://hooks.example.com/x"),
            "url",
            "Use https://",
        ),
        (
            basic("Userinfo", "https://u:p@hooks.example.com/x"),
            "url",
            "user name and password",
        ),
        (
            basic("Fragment", "https://hooks.example.com/x#f"),
            "url",
            "fragment",
        ),
        (
            basic("Metadata", "https://169.254.169.254/latest"),
            "url",
            "link-local",
        ),
        (
            basic("No channel", "https://hooks.example.com/x")
                .into_iter()
                .filter(|(k, _)| *k != "form[email]")
                .collect(),
            "channels",
            "Choose at least one channel.",
        ),
        (
            basic("No event", "https://hooks.example.com/x")
                .into_iter()
                .filter(|(k, _)| !k.starts_with("form[event_"))
                .collect(),
            "events",
            "Choose at least one event.",
        ),
        (
            {
                let mut f = with_jwt_and_headers("Short secret");
                f.retain(|(k, _)| *k != "form[jwt_secret]");
                f.push(("form[jwt_secret]", "short".into()));
                f
            },
            "jwt_secret",
            "at least 32 bytes",
        ),
        (
            {
                let mut f = with_jwt_and_headers("Bad PEM");
                f.retain(|(k, _)| *k != "form[jwt_secret]" && *k != "form[jwt_algorithm]");
                f.push(("form[jwt_algorithm]", "RS256".into()));
                f.push((
                    "form[jwt_secret]",
                    "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----".into(),
                ));
                f
            },
            "jwt_secret",
            "not a valid RSA private key",
        ),
        (
            {
                let mut f = basic("Reserved header", "https://hooks.example.com/x");
                f.push(("form[headers][0][name]", "Content-Type".into()));
                f.push(("form[headers][0][value]", "text/plain".into()));
                f
            },
            "headers.0.name",
            "set by the sender",
        ),
        (
            {
                let mut f = basic("Injected header", "https://hooks.example.com/x");
                f.push(("form[headers][0][name]", "X-A".into()));
                f.push(("form[headers][0][value]", "a\r\nX-B: b".into()));
                f
            },
            "headers.0.value",
            "line breaks",
        ),
    ];
    for (form, field, message) in cases {
        let (status, body) = save(&app, &form).await;
        assert_eq!(status, 200, "{body}");
        let errors = errors(&body);
        let got = errors
            .get(field)
            .unwrap_or_else(|| panic!("{field} in {body}"));
        assert!(got.contains(message), "{field}: {got}");
    }
    let (_, list) = app.call_json("webhooks/list", &[]).await;
    assert_eq!(
        list["items"],
        serde_json::json!([]),
        "nothing refused was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa_and_ec_keys_are_validated_on_save() {
    let app = TestApp::signed_in().await;
    let key = include_str!("../fixtures/keys/ec256.pem");
    let mut form = with_jwt_and_headers("EC signed");
    form.retain(|(k, _)| *k != "form[jwt_secret]" && *k != "form[jwt_algorithm]");
    form.push(("form[jwt_algorithm]", "ES256".into()));
    form.push(("form[jwt_secret]", key.into()));
    create(&app, &form).await;
    form.retain(|(k, _)| *k != "form[jwt_algorithm]" && *k != "form[name]");
    form.push(("form[jwt_algorithm]", "ES384".into()));
    form.push(("form[name]", "EC wrong curve".into()));
    let (_, body) = save(&app, &form).await;
    assert!(errors(&body)["jwt_secret"].contains("P-384"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_unique_per_sandbox_ignoring_case() {
    let app = TestApp::signed_in().await;
    create(&app, &basic("Orders", "https://hooks.example.com/a")).await;
    let (_, body) = save(&app, &basic("  ORDERS ", "https://hooks.example.com/b")).await;
    assert_eq!(
        errors(&body)["name"],
        "A webhook named “ORDERS” already exists in this sandbox."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_is_accepted_for_allow_listed_local_targets() {
    let app = TestApp::signed_in().await;
    create(&app, &basic("Local receiver", "http://127.0.0.1:9999/hook")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_posts_are_refused() {
    let app = TestApp::signed_in().await;
    let form = basic("Cross site", "https://hooks.example.com/x");
    for (header, value) in [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ] {
        let response = app
            .client
            .post(app.url("/api/webhooks/save"))
            .header(header, value)
            .form(&pairs(&form))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{header}");
    }
    let response = app
        .client
        .post(app.url("/api/login"))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403, "login CSRF");
    let (_, list) = app.call_json("webhooks/list", &[]).await;
    assert_eq!(list["items"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_appear_in_any_response() {
    let app = TestApp::signed_in().await;
    let id = create(&app, &with_jwt_and_headers("Secretive")).await;
    let mut bodies = vec![
        app.call_json("webhooks/list", &[]).await.1.to_string(),
        app.call_json("webhooks/editor", &[("id", &id)])
            .await
            .1
            .to_string(),
        app.get_text("/admin/channels/feedback-webhooks").await.1,
        app.get_text(&format!("/admin/channels/feedback-webhooks/{id}"))
            .await
            .1,
    ];
    // A refused edit sent without JavaScript comes back without its secrets.
    let mut refused = with_jwt_and_headers("");
    refused.push(("form[id]", id.clone()));
    let response = app.post_plain_form("webhooks/save", &pairs(&refused)).await;
    assert_eq!(response.status(), 302);
    let target = location(&response);
    bodies.push(app.get_text(&target).await.1);
    for body in &bodies {
        assert!(!body.contains(HMAC_SECRET), "JWT secret leaked");
        assert!(!body.contains(HEADER_SECRET), "header secret leaked");
    }
    assert!(
        bodies[3].contains("fingerprint"),
        "the edit page shows the fingerprint"
    );
    // And at rest, the database holds only sealed values.
    let url = &app.server.state.config.database_url;
    for bytes in crate::support::database::stored_webhook_bytes(url).await {
        assert!(!bytes
            .windows(HMAC_SECRET.len())
            .any(|w| w == HMAC_SECRET.as_bytes()));
        assert!(!bytes
            .windows(HEADER_SECRET.len())
            .any(|w| w == HEADER_SECRET.as_bytes()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_form_posts_work_without_javascript() {
    let app = TestApp::signed_in().await;
    // Refused: back to the form with what was typed and the message next to the field.
    let form = basic("Typed name", "http://hooks.example.com/plain");
    let response = app.post_plain_form("webhooks/save", &pairs(&form)).await;
    assert_eq!(response.status(), 302);
    let target = location(&response);
    assert!(
        target.starts_with("/admin/channels/feedback-webhooks/new?draft="),
        "{target}"
    );
    let (status, page) = app.get_text(&target).await;
    assert_eq!(status, 200);
    assert!(page.contains("value=\"Typed name\""), "name kept");
    assert!(
        page.contains("value=\"http://hooks.example.com/plain\""),
        "URL kept"
    );
    assert!(page.contains("Plain http:// is accepted only for allow-listed private addresses."));

    // "Add header" without JavaScript comes back with one more row.
    let mut adding = basic("Typed name", "https://hooks.example.com/plain");
    adding.push(("form[intent]", "add_header".into()));
    let response = app.post_plain_form("webhooks/save", &pairs(&adding)).await;
    let target = location(&response);
    let page = app.page(&target).await;
    assert!(
        page.contains("form[headers][0][name]"),
        "a header row was added"
    );

    // Accepted: on to the list, which shows it.
    let form = basic("Typed name", "https://hooks.example.com/plain");
    let response = app.post_plain_form("webhooks/save", &pairs(&form)).await;
    assert_eq!(response.status(), 302);
    let target = location(&response);
    assert!(
        target.starts_with("/admin/channels/feedback-webhooks?saved="),
        "{target}"
    );
    let page = app.page(&target).await;
    assert!(page.contains("Saved “Typed name”."));

    // Delete through its confirmation page's form.
    let (_, list) = app.call_json("webhooks/list", &[]).await;
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    let (status, confirm) = app
        .get_text(&format!("/admin/channels/feedback-webhooks/{id}/delete"))
        .await;
    assert_eq!(status, 200);
    assert!(confirm.contains("Delete “Typed name”?"));
    let response = app.post_plain_form("webhooks/delete", &[("id", &id)]).await;
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        "/admin/channels/feedback-webhooks?deleted=Typed+name"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_survive_a_restart() {
    let app = TestApp::signed_in().await;
    let TestApp {
        server,
        dir,
        client,
    } = app;
    server.stop().await;
    let mut config = config_for(dir.path(), &[]);
    config.admin_email = Some(ADMIN_EMAIL.into());
    config.admin_password = Some(ADMIN_PASSWORD.into());
    let server = feedback_webhooks::serve::start(config).await.unwrap();
    let response = client
        .post(server.url("/api/webhooks/list"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_setup_link_creates_the_administrator_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = feedback_webhooks::serve::start(config_for(dir.path(), &[]))
        .await
        .unwrap();
    let token = setup_token(&server);
    let app = TestApp {
        server,
        dir,
        client: client(),
    };
    let (status, page) = app.get_text("/setup?token=wrong").await;
    assert_eq!(status, 200);
    assert!(page.contains("not valid"));
    let (status, _) = app
        .call_json(
            "setup",
            &[
                ("token", "wrong"),
                ("email", "a@example.com"),
                ("password", ADMIN_PASSWORD),
                ("password_confirm", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, 403);
    let (_, body) = app
        .call_json(
            "setup",
            &[
                ("token", &token),
                ("email", "a@example.com"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert!(english(&body["Invalid"]["errors"]["password"]).contains("12 characters"));
    let (status, body) = app
        .call_json(
            "setup",
            &[
                ("token", &token),
                ("email", "a@example.com"),
                ("password", ADMIN_PASSWORD),
                ("password_confirm", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!((status, body), (200, Value::String("Created".into())));
    let (status, _) = app.call_json("webhooks/list", &[]).await;
    assert_eq!(status, 200, "signed in after setup");
    let (status, _) = app
        .call_json(
            "setup",
            &[
                ("token", &token),
                ("email", "b@example.com"),
                ("password", ADMIN_PASSWORD),
                ("password_confirm", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, 403, "the link works once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_compressed_and_refuse_framing() {
    let app = TestApp::with_admin().await;
    let response = app
        .client
        .get(app.url("/login"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(headers["content-encoding"], "gzip");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_test_event_answers_inline_and_without_javascript() {
    let app = TestApp::signed_in().await;
    let receiver = receiver::TestReceiver::start().await;
    receiver.script([
        receiver::Scripted::status(200).body("pong"),
        receiver::Scripted::status(401).body("bad token"),
    ]);
    let id = create(&app, &basic("Tested", &receiver.url("/hook"))).await;

    let (status, answer) = app.call_json("webhooks/send-test", &[("id", &id)]).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["success"], true);
    assert_eq!(answer["status"], 200);
    assert_eq!(answer["body_excerpt"], "pong");
    assert!(answer["request_id"].as_str().unwrap().starts_with("test-"));
    assert_eq!(receiver.received().len(), 1);

    // Without JavaScript: back to the form, which shows the answer once.
    let response = app
        .post_plain_form("webhooks/send-test", &[("id", &id)])
        .await;
    assert_eq!(response.status(), 302);
    let target = location(&response);
    assert_eq!(target, format!("/admin/channels/feedback-webhooks/{id}"));
    let page = app.page(&target).await;
    assert!(page.contains("HTTP 401"), "the status is shown");
    assert!(page.contains("bad token"), "the response excerpt is shown");
    let again = app.page(&target).await;
    assert!(
        !again.contains("bad token"),
        "shown once: {}",
        &again[again.find("bad token").unwrap_or(0).saturating_sub(300)..]
    );

    let (status, _) = app
        .call_json("webhooks/send-test", &[("id", "not-a-webhook")])
        .await;
    assert_eq!(status, 404);

    // A signing secret generated without JavaScript is also shown on one page view only.
    let response = app
        .post_plain_form("webhooks/signing-secret/rotate", &[("id", &id)])
        .await;
    let page = app.page(&location(&response)).await;
    assert!(page.contains("whsec_"));
    let again = app.page(&target).await;
    assert!(!again.contains("whsec_"));
}

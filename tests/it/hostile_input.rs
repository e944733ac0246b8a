//! Attacks from the outside, each reproduced against a real server: what one caller sends must
//! not hurt anyone else (sign-in floods and lock-outs, oversized input, open redirects).

use crate::support::api::*;
use crate::support::receiver::{hanging_endpoint, TestReceiver};
use crate::support::*;
use reqwest::header::ACCEPT;
use serde_json::{json, Value};

/// Tries a sign-in as the hydrated app does, from `forwarded_for` as a proxy would say.
async fn login_from(
    app: &TestApp,
    forwarded_for: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/login"))
        .header(ACCEPT, "application/json")
        .header("X-Forwarded-For", forwarded_for)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

fn retry_after_secs(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_at_one_account_get_no_more_than_the_limit_through() {
    let app = TestApp::with_admin().await;
    let guesses: Vec<_> = (0..30)
        .map(|i| {
            let client = app.client.clone();
            let url = app.url("/api/login");
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .header(ACCEPT, "application/json")
                    .form(&[("email", ADMIN_EMAIL), ("password", &format!("guess {i}"))])
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
                (status, retry_after, response.text().await.unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for guess in guesses {
        answers.push(guess.await.unwrap());
    }
    let checked = answers.iter().filter(|(status, ..)| *status == 401).count();
    let refused: Vec<_> = answers
        .iter()
        .filter(|(status, ..)| *status == 429)
        .collect();
    assert_eq!(checked, 10, "{answers:?}");
    assert_eq!(refused.len(), 20, "{answers:?}");
    for (_, retry_after, body) in refused {
        let seconds = retry_after.expect("a 429 says when to try again");
        assert!((14 * 60..=15 * 60).contains(&seconds), "{seconds}");
        let said = refusal_text(&serde_json::from_str(body).unwrap());
        assert!(
            said.contains("Too many sign-in attempts for this account"),
            "{body}"
        );
    }
    // The right password is refused too while the account is throttled from here.
    let locked = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(locked.status(), 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attacker_elsewhere_cannot_lock_the_administrator_out() {
    let app = TestApp::with_admin_and(&["--trusted-proxies", "127.0.0.1/32"]).await;
    let attacker = "198.51.100.7";
    for _ in 0..10 {
        let guess = login_from(&app, attacker, ADMIN_EMAIL, "not the password").await;
        assert_eq!(guess.status(), 401);
    }
    let refused = login_from(&app, attacker, ADMIN_EMAIL, "not the password").await;
    assert_eq!(refused.status(), 429);
    assert!(retry_after_secs(&refused) > 0);
    // The administrator, signing in from their own network, gets in.
    let admin = login_from(&app, "203.0.113.9", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(admin.status(), 200, "{}", admin.text().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_for_header_from_an_untrusted_peer_does_not_escape_the_throttle() {
    // No trusted proxy: every client writes its own X-Forwarded-For, and none is believed.
    let app = TestApp::with_admin().await;
    for i in 0..10 {
        let guess = login_from(&app, &format!("198.51.100.{i}"), ADMIN_EMAIL, "wrong").await;
        assert_eq!(guess.status(), 401);
    }
    let refused = login_from(&app, "198.51.100.99", ADMIN_EMAIL, "wrong").await;
    assert_eq!(refused.status(), 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_spray_guesses_over_many_accounts() {
    let app = TestApp::with_admin_and(&["--trusted-proxies", "127.0.0.1/32"]).await;
    let sprayer = "198.51.100.50";
    for i in 0..100 {
        let guess = login_from(&app, sprayer, &format!("user{i}@example.com"), "password1").await;
        assert_eq!(guess.status(), 401, "attempt {i}");
    }
    let refused = login_from(&app, sprayer, "user100@example.com", "password1").await;
    assert_eq!(refused.status(), 429);
    let body = refused.text().await.unwrap();
    assert!(
        refusal_text(&serde_json::from_str(&body).unwrap())
            .contains("Too many sign-in attempts from your network"),
        "{body}"
    );
    // Another network is unaffected.
    let admin = login_from(&app, "203.0.113.9", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(admin.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_sign_in_is_refused_with_the_field_named() {
    let app = TestApp::with_admin().await;
    let huge_email = format!("{}@example.com", "a".repeat(1 << 20));
    let (status, body) = app
        .call_json("login", &[("email", &huge_email), ("password", "whatever")])
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        refusal_text(&body).contains("The email is too long"),
        "{body}"
    );
    let huge_password = "p".repeat(100_000);
    let (status, body) = app
        .call_json(
            "login",
            &[("email", ADMIN_EMAIL), ("password", &huge_password)],
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        refusal_text(&body).contains("The password is too long"),
        "{body}"
    );
    // Without JavaScript the form comes back, its email kept but bounded.
    let plain = app
        .post_plain_form("login", &[("email", &huge_email), ("password", "whatever")])
        .await;
    let back = location(&plain);
    assert!(back.starts_with("/login?error="), "{back}");
    assert!(back.len() < 1024, "{}", back.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_sign_in_without_javascript_comes_back_with_a_clear_message() {
    let app = TestApp::with_admin().await;
    for _ in 0..10 {
        app.post_plain_form("login", &[("email", ADMIN_EMAIL), ("password", "wrong")])
            .await;
    }
    let refused = app
        .post_plain_form(
            "login",
            &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
        )
        .await;
    // A redirect the browser follows (it does not follow a Location on an error status).
    assert!(refused.status().is_redirection(), "{}", refused.status());
    let back = location(&refused);
    assert!(
        back.starts_with("/login?error=account&minutes=15"),
        "{back}"
    );
    let (status, page) = app.get_text(&back).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(
            "Too many sign-in attempts for this account from your network. Try again in 15 minutes."
        ),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_never_redirects_off_the_site() {
    let app = TestApp::with_admin().await;
    for next in ["/\t/evil.example", "//evil.example", "/\\evil.example"] {
        let client = client();
        let response = client
            .post(app.url("/api/login"))
            .header(ACCEPT, "text/html")
            .header("Sec-Fetch-Site", "same-origin")
            .form(&[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            location(&response),
            "/admin/channels/feedback-webhooks",
            "{next:?}"
        );
    }
}

/// A template of thousands of placeholders times a 100 KB value would be gigabytes: the call is
/// refused with the recipient named, and the callers executing beside it are not hurt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_cannot_multiply_a_callers_value_into_gigabytes() {
    let api = api().await;
    let receiver = TestReceiver::start().await;
    let webhook = api
        .webhook("Feedback", &receiver.url("/fb"), &["email"], &["sent"])
        .await;
    let templates = Templates {
        email_body: "{{context.blob}}".repeat(6_000),
        ..Templates::default()
    };
    let campaign = api
        .save_campaign_with("", "Amplified", "email", "live", Some(&webhook), &templates)
        .await;
    let mut attack = one_recipient_call(&campaign, "attack");
    attack["recipients"][0]["context"]["blob"] = json!("x".repeat(100_000));
    let attacks: Vec<_> = (0..4)
        .map(|_| tokio::spawn(api.execute(&attack).send()))
        .collect();
    let honest: Vec<_> = (0..20)
        .map(|i| {
            let call = one_recipient_call(&campaign, &format!("honest-{i}"));
            tokio::spawn(api.execute(&call).send())
        })
        .collect();
    for attack in attacks {
        let refused = attack.await.unwrap().unwrap();
        assert_eq!(refused.status(), 400);
        let body: Value = refused.json().await.unwrap();
        let text = body.to_string();
        assert!(text.contains("recipients[0]"), "{text}");
        assert!(text.contains("would pass 256 KB"), "{text}");
    }
    for call in honest {
        let accepted = call.await.unwrap().unwrap();
        assert_eq!(accepted.status(), 202);
    }
    wait_for(&receiver, 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_context_or_profile_is_refused_with_the_field_named() {
    let api = api().await;
    let receiver = TestReceiver::start().await;
    let campaign = api.live_campaign_to(&receiver, &["sent"]).await;
    for key in ["context", "profile"] {
        let mut call = one_recipient_call(&campaign, key);
        call["recipients"][0][key] = json!({ "blob": "x".repeat(250 * 1024) });
        let refused = api.execute(&call).send().await.unwrap();
        assert_eq!(refused.status(), 400);
        let text = refused.text().await.unwrap();
        assert!(text.contains(&format!("recipients[0].{key}")), "{text}");
        assert!(text.contains("at most 200 KB"), "{text}");
    }
}

/// Posts the setup form with `token` for `email`.
async fn set_up(app: &TestApp, token: &str, email: &str) -> (u16, Value) {
    app.call_json(
        "setup",
        &[
            ("token", token),
            ("email", email),
            ("password", ADMIN_PASSWORD),
            ("password_confirm", ADMIN_PASSWORD),
        ],
    )
    .await
}

async fn without_users(dir: tempfile::TempDir, extra: &[&str]) -> TestApp {
    let server = feedback_webhooks::serve::start(config_for(dir.path(), extra))
        .await
        .unwrap();
    TestApp {
        server,
        dir,
        client: client(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setups_posted_together_create_one_administrator() {
    let app = without_users(tempfile::tempdir().unwrap(), &[]).await;
    let token = setup_token(&app.server);
    let setups: Vec<_> = (0..6)
        .map(|i| {
            let (client, url, token) = (client(), app.url("/api/setup"), token.clone());
            tokio::spawn(async move {
                let email = format!("admin{i}@example.com");
                client
                    .post(url)
                    .header(ACCEPT, "application/json")
                    .form(&[
                        ("token", token.as_str()),
                        ("email", &email),
                        ("password", ADMIN_PASSWORD),
                        ("password_confirm", ADMIN_PASSWORD),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for setup in setups {
        statuses.push(setup.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [200, 403, 403, 403, 403, 403]);
    assert_eq!(app.server.state.store.user_count().await.unwrap(), 1);
    // One entry, by the person at the link (not signed in yet), naming the one administrator.
    let state = &app.server.state;
    let (setups, read) = logged(
        state.store.as_ref(),
        state.default_sandbox.organization_id,
        "setup.administrator_created",
    )
    .await;
    assert_eq!(setups.len(), 1, "{setups:?} of {read} entries");
    let setup = &setups[0];
    assert_eq!(setup.actor_kind, "anonymous");
    assert_eq!(setup.address.as_deref(), Some("127.0.0.1"));
    assert_eq!(setup.actor_name, setup.object_name);
    let admin = app
        .server
        .state
        .store
        .user_by_email(&setup.object_name)
        .await
        .unwrap()
        .expect("the entry names the administrator");
    assert_eq!(setup.object_id, Some(admin.id.to_string()));
    // The link is spent.
    let (status, _) = set_up(&app, &token, "late@example.com").await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_with_their_own_setup_links_create_one_administrator() {
    let first = without_users(tempfile::tempdir().unwrap(), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let url = std::fs::read_to_string(first.dir.path().join("database-url")).unwrap();
    std::fs::write(dir.path().join("database-url"), url).unwrap();
    let second = without_users(dir, &[]).await;
    let (one, other) = (setup_token(&first.server), setup_token(&second.server));
    assert_ne!(one, other);
    let (a, b) = tokio::join!(
        set_up(&first, &one, "first@example.com"),
        set_up(&second, &other, "second@example.com")
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 403], "{a:?} {b:?}");
    assert_eq!(first.server.state.store.user_count().await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_setup_link_creates_nothing_and_says_so() {
    let app = without_users(
        tempfile::tempdir().unwrap(),
        &["--setup-link-expiry", "300ms"],
    )
    .await;
    let token = setup_token(&app.server);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let (status, page) = app.get_text(&format!("/setup?token={token}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("This setup link has expired"), "{page}");
    let (status, _) = set_up(&app, &token, "admin@example.com").await;
    assert_eq!(status, 403);
    assert_eq!(app.server.state.store.user_count().await.unwrap(), 0);
}

/// Whether the client's session is signed in, as the app asks on every page.
async fn signed_in(app: &TestApp) -> bool {
    let (status, body) = app.call_json("session", &[]).await;
    assert_eq!(status, 200, "{body}");
    !body.is_null()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ends_at_its_lifetime_however_active() {
    let app = TestApp::with_admin_and(&["--session-lifetime", "1500ms"]).await;
    assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 200);
    for _ in 0..3 {
        assert!(signed_in(&app).await);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert!(!signed_in(&app).await);
    let (status, _) = app.call_json("webhooks/list", &[]).await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_idle_timeout_slides_with_activity_and_ends_an_idle_session() {
    let app = TestApp::with_admin_and(&["--session-idle", "2s"]).await;
    assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 200);
    // Active for twice the idle timeout: still signed in.
    for _ in 0..8 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert!(signed_in(&app).await);
    }
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    assert!(!signed_in(&app).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_sessions_are_deleted_from_the_store() {
    let app = TestApp::with_admin_and(&["--session-idle", "1s"]).await;
    let url = std::fs::read_to_string(app.dir.path().join("database-url")).unwrap();
    let stored =
        || async { crate::support::database::count(&url, "SELECT COUNT(*) FROM sessions").await };
    for _ in 0..3 {
        let person = client();
        let response = person
            .post(app.url("/api/login"))
            .header(ACCEPT, "application/json")
            .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    assert_eq!(stored().await, 3);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while stored().await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "expired sessions kept"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// A body announced over 2 MB is refused before the server reads any of it: the request's head
/// alone, written by hand, gets its 413 (a client that went on sending the body could see the
/// connection closed under it instead).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_2_mb_is_refused_unread_everywhere() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let api = api().await;
    for path in [
        "/api/login",
        "/api/webhooks/save",
        "/im/executions/unitary",
        "/api/v1/webhooks",
    ] {
        let mut connection = tokio::net::TcpStream::connect(api.app.server.addr)
            .await
            .unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             Authorization: Bearer {}\r\nx-api-key: {}\r\n\
             Content-Length: {}\r\n\r\n",
            api.app.server.addr,
            api.token,
            api.api_key,
            3 << 20
        );
        connection.write_all(head.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 64];
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            connection.read(&mut answer),
        )
        .await
        .expect("answered without the body")
        .unwrap();
        let status_line = String::from_utf8_lossy(&answer[..read]).to_string();
        assert!(
            status_line.starts_with("HTTP/1.1 413"),
            "{path}: {status_line}"
        );
    }
}

/// The webhook form as a browser posts it, with `rows` header rows named by `name_of`.
fn webhook_form_with_rows(rows: usize, name_of: impl Fn(usize) -> String) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = [
        ("form[id]", ""),
        ("form[name]", "Many headers"),
        ("form[url]", "http://127.0.0.1:9/in"),
        ("form[enabled]", "on"),
        ("form[auth]", "none"),
        ("form[email]", "on"),
        ("form[event_sent]", "on"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for i in 0..rows {
        form.push((format!("form[headers][{i}][name]"), name_of(i)));
        form.push((format!("form[headers][{i}][value]"), "1".into()));
    }
    form
}

async fn save_webhook_form(app: &TestApp, form: &[(String, String)]) -> (u16, Value) {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.call_json("webhooks/save", &pairs).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_takes_at_most_50_header_rows_and_a_flood_of_rows_is_refused_whole() {
    let app = TestApp::signed_in().await;
    let (status, saved) =
        save_webhook_form(&app, &webhook_form_with_rows(50, |i| format!("X-H{i}"))).await;
    assert_eq!(status, 200, "{saved}");
    assert!(saved["Saved"]["id"].is_string(), "{saved}");

    let (status, refused) =
        save_webhook_form(&app, &webhook_form_with_rows(51, |i| format!("X-H{i}"))).await;
    assert_eq!(status, 200);
    let errors = refused["Invalid"]["errors"].as_object().unwrap();
    assert!(english(&errors["headers"]).contains("at most 50 headers"));

    // 15,000 rows, all alike, in a body under the 2 MB bound: one message, not 15,000, and no
    // row compared with every other.
    let flood = webhook_form_with_rows(15_000, |_| "X-Same".into());
    let (status, refused) = save_webhook_form(&app, &flood).await;
    assert_eq!(status, 200, "{refused}");
    let errors = refused["Invalid"]["errors"].as_object().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(english(&errors["headers"]).contains("15000 rows"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandboxes_and_organizations_hold_a_bounded_number_of_things() {
    use feedback_webhooks::model::capacity::*;
    use feedback_webhooks::server::storage::CampaignWrite;
    let api = api().await;
    let state = &api.app.server.state;
    let sandbox = state.default_sandbox.clone();
    // Filled to one short of each capacity through the store, then one more through the app.
    for n in 1..WEBHOOKS_PER_SANDBOX.max {
        let id = uuid::Uuid::new_v4();
        let write = webhook_write(state, id, &format!("Hook {n}"), "http://127.0.0.1:9/in");
        state
            .store
            .create_webhook(
                sandbox.id,
                id,
                &write,
                &crate::support::test_entry(&sandbox),
            )
            .await
            .unwrap();
    }
    let last = api
        .webhook("Hook 100", "http://127.0.0.1:9/in", &["email"], &["sent"])
        .await;
    assert!(!last.is_empty());
    let form = webhook_form_with_rows(0, |_| String::new());
    let (status, refused) = save_webhook_form(&api.app, &form).await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refusal_text(&refused).contains("already has 100 feedback webhooks"),
        "{refused}"
    );

    for n in 1..CAMPAIGNS_PER_SANDBOX.max {
        let write = CampaignWrite {
            name: format!("Campaign {n}"),
            channel: feedback_webhooks::model::Channel::Email,
            status: feedback_webhooks::model::campaign::CampaignStatus::Draft,
            content: Default::default(),
            version_id: n.to_string(),
            webhook_enabled: false,
            webhook_id: None,
        };
        state
            .store
            .create_campaign(
                sandbox.id,
                uuid::Uuid::new_v4(),
                &write,
                &crate::support::test_entry(&sandbox),
            )
            .await
            .unwrap();
    }
    api.campaign("Campaign 1000", "email", "draft", None).await;
    let (status, refused) = api
        .app
        .call_json(
            "campaigns/save",
            &[
                ("form[id]", ""),
                ("form[name]", "One too many"),
                ("form[channel]", "email"),
                ("form[status]", "draft"),
            ],
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refusal_text(&refused).contains("already has 1000 campaigns"),
        "{refused}"
    );

    // One credential exists (the caller's); revoked ones make room.
    let mut ids = Vec::new();
    for n in 1..CREDENTIALS_PER_ORGANIZATION.max {
        let (status, created) = api
            .app
            .call_json(
                "credentials/create",
                &pairs(&credential_form(
                    &format!("Service {n}"),
                    &["execute"],
                    "never",
                )),
            )
            .await;
        assert_eq!(status, 200, "{created}");
        ids.push(created["credential"]["id"].as_str().unwrap().to_string());
    }
    let (status, refused) = api
        .app
        .call_json(
            "credentials/create",
            &pairs(&credential_form("More", &["execute"], "never")),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(refusal_text(&refused).contains("already has 50 active API credentials"));
    let (status, _) = api
        .app
        .call_json("credentials/revoke", &[("id", &ids[0])])
        .await;
    assert_eq!(status, 200);
    let (status, _) = api
        .app
        .call_json(
            "credentials/create",
            &pairs(&credential_form("More", &["execute"], "never")),
        )
        .await;
    assert_eq!(status, 200);

    // The default sandbox counts.
    for n in 1..SANDBOXES_PER_ORGANIZATION.max {
        let (status, created) = api
            .app
            .call_json("sandboxes/create", &[("name", &format!("stage-{n}"))])
            .await;
        assert_eq!(status, 200, "{created}");
    }
    let (status, refused) = api
        .app
        .call_json("sandboxes/create", &[("name", "stage-x")])
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(refusal_text(&refused).contains("already has 20 sandboxes"));
}

fn feedback_event(
    sandbox_id: uuid::Uuid,
    request_id: &str,
) -> feedback_webhooks::server::storage::NewEvent {
    feedback_webhooks::server::storage::NewEvent {
        sandbox_id,
        event_type: "sent".into(),
        channel: "email".into(),
        request_id: request_id.into(),
        message_execution_id: format!("MEX-{request_id}"),
        payload: format!(r#"{{"requestId":"{request_id}"}}"#),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_whose_endpoints_all_hang_cannot_hold_up_another_tenants_deliveries() {
    use feedback_webhooks::server::storage::*;
    let app = TestApp::with_admin().await;
    let state = &app.server.state;
    let noisy = state.default_sandbox.clone();
    let quiet = state
        .store
        .create_sandbox(
            noisy.organization_id,
            "quiet",
            &crate::support::test_entry(&noisy),
        )
        .await
        .unwrap();
    // Sandbox A: 50 webhooks whose endpoint accepts and never answers, 90 events each, more
    // than the engine keeps in flight.
    let (hanging, _endpoint) = hanging_endpoint().await;
    let mut noisy_hooks = Vec::new();
    for n in 0..50 {
        let id = uuid::Uuid::new_v4();
        let url = format!("http://{hanging}/hook-{n}");
        let write = webhook_write(state, id, &format!("Slow {n}"), &url);
        state
            .store
            .create_webhook(noisy.id, id, &write, &crate::support::test_entry(&noisy))
            .await
            .unwrap();
        noisy_hooks.push(id);
    }
    let batch: Vec<(NewEvent, Vec<uuid::Uuid>)> = (0..90)
        .map(|n| {
            (
                feedback_event(noisy.id, &format!("slow-{n}")),
                noisy_hooks.clone(),
            )
        })
        .collect();
    for result in state.delivery.enqueue_batch(&batch).await.unwrap() {
        result.unwrap();
    }
    // Let the engine take all it will of sandbox A.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;

    // Sandbox B: one fast webhook, whose events go out while A's requests hang (for 15 s
    // each, the request timeout; the engine would have been full for far longer).
    let receiver = TestReceiver::start().await;
    let fast = uuid::Uuid::new_v4();
    let write = webhook_write(state, fast, "Fast", &receiver.url("/fast"));
    state
        .store
        .create_webhook(quiet.id, fast, &write, &crate::support::test_entry(&quiet))
        .await
        .unwrap();
    for n in 0..3 {
        let sent = std::time::Instant::now();
        state
            .delivery
            .enqueue(&feedback_event(quiet.id, &format!("fast-{n}")), &[fast])
            .await
            .unwrap();
        wait_for(&receiver, n + 1).await;
        assert!(
            sent.elapsed() < std::time::Duration::from_secs(5),
            "sandbox B waited {:?} behind sandbox A",
            sent.elapsed()
        );
    }
}

async fn refusal(response: reqwest::RequestBuilder) -> (u16, String) {
    let response = response.send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (
        status,
        body["title"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_does_only_what_its_scopes_allow_and_nothing_once_expired() {
    use reqwest::Method;
    let api = api().await;
    let receiver = TestReceiver::start().await;
    let campaign = api.live_campaign_to(&receiver, &["sent"]).await;
    let call = |request_id: &str| one_recipient_call(&campaign, request_id);
    let hook = json!({"name": "Via REST", "channels": ["email"], "url": receiver.url("/rest"),
                      "events": ["sent"]});

    let (key, token) = api.new_credential("Reader", &["read"], "never").await;
    let reader = (key.as_str(), token.as_str());
    let (status, _) = refusal(api.rest_as(reader, Method::GET, "/api/v1/webhooks")).await;
    assert_eq!(status, 200);
    let (status, title) = refusal(
        api.rest_as(reader, Method::POST, "/api/v1/webhooks")
            .json(&hook),
    )
    .await;
    assert_eq!(
        (status, title.contains("lack the write scope")),
        (403, true),
        "{title}"
    );
    let (status, title) = refusal(api.execute_as(reader, &call("r-1"))).await;
    assert_eq!(
        (status, title.contains("lack the execute scope")),
        (403, true),
        "{title}"
    );

    let (key, token) = api.new_credential("Sender", &["execute"], "30d").await;
    let sender = (key.as_str(), token.as_str());
    let (status, _) = refusal(api.execute_as(sender, &call("s-1"))).await;
    assert_eq!(status, 202);
    let (status, title) = refusal(api.rest_as(sender, Method::GET, "/api/v1/deliveries")).await;
    assert_eq!(
        (status, title.contains("lack the read scope")),
        (403, true),
        "{title}"
    );

    let (key, token) = api.new_credential("Writer", &["write"], "never").await;
    let (status, _) = refusal(
        api.rest_as((&key, &token), Method::POST, "/api/v1/webhooks")
            .json(&hook),
    )
    .await;
    assert_eq!(status, 201);

    // Past its expiry a credential is refused, and says why.
    let state = &api.app.server.state;
    let new = feedback_webhooks::server::credentials::generate();
    state
        .store
        .create_credential(
            state.default_sandbox.organization_id,
            &feedback_webhooks::server::storage::CredentialWrite {
                name: "Expired".into(),
                api_key: new.api_key.clone(),
                token_hash: feedback_webhooks::server::credentials::token_hash(&new.token),
                scopes: feedback_webhooks::model::credential::Scope::ALL.to_vec(),
                expires_at_ms: Some(feedback_webhooks::server::storage::now_ms() - 1_000),
            },
            &crate::support::test_entry(&state.default_sandbox),
        )
        .await
        .unwrap();
    let expired = (new.api_key.as_str(), new.token.as_str());
    let (status, title) = refusal(api.execute_as(expired, &call("e-1"))).await;
    assert_eq!((status, title.contains("expired")), (401, true), "{title}");

    // The credentials page lists what each may do and until when.
    let (status, list) = api.app.call_json("credentials/list", &[]).await;
    assert_eq!(status, 200);
    let by_name = |name: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("Reader")["scopes"], json!(["read"]));
    assert!(by_name("Reader")["expires_at"].is_null());
    assert!(by_name("Sender")["expires_at"].is_string());
    assert_eq!(by_name("Expired")["expired"], true);
    assert_eq!(by_name("Sender")["expired"], false);
}

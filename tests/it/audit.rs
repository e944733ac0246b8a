//! The audit log against a real server: each covered change writes its entry with who, from
//! where and the field-level diff, in the change's own transaction (a refused change writes
//! none), no secret ever appears in it, and the log reads back filtered, by pages and as files.

use crate::support::team::*;
use crate::support::*;
use serde_json::Value;

async fn entries(app: &TestApp, filters: &[(&str, &str)]) -> Vec<Value> {
    let form: Vec<(String, &str)> = filters
        .iter()
        .map(|(key, value)| (format!("query[{key}]"), *value))
        .collect();
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let (status, page) = app.call_json("audit/list", &form).await;
    assert_eq!(status, 200, "{page}");
    page["entries"].as_array().unwrap().clone()
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_team_changes_are_written_with_who_where_and_the_diff() {
    let app = TestApp::signed_in().await;
    let editor_password = "harbour lights in the fog";
    let (_, shown) = invite(&app, "editor@example.com", "editor").await;
    let token = token_of(&shown);
    let editor = browser("Editor's browser");
    let (_, outcome) = set_password(&app, &editor, &token, editor_password).await;
    assert_eq!(outcome, Value::String("Changed".into()));
    let id = user_id(&app, "editor@example.com").await;
    for action in ["role:viewer", "disable", "enable"] {
        let (status, _) = app
            .call_json("users/change", &[("id", &id), ("action", action)])
            .await;
        assert_eq!(status, 200, "{action}");
    }
    let (status, _) = app.call_json("users/password-link", &[("id", &id)]).await;
    assert_eq!(status, 200);
    let new_password = "another phrase of the admin";
    let (_, outcome) = app
        .call_json(
            "account/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("password", new_password),
                ("password_confirm", new_password),
            ],
        )
        .await;
    assert_eq!(outcome, Value::String("Changed".into()));
    let (status, _) = sign_in(
        &app,
        &browser("guesser"),
        "editor@example.com",
        "wrong guess!",
    )
    .await;
    assert_eq!(status, 401);

    let log = entries(&app, &[]).await;
    assert_eq!(
        actions(&log),
        [
            "sign_in.failed",
            "user.password_changed",
            "user.reset_link_made",
            "user.enabled",
            "user.disabled",
            "user.role_changed",
            "sign_in.succeeded",
            "user.invitation_accepted",
            "user.invited",
            "sign_in.succeeded",
        ],
        "newest first: {log:?}"
    );
    let by_action = |action: &str| log.iter().find(|e| e["action"] == action).unwrap().clone();
    let role_change = by_action("user.role_changed");
    assert_eq!(role_change["actor"], ADMIN_EMAIL);
    assert_eq!(role_change["actor_kind"], "user");
    assert_eq!(role_change["address"], "127.0.0.1");
    assert_eq!(role_change["object_kind"], "user");
    assert_eq!(role_change["object_id"], id.as_str());
    assert_eq!(role_change["object_name"], "editor@example.com");
    assert_eq!(
        role_change["changes"],
        serde_json::json!([{"field": "role", "before": "editor", "after": "viewer"}])
    );
    assert_eq!(
        by_action("user.disabled")["changes"],
        serde_json::json!([{"field": "status", "before": "active", "after": "disabled"}])
    );
    let accepted = by_action("user.invitation_accepted");
    assert_eq!(accepted["actor"], "editor@example.com");
    assert_eq!(
        accepted["changes"][0],
        serde_json::json!({"field": "password", "secret": true})
    );
    let failed = by_action("sign_in.failed");
    assert_eq!(failed["actor_kind"], "anonymous");
    assert_eq!(failed["object_id"], id.as_str());
    assert_eq!(by_action("user.invited")["object_id"], id.as_str());

    // No password, hash or link token anywhere in the log, nor in its export.
    let (_, exported) = app.get_text("/admin/audit-log/export?format=jsonl").await;
    for text in [serde_json::to_string(&log).unwrap(), exported] {
        for secret in [
            ADMIN_PASSWORD,
            new_password,
            editor_password,
            token.as_str(),
            "argon2",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_change_writes_no_entry() {
    let app = TestApp::signed_in().await;
    let me = user_id(&app, ADMIN_EMAIL).await;
    let before = entries(&app, &[]).await.len();
    let (status, _) = app
        .call_json("users/change", &[("id", &me), ("action", "disable")])
        .await;
    assert_eq!(status, 400, "the last administrator stays");
    let (status, _) = invite(&app, ADMIN_EMAIL, "viewer").await;
    assert_eq!(status, 400, "the email is taken");
    assert_eq!(entries(&app, &[]).await.len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_filtered_paged_newest_first_and_exported() {
    let app = TestApp::signed_in().await;
    // 60 failed sign-ins, each for its own address book entry: 60 entries besides the rest.
    for n in 0..60 {
        let email = format!("nobody{n:02}@example.com");
        let (status, _) = sign_in(&app, &browser("guesser"), &email, "not a password at all").await;
        assert_eq!(status, 401);
    }
    let (_, first) = app.call_json("audit/list", &[]).await;
    let page = first["entries"].as_array().unwrap();
    assert_eq!(page.len(), 50);
    assert_eq!(page[0]["actor"], "nobody59@example.com");
    let next = first["next"].as_i64().expect("a next page");
    let (_, second) = app
        .call_json("audit/list", &[("query[before]", &next.to_string())])
        .await;
    let rest = second["entries"].as_array().unwrap();
    assert_eq!(second["next"], Value::Null);
    // Every entry once, in decreasing ids, across the two pages.
    let ids: Vec<i64> = page
        .iter()
        .chain(rest.iter())
        .map(|entry| entry["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 61, "60 failures and the administrator's sign-in");
    assert!(ids.windows(2).all(|pair| pair[0] > pair[1]), "{ids:?}");

    let one = entries(&app, &[("actor", "Nobody07@example.com")]).await;
    assert_eq!(actions(&one), ["sign_in.failed"]);
    assert_eq!(one[0]["actor"], "nobody07@example.com");
    let successes = entries(&app, &[("action", "sign_in.succeeded")]).await;
    assert_eq!(successes.len(), 1);
    assert!(entries(&app, &[("to", "2000-01-01")]).await.is_empty());
    assert_eq!(entries(&app, &[("from", "2000-01-01")]).await.len(), 50);
    let (status, refused) = app
        .call_json("audit/list", &[("query[from]", "last tuesday")])
        .await;
    assert_eq!(status, 400, "{refused}");

    let response = app
        .client
        .get(app.url("/admin/audit-log/export?format=csv&action=sign_in.failed"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("audit-log-"));
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 61, "a header and the 60 failures");
    assert!(lines[0].starts_with("id,at,actor_kind,actor"));
    assert!(lines[1].contains("nobody59@example.com"));
    let (status, _) = app.get_text("/admin/audit-log/export?format=xml").await;
    assert_eq!(status, 400);

    // A viewer may not read it in any form.
    let viewer = member(&app, "viewer@example.com", "viewer", "a long viewer phrase").await;
    let refused = viewer
        .get(app.url("/admin/audit-log/export?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_and_campaign_changes_are_written_with_their_diff_and_no_secret() {
    let api = crate::support::api::api().await;
    let app = &api.app;
    let secret_header = "header-secret-value-42";
    let (status, saved) = app
        .call_json(
            "webhooks/save",
            &[
                ("form[id]", ""),
                ("form[name]", "Orders"),
                ("form[url]", "https://hooks.example.com/orders"),
                ("form[enabled]", "on"),
                ("form[auth]", "none"),
                ("form[email]", "on"),
                ("form[event_sent]", "on"),
                ("form[headers][0][name]", "X-Api-Key"),
                ("form[headers][0][value]", secret_header),
                ("form[headers][0][secret]", "on"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    let hook = saved["Saved"]["id"].as_str().unwrap().to_string();
    api.save_webhook(
        &hook,
        "Orders",
        "https://hooks.example.com/orders-v2",
        &["email"],
        &["sent"],
    )
    .await;
    let (status, rotated) = app
        .call_json("webhooks/signing-secret/rotate", &[("id", &hook)])
        .await;
    assert_eq!(status, 200);
    let signing_secret = rotated["secret"].as_str().unwrap().to_string();
    let (status, _) = app
        .call_json("webhooks/signing-secret/remove", &[("id", &hook)])
        .await;
    assert_eq!(status, 200);
    let campaign = api.campaign("Order shipped", "email", "draft", None).await;
    api.save_campaign(&campaign, "Order shipped", "email", "live", Some(&hook))
        .await;

    let history = entries(app, &[("object_kind", "webhook"), ("object_id", &hook)]).await;
    assert_eq!(
        actions(&history),
        [
            "webhook.signing_secret_removed",
            "webhook.signing_secret_generated",
            "webhook.updated",
            "webhook.created",
        ]
    );
    let created = &history[3]["changes"];
    let field = |changes: &Value, name: &str| {
        changes
            .as_array()
            .unwrap()
            .iter()
            .find(|change| change["field"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        field(created, "url")["after"],
        "https://hooks.example.com/orders"
    );
    assert_eq!(
        field(created, "header X-Api-Key"),
        serde_json::json!({"field": "header X-Api-Key", "secret": true})
    );
    // The update moved the URL and left the secret header out: said to have changed, no value.
    assert_eq!(
        history[2]["changes"],
        serde_json::json!([{"field": "url", "before": "https://hooks.example.com/orders",
            "after": "https://hooks.example.com/orders-v2"},
            {"field": "header X-Api-Key", "secret": true}])
    );
    assert_eq!(history[1]["changes"][0]["secret"], true);
    assert_eq!(history[0]["actor"], ADMIN_EMAIL);

    let campaign_history = entries(app, &[("object_id", &campaign)]).await;
    assert_eq!(
        actions(&campaign_history),
        ["campaign.updated", "campaign.created"]
    );
    let audience = &campaign_history[0]["changes"];
    assert_eq!(field(audience, "status")["after"], "live");
    assert_eq!(
        (
            field(audience, "feedback webhook enabled")["before"].clone(),
            field(audience, "feedback webhook enabled")["after"].clone()
        ),
        (Value::from("false"), Value::from("true"))
    );
    assert_eq!(field(audience, "feedback webhook")["after"], hook.as_str());

    // The webhook's page names its last change and links to its history.
    let (status, editor) = app.call_json("webhooks/editor", &[("id", &hook)]).await;
    assert_eq!(status, 200);
    assert_eq!(editor["last_change"]["actor"], ADMIN_EMAIL);
    assert_eq!(
        editor["last_change"]["history"],
        format!("/admin/audit-log?object_kind=webhook&object_id={hook}")
    );

    // A change through the REST API names its credential.
    let response = api
        .rest(reqwest::Method::DELETE, &format!("/api/v1/webhooks/{hook}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let deleted = entries(app, &[("action", "webhook.deleted")]).await;
    assert_eq!(deleted[0]["actor_kind"], "credential");
    assert_eq!(deleted[0]["actor"], "Order service");
    assert_eq!(deleted[0]["object_name"], "Orders");

    let everything = serde_json::to_string(&entries(app, &[]).await).unwrap();
    for secret in [secret_header, signing_secret.as_str(), api.token.as_str()] {
        assert!(!everything.contains(secret), "{secret} in the log");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_and_sandboxes_are_written_without_their_tokens() {
    let app = TestApp::signed_in().await;
    let (status, created) = app
        .call_json(
            "credentials/create",
            &pairs(&credential_form("Billing", &["read"], "30d")),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let token = created["token"].as_str().unwrap().to_string();
    let id = created["credential"]["id"].as_str().unwrap().to_string();
    let (status, _) = app.call_json("credentials/revoke", &[("id", &id)]).await;
    assert_eq!(status, 200);
    let (status, _) = app.call_json("credentials/revoke", &[("id", &id)]).await;
    assert_eq!(status, 404, "revoked already: no second entry");
    let (status, sandbox) = app
        .call_json("sandboxes/create", &[("name", "staging")])
        .await;
    assert_eq!(status, 200, "{sandbox}");

    let log = entries(&app, &[]).await;
    assert_eq!(
        actions(&log[..3]),
        [
            "sandbox.created",
            "credential.revoked",
            "credential.created"
        ]
    );
    assert_eq!(log[0]["object_id"], sandbox["id"]);
    assert_eq!(log[0]["object_name"], "staging");
    assert_eq!(log[1]["object_id"], id.as_str());
    assert_eq!(log[1]["object_name"], "Billing");
    assert_eq!(
        log[2]["object_id"],
        id.as_str(),
        "the store names the id it gave"
    );
    let fields: Vec<&str> = log[2]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "API key", "scopes", "expires"]);
    assert_eq!(log[2]["changes"][2]["after"], "read");
    assert!(!serde_json::to_string(&log).unwrap().contains(&token));
}

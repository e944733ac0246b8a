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
            "setup.administrator_created",
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
    assert_eq!(
        ids.len(),
        62,
        "60 failures, the administrator's sign-in and their setup"
    );
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

/// `GET /api/v1/audit-log` with a credential's `audit` scope: what the page shows, under the
/// same filters, in pages that walk the whole log once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_reads_through_the_rest_api_with_its_own_scope() {
    use reqwest::Method;
    let api = crate::support::api::api().await;
    let read = |credential: (&str, &str), query: &str| {
        api.rest_as(
            credential,
            Method::GET,
            &format!("/api/v1/audit-log{query}"),
        )
        .send()
    };
    let everyday = (api.api_key.as_str(), api.token.as_str());
    let refused = read(everyday, "").await.unwrap();
    assert_eq!(
        refused.status(),
        403,
        "read, write and execute do not reach the log"
    );
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["title"]
            .as_str()
            .unwrap()
            .contains("lack the audit scope"),
        "{body}"
    );
    let anonymous = reqwest::get(api.app.url("/api/v1/audit-log"))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // A change through the REST API: its credential and address are written.
    let hook = serde_json::json!({"name": "Via REST", "channels": ["email"],
        "url": "https://hooks.example.com/rest", "events": ["sent"]});
    let created = api
        .rest(Method::POST, "/api/v1/webhooks")
        .json(&hook)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let hook_id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (key, token) = api.new_credential("Auditor", &["audit"], "30d").await;
    let auditor = (key.as_str(), token.as_str());

    let page = |query: String| async move {
        let response = read(auditor, &query).await.unwrap();
        assert_eq!(response.status(), 200, "{query}");
        response.json::<Value>().await.unwrap()
    };
    let whole = page("?limit=100".into()).await;
    let items = whole["items"].as_array().unwrap().clone();
    assert_eq!(whole["nextBefore"], Value::Null, "everything on one page");
    assert_eq!(
        actions(&items),
        [
            "credential.created",
            "webhook.created",
            "credential.created",
            "sign_in.succeeded",
            "setup.administrator_created",
        ],
        "the same entries as the page, newest first"
    );
    assert_eq!(items, entries_as_rest(&entries(&api.app, &[]).await));
    let by_rest = &items[1];
    assert_eq!(by_rest["actorKind"], "credential");
    assert_eq!(by_rest["actor"], "Order service");
    assert_eq!(by_rest["address"], "127.0.0.1");
    assert_eq!(by_rest["objectId"], hook_id.as_str());
    assert_eq!(by_rest["objectName"], "Via REST");

    // Pages of two walk the log once, in decreasing ids, and end with no cursor.
    let mut walked = Vec::new();
    let mut query = "?limit=2".to_string();
    loop {
        let next = page(query.clone()).await;
        let items = next["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        walked.extend(items.iter().map(|item| item["id"].as_i64().unwrap()));
        match next["nextBefore"].as_str() {
            Some(cursor) => query = format!("?limit=2&before={cursor}"),
            None => break,
        }
    }
    let ids: Vec<i64> = items
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect();
    assert_eq!(walked, ids, "no entry skipped or repeated");

    // The page's filters, by their REST names.
    let filtered = page(format!("?objectKind=webhook&objectId={hook_id}")).await;
    assert_eq!(
        actions(filtered["items"].as_array().unwrap()),
        ["webhook.created"]
    );
    let filtered = page("?action=credential.created&actor=ADMIN@example.com".into()).await;
    assert_eq!(filtered["items"].as_array().unwrap().len(), 2);
    let filtered = page("?to=2000-01-01".into()).await;
    assert_eq!(filtered["items"], serde_json::json!([]));

    // Refusals name what is wrong.
    for (query, field, words) in [
        ("?limit=0", Some("limit"), "limit is 1 to 100"),
        ("?limit=101", Some("limit"), "limit is 1 to 100"),
        ("?before=yesterday", Some("before"), "nextBefore"),
        ("?from=last%20tuesday", None, "from is a UTC date and time"),
    ] {
        let refused = read(auditor, query).await.unwrap();
        assert_eq!(refused.status(), 400, "{query}");
        let body: Value = refused.json().await.unwrap();
        assert!(body["title"].as_str().unwrap().contains(words), "{body}");
        assert_eq!(
            body["report"]["additionalContext"]["field"].as_str(),
            field,
            "{body}"
        );
    }
    let long = format!("?action={}", "x".repeat(400));
    assert_eq!(read(auditor, &long).await.unwrap().status(), 400);

    // The auditor's credential reads and changes nothing else.
    let webhooks = api
        .rest_as(auditor, Method::GET, "/api/v1/webhooks")
        .send()
        .await
        .unwrap();
    assert_eq!(webhooks.status(), 403);
}

/// The page's entries with the REST API's names, to compare the two.
fn entries_as_rest(entries: &[Value]) -> Vec<Value> {
    entries
        .iter()
        .map(|entry| {
            let changes: Vec<Value> = entry["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|change| {
                    serde_json::json!({
                        "field": change["field"],
                        "before": change.get("before").cloned().unwrap_or(Value::Null),
                        "after": change.get("after").cloned().unwrap_or(Value::Null),
                        "secret": change.get("secret").cloned().unwrap_or(Value::Bool(false)),
                    })
                })
                .collect();
            serde_json::json!({
                "id": entry["id"], "at": entry["at"], "actorKind": entry["actor_kind"],
                "actor": entry["actor"], "address": entry["address"], "action": entry["action"],
                "objectKind": entry["object_kind"], "objectId": entry["object_id"],
                "objectName": entry["object_name"], "changes": changes,
            })
        })
        .collect()
}

/// The first administrator is in the log: made by the configuration, by the system.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_administrator_from_the_configuration_is_written_by_the_system() {
    let app = TestApp::signed_in().await;
    let setup = entries(&app, &[("action", "setup.administrator_created")]).await;
    assert_eq!(setup.len(), 1, "{setup:?}");
    assert_eq!(setup[0]["actor_kind"], "system");
    assert_eq!(setup[0]["object_kind"], "user");
    assert_eq!(setup[0]["object_name"], ADMIN_EMAIL);
    assert_eq!(
        setup[0]["object_id"],
        user_id(&app, ADMIN_EMAIL).await.as_str()
    );
    assert_eq!(
        setup[0]["changes"],
        serde_json::json!([
            {"field": "email", "after": ADMIN_EMAIL},
            {"field": "role", "after": "admin"},
            {"field": "status", "after": "active"},
        ])
    );
    // A restart finds the administrator and writes nothing more.
    let again = app.beside(&[]).await;
    drop(again);
    assert_eq!(
        entries(&app, &[("action", "setup.administrator_created")])
            .await
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_removes_only_entries_older_than_its_cutoff_a_batch_at_a_time() {
    use feedback_webhooks::server::storage::now_ms;
    use std::time::Duration;
    let api = crate::support::api::api().await;
    let app = &api.app;
    let state = &app.server.state;
    let old = entries(app, &[]).await;
    assert!(
        old.len() >= 2,
        "the setup and sign-ins are written: {old:?}"
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    let cutoff = now_ms();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (status, saved) = app
        .call_json(
            "webhooks/save",
            &[
                ("form[id]", ""),
                ("form[name]", "Kept"),
                ("form[url]", "https://hooks.example.com/kept"),
                ("form[enabled]", "on"),
                ("form[auth]", "none"),
                ("form[email]", "on"),
                ("form[event_sent]", "on"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{saved}");

    // The configured retention (a year) removes nothing written today.
    let removed = feedback_webhooks::server::audit::prune(state, Duration::from_secs(365 * 86_400))
        .await
        .unwrap();
    assert_eq!(removed, 0);
    // A pass removes at most its batch, oldest first, and the next pass goes on.
    let removed = state.store.delete_old_audit(cutoff, 1).await.unwrap();
    assert_eq!(removed, 1);
    let left = entries(app, &[]).await;
    assert_eq!(
        left[1..],
        old[..old.len() - 1],
        "the oldest went, the new one came: {left:?}"
    );
    let removed = state.store.delete_old_audit(cutoff, 500).await.unwrap();
    assert_eq!(removed as usize, old.len() - 1);
    // What came after the cutoff stays, however many passes run.
    assert_eq!(state.store.delete_old_audit(cutoff, 500).await.unwrap(), 0);
    let left = entries(app, &[]).await;
    assert_eq!(actions(&left), ["webhook.created"], "{left:?}");
}

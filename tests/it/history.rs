//! The delivery history through a real server: filters, stable pages, resend with the same
//! webhook-id, bulk resend, health, enabling, the CSV/JSONL export, roles and retention.

use crate::support::receiver::{Scripted, TestReceiver};
use crate::support::*;
use feedback_webhooks::model::Role;
use feedback_webhooks::server::storage::*;
use serde_json::Value;
use std::time::{Duration, Instant};
use uuid::Uuid;

async fn signed_in_with(extra: &[&str]) -> TestApp {
    let app = TestApp::with_admin_and(extra).await;
    assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 200);
    app
}

async fn webhook(app: &TestApp, name: &str, url: &str) -> Uuid {
    stored_webhook(&app.server.state, name, url).await.id
}

/// `count` `sent` email events for `hook`, stored in one batch.
async fn enqueue_many(app: &TestApp, prefix: &str, count: usize, hook: Uuid) {
    let batch: Vec<(NewEvent, Vec<Uuid>)> = (0..count)
        .map(|n| {
            let request_id = format!("{prefix}-{n:02}");
            (event(app, "sent", "email", &request_id), vec![hook])
        })
        .collect();
    app.server
        .state
        .delivery
        .enqueue_batch(&batch)
        .await
        .unwrap();
}

fn event(app: &TestApp, event_type: &str, channel: &str, request_id: &str) -> NewEvent {
    NewEvent {
        sandbox_id: app.server.state.default_sandbox.id,
        event_type: event_type.into(),
        channel: channel.into(),
        request_id: request_id.into(),
        message_execution_id: format!("MEX-{request_id}"),
        payload: format!(r#"{{"requestId":"{request_id}","eventType":"message.feedback"}}"#),
    }
}

async fn enqueue(app: &TestApp, event: NewEvent, webhooks: &[Uuid]) -> Vec<Uuid> {
    app.server
        .state
        .delivery
        .enqueue(&event, webhooks)
        .await
        .unwrap()
}

/// The deliveries list as the page loads it: filters as address parameters.
async fn list(app: &TestApp, filters: &[(&str, &str)]) -> (u16, Value) {
    let form: Vec<(String, String)> = filters
        .iter()
        .map(|(k, v)| (format!("query[{k}]"), v.to_string()))
        .collect();
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.call_json("deliveries/list", &pairs).await
}

fn request_ids(page: &Value) -> Vec<String> {
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["request_id"].as_str().unwrap().to_string())
        .collect()
}

async fn settle(app: &TestApp, filters: &[(&str, &str)], done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, page) = list(app, filters).await;
        assert_eq!(status, 200, "{page}");
        if done(&page) {
            return page;
        }
        assert!(Instant::now() < deadline, "never settled: {page}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn all_finished(page: &Value) -> bool {
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|row| row["state"] == "Succeeded" || row["state"] == "Failed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_and_search_narrow_the_list() {
    let app = signed_in_with(&["--retry-schedule", "10ms"]).await;
    let ok = TestReceiver::start().await;
    let failing = TestReceiver::start().await;
    failing.script((0..20).map(|_| Scripted::status(500)));
    let good = webhook(&app, "Good", &ok.url("/ok")).await;
    let bad = webhook(&app, "Bad", &failing.url("/fail")).await;
    enqueue(&app, event(&app, "sent", "email", "req-a"), &[good, bad]).await;
    enqueue(&app, event(&app, "bounce", "sms", "req-b"), &[good]).await;
    enqueue(&app, event(&app, "delivered", "email", "req-c"), &[good]).await;
    let all = settle(&app, &[], |page| {
        page["rows"].as_array().unwrap().len() == 4 && all_finished(page)
    })
    .await;
    assert_eq!(
        request_ids(&all),
        ["req-c", "req-b", "req-a", "req-a"],
        "newest first"
    );

    let (_, failed) = list(&app, &[("state", "failed")]).await;
    assert_eq!(request_ids(&failed), ["req-a"]);
    assert_eq!(failed["rows"][0]["webhook_name"], "Bad");
    assert_eq!(
        failed["rows"][0]["attempts"], 2,
        "first attempt + one retry"
    );
    assert_eq!(failed["rows"][0]["last_status"], 500);

    let (_, bounces) = list(&app, &[("event", "bounce")]).await;
    assert_eq!(request_ids(&bounces), ["req-b"]);
    let (_, sms) = list(&app, &[("channel", "sms")]).await;
    assert_eq!(request_ids(&sms), ["req-b"]);
    let (_, good_only) = list(&app, &[("webhook", &good.to_string()), ("event", "sent")]).await;
    assert_eq!(request_ids(&good_only), ["req-a"]);
    assert_eq!(good_only["rows"][0]["state"], "Succeeded");
    let (_, by_request) = list(&app, &[("search", "req-a")]).await;
    assert_eq!(request_ids(&by_request), ["req-a", "req-a"]);
    let (_, by_message) = list(&app, &[("search", "MEX-req-c")]).await;
    assert_eq!(request_ids(&by_message), ["req-c"]);
    let (_, future) = list(&app, &[("from", "2999-01-01T00:00")]).await;
    assert!(request_ids(&future).is_empty());
    let (_, past) = list(&app, &[("to", "2000-01-01T00:00")]).await;
    assert!(request_ids(&past).is_empty());
    let (_, within) = list(
        &app,
        &[("from", "2000-01-01T00:00"), ("to", "2999-01-01T00:00")],
    )
    .await;
    assert_eq!(
        request_ids(&within),
        request_ids(&all),
        "a range around them keeps them all"
    );

    // Bad filters are refused with what is wrong.
    let (status, refused) = list(&app, &[("state", "lost")]).await;
    assert_eq!(status, 400);
    assert!(
        refusal_text(&refused).contains("state is pending, retrying"),
        "{refused}"
    );
    let (status, _) = list(&app, &[("from", "yesterday")]).await;
    assert_eq!(status, 400);

    // Health: the good webhook all green, the bad one with its last error.
    let (status, health) = app.call_json("webhooks/health", &[]).await;
    assert_eq!(status, 200, "{health}");
    let of = |id: Uuid| {
        health
            .as_array()
            .unwrap()
            .iter()
            .find(|pair| pair[0] == id.to_string())
            .map(|pair| pair[1].clone())
            .unwrap()
    };
    assert_eq!(of(good)["attempts"], 3);
    assert_eq!(of(good)["success_rate"], 100.0);
    assert!(of(good)["p95_ms"].as_i64().is_some());
    assert_eq!(of(bad)["attempts"], 2);
    assert_eq!(of(bad)["success_rate"], 0.0);
    assert_eq!(of(bad)["last_error"], "HTTP 500");
    let hourly = of(bad)["hourly"].as_array().unwrap().clone();
    assert_eq!(hourly.len(), 24);
    let last_hour = &hourly[23][1];
    assert_eq!(
        (last_hour["retried"].as_i64(), last_hour["failed"].as_i64()),
        (Some(1), Some(1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_stay_stable_while_new_deliveries_arrive() {
    let app = signed_in_with(&[]).await;
    let ok = TestReceiver::start().await;
    let hook = webhook(&app, "Paged", &ok.url("/ok")).await;
    enqueue_many(&app, "old", 60, hook).await;
    let first = settle(&app, &[], |page| page["older"].is_string()).await;
    assert_eq!(first["rows"].as_array().unwrap().len(), 50);
    let cursor = first["older"].as_str().unwrap().to_string();

    // New deliveries arrive while the person reads the first page.
    for n in 0..5 {
        tokio::time::sleep(Duration::from_millis(2)).await;
        enqueue(
            &app,
            event(&app, "sent", "email", &format!("new-{n}")),
            &[hook],
        )
        .await;
    }
    let (_, second) = list(&app, &[("before", &cursor)]).await;
    let first_ids = request_ids(&first);
    let second_ids = request_ids(&second);
    assert_eq!(second_ids.len(), 10, "exactly the rest: {second_ids:?}");
    assert!(second["older"].is_null(), "the last page");
    assert!(
        second_ids.iter().all(|id| !first_ids.contains(id)),
        "no row twice"
    );
    assert!(second_ids.iter().all(|id| id.starts_with("old-")));
    let (_, newest) = list(&app, &[]).await;
    assert!(request_ids(&newest)[0].starts_with("new-"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_makes_a_new_attempt_with_the_same_webhook_id_and_masked_secrets() {
    let app = signed_in_with(&[]).await;
    let receiver = TestReceiver::start().await;
    let hook = webhook(&app, "Resent", &receiver.url("/in")).await;
    let id = enqueue(&app, event(&app, "delivered", "email", "req-r"), &[hook]).await[0];
    settle(&app, &[], |page| {
        all_finished(page) && !page["rows"].as_array().unwrap().is_empty()
    })
    .await;

    let (status, answer) = app
        .call_json("deliveries/resend", &[("id", &id.to_string())])
        .await;
    assert_eq!(
        (status, answer.clone()),
        (200, Value::String("Queued".into())),
        "{answer}"
    );
    let (_, log) = app
        .call_json("audit/list", &[("query[action]", "delivery.resent")])
        .await;
    assert_eq!(log["entries"][0]["object_id"], id.to_string(), "{log}");
    assert_eq!(log["entries"][0]["actor"], ADMIN_EMAIL);
    let deadline = Instant::now() + Duration::from_secs(10);
    while receiver.received().len() < 2 {
        assert!(Instant::now() < deadline, "no second request");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let received = receiver.received();
    assert_eq!(received[0].headers["webhook-id"], id.to_string());
    assert_eq!(received[1].headers["webhook-id"], id.to_string());
    assert_eq!(received[1].body, received[0].body);

    let detail = loop {
        let (status, detail) = app
            .call_json("deliveries/get", &[("id", &id.to_string())])
            .await;
        assert_eq!(status, 200, "{detail}");
        if detail["attempts"].as_array().unwrap().len() == 2 {
            break detail;
        }
        assert!(Instant::now() < deadline, "second attempt never recorded");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(detail["row"]["state"], "Succeeded");
    assert_eq!(detail["attempts"][1]["attempt"], 2);
    assert!(detail["payload_pretty"]
        .as_str()
        .unwrap()
        .contains("\n  \"requestId\": \"req-r\""));
    let headers: Vec<(String, String)> =
        serde_json::from_value(detail["attempts"][1]["request_headers"].clone()).unwrap();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {name} in {headers:?}"))
    };
    assert_eq!(header("x-tenant"), "acme");
    assert_eq!(header("x-api-key"), "••••••••");
    assert_eq!(header("authorization"), "Bearer ••••••••");
    assert_eq!(header("webhook-id"), id.to_string());
    assert!(!detail.to_string().contains("k-123"), "a secret leaked");

    // A disabled webhook is not resent to; unknown deliveries are 404.
    app.server
        .state
        .store
        .disable_webhook(
            hook,
            "Turned off for the test.",
            &crate::support::test_entry(&app.server.state.default_sandbox),
        )
        .await
        .unwrap();
    let (_, answer) = app
        .call_json("deliveries/resend", &[("id", &id.to_string())])
        .await;
    assert_eq!(answer, "WebhookDisabled");
    let (status, _) = app
        .call_json("deliveries/resend", &[("id", &Uuid::new_v4().to_string())])
        .await;
    assert_eq!(status, 404);

    // Enable brings it back.
    let (status, body) = app
        .call_json("webhooks/enable", &[("id", &hook.to_string())])
        .await;
    assert_eq!(status, 200, "{body}");
    let record = app
        .server
        .state
        .store
        .webhook_by_id(hook)
        .await
        .unwrap()
        .unwrap();
    assert!(record.settings.enabled);
    assert_eq!(record.settings.disabled_reason, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_resend_counts_first_then_queues_every_failed_delivery() {
    let app = signed_in_with(&["--retry-schedule", "10ms"]).await;
    let receiver = TestReceiver::start().await;
    receiver.script((0..6).map(|_| Scripted::status(503)));
    let hook = webhook(&app, "Flaky", &receiver.url("/flaky")).await;
    for n in 0..3 {
        enqueue(
            &app,
            event(&app, "sent", "email", &format!("f-{n}")),
            &[hook],
        )
        .await;
    }
    settle(&app, &[("state", "failed")], |page| {
        page["rows"].as_array().unwrap().len() == 3
    })
    .await;

    let webhook_id = hook.to_string();
    let count = |since: &'static str| {
        let app = &app;
        let webhook_id = webhook_id.clone();
        async move {
            let (status, body) = app
                .call_json(
                    "deliveries/failed-count",
                    &[("webhook", &webhook_id), ("since", since)],
                )
                .await;
            assert_eq!(status, 200, "{body}");
            body["count"].as_u64().unwrap()
        }
    };
    assert_eq!(count("2000-01-01T00:00").await, 3);
    assert_eq!(count("2999-01-01T00:00").await, 0);
    let (status, _) = app
        .call_json(
            "deliveries/failed-count",
            &[("webhook", &webhook_id), ("since", "soon")],
        )
        .await;
    assert_eq!(status, 400);

    // A viewer may count but not resend.
    feedback_webhooks::server::auth::create_user(
        &app.server.state,
        "viewer@example.com",
        "viewer password 123".into(),
        Role::Viewer,
    )
    .await
    .unwrap();
    let viewer = client();
    let as_viewer = |endpoint: &str, form: &[(&str, &str)]| {
        viewer
            .post(app.url(&format!("/api/{endpoint}")))
            .header("accept", "application/json")
            .form(form)
            .send()
    };
    let login = as_viewer(
        "login",
        &[
            ("email", "viewer@example.com"),
            ("password", "viewer password 123"),
        ],
    );
    assert_eq!(login.await.unwrap().status(), 200);
    let counted = as_viewer(
        "deliveries/failed-count",
        &[("webhook", &webhook_id), ("since", "2000-01-01T00:00")],
    );
    assert_eq!(counted.await.unwrap().status(), 200);
    let refused = as_viewer(
        "deliveries/resend-failed",
        &[("webhook", &webhook_id), ("since", "2000-01-01T00:00")],
    );
    assert_eq!(refused.await.unwrap().status(), 403);

    // The endpoint is back (the script ran out: 200 from now on).
    let (status, done) = app
        .call_json(
            "deliveries/resend-failed",
            &[("webhook", &webhook_id), ("since", "2000-01-01T00:00")],
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["count"], 3);
    // One batch, one audit entry naming the webhook and the time; the refused calls wrote none.
    let (_, log) = app
        .call_json("audit/list", &[("query[action]", "delivery.bulk_resent")])
        .await;
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["object_id"], webhook_id.as_str());
    assert_eq!(entries[0]["changes"][0]["field"], "failed since");
    let page = settle(&app, &[("webhook", &webhook_id)], |page| {
        page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["state"] == "Succeeded")
    })
    .await;
    assert!(page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|row| row["attempts"] == 3));
    assert_eq!(count("2000-01-01T00:00").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_streams_the_filtered_deliveries_as_csv_and_json_lines() {
    let app = signed_in_with(&["--retry-schedule", "10ms"]).await;
    let receiver = TestReceiver::start().await;
    receiver.script([Scripted::status(500), Scripted::status(500)]);
    let hook = webhook(&app, "Exported, \"quoted\"", &receiver.url("/x")).await;
    enqueue(&app, event(&app, "bounce", "sms", "=cmd-1"), &[hook]).await;
    settle(&app, &[("state", "failed")], |page| {
        page["rows"].as_array().unwrap().len() == 1
    })
    .await;
    enqueue_many(&app, "bulk", 1_200, hook).await;

    let csv = app
        .client
        .get(app.url("/admin/deliveries/export?format=csv&state=failed"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("delivery_id,webhook_id,webhook_name,event"));
    assert!(
        lines[1].contains(",\"Exported, \"\"quoted\"\"\",bounce,sms,'=cmd-1,"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains(",failed,2,500,"));

    // All 1201 rows, across several internal pages, each line JSON.
    let jsonl = app
        .client
        .get(app.url(&format!(
            "/admin/deliveries/export?format=jsonl&webhook={hook}"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1_201);
    let ids: std::collections::HashSet<&str> = rows
        .iter()
        .map(|r| r["deliveryId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1_201, "no row twice");
    assert_eq!(rows.last().unwrap()["requestId"], "=cmd-1", "oldest last");

    // Compressed as a browser asks: the whole file, to the gzip trailer, whose last four bytes
    // are the uncompressed length (a stream cut short has none, and a browser cancels it).
    let gzipped = app
        .client
        .get(app.url("/admin/deliveries/export?format=csv&state=failed"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let bytes = gzipped
        .bytes()
        .await
        .expect("the compressed export ends cleanly");
    let length = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().unwrap());
    assert_eq!(
        length as usize,
        text.len(),
        "the trailer counts the whole file"
    );

    let (status, body) = app.get_text("/admin/deliveries/export?format=xml").await;
    assert_eq!((status, body.as_str()), (400, "format is csv or jsonl."));
    let anonymous = client()
        .get(app.url("/admin/deliveries/export?format=csv"))
        .send()
        .await
        .unwrap();
    // A browser without a session is sent to sign in, and back to the download after.
    assert_eq!(anonymous.status(), 303, "no export without a session");
    let location = anonymous.headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(location.starts_with("/login?next="), "{location}");
    let refusal = anonymous.text().await.unwrap();
    assert!(
        !refusal.contains("requestId"),
        "no row in a refusal: {refusal}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_prunes_finished_history_and_keeps_what_is_still_pending() {
    let app = signed_in_with(&["--retention", "300ms", "--retry-schedule", "1h"]).await;
    let ok = TestReceiver::start().await;
    let failing = TestReceiver::start().await;
    failing.script([Scripted::status(500)]);
    let good = webhook(&app, "Kept short", &ok.url("/ok")).await;
    let bad = webhook(&app, "Retrying", &failing.url("/retry")).await;
    let done = enqueue(&app, event(&app, "sent", "email", "old-done"), &[good]).await[0];
    let waiting = enqueue(&app, event(&app, "sent", "email", "old-waiting"), &[bad]).await[0];
    settle(&app, &[("search", "old-waiting")], |page| {
        page["rows"][0]["state"] == "Retrying"
    })
    .await;

    let page = settle(&app, &[], |page| request_ids(page) == ["old-waiting"]).await;
    assert_eq!(
        page["rows"][0]["state"], "Retrying",
        "a pending delivery is never pruned"
    );
    let state = &app.server.state;
    let sandbox = state.default_sandbox.id;
    assert_eq!(
        state.store.delivery(sandbox, done).await.unwrap(),
        None,
        "the finished delivery went with its event and attempt"
    );
    let (_, payload, attempts) = state
        .store
        .delivery(sandbox, waiting)
        .await
        .unwrap()
        .expect("the pending delivery is kept");
    assert!(payload.contains("old-waiting"), "with its event: {payload}");
    assert_eq!(attempts.len(), 1, "and its attempt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_lists_its_latest_100_attempts_and_counts_them_all() {
    // 119 retries after the first attempt, to an address where nothing listens.
    let schedule = vec!["1ms"; 119].join(",");
    let app = signed_in_with(&["--retry-schedule", &schedule]).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/nobody", closed.local_addr().unwrap());
    drop(closed);
    let hook = webhook(&app, "Unreachable", &url).await;
    let id = enqueue(&app, event(&app, "sent", "email", "req-many"), &[hook]).await[0];
    let deadline = Instant::now() + Duration::from_secs(60);
    let detail = loop {
        let (status, detail) = app
            .call_json("deliveries/get", &[("id", &id.to_string())])
            .await;
        assert_eq!(status, 200, "{detail}");
        if detail["row"]["state"] == "Failed" {
            break detail;
        }
        assert!(Instant::now() < deadline, "never failed: {}", detail["row"]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(detail["row"]["attempts"], 120);
    let listed: Vec<i64> = detail["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|attempt| attempt["attempt"].as_i64().unwrap())
        .collect();
    assert_eq!(
        listed,
        (21..=120).collect::<Vec<_>>(),
        "the latest 100, oldest first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_stops_at_its_row_limit_with_the_newest_deliveries() {
    use feedback_webhooks::model::history::DeliveryQuery;
    use feedback_webhooks::server::history::{export_at_most, ExportFormat};
    use futures_util::StreamExt;
    let app = signed_in_with(&[]).await;
    let receiver = TestReceiver::start().await;
    let hook = webhook(&app, "Exported", &receiver.url("/x")).await;
    enqueue_many(&app, "old", 300, hook).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    enqueue_many(&app, "new", 1_200, hook).await;
    let state = &app.server.state;
    let stream = export_at_most(
        state,
        &state.default_sandbox,
        &DeliveryQuery::default(),
        ExportFormat::JsonLines,
        1_100,
    )
    .await
    .unwrap();
    let text: String = stream
        .map(|chunk| chunk.unwrap())
        .collect::<Vec<_>>()
        .await
        .concat();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1_100, "a limit past one read of 1,000 rows");
    assert!(
        lines.iter().all(|line| line.contains("\"new-")),
        "the newest first"
    );
}

/// The history page's queue line: what is due (and since when), being sent, waiting to retry,
/// for people who may read the history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_shows_what_is_due_being_sent_and_waiting_to_retry() {
    let app = signed_in_with(&["--retry-schedule", "10m"]).await;
    let receiver = TestReceiver::start().await;
    receiver.script((0..3).map(|_| Scripted::status(503)));
    let failing = webhook(&app, "Failing", &receiver.url("/failing")).await;
    enqueue_many(&app, "queued", 3, failing).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let queue = loop {
        let (status, queue) = app.call_json("deliveries/queue", &[]).await;
        assert_eq!(status, 200, "{queue}");
        if queue["retrying"] == 3 {
            break queue;
        }
        assert!(Instant::now() < deadline, "{queue}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(queue["due"], 0);
    assert_eq!(queue["in_flight"], 0);
    assert_eq!(queue["oldest_due_secs"], Value::Null);

    // Only signed-in people see it.
    let anonymous = TestApp::with_admin().await;
    let (status, _) = anonymous.call_json("deliveries/queue", &[]).await;
    assert_eq!(status, 401);
}

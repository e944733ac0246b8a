//! Tenancy as a table: what one sandbox holds is refused (404) or invisible from another,
//! through every server function that names a resource, the lists, the export and the REST API;
//! and nothing the refused calls asked for happened.

use crate::support::api::*;
use crate::support::receiver::TestReceiver;
use reqwest::Method;
use serde_json::Value;

const SINCE: &str = "2000-01-01T00:00";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_sandboxs_resources_are_refused_or_invisible() {
    let api = api().await;
    let app = &api.app;
    let receiver = TestReceiver::start().await;
    // In prod: a webhook with a signing secret, a live campaign feeding it, one execution and
    // its delivery.
    let hook = api
        .webhook("Prod hook", &receiver.url("/prod"), &["email"], &["sent"])
        .await;
    let campaign = api
        .campaign("Prod campaign", "email", "live", Some(&hook))
        .await;
    let (status, secret) = app
        .call_json("webhooks/signing-secret/rotate", &[("id", &hook)])
        .await;
    assert_eq!(status, 200, "{secret}");
    let fingerprint = secret["info"]["fingerprint"].clone();
    assert!(fingerprint.is_string(), "{secret}");
    let call = one_recipient_call(&campaign, "prod-1");
    assert_eq!(api.execute(&call).send().await.unwrap().status(), 202);
    wait_for(&receiver, 1).await;
    let (_, prod_list) = app.call_json("deliveries/list", &[]).await;
    let delivery = prod_list["rows"][0]["id"].as_str().unwrap().to_string();

    // The same person, now working in dev.
    let (status, dev) = app.call_json("sandboxes/create", &[("name", "dev")]).await;
    assert_eq!(status, 200, "{dev}");
    let (status, _) = app
        .call_json("sandboxes/switch", &[("id", dev["id"].as_str().unwrap())])
        .await;
    assert_eq!(status, 200);

    let by_id = |id: &str| vec![("id", id.to_string())];
    let failed_since = vec![("webhook", hook.clone()), ("since", SINCE.to_string())];
    let refused: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("webhooks/get", by_id(&hook)),
        ("webhooks/editor", by_id(&hook)),
        ("webhooks/delete", by_id(&hook)),
        ("webhooks/enable", by_id(&hook)),
        ("webhooks/signing-secret/rotate", by_id(&hook)),
        ("webhooks/signing-secret/remove", by_id(&hook)),
        ("webhooks/send-test", by_id(&hook)),
        ("campaigns/editor", by_id(&campaign)),
        ("campaigns/executions", vec![("campaign", campaign.clone())]),
        ("deliveries/get", by_id(&delivery)),
        ("deliveries/resend", by_id(&delivery)),
        ("deliveries/failed-count", failed_since.clone()),
        ("deliveries/resend-failed", failed_since),
    ];
    for (endpoint, args) in &refused {
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = app.call_json(endpoint, &args).await;
        assert_eq!(status, 404, "{endpoint} reached prod from dev: {body}");
    }
    // The lists, the health and the queue show nothing of prod.
    for endpoint in [
        "webhooks/list",
        "campaigns/list",
        "deliveries/list",
        "webhooks/health",
        "deliveries/queue",
    ] {
        let (status, body) = app.call_json(endpoint, &[]).await;
        assert_eq!(status, 200, "{endpoint}: {body}");
        let text = body.to_string();
        for prod in [&hook, &campaign, &delivery, &"prod-1".to_string()] {
            assert!(
                !text.contains(prod.as_str()),
                "{endpoint} shows {prod}: {text}"
            );
        }
    }
    let (status, export) = app
        .get_text(&format!(
            "/admin/deliveries/export?format=jsonl&webhook={hook}"
        ))
        .await;
    assert_eq!(status, 200);
    assert!(!export.contains("prod-1"), "{export}");

    // The REST API, with a credential of dev.
    let (api_key, token) = api.new_credential("Dev", &["read", "write"], "never").await;
    // Credentials belong to the organization; the sandbox is the one the call names.
    let rest_in = |organization: &str, sandbox: &str, method: Method, path: String| {
        reqwest::Client::new()
            .request(method, app.url(&path))
            .header("authorization", format!("Bearer {token}"))
            .header("x-api-key", api_key.as_str())
            .header("x-gw-ims-org-id", organization)
            .header("x-sandbox-name", sandbox)
    };
    let rest = |method: Method, path: String| rest_in("default-org", "dev", method, path);
    for (method, path) in [
        (Method::GET, format!("/api/v1/webhooks/{hook}")),
        (Method::DELETE, format!("/api/v1/webhooks/{hook}")),
        (Method::GET, format!("/api/v1/campaigns/{campaign}")),
        (Method::GET, format!("/api/v1/deliveries/{delivery}")),
        (
            Method::POST,
            format!("/api/v1/deliveries/{delivery}/resend"),
        ),
        (
            Method::POST,
            format!("/api/v1/webhooks/{hook}/signing-secret"),
        ),
        (
            Method::DELETE,
            format!("/api/v1/webhooks/{hook}/signing-secret"),
        ),
        (Method::POST, format!("/api/v1/webhooks/{hook}/test")),
        (Method::POST, format!("/api/v1/webhooks/{hook}/enable")),
        (Method::GET, format!("/api/v1/webhooks/{hook}/health")),
        (
            Method::GET,
            format!("/api/v1/webhooks/{hook}/failed-deliveries?since=2000-01-01"),
        ),
        (
            Method::POST,
            format!("/api/v1/webhooks/{hook}/failed-deliveries/resend"),
        ),
        (
            Method::GET,
            format!("/api/v1/campaigns/{campaign}/executions"),
        ),
    ] {
        let response = rest(method.clone(), path.clone())
            .json(&serde_json::json!({"since": "2000-01-01"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{method} {path}");
    }
    for path in [
        "/api/v1/webhooks".to_string(),
        "/api/v1/campaigns".to_string(),
        format!("/api/v1/deliveries?webhookId={hook}"),
    ] {
        let response = rest(Method::GET, path.clone()).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let text = response.text().await.unwrap();
        assert!(
            !text.contains(&hook) && !text.contains("prod-1"),
            "{path}: {text}"
        );
    }
    // The same credential naming prod finds the webhook: the 404s above came from the sandbox.
    let in_prod = rest_in(
        "default-org",
        "prod",
        Method::GET,
        format!("/api/v1/webhooks/{hook}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(in_prod.status(), 200);
    // Another organization's name gets nothing, whatever the sandbox.
    let elsewhere = rest_in("other-org", "prod", Method::GET, "/api/v1/webhooks".into())
        .send()
        .await
        .unwrap();
    assert_eq!(
        elsewhere.status(),
        403,
        "a credential used outside its organization"
    );

    // Back in prod, nothing of it happened: the webhook is there, enabled, with its secret;
    // the delivery has its one attempt; the endpoint got no test event and no resend.
    let (_, prod) = app.call_json("sandboxes/list", &[]).await;
    let prod_id = prod["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|sandbox| sandbox["name"] == "prod")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app.call_json("sandboxes/switch", &[("id", &prod_id)]).await;
    assert_eq!(status, 200);
    let (status, webhook) = app.call_json("webhooks/get", &[("id", &hook)]).await;
    assert_eq!(status, 200, "{webhook}");
    let (_, editor) = app.call_json("webhooks/editor", &[("id", &hook)]).await;
    assert_eq!(editor["signing"]["fingerprint"], fingerprint, "{editor}");
    let (_, detail) = app.call_json("deliveries/get", &[("id", &delivery)]).await;
    assert_eq!(
        detail["attempts"].as_array().map(Vec::len),
        Some(1),
        "{detail}"
    );
    assert_eq!(detail["webhook_enabled"], Value::Bool(true), "{detail}");
    assert_eq!(receiver.received().len(), 1);
}

//! The whole loop over HTTP: a webhook, a live campaign with it activated, credentials, and
//! `POST /im/executions/unitary`; the receiver gets each message's feedback with the exact
//! payload of spec §5.

use crate::support::api::*;
use crate::support::receiver::TestReceiver;
use crate::support::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_execution_sends_each_recipients_feedback_with_the_exact_payload() {
    let api = api().await;
    let receiver = TestReceiver::start().await;
    let all = ["sent", "delivered", "bounce", "error"];
    let webhook = api
        .webhook("Feedback", &receiver.url("/fb"), &["email"], &all)
        .await;
    let campaign = api
        .campaign("Order shipped", "email", "live", Some(&webhook))
        .await;

    let response = api
        .execute(&json!({
            "requestId": "request-12345",
            "campaignId": campaign,
            "recipients": [
                recipient("john.doe@luma.com"),
                recipient("hard@bounce.test"),
                recipient("full@softbounce.test"),
                recipient("broken@error.test"),
            ]
        }))
        .header("x-request-id", "trace-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(response.headers()["x-request-id"], "trace-1");
    let accepted: Value = response.json().await.unwrap();
    assert_eq!(accepted["requestId"], "request-12345");
    assert_eq!(accepted["createdBy"], "Order service");
    assert!(accepted["executionId"].as_str().is_some());

    let events = wait_for(&receiver, 8).await;
    assert_eq!(events.len(), 8, "sent + outcome for each of 4 recipients");
    let of = |email: &str, status: &str| -> Value {
        events
            .iter()
            .find(|e| {
                e["identityMap"]["email"][0]["id"] == email
                    && e["messageDeliveryFeedback"]["feedbackStatus"]["value"] == status
            })
            .unwrap_or_else(|| panic!("no {status} for {email}"))
            .clone()
    };
    let delivered = of("john.doe@luma.com", "delivered");
    let sent = of("john.doe@luma.com", "sent");
    let keys: Vec<&String> = delivered.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "channel",
            "eventType",
            "identityMap",
            "imsOrg",
            "messageDeliveryFeedback",
            "messageExecution",
            "requestId",
            "sandbox"
        ]
    );
    assert_eq!(delivered["requestId"], "request-12345");
    assert_eq!(delivered["imsOrg"], "default-org");
    assert_eq!(delivered["sandbox"]["name"], "prod");
    assert_eq!(delivered["channel"], "email");
    assert_eq!(delivered["eventType"], "message.feedback");
    assert_eq!(
        delivered["messageExecution"]["campaignID"],
        campaign.as_str()
    );
    assert_eq!(
        delivered["messageExecution"]["messageType"],
        "transactional"
    );
    assert_eq!(
        delivered["messageExecution"]["messageExecutionID"],
        sent["messageExecution"]["messageExecutionID"],
        "one message, two events"
    );
    assert_eq!(
        delivered["messageDeliveryFeedback"],
        json!({"feedbackStatus": {"value": "delivered"}, "offers": null, "messageExclusion": null,
               "messageFailure": null, "retryCount": 0})
    );
    assert_eq!(
        delivered["identityMap"],
        json!({"email": [{"id": "john.doe@luma.com", "primary": true}]})
    );
    assert_eq!(
        of("hard@bounce.test", "bounce")["messageDeliveryFeedback"]["messageFailure"],
        json!({"category": "async", "type": "Hard", "code": "10", "reason": "Invalid Recipient"})
    );
    let soft = of("full@softbounce.test", "bounce");
    assert_eq!(
        soft["messageDeliveryFeedback"]["messageFailure"]["type"],
        "Soft"
    );
    assert_eq!(
        soft["messageDeliveryFeedback"]["messageFailure"]["code"],
        "22"
    );
    assert_eq!(
        of("broken@error.test", "error")["messageDeliveryFeedback"]["messageFailure"]["category"],
        "sync"
    );

    // A replay of the requestId answers the same and executes nothing more.
    let replay = api
        .execute(
            &json!({"requestId": "request-12345", "campaignId": campaign,
                         "recipients": [recipient("john.doe@luma.com")]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 202);
    assert_eq!(replay.json::<Value>().await.unwrap(), accepted);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(receiver.received().len(), 8);

    // The campaign's executions: the requestId, its four recipients, each message's events
    // with their deliveries.
    let (status, page) = api
        .app
        .call_json("campaigns/executions", &[("campaign", &campaign)])
        .await;
    assert_eq!(status, 200, "{page}");
    let executions = page["executions"].as_array().unwrap();
    assert_eq!(executions.len(), 1, "the replay made no second execution");
    assert_eq!(executions[0]["request_id"], "request-12345");
    let messages = executions[0]["messages"].as_array().unwrap();
    let recipients: Vec<&str> = messages
        .iter()
        .map(|m| m["recipient"].as_str().unwrap())
        .collect();
    assert_eq!(
        recipients,
        [
            "john.doe@luma.com",
            "hard@bounce.test",
            "full@softbounce.test",
            "broken@error.test"
        ]
    );
    let john: Vec<(&str, &str)> = messages[0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap(),
                e["deliveries"][0][1].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(john, [("sent", "Succeeded"), ("delivered", "Succeeded")]);

    // Search by recipient finds that recipient's deliveries only.
    let (status, found) = api
        .app
        .call_json("deliveries/list", &[("query[search]", "hard@bounce.test")])
        .await;
    assert_eq!(status, 200, "{found}");
    let mut events: Vec<&str> = found["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["event"].as_str().unwrap())
        .collect();
    events.sort();
    assert_eq!(events, ["bounce", "sent"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhooks_channel_and_event_filter_decide_what_it_receives() {
    let api = api().await;
    let receiver = TestReceiver::start().await;
    let bounces_only = api
        .webhook(
            "Bounces",
            &receiver.url("/b"),
            &["email", "sms"],
            &["bounce"],
        )
        .await;
    let campaign = api
        .campaign("Filtered", "email", "live", Some(&bounces_only))
        .await;
    let no_webhook = api.campaign("Quiet", "email", "live", None).await;
    for (request, campaign) in [("r-1", &campaign), ("r-2", &no_webhook)] {
        let response = api
            .execute(&json!({"requestId": request, "campaignId": campaign,
                             "recipients": [recipient("ok@luma.com"), recipient("x@bounce.test")]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
    }
    let events = wait_for(&receiver, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "only the bounce of the campaign with the webhook"
    );
    assert_eq!(
        events[0]["messageDeliveryFeedback"]["feedbackStatus"]["value"],
        "bounce"
    );
    assert_eq!(events[0]["requestId"], "r-1");

    // Each message's timeline keeps every event, whether a webhook received it or not.
    let timeline = |page: &Value, message: usize| -> Vec<(String, usize)> {
        page["executions"][0]["messages"][message]["events"]
            .as_array()
            .unwrap_or_else(|| panic!("{page}"))
            .iter()
            .map(|event| {
                (
                    event["event"].as_str().unwrap().to_string(),
                    event["deliveries"].as_array().unwrap().len(),
                )
            })
            .collect()
    };
    let named = |pairs: &[(&str, usize)]| -> Vec<(String, usize)> {
        pairs.iter().map(|(e, n)| (e.to_string(), *n)).collect()
    };
    let (status, filtered) = api
        .app
        .call_json("campaigns/executions", &[("campaign", &campaign)])
        .await;
    assert_eq!(status, 200, "{filtered}");
    assert_eq!(
        timeline(&filtered, 0),
        named(&[("sent", 0), ("delivered", 0)])
    );
    assert_eq!(timeline(&filtered, 1), named(&[("sent", 0), ("bounce", 1)]));
    let (status, quiet) = api
        .app
        .call_json("campaigns/executions", &[("campaign", &no_webhook)])
        .await;
    assert_eq!(status, 200, "{quiet}");
    assert_eq!(timeline(&quiet, 0), named(&[("sent", 0), ("delivered", 0)]));
    assert_eq!(timeline(&quiet, 1), named(&[("sent", 0), ("bounce", 0)]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_has_its_status_and_the_error_shape() {
    let api = api().await;
    let receiver = TestReceiver::start().await;
    let webhook = api
        .webhook("W", &receiver.url("/w"), &["email"], &["sent"])
        .await;
    let live = api.campaign("Live", "email", "live", Some(&webhook)).await;
    let draft = api.campaign("Draft", "email", "draft", None).await;
    let good =
        json!({"requestId": "r", "campaignId": live, "recipients": [recipient("a@luma.com")]});

    let check = |response: reqwest::Response, status: u16, field: Option<&'static str>| async move {
        assert_eq!(response.status().as_u16(), status);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], status);
        assert!(body["type"].as_str().unwrap().starts_with("/api/errors#"));
        assert!(!body["title"].as_str().unwrap().is_empty());
        assert_eq!(
            body["report"]["additionalContext"]["field"].as_str(),
            field,
            "{body}"
        );
        body
    };
    let client = reqwest::Client::new();
    let url = api.app.url("/im/executions/unitary");

    // Credentials and headers.
    check(
        client.post(&url).json(&good).send().await.unwrap(),
        401,
        Some("x-api-key"),
    )
    .await;
    let cases: [(&str, Option<&str>, u16, Option<&str>); 5] = [
        ("authorization", None, 401, Some("Authorization")),
        ("authorization", Some("Bearer fwt_wrong"), 401, None),
        (
            "x-gw-ims-org-id",
            Some("other-org"),
            403,
            Some("x-gw-ims-org-id"),
        ),
        ("x-sandbox-name", None, 400, Some("x-sandbox-name")),
        ("x-sandbox-name", Some("dev"), 404, Some("x-sandbox-name")),
    ];
    for (header, value, status, field) in cases {
        let response = api
            .execute_with(&good, &[(header, value)])
            .send()
            .await
            .unwrap();
        check(response, status, field).await;
    }

    // The body.
    let bad_json = api
        .execute(&good)
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    check(bad_json, 400, None).await;
    let many: Vec<Value> = (0..21)
        .map(|i| recipient(&format!("u{i}@luma.com")))
        .collect();
    let body = check(
        api.execute(&json!({"requestId": "r", "campaignId": live, "recipients": many}))
            .send()
            .await
            .unwrap(),
        400,
        Some("recipients"),
    )
    .await;
    assert!(body["title"].as_str().unwrap().contains("21"));
    check(
        api.execute(&json!({"campaignId": live, "recipients": [recipient("a@luma.com")]}))
            .send()
            .await
            .unwrap(),
        400,
        Some("requestId"),
    )
    .await;
    let body = check(
        api.execute(&json!({"requestId": "r-draft", "campaignId": draft, "recipients": [recipient("a@luma.com")]}))
            .send()
            .await
            .unwrap(),
        409,
        Some("campaignId"),
    )
    .await;
    assert_eq!(body["report"]["additionalContext"]["requestId"], "r-draft");
    assert_eq!(
        body["report"]["additionalContext"]["campaignId"],
        draft.as_str()
    );
    check(
        api.execute(
            &json!({"requestId": "r", "campaignId": uuid::Uuid::new_v4().to_string(),
                            "recipients": [recipient("a@luma.com")]}),
        )
        .send()
        .await
        .unwrap(),
        404,
        Some("campaignId"),
    )
    .await;
    let phone_only = json!({"type": "aep", "userId": "u1", "namespace": "phone",
                            "channelData": {"mobilePhoneNumber": "+33612345678"}});
    check(
        api.execute(&json!({"requestId": "r", "campaignId": live, "recipients": [phone_only]}))
            .send()
            .await
            .unwrap(),
        422,
        Some("recipients[0].channelData.emailAddress"),
    )
    .await;

    // A revoked credential is refused from then on.
    let (_, list) = api.app.call_json("credentials/list", &[]).await;
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    assert!(
        list["items"][0]["last_used_at"].is_string(),
        "last use is shown"
    );
    let (status, _) = api
        .app
        .call_json("credentials/revoke", &[("id", &id)])
        .await;
    assert_eq!(status, 200);
    check(api.execute(&good).send().await.unwrap(), 401, None).await;
    assert!(
        receiver.received().is_empty(),
        "no refused call sent anything"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandboxes_and_organizations_are_isolated() {
    use feedback_webhooks::model::campaign::{CampaignContent, CampaignStatus};
    use feedback_webhooks::model::Channel;
    use feedback_webhooks::server::storage::CampaignWrite;
    let api = api().await;
    let in_prod = TestReceiver::start().await;
    let in_dev = TestReceiver::start().await;
    let all = ["sent", "delivered", "bounce", "error"];
    let prod_hook = api
        .webhook("Prod hook", &in_prod.url("/p"), &["email"], &all)
        .await;
    let prod_campaign = api
        .campaign("Prod campaign", "email", "live", Some(&prod_hook))
        .await;

    // A second sandbox, worked in through the session: its lists start empty.
    let (status, dev) = api
        .app
        .call_json("sandboxes/create", &[("name", "dev")])
        .await;
    assert_eq!(status, 200, "{dev}");
    let (status, _) = api
        .app
        .call_json("sandboxes/switch", &[("id", dev["id"].as_str().unwrap())])
        .await;
    assert_eq!(status, 200);
    let (_, webhooks) = api.app.call_json("webhooks/list", &[]).await;
    assert_eq!(
        webhooks["items"],
        json!([]),
        "prod's webhook is not listed in dev"
    );
    let (status, _) = api
        .app
        .call_json("webhooks/get", &[("id", &prod_hook)])
        .await;
    assert_eq!(status, 404, "nor reachable by id");
    let dev_hook = api
        .webhook("Dev hook", &in_dev.url("/d"), &["email"], &all)
        .await;
    let dev_campaign = api
        .campaign("Dev campaign", "email", "live", Some(&dev_hook))
        .await;
    // A campaign cannot take another sandbox's webhook.
    let (status, refused) = api
        .app
        .call_json(
            "campaigns/save",
            &[
                ("form[name]", "Sneaky"),
                ("form[channel]", "email"),
                ("form[status]", "live"),
                ("form[email_subject]", "s"),
                ("form[email_body]", "b"),
                ("form[webhook_enabled]", "on"),
                ("form[webhook_id]", &prod_hook),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        !english(&refused["Invalid"]["errors"]["webhook_id"]).is_empty(),
        "{refused}"
    );

    // Executions: each sandbox's events reach only its own webhook.
    let run = |sandbox: &'static str, campaign: &str, request: &str| {
        api.execute_with(
            &json!({"requestId": request, "campaignId": campaign, "recipients": [recipient("a@luma.com")]}),
            &[("x-sandbox-name", Some(sandbox))],
        )
    };
    assert_eq!(
        run("prod", &prod_campaign, "p-1")
            .send()
            .await
            .unwrap()
            .status(),
        202
    );
    assert_eq!(
        run("dev", &dev_campaign, "d-1")
            .send()
            .await
            .unwrap()
            .status(),
        202
    );
    assert_eq!(
        run("prod", &dev_campaign, "x-1")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let prod_events = wait_for(&in_prod, 2).await;
    let dev_events = wait_for(&in_dev, 2).await;
    assert!(prod_events
        .iter()
        .all(|e| e["requestId"] == "p-1" && e["sandbox"]["name"] == "prod"));
    assert!(dev_events
        .iter()
        .all(|e| e["requestId"] == "d-1" && e["sandbox"]["name"] == "dev"));

    // Another organization: this credential is refused there, and its campaigns are not found.
    let store = &api.app.server.state.store;
    let other = store.ensure_sandbox("other-org", "prod").await.unwrap();
    let foreign = store
        .create_campaign(
            other.id,
            uuid::Uuid::new_v4(),
            &CampaignWrite {
                name: "Theirs".into(),
                channel: Channel::Email,
                status: CampaignStatus::Live,
                content: CampaignContent {
                    email_subject: "s".into(),
                    email_body: "b".into(),
                    sms_text: String::new(),
                },
                version_id: uuid::Uuid::new_v4().to_string(),
                webhook_enabled: false,
                webhook_id: None,
            },
            &crate::support::test_entry(&other),
        )
        .await
        .unwrap();
    let body = json!({"requestId": "y-1", "campaignId": foreign.id.to_string(), "recipients": [recipient("a@luma.com")]});
    let response = api
        .execute_with(&body, &[("x-gw-ims-org-id", Some("other-org"))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = api.execute(&body).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_loop_through_the_rest_api_only() {
    use reqwest::Method;
    let api = api().await;
    let receiver = TestReceiver::start().await;

    // Webhooks: the same validation as the form, answered field by field.
    let refused = api
        .rest(Method::POST, "/api/v1/webhooks")
        .json(&json!({"name": "", "channels": [], "url": "http://hooks.example.com/x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let refusal: Value = refused.json().await.unwrap();
    assert_eq!(refusal["type"], "/api/errors#unprocessable");
    assert_eq!(refusal["status"], 422);
    let errors = &refusal["report"];
    assert_eq!(errors["errors"]["name"], "Enter a webhook name.");
    assert_eq!(errors["errors"]["channels"], "Choose at least one channel.");
    assert!(errors["errors"]["url"]
        .as_str()
        .unwrap()
        .starts_with("Use https://"));

    let created = api
        .rest(Method::POST, "/api/v1/webhooks")
        .json(&json!({
            "name": "REST hook", "channels": ["email"], "url": receiver.url("/rest"),
            "events": ["delivered", "bounce"],
            "authentication": {"type": "jwt", "algorithm": "HS256", "key": "rest-secret-0123456789abcdefghijkl", "issuer": "fw"},
            "headers": [{"name": "X-Tenant", "value": "acme"}, {"name": "X-Key", "value": "hidden-value", "secret": true}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let webhook: Value = created.json().await.unwrap();
    let webhook_id = webhook["id"].as_str().unwrap().to_string();
    assert_eq!(webhook["events"], json!(["delivered", "bounce"]));
    assert_eq!(webhook["authentication"]["algorithm"], "HS256");
    assert!(webhook["authentication"]["keyFingerprint"].is_string());
    assert_eq!(
        webhook["headers"][1]["value"],
        Value::Null,
        "secret values never come back"
    );
    assert!(
        !webhook.to_string().contains("rest-secret")
            && !webhook.to_string().contains("hidden-value")
    );

    // Campaigns.
    let campaign: Value = api
        .rest(Method::POST, "/api/v1/campaigns")
        .json(
            &json!({"name": "REST campaign", "channel": "email", "status": "live",
                      "emailSubject": "Hi", "emailBody": "Hello {{profile.firstName}}",
                      "feedbackWebhook": {"enabled": true, "webhookId": webhook_id}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let campaign_id = campaign["id"].as_str().unwrap().to_string();
    let version = campaign["campaignVersionID"].as_str().unwrap().to_string();
    let renamed: Value = api
        .rest(Method::PUT, &format!("/api/v1/campaigns/{campaign_id}"))
        .json(
            &json!({"name": "REST campaign (renamed)", "channel": "email", "status": "live",
                      "emailSubject": "Hi", "emailBody": "Hello {{profile.firstName}}",
                      "feedbackWebhook": {"enabled": true, "webhookId": webhook_id}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        renamed["campaignVersionID"],
        version.as_str(),
        "a rename keeps the version"
    );
    let reworded: Value = api
        .rest(Method::PUT, &format!("/api/v1/campaigns/{campaign_id}"))
        .json(
            &json!({"name": "REST campaign (renamed)", "channel": "email", "status": "live",
                      "emailSubject": "Hello", "emailBody": "Hello {{profile.firstName}}",
                      "feedbackWebhook": {"enabled": true, "webhookId": webhook_id}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(
        reworded["campaignVersionID"],
        version.as_str(),
        "new content, new version"
    );

    // Execute, then read the deliveries back.
    let response = api
        .execute(&json!({"requestId": "rest-1", "campaignId": campaign_id,
                         "recipients": [recipient("a@luma.com"), recipient("b@bounce.test")]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let events = wait_for(&receiver, 2).await;
    assert_eq!(events.len(), 2, "sent is filtered out");
    assert!(events
        .iter()
        .all(|e| e["messageExecution"]["campaignVersionID"] == reworded["campaignVersionID"]));
    let request = &receiver.received()[0];
    assert!(request.headers["authorization"]
        .to_str()
        .unwrap()
        .starts_with("Bearer "));
    assert_eq!(request.headers["x-key"], "hidden-value");

    let deadline = Instant::now() + Duration::from_secs(5);
    let page = loop {
        let page: Value = api
            .rest(
                Method::GET,
                &format!("/api/v1/deliveries?webhookId={webhook_id}&state=succeeded&limit=1"),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if page["nextBefore"].is_string() || Instant::now() > deadline {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    // Page by page, one at a time, to the end: the same deliveries as one page of them all, in
    // the same order, none skipped or repeated.
    let get = |path: String| {
        let request = api.rest(Method::GET, &path);
        async move {
            let page: Value = request.send().await.unwrap().json().await.unwrap();
            page
        }
    };
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_str().unwrap().to_string())
            .collect()
    };
    let everything = ids(&get(format!(
        "/api/v1/deliveries?webhookId={webhook_id}&state=succeeded&limit=100"
    ))
    .await);
    assert!(everything.len() >= 2, "{everything:?}");
    let mut walked = Vec::new();
    let mut before = String::new();
    loop {
        let page = get(format!(
            "/api/v1/deliveries?webhookId={webhook_id}&state=succeeded&limit=1{before}"
        ))
        .await;
        walked.extend(ids(&page));
        assert!(walked.len() <= everything.len(), "repeated: {walked:?}");
        match page["nextBefore"].as_str() {
            Some(next) => before = format!("&before={next}"),
            None => break,
        }
    }
    assert_eq!(walked, everything);
    let delivery_id = page["items"][0]["id"].as_str().unwrap();
    let detail: Value = api
        .rest(Method::GET, &format!("/api/v1/deliveries/{delivery_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["delivery"]["state"], "succeeded");
    assert_eq!(detail["attempts"][0]["status"], 200);
    assert_eq!(detail["payload"]["requestId"], "rest-1");
    let bad = api
        .rest(Method::GET, "/api/v1/deliveries?state=lost")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    // Delete, then it is gone; without credentials nothing is answered.
    let deleted = api
        .rest(Method::DELETE, &format!("/api/v1/webhooks/{webhook_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = api
        .rest(Method::GET, &format!("/api/v1/webhooks/{webhook_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    let anonymous = reqwest::get(api.app.url("/api/v1/webhooks")).await.unwrap();
    assert_eq!(anonymous.status(), 401);

    // The OpenAPI document describes every operation.
    let document: Value = reqwest::get(api.app.url("/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/webhooks",
        "/api/v1/webhooks/{id}",
        "/api/v1/campaigns",
        "/api/v1/campaigns/{id}",
        "/api/v1/deliveries",
        "/api/v1/deliveries/{id}",
        "/api/v1/audit-log",
        "/im/executions/unitary",
    ] {
        assert!(document["paths"][path].is_object(), "{path} is documented");
    }
    assert!(document["components"]["schemas"]["WebhookInput"].is_object());
    // Each operation names the scope a credential needs for it.
    let scope = |path: &str, method: &str| {
        document["paths"][path][method]["security"][0]["apiKey"][0].clone()
    };
    assert_eq!(scope("/api/v1/webhooks", "get"), "read");
    assert_eq!(scope("/api/v1/webhooks", "post"), "write");
    assert_eq!(scope("/api/v1/webhooks/{id}", "delete"), "write");
    assert_eq!(scope("/im/executions/unitary", "post"), "execute");
    assert_eq!(scope("/api/v1/audit-log", "get"), "audit");
    // Filters and cursors travel in the query string, and the document says so.
    for path in ["/api/v1/deliveries", "/api/v1/audit-log"] {
        let parameters = document["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap();
        assert!(parameters.iter().any(|p| p["name"] == "before"), "{path}");
        assert!(
            parameters
                .iter()
                .filter(|p| p["in"] != "header")
                .all(|p| p["in"] == "query"),
            "{path}: {parameters:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_campaign_posted_without_javascript_comes_back_with_what_was_typed() {
    let app = TestApp::signed_in().await;
    let form = [
        ("form[name]", "Typed campaign"),
        ("form[channel]", "email"),
        ("form[status]", "live"),
        ("form[email_subject]", ""),
        ("form[email_body]", "Hello {{profile.firstName}}"),
    ];
    let response = app.post_plain_form("campaigns/save", &form).await;
    assert_eq!(response.status(), 302);
    let target = location(&response);
    assert!(
        target.starts_with("/admin/campaigns/new?draft="),
        "{target}"
    );
    let (status, page) = app.get_text(&target).await;
    assert_eq!(status, 200);
    assert!(page.contains("value=\"Typed campaign\""), "name kept");
    assert!(page.contains("Hello {{profile.firstName}}"), "body kept");
    assert!(page.contains("id=\"field-email-subject-error\""), "{page}");
    // The draft is shown once: the same address later is a blank form.
    let again = app.page(&target).await;
    assert!(!again.contains("value=\"Typed campaign\""));

    // Accepted: on to the list.
    let mut form = form.to_vec();
    form[3] = ("form[email_subject]", "Your order");
    let response = app.post_plain_form("campaigns/save", &form).await;
    assert!(location(&response).starts_with("/admin/campaigns?saved="));
}

/// `sent` is the provider's answer to the call itself: its feedback event and delivery are
/// stored with the execution, so they exist when the 202 arrives; the later outcomes wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sent_feedback_is_stored_with_the_execution() {
    let api = api_with(&["--provider-delay", "1h"]).await;
    let receiver = TestReceiver::start().await;
    let webhook = api
        .webhook(
            "Everything",
            &receiver.url("/all"),
            &["email"],
            &["sent", "delivered", "bounce", "error"],
        )
        .await;
    let campaign = api
        .campaign("Receipts", "email", "live", Some(&webhook))
        .await;
    let response = api
        .execute(&json!({"requestId": "order-1", "campaignId": campaign,
                         "recipients": [recipient("a@luma.com"), recipient("b@bounce.test")]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);

    // No waiting: what the list shows was committed before the answer.
    let (status, listed) = api
        .app
        .call_json("deliveries/list", &[("query[search]", "order-1")])
        .await;
    assert_eq!(status, 200, "{listed}");
    let events: Vec<&str> = listed["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["sent", "sent"]);

    let arrived = wait_for(&receiver, 2).await;
    assert_eq!(
        arrived.len(),
        2,
        "the outcomes due in an hour have not gone out"
    );
    for event in &arrived {
        assert_eq!(event["requestId"], "order-1");
        assert_eq!(
            event["messageDeliveryFeedback"]["feedbackStatus"]["value"],
            "sent"
        );
    }
}

/// The API keeps callers and campaigns in memory: a change made in the app applies to the very
/// next call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_to_the_campaign_or_its_webhook_applies_to_the_next_call() {
    let api = api().await;
    let receiver = TestReceiver::start().await;
    let url = receiver.url("/changing");
    let webhook = api.webhook("Changing", &url, &["email"], &["bounce"]).await;
    let campaign = api
        .campaign("Changing", "email", "live", Some(&webhook))
        .await;
    let call = |request: &str| {
        api.execute(&json!({"requestId": request, "campaignId": campaign,
                            "recipients": [recipient("x@bounce.test")]}))
            .send()
    };
    assert_eq!(call("c-1").await.unwrap().status(), 202);
    let events = wait_for(&receiver, 1).await;
    assert_eq!(
        events[0]["messageDeliveryFeedback"]["feedbackStatus"]["value"],
        "bounce"
    );

    // The webhook now takes `sent` only: the next call's `sent` goes out, its bounce does not.
    api.save_webhook(&webhook, "Changing", &url, &["email"], &["sent"])
        .await;
    assert_eq!(call("c-2").await.unwrap().status(), 202);
    let events = wait_for(&receiver, 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 2, "{events:?}");
    assert_eq!(events[1]["requestId"], "c-2");
    assert_eq!(
        events[1]["messageDeliveryFeedback"]["feedbackStatus"]["value"],
        "sent"
    );

    // A stopped campaign refuses the next call.
    api.save_campaign(&campaign, "Changing", "email", "stopped", Some(&webhook))
        .await;
    let refused = call("c-3").await.unwrap();
    assert_eq!(refused.status(), 409);
}

/// The database going away and coming back (through a proxy that drops every connection, as a
/// restart does): calls meanwhile are answered 503 within the pool's wait, not left hanging;
/// the server reconnects by itself; every call answered 202 is delivered. On PostgreSQL (an
/// embedded SQLite file does not go away).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_away_calls_are_refused_with_503_and_nothing_accepted_is_lost() {
    if !database::is_postgres() {
        eprintln!("a PostgreSQL test: the SQLite run has no database server to lose");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let direct = url::Url::parse(&database::database_url(dir.path())).unwrap();
    let target = (direct.host_str().unwrap(), direct.port().unwrap_or(5432));
    let target = tokio::net::lookup_host(target)
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = crate::support::proxy::Proxy::start(target).await;
    let mut proxied = direct.clone();
    proxied.set_port(Some(proxy.addr.port())).unwrap();
    proxied.set_host(Some("127.0.0.1")).unwrap();
    std::fs::write(dir.path().join("database-url"), proxied.as_str()).unwrap();
    let api = api_on(TestApp::with_admin_in(dir, &["--provider-delay", "50ms"]).await).await;
    let receiver = TestReceiver::start().await;
    let campaign = api.live_campaign_to(&receiver, &["delivered"]).await;
    let call = |request_id: &str| {
        api.execute(&one_recipient_call(&campaign, request_id))
            .timeout(Duration::from_secs(30))
            .send()
    };
    assert_eq!(call("before").await.unwrap().status(), 202);
    wait_for(&receiver, 1).await;

    proxy.cut();
    let asked = Instant::now();
    let refused = call("while-away").await.expect("an answer, not a hang");
    assert_eq!(refused.status(), 503, "{}", refused.text().await.unwrap());
    assert!(
        asked.elapsed() < Duration::from_secs(15),
        "{:?}",
        asked.elapsed()
    );

    proxy.restore().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let status = call(&format!("after-{attempt}")).await.unwrap().status();
        if status == 202 {
            break;
        }
        assert_eq!(status, 503, "only unavailable while reconnecting");
        assert!(Instant::now() < deadline, "never reconnected");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let arrived = wait_for(&receiver, 2).await;
    let request_ids: Vec<&str> = arrived
        .iter()
        .map(|event| event["requestId"].as_str().unwrap())
        .collect();
    assert_eq!(
        request_ids,
        ["before".to_string(), format!("after-{attempt}")],
        "each accepted call delivered once, the refused one never"
    );
}

/// Waits until exactly `expected` (sorted) has arrived: one more or one less fails at the
/// deadline.
async fn wait_until_arrived(receiver: &TestReceiver, expected: &[(&str, &str)]) {
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(id, status)| (id.to_string(), status.to_string()))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = arrived_statuses(receiver);
        if now == expected {
            return;
        }
        assert!(Instant::now() < deadline, "{now:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A provider outcome already emitted is not emitted again after a restart, and one still
/// waiting when the server stops is emitted by the restarted server, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_outcomes_are_emitted_exactly_once_across_a_restart() {
    const DELAY: Duration = Duration::from_millis(1500);
    let options = ["--provider-delay", "1500ms"];
    let api = api_with(&options).await;
    let receiver = TestReceiver::start().await;
    let campaign = api
        .live_campaign_to(&receiver, &["sent", "delivered"])
        .await;
    let call = |api: &Api, request_id: &str| {
        api.execute(&one_recipient_call(&campaign, request_id))
            .send()
    };
    assert_eq!(call(&api, "emitted").await.unwrap().status(), 202);
    wait_until_arrived(&receiver, &[("emitted", "delivered"), ("emitted", "sent")]).await;
    assert_eq!(call(&api, "waiting").await.unwrap().status(), 202);
    let stopped_at = Instant::now();
    wait_until_arrived(
        &receiver,
        &[
            ("emitted", "delivered"),
            ("emitted", "sent"),
            ("waiting", "sent"),
        ],
    )
    .await;

    let (dir, api_key, token) = api.stop().await;
    assert!(
        stopped_at.elapsed() < DELAY,
        "stopped before the waiting outcome fell due"
    );
    let restarted = TestApp::with_admin_in(dir, &options).await;
    let _api = Api {
        app: restarted,
        api_key,
        token,
    };
    let all = [
        ("emitted", "delivered"),
        ("emitted", "sent"),
        ("waiting", "delivered"),
        ("waiting", "sent"),
    ];
    wait_until_arrived(&receiver, &all).await;
    // Anything emitted twice would arrive within a provider delay and a delivery more.
    tokio::time::sleep(DELAY + Duration::from_millis(500)).await;
    wait_until_arrived(&receiver, &all).await;
}

/// Retention removes a finished execution with its messages, its emitted outcomes, its events
/// with their deliveries and attempts, and the hourly statistics before the cutoff; an
/// execution whose outcome is still to be emitted stays, with what it holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_prunes_finished_executions_and_keeps_one_still_to_report() {
    use feedback_webhooks::server::storage::now_ms;
    let api = api_with(&["--provider-delay", "2s"]).await;
    let receiver = TestReceiver::start().await;
    let campaign = api
        .live_campaign_to(&receiver, &["sent", "delivered"])
        .await;
    let call = |request_id: &str| {
        api.execute(&one_recipient_call(&campaign, request_id))
            .send()
    };
    assert_eq!(call("done").await.unwrap().status(), 202);
    wait_until_arrived(&receiver, &[("done", "delivered"), ("done", "sent")]).await;
    let url = crate::support::database::database_url(api.app.dir.path());
    let count = |table: &'static str| {
        let url = url.clone();
        async move {
            crate::support::database::count(&url, &format!("SELECT COUNT(*) FROM {table}")).await
        }
    };
    assert!(
        count("webhook_hourly_stats").await > 0,
        "attempts were counted"
    );

    assert_eq!(call("waiting").await.unwrap().status(), 202);
    // Its sent event delivered and recorded, no attempt is written until its outcome is due.
    let deadline = Instant::now() + Duration::from_secs(15);
    while count("deliveries WHERE state = 'pending'").await > 0
        || !arrived_statuses(&receiver).contains(&("waiting".into(), "sent".into()))
    {
        assert!(
            Instant::now() < deadline,
            "the sent event was never delivered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Everything so far is older than the cutoff; only the waiting outcome holds its execution.
    let pruned = api
        .app
        .server
        .state
        .store
        .prune(now_ms() + 60_000, 500)
        .await
        .unwrap();
    assert_eq!(
        pruned.executions, 1,
        "the finished execution, not the waiting one"
    );
    assert_eq!(count("executions").await, 1);
    assert_eq!(count("message_executions").await, 1);
    assert_eq!(
        count("provider_outcomes").await,
        1,
        "the emitted outcome went with its execution; the one to emit stays"
    );
    assert_eq!(
        crate::support::database::count(
            &url,
            "SELECT COUNT(*) FROM feedback_events WHERE request_id = 'done'"
        )
        .await,
        0,
        "the finished execution's events went, with their deliveries"
    );
    for orphans in [
        "SELECT COUNT(*) FROM deliveries d WHERE NOT EXISTS \
         (SELECT 1 FROM feedback_events e WHERE e.id = d.event_id)",
        "SELECT COUNT(*) FROM delivery_attempts a WHERE NOT EXISTS \
         (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id)",
        "SELECT COUNT(*) FROM message_executions m WHERE NOT EXISTS \
         (SELECT 1 FROM executions x WHERE x.id = m.execution_id)",
    ] {
        assert_eq!(
            crate::support::database::count(&url, orphans).await,
            0,
            "{orphans}"
        );
    }
    assert_eq!(count("webhook_hourly_stats").await, 0);
    // The waiting outcome is still emitted when due.
    wait_until_arrived(
        &receiver,
        &[
            ("done", "delivered"),
            ("done", "sent"),
            ("waiting", "delivered"),
            ("waiting", "sent"),
        ],
    )
    .await;
}

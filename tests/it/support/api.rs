//! The execution API's caller: a signed-in app with an API credential, webhooks and campaigns
//! made through their forms, and calls to `POST /im/executions/unitary`.

use super::receiver::TestReceiver;
use super::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub struct Api {
    pub app: TestApp,
    pub api_key: String,
    pub token: String,
}

pub async fn api() -> Api {
    api_with(&["--provider-delay", "50ms", "--retry-schedule", "10ms"]).await
}

pub async fn api_with(options: &[&str]) -> Api {
    api_on(TestApp::with_admin_and(options).await).await
}

/// Signs in to the app and creates an API credential.
pub async fn api_on(app: TestApp) -> Api {
    assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 200);
    let (status, created) = app
        .call_json(
            "credentials/create",
            &pairs(&credential_form(
                "Order service",
                &["execute", "read", "write"],
                "never",
            )),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    Api {
        api_key: created["credential"]["api_key"]
            .as_str()
            .unwrap()
            .to_string(),
        token: created["token"].as_str().unwrap().to_string(),
        app,
    }
}

impl Api {
    /// A live email campaign "Order shipped" with a webhook "Feedback" activated, sending the
    /// `events` to the receiver; the campaign's id.
    pub async fn live_campaign_to(&self, receiver: &TestReceiver, events: &[&str]) -> String {
        let webhook = self
            .webhook("Feedback", &receiver.url("/fb"), &["email"], events)
            .await;
        self.campaign("Order shipped", "email", "live", Some(&webhook))
            .await
    }

    /// The same credential, called on another server of the same database.
    pub fn on(&self, app: TestApp) -> Api {
        Api {
            app,
            api_key: self.api_key.clone(),
            token: self.token.clone(),
        }
    }

    pub async fn webhook(
        &self,
        name: &str,
        url: &str,
        channels: &[&str],
        events: &[&str],
    ) -> String {
        self.save_webhook("", name, url, channels, events).await
    }

    /// Creates (no id) or edits a webhook through the settings form.
    pub async fn save_webhook(
        &self,
        id: &str,
        name: &str,
        url: &str,
        channels: &[&str],
        events: &[&str],
    ) -> String {
        let mut form: Vec<(String, String)> = vec![
            ("form[id]".into(), id.into()),
            ("form[name]".into(), name.into()),
            ("form[url]".into(), url.into()),
            ("form[enabled]".into(), "on".into()),
            ("form[auth]".into(), "none".into()),
        ];
        form.extend(
            channels
                .iter()
                .map(|c| (format!("form[{c}]"), "on".to_string())),
        );
        form.extend(
            events
                .iter()
                .map(|e| (format!("form[event_{e}]"), "on".to_string())),
        );
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, body) = self.app.call_json("webhooks/save", &pairs).await;
        assert_eq!(status, 200, "{body}");
        body["Saved"]["id"].as_str().unwrap().to_string()
    }

    pub async fn campaign(
        &self,
        name: &str,
        channel: &str,
        status: &str,
        webhook: Option<&str>,
    ) -> String {
        self.save_campaign("", name, channel, status, webhook).await
    }

    /// Creates (no id) or edits a campaign through its form.
    pub async fn save_campaign(
        &self,
        id: &str,
        name: &str,
        channel: &str,
        status: &str,
        webhook: Option<&str>,
    ) -> String {
        self.save_campaign_with(id, name, channel, status, webhook, &Templates::default())
            .await
    }

    /// The same with the campaign's texts given.
    pub async fn save_campaign_with(
        &self,
        id: &str,
        name: &str,
        channel: &str,
        status: &str,
        webhook: Option<&str>,
        templates: &Templates,
    ) -> String {
        let mut form = vec![
            ("form[id]", id.to_string()),
            ("form[name]", name.to_string()),
            ("form[channel]", channel.to_string()),
            ("form[status]", status.to_string()),
            ("form[email_subject]", templates.email_subject.clone()),
            ("form[email_body]", templates.email_body.clone()),
            ("form[sms_text]", templates.sms_text.clone()),
        ];
        if let Some(webhook) = webhook {
            form.push(("form[webhook_enabled]", "on".into()));
            form.push(("form[webhook_id]", webhook.to_string()));
        }
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = self.app.call_json("campaigns/save", &pairs).await;
        assert_eq!(status, 200, "{body}");
        body["Saved"]["id"].as_str().unwrap().to_string()
    }

    /// A REST call with this credential and its answer: status and JSON body.
    pub async fn rest_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let request = self.rest(method, path);
        let request = match body {
            Some(body) => request.json(body),
            None => request,
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// A call of the REST API with this credential.
    pub fn rest(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.rest_as((&self.api_key, &self.token), method, path)
    }

    /// Stops the server, keeping what a restart on the same database needs: its folder and
    /// the credential's API key and token.
    pub async fn stop(self) -> (tempfile::TempDir, String, String) {
        let Api {
            app,
            api_key,
            token,
        } = self;
        let TestApp { server, dir, .. } = app;
        server.stop().await;
        (dir, api_key, token)
    }

    /// A new credential's API key and token, made through the credentials form.
    pub async fn new_credential(
        &self,
        name: &str,
        scopes: &[&str],
        expires: &str,
    ) -> (String, String) {
        let (status, created) = self
            .app
            .call_json(
                "credentials/create",
                &pairs(&credential_form(name, scopes, expires)),
            )
            .await;
        assert_eq!(status, 200, "{created}");
        let text = |v: &Value| v.as_str().unwrap().to_string();
        (
            text(&created["credential"]["api_key"]),
            text(&created["token"]),
        )
    }

    /// A call of the REST API with another credential (its API key and token).
    pub fn rest_as(
        &self,
        (api_key, token): (&str, &str),
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method, self.app.url(path))
            .header("authorization", format!("Bearer {token}"))
            .header("x-api-key", api_key)
            .header("x-gw-ims-org-id", "default-org")
            .header("x-sandbox-name", "prod")
    }

    /// An execution call with another credential.
    pub fn execute_as(
        &self,
        (api_key, token): (&str, &str),
        body: &Value,
    ) -> reqwest::RequestBuilder {
        let bearer = format!("Bearer {token}");
        self.execute_with(
            body,
            &[
                ("authorization", Some(bearer.as_str())),
                ("x-api-key", Some(api_key)),
            ],
        )
    }

    pub fn execute(&self, body: &Value) -> reqwest::RequestBuilder {
        self.execute_with(body, &[])
    }

    /// The call with some headers replaced (`Some`) or left out (`None`).
    pub fn execute_with(
        &self,
        body: &Value,
        changes: &[(&str, Option<&str>)],
    ) -> reqwest::RequestBuilder {
        let bearer = format!("Bearer {}", self.token);
        let headers = [
            ("authorization", bearer.as_str()),
            ("x-api-key", self.api_key.as_str()),
            ("x-gw-ims-org-id", "default-org"),
            ("x-sandbox-name", "prod"),
        ];
        let mut request = reqwest::Client::new()
            .post(self.app.url("/im/executions/unitary"))
            .json(body);
        for (name, value) in headers {
            let value = match changes.iter().find(|(changed, _)| *changed == name) {
                Some((_, replacement)) => *replacement,
                None => Some(value),
            };
            if let Some(value) = value {
                request = request.header(name, value);
            }
        }
        request
    }
}

/// A campaign's texts.
pub struct Templates {
    pub email_subject: String,
    pub email_body: String,
    pub sms_text: String,
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            email_subject: "Your {{context.product}}".into(),
            email_body: "Hello {{profile.firstName}}".into(),
            sms_text: "Your {{context.product}} shipped".into(),
        }
    }
}

pub fn recipient(email: &str) -> Value {
    json!({"type": "aep", "userId": email, "namespace": "email",
           "channelData": {"emailAddress": email},
           "profile": {"firstName": "John"}, "context": {"product": "Gaming Laptop"}})
}

/// An execution call for the campaign with one email recipient, John Doe.
pub fn one_recipient_call(campaign: &str, request_id: &str) -> Value {
    json!({"requestId": request_id, "campaignId": campaign,
           "recipients": [recipient("john.doe@luma.com")]})
}

/// Every (requestId, feedback status) that arrived, sorted.
pub fn arrived_statuses(receiver: &TestReceiver) -> Vec<(String, String)> {
    let mut seen: Vec<(String, String)> = receiver
        .received()
        .iter()
        .map(|r| {
            let event: Value = serde_json::from_slice(&r.body).unwrap();
            let status = &event["messageDeliveryFeedback"]["feedbackStatus"]["value"];
            (
                event["requestId"].as_str().unwrap().to_string(),
                status.as_str().unwrap().to_string(),
            )
        })
        .collect();
    seen.sort();
    seen
}

pub async fn wait_for(receiver: &TestReceiver, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while receiver.received().len() < count {
        assert!(
            Instant::now() < deadline,
            "{} of {count} arrived",
            receiver.received().len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    receiver
        .received()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

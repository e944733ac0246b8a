//! People of a team for the tests: browsers of their own, invitations, links, sign-ins.

use super::TestApp;
use reqwest::header::ACCEPT;
use serde_json::Value;

/// Another person's browser on the same server: cookies of its own, its own user agent.
pub fn browser(agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(agent)
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

pub async fn call_as(
    app: &TestApp,
    client: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let response = client
        .post(app.url(&format!("/api/{endpoint}")))
        .header(ACCEPT, "application/json")
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub async fn sign_in(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> (u16, Value) {
    call_as(
        app,
        client,
        "login",
        &[("email", email), ("password", password)],
    )
    .await
}

/// Who the browser is signed in as, if anyone.
pub async fn signed_in_as(app: &TestApp, client: &reqwest::Client) -> Option<String> {
    let (status, user) = call_as(app, client, "session", &[]).await;
    assert_eq!(status, 200, "{user}");
    user["email"].as_str().map(str::to_string)
}

pub async fn invite(app: &TestApp, email: &str, role: &str) -> (u16, Value) {
    app.call_json(
        "users/invite",
        &[("form[email]", email), ("form[role]", role)],
    )
    .await
}

/// The token of the link an invitation or reset answer shows.
pub fn token_of(shown: &Value) -> String {
    let path = shown["path"].as_str().expect("a link path");
    path.strip_prefix("/set-password?token=")
        .expect("a set-password link")
        .to_string()
}

pub async fn set_password(
    app: &TestApp,
    client: &reqwest::Client,
    token: &str,
    password: &str,
) -> (u16, Value) {
    call_as(
        app,
        client,
        "users/set-password",
        &[
            ("token", token),
            ("password", password),
            ("password_confirm", password),
        ],
    )
    .await
}

pub async fn user_id(app: &TestApp, email: &str) -> String {
    let (status, users) = app.call_json("users/list", &[]).await;
    assert_eq!(status, 200, "{users}");
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|user| user["email"] == email)
        .unwrap_or_else(|| panic!("{email} in {users}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A browser signed in as a new member of the organization with `role`, invited by the
/// administrator `app` is signed in as.
pub async fn member(app: &TestApp, email: &str, role: &str, password: &str) -> reqwest::Client {
    let (status, shown) = invite(app, email, role).await;
    assert_eq!(status, 200, "{shown}");
    let client = browser(&format!("{role}'s browser"));
    let (status, outcome) = set_password(app, &client, &token_of(&shown), password).await;
    assert_eq!((status, outcome), (200, Value::String("Changed".into())));
    client
}

//! French and English against a real server: a page speaks the browser's language until the
//! person chooses, the switcher keeps the choice (a cookie; on the account when signed in) and
//! goes back to the page, and no page shows a catalogue key instead of words.

use crate::support::*;
use reqwest::header::{ACCEPT_LANGUAGE, SET_COOKIE};
use serde_json::Value;

/// The `lang` of a page's `<html>`.
fn html_lang(page: &str) -> &str {
    let start = page.find("<html lang=\"").expect("an html lang") + "<html lang=\"".len();
    &page[start..start + page[start..].find('"').unwrap()]
}

async fn page_with(app: &TestApp, path: &str, header: (&str, &str)) -> String {
    let response = app
        .client
        .get(app.url(path))
        .header(header.0, header.1)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.text().await.unwrap()
}

/// Chooses `language` with the switcher, as a browser posts its form.
async fn choose(
    app: &TestApp,
    client: &reqwest::Client,
    language: &str,
    back: &str,
) -> reqwest::Response {
    client
        .post(app.url("/language"))
        .header("Origin", format!("http://{}", app.server.addr))
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[("language", language), ("back", back)])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_speaks_the_language_the_browser_prefers() {
    let app = TestApp::with_admin().await;
    let french = page_with(
        &app,
        "/login",
        (ACCEPT_LANGUAGE.as_str(), "fr-FR,fr;q=0.9,en;q=0.8"),
    )
    .await;
    assert_eq!(html_lang(&french), "fr");
    assert!(french.contains("Se connecter") && french.contains("Mot de passe"));
    let weighted = page_with(
        &app,
        "/login",
        (ACCEPT_LANGUAGE.as_str(), "de, en;q=0.4, fr;q=0.6"),
    )
    .await;
    assert_eq!(html_lang(&weighted), "fr");
    let english = page_with(&app, "/login", (ACCEPT_LANGUAGE.as_str(), "de-DE")).await;
    assert_eq!(html_lang(&english), "en");
    assert!(english.contains("Sign in") && english.contains("Password"));
    assert!(!english.contains("Mot de passe"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_switcher_keeps_the_choice_and_goes_back_to_the_page() {
    let app = TestApp::with_admin().await;
    let response = choose(&app, &app.client, "fr", "/login?next=%2Fadmin%2Fcampaigns").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login?next=%2Fadmin%2Fcampaigns");
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.starts_with("fw_lang=fr;"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // The browser's choice beats what it says it prefers.
    let page = page_with(&app, "/login", (ACCEPT_LANGUAGE.as_str(), "en")).await;
    assert_eq!(html_lang(&page), "fr");

    // Only a language we have, and only back to this site.
    let response = choose(&app, &app.client, "de", "/login").await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("en or fr"));
    let response = choose(&app, &app.client, "en", "//evil.example/x").await;
    assert_eq!(response.status(), 303);
    assert!(location(&response).starts_with('/') && !location(&response).starts_with("//"));
    let page = app.page("/login").await;
    assert_eq!(html_lang(&page), "en");

    // Another site's form cannot choose for the person.
    let response = app
        .client
        .post(app.url("/language"))
        .header("Origin", "https://evil.example")
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("language", "fr"), ("back", "/login")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_persons_choice_follows_them_to_another_browser() {
    let app = TestApp::signed_in().await;
    let response = choose(&app, &app.client, "fr", "/admin/channels/feedback-webhooks").await;
    assert_eq!(response.status(), 303);
    let page = app.page("/admin/channels/feedback-webhooks").await;
    assert_eq!(html_lang(&page), "fr");
    assert!(page.contains("Paramètres webhook des commentaires"));
    assert!(page.contains("Créer un webhook pour les commentaires"));
    // The tab's title too.
    assert!(
        page.contains("<title>Paramètres webhook des commentaires · Feedback Webhooks</title>"),
        "{page}"
    );

    // The choice is on the account, in the audit log, and written once.
    choose(&app, &app.client, "fr", "/admin").await;
    let (status, log) = app.call_json("audit/list", &[]).await;
    assert_eq!(status, 200);
    let changes: Vec<&Value> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["action"] == "user.language_changed")
        .collect();
    assert_eq!(changes.len(), 1, "{log}");
    assert_eq!(changes[0]["changes"][0]["field"], "language");

    // Another browser, which prefers English and has no cookie: the account decides.
    let other = client();
    let response = other
        .post(app.url("/api/login"))
        .header("Accept", "application/json")
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page = other
        .get(app.url("/admin/channels/feedback-webhooks"))
        .header(ACCEPT_LANGUAGE, "en-US")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html_lang(&page), "fr");
    // A choice there changes the account, which outweighs the first browser's own cookie.
    choose(&app, &other, "en", "/admin").await;
    let page = app.page("/admin/channels/feedback-webhooks").await;
    assert_eq!(html_lang(&page), "en");
}

/// Every key of a catalogue, dotted (`nav.campaigns`).
fn keys(catalogue: &Value, prefix: &str, into: &mut Vec<String>) {
    if let Value::Object(entries) = catalogue {
        for (key, value) in entries {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            keys(value, &path, into);
            into.push(path);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_shows_a_catalogue_key_in_either_language() {
    let catalogue: Value =
        serde_json::from_str(include_str!("../../src/i18n/locales/en.json")).unwrap();
    let mut all = Vec::new();
    keys(&catalogue, "", &mut all);
    let dotted: Vec<&String> = all.iter().filter(|key| key.contains('.')).collect();
    assert!(dotted.len() > 100, "{}", dotted.len());
    let app = TestApp::signed_in().await;
    let webhook = stored_webhook(
        &app.server.state,
        "Keys check",
        "https://hooks.example.com/k",
    )
    .await
    .id;
    let pages = [
        "/admin/channels/feedback-webhooks".to_string(),
        "/admin/channels/feedback-webhooks/new".to_string(),
        format!("/admin/channels/feedback-webhooks/{webhook}"),
        format!("/admin/channels/feedback-webhooks/{webhook}/delete"),
        format!("/admin/channels/feedback-webhooks/{webhook}/deliveries"),
        "/admin/deliveries".to_string(),
        "/admin/campaigns".to_string(),
        "/admin/campaigns/new".to_string(),
        "/admin/api-credentials".to_string(),
        "/admin/sandboxes".to_string(),
        "/admin/api-reference".to_string(),
        "/admin/users".to_string(),
        "/admin/audit-log".to_string(),
        "/admin/account".to_string(),
        "/admin/no-such-page".to_string(),
    ];
    for language in ["en", "fr"] {
        choose(&app, &app.client, language, "/admin").await;
        for path in &pages {
            let (_, page) = app.get_text(path).await;
            assert_eq!(html_lang(&page), language, "{path}");
            for key in &dotted {
                assert!(
                    !page.contains(&format!(">{key}<")) && !page.contains(&format!("\"{key}\"")),
                    "{path} in {language} shows the key {key}"
                );
            }
        }
    }
    let anonymous = client();
    for path in ["/login", "/setup", "/set-password?token=nothing"] {
        let page = anonymous
            .get(app.url(path))
            .header(ACCEPT_LANGUAGE, "fr")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(html_lang(&page), "fr", "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_server_says_is_written_in_the_pages_language() {
    let app = TestApp::signed_in().await;
    let state = &app.server.state;
    let webhook = stored_webhook(state, "Gone hook", "https://hooks.example.com/gone")
        .await
        .id;
    // The engine turns the webhook off, keeping its reason as a message.
    let reason = feedback_webhooks::model::message::Message::DisabledGone.to_query();
    let audit = feedback_webhooks::server::audit::system_entry(
        uuid::Uuid::nil(),
        "webhook.disabled_automatically",
        "webhook",
        "",
    );
    state
        .store
        .disable_webhook(webhook, &reason, &audit)
        .await
        .unwrap();
    let missing = feedback_webhooks::model::routes::delivery(&uuid::Uuid::new_v4().to_string());
    let settings = feedback_webhooks::model::routes::webhook(&webhook.to_string());

    choose(&app, &app.client, "fr", "/admin").await;
    let (_, page) = app.get_text(&missing).await;
    assert!(
        page.contains("Cet envoi n’existe pas dans cette sandbox."),
        "{page}"
    );
    let (_, page) = app.get_text(&settings).await;
    assert!(
        page.contains("Le point d’entrée a répondu 410 Gone"),
        "{page}"
    );

    choose(&app, &app.client, "en", "/admin").await;
    let (_, page) = app.get_text(&missing).await;
    assert!(page.contains("No such delivery in this sandbox."), "{page}");
    let (_, page) = app.get_text(&settings).await;
    assert!(page.contains("The endpoint answered 410 Gone"), "{page}");
}

//! What the server tells browsers to protect its pages: a script policy whose nonce every
//! inline script carries, no caching of pages or answers, and over https a `__Host-` cookie
//! and HSTS.

use crate::support::*;
use reqwest::header::{
    ACCEPT, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY,
    CONTENT_TYPE, IF_MODIFIED_SINCE, LAST_MODIFIED, SET_COOKIE,
};

const HSTS: &str = "strict-transport-security";

/// The nonce a page's policy allows its inline scripts.
fn policy_nonce(policy: &str) -> String {
    let start = policy.find("'nonce-").expect("a nonce in the policy") + "'nonce-".len();
    policy[start..].split('\'').next().unwrap().to_string()
}

/// Every `<script ...>` tag of `html`, up to its `>`.
fn script_tags(html: &str) -> Vec<&str> {
    html.match_indices("<script")
        .map(|(at, _)| &html[at..at + html[at..].find('>').unwrap()])
        .collect()
}

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (String, String, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (policy, cache) = (header(CONTENT_SECURITY_POLICY), header(CACHE_CONTROL));
    (policy, cache, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_script_a_page_writes_carries_the_nonce_its_policy_allows() {
    let app = TestApp::signed_in().await;
    let mut nonces = std::collections::HashSet::new();
    let anonymous = client();
    for (client, path) in [
        (&anonymous, "/login"),
        (&app.client, "/admin/channels/feedback-webhooks"),
        (&app.client, "/admin/deliveries"),
        (&app.client, "/admin/api-credentials"),
        (&app.client, "/admin/no-such-page"),
    ] {
        let (policy, cache, html) = page(client, &app, path).await;
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        let nonce = policy_nonce(&policy);
        assert!(nonce.len() >= 16, "{path}: {nonce}");
        let scripts = script_tags(&html);
        assert!(!scripts.is_empty(), "{path} hydrates");
        for tag in scripts {
            assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "{path}: {tag}");
        }
        assert_eq!(cache, "no-store", "{path}");
        assert!(nonces.insert(nonce), "{path}: a nonce is never used twice");
    }
    // The same page again gets a nonce of its own.
    let (policy, _, _) = page(&app.client, &app, "/admin/deliveries").await;
    assert!(nonces.insert(policy_nonce(&policy)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_run_nothing_and_only_static_assets_may_be_cached() {
    let app = TestApp::signed_in().await;
    let strict = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    let answers = [
        app.call("webhooks/list", &[]).await,
        app.call(
            "credentials/create",
            &pairs(&credential_form("ci", &["read"], "30d")),
        )
        .await,
        app.client
            .get(app.url("/api/v1/webhooks"))
            .send()
            .await
            .unwrap(),
    ];
    for answer in answers {
        let url = answer.url().to_string();
        assert_eq!(answer.headers()[CONTENT_SECURITY_POLICY], strict, "{url}");
        assert_eq!(answer.headers()[CACHE_CONTROL], "no-store", "{url}");
    }
}

/// The site's files: the build's brotli or gzip copy to a browser that takes it, a year in the
/// cache under a name that carries the content's hash, a question each time (answered 304 when
/// unchanged) under any other; a missing file is the not-found page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn site_files_are_sent_precompressed_and_cached_by_their_name() {
    let app = TestApp::with_admin().await;
    let pkg = app.dir.path().join("site/pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let hashed = "feedback-webhooks.Xq3_8kPz-1AbCdEfGhIjKl.wasm";
    std::fs::write(pkg.join(hashed), b"\0asm plain").unwrap();
    std::fs::write(pkg.join(format!("{hashed}.br")), b"brotli copy").unwrap();
    std::fs::write(pkg.join(format!("{hashed}.gz")), b"gzip copy").unwrap();
    std::fs::write(pkg.join("probe.css"), "body { color: black }").unwrap();
    let get = |path: &str, encoding: Option<&str>| {
        let mut request = client().get(app.url(path));
        if let Some(encoding) = encoding {
            request = request.header(ACCEPT_ENCODING, encoding);
        }
        request.send()
    };

    for (accepted, encoding, body) in [
        (Some("gzip, deflate, br"), Some("br"), "brotli copy"),
        (Some("gzip"), Some("gzip"), "gzip copy"),
        (None, None, "\0asm plain"),
    ] {
        let file = get(&format!("/pkg/{hashed}"), accepted).await.unwrap();
        assert_eq!(file.status(), 200, "{accepted:?}");
        assert_eq!(
            file.headers()[CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            file.headers()
                .get(CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap()),
            encoding,
            "{accepted:?}"
        );
        assert_eq!(file.headers()[CONTENT_TYPE], "application/wasm");
        assert_eq!(file.text().await.unwrap(), body, "{accepted:?}");
    }

    let plain = get("/pkg/probe.css", None).await.unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(plain.headers()[CACHE_CONTROL], "no-cache");
    let modified = plain.headers()[LAST_MODIFIED].clone();
    let again = client()
        .get(app.url("/pkg/probe.css"))
        .header(IF_MODIFIED_SINCE, modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    let missing = get("/pkg/nothing-here.js", None).await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()[CACHE_CONTROL], "no-store");
    assert!(missing.text().await.unwrap().contains("<html"));
}

/// Signs in as the hydrated app does, with `X-Forwarded-Proto` when given.
async fn sign_in(app: &TestApp, forwarded_proto: Option<&str>) -> reqwest::Response {
    let mut request = client()
        .post(app.url("/api/login"))
        .header(ACCEPT, "application/json")
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)]);
    if let Some(proto) = forwarded_proto {
        request = request.header("X-Forwarded-Proto", proto);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response
}

fn cookie(response: &reqwest::Response) -> String {
    response.headers()[SET_COOKIE].to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_https_proxy_the_cookie_is_host_prefixed_and_hsts_is_sent() {
    let app = TestApp::with_admin_and(&["--trusted-proxies", "127.0.0.1/32"]).await;
    let response = sign_in(&app, Some("https")).await;
    let set = cookie(&response);
    assert!(set.starts_with("__Host-fw_session="), "{set}");
    assert!(set.contains("Secure") && set.contains("Path=/") && !set.contains("Domain"));
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(response.headers()[HSTS]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    // The cookie signs the next requests in (a browser sends a Secure cookie over https only).
    let pair = set.split(';').next().unwrap().to_string();
    let admin = client()
        .get(app.url("/admin/deliveries"))
        .header("X-Forwarded-Proto", "https")
        .header("Cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 200);

    // The same server reached over plain http keeps a cookie plain http can carry.
    let plain = sign_in(&app, None).await;
    assert!(cookie(&plain).starts_with("fw_session="));
    assert!(!cookie(&plain).contains("Secure"));
    assert!(plain.headers().get(HSTS).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_peer_cannot_claim_https_and_configured_https_needs_no_proxy() {
    let app = TestApp::with_admin().await;
    let response = sign_in(&app, Some("https")).await;
    assert!(cookie(&response).starts_with("fw_session="));
    assert!(response.headers().get(HSTS).is_none());

    let app = TestApp::with_admin_and(&["--secure-cookies"]).await;
    let response = sign_in(&app, None).await;
    assert!(cookie(&response).starts_with("__Host-fw_session="));
    assert!(cookie(&response).contains("Secure"));
    assert!(response.headers().get(HSTS).is_some());
}

//! The response headers that keep a browser safe: a Content-Security-Policy (with a fresh nonce
//! per page for the inline scripts Leptos writes), HSTS over https, and no caching of anything
//! but static assets.

use crate::server::config::Config;
use crate::server::peer::Peer;
use crate::server::state::AppState;
use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, STRICT_TRANSPORT_SECURITY,
};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of every answer that is not a page (JSON, redirects, files): it runs nothing.
pub const STRICT_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Two years, the preload lists' minimum.
pub const HSTS: &str = "max-age=63072000; includeSubDomains";

/// A page's policy. Scripts run only from this origin or with this response's nonce (Leptos's
/// hydration and resource scripts carry it); the wasm bundle needs `'wasm-unsafe-eval'` to be
/// compiled. Styles and images come from this origin only: no page has an inline style. Forms
/// post to this origin and nobody frames the app.
pub fn page_policy(nonce: &str, reload_socket: Option<&str>) -> String {
    let connect = match reload_socket {
        Some(socket) => format!("'self' {socket}"),
        None => "'self'".into(),
    };
    format!(
        "default-src 'none'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self'; font-src 'self'; connect-src {connect}; \
         manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// Puts the page policy, with the nonce Leptos gave this response, on the response being
/// rendered. Called as the shell renders, before the first byte is sent.
pub fn announce_page_policy(options: &leptos::config::LeptosOptions) {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    // `cargo leptos watch` reloads the page over a web socket of its own port.
    let reload_socket = std::env::var_os("LEPTOS_WATCH")
        .map(|_| format!("ws://{}:{}", options.site_addr.ip(), options.reload_port));
    if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce, reload_socket.as_deref())) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

/// Whether the browser reached this server over https: the configuration says so, or a trusted
/// reverse proxy does (`X-Forwarded-Proto`).
pub fn served_over_https(config: &Config, request: &Request) -> bool {
    config.secure_cookies
        || Peer::of_request(
            request.extensions(),
            request.headers(),
            &config.trusted_proxies,
        )
        .is_some_and(|peer| peer.https)
}

/// Adds the headers a handler did not set: the strict policy, HSTS over https, and
/// `Cache-Control: no-store` on everything but static assets, so no page or answer (a new
/// credential's token, a signing secret) stays in a browser's or a proxy's cache.
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let https = served_over_https(&state.config, &request);
    let mut response = next.run(request).await;
    add_missing_headers(response.headers_mut(), https);
    response
}

fn add_missing_headers(headers: &mut HeaderMap, https: bool) {
    if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(STRICT_POLICY),
        );
    }
    if https {
        headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    if !headers.contains_key(CACHE_CONTROL) && !is_static_asset(headers) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// The compiled bundle, its styles, images and fonts: the same for everyone, safe to cache.
fn is_static_asset(headers: &HeaderMap) -> bool {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    [
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/wasm",
        "image/",
        "font/",
    ]
    .iter()
    .any(|prefix| content_type.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers_after(content_type: &'static str, https: bool) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        add_missing_headers(&mut headers, https);
        headers
    }

    #[test]
    fn pages_and_answers_are_never_stored_but_assets_may_be() {
        for kind in ["text/html; charset=utf-8", "application/json", "text/plain"] {
            assert_eq!(
                headers_after(kind, false)[CACHE_CONTROL],
                "no-store",
                "{kind}"
            );
        }
        for kind in [
            "text/css",
            "application/wasm",
            "text/javascript",
            "image/svg+xml",
        ] {
            assert!(
                !headers_after(kind, false).contains_key(CACHE_CONTROL),
                "{kind}"
            );
        }
    }

    #[test]
    fn hsts_only_over_https_and_a_page_policy_is_kept() {
        assert!(!headers_after("text/html", false).contains_key(STRICT_TRANSPORT_SECURITY));
        assert_eq!(
            headers_after("text/html", true)[STRICT_TRANSPORT_SECURITY],
            HSTS
        );
        assert_eq!(
            headers_after("application/json", false)[CONTENT_SECURITY_POLICY],
            STRICT_POLICY
        );

        let mut page = HeaderMap::new();
        let policy = page_policy("abc", None);
        page.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&policy).unwrap(),
        );
        add_missing_headers(&mut page, false);
        assert_eq!(page[CONTENT_SECURITY_POLICY], policy.as_str());
    }

    #[test]
    fn a_page_policy_allows_only_this_origin_and_this_nonce() {
        let policy = page_policy("n0nce", None);
        assert!(policy.contains("script-src 'self' 'nonce-n0nce' 'wasm-unsafe-eval';"));
        assert!(!policy.contains("unsafe-inline") && !policy.contains('*'));
        assert!(policy.contains("frame-ancestors 'none'") && policy.contains("base-uri 'none'"));
        assert!(page_policy("n", Some("ws://127.0.0.1:3001"))
            .contains("connect-src 'self' ws://127.0.0.1:3001;"));
    }
}

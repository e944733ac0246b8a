//! People and sessions: password hashing, the signed-in user, role checks, and the cross-site
//! request guard that Leptos server functions do not do by themselves.

use crate::error::AppError;
use crate::model::{Role, UserView};
use crate::server::state::AppState;
use crate::server::storage::{now_ms, NewUser, SandboxRef, StoreError, UserRecord};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::time::Duration;
use tower_sessions::Session;
use uuid::Uuid;

const USER_ID_KEY: &str = "user_id";

/// Hashes with argon2id off the async threads: a hash takes tens of milliseconds on purpose.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|_| AppError::Internal)?
    .map_err(|error| {
        tracing::error!(%error, "password hashing failed");
        AppError::Internal
    })
}

pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash of a random password, verified against when the email is unknown so that a login
/// takes as long whether or not the account exists.
pub fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(Uuid::new_v4().to_string().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

pub async fn create_user(
    state: &AppState,
    email: &str,
    password: String,
    role: Role,
) -> Result<UserRecord, AppError> {
    let password_hash = hash_password(password).await?;
    state
        .store
        .create_user(NewUser {
            organization_id: state.default_sandbox.organization_id,
            email: email.trim().to_lowercase(),
            password_hash,
            role: role.as_str().into(),
        })
        .await
        .map_err(|error| match error {
            StoreError::Duplicate(_) => {
                AppError::BadRequest("An account with this email already exists.".into())
            }
            other => internal(other),
        })
}

pub fn internal(error: impl std::fmt::Display) -> AppError {
    tracing::error!(%error, "internal error");
    AppError::Internal
}

/// Starts a signed-in session under a new id, so an id planted before login is worthless.
pub async fn start_session(session: &Session, user_id: Uuid) -> Result<(), AppError> {
    session.cycle_id().await.map_err(internal)?;
    session.insert(USER_ID_KEY, user_id).await.map_err(internal)
}

pub async fn end_session(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(internal)
}

pub async fn session_user(
    state: &AppState,
    session: &Session,
) -> Result<Option<UserRecord>, AppError> {
    let Some(user_id) = session.get::<Uuid>(USER_ID_KEY).await.map_err(internal)? else {
        return Ok(None);
    };
    state.store.user_by_id(user_id).await.map_err(internal)
}

/// The signed-in user of the current server function call, with at least `role`.
pub async fn require_user(role: Role) -> Result<(AppState, UserRecord, Role), AppError> {
    let state = AppState::current()?;
    let session = leptos_axum::extract::<Session>().await.map_err(internal)?;
    let user = session_user(&state, &session)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let user_role = Role::parse(&user.role).unwrap_or(Role::Viewer);
    if user_role < role {
        return Err(AppError::Forbidden);
    }
    Ok((state, user, user_role))
}

/// The session's key for the sandbox the person works in.
pub const SANDBOX_KEY: &str = "sandbox_id";

/// The sandbox the current person works in: the one they switched to (if still theirs), else
/// the configured default sandbox of their organization, else its first sandbox.
pub async fn current_sandbox(state: &AppState, user: &UserRecord) -> Result<SandboxRef, AppError> {
    let session = leptos_axum::extract::<Session>().await.map_err(internal)?;
    sandbox_of_session(state, user, &session).await
}

/// `current_sandbox` for a plain axum handler, which has the session itself.
pub async fn sandbox_of_session(
    state: &AppState,
    user: &UserRecord,
    session: &Session,
) -> Result<SandboxRef, AppError> {
    let chosen: Option<Uuid> = session.get(SANDBOX_KEY).await.map_err(internal)?;
    let sandboxes = state
        .store
        .list_sandboxes(user.organization_id)
        .await
        .map_err(internal)?;
    let pick = |id: Uuid| sandboxes.iter().find(|s| s.id == id).cloned();
    chosen
        .and_then(pick)
        .or_else(|| pick(state.default_sandbox.id))
        .or_else(|| sandboxes.first().cloned())
        .ok_or_else(|| AppError::NotFound("Your organization has no sandbox.".into()))
}

/// The signed-in user with at least `role`, and the sandbox they work in.
pub async fn require_sandbox_user(
    role: Role,
) -> Result<(AppState, UserRecord, Role, SandboxRef), AppError> {
    let (state, user, role) = require_user(role).await?;
    let sandbox = current_sandbox(&state, &user).await?;
    Ok((state, user, role, sandbox))
}

pub async fn user_view(state: &AppState, user: &UserRecord) -> Result<UserView, AppError> {
    let sandbox = current_sandbox(state, user).await?;
    let sandboxes = state
        .store
        .list_sandboxes(user.organization_id)
        .await
        .map_err(internal)?;
    Ok(UserView {
        email: user.email.clone(),
        role: Role::parse(&user.role).unwrap_or(Role::Viewer),
        ims_org: sandbox.ims_org.clone(),
        sandbox_name: sandbox.name.clone(),
        sandbox_id: sandbox.id.to_string(),
        sandboxes: sandboxes
            .into_iter()
            .map(|s| (s.id.to_string(), s.name))
            .collect(),
    })
}

/// Refuses state-changing requests that a browser marks as coming from another site.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && is_cross_site(request.headers()) {
        return (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
    }
    next.run(request).await
}

fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    match (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        (Some(origin), Some(host)) => {
            let origin = origin.to_str().unwrap_or("");
            let origin_host = origin
                .split_once("://")
                .map(|(_, rest)| rest)
                .unwrap_or("null");
            origin == "null" || !origin_host.eq_ignore_ascii_case(host.to_str().unwrap_or(""))
        }
        (Some(_), None) => true,
        // Non-browser clients send neither header; they are authenticated like anyone else.
        (None, _) => false,
    }
}

/// Sends people without a session to the login page before any admin page renders.
pub async fn require_login_for_pages(
    axum::extract::State(state): axum::extract::State<AppState>,
    session: Session,
    request: Request<Body>,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let protected = path == "/" || path == "/admin" || path.starts_with("/admin/");
    let is_login_page = path == "/login" || path == "/setup";
    if !(protected || is_login_page) || request.method() != Method::GET {
        return next.run(request).await;
    }
    let signed_in = matches!(session_user(&state, &session).await, Ok(Some(_)));
    if protected && !signed_in {
        let target = request
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/");
        let next_param =
            url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>();
        return Redirect::to(&format!("/login?next={next_param}")).into_response();
    }
    if path == "/" || (is_login_page && signed_in) {
        return Redirect::to(crate::model::routes::WEBHOOKS).into_response();
    }
    next.run(request).await
}

/// Only local paths may be the target of a redirect after login.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_string()
        }
        _ => crate::model::routes::WEBHOOKS.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn cross_site_detection() {
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!is_cross_site(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        assert!(is_cross_site(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "app.example")
        ])));
        assert!(!is_cross_site(&headers(&[
            ("origin", "http://app.example:3000"),
            ("host", "app.example:3000")
        ])));
        assert!(is_cross_site(&headers(&[
            ("origin", "null"),
            ("host", "app.example")
        ])));
        assert!(!is_cross_site(&headers(&[("host", "app.example")])));
    }

    #[test]
    fn only_local_paths_are_redirect_targets() {
        assert_eq!(
            safe_next(Some("/admin/channels/feedback-webhooks/new")),
            "/admin/channels/feedback-webhooks/new"
        );
        assert_eq!(
            safe_next(Some("//evil.example")),
            "/admin/channels/feedback-webhooks"
        );
        assert_eq!(
            safe_next(Some("https://evil.example")),
            "/admin/channels/feedback-webhooks"
        );
        assert_eq!(safe_next(None), "/admin/channels/feedback-webhooks");
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), hash.clone()).await);
        assert!(!verify_password("wrong horse battery".into(), hash).await);
    }
}

/// Slows password guessing: after [`MAX_FAILURES`](Self::MAX_FAILURES) failed sign-ins for one
/// email within the window, that email is refused until the window has passed. The failures are
/// counted in the database, so every instance sharing it counts them alike.
pub struct LoginThrottle;

impl LoginThrottle {
    pub const MAX_FAILURES: i64 = 10;
    pub const WINDOW_MS: i64 = 15 * 60 * 1000;
    /// Longest email key counted: longer input is cut, so no sign-in stores more than this.
    const KEY_CHARS: usize = 320;

    /// The key failures are counted under: the trimmed, lower-cased email, cut to a bound.
    pub fn key(email: &str) -> String {
        email
            .trim()
            .to_lowercase()
            .chars()
            .take(Self::KEY_CHARS)
            .collect()
    }

    /// How long an email stays refused, given the failures noted in its window.
    pub fn locked_for(failures: i64, window_started_ms: i64, now_ms: i64) -> Option<Duration> {
        let left = window_started_ms + Self::WINDOW_MS - now_ms;
        (failures >= Self::MAX_FAILURES && left > 0).then(|| Duration::from_millis(left as u64))
    }

    /// `Some(wait)` while the email is refused.
    pub async fn check(state: &AppState, key: &str) -> Result<Option<Duration>, StoreError> {
        Ok(state
            .store
            .login_failures(key)
            .await?
            .and_then(|(failures, started)| Self::locked_for(failures, started, now_ms())))
    }

    pub async fn failed(state: &AppState, key: &str) -> Result<(), StoreError> {
        state
            .store
            .note_login_failure(key, now_ms(), Self::WINDOW_MS)
            .await
    }

    pub async fn succeeded(state: &AppState, key: &str) -> Result<(), StoreError> {
        state.store.clear_login_failures(key).await
    }
}

#[cfg(test)]
mod throttle_tests {
    use super::LoginThrottle;

    #[test]
    fn ten_failures_in_the_window_lock_the_email_until_it_ends() {
        let started = 1_000_000;
        assert_eq!(LoginThrottle::locked_for(9, started, started + 1), None);
        let wait = LoginThrottle::locked_for(10, started, started + 60_000).expect("locked");
        assert_eq!(wait.as_millis() as i64, LoginThrottle::WINDOW_MS - 60_000);
        // The window over, the email may try again.
        let over = started + LoginThrottle::WINDOW_MS;
        assert_eq!(LoginThrottle::locked_for(10, started, over), None);
    }

    #[test]
    fn the_key_ignores_case_and_spaces_and_is_bounded() {
        assert_eq!(LoginThrottle::key("  A@Example.COM "), "a@example.com");
        assert_eq!(LoginThrottle::key(&"a".repeat(10_000)).len(), 320);
    }
}

//! People and sessions: password hashing, the signed-in user, role checks, and the cross-site
//! request guard that Leptos server functions do not do by themselves.

use crate::error::AppError;
use crate::model::message::Message;
use crate::model::user::UserStatus;
use crate::model::{Role, ThrottledKey, UserView};
use crate::server::peer::Peer;
use crate::server::state::AppState;
use crate::server::storage::sessions::{
    session_handle, SessionClient, CLIENT_KEY, MAX_AGENT_CHARS, SEEN_AT_KEY, SIGNED_IN_AT_KEY,
    USER_ID_KEY,
};
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

/// Runs password hashing with a bound on how many run at once. Each argon2 computation holds
/// about 19 MiB and a core for tens of milliseconds, on the blocking pool that also resolves
/// delivery hosts: unbounded, a flood of sign-ins would take the memory and the cores the
/// deliveries need. Callers wait their turn for a while, then are told the server is busy.
#[derive(Clone)]
pub struct HashingGate {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    running: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    wait: Duration,
}

impl HashingGate {
    pub fn new(permits: usize, wait: Duration) -> HashingGate {
        HashingGate {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(permits)),
            running: std::sync::Arc::default(),
            wait,
        }
    }

    /// One hash at a time on a 2-core machine leaves a core to the deliveries; a sign-in
    /// waits at most 10 s for its turn.
    pub fn for_this_machine() -> HashingGate {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        HashingGate::new((cores / 2).max(1), Duration::from_secs(10))
    }

    /// How many hashes run now.
    pub fn running(&self) -> usize {
        self.running.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `work` on the blocking pool once a permit is free.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| server_busy())?
            .map_err(internal)?;
        let running = self.running.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            running.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let result = work();
            running.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            result
        })
        .await
        .map_err(internal)
    }
}

fn server_busy() -> AppError {
    AppError::TooManyAttempts(Message::SignInsBusy)
}

/// Hashes with argon2id off the async threads: a hash takes tens of milliseconds on purpose.
pub async fn hash_password(gate: &HashingGate, password: String) -> Result<String, AppError> {
    gate.run(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await?
    .map_err(|error| {
        tracing::error!(%error, "password hashing failed");
        AppError::Internal
    })
}

/// Whether `password` matches `hash`; an error only when the server is too busy to check.
/// With no hash (no such account) it checks against a dummy hash, so a sign-in takes as long
/// whether or not the account exists.
pub async fn verify_password(
    gate: &HashingGate,
    password: String,
    hash: Option<String>,
) -> Result<bool, AppError> {
    gate.run(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy_hash().to_string());
        let matches = PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        known && matches
    })
    .await
}

/// A hash of a random password, made once (on the blocking pool, by the first sign-in).
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(Uuid::new_v4().to_string().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

/// Creates a user of the default organization; an email already taken is refused.
pub async fn create_user(
    state: &AppState,
    email: &str,
    password: String,
    role: Role,
) -> Result<UserRecord, AppError> {
    let password_hash = hash_password(&state.password_hashing, password).await?;
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
            StoreError::Duplicate(_) => AppError::BadRequest(Message::AccountExists),
            other => internal(other),
        })
}

/// Creates the first user, an administrator, unless a user exists by then (another setup, or
/// another instance, came first): `None`. Atomic in the database, across instances too, and
/// written in the audit log as done by `actor` (the person at the setup link, or the system for
/// the configuration's administrator).
pub async fn create_administrator_if_none(
    state: &AppState,
    actor: &crate::server::audit::Actor,
    email: &str,
    password: String,
) -> Result<Option<UserRecord>, AppError> {
    use crate::server::audit::{entry, user_fields, Object};
    let password_hash = hash_password(&state.password_hashing, password).await?;
    let email = email.trim().to_lowercase();
    let organization_id = state.default_sandbox.organization_id;
    let role = Role::Admin.as_str();
    let audit = entry(
        organization_id,
        actor,
        "setup.administrator_created",
        Object {
            kind: "user",
            id: None,
            name: &email,
        },
        &crate::model::audit::diff(None, Some(&user_fields(&email, role, "active"))),
    );
    state
        .store
        .create_first_user(
            NewUser {
                organization_id,
                email,
                password_hash,
                role: role.into(),
            },
            &audit,
        )
        .await
        .map_err(internal)
}

/// A failure of ours, logged: said as such, except the database being away or its disk full,
/// which the person is told (nothing was stored, and trying later may work).
pub fn internal<E: std::fmt::Display + 'static>(error: E) -> AppError {
    tracing::error!(%error, "internal error");
    let error = &error as &dyn std::any::Any;
    if let Some(AppError::Unavailable(message)) = error.downcast_ref::<AppError>() {
        return AppError::Unavailable(message.clone());
    }
    match error.downcast_ref::<StoreError>() {
        Some(store) if store.is_unavailable() => AppError::Unavailable(store.unavailable_message()),
        _ => AppError::Internal,
    }
}

/// Starts a signed-in session under a new id, so an id planted before login is worthless, and
/// notes the sign-in on the user and in the audit log.
pub async fn start_session(
    state: &AppState,
    session: &Session,
    user: &UserRecord,
    client: SessionClient,
) -> Result<(), AppError> {
    session.cycle_id().await.map_err(internal)?;
    let now = now_ms();
    session
        .insert(SIGNED_IN_AT_KEY, now)
        .await
        .map_err(internal)?;
    session.insert(SEEN_AT_KEY, now).await.map_err(internal)?;
    let audit = crate::server::audit::entry(
        user.organization_id,
        &crate::server::audit::Actor::user(user, Some(client.address.clone())),
        "sign_in.succeeded",
        crate::server::audit::Object::user(user),
        &[],
    );
    session.insert(CLIENT_KEY, client).await.map_err(internal)?;
    session
        .insert(USER_ID_KEY, user.id)
        .await
        .map_err(internal)?;
    state
        .store
        .note_sign_in(user.id, now, &audit)
        .await
        .map_err(internal)
}

/// Where a request comes from, as its session keeps it: the client's address and its user
/// agent, cut to [`MAX_AGENT_CHARS`].
pub fn session_client(peer: &Peer, headers: &HeaderMap) -> SessionClient {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(MAX_AGENT_CHARS)
        .collect();
    SessionClient {
        address: peer.address.to_string(),
        agent,
    }
}

/// The handle of the current session (see [`session_handle`]), once it has an id.
pub fn current_handle(session: &Session) -> Option<String> {
    session.id().map(|id| session_handle(&id.to_string()))
}

/// What a signed-in session's times say about it on a new request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionClock {
    /// Past its idle timeout or its lifetime: it ends.
    Over,
    /// Still good, and last noted long enough ago that noting this request is worth a write:
    /// the idle timeout slides without a write on every request.
    Note,
    Fresh,
}

impl SessionClock {
    /// Judges a session signed in at `signed_in_at_ms` and last noted at `seen_at_ms`.
    /// Sessions without the times (made before they were kept) are over.
    pub fn judge(
        signed_in_at_ms: Option<i64>,
        seen_at_ms: Option<i64>,
        now_ms: i64,
        idle: Duration,
        lifetime: Duration,
    ) -> SessionClock {
        let (Some(signed_in), Some(seen)) = (signed_in_at_ms, seen_at_ms) else {
            return SessionClock::Over;
        };
        let idle_ms = idle.as_millis() as i64;
        if now_ms - signed_in >= lifetime.as_millis() as i64 || now_ms - seen >= idle_ms {
            return SessionClock::Over;
        }
        // At most one write a minute, or ten per idle period when that is shorter.
        if now_ms - seen >= (idle_ms / 10).min(60_000) {
            SessionClock::Note
        } else {
            SessionClock::Fresh
        }
    }
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
    let now = now_ms();
    let clock = SessionClock::judge(
        session.get(SIGNED_IN_AT_KEY).await.map_err(internal)?,
        session.get(SEEN_AT_KEY).await.map_err(internal)?,
        now,
        state.config.session_idle,
        state.config.session_lifetime,
    );
    match clock {
        SessionClock::Over => {
            session.flush().await.map_err(internal)?;
            return Ok(None);
        }
        // Saved with the request's answer, with its idle expiry pushed on.
        SessionClock::Note => session.insert(SEEN_AT_KEY, now).await.map_err(internal)?,
        SessionClock::Fresh => {}
    }
    let user = state.store.user_by_id(user_id).await.map_err(internal)?;
    // Disabling or removing a user deletes their sessions; this covers a session read just
    // before, and any record the change did not reach.
    match user.filter(|user| user.status == UserStatus::Active.as_str()) {
        Some(user) => Ok(Some(user)),
        None => {
            session.flush().await.map_err(internal)?;
            Ok(None)
        }
    }
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
        .ok_or(AppError::NotFound(Message::NoSandbox))
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

/// Sends people without a session to the login page before any admin page renders, and
/// chooses the language every page is rendered in (`PageLanguage`, read by the app): the
/// signed-in person's saved choice where the page looks them up anyway, else the browser's.
pub async fn require_login_for_pages(
    axum::extract::State(state): axum::extract::State<AppState>,
    session: Session,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let path = request.uri().path();
    let protected = path == "/" || path == "/admin" || path.starts_with("/admin/");
    let is_login_page = path == "/login" || path == "/setup";
    let user = if protected || is_login_page {
        session_user(&state, &session).await.ok().flatten()
    } else {
        None
    };
    let signed_in = user.is_some();
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
    let language = crate::server::language::of_request(user.as_ref(), request.headers());
    request
        .extensions_mut()
        .insert(crate::i18n::language::PageLanguage(language));
    next.run(request).await
}

/// Only same-origin paths may be the target of a redirect after login. A browser drops tabs
/// and newlines from a URL and reads `\` as `/`, so `/\t/evil.example` would leave the site:
/// only visible ASCII without backslashes is kept, and the path must stay on this origin when
/// resolved the way a browser resolves it.
pub fn safe_next(next: Option<&str>) -> String {
    const BASE: &str = "http://this-origin.invalid/";
    let same_origin = |path: &str| {
        let base = url::Url::parse(BASE).ok()?;
        let resolved = base.join(path).ok()?;
        (resolved.origin() == base.origin()).then_some(())
    };
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && path.len() <= 2048
                && path.chars().all(|c| c.is_ascii_graphic() && c != '\\')
                && same_origin(path).is_some() =>
        {
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

    #[test]
    fn the_usual_open_redirect_bypasses_stay_on_the_site() {
        let home = "/admin/channels/feedback-webhooks";
        for bypass in [
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/ /evil.example",
            "\t//evil.example",
            "https://evil.example",
            "https:evil.example",
            "javascript:alert(1)",
            "data:text/html,hi",
            "/\u{3000}/evil.example",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(bypass)), home, "{bypass:?}");
        }
        let long = format!("/{}", "a".repeat(3000));
        assert_eq!(safe_next(Some(&long)), home);
        // Encoded slashes and dots stay a path on this site.
        for local in [
            "/%2F%2Fevil.example",
            "/admin/channels/feedback-webhooks?next=//evil.example",
            "/admin/../admin/deliveries",
        ] {
            assert_eq!(safe_next(Some(local)), local);
        }
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_hash() {
        let gate = HashingGate::for_this_machine();
        let hash = hash_password(&gate, "correct horse battery".into())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify_password(&gate, "correct horse battery".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify_password(&gate, "wrong horse battery".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(
            !verify_password(&gate, "correct horse battery".into(), None)
                .await
                .unwrap()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_hashing_gate_runs_no_more_than_its_permits_at_once() {
        let gate = HashingGate::new(2, Duration::from_secs(30));
        static PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (gate, watched) = (gate.clone(), gate.clone());
                tokio::spawn(async move {
                    gate.run(move || {
                        PEAK.fetch_max(watched.running(), std::sync::atomic::Ordering::Relaxed);
                        std::thread::sleep(Duration::from_millis(30));
                    })
                    .await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(PEAK.load(std::sync::atomic::Ordering::Relaxed), 2);
        assert_eq!(gate.running(), 0);
    }

    #[tokio::test]
    async fn a_caller_who_waits_too_long_for_the_gate_is_told_the_server_is_busy() {
        let gate = HashingGate::new(1, Duration::from_millis(50));
        let slow = {
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.run(|| std::thread::sleep(Duration::from_millis(500)))
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let refused = gate.run(|| ()).await.unwrap_err();
        assert!(
            matches!(refused, AppError::TooManyAttempts(_)),
            "{refused:?}"
        );
        slow.await.unwrap().unwrap();
    }
}

/// Slows password guessing. Attempts are counted, before the password is checked, under two
/// keys: the account from the client's address (at most
/// [`PER_ACCOUNT_FROM_ADDRESS`](Self::PER_ACCOUNT_FROM_ADDRESS) per window), so guesses at
/// one account are slowed without locking its owner out from anywhere else; and the address
/// alone (at most [`PER_ADDRESS`](Self::PER_ADDRESS)), so one address cannot spray guesses
/// over many accounts. A sign-in that succeeds takes its attempts back. The counts live in
/// the database, so every instance sharing it counts alike, and one statement counts and
/// answers, so parallel guesses cannot slip past a check made before they were counted.
pub struct LoginThrottle;

/// Why a sign-in was refused before its password was checked, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginRefusal {
    pub key: ThrottledKey,
    pub wait: Duration,
}

impl LoginRefusal {
    pub fn minutes(self) -> u64 {
        self.wait.as_secs().div_ceil(60)
    }

    pub fn message(self) -> Message {
        Message::TooManySignIns {
            counted: self.key,
            minutes: self.minutes(),
        }
    }
}

impl LoginThrottle {
    pub const PER_ACCOUNT_FROM_ADDRESS: i64 = 10;
    pub const PER_ADDRESS: i64 = 100;
    pub const WINDOW_MS: i64 = 15 * 60 * 1000;

    pub fn address_key(peer: &Peer) -> String {
        format!("address {}", peer.throttle_key())
    }

    /// The trimmed, lower-cased email (already bounded by `sign_in_problem`) from an address.
    pub fn account_key(email: &str, peer: &Peer) -> String {
        format!(
            "account {} {}",
            peer.throttle_key(),
            email.trim().to_lowercase()
        )
    }

    /// How long a key stays refused, given the attempts counted in its window (this one
    /// included) against its limit.
    pub fn refused_for(
        attempts: i64,
        limit: i64,
        window_started_ms: i64,
        now_ms: i64,
    ) -> Option<Duration> {
        // A parallel attempt may have started the window a moment after this one's `now`.
        let left = (window_started_ms + Self::WINDOW_MS - now_ms).min(Self::WINDOW_MS);
        (attempts > limit && left > 0).then(|| Duration::from_millis(left as u64))
    }

    /// Counts one attempt to sign in as `email` from `peer`; `Err` when it may not be tried.
    pub async fn admit(
        state: &AppState,
        email: &str,
        peer: &Peer,
    ) -> Result<Result<(), LoginRefusal>, StoreError> {
        let now = now_ms();
        let (attempts, started) = state
            .store
            .count_login_attempt(&Self::address_key(peer), now, Self::WINDOW_MS)
            .await?;
        if let Some(wait) = Self::refused_for(attempts, Self::PER_ADDRESS, started, now) {
            return Ok(Err(LoginRefusal {
                key: ThrottledKey::Address,
                wait,
            }));
        }
        let (attempts, started) = state
            .store
            .count_login_attempt(&Self::account_key(email, peer), now, Self::WINDOW_MS)
            .await?;
        Ok(
            match Self::refused_for(attempts, Self::PER_ACCOUNT_FROM_ADDRESS, started, now) {
                Some(wait) => Err(LoginRefusal {
                    key: ThrottledKey::Account,
                    wait,
                }),
                None => Ok(()),
            },
        )
    }

    pub async fn succeeded(state: &AppState, email: &str, peer: &Peer) -> Result<(), StoreError> {
        state
            .store
            .clear_login_attempts(&Self::account_key(email, peer))
            .await?;
        state
            .store
            .forgive_login_attempt(&Self::address_key(peer))
            .await
    }
}

#[cfg(test)]
mod session_clock_tests {
    use super::SessionClock;
    use std::time::Duration;

    const IDLE: Duration = Duration::from_secs(12 * 3600);
    const LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

    fn judge(signed_in: i64, seen: i64, now: i64) -> SessionClock {
        SessionClock::judge(Some(signed_in), Some(seen), now, IDLE, LIFETIME)
    }

    #[test]
    fn a_session_ends_when_idle_or_too_old_however_active() {
        let hour = 3_600_000;
        assert_eq!(judge(0, 0, 30_000), SessionClock::Fresh);
        assert_eq!(judge(0, 0, 60_000), SessionClock::Note);
        assert_eq!(judge(0, 0, 12 * hour), SessionClock::Over);
        // Active all along, but signed in a week ago.
        let week = 7 * 24 * hour;
        assert_eq!(judge(0, week - 1000, week - 1), SessionClock::Fresh);
        assert_eq!(judge(0, week - 1000, week), SessionClock::Over);
        assert_eq!(
            SessionClock::judge(None, Some(0), 1, IDLE, LIFETIME),
            SessionClock::Over
        );
    }

    #[test]
    fn a_short_idle_timeout_is_noted_often_enough_to_slide() {
        let idle = Duration::from_secs(2);
        let judge = |seen, now| SessionClock::judge(Some(0), Some(seen), now, idle, LIFETIME);
        assert_eq!(judge(0, 199), SessionClock::Fresh);
        assert_eq!(judge(0, 200), SessionClock::Note);
        assert_eq!(judge(0, 2_000), SessionClock::Over);
    }
}

#[cfg(test)]
mod throttle_tests {
    use super::{LoginRefusal, LoginThrottle, Peer, ThrottledKey};
    use std::time::Duration;

    #[test]
    fn the_attempt_over_the_limit_is_refused_until_the_window_ends() {
        let started = 1_000_000;
        let limit = LoginThrottle::PER_ACCOUNT_FROM_ADDRESS;
        assert_eq!(
            LoginThrottle::refused_for(limit, limit, started, started + 1),
            None
        );
        let wait = LoginThrottle::refused_for(limit + 1, limit, started, started + 60_000)
            .expect("refused");
        assert_eq!(wait.as_millis() as i64, LoginThrottle::WINDOW_MS - 60_000);
        // A window started by a parallel attempt just after this one's clock reading.
        let early = LoginThrottle::refused_for(limit + 1, limit, started, started - 5).unwrap();
        assert_eq!(early.as_millis() as i64, LoginThrottle::WINDOW_MS);
        // The window over, the key may try again.
        let over = started + LoginThrottle::WINDOW_MS;
        assert_eq!(
            LoginThrottle::refused_for(limit + 5, limit, started, over),
            None
        );
    }

    #[test]
    fn keys_ignore_case_and_spaces_and_tell_addresses_apart() {
        let here = Peer {
            address: "198.51.100.7".parse().unwrap(),
            https: false,
        };
        let elsewhere = Peer {
            address: "203.0.113.9".parse().unwrap(),
            https: false,
        };
        assert_eq!(
            LoginThrottle::account_key("  A@Example.COM ", &here),
            "account 198.51.100.7 a@example.com"
        );
        assert_ne!(
            LoginThrottle::account_key("a@example.com", &here),
            LoginThrottle::account_key("a@example.com", &elsewhere)
        );
        assert_eq!(LoginThrottle::address_key(&here), "address 198.51.100.7");
    }

    #[test]
    fn a_refusal_rounds_its_wait_up_to_whole_minutes() {
        let refusal = LoginRefusal {
            key: ThrottledKey::Account,
            wait: Duration::from_secs(14 * 60 + 1),
        };
        assert_eq!(refusal.minutes(), 15);
        assert!(refusal.message().to_string().contains("15 minutes"));
    }
}

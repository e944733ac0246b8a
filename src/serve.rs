//! The composition root: opens storage, builds the delivery engine, the outcome dispatcher and
//! the router (request guards, sessions, Leptos pages, server functions, REST and execution
//! APIs). The only room that imports `api` and `app`: it sits on top of all the others.

use crate::app::{shell, Pages};
use crate::model::email_problem_or_password;
use crate::server::auth::{
    create_administrator_if_none, refuse_cross_site, require_login_for_pages,
};
use crate::server::config::Config;
use crate::server::config::RotateKeyArgs;
use crate::server::crypto::{KeyOrigin, SecretBox};
use crate::server::delivery::client::{extra_roots, DeliveryClient, Timeouts};
use crate::server::delivery::worker::{DeliveryEngine, EngineSettings};
use crate::server::keys::{check_at_start, pending_key_file, KeyProblem};
use crate::server::provider::OutcomeDispatcher;
use crate::server::state::{AppState, SharedState};
use crate::server::storage::sessions::Sessions;
use crate::server::storage::Wakeup;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::{middleware, Router};
use leptos::config::{Env, LeptosOptions};
use leptos_axum::{generate_route_list, LeptosRoutes};
use rand::RngCore;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_sessions::cookie::{time::Duration as CookieDuration, SameSite};
use tower_sessions::{Expiry, SessionManagerLayer};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database {url}: {source}")]
    Database { url: String, source: sqlx::Error },
    #[error("encryption key: {0}")]
    Key(#[from] crate::server::crypto::KeyError),
    #[error("this database keeps no key file beside it: set --encryption-key (FW_ENCRYPTION_KEY)")]
    KeyRequired,
    #[error("first administrator: {0}")]
    Admin(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Keys(#[from] KeyProblem),
    #[error("a new key is needed: set --new-key (FW_NEW_ENCRYPTION_KEY)")]
    NewKeyRequired,
    #[error("{0}")]
    Storage(String),
    #[error("extra CA file {file}: {reason}")]
    ExtraCa { file: String, reason: String },
}

/// A server listening on its address, stopped when dropped (at once) or by `stop` (gently).
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    /// The supervisors of the delivery engine's loops and the outcome dispatcher (by role),
    /// the wake-ups router and the cleaning loops.
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    /// Stops gently, within the shutdown grace: no new connections; requests already received
    /// and deliveries already being sent finish; every finished attempt is recorded; what was
    /// claimed and not sent is due again at once. What still runs after the grace is cut:
    /// those deliveries are sent again after a restart, and outcomes not yet marked emitted
    /// are emitted again.
    pub async fn stop(mut self) {
        let grace = self.state.config.shutdown_grace;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let (task, state) = (&mut self.task, &self.state);
        let serving = async {
            if tokio::time::timeout(grace, &mut *task).await.is_err() {
                tracing::warn!(
                    grace_ms = grace.as_millis() as u64,
                    "requests still running at the end of the shutdown grace period were cut"
                );
                task.abort();
            }
        };
        let delivering = async {
            if state.config.role.delivers() {
                let released = state.delivery.stop(grace).await;
                tracing::info!(released, "delivery stopped");
            }
        };
        tokio::join!(serving, delivering);
        self.background.iter().for_each(|task| task.abort());
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.task.abort();
        self.background.iter().for_each(|task| task.abort());
    }
}

/// Opens storage, prepares the first administrator, binds and serves in the background.
pub async fn start(config: Config) -> Result<RunningServer, StartError> {
    let (opened, key_file) = open_storage(&config.database_url, &config.encryption_key).await?;
    let (secrets, origin) = match (&config.encryption_key, &key_file) {
        (Some(key), _) => (SecretBox::from_base64(key)?, KeyOrigin::Given),
        (None, Some(file)) => SecretBox::from_key_file(file)?,
        (None, None) => return Err(StartError::KeyRequired),
    };
    let secrets =
        check_at_start(opened.store.as_ref(), secrets, origin, key_file.as_deref()).await?;
    let (store, sessions, wakeups) = (opened.store, opened.sessions, opened.wakeups);
    let sandbox = store
        .ensure_sandbox(&config.ims_org, &config.sandbox)
        .await
        .map_err(|error| StartError::Storage(error.to_string()))?;

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: config.listen,
        source,
    })?;

    let extra_roots = match &config.extra_ca_file {
        Some(file) => extra_roots(file).map_err(|reason| StartError::ExtraCa {
            file: file.display().to_string(),
            reason,
        })?,
        None => Vec::new(),
    };
    let client = DeliveryClient::new(
        config.allow_private_targets.clone(),
        Timeouts::default(),
        concat!("feedback-webhooks/", env!("CARGO_PKG_VERSION")),
        extra_roots,
    );
    let settings = EngineSettings {
        schedule: config.retry_schedule.clone(),
        lease: config.delivery_lease,
        per_webhook_limit: config.per_webhook_concurrency,
        disable_after_failing: config.disable_after_failing,
        expire_waiting_after: config.expire_waiting_after,
        retention: config.retention,
        poll: config.poll_interval,
        sends_here: config.role.delivers(),
    };
    let metrics = Arc::new(crate::server::metrics::Metrics::new());
    let delivery = DeliveryEngine::new(
        store.clone(),
        client,
        settings,
        secrets.clone(),
        metrics.clone(),
    );
    let provider = Arc::new(crate::server::provider::SimulatedProvider {
        delay: config.provider_delay,
    });
    let outcomes = crate::server::provider::OutcomeDispatcher::new(
        store.clone(),
        delivery.clone(),
        config.poll_interval,
    );
    let executions = {
        let (store, outcomes, delivery) = (store.clone(), outcomes.clone(), delivery.clone());
        crate::server::group_commit::GroupCommit::start(
            move |batch: &[crate::server::storage::NewExecution]| {
                let store = store.clone();
                let (outcomes, delivery) = (outcomes.clone(), delivery.clone());
                Box::pin(async move {
                    let planned = || {
                        batch
                            .iter()
                            .flat_map(|execution| &execution.messages)
                            .flat_map(|message| &message.outcomes)
                    };
                    // The deliveries of outcomes due at once: sent by this instance when it
                    // has room, otherwise claimed (the claim loop is woken for them).
                    let routed = planned().filter_map(|outcome| {
                        let (event, webhooks) = outcome.emit_now.as_ref()?;
                        Some((event, webhooks.as_slice()))
                    });
                    let stored = delivery
                        .commit_handing_off(routed, "executions", batch.len(), async |handoff| {
                            store.store_executions(batch, handoff).await
                        })
                        .await?;
                    // The dispatcher is woken only for an outcome due before it planned to look.
                    if let Some(due) = planned()
                        .filter(|outcome| outcome.emit_now.is_none())
                        .map(|outcome| outcome.due_at_ms)
                        .min()
                    {
                        outcomes.stored_due_at(due);
                    }
                    Ok(stored.into_iter().map(Ok).collect())
                })
            },
        )
    };
    let state = AppState::new(SharedState {
        leptos_options: leptos_options(&config, addr),
        config: Arc::new(config),
        store,
        secrets,
        default_sandbox: Arc::new(sandbox),
        setup_link: Arc::new(Mutex::new(None)),
        delivery: delivery.clone(),
        provider,
        outcomes: outcomes.clone(),
        executions,
        password_hashing: crate::server::auth::HashingGate::for_this_machine(),
        metrics,
        background: Arc::default(),
    });
    prepare_first_admin(&state, addr).await?;

    // Each task is started again should it panic or end (see server/supervisor.rs). The
    // wake-ups router runs in every role: it also keeps the channel over which the store
    // learns that another instance changed what the execution API keeps in memory.
    let tasks = state.background.clone();
    let wakeups = Arc::new(tokio::sync::Mutex::new(wakeups));
    let mut background = vec![{
        let (delivery, outcomes) = (delivery.clone(), outcomes.clone());
        tasks.supervise("wake-ups", move || {
            route_wakeups(wakeups.clone(), delivery.clone(), outcomes.clone())
        })
    }];
    let role = state.config.role;
    if role.delivers() {
        let engine = delivery.clone();
        background.push(tasks.supervise("claim loop", move || engine.clone().run()));
        let engine = delivery.clone();
        background.push(tasks.supervise("recorder", move || engine.clone().record()));
        let engine = delivery.clone();
        background.push(tasks.supervise("maintenance", move || engine.clone().maintain()));
        let dispatcher = outcomes.clone();
        background.push(tasks.supervise("outcome dispatcher", move || dispatcher.clone().run()));
    }
    if role.serves_pages_and_apis() {
        let every = state
            .config
            .session_idle
            .min(std::time::Duration::from_secs(600));
        let store = sessions.clone();
        background.push(tasks.supervise("session cleaning", move || {
            delete_expired_sessions(store.clone(), every)
        }));
        let app = state.clone();
        background.push(tasks.supervise("audit log pruning", move || prune_audit_log(app.clone())));
    }
    let app = if role.serves_pages_and_apis() {
        router(state.clone(), sessions)
    } else {
        crate::api::health::routes()
            .merge(crate::api::metrics::routes_behind_token(&state.config))
            .layer(middleware::from_fn_with_state(
                state.metrics.clone(),
                crate::server::metrics::count_requests,
            ))
            .with_state(state.clone())
    };
    if let Some(metrics_addr) = state.config.metrics_listen {
        let listener = tokio::net::TcpListener::bind(metrics_addr)
            .await
            .map_err(|source| StartError::Listen {
                addr: metrics_addr,
                source,
            })?;
        let metrics_app = crate::api::metrics::routes().with_state(state.clone());
        // Stopped with the other background tasks.
        background.push(tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, metrics_app).await {
                tracing::error!(%error, "the metrics listener stopped");
            }
        }));
        tracing::info!("metrics on http://{metrics_addr}/metrics");
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        // Without TCP_NODELAY a streamed page's last small chunk waits for the peer's delayed
        // ACK (40 ms on Linux).
        let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, "TCP_NODELAY not set");
            }
        });
        // The TCP peer's address counts sign-in attempts (see server/peer.rs).
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(error) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(%error, "server stopped");
        }
    });
    tracing::info!(role = ?role, "listening on http://{addr}");
    Ok(RunningServer {
        addr,
        state,
        stop: Some(stop),
        task,
        background,
    })
}

/// The storage at `url`, and the key file that holds its key when no key is given.
async fn open_storage(
    url: &str,
    encryption_key: &Option<String>,
) -> Result<(crate::server::storage::Opened, Option<std::path::PathBuf>), StartError> {
    let opened =
        crate::server::storage::open(url)
            .await
            .map_err(|source| StartError::Database {
                url: without_password(url),
                source,
            })?;
    let key_file = encryption_key
        .is_none()
        .then(|| opened.key_file.clone())
        .flatten();
    Ok((opened, key_file))
}

/// `rotate-key`: every stored secret sealed under a new key, all or none; what to tell the
/// operator. With a key file, the new key is written beside it first and renamed over it once
/// the database holds the new seals (a start after a crash in between finishes the rename).
pub async fn rotate_key(args: RotateKeyArgs) -> Result<String, StartError> {
    let (opened, key_file) = open_storage(&args.database_url, &args.encryption_key).await?;
    let (current, current_text) = match (&args.encryption_key, &key_file) {
        (Some(key), _) => (SecretBox::from_base64(key)?, key.trim().to_string()),
        (None, Some(file)) if file.exists() => {
            let text = std::fs::read_to_string(file).map_err(|source| KeyProblem::File {
                path: file.display().to_string(),
                source,
            })?;
            (SecretBox::from_base64(&text)?, text.trim().to_string())
        }
        _ => return Err(StartError::KeyRequired),
    };
    let store = opened.store.as_ref();
    let current = check_at_start(store, current, KeyOrigin::Given, key_file.as_deref()).await?;
    let new_text = match (&args.new_key, &key_file) {
        (Some(key), _) => key.trim().to_string(),
        (None, Some(_)) => SecretBox::generate_key(),
        (None, None) => return Err(StartError::NewKeyRequired),
    };
    if new_text == current_text {
        return Err(KeyProblem::SameKey.into());
    }
    let new = SecretBox::from_base64(&new_text)?;
    match key_file {
        Some(file) => {
            let pending = pending_key_file(&file);
            let file_problem = |source| KeyProblem::File {
                path: pending.display().to_string(),
                source,
            };
            // A pending key of a rotation whose database write never happened is stale.
            let _ = std::fs::remove_file(&pending);
            crate::server::crypto::write_key_file(&pending, &new_text).map_err(file_problem)?;
            let count = crate::server::keys::rotate(store, &current, &new).await?;
            std::fs::rename(&pending, &file).map_err(file_problem)?;
            Ok(format!(
                "Sealed {count} secrets under a new key, now in {}. Back it up with the database.",
                file.display()
            ))
        }
        None => {
            let count = crate::server::keys::rotate(store, &current, &new).await?;
            Ok(format!(
                "Sealed {count} secrets under the new key. Start the server with it \
                 (--encryption-key or FW_ENCRYPTION_KEY): the old key opens none of them now."
            ))
        }
    }
}

/// `backup`: a consistent copy of the SQLite database, taken while the server runs; what to
/// tell the operator.
pub async fn backup(args: crate::server::config::BackupArgs) -> Result<String, StartError> {
    let size = crate::server::storage::backup(&args.database_url, &args.to)
        .await
        .map_err(|error| StartError::Storage(error.to_string()))?;
    Ok(format!(
        "Backed up {} to {} ({size} bytes). The encryption key is not in it: keep the key \
         (encryption.key beside the database, or FW_ENCRYPTION_KEY) with the backup, apart \
         from it.",
        without_password(&args.database_url),
        args.to.display()
    ))
}

/// Ended sessions stay in the store until deleted: every `every`, the expired ones go.
async fn delete_expired_sessions(sessions: Sessions, every: std::time::Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = sessions.delete_expired().await {
            tracing::warn!(%error, "deleting expired sessions failed; trying again later");
        }
    }
}

/// Audit entries older than `--audit-retention` go: every 10 minutes, 500 at a time until none
/// is left (one short batch each pass).
async fn prune_audit_log(state: AppState) {
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(600));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        loop {
            match crate::server::audit::prune(&state, state.config.audit_retention).await {
                Ok(500..) => continue,
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(%error, "pruning the audit log failed; trying again later");
                    break;
                }
            }
        }
    }
}

/// Hands what other instances made due to this one's workers and dispatcher.
async fn route_wakeups(
    wakeups: Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<Wakeup>>>,
    delivery: DeliveryEngine,
    outcomes: Arc<OutcomeDispatcher>,
) {
    let mut wakeups = wakeups.lock().await;
    while let Some(wakeup) = wakeups.recv().await {
        match wakeup {
            Wakeup::Deliveries => delivery.wake(),
            Wakeup::OutcomeDue(at_ms) => outcomes.stored_due_at(at_ms),
            Wakeup::Everything => {
                delivery.wake();
                outcomes.stored_due_at(i64::MIN);
            }
        }
    }
    // The backend has no other instance to hear from: nothing more will come.
    std::future::pending::<()>().await
}

fn leptos_options(config: &Config, addr: SocketAddr) -> LeptosOptions {
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("PROD") | Ok("prod") | Ok("production") => Env::PROD,
        _ => Env::DEV,
    };
    let hash_file = crate::server::assets::hash_file(&config.site_root);
    LeptosOptions::builder()
        .output_name(
            std::env::var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|_| "feedback-webhooks".into()),
        )
        .site_root(config.site_root.clone())
        .site_pkg_dir(std::env::var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|_| "pkg".into()))
        .site_addr(addr)
        .env(env)
        // Where the release build names its files by their content (see server/assets.rs).
        .hash_files(hash_file.is_some())
        .hash_file(
            hash_file
                .map(|file| file.to_string_lossy().into())
                .unwrap_or_else(|| crate::server::assets::HASH_FILE.into()),
        )
        .build()
}

/// The database URL as it may be printed: a password in it is masked.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// With no user yet: the administrator from the environment, or a one-time setup link.
async fn prepare_first_admin(state: &AppState, addr: SocketAddr) -> Result<(), StartError> {
    let users = state
        .store
        .user_count()
        .await
        .map_err(|error| StartError::Storage(error.to_string()))?;
    if users > 0 {
        return Ok(());
    }
    match (&state.config.admin_email, &state.config.admin_password) {
        (Some(email), Some(password)) => {
            if let Some(problem) = email_problem_or_password(email, password) {
                return Err(StartError::Admin(problem));
            }
            // Instances started together on a new database race to create it; one wins.
            let system = crate::server::audit::Actor::system();
            match create_administrator_if_none(state, &system, email, password.clone()).await {
                Ok(Some(_)) => {
                    tracing::info!(email = %email.trim().to_lowercase(), "created the first administrator")
                }
                Ok(None) => {}
                Err(error) => return Err(StartError::Admin(error.to_string())),
            }
        }
        _ => {
            let mut bytes = [0u8; 24];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let token = crate::server::crypto::hex(&bytes);
            // Printed on stdout on purpose: this link is how the first person gets in.
            println!("No administrator yet. Create one at: http://{addr}/setup?token={token}");
            let expires_at_ms = crate::server::storage::now_ms()
                + state.config.setup_link_expiry.as_millis() as i64;
            *state.setup_link.lock().expect("setup link lock") =
                Some(crate::server::state::SetupToken {
                    token,
                    expires_at_ms,
                });
        }
    }
    Ok(())
}

/// The largest request body accepted anywhere: 20 recipients with all their data fit.
pub const MAX_REQUEST_BODY_BYTES: usize = 2 * 1024 * 1024;

pub fn router(state: AppState, sessions: Sessions) -> Router {
    // The session cookie is `Secure` and `__Host-` prefixed for browsers that came over https
    // (a `Secure` cookie set over plain http would never come back): the pages are built twice,
    // once per cookie, and each request goes to the one that fits how it arrived.
    let plain = pages(
        &state,
        session_layer(&state.config, sessions.clone(), false),
    );
    let secure = pages(&state, session_layer(&state.config, sessions, true));
    let config = state.config.clone();
    let pages = tower::service_fn(move |request: axum::extract::Request| {
        let pages = if crate::server::headers::served_over_https(&config, &request) {
            secure.clone()
        } else {
            plain.clone()
        };
        tower::ServiceExt::oneshot(pages, request)
    });
    // No request may hang a connection: pages and server functions answer well within this.
    let timeout = || {
        TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            std::time::Duration::from_secs(30),
        )
    };
    let nosniff = || {
        SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        )
    };
    // The public API authenticates each call with its credentials: no session, no cookies. The
    // execution call is the hot path and answers a few hundred bytes of JSON, never framed:
    // only the layers that matter to it.
    let executions = crate::api::executions::routes()
        .layer(timeout())
        .layer(nosniff());
    let rest_and_pages = Router::new()
        .merge(crate::api::rest::routes())
        .fallback_service(pages)
        .layer(timeout())
        // A streamed page whose rendering stalls after its first bytes must not hold the
        // connection (and its task) for ever: a body that sends nothing for 30 s is cut.
        .layer(tower_http::timeout::ResponseBodyTimeoutLayer::new(
            std::time::Duration::from_secs(30),
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::server::headers::security_headers,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(nosniff())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // The wasm bundle shrinks to about a third with gzip.
        .layer(CompressionLayer::new());
    Router::new()
        .merge(crate::api::health::routes())
        .merge(crate::api::metrics::routes_behind_token(&state.config))
        .merge(executions)
        .merge(rest_and_pages)
        // Counted by route template (see server/metrics.rs).
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::server::metrics::count_requests,
        ))
        // Every body has one bound, whoever reads it (server functions read theirs without
        // axum's default limit): a larger one is refused with 413 before it is read.
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BODY_BYTES))
        // Outside the bound, which answers before any handler: the public API's every refusal
        // in its one JSON shape.
        .layer(middleware::from_fn(
            crate::api::rest::problems_for_bare_refusals,
        ))
        .with_state(state)
}

/// The session cookie: never readable by scripts nor sent cross-site, and over https only sent
/// back over https, under a name no subdomain or plain-http page can set.
fn session_layer(
    config: &Config,
    sessions: Sessions,
    https: bool,
) -> SessionManagerLayer<Sessions> {
    SessionManagerLayer::new(sessions)
        .with_name(if https {
            "__Host-fw_session"
        } else {
            "fw_session"
        })
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(https)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(CookieDuration::milliseconds(
            config.session_idle.as_millis() as i64,
        )))
}

/// The pages, their server functions and the export, behind sessions and the login check.
fn pages(state: &AppState, sessions: SessionManagerLayer<Sessions>) -> Router {
    let routes = page_routes();
    let options = state.leptos_options.clone();
    Router::new()
        .route(
            crate::model::routes::DELIVERIES_EXPORT,
            axum::routing::get(crate::api::deliveries::export),
        )
        .route(
            crate::model::routes::AUDIT_LOG_EXPORT,
            axum::routing::get(crate::api::audit::export),
        )
        .route(
            crate::model::routes::LANGUAGE,
            axum::routing::post(crate::api::language::choose_language),
        )
        .leptos_routes(state, routes, move || page_shell(options.clone()))
        .fallback(site_file_or_not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_login_for_pages,
        ))
        .layer(middleware::from_fn(refuse_cross_site))
        .layer(sessions)
        .with_state(state.clone())
}

/// The app's routes, listed once per process. Listing them renders the pages with resource
/// loading suppressed by a process-wide flag: a resource first polled on another thread in that
/// moment waits for ever, and so does its page. Listed once, before any router exists, nothing
/// renders meanwhile (the integration tests, which start many servers in one process, hung
/// about one run in four on pages with a resource before).
fn page_routes() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(Pages)).clone()
}

/// A file of the site (the bundle, styles, icon), else the not-found page.
async fn site_file_or_not_found(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let options = state.leptos_options.clone();
    crate::server::assets::serve_or(&options.site_root.clone(), request, |request| {
        // The page alone: the file was looked for already.
        let not_found = leptos_axum::render_app_to_stream_in_order_with_context(
            move || leptos::prelude::provide_context(state.clone()),
            move || page_shell(options.clone()),
        );
        not_found(request)
    })
    .await
}

/// The HTML shell, with this response's script policy.
fn page_shell(options: LeptosOptions) -> impl leptos::IntoView {
    crate::server::headers::announce_page_policy(&options);
    shell(options)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_database_password_is_never_printed() {
        assert_eq!(
            super::without_password("postgres://fw:s3cret@db.internal:5432/fw"),
            "postgres://fw:***@db.internal:5432/fw"
        );
        assert_eq!(
            super::without_password("sqlite://data/feedback-webhooks.db"),
            "sqlite://data/feedback-webhooks.db"
        );
    }
}

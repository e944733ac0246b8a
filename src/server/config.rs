//! Configuration: flags and environment variables, with defaults that run with no setup.

use crate::model::network::{PrivateTargetAllowList, TrustedProxies};
use crate::server::delivery::retry::RetrySchedule;
use clap::Parser;
use std::net::SocketAddr;

/// The database of the server and of its commands when none is named: SQLite in `./data`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/feedback-webhooks.db";

#[derive(Clone, Debug, Parser)]
#[command(
    name = "feedback-webhooks",
    version,
    about = "Feedback webhooks for API-triggered transactional campaigns"
)]
pub struct Config {
    /// Database URL; a SQLite file is created with its folder when missing.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL
    )]
    pub database_url: String,

    /// Address the server listens on.
    #[arg(
        long = "listen",
        env = "LEPTOS_SITE_ADDR",
        default_value = "127.0.0.1:3000"
    )]
    pub listen: SocketAddr,

    /// Serves `GET /metrics` (Prometheus) on the main address to callers that send
    /// `Authorization: Bearer <this token>`. Without it and without `--metrics-listen`, there
    /// are no metrics.
    #[arg(long, env = "FW_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Serves `GET /metrics` on this address of its own (a private interface, say), to anyone
    /// who reaches it unless `--metrics-token` is also set.
    #[arg(long, env = "FW_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Organization (`imsOrg`) created on first start.
    #[arg(long, env = "FW_IMS_ORG", default_value = "default-org")]
    pub ims_org: String,

    /// Sandbox created on first start.
    #[arg(long, env = "FW_SANDBOX", default_value = "prod")]
    pub sandbox: String,

    /// Administrator created at start-up when no user exists (with --admin-password).
    #[arg(long, env = "FW_ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    #[arg(long, env = "FW_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Key that encrypts secrets at rest: 32 bytes, base64. Default: a key file beside the SQLite database.
    #[arg(long, env = "FW_ENCRYPTION_KEY", hide_env_values = true)]
    pub encryption_key: Option<String>,

    /// Comma-separated CIDRs that webhooks may target although private (e.g. 127.0.0.1/32).
    /// Plain http:// is accepted only for these.
    #[arg(long, env = "FW_ALLOW_PRIVATE_TARGETS", default_value = "", value_parser = PrivateTargetAllowList::parse)]
    pub allow_private_targets: PrivateTargetAllowList,

    /// Comma-separated CIDRs of the reverse proxies in front of the server: only their
    /// `X-Forwarded-For` and `X-Forwarded-Proto` are believed (the client's address counts
    /// sign-in attempts; https decides the cookie and HSTS). Empty: the TCP peer is the client.
    #[arg(long, env = "FW_TRUSTED_PROXIES", default_value = "", value_parser = TrustedProxies::parse)]
    pub trusted_proxies: TrustedProxies,

    /// Delays between delivery attempts (each gets ±20 % jitter); units ms, s, m, h, d.
    #[arg(long, env = "FW_RETRY_SCHEDULE", default_value = "5s,5m,30m,2h,5h,10h,10h", value_parser = str::parse::<RetrySchedule>)]
    pub retry_schedule: RetrySchedule,

    /// How long a worker owns the deliveries it claimed; a crashed worker's deliveries are sent
    /// again once this has passed. Must exceed the 15 s request timeout.
    #[arg(long, env = "FW_DELIVERY_LEASE", default_value = "60s", value_parser = crate::server::delivery::retry::parse_duration)]
    pub delivery_lease: std::time::Duration,

    /// On SIGTERM: how long requests to endpoints already under way, and page and API requests
    /// already received, may take to finish before the process exits anyway (the service
    /// manager's stop timeout must be longer).
    #[arg(long, env = "FW_SHUTDOWN_GRACE", default_value = "20s", value_parser = crate::server::delivery::retry::parse_duration)]
    pub shutdown_grace: std::time::Duration,

    /// Deliveries in flight at once per webhook, so one slow endpoint cannot starve the others.
    #[arg(long, env = "FW_PER_WEBHOOK_CONCURRENCY", default_value_t = 16)]
    pub per_webhook_concurrency: usize,

    /// A webhook whose every attempt failed for this long is disabled, with the reason shown.
    #[arg(long, env = "FW_DISABLE_AFTER_FAILING", default_value = "5d", value_parser = crate::server::delivery::retry::parse_duration)]
    pub disable_after_failing: std::time::Duration,

    /// Deliveries waiting for a disabled webhook fail (E_EXPIRED) once due for this long.
    #[arg(long, env = "FW_EXPIRE_WAITING_AFTER", default_value = "7d", value_parser = crate::server::delivery::retry::parse_duration)]
    pub expire_waiting_after: std::time::Duration,

    /// Deliveries (with their attempts), feedback events and executions older than this are
    /// removed, in small batches.
    #[arg(long, env = "FW_RETENTION", default_value = "30d", value_parser = crate::server::delivery::retry::parse_duration)]
    pub retention: std::time::Duration,

    /// Audit log entries older than this are removed.
    #[arg(long, env = "FW_AUDIT_RETENTION", default_value = "365d", value_parser = crate::server::delivery::retry::parse_duration)]
    pub audit_retention: std::time::Duration,

    /// How long after `sent` the simulated channel provider reports each message's outcome.
    #[arg(long, env = "FW_PROVIDER_DELAY", default_value = "2s", value_parser = crate::server::delivery::retry::parse_duration)]
    pub provider_delay: std::time::Duration,

    /// How long the first-run setup link (printed when no user exists) stays good; restart
    /// the server for a new one.
    #[arg(long, env = "FW_SETUP_LINK_EXPIRY", default_value = "1h", value_parser = crate::server::delivery::retry::parse_duration)]
    pub setup_link_expiry: std::time::Duration,

    /// How long an invitation or password reset link stays good; a new link for the same user
    /// replaces the old one at once.
    #[arg(long, env = "FW_INVITATION_EXPIRY", default_value = "72h", value_parser = crate::server::delivery::retry::parse_duration)]
    pub invitation_expiry: std::time::Duration,

    /// Mark the session cookie Secure (set it when the server is reached over https).
    #[arg(long, env = "FW_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,

    /// Inactivity after which a session ends.
    #[arg(long, env = "FW_SESSION_IDLE", default_value = "12h", value_parser = crate::server::delivery::retry::parse_duration)]
    pub session_idle: std::time::Duration,

    /// How long a session lasts at most after signing in, however active.
    #[arg(long, env = "FW_SESSION_LIFETIME", default_value = "7d", value_parser = crate::server::delivery::retry::parse_duration)]
    pub session_lifetime: std::time::Duration,

    /// Directory of the compiled site (wasm, CSS, public files).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// What this instance does: `all`, or, for several instances sharing one PostgreSQL,
    /// `web` (the UI and the APIs, nothing delivered) or `worker` (deliveries and provider
    /// outcomes; it serves only /healthz and /readyz).
    #[arg(long, env = "FW_ROLE", value_enum, default_value_t = InstanceRole::All)]
    pub role: InstanceRole,

    /// The longest the delivery workers and the outcome dispatcher sleep without looking for
    /// work: the backstop for work no wake-up told of.
    #[arg(long, env = "FW_POLL_INTERVAL", default_value = "1s", value_parser = crate::server::delivery::retry::parse_duration)]
    pub poll_interval: std::time::Duration,

    /// A PEM file of certificate authorities that webhook endpoints' certificates may chain to
    /// besides the public ones (a company's own CA for its internal endpoints). None by default.
    #[arg(long, env = "FW_EXTRA_CA_FILE")]
    pub extra_ca_file: Option<std::path::PathBuf>,

    /// How long a rotated signing secret keeps signing beside the new one, so receivers can
    /// switch without refusing a delivery.
    #[arg(long, env = "FW_SIGNING_SECRET_OVERLAP", default_value = "24h", value_parser = crate::server::delivery::retry::parse_duration)]
    pub signing_secret_overlap: std::time::Duration,

    /// How log lines are written on standard error: `text` for people, `json` (one object a
    /// line, with its fields) for a log collector. `RUST_LOG` chooses what is written.
    #[arg(long, env = "FW_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// What an instance runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InstanceRole {
    /// The UI, the APIs, the delivery workers and the outcome dispatcher.
    All,
    /// The UI and the APIs.
    Web,
    /// The delivery workers and the outcome dispatcher.
    Worker,
}

impl InstanceRole {
    pub fn serves_pages_and_apis(self) -> bool {
        self != InstanceRole::Worker
    }

    pub fn delivers(self) -> bool {
        self != InstanceRole::Web
    }
}

impl Config {
    /// The configuration of a server that takes its settings from defaults only (for tests).
    pub fn defaults() -> Config {
        Config::parse_from(["feedback-webhooks"])
    }
}

/// `feedback-webhooks rotate-key`: seals every stored secret under a new key. Run it with the
/// server stopped, then start the server with the new key.
#[derive(Clone, Debug, Parser)]
#[command(name = "feedback-webhooks rotate-key")]
pub struct RotateKeyArgs {
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL
    )]
    pub database_url: String,

    /// The current key (default: the key file beside the SQLite database).
    #[arg(long, env = "FW_ENCRYPTION_KEY", hide_env_values = true)]
    pub encryption_key: Option<String>,

    /// The new key, 32 bytes in base64. With a key file it may be left out: a new key is
    /// generated and written to the key file.
    #[arg(long, env = "FW_NEW_ENCRYPTION_KEY", hide_env_values = true)]
    pub new_key: Option<String>,
}

/// `feedback-webhooks backup --to FILE`: a consistent copy of a SQLite database, taken while
/// the server runs. (A PostgreSQL database is backed up with its own tools.)
#[derive(Clone, Debug, Parser)]
#[command(name = "feedback-webhooks backup")]
pub struct BackupArgs {
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL
    )]
    pub database_url: String,

    /// The file to write; it must not exist yet.
    #[arg(long)]
    pub to: std::path::PathBuf,
}

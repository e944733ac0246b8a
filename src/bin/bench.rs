//! Delivery benchmark: a real server on a temporary SQLite database (or, with `--database-url`,
//! a database of its own on a PostgreSQL server), a fast receiver on loopback,
//! events (with the payload of spec §5) ingested through the outbox entry point, and every
//! arrival timed and counted.
//!
//!   cargo run --release --features ssr --bin bench -- --events 20000
//!   cargo run --release --features ssr --bin bench -- --events 20000 --rate 4000
//!
//! With `--api`, events come from `POST /im/executions/unitary` over HTTP instead (one recipient
//! per call, the webhook filtered to `delivered`, so one call is one delivery), and the API's own
//! latency is reported too:
//!
//!   cargo run --release --features ssr --bin bench -- --api --events 10000 --rate 500
//!
//! With `--ui-probe`, a signed-in person keeps opening the webhook list and the delivery history
//! (server-rendered pages, and the list the open page polls) while the load runs, and their
//! latencies are reported: the UI must not queue behind the delivery writer:
//!
//!   cargo run --release --features ssr --bin bench -- --events 50000 --rate 5000 --ui-probe
//!
//! With `--history N`, the database is seeded with N attempts (half as many deliveries, over
//! 29 days, two webhooks) and the deliveries list is timed, first and later pages, with and
//! without filters, through the server function the page calls and the server-rendered page:
//!
//!   cargo run --release --features ssr --bin bench -- --history 1000000
//!
//! With `--instances N` (and `--api --database-url`), the server runs as N processes of its own
//! binary sharing the PostgreSQL database, and the calls are spread over them in turn; CPU and
//! peak memory are then reported per process. `--api --instances 1` runs one server process on
//! SQLite, so the server's own CPU per delivery is told apart from the load generator's:
//!
//!   cargo build --release --features ssr --bins
//!   target/release/bench --api --database-url postgres://postgres@127.0.0.1:5432/postgres --instances 2
//!   target/release/bench --api --instances 1 --events 4000 --rate 400

use axum::body::Bytes;
use axum::extract::State;
use clap::Parser;
use feedback_webhooks::model::feedback::{FeedbackFacts, FeedbackPayload, FeedbackStatus};
use feedback_webhooks::model::Channel;
use feedback_webhooks::serve::start;
use feedback_webhooks::server::config::Config;
use feedback_webhooks::server::storage::{open, NewEvent, SandboxRef, Store, WebhookWrite};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "Measure ingest rate, deliveries per second and ingest-to-arrival latency")]
struct Args {
    /// Events to ingest (one delivery each).
    #[arg(long, default_value_t = 20_000)]
    events: usize,
    /// Events per second to ingest; flat out when absent.
    #[arg(long)]
    rate: Option<u64>,
    /// Concurrent ingest tasks when running flat out, like API calls in flight: each waits for
    /// its event to be durable before sending the next, so fewer tasks mean smaller group commits.
    #[arg(long, default_value_t = 64)]
    ingest_tasks: usize,
    /// Deliveries in flight for the one webhook.
    #[arg(long, default_value_t = 16)]
    per_webhook_concurrency: usize,
    /// Drive the execution API over HTTP instead of the in-process outbox entry point.
    #[arg(long)]
    api: bool,
    /// Seed this many delivery attempts and time the delivery history instead.
    #[arg(long)]
    history: Option<u64>,
    /// Requests per case of the history benchmark.
    #[arg(long, default_value_t = 200)]
    history_requests: usize,
    /// A PostgreSQL server (`postgres://user@host:port/db`) to run on instead of a temporary
    /// SQLite file: the bench creates a database of its own there and drops it afterwards.
    #[arg(long)]
    database_url: Option<String>,
    /// Run the server as this many separate processes sharing `--database-url` (with `--api`),
    /// instead of in the bench's own process.
    #[arg(long)]
    instances: Option<usize>,
    /// While the load runs, time the webhook list and delivery history as a signed-in person
    /// opens them.
    #[arg(long)]
    ui_probe: bool,
}

/// The server: in this process, or as separate processes sharing the database.
enum Servers {
    InProcess(feedback_webhooks::serve::RunningServer),
    Processes(Children),
}

/// Server processes, killed when dropped: after a failure too, none outlives the bench.
struct Children(Vec<std::process::Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Servers {
    /// Starts `count` server processes (the `feedback-webhooks` binary beside this one) on the
    /// database, each on a free port, and waits until each is ready.
    async fn spawn(count: usize, server_args: &[String]) -> (Servers, Vec<std::net::SocketAddr>) {
        let binary = std::env::current_exe()
            .expect("the bench's own path")
            .with_file_name("feedback-webhooks");
        assert!(
            binary.exists(),
            "{} is missing: build it too (cargo build --release --features ssr --bins)",
            binary.display()
        );
        let mut children = Children(Vec::new());
        let mut addresses = Vec::new();
        for _ in 0..count {
            let address = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .expect("a free port");
            let child = std::process::Command::new(&binary)
                .args(
                    server_args
                        .iter()
                        .filter(|arg| !arg.starts_with("--listen=")),
                )
                .arg(format!("--listen={address}"))
                .env("RUST_LOG", "warn")
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("the server binary starts");
            children.0.push(child);
            addresses.push(address);
        }
        for address in &addresses {
            let deadline = Instant::now() + Duration::from_secs(30);
            while !ready(*address).await {
                assert!(
                    Instant::now() < deadline,
                    "the instance on {address} never got ready"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        (Servers::Processes(children), addresses)
    }

    /// CPU seconds and peak memory of each server process, the bench's own when in process.
    fn usage(&self) -> Vec<(f64, String)> {
        match self {
            Servers::InProcess(_) => vec![(cpu_seconds("self"), peak_rss("self"))],
            Servers::Processes(children) => children
                .0
                .iter()
                .map(|child| {
                    let pid = child.id().to_string();
                    (cpu_seconds(&pid), peak_rss(&pid))
                })
                .collect(),
        }
    }

    async fn stop(self) {
        match self {
            Servers::InProcess(server) => server.stop().await,
            Servers::Processes(children) => drop(children),
        }
    }
}

/// Whether the server on `address` answers `GET /readyz` with 200.
async fn ready(address: std::net::SocketAddr) -> bool {
    let Ok(mut connection) = ApiConnection::open(address).await else {
        return false;
    };
    let request = format!("GET /readyz HTTP/1.1\r\nhost: {address}\r\n\r\n");
    matches!(connection.exchange(request.as_bytes()).await, Ok(200))
}

/// A database of the bench's own on a PostgreSQL server, dropped when the bench ends.
struct BenchDatabase {
    server: String,
    name: String,
}

impl BenchDatabase {
    async fn create(server: &str) -> (BenchDatabase, String) {
        use sqlx::Connection;
        let name = format!("fw_bench_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(server)
            .await
            .expect("the PostgreSQL server answers");
        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .expect("an old bench database is dropped");
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .expect("the bench database is created");
        let mut url = url::Url::parse(server).expect("--database-url is a URL");
        url.set_path(&name);
        let url = url.to_string();
        (
            BenchDatabase {
                server: server.to_string(),
                name,
            },
            url,
        )
    }
}

/// Dropped when the bench ends, after a failure too (on a thread of its own: the drop may run
/// inside the runtime).
impl Drop for BenchDatabase {
    fn drop(&mut self) {
        use sqlx::Connection;
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(async {
                    let mut admin = sqlx::PgConnection::connect(&server).await?;
                    let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    sqlx::query(&drop).execute(&mut admin).await.map(|_| ())
                })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("bench database {} not dropped", self.name);
        }
    }
}

/// Nanoseconds since the benchmark started; the payload carries its ingest time.
fn clock() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

#[derive(Default)]
struct Ledger {
    arrivals: HashMap<u64, u32>,
    latencies_ns: Vec<u64>,
    first_arrival: Option<u64>,
    last_arrival: u64,
}

async fn receive(State(ledger): State<Arc<Mutex<Ledger>>>, body: Bytes) -> &'static str {
    let now = clock();
    // Every event's requestId is `bench-<seq>-<ingest ns>`. Found by a substring search, not a
    // JSON parse: the receiver shares the machine's cores with the server it measures, and the
    // payload's exact shape is the integration tests' business.
    let (seq, sent) = std::str::from_utf8(&body)
        .ok()
        .and_then(|text| text.split_once("\"requestId\":\"bench-"))
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(id, _)| id)
        .and_then(|rest| rest.split_once('-'))
        .and_then(|(seq, ns)| Some((seq.parse::<u64>().ok()?, ns.parse::<u64>().ok()?)))
        .unwrap_or((u64::MAX, now));
    let mut ledger = ledger.lock().unwrap();
    let count = ledger.arrivals.entry(seq).or_insert(0);
    *count += 1;
    if *count == 1 {
        ledger.latencies_ns.push(now.saturating_sub(sent));
    }
    ledger.first_arrival.get_or_insert(now);
    ledger.last_arrival = now;
    "ok"
}

/// A process's peak resident memory (`pid`, or `self`), from /proc (Linux).
fn peak_rss(pid: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|kb| format!("{:.1} MiB", kb as f64 / 1024.0))
        .unwrap_or_else(|| "unknown".into())
}

/// A process's CPU time so far (user and system; `pid`, or `self`), from /proc (Linux,
/// USER_HZ = 100). Steadier than a rate on a shared machine, whose speed can change from one
/// run to the next.
fn cpu_seconds(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // The fields after the command name: utime and stime are the 12th and 13th.
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
            Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
        })
        .unwrap_or(f64::NAN)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index] as f64 / 1e6
}

/// Where events come from.
enum Source {
    InProcess {
        engine: feedback_webhooks::server::delivery::worker::DeliveryEngine,
        sandbox_id: uuid::Uuid,
        hook: uuid::Uuid,
    },
    Api {
        /// One server address per instance; call `seq` goes to instance `seq % len`.
        addresses: Vec<std::net::SocketAddr>,
        /// Idle keep-alive connections per instance; a call takes one (or opens one) and puts
        /// it back.
        connections: Vec<Mutex<Vec<ApiConnection>>>,
        /// The request line and headers every call shares.
        head: String,
        campaign_id: String,
        latencies_ns: Mutex<Vec<u64>>,
        errors: std::sync::atomic::AtomicUsize,
    },
}

impl Source {
    /// A live email campaign with the webhook (filtered to `delivered`) and a credential,
    /// called on the servers at `addresses`.
    async fn api(
        store: &dyn Store,
        sandbox: &SandboxRef,
        hook: uuid::Uuid,
        addresses: Vec<std::net::SocketAddr>,
    ) -> Source {
        use feedback_webhooks::model::campaign::{CampaignContent, CampaignStatus};
        use feedback_webhooks::server::credentials;
        use feedback_webhooks::server::storage::CampaignWrite;
        let mut webhook = store.webhook_by_id(hook).await.unwrap().unwrap();
        webhook.settings.events = vec![FeedbackStatus::Delivered];
        store
            .update_webhook(
                sandbox.id,
                hook,
                &webhook.settings,
                &set_up_by_bench(sandbox, "webhook"),
            )
            .await
            .unwrap();
        let campaign = store
            .create_campaign(
                sandbox.id,
                uuid::Uuid::new_v4(),
                &CampaignWrite {
                    name: "bench".into(),
                    channel: Channel::Email,
                    status: CampaignStatus::Live,
                    content: CampaignContent {
                        email_subject: "Your {{context.product}}".into(),
                        email_body: "Hello {{profile.firstName}}".into(),
                        sms_text: String::new(),
                    },
                    version_id: uuid::Uuid::new_v4().to_string(),
                    webhook_enabled: true,
                    webhook_id: Some(hook),
                },
                &set_up_by_bench(sandbox, "campaign"),
            )
            .await
            .unwrap();
        let new = credentials::generate();
        store
            .create_credential(
                sandbox.organization_id,
                &feedback_webhooks::server::storage::CredentialWrite {
                    name: "bench".into(),
                    api_key: new.api_key.clone(),
                    token_hash: credentials::token_hash(&new.token),
                    scopes: vec![feedback_webhooks::model::credential::Scope::Execute],
                    expires_at_ms: None,
                },
                &set_up_by_bench(sandbox, "credential"),
            )
            .await
            .unwrap();
        Source::Api {
            connections: addresses.iter().map(|_| Mutex::default()).collect(),
            head: format!(
                "POST /im/executions/unitary HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {}\r\n\
                 x-api-key: {}\r\nx-gw-ims-org-id: default-org\r\nx-sandbox-name: prod\r\n\
                 content-type: application/json\r\n",
                addresses[0], new.token, new.api_key
            ),
            addresses,
            campaign_id: campaign.id.to_string(),
            latencies_ns: Mutex::new(Vec::new()),
            errors: Default::default(),
        }
    }

    async fn send(&self, seq: usize) {
        match self {
            Source::InProcess {
                engine,
                sandbox_id,
                hook,
            } => {
                // The payload an execution's `delivered` outcome carries (spec §5), so both
                // modes deliver the same bytes.
                let request_id = format!("bench-{seq}-{}", clock());
                let payload = FeedbackPayload::new(FeedbackFacts {
                    request_id: request_id.clone(),
                    ims_org: "default-org".into(),
                    sandbox_id: sandbox_id.to_string(),
                    sandbox_name: "prod".into(),
                    channel: Channel::Email,
                    message_execution_id: format!("MEX-{seq:016X}"),
                    campaign_id: uuid::Uuid::new_v4().to_string(),
                    campaign_version_id: uuid::Uuid::new_v4().to_string(),
                    status: FeedbackStatus::Delivered,
                    failure: None,
                    retry_count: 0,
                    address: format!("user{seq}@luma.com"),
                });
                let event = NewEvent {
                    sandbox_id: *sandbox_id,
                    event_type: "delivered".into(),
                    channel: "email".into(),
                    request_id,
                    message_execution_id: format!("MEX-{seq:016X}"),
                    payload: serde_json::to_string(&payload).expect("payload"),
                };
                engine.enqueue(&event, &[*hook]).await.expect("enqueue");
            }
            Source::Api {
                addresses,
                connections,
                head,
                campaign_id,
                latencies_ns,
                errors,
            } => {
                let started = clock();
                // Written out rather than built as a JSON tree: nothing here needs escaping, and
                // the generator's CPU is taken from the server it measures.
                let body = format!(
                    r#"{{"requestId":"bench-{seq}-{started}","campaignId":"{campaign_id}","recipients":[{{"type":"aep","userId":"user{seq}@luma.com","namespace":"email","channelData":{{"emailAddress":"user{seq}@luma.com"}},"profile":{{"firstName":"Bench"}},"context":{{"product":"Laptop"}}}}]}}"#
                );
                let request = format!("{head}content-length: {}\r\n\r\n{body}", body.len());
                let instance = seq % addresses.len();
                let connections = &connections[instance];
                let idle = connections.lock().unwrap().pop();
                let connection = match idle {
                    Some(connection) => Ok(connection),
                    None => ApiConnection::open(addresses[instance]).await,
                };
                let answer = match connection {
                    Ok(mut connection) => connection
                        .exchange(request.as_bytes())
                        .await
                        .map(|status| (status, connection)),
                    Err(error) => Err(error),
                };
                let elapsed = clock() - started;
                match answer {
                    Ok((status, connection)) => {
                        connections.lock().unwrap().push(connection);
                        if status == 202 {
                            latencies_ns.lock().unwrap().push(elapsed);
                        } else {
                            errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                    Err(_) => {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
        }
    }
}

/// One keep-alive HTTP/1.1 connection to the server, speaking just enough of the protocol to
/// send a request and read its answer. The load generator shares this machine's cores with the
/// server it measures, so it must cost little, as `wrk` does: with reqwest (connection pool, URL
/// parsing, header maps), the client took about a tenth of the API run's CPU.
struct ApiConnection {
    stream: tokio::net::TcpStream,
    /// What was read and not yet consumed.
    buffer: Vec<u8>,
}

impl ApiConnection {
    async fn open(address: std::net::SocketAddr) -> std::io::Result<ApiConnection> {
        let stream = tokio::net::TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(ApiConnection {
            stream,
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Sends one request; the answer's status once its whole body is read. Reads as much as
    /// the socket holds at a time, so a small answer costs one read.
    async fn exchange(&mut self, request: &[u8]) -> std::io::Result<u16> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let broken = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP answer");
        self.stream.write_all(request).await?;
        self.buffer.clear();
        let (status, end) = loop {
            if let Some(head_end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buffer[..head_end]).map_err(|_| broken())?;
                let mut lines = head.split("\r\n");
                // "HTTP/1.1 202 Accepted"
                let status: u16 = lines
                    .next()
                    .and_then(|line| line.split(' ').nth(1))
                    .and_then(|code| code.parse().ok())
                    .ok_or_else(broken)?;
                let length: usize = lines
                    .filter_map(|line| line.split_once(':'))
                    .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                    .map(|(_, value)| value.trim().parse().map_err(|_| broken()))
                    .transpose()?
                    .unwrap_or(0);
                break (status, head_end + 4 + length);
            }
            if self.stream.read_buf(&mut self.buffer).await? == 0 {
                return Err(broken());
            }
        };
        while self.buffer.len() < end {
            if self.stream.read_buf(&mut self.buffer).await? == 0 {
                return Err(broken());
            }
        }
        Ok(status)
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    clock();
    let dir = tempfile::tempdir().expect("temp dir");

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let receiver = axum::Router::new()
        .fallback(receive)
        .with_state(ledger.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver_addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });

    if args.history.is_some() && args.database_url.is_some() {
        eprintln!("--history seeds a SQLite database: run it without --database-url");
        std::process::exit(2);
    }
    let (database, database_url) = match &args.database_url {
        Some(server) => {
            let (database, url) = BenchDatabase::create(server).await;
            (Some(database), url)
        }
        None => (None, format!("sqlite://{}/bench.db", dir.path().display())),
    };
    let server_args = vec![
        "bench".to_string(),
        format!("--database-url={database_url}"),
        // PostgreSQL keeps no key file beside the database.
        "--encryption-key=YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMzI=".into(),
        "--listen=127.0.0.1:0".into(),
        "--allow-private-targets=127.0.0.1/32".into(),
        format!("--per-webhook-concurrency={}", args.per_webhook_concurrency),
        format!("--site-root={}", dir.path().display()),
        "--admin-email=bench@example.com".into(),
        "--admin-password=benchmark password".into(),
        // Outcomes are due at once: the latency measured is the product's, not a simulated wait.
        "--provider-delay=0ms".into(),
    ];
    let webhook = WebhookWrite {
        name: "bench".into(),
        email: true,
        sms: true,
        url: format!("http://{receiver_addr}/feedback"),
        enabled: true,
        disabled_reason: None,
        events: FeedbackStatus::ALL.to_vec(),
        jwt: None,
        headers: Vec::new(),
    };
    if let Some(count) = args.instances {
        if !args.api || count == 0 || (database.is_none() && count > 1) {
            eprintln!(
                "--instances N needs --api, and N ≥ 1; more than one needs --database-url (a shared PostgreSQL)"
            );
            std::process::exit(2);
        }
        // Prepared through a store of the bench's own, then served by the instances.
        let store = open(&database_url).await.expect("the database opens").store;
        let sandbox = store.ensure_sandbox("default-org", "prod").await.unwrap();
        let hook = store
            .create_webhook(
                sandbox.id,
                uuid::Uuid::new_v4(),
                &webhook,
                &set_up_by_bench(&sandbox, "webhook"),
            )
            .await
            .unwrap()
            .id;
        let (servers, addresses) = Servers::spawn(count, &server_args[1..]).await;
        let base = format!("http://{}", addresses[0]);
        let source = Source::api(store.as_ref(), &sandbox, hook, addresses).await;
        run(&args, source, servers, database, &ledger, base).await;
        return;
    }
    let server = start(Config::parse_from(&server_args))
        .await
        .expect("server starts");
    let state = server.state.clone();
    let hook = state
        .store
        .create_webhook(
            state.default_sandbox.id,
            uuid::Uuid::new_v4(),
            &webhook,
            &set_up_by_bench(&state.default_sandbox, "webhook"),
        )
        .await
        .unwrap()
        .id;
    if let Some(attempts) = args.history {
        history_bench(&server, hook, attempts, args.history_requests).await;
        server.stop().await;
        println!("memory:     peak RSS {}", peak_rss("self"));
        return;
    }
    let source = if args.api {
        Source::api(
            state.store.as_ref(),
            &state.default_sandbox,
            hook,
            vec![server.addr],
        )
        .await
    } else {
        Source::InProcess {
            engine: state.delivery.clone(),
            sandbox_id: state.default_sandbox.id,
            hook,
        }
    };
    let base = format!("http://{}", server.addr);
    run(
        &args,
        source,
        Servers::InProcess(server),
        database,
        &ledger,
        base,
    )
    .await;
}

/// Sends the events, waits for their arrival, and reports.
async fn run(
    args: &Args,
    source: Source,
    servers: Servers,
    database: Option<BenchDatabase>,
    ledger: &Mutex<Ledger>,
    base: String,
) {
    let source = Arc::new(source);
    let probe = match args.ui_probe {
        true => Some(UiProbe::start(base).await),
        false => None,
    };
    println!(
        "bench: {} events {}, {}, per-webhook concurrency {}, {}",
        args.events,
        if args.api {
            "through POST /im/executions/unitary"
        } else {
            "through the outbox entry point"
        },
        args.rate
            .map(|r| format!("{r}/s"))
            .unwrap_or_else(|| "flat out".into()),
        args.per_webhook_concurrency,
        match (args.instances, &args.database_url) {
            (Some(count), Some(_)) => format!("{count} server processes on PostgreSQL"),
            (Some(_), None) => "a server process on SQLite".into(),
            (None, Some(_)) => "server in process on PostgreSQL".into(),
            (None, None) => "server in process on SQLite".into(),
        }
    );
    let ingest_started = clock();
    let cpu_at_start = cpu_seconds("self");
    let servers_cpu_at_start: Vec<f64> = servers.usage().iter().map(|(cpu, _)| *cpu).collect();
    match args.rate {
        None => {
            let tasks: Vec<_> = (0..args.ingest_tasks)
                .map(|task| {
                    let source = source.clone();
                    let (events, tasks) = (args.events, args.ingest_tasks);
                    tokio::spawn(async move {
                        for seq in (task..events).step_by(tasks) {
                            source.send(seq).await;
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        }
        Some(rate) => {
            let mut ticker =
                tokio::time::interval(Duration::from_nanos(1_000_000_000 / rate.max(1)));
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut pending = tokio::task::JoinSet::new();
            for seq in 0..args.events {
                ticker.tick().await;
                let source = source.clone();
                pending.spawn(async move { source.send(seq).await });
            }
            while pending.join_next().await.is_some() {}
        }
    }
    let ingest_secs = (clock() - ingest_started) as f64 / 1e9;

    let deadline = Instant::now() + Duration::from_secs(120);
    while ledger.lock().unwrap().arrivals.len() < args.events && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let cpu = cpu_seconds("self") - cpu_at_start;
    let probed = match probe {
        Some(probe) => probe.finish().await,
        None => Vec::new(),
    };
    tokio::time::sleep(Duration::from_millis(200)).await; // let late duplicates show
    let usage = servers.usage();
    servers.stop().await;
    drop(database);
    let ledger = ledger.lock().unwrap();
    let mut latencies = ledger.latencies_ns.clone();
    latencies.sort_unstable();
    let arrived = ledger.arrivals.len();
    let duplicates: u32 = ledger.arrivals.values().map(|count| count - 1).sum();
    let delivery_secs = (ledger.last_arrival.saturating_sub(ingest_started)) as f64 / 1e9;
    println!(
        "ingest:     {:.0} events/s ({:.2} s)",
        args.events as f64 / ingest_secs,
        ingest_secs
    );
    println!(
        "deliveries: {:.0} /s ({} in {:.2} s from first ingest to last arrival)",
        arrived as f64 / delivery_secs,
        arrived,
        delivery_secs
    );
    println!(
        "latency ingest→arrival (ms): p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.95),
        percentile(&latencies, 0.99),
        latencies
            .last()
            .map(|ns| *ns as f64 / 1e6)
            .unwrap_or(f64::NAN)
    );
    if let Source::Api {
        latencies_ns,
        errors,
        ..
    } = source.as_ref()
    {
        let mut api = latencies_ns.lock().unwrap().clone();
        api.sort_unstable();
        println!(
            "api (ms):   p50 {:.2}  p99 {:.2}  max {:.2}  ({} calls, {} refused)",
            percentile(&api, 0.50),
            percentile(&api, 0.99),
            api.last().map(|ns| *ns as f64 / 1e6).unwrap_or(f64::NAN),
            api.len(),
            errors.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
    match &usage[..] {
        [_] if args.instances.is_none() => {
            println!(
                "cpu:        {cpu:.2} s user+sys, {:.0} µs per delivery (everything: server, load generator, receiver)",
                cpu * 1e6 / arrived.max(1) as f64
            );
            println!("memory:     peak RSS {}", peak_rss("self"));
        }
        instances => {
            let servers_cpu: f64 = instances
                .iter()
                .zip(&servers_cpu_at_start)
                .map(|((now, _), then)| now - then)
                .sum();
            println!(
                "cpu:        {:.2} s user+sys, {:.0} µs per delivery (servers {servers_cpu:.2} s; load generator and receiver {cpu:.2} s)",
                cpu + servers_cpu,
                (cpu + servers_cpu) * 1e6 / arrived.max(1) as f64
            );
            for (i, ((now, rss), then)) in instances.iter().zip(&servers_cpu_at_start).enumerate() {
                println!(
                    "instance {}: cpu {:.2} s, peak RSS {rss}",
                    i + 1,
                    now - then
                );
            }
            println!("memory:     bench process peak RSS {}", peak_rss("self"));
        }
    }
    for (label, mut times) in probed {
        times.sort_unstable();
        println!(
            "ui (ms):    {label:<40} p50 {:>6.2}  p95 {:>6.2}  max {:>6.2}  ({} requests during the load)",
            percentile(&times, 0.50),
            percentile(&times, 0.95),
            percentile(&times, 1.0),
            times.len()
        );
    }
    let missing = args.events - arrived;
    println!(
        "ledger:     {arrived}/{} arrived, {missing} missing, {duplicates} duplicates: {}",
        args.events,
        if missing == 0 { "OK" } else { "FAILED" }
    );
    if missing > 0 {
        std::process::exit(1);
    }
}

/// Signs in like a browser; the session cookie to send back on every request.
async fn sign_in(http: &reqwest::Client, base: &str) -> String {
    let login = http
        .post(format!("{base}/api/login"))
        .header("accept", "application/json")
        .form(&[
            ("email", "bench@example.com"),
            ("password", "benchmark password"),
        ])
        .send()
        .await
        .unwrap();
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
        .collect::<Vec<_>>()
        .join("; ");
    assert!(!cookie.is_empty(), "signed in");
    cookie
}

/// A person using the UI during the load: opens the webhook list, the delivery history, and
/// polls the history's list as the open page does, one request at a time with a short pause,
/// timing each whole answer.
struct UiProbe {
    stop: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<Vec<(&'static str, Vec<u64>)>>,
}

impl UiProbe {
    async fn start(base: String) -> UiProbe {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let cookie = sign_in(&http, &base).await;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let requests: [(&'static str, reqwest::Method, &str); 3] = [
                (
                    "page /admin/channels/feedback-webhooks",
                    reqwest::Method::GET,
                    "/admin/channels/feedback-webhooks",
                ),
                (
                    "page /admin/deliveries",
                    reqwest::Method::GET,
                    "/admin/deliveries",
                ),
                (
                    "list /api/deliveries/list (live poll)",
                    reqwest::Method::POST,
                    "/api/deliveries/list",
                ),
            ];
            let mut times: Vec<(&'static str, Vec<u64>)> = requests
                .iter()
                .map(|(label, _, _)| (*label, Vec::new()))
                .collect();
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                for (i, (label, method, path)) in requests.iter().enumerate() {
                    let started = Instant::now();
                    let mut request = http
                        .request(method.clone(), format!("{base}{path}"))
                        .header("cookie", &cookie);
                    if *method == reqwest::Method::POST {
                        // The list with no filter, as the hydrated page asks for it.
                        request = request
                            .header("accept", "application/json")
                            .header("content-type", "application/x-www-form-urlencoded")
                            .body("");
                    }
                    let response = request.send().await.unwrap();
                    assert_eq!(response.status(), 200, "{label}");
                    let _ = response.bytes().await.unwrap();
                    times[i].1.push(started.elapsed().as_nanos() as u64);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            times
        });
        UiProbe { stop, task }
    }

    async fn finish(self) -> Vec<(&'static str, Vec<u64>)> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.task.await.unwrap()
    }
}

/// Seeds `attempts` attempts straight into the database, then times the deliveries list.
async fn history_bench(
    server: &feedback_webhooks::serve::RunningServer,
    hook: uuid::Uuid,
    attempts: u64,
    requests: usize,
) {
    let state = &server.state;
    let second = state
        .store
        .create_webhook(
            state.default_sandbox.id,
            uuid::Uuid::new_v4(),
            &WebhookWrite {
                name: "bench second".into(),
                email: true,
                sms: true,
                url: "https://second.example/feedback".into(),
                enabled: true,
                disabled_reason: None,
                events: FeedbackStatus::ALL.to_vec(),
                jwt: None,
                headers: Vec::new(),
            },
            &set_up_by_bench(&state.default_sandbox, "webhook"),
        )
        .await
        .unwrap()
        .id;
    let deliveries = (attempts / 2).max(1) as i64;
    let pool = sqlx::SqlitePool::connect(&state.config.database_url)
        .await
        .expect("bench database");
    let now = feedback_webhooks::server::storage::now_ms();
    let span_ms: i64 = 29 * 86_400_000;
    let start = now - span_ms;
    let step = (span_ms / deliveries).max(1);
    let seeding = Instant::now();
    const CHUNK: i64 = 50_000;
    let mut first = 1;
    while first <= deliveries {
        let last = (first + CHUNK - 1).min(deliveries);
        let mut tx = pool.begin().await.unwrap();
        // Deterministic mixes: ~90 % succeeded, 7 % failed, 3 % retrying; events sent 50 %,
        // delivered 35 %, bounce 10 %, error 5 %; SMS 30 %; two webhooks.
        let seq =
            "WITH RECURSIVE seq(n) AS (SELECT ?1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?2)";
        sqlx::query(&format!(
            "{seq} INSERT INTO feedback_events (id, sandbox_id, event_type, channel, request_id, message_execution_id, payload, created_at) \
             SELECT printf('10000000-0000-4000-8000-%012d', n), ?3, \
                 CASE WHEN n % 20 < 10 THEN 'sent' WHEN n % 20 < 17 THEN 'delivered' WHEN n % 20 < 19 THEN 'bounce' ELSE 'error' END, \
                 CASE WHEN (n / 7) % 10 < 3 THEN 'sms' ELSE 'email' END, \
                 'req-' || (n / 2), 'mex-' || n, \
                 '{{\"requestId\":\"req-' || (n / 2) || '\",\"eventType\":\"message.feedback\",\"padding\":\"' || hex(zeroblob(200)) || '\"}}', \
                 ?4 + n * ?5 FROM seq"
        ))
        .bind(first)
        .bind(last)
        .bind(state.default_sandbox.id.to_string())
        .bind(start)
        .bind(step)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(&format!(
            "{seq} INSERT INTO deliveries (id, event_id, webhook_id, sandbox_id, event_type, channel, state, attempts, \
                 next_attempt_at, last_status, last_error, last_attempt_at, created_at, updated_at) \
             SELECT printf('20000000-0000-4000-8000-%012d', n), printf('10000000-0000-4000-8000-%012d', n), \
                 CASE WHEN n % 3 = 0 THEN ?6 ELSE ?7 END, ?3, \
                 CASE WHEN n % 20 < 10 THEN 'sent' WHEN n % 20 < 17 THEN 'delivered' WHEN n % 20 < 19 THEN 'bounce' ELSE 'error' END, \
                 CASE WHEN (n / 7) % 10 < 3 THEN 'sms' ELSE 'email' END, \
                 CASE WHEN n % 100 < 90 THEN 'succeeded' WHEN n % 100 < 97 THEN 'failed' ELSE 'pending' END, 2, \
                 ?4 + n * ?5 + 86400000, CASE WHEN n % 100 < 90 THEN 200 ELSE 503 END, NULL, \
                 ?4 + n * ?5 + 5000, ?4 + n * ?5, ?4 + n * ?5 + 5000 FROM seq"
        ))
        .bind(first)
        .bind(last)
        .bind(state.default_sandbox.id.to_string())
        .bind(start)
        .bind(step)
        .bind(second.to_string())
        .bind(hook.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "WITH RECURSIVE seq(n) AS (SELECT ?1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?2) \
             INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, status, error_code, response_headers, body_excerpt, request_headers) \
             SELECT printf('20000000-0000-4000-8000-%012d', (n + 1) / 2), 2 - n % 2, ?3 + ((n + 1) / 2) * ?4, 40, \
                 CASE WHEN n % 2 = 1 THEN 503 ELSE 200 END, NULL, '[[\"content-type\",\"text/plain\"]]', 'ok', \
                 '[[\"content-type\",\"application/json\"],[\"webhook-id\",\"x\"]]' FROM seq"
        )
        .bind(first * 2 - 1)
        .bind(last * 2)
        .bind(start)
        .bind(step)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        first = last + 1;
    }
    println!(
        "history:    seeded {} deliveries and {} attempts in {:.1} s",
        deliveries,
        deliveries * 2,
        seeding.elapsed().as_secs_f64()
    );

    // Sign in like a browser: the session cookie comes back on every request.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = sign_in(&http, &server.url("")).await;

    let middle: (i64, String) = sqlx::query_as(
        "SELECT created_at, id FROM deliveries ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?1",
    )
    .bind(deliveries / 2)
    .fetch_one(&pool)
    .await
    .unwrap();
    let deep = format!("{}_{}", middle.0, middle.1);
    let hour_from = start + span_ms / 2;
    let fmt = |ms: i64| {
        time::OffsetDateTime::from_unix_timestamp(ms / 1000)
            .unwrap()
            .format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]"
            ))
            .unwrap()
    };
    let (from, to) = (fmt(hour_from), fmt(hour_from + 3_600_000));
    let hook = hook.to_string();
    let request_id = format!("req-{}", deliveries / 3);
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("first page, no filter", vec![]),
        (
            "later page (middle), no filter",
            vec![("before", deep.clone())],
        ),
        ("first page, one webhook", vec![("webhook", hook.clone())]),
        (
            "later page (middle), one webhook",
            vec![("webhook", hook.clone()), ("before", deep.clone())],
        ),
        ("first page, state=failed", vec![("state", "failed".into())]),
        (
            "later page (middle), state=failed",
            vec![("state", "failed".into()), ("before", deep.clone())],
        ),
        (
            "first page, event=bounce channel=sms",
            vec![("event", "bounce".into()), ("channel", "sms".into())],
        ),
        (
            "first page, webhook + state=retrying + event=error",
            vec![
                ("webhook", hook.clone()),
                ("state", "retrying".into()),
                ("event", "error".into()),
            ],
        ),
        (
            "one hour in the middle",
            vec![("from", from.clone()), ("to", to.clone())],
        ),
        ("search requestId", vec![("search", request_id.clone())]),
        (
            "first page, state=pending: matches nothing",
            vec![("state", "pending".into())],
        ),
        (
            "first page, event=error channel=sms state=failed",
            vec![
                ("event", "error".into()),
                ("channel", "sms".into()),
                ("state", "failed".into()),
            ],
        ),
    ];
    println!("history:    {requests} requests per case, sequential, round trip over loopback (ms)");
    for (label, filters) in &cases {
        let form: Vec<(String, String)> = filters
            .iter()
            .map(|(k, v)| (format!("query[{k}]"), v.clone()))
            .collect();
        let mut times = Vec::with_capacity(requests);
        let mut rows = 0;
        for _ in 0..requests {
            let started = Instant::now();
            let response = http
                .post(server.url("/api/deliveries/list"))
                .header("accept", "application/json")
                .header("cookie", &cookie)
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{label}");
            let body: serde_json::Value =
                serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or_default();
            times.push(started.elapsed().as_nanos() as u64);
            rows = body["rows"].as_array().map(Vec::len).unwrap_or(0);
        }
        times.sort_unstable();
        println!(
            "  list  {label:<52} p50 {:>6.2}  p95 {:>6.2}  ({rows} rows)",
            percentile(&times, 0.50),
            percentile(&times, 0.95)
        );
    }
    for (label, query) in [
        ("page /admin/deliveries", String::new()),
        (
            "page /admin/deliveries?state=failed&event=error",
            "?state=failed&event=error".to_string(),
        ),
        ("page, later (middle)", format!("?before={deep}")),
    ] {
        let mut times = Vec::with_capacity(requests);
        for _ in 0..requests {
            let started = Instant::now();
            let response = http
                .get(server.url(&format!("/admin/deliveries{query}")))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{label}");
            let _ = response.bytes().await.unwrap();
            times.push(started.elapsed().as_nanos() as u64);
        }
        times.sort_unstable();
        println!(
            "  SSR   {label:<52} p50 {:>6.2}  p95 {:>6.2}",
            percentile(&times, 0.50),
            percentile(&times, 0.95)
        );
    }
}

/// The audit entry of something the bench sets up through the store.
fn set_up_by_bench(
    sandbox: &feedback_webhooks::server::storage::SandboxRef,
    kind: &'static str,
) -> feedback_webhooks::server::storage::AuditRecord {
    feedback_webhooks::server::audit::system_entry(
        sandbox.organization_id,
        &format!("{kind}.created"),
        kind,
        "set up by the bench",
    )
}

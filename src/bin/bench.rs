//! Delivery benchmark: a real server on a temporary SQLite database, a fast receiver on loopback,
//! events ingested through the outbox entry point, and every arrival timed and counted.
//!
//!   cargo run --release --features ssr --bin bench -- --events 20000
//!   cargo run --release --features ssr --bin bench -- --events 20000 --rate 4000
//!
//! With `--api`, events come from `POST /im/executions/unitary` over HTTP instead (one recipient
//! per call, the webhook filtered to `delivered`, so one call is one delivery), and the API's own
//! latency is reported too:
//!
//!   cargo run --release --features ssr --bin bench -- --api --events 10000 --rate 500

use axum::body::Bytes;
use axum::extract::State;
use clap::Parser;
use feedback_webhooks::server::config::Config;
use feedback_webhooks::server::http::start;
use feedback_webhooks::server::storage::{NewEvent, WebhookWrite};
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
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    // In-process events carry a `bench` object; API ones a requestId `bench-<seq>-<ns>`.
    let from_request_id = value["requestId"]
        .as_str()
        .and_then(|id| id.strip_prefix("bench-"))
        .and_then(|rest| rest.split_once('-'))
        .and_then(|(seq, ns)| Some((seq.parse::<u64>().ok()?, ns.parse::<u64>().ok()?)));
    let (seq, sent) = match from_request_id {
        Some(found) => found,
        None => (
            value["bench"]["seq"].as_u64().unwrap_or(u64::MAX),
            value["bench"]["ingestedAtNs"].as_u64().unwrap_or(now),
        ),
    };
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

/// The process's peak resident memory, from /proc (Linux).
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
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
        client: reqwest::Client,
        url: String,
        api_key: String,
        token: String,
        campaign_id: String,
        latencies_ns: Mutex<Vec<u64>>,
        errors: std::sync::atomic::AtomicUsize,
    },
}

impl Source {
    /// A live email campaign with the webhook (filtered to `delivered`) and a credential.
    async fn api(
        server: &feedback_webhooks::server::http::RunningServer,
        hook: uuid::Uuid,
    ) -> Source {
        use feedback_webhooks::model::campaign::{CampaignContent, CampaignStatus};
        use feedback_webhooks::model::feedback::FeedbackStatus;
        use feedback_webhooks::server::credentials;
        use feedback_webhooks::server::storage::CampaignWrite;
        let state = &server.state;
        let sandbox = &state.default_sandbox;
        let mut webhook = state.store.webhook_by_id(hook).await.unwrap().unwrap();
        webhook.settings.events = vec![FeedbackStatus::Delivered];
        state
            .store
            .update_webhook(sandbox.id, hook, &webhook.settings)
            .await
            .unwrap();
        let campaign = state
            .store
            .create_campaign(
                sandbox.id,
                &CampaignWrite {
                    name: "bench".into(),
                    channel: feedback_webhooks::model::Channel::Email,
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
            )
            .await
            .unwrap();
        let new = credentials::generate();
        state
            .store
            .create_credential(
                sandbox.organization_id,
                "bench",
                &new.api_key,
                &credentials::token_hash(&new.token),
            )
            .await
            .unwrap();
        Source::Api {
            client: reqwest::Client::new(),
            url: server.url("/im/executions/unitary"),
            api_key: new.api_key,
            token: new.token,
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
                let event = NewEvent {
                    sandbox_id: *sandbox_id,
                    event_type: "delivered".into(),
                    channel: "email".into(),
                    request_id: format!("bench-{seq}"),
                    message_execution_id: format!("MEX-{seq}"),
                    payload: serde_json::json!({
                        "requestId": format!("bench-{seq}"),
                        "eventType": "message.feedback",
                        "bench": {"seq": seq, "ingestedAtNs": clock()},
                    })
                    .to_string(),
                };
                engine.enqueue(&event, &[*hook]).await.expect("enqueue");
            }
            Source::Api {
                client,
                url,
                api_key,
                token,
                campaign_id,
                latencies_ns,
                errors,
            } => {
                let started = clock();
                let body = serde_json::json!({
                    "requestId": format!("bench-{seq}-{started}"),
                    "campaignId": campaign_id,
                    "recipients": [{"type": "aep", "userId": format!("user{seq}@luma.com"), "namespace": "email",
                                    "channelData": {"emailAddress": format!("user{seq}@luma.com")},
                                    "profile": {"firstName": "Bench"}, "context": {"product": "Laptop"}}]
                });
                let response = client
                    .post(url)
                    .header("authorization", format!("Bearer {token}"))
                    .header("x-api-key", api_key)
                    .header("x-gw-ims-org-id", "default-org")
                    .header("x-sandbox-name", "prod")
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await;
                let elapsed = clock() - started;
                match response {
                    Ok(response) if response.status() == 202 => {
                        let _ = response.bytes().await;
                        latencies_ns.lock().unwrap().push(elapsed);
                    }
                    _ => {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
        }
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

    let config = Config::parse_from([
        "bench".to_string(),
        format!("--database-url=sqlite://{}/bench.db", dir.path().display()),
        "--listen=127.0.0.1:0".into(),
        "--allow-private-targets=127.0.0.1/32".into(),
        format!("--per-webhook-concurrency={}", args.per_webhook_concurrency),
        format!("--site-root={}", dir.path().display()),
        "--admin-email=bench@example.com".into(),
        "--admin-password=benchmark password".into(),
        // Outcomes are due at once: the latency measured is the product's, not a simulated wait.
        "--provider-delay=0ms".into(),
    ]);
    let server = start(config).await.expect("server starts");
    let state = server.state.clone();
    let webhook = WebhookWrite {
        name: "bench".into(),
        email: true,
        sms: true,
        url: format!("http://{receiver_addr}/feedback"),
        enabled: true,
        disabled_reason: None,
        events: feedback_webhooks::model::feedback::FeedbackStatus::ALL.to_vec(),
        jwt: None,
        headers: Vec::new(),
    };
    let hook = state
        .store
        .create_webhook(state.default_sandbox.id, &webhook)
        .await
        .unwrap()
        .id;
    let source = Arc::new(if args.api {
        Source::api(&server, hook).await
    } else {
        Source::InProcess {
            engine: state.delivery.clone(),
            sandbox_id: state.default_sandbox.id,
            hook,
        }
    });

    println!(
        "bench: {} events {}, {}, per-webhook concurrency {}",
        args.events,
        if args.api {
            "through POST /im/executions/unitary"
        } else {
            "through the outbox entry point"
        },
        args.rate
            .map(|r| format!("{r}/s"))
            .unwrap_or_else(|| "flat out".into()),
        args.per_webhook_concurrency
    );
    let ingest_started = clock();
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
    tokio::time::sleep(Duration::from_millis(200)).await; // let late duplicates show
    server.stop().await;
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
    println!("memory:     peak RSS {}", peak_rss());
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

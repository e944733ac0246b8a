//! What an operator's Prometheus reads at `GET /metrics` (OpenMetrics text): counters and
//! histograms the engine, the writers and the router update as they work, and gauges read when
//! scraped (the queue, deliveries in flight, disabled webhooks, tasks down). Every label takes a
//! bounded set of values (outcomes, error codes, status codes, route templates, writer names,
//! webhook ids: as many as there are webhooks), never a URL, a path with ids in it, or anything a
//! caller chose.

use crate::server::state::AppState;
use crate::server::storage::{now_ms, NextStep, QueueState, StoreResult};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// Counts of the queue stop here: reading them costs at most this many rows each.
pub const QUEUE_CAP: i64 = 100_000;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AttemptLabels {
    /// succeeded, retrying or failed: what the attempt did to its delivery.
    outcome: &'static str,
    /// none, an `E_…` code, or `HTTP_<status>` for an answer that was not 2xx.
    error: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// The route's template (`/api/v1/webhooks/{id}`), or pages, server functions, assets.
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WriterLabels {
    /// executions, events or attempts.
    writer: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StartLabels {
    /// claim (taken from the queue) or handoff (sent by the instance whose write created it).
    by: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    webhook: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    attempts: Family<AttemptLabels, Counter>,
    attempt_seconds: Histogram,
    started: Family<StartLabels, Counter>,
    requests: Family<RequestLabels, Counter>,
    commit_items: HistogramFamily<WriterLabels>,
    commit_seconds: HistogramFamily<WriterLabels>,
    due: Gauge,
    oldest_due_seconds: Gauge<f64, AtomicU64>,
    in_flight: Gauge,
    retrying: Gauge,
    in_flight_here: Family<WebhookLabels, Gauge>,
    disabled_webhooks: Gauge,
    tasks_down: Gauge,
    /// One scrape sets the gauges and encodes at a time.
    scraping: Mutex<()>,
}

/// What a scrape reads besides the counters.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub queue: QueueState,
    pub now_ms: i64,
    /// Deliveries this instance has claimed and not finished, per webhook.
    pub in_flight_here: Vec<(Uuid, usize)>,
    pub disabled_webhooks: u64,
    pub tasks_down: usize,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        fn attempt_buckets() -> Histogram {
            // 1 ms to 16 s: the request timeout is 15 s.
            Histogram::new(exponential_buckets(0.001, 2.0, 15))
        }
        fn commit_item_buckets() -> Histogram {
            Histogram::new(exponential_buckets(1.0, 2.0, 11))
        }
        fn commit_second_buckets() -> Histogram {
            // 0.1 ms to 1.6 s.
            Histogram::new(exponential_buckets(0.0001, 2.0, 15))
        }
        let metrics = Metrics {
            registry: Registry::default(),
            attempts: Family::default(),
            attempt_seconds: attempt_buckets(),
            started: Family::default(),
            requests: Family::default(),
            commit_items: Family::new_with_constructor(commit_item_buckets),
            commit_seconds: Family::new_with_constructor(commit_second_buckets),
            due: Gauge::default(),
            oldest_due_seconds: Gauge::default(),
            in_flight: Gauge::default(),
            retrying: Gauge::default(),
            in_flight_here: Family::default(),
            disabled_webhooks: Gauge::default(),
            tasks_down: Gauge::default(),
            scraping: Mutex::new(()),
        };
        let mut registry = Registry::with_prefix("fw");
        registry.register(
            "delivery_attempts",
            "Delivery attempts, by what they did to their delivery and their error",
            metrics.attempts.clone(),
        );
        registry.register(
            "delivery_attempt_duration_seconds",
            "How long each delivery attempt took, from sending to the answer or failure",
            metrics.attempt_seconds.clone(),
        );
        registry.register(
            "deliveries_started",
            "Deliveries this instance set out to send, by how it took them: claimed from the \
             queue, or handed off by the write that created them",
            metrics.started.clone(),
        );
        registry.register(
            "http_requests",
            "Requests answered, by route, method and status (the execution API included)",
            metrics.requests.clone(),
        );
        registry.register(
            "group_commit_items",
            "Items written per group commit, by writer",
            metrics.commit_items.clone(),
        );
        registry.register(
            "group_commit_duration_seconds",
            "How long each group commit took, its sync to disk included, by writer",
            metrics.commit_seconds.clone(),
        );
        registry.register(
            "deliveries_due",
            "Pending deliveries whose time has come (counted up to 100000)",
            metrics.due.clone(),
        );
        registry.register(
            "oldest_due_delivery_age_seconds",
            "How long the longest-waiting due delivery has been due (0 when none is)",
            metrics.oldest_due_seconds.clone(),
        );
        registry.register(
            "deliveries_in_flight",
            "Deliveries claimed by a worker of any instance, lease not ended",
            metrics.in_flight.clone(),
        );
        registry.register(
            "deliveries_retrying",
            "Deliveries waiting for a later attempt",
            metrics.retrying.clone(),
        );
        registry.register(
            "instance_deliveries_in_flight",
            "Deliveries this instance holds and has not finished, per webhook",
            metrics.in_flight_here.clone(),
        );
        registry.register(
            "webhooks_disabled",
            "Disabled webhooks, in every sandbox",
            metrics.disabled_webhooks.clone(),
        );
        registry.register(
            "background_tasks_down",
            "Background tasks of this instance that are down (readiness fails while any is)",
            metrics.tasks_down.clone(),
        );
        Metrics {
            registry,
            ..metrics
        }
    }

    /// One finished attempt: its effect on the delivery, its error, how long it took.
    pub fn attempt(
        &self,
        next: &NextStep,
        status: Option<u16>,
        error: Option<&str>,
        took: Duration,
    ) {
        let outcome = match next {
            NextStep::Succeeded => "succeeded",
            NextStep::RetryAt(_) => "retrying",
            NextStep::Failed => "failed",
        };
        let error = match (error, status) {
            (Some(code), _) => code.to_string(),
            (None, Some(status)) if !(200..300).contains(&status) => format!("HTTP_{status}"),
            _ => "none".to_string(),
        };
        self.attempts
            .get_or_create(&AttemptLabels { outcome, error })
            .inc();
        self.attempt_seconds.observe(took.as_secs_f64());
    }

    /// `count` deliveries taken to send, `by` a claim or a handoff.
    pub fn started(&self, by: &'static str, count: usize) {
        self.started
            .get_or_create(&StartLabels { by })
            .inc_by(count as u64);
    }

    /// Runs `write`, the group commit of `items` by `writer`, and counts it with the time it
    /// took (its sync included) when it commits.
    pub async fn timed_commit<T>(
        &self,
        writer: &'static str,
        items: usize,
        write: impl std::future::Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        let started = std::time::Instant::now();
        let written = write.await?;
        self.commit(writer, items, started.elapsed());
        Ok(written)
    }

    /// One group commit of `items`, which took `took` (its sync included).
    fn commit(&self, writer: &'static str, items: usize, took: Duration) {
        let labels = WriterLabels { writer };
        self.commit_items
            .get_or_create(&labels)
            .observe(items as f64);
        self.commit_seconds
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    fn request(&self, route: &str, method: &axum::http::Method, status: u16) {
        let method = match *method {
            axum::http::Method::GET
            | axum::http::Method::HEAD
            | axum::http::Method::POST
            | axum::http::Method::PUT
            | axum::http::Method::PATCH
            | axum::http::Method::DELETE
            | axum::http::Method::OPTIONS => method.as_str(),
            _ => "other",
        };
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_string(),
                method: method.to_string(),
                status,
            })
            .inc();
    }

    /// The text Prometheus reads, with the gauges set from `snapshot`.
    pub fn render(&self, snapshot: &Snapshot) -> String {
        let _one_at_a_time = self.scraping.lock().unwrap_or_else(|e| e.into_inner());
        let queue = &snapshot.queue;
        self.due.set(queue.due as i64);
        self.oldest_due_seconds.set(
            queue
                .oldest_due_ms
                .map_or(0.0, |at| (snapshot.now_ms - at).max(0) as f64 / 1000.0),
        );
        self.in_flight.set(queue.in_flight as i64);
        self.retrying.set(queue.retrying as i64);
        self.in_flight_here.clear();
        for (webhook, count) in &snapshot.in_flight_here {
            self.in_flight_here
                .get_or_create(&WebhookLabels {
                    webhook: webhook.to_string(),
                })
                .set(*count as i64);
        }
        self.disabled_webhooks
            .set(snapshot.disabled_webhooks as i64);
        self.tasks_down.set(snapshot.tasks_down as i64);
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// What the counters do not hold, read now.
pub async fn scrape(state: &AppState) -> StoreResult<String> {
    let now = now_ms();
    let snapshot = Snapshot {
        queue: state.store.queue_state(None, now, QUEUE_CAP).await?,
        now_ms: now,
        in_flight_here: state.delivery.in_flight(),
        disabled_webhooks: state.store.disabled_webhook_count().await?,
        tasks_down: state.background.down().len(),
    };
    Ok(state.metrics.render(&snapshot))
}

/// The route a request counts under: its template when a route matched it, else what the
/// fallback serves (pages, server functions, assets), so the label's values stay few.
fn route_of(matched: Option<&str>, path: &str) -> String {
    match matched {
        Some(template) => template.to_string(),
        None if path.starts_with("/api/") => "server functions".to_string(),
        None if path.starts_with("/pkg/") => "assets".to_string(),
        None => "pages".to_string(),
    }
}

/// Counts every answered request by route, method and status.
pub async fn count_requests(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = route_of(
        request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
        request.uri().path(),
    );
    let method = request.method().clone();
    let response = next.run(request).await;
    metrics.request(&route, &method, response.status().as_u16());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_templates_or_a_few_kinds_never_a_path_with_ids() {
        assert_eq!(
            route_of(Some("/api/v1/webhooks/{id}"), "/api/v1/webhooks/4f1c…"),
            "/api/v1/webhooks/{id}"
        );
        assert_eq!(route_of(None, "/api/webhooks/save"), "server functions");
        assert_eq!(
            route_of(None, "/api/v1/no-such-thing/123"),
            "server functions"
        );
        assert_eq!(route_of(None, "/pkg/feedback-webhooks.wasm"), "assets");
        assert_eq!(route_of(None, "/webhooks/4f1c/deliveries"), "pages");
    }

    #[test]
    fn the_text_holds_attempts_by_outcome_and_error_and_the_scraped_gauges() {
        let metrics = Metrics::new();
        let ms = Duration::from_millis;
        metrics.attempt(&NextStep::Succeeded, Some(200), None, ms(12));
        metrics.attempt(&NextStep::Succeeded, Some(204), None, ms(3));
        metrics.attempt(&NextStep::RetryAt(5), Some(503), None, ms(40));
        metrics.attempt(&NextStep::Failed, None, Some("E_TIMEOUT"), ms(15_000));
        metrics.commit("attempts", 4, ms(2));
        let webhook = Uuid::new_v4();
        let text = metrics.render(&Snapshot {
            queue: QueueState {
                due: 7,
                oldest_due_ms: Some(1_000),
                in_flight: 3,
                retrying: 2,
            },
            now_ms: 4_500,
            in_flight_here: vec![(webhook, 3)],
            disabled_webhooks: 1,
            tasks_down: 0,
        });
        for line in [
            r#"fw_delivery_attempts_total{outcome="succeeded",error="none"} 2"#,
            r#"fw_delivery_attempts_total{outcome="retrying",error="HTTP_503"} 1"#,
            r#"fw_delivery_attempts_total{outcome="failed",error="E_TIMEOUT"} 1"#,
            "fw_delivery_attempt_duration_seconds_count 4",
            r#"fw_group_commit_items_count{writer="attempts"} 1"#,
            "fw_deliveries_due 7",
            "fw_oldest_due_delivery_age_seconds 3.5",
            "fw_deliveries_in_flight 3",
            "fw_deliveries_retrying 2",
            &format!(r#"fw_instance_deliveries_in_flight{{webhook="{webhook}"}} 3"#),
            "fw_webhooks_disabled 1",
            "fw_background_tasks_down 0",
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
        // A webhook no longer in flight leaves the family at the next scrape.
        let text = metrics.render(&Snapshot::default());
        assert!(!text.contains(&webhook.to_string()));
        assert!(text.contains("fw_oldest_due_delivery_age_seconds 0"));
    }
}

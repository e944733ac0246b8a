//! The delivery history as people see it: filters, rows, one delivery in detail, webhook health
//! and campaign executions.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a delivery stands. `Retrying` is a pending delivery that has failed at least once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryState {
    Pending,
    Retrying,
    Succeeded,
    Failed,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 4] = [
        DeliveryState::Pending,
        DeliveryState::Retrying,
        DeliveryState::Succeeded,
        DeliveryState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Retrying => "retrying",
            DeliveryState::Succeeded => "succeeded",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeliveryState::Pending => "Pending",
            DeliveryState::Retrying => "Retrying",
            DeliveryState::Succeeded => "Succeeded",
            DeliveryState::Failed => "Failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }

    /// From the stored state and attempt count.
    pub fn of(stored: &str, attempts: i64) -> Self {
        match stored {
            "succeeded" => DeliveryState::Succeeded,
            "failed" => DeliveryState::Failed,
            _ if attempts > 0 => DeliveryState::Retrying,
            _ => DeliveryState::Pending,
        }
    }
}

/// The filters of a deliveries list, as they travel in its address (`?state=failed&…`), so a
/// filtered list can be bookmarked, shared and used without JavaScript.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryQuery {
    /// Only this webhook's deliveries (the webhook's own page); the whole sandbox otherwise.
    pub webhook: Option<String>,
    pub state: Option<String>,
    pub event: Option<String>,
    pub channel: Option<String>,
    /// `YYYY-MM-DDTHH:MM` in UTC, as a `datetime-local` input sends it.
    pub from: Option<String>,
    pub to: Option<String>,
    /// A requestId, messageExecutionID or recipient address, matched exactly.
    pub search: Option<String>,
    /// Continue after this row: `<created_at ms>_<delivery id>`.
    pub before: Option<String>,
}

impl DeliveryQuery {
    /// Reads the filters from address parameters; empty values count as absent.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut query = DeliveryQuery::default();
        for (key, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let slot = match key {
                "webhook" => &mut query.webhook,
                "state" => &mut query.state,
                "event" => &mut query.event,
                "channel" => &mut query.channel,
                "from" => &mut query.from,
                "to" => &mut query.to,
                "search" => &mut query.search,
                "before" => &mut query.before,
                _ => continue,
            };
            *slot = Some(value.to_string());
        }
        query
    }

    /// The address parameters of these filters (without the webhook, which is in the path).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("state", &self.state),
            ("event", &self.event),
            ("channel", &self.channel),
            ("from", &self.from),
            ("to", &self.to),
            ("search", &self.search),
            ("before", &self.before),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.clone().map(|value| (key, value)))
        .collect()
    }

    /// `?state=failed&…` (empty when nothing is set), values percent-encoded.
    pub fn to_query_string(&self) -> String {
        query_string(self.to_pairs())
    }

    /// The same filters from the newest row on.
    pub fn first_page(&self) -> Self {
        DeliveryQuery {
            before: None,
            ..self.clone()
        }
    }

    pub fn is_filtered(&self) -> bool {
        self.state.is_some()
            || self.event.is_some()
            || self.channel.is_some()
            || self.from.is_some()
            || self.to.is_some()
            || self.search.is_some()
    }
}

/// `?key=value&…` of these pairs, values percent-encoded; empty without pairs.
pub fn query_string(pairs: impl IntoIterator<Item = (&'static str, String)>) -> String {
    let pairs: Vec<String> = pairs
        .into_iter()
        .map(|(key, value)| format!("{key}={}", encode(&value)))
        .collect();
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

/// Percent-encodes everything but unreserved characters.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// One row of a deliveries list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub id: String,
    pub webhook_id: String,
    pub webhook_name: String,
    pub event: String,
    pub channel: String,
    pub request_id: String,
    pub message_execution_id: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub last_attempt_at: Option<String>,
    /// Set while the delivery waits for its next attempt.
    pub next_attempt_at: Option<String>,
}

/// A page of deliveries, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryPage {
    pub rows: Vec<DeliveryRow>,
    /// The `before` value of the next (older) page, if there is one.
    pub older: Option<String>,
    /// The filters looked through their budget of deliveries before filling the page: older
    /// matches may exist past `older`.
    pub partial: bool,
    /// The webhook whose deliveries these are, when listed from a webhook.
    pub webhook_name: Option<String>,
    pub webhooks: Vec<(String, String)>,
    pub can_edit: bool,
}

/// One attempt of a delivery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttemptView {
    pub attempt: i64,
    pub started_at: String,
    pub duration_ms: i64,
    pub status: Option<i64>,
    pub error_code: Option<String>,
    /// The status or error code in plain words.
    pub explanation: Option<crate::model::message::Message>,
    pub request_headers: Vec<(String, String)>,
    pub response_headers: Vec<(String, String)>,
    pub body_excerpt: String,
}

/// A delivery with its payload and every attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryDetail {
    pub row: DeliveryRow,
    pub payload_pretty: String,
    /// Newest last.
    pub attempts: Vec<AttemptView>,
    pub webhook_enabled: bool,
    pub can_edit: bool,
}

/// What a resend did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ResendOutcome {
    /// Queued for an attempt now.
    Queued,
    /// The webhook is disabled: enable it first.
    WebhookDisabled,
}

/// How many failed deliveries a bulk resend would (or did) queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkResend {
    pub since: String,
    pub count: u64,
}

/// Latency bucket upper bounds in ms; the last bucket is everything slower.
pub const LATENCY_BOUNDS_MS: [i64; 24] = [
    5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1_000, 1_500, 2_000, 3_000,
    5_000, 7_500, 10_000, 15_000, 20_000,
];

/// The bucket of a duration: the first whose bound it does not exceed.
pub fn latency_bucket(duration_ms: i64) -> usize {
    LATENCY_BOUNDS_MS
        .iter()
        .position(|bound| duration_ms <= *bound)
        .unwrap_or(LATENCY_BOUNDS_MS.len())
}

/// Attempts of one hour and one latency bucket, by how they ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptCounts {
    pub succeeded: i64,
    pub retried: i64,
    pub failed: i64,
}

impl AttemptCounts {
    pub fn total(&self) -> i64 {
        self.succeeded + self.retried + self.failed
    }

    pub fn add(&mut self, other: AttemptCounts) {
        self.succeeded += other.succeeded;
        self.retried += other.retried;
        self.failed += other.failed;
    }
}

/// A stored statistics row: (hour start ms, bucket, counts).
pub type StatsCell = (i64, usize, AttemptCounts);

/// A webhook's last 24 hours.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WebhookHealth {
    pub attempts: i64,
    /// Successful attempts in percent, `None` without attempts.
    pub success_rate: Option<f64>,
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
    /// Per hour, oldest first, 24 entries: (hour start RFC 3339, counts).
    pub hourly: Vec<(String, AttemptCounts)>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
}

impl WebhookHealth {
    /// Sums the stored cells of the 24 hours starting at `first_hour_ms`; `hour_label` names an
    /// hour start.
    pub fn from_cells(
        cells: &[StatsCell],
        first_hour_ms: i64,
        hour_label: impl Fn(i64) -> String,
    ) -> Self {
        let mut by_hour: BTreeMap<i64, AttemptCounts> = (0..24)
            .map(|n| (first_hour_ms + n * 3_600_000, AttemptCounts::default()))
            .collect();
        let mut by_bucket = vec![0i64; LATENCY_BOUNDS_MS.len() + 1];
        let mut all = AttemptCounts::default();
        for (hour, bucket, counts) in cells {
            if let Some(slot) = by_hour.get_mut(hour) {
                slot.add(*counts);
                all.add(*counts);
                if let Some(slot) = by_bucket.get_mut(*bucket) {
                    *slot += counts.total();
                }
            }
        }
        let attempts = all.total();
        WebhookHealth {
            attempts,
            success_rate: (attempts > 0).then(|| all.succeeded as f64 * 100.0 / attempts as f64),
            p50_ms: percentile(&by_bucket, 0.50),
            p95_ms: percentile(&by_bucket, 0.95),
            hourly: by_hour
                .into_iter()
                .map(|(hour, counts)| (hour_label(hour), counts))
                .collect(),
            last_error: None,
            last_error_at: None,
        }
    }
}

/// The latency under which `quantile` of the attempts fall, interpolated within its bucket.
fn percentile(by_bucket: &[i64], quantile: f64) -> Option<i64> {
    let total: i64 = by_bucket.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = (quantile * total as f64).ceil().max(1.0);
    let mut seen = 0i64;
    for (bucket, count) in by_bucket.iter().enumerate() {
        if *count == 0 {
            continue;
        }
        if (seen + count) as f64 >= rank {
            let low = if bucket == 0 {
                0
            } else {
                LATENCY_BOUNDS_MS[bucket - 1]
            };
            let Some(high) = LATENCY_BOUNDS_MS.get(bucket) else {
                return Some(low);
            };
            let within = (rank - seen as f64) / *count as f64;
            return Some(low + ((high - low) as f64 * within).round() as i64);
        }
        seen += count;
    }
    None
}

/// One bar segment of the hourly chart, in the chart's own units (viewBox 0 0 240 60).
#[derive(Clone, Debug, PartialEq)]
pub struct ChartBar {
    pub x: f64,
    pub y: f64,
    pub height: f64,
    /// `succeeded`, `retried` or `failed`: also the CSS class.
    pub kind: &'static str,
    /// The hour it counts (as the hourly series names it) and how many attempts.
    pub hour: String,
    pub count: i64,
}

pub const CHART_WIDTH: f64 = 240.0;
pub const CHART_HEIGHT: f64 = 60.0;

/// Stacked bars, one per hour: succeeded at the bottom, then retried, then failed; scaled to
/// the busiest hour.
pub fn chart_bars(hourly: &[(String, AttemptCounts)]) -> Vec<ChartBar> {
    let busiest = hourly
        .iter()
        .map(|(_, counts)| counts.total())
        .max()
        .unwrap_or(0);
    if busiest == 0 {
        return Vec::new();
    }
    let slot = CHART_WIDTH / hourly.len().max(1) as f64;
    let mut bars = Vec::new();
    for (index, (hour, counts)) in hourly.iter().enumerate() {
        let mut top = CHART_HEIGHT;
        for (kind, count) in [
            ("succeeded", counts.succeeded),
            ("retried", counts.retried),
            ("failed", counts.failed),
        ] {
            if count == 0 {
                continue;
            }
            let height = count as f64 / busiest as f64 * CHART_HEIGHT;
            top -= height;
            bars.push(ChartBar {
                x: index as f64 * slot + 1.0,
                y: top,
                height,
                kind,
                hour: hour.clone(),
                count,
            });
        }
    }
    bars
}

/// One feedback event of a message, as the executions view lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageEventView {
    pub event: String,
    pub created_at: String,
    /// Deliveries of this event: (delivery id, state).
    pub deliveries: Vec<(String, DeliveryState)>,
}

/// One recipient of an execution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    pub message_execution_id: String,
    pub recipient: String,
    pub namespace: String,
    pub events: Vec<MessageEventView>,
}

/// One call of the execution API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExecutionView {
    pub request_id: String,
    pub created_at: String,
    pub messages: Vec<MessageView>,
}

/// A page of a campaign's executions, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExecutionPage {
    pub campaign_name: String,
    pub executions: Vec<ExecutionView>,
    /// The `before` value of the next (older) page.
    pub older: Option<String>,
}

/// The sandbox's delivery queue right now, as the history page shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueSummary {
    /// Pending deliveries whose time has come.
    pub due: u64,
    /// How long the longest-waiting of them has been due.
    pub oldest_due_secs: Option<u64>,
    pub in_flight: u64,
    /// Waiting for a later attempt.
    pub retrying: u64,
    /// Counts were read up to this: one equal to it means "at least".
    pub cap: u64,
}

impl QueueSummary {
    /// Whether `count` stopped at the cap, so means "at least" (written "10,000+").
    pub fn is_capped(&self, count: u64) -> bool {
        self.cap > 0 && count >= self.cap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_at_the_cap_means_at_least() {
        let summary = QueueSummary {
            cap: 10_000,
            ..QueueSummary::default()
        };
        assert!(!summary.is_capped(9_999));
        assert!(summary.is_capped(10_000));
        assert!(
            !QueueSummary::default().is_capped(10_000),
            "no cap, no limit"
        );
    }

    #[test]
    fn state_reflects_attempts_of_a_pending_delivery() {
        assert_eq!(DeliveryState::of("pending", 0), DeliveryState::Pending);
        assert_eq!(DeliveryState::of("pending", 2), DeliveryState::Retrying);
        assert_eq!(DeliveryState::of("failed", 8), DeliveryState::Failed);
        for state in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn query_round_trips_through_the_address() {
        let query = DeliveryQuery::from_pairs([
            ("state", "failed"),
            ("search", "a b&c"),
            ("event", ""),
            ("unknown", "x"),
        ]);
        assert_eq!(query.state.as_deref(), Some("failed"));
        assert_eq!(query.event, None);
        assert_eq!(query.to_query_string(), "?state=failed&search=a%20b%26c");
        assert!(query.is_filtered());
        assert_eq!(DeliveryQuery::default().to_query_string(), "");
    }

    #[test]
    fn percentiles_interpolate_within_buckets() {
        // 90 attempts of at most 5 ms, 10 between 100 and 150 ms.
        let cells = vec![
            (
                0,
                latency_bucket(3),
                AttemptCounts {
                    succeeded: 90,
                    ..Default::default()
                },
            ),
            (
                3_600_000,
                latency_bucket(120),
                AttemptCounts {
                    failed: 10,
                    ..Default::default()
                },
            ),
        ];
        let health = WebhookHealth::from_cells(&cells, 0, |ms| ms.to_string());
        assert_eq!(health.attempts, 100);
        assert_eq!(health.success_rate, Some(90.0));
        assert!(health.p50_ms.unwrap() <= 5);
        let p95 = health.p95_ms.unwrap();
        assert!((100..=150).contains(&p95), "{p95}");
        assert_eq!(health.hourly.len(), 24);
        assert_eq!(health.hourly[1].1.failed, 10);
        // Cells outside the 24 hours are not counted.
        let later = WebhookHealth::from_cells(&cells, 3_600_000, |ms| ms.to_string());
        assert_eq!(later.attempts, 10);
    }

    #[test]
    fn chart_scales_to_the_busiest_hour_and_stacks_outcomes() {
        let hourly = vec![
            (
                "h0".to_string(),
                AttemptCounts {
                    succeeded: 30,
                    retried: 10,
                    failed: 0,
                },
            ),
            ("h1".to_string(), AttemptCounts::default()),
            (
                "h2".to_string(),
                AttemptCounts {
                    succeeded: 0,
                    retried: 0,
                    failed: 20,
                },
            ),
        ];
        let bars = chart_bars(&hourly);
        assert_eq!(bars.len(), 3);
        assert_eq!(bars[0].kind, "succeeded");
        assert!((bars[0].height - 45.0).abs() < 1e-9);
        assert!(
            (bars[1].y - 0.0).abs() < 1e-9,
            "the busiest hour fills the chart"
        );
        assert_eq!(bars[2].kind, "failed");
        assert!((bars[2].height - 30.0).abs() < 1e-9);
        assert!(chart_bars(&[("h".into(), AttemptCounts::default())]).is_empty());
    }
}

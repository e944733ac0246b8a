//! Webhook health: the last 24 hours at a glance, an hourly chart drawn as SVG on the server,
//! and the way back for a disabled webhook.

use crate::api::deliveries::{load_webhook_health, EnableWebhook};
use crate::error::AppError;
use crate::model::explain_error_code;
use crate::model::history::{chart_bars, WebhookHealth, CHART_HEIGHT, CHART_WIDTH};
use crate::model::routes;
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;

/// "99.2 %" or a dash without attempts.
pub fn success_rate(health: &WebhookHealth) -> String {
    match health.success_rate {
        Some(rate) if rate >= 99.95 || rate == 0.0 => format!("{rate:.0} %"),
        Some(rate) => format!("{rate:.1} %"),
        None => "—".into(),
    }
}

pub fn latency(ms: Option<i64>) -> String {
    ms.map(|ms| format!("{ms} ms"))
        .unwrap_or_else(|| "—".into())
}

/// What the health of one webhook answered.
pub type HealthAnswer = Result<Vec<(String, WebhookHealth)>, AppError>;

/// The health of the saved webhook `id` (none for a new one), for its page's resource.
pub async fn webhook_health(id: Option<String>) -> Option<HealthAnswer> {
    match id {
        Some(id) => Some(load_webhook_health(Some(id)).await),
        None => None,
    }
}

/// `health` is made by the page, before it awaits anything (see the deliveries page).
#[component]
pub fn HealthPanel(webhook_id: String, health: Resource<Option<HealthAnswer>>) -> impl IntoView {
    let deliveries = routes::webhook_deliveries(&webhook_id);
    view! {
        <section class="form-section health" aria-labelledby="section-health">
            <div class="section-head">
                <h2 id="section-health">"Health, last 24 hours"</h2>
                <a class="button secondary small" href=deliveries>"Deliveries"</a>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading health…"</p> }>
                {move || Suspend::new(async move {
                    match health.await.unwrap_or_else(|| Ok(Vec::new())) {
                        Ok(list) => {
                            let health = list.into_iter().next().map(|(_, h)| h).unwrap_or_default();
                            view! { <HealthSummary health/> }.into_any()
                        }
                        Err(error) => view! { <p class="banner error">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn HealthSummary(health: WebhookHealth) -> impl IntoView {
    let explanation = health
        .last_error
        .as_deref()
        .filter(|e| e.starts_with("E_"))
        .map(explain_error_code);
    view! {
        <dl class="facts health-facts">
            <div><dt>"Success rate"</dt><dd class="success-rate">{success_rate(&health)}</dd></div>
            <div><dt>"Attempts"</dt><dd>{health.attempts}</dd></div>
            <div><dt>"Latency p50"</dt><dd>{latency(health.p50_ms)}</dd></div>
            <div><dt>"Latency p95"</dt><dd>{latency(health.p95_ms)}</dd></div>
            <div>
                <dt>"Last error"</dt>
                <dd>
                    {match (health.last_error.clone(), health.last_error_at.clone()) {
                        (Some(error), Some(at)) => view! {
                            <code>{error}</code> " · " <Timestamp at/>
                            {explanation.map(|text| view! { <span class="hint block">{text}</span> })}
                        }.into_any(),
                        _ => view! { <span class="muted">"None"</span> }.into_any(),
                    }}
                </dd>
            </div>
        </dl>
        <HealthChart health/>
    }
}

/// Attempts per hour by outcome, stacked bars; drawn by the server as plain SVG.
#[component]
pub fn HealthChart(health: WebhookHealth) -> impl IntoView {
    let bars = chart_bars(&health.hourly);
    let empty = bars.is_empty();
    let slot = CHART_WIDTH / health.hourly.len().max(1) as f64;
    let view_box = format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}");
    let first = health
        .hourly
        .first()
        .map(|(hour, _)| hour.get(11..16).unwrap_or("").to_string());
    view! {
        <figure class="health-chart">
            <svg viewBox=view_box preserveAspectRatio="none" role="img"
                aria-label="Attempts per hour over the last 24 hours, by outcome">
                <line x1="0" y1=CHART_HEIGHT x2=CHART_WIDTH y2=CHART_HEIGHT class="axis"/>
                {bars.into_iter().map(|bar| view! {
                    <rect x=format!("{:.2}", bar.x) y=format!("{:.2}", bar.y)
                        width=format!("{:.2}", (slot - 2.0).max(1.0)) height=format!("{:.2}", bar.height)
                        class=bar.kind>
                        <title>{bar.title}</title>
                    </rect>
                }).collect_view()}
            </svg>
            <figcaption>
                {if empty {
                    view! { <span class="muted">"No attempts in the last 24 hours."</span> }.into_any()
                } else {
                    view! {
                        <span class="legend succeeded">"Succeeded"</span>
                        <span class="legend retried">"Failed, retried"</span>
                        <span class="legend failed">"Failed for good"</span>
                        <span class="muted">{first.map(|h| format!(" · from {h} UTC, one bar per hour"))}</span>
                    }.into_any()
                }}
            </figcaption>
        </figure>
    }
}

/// A disabled webhook: why, and (for editors) the button that turns it back on.
#[component]
pub fn DisabledBanner(webhook_id: String, reason: Option<String>, can_edit: bool) -> impl IntoView {
    let enable = ServerAction::<EnableWebhook>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = enable.value().get() {
            #[cfg(feature = "hydrate")]
            let _ = window().location().reload();
        }
    });
    let text = match reason {
        Some(reason) => format!("Disabled: {reason}"),
        None => "Disabled: no events are sent to it.".to_string(),
    };
    view! {
        <div class="banner warning disabled-banner" role="status">
            <p>{text}</p>
            {can_edit.then(|| view! {
                <ActionForm action=enable>
                    <input type="hidden" name="id" value=webhook_id.clone()/>
                    <button type="submit" class="primary small" disabled=move || enable.pending().get()>"Enable"</button>
                </ActionForm>
            })}
            {move || enable.value().get().and_then(|r| r.err()).map(|error| view! { <p class="error">{error.to_string()}</p> })}
        </div>
    }
}

//! Webhook health: the last 24 hours at a glance, an hourly chart drawn as SVG on the server,
//! and the way back for a disabled webhook.

use crate::api::deliveries::{load_webhook_health, EnableWebhook};
use crate::error::AppError;
use crate::i18n::format::{integer, percent};
use crate::i18n::messages::{stored_text, text};
use crate::i18n::{td_string, use_locale, Locale};
use crate::model::history::{chart_bars, WebhookHealth, CHART_HEIGHT, CHART_WIDTH};
use crate::model::message::Message;
use crate::model::routes;
use crate::ui::components::problem::problem;
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;

/// "99.2 %" (or "99,2 %") or a dash without attempts.
pub fn success_rate(health: &WebhookHealth, locale: Locale) -> String {
    health
        .success_rate
        .map_or_else(|| "—".into(), |rate| percent(rate, locale))
}

/// "1,250 ms" (or "1 250 ms") or a dash.
pub fn latency(ms: Option<i64>, locale: Locale) -> String {
    ms.map_or_else(
        || "—".into(),
        |ms| format!("{}\u{a0}ms", integer(ms, locale)),
    )
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
    let locale = use_locale();
    let deliveries = routes::webhook_deliveries(&webhook_id);
    view! {
        <section class="form-section health" aria-labelledby="section-health">
            <div class="section-head">
                <h2 id="section-health">{td_string!(locale, health.title)}</h2>
                <a class="button secondary small" href=deliveries>{td_string!(locale, health.deliveries)}</a>
            </div>
            <Transition fallback=move || view! { <p class="loading">{td_string!(locale, health.loading)}</p> }>
                {move || Suspend::new(async move {
                    match health.await.unwrap_or_else(|| Ok(Vec::new())) {
                        Ok(list) => {
                            let health = list.into_iter().next().map(|(_, h)| h).unwrap_or_default();
                            view! { <HealthSummary health/> }.into_any()
                        }
                        Err(error) => view! { <p class="banner error">{problem(&error)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn HealthSummary(health: WebhookHealth) -> impl IntoView {
    let locale = use_locale();
    let explanation = health
        .last_error
        .as_deref()
        .filter(|e| e.starts_with("E_"))
        .map(|code| {
            text(
                &Message::AttemptError {
                    code: code.to_string(),
                },
                locale,
            )
        });
    view! {
        <dl class="facts health-facts">
            <div><dt>{td_string!(locale, health.success_rate)}</dt><dd class="success-rate">{success_rate(&health, locale)}</dd></div>
            <div><dt>{td_string!(locale, health.attempts)}</dt><dd>{integer(health.attempts, locale)}</dd></div>
            <div><dt>{td_string!(locale, health.latency_p50)}</dt><dd>{latency(health.p50_ms, locale)}</dd></div>
            <div><dt>{td_string!(locale, health.latency_p95)}</dt><dd>{latency(health.p95_ms, locale)}</dd></div>
            <div>
                <dt>{td_string!(locale, health.last_error)}</dt>
                <dd>
                    {match (health.last_error.clone(), health.last_error_at.clone()) {
                        (Some(error), Some(at)) => view! {
                            <code>{error}</code> " · " <Timestamp at/>
                            {explanation.map(|text| view! { <span class="hint block">{text}</span> })}
                        }.into_any(),
                        _ => view! { <span class="muted">{td_string!(locale, health.none)}</span> }.into_any(),
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
    let locale = use_locale();
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
                aria-label=td_string!(locale, health.chart_label)>
                <line x1="0" y1=CHART_HEIGHT x2=CHART_WIDTH y2=CHART_HEIGHT class="axis"/>
                {bars.into_iter().map(|bar| view! {
                    <rect x=format!("{:.2}", bar.x) y=format!("{:.2}", bar.y)
                        width=format!("{:.2}", (slot - 2.0).max(1.0)) height=format!("{:.2}", bar.height)
                        class=bar.kind>
                        <title>{bar_title(&bar)}</title>
                    </rect>
                }).collect_view()}
            </svg>
            <figcaption>
                {if empty {
                    view! { <span class="muted">{td_string!(locale, health.no_attempts)}</span> }.into_any()
                } else {
                    view! {
                        <span class="legend succeeded">{td_string!(locale, health.succeeded)}</span>
                        <span class="legend retried">{td_string!(locale, health.retried)}</span>
                        <span class="legend failed">{td_string!(locale, health.failed)}</span>
                        <span class="muted">{first.map(|hour| td_string!(locale, health.chart_from, hour).to_string())}</span>
                    }.into_any()
                }}
            </figcaption>
        </figure>
    }
}

/// What a bar says on hover: its hour (in the page's words) and its count of one outcome.
fn bar_title(bar: &crate::model::history::ChartBar) -> String {
    let locale = use_locale();
    let hour = crate::ui::components::time::written_time(&bar.hour, locale);
    let count = integer(bar.count, locale);
    match bar.kind {
        "succeeded" => td_string!(locale, health.bar_succeeded, hour, count).to_string(),
        "retried" => td_string!(locale, health.bar_retried, hour, count).to_string(),
        _ => td_string!(locale, health.bar_failed, hour, count).to_string(),
    }
}

/// A disabled webhook: why, and (for editors) the button that turns it back on.
#[component]
pub fn DisabledBanner(webhook_id: String, reason: Option<String>, can_edit: bool) -> impl IntoView {
    let locale = use_locale();
    // Posted as a plain form: the server turns the webhook on and sends the browser back to it.
    let enable = ServerAction::<EnableWebhook>::new();
    let text = match reason {
        Some(reason) => {
            let reason = stored_text(&reason, locale);
            td_string!(locale, health.disabled_because, reason).to_string()
        }
        None => td_string!(locale, health.disabled).to_string(),
    };
    view! {
        <div class="banner warning disabled-banner" role="status">
            <p>{text}</p>
            {can_edit.then(|| view! {
                <ActionForm action=enable>
                    <input type="hidden" name="id" value=webhook_id.clone()/>
                    <button type="submit" class="primary small">{td_string!(locale, health.enable)}</button>
                </ActionForm>
            })}
        </div>
    }
}

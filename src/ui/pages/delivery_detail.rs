//! One delivery: its payload, every attempt with the request headers as sent, and Resend.

use crate::api::deliveries::{load_delivery, ResendDelivery};
use crate::i18n::messages::text;
use crate::i18n::{td_string, use_locale};
use crate::model::history::{AttemptView, DeliveryDetail, DeliveryState, ResendOutcome};
use crate::model::routes;
use crate::ui::components::delivery_state::{last_result, StateBadge};
use crate::ui::components::interactive::preload_lazy_island;
use crate::ui::components::layout::{Crumbs, Section};
use crate::ui::components::live::poll_while;
use crate::ui::components::problem::problem;
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::time::Duration;

/// How often an unfinished delivery (or one just resent) is looked at again.
const WATCH_EVERY: Duration = Duration::from_millis(1500);
/// Looks after a resend, even if the delivery already reads as finished.
const RESENT_POLLS: u32 = 4;

#[component]
pub fn DeliveryDetailPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let detail = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        load_delivery,
    );
    let resent = query.read_untracked().get("resent").is_some();
    let locale = use_locale();
    view! {
        <Crumbs section=Section::DeliveryHistory current=td_string!(locale, delivery.title)/>
        <Suspense fallback=move || view! { <p class="loading">{td_string!(locale, delivery.loading)}</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <LiveDelivery detail resent/> }.into_any(),
                    Err(error) => view! {
                        <h1>{td_string!(locale, delivery.title)}</h1>
                        <p class="banner error" role="alert">{problem(&error)}</p>
                        <a class="button secondary" href=routes::DELIVERIES>{td_string!(locale, delivery.all)}</a>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The delivery as the server drew it, looked at again while it may still change: unfinished,
/// or resent from this page (`resent`: by a form posted without JavaScript).
#[island(lazy)]
fn LiveDelivery(detail: DeliveryDetail, resent: bool) -> impl IntoView {
    preload_lazy_island("live_delivery");
    let id = detail.row.id.clone();
    let detail = RwSignal::new(detail);
    let error = RwSignal::new(None::<String>);
    let resend = ServerAction::<ResendDelivery>::new();
    let after_resend = RwSignal::new(if resent { RESENT_POLLS } else { 0 });
    let look_again = move || {
        let id = id.clone();
        leptos::task::spawn_local(async move {
            match load_delivery(id).await {
                Ok(fresh) => {
                    detail.set(fresh);
                    error.set(None);
                }
                Err(failed) => error.set(Some(problem(&failed))),
            }
        });
    };
    Effect::new({
        let look_again = look_again.clone();
        move |_| {
            if let Some(Ok(_)) = resend.value().get() {
                after_resend.set(RESENT_POLLS);
                look_again();
            }
        }
    });
    let unfinished = move || {
        detail.with_untracked(|d| {
            !matches!(
                d.row.state,
                DeliveryState::Succeeded | DeliveryState::Failed
            )
        })
    };
    poll_while(
        WATCH_EVERY,
        move || unfinished() || after_resend.get_untracked() > 0,
        move || {
            after_resend.update(|n| *n = n.saturating_sub(1));
            look_again();
        },
    );
    view! {
        {move || error.get().map(|e| view! { <p class="banner error" role="alert">{e}</p> })}
        {move || view! { <DeliveryView detail=detail.get() resend/> }}
    }
}

#[component]
fn DeliveryView(detail: DeliveryDetail, resend: ServerAction<ResendDelivery>) -> impl IntoView {
    let locale = use_locale();
    let row = detail.row.clone();
    let id = StoredValue::new(row.id.clone());
    let can_resend = detail.can_edit;
    let resend_note = move || {
        resend.value().get().map(|answer| match answer {
            Ok(ResendOutcome::Queued) => view! {
                <p class="banner success" role="status">{td_string!(locale, delivery.queued)}</p>
            }
            .into_any(),
            Ok(ResendOutcome::WebhookDisabled) => view! {
                <p class="banner warning" role="alert">{td_string!(locale, delivery.webhook_disabled)}</p>
            }
            .into_any(),
            Err(error) => {
                view! { <p class="banner error" role="alert">{problem(&error)}</p> }.into_any()
            }
        })
    };
    let payload = StoredValue::new(detail.payload_pretty.clone());
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let clipboard = window().navigator().clipboard();
            let _ = clipboard.write_text(&payload.get_value());
            copied.set(true);
        }
    };
    let attempts = detail.attempts.clone();
    let attempt_count = attempts.len();
    view! {
        <div class="page-head">
            <div>
                <h1>{td_string!(locale, delivery.of)} <code>{row.event.clone()}</code> {td_string!(locale, delivery.to)} {row.webhook_name.clone()}</h1>
                <p class="muted"><code>{row.id.clone()}</code></p>
            </div>
            <div class="head-actions">
                <a class="button secondary" href=routes::webhook_deliveries(&row.webhook_id)>{td_string!(locale, delivery.webhook_deliveries)}</a>
                {can_resend.then(|| view! {
                    <ActionForm action=resend>
                        <input type="hidden" name="id" value=id.get_value()/>
                        <button type="submit" class="primary" disabled=move || resend.pending().get()>
                            {move || if resend.pending().get() { td_string!(locale, delivery.resending) } else { td_string!(locale, delivery.resend) }}
                        </button>
                    </ActionForm>
                })}
            </div>
        </div>
        {(!detail.webhook_enabled).then(|| view! {
            <p class="banner warning">{td_string!(locale, delivery.disabled)}</p>
        })}
        <div aria-live="polite">{resend_note}</div>
        <dl class="facts">
            <div><dt>{td_string!(locale, delivery.state)}</dt><dd><StateBadge state=row.state/></dd></div>
            <div><dt>{td_string!(locale, delivery.event)}</dt><dd>{row.event.clone()} " " <span class="chip">{row.channel.clone()}</span></dd></div>
            <div><dt>"requestId"</dt><dd><code>{row.request_id.clone()}</code></dd></div>
            <div><dt>"messageExecutionID"</dt><dd><code>{row.message_execution_id.clone()}</code></dd></div>
            <div><dt>{td_string!(locale, delivery.attempts)}</dt><dd class="attempt-count">{row.attempts}</dd></div>
            <div><dt>{td_string!(locale, delivery.last_result)}</dt><dd><code>{last_result(&row)}</code></dd></div>
            <div><dt>{td_string!(locale, delivery.created)}</dt><dd><Timestamp at=row.created_at.clone()/></dd></div>
            {row.next_attempt_at.clone().map(|at| view! { <div><dt>{td_string!(locale, delivery.next_attempt)}</dt><dd><Timestamp at/></dd></div> })}
        </dl>
        <section class="form-section" aria-labelledby="section-payload">
            <div class="section-head">
                <h2 id="section-payload">{td_string!(locale, delivery.payload)}</h2>
                <button type="button" class="secondary small" on:click=copy>
                    {move || if copied.get() { td_string!(locale, delivery.copied) } else { td_string!(locale, delivery.copy) }}
                </button>
            </div>
            <pre class="payload"><code>{payload.get_value()}</code></pre>
        </section>
        <section class="form-section" aria-labelledby="section-attempts">
            <h2 id="section-attempts">{td_string!(locale, delivery.attempts)}</h2>
            {if attempt_count == 0 {
                view! { <p class="hint">{td_string!(locale, delivery.no_attempt)}</p> }.into_any()
            } else {
                let total = row.attempts.max(0) as usize;
                view! {
                    {(attempt_count < total).then(|| view! {
                        <p class="hint">{td_string!(locale, delivery.latest, shown = attempt_count, total).to_string()}</p>
                    })}
                    <ol class="attempts" reversed>
                        {attempts.into_iter().rev().map(|attempt| view! { <AttemptItem attempt/> }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn AttemptItem(attempt: AttemptView) -> impl IntoView {
    let locale = use_locale();
    let duration = crate::i18n::format::integer(attempt.duration_ms, locale);
    let success =
        attempt.status.is_some_and(|s| (200..300).contains(&s)) && attempt.error_code.is_none();
    let outcome = match (&attempt.error_code, attempt.status) {
        (Some(code), _) => code.clone(),
        (None, Some(status)) => format!("HTTP {status}"),
        (None, None) => td_string!(locale, delivery.no_answer).to_string(),
    };
    let headers = |pairs: Vec<(String, String)>| {
        pairs
            .into_iter()
            .map(|(name, value)| view! { <tr><th scope="row">{name}</th><td><code>{value}</code></td></tr> })
            .collect_view()
    };
    let has_request = !attempt.request_headers.is_empty();
    let has_response = !attempt.response_headers.is_empty();
    view! {
        <li class=if success { "attempt success" } else { "attempt failure" }>
            <p class="attempt-summary">
                <strong>{td_string!(locale, delivery.attempt)} {attempt.attempt}</strong> " · "
                <Timestamp at=attempt.started_at.clone()/> " · "
                {td_string!(locale, delivery.took, duration).to_string()}
                <code class="attempt-outcome">{outcome}</code>
            </p>
            <p class="hint">{attempt.explanation.as_ref().map(|said| text(said, locale))}</p>
            {has_request.then(|| view! {
                <details>
                    <summary>{td_string!(locale, delivery.request_headers)}</summary>
                    <table class="headers"><tbody>{headers(attempt.request_headers.clone())}</tbody></table>
                </details>
            })}
            {has_response.then(|| view! {
                <details>
                    <summary>{td_string!(locale, delivery.response_headers)}</summary>
                    <table class="headers"><tbody>{headers(attempt.response_headers.clone())}</tbody></table>
                </details>
            })}
            {(!attempt.body_excerpt.is_empty()).then(|| view! {
                <details>
                    <summary>{td_string!(locale, delivery.response_body)}</summary>
                    <pre class="excerpt">{attempt.body_excerpt.clone()}</pre>
                </details>
            })}
        </li>
    }
}

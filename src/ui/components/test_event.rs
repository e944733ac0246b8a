//! tu_string!(i18n, test_event.send): a sample payload sent to the saved webhook now, the answer shown inline.

use crate::api::webhooks::SendTestEvent;
use crate::i18n::messages::text;
use crate::i18n::{t, tu_string, use_i18n};
use crate::model::TestEventResult;
use crate::ui::components::problem::problem;
use leptos::prelude::*;

#[component]
pub fn TestEventPanel(
    webhook_id: String,
    /// The answer to a test sent by a form post without JavaScript.
    initial: Option<TestEventResult>,
    can_edit: bool,
) -> impl IntoView {
    let send = ServerAction::<SendTestEvent>::new();
    let result = RwSignal::new(initial.map(Ok::<_, String>));
    Effect::new(move |_| match send.value().get() {
        Some(Ok(answer)) => result.set(Some(Ok(answer))),
        Some(Err(error)) => result.set(Some(Err(problem(&error)))),
        None => {}
    });
    let pending = send.pending();
    let webhook_id = StoredValue::new(webhook_id);
    let i18n = use_i18n();
    view! {
        <section class="form-section test-event" aria-labelledby="section-test">
            <h2 id="section-test">{t!(i18n, test_event.title)}</h2>
            <p class="hint">
                {t!(i18n, test_event.intro_1)} <code>"delivered"</code> {t!(i18n, test_event.intro_2)} <code>"requestId"</code>
                {t!(i18n, test_event.intro_3)} <code>"test-"</code>
                {t!(i18n, test_event.intro_4)}
            </p>
            <Show when=move || can_edit>
                <div class="actions left">
                    <ActionForm action=send>
                        <input type="hidden" name="id" value=webhook_id.get_value()/>
                        <button type="submit" class="secondary" disabled=move || pending.get()>
                            {move || if pending.get() { tu_string!(i18n, test_event.sending) } else { tu_string!(i18n, test_event.send) }}
                        </button>
                    </ActionForm>
                </div>
            </Show>
            <div aria-live="polite">
                {move || result.get().map(|answer| match answer {
                    Ok(answer) => view! { <TestEventAnswer answer/> }.into_any(),
                    Err(error) => view! { <p class="banner error">{error}</p> }.into_any(),
                })}
            </div>
        </section>
    }
}

#[component]
fn TestEventAnswer(answer: TestEventResult) -> impl IntoView {
    let i18n = use_i18n();
    let duration =
        crate::i18n::format::integer(answer.duration_ms as i64, i18n.get_locale_untracked());
    let outcome = match (&answer.status, &answer.error_code) {
        (_, Some(code)) => code.clone(),
        (Some(status), None) => format!("HTTP {status}"),
        (None, None) => tu_string!(i18n, test_event.no_answer).to_string(),
    };
    let class = if answer.success {
        "test-result success"
    } else {
        "test-result failure"
    };
    view! {
        <div class=class role="status">
            <p class="test-summary">
                <span class="badge">{if answer.success { tu_string!(i18n, test_event.delivered) } else { tu_string!(i18n, test_event.failed) }}</span>
                " "
                <strong class="test-outcome">{outcome}</strong>
                {tu_string!(i18n, test_event.took, duration).to_string()} <code>{answer.request_id}</code>
            </p>
            <p class="hint">{answer.explanation.map(|said| text(&said, i18n.get_locale_untracked()))}</p>
            {(!answer.body_excerpt.is_empty()).then(|| view! {
                <details open>
                    <summary>{t!(i18n, test_event.body)}</summary>
                    <pre class="excerpt">{answer.body_excerpt}</pre>
                </details>
            })}
        </div>
    }
}

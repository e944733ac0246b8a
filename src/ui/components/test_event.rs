//! "Send test event": a sample payload sent to the saved webhook now, the answer shown inline.

use crate::api::webhooks::SendTestEvent;
use crate::i18n::messages::text;
use crate::i18n::{td_string, use_locale};
use crate::model::TestEventResult;
use crate::ui::components::problem::problem;
use leptos::prelude::*;

/// An island (in the main module, with the settings form): the answer shows under the button
/// once the endpoint gave it; without JavaScript, on the page the server sends the browser back to.
#[island]
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
    let locale = use_locale();
    view! {
        <section class="form-section test-event" aria-labelledby="section-test">
            <h2 id="section-test">{td_string!(locale, test_event.title)}</h2>
            <p class="hint">
                {td_string!(locale, test_event.intro_1)} <code>"delivered"</code> {td_string!(locale, test_event.intro_2)} <code>"requestId"</code>
                {td_string!(locale, test_event.intro_3)} <code>"test-"</code>
                {td_string!(locale, test_event.intro_4)}
            </p>
            <Show when=move || can_edit>
                <div class="actions left">
                    <ActionForm action=send>
                        <input type="hidden" name="id" value=webhook_id.get_value()/>
                        <button type="submit" class="secondary" disabled=move || pending.get()>
                            {move || if pending.get() { td_string!(locale, test_event.sending) } else { td_string!(locale, test_event.send) }}
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
    let locale = use_locale();
    let duration = crate::i18n::format::integer(answer.duration_ms as i64, locale);
    let outcome = match (&answer.status, &answer.error_code) {
        (_, Some(code)) => code.clone(),
        (Some(status), None) => format!("HTTP {status}"),
        (None, None) => td_string!(locale, test_event.no_answer).to_string(),
    };
    let class = if answer.success {
        "test-result success"
    } else {
        "test-result failure"
    };
    view! {
        <div class=class role="status">
            <p class="test-summary">
                <span class="badge">{if answer.success { td_string!(locale, test_event.delivered) } else { td_string!(locale, test_event.failed) }}</span>
                " "
                <strong class="test-outcome">{outcome}</strong>
                {td_string!(locale, test_event.took, duration).to_string()} <code>{answer.request_id}</code>
            </p>
            <p class="hint">{answer.explanation.map(|said| text(&said, locale))}</p>
            {(!answer.body_excerpt.is_empty()).then(|| view! {
                <details open>
                    <summary>{td_string!(locale, test_event.body)}</summary>
                    <pre class="excerpt">{answer.body_excerpt}</pre>
                </details>
            })}
        </div>
    }
}

//! "Send test event": a sample payload sent to the saved webhook now, the answer shown inline.

use crate::api::webhooks::SendTestEvent;
use crate::model::TestEventResult;
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
        Some(Err(error)) => result.set(Some(Err(error.to_string()))),
        None => {}
    });
    let pending = send.pending();
    let webhook_id = StoredValue::new(webhook_id);
    view! {
        <section class="form-section test-event" aria-labelledby="section-test">
            <h2 id="section-test">"Test"</h2>
            <p class="hint">
                "Sends a sample " <code>"delivered"</code> " event (its " <code>"requestId"</code>
                " starts with " <code>"test-"</code>
                ") to the saved URL now, signed and authenticated like real deliveries. Nothing is retried or stored."
            </p>
            <Show when=move || can_edit>
                <div class="actions left">
                    <ActionForm action=send>
                        <input type="hidden" name="id" value=webhook_id.get_value()/>
                        <button type="submit" class="secondary" disabled=move || pending.get()>
                            {move || if pending.get() { "Sending…" } else { "Send test event" }}
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
    let outcome = match (&answer.status, &answer.error_code) {
        (_, Some(code)) => code.clone(),
        (Some(status), None) => format!("HTTP {status}"),
        (None, None) => "No answer".to_string(),
    };
    let class = if answer.success {
        "test-result success"
    } else {
        "test-result failure"
    };
    view! {
        <div class=class role="status">
            <p class="test-summary">
                <span class="badge">{if answer.success { "Delivered" } else { "Failed" }}</span>
                " "
                <strong class="test-outcome">{outcome}</strong>
                " in " {answer.duration_ms} " ms · " <code>{answer.request_id}</code>
            </p>
            <p class="hint">{answer.explanation}</p>
            {(!answer.body_excerpt.is_empty()).then(|| view! {
                <details open>
                    <summary>"Response body"</summary>
                    <pre class="excerpt">{answer.body_excerpt}</pre>
                </details>
            })}
        </div>
    }
}

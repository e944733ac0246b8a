//! Administration / Access / API reference: the REST API, rendered from its OpenAPI document.

use crate::api::credentials::load_api_reference;
use crate::i18n::{td_string, use_locale};
use crate::model::api_reference::{ApiOperation, ApiReference};
use crate::ui::components::layout::{Crumbs, Section};
use crate::ui::components::problem::problem;
use leptos::prelude::*;

#[component]
pub fn ApiReferencePage() -> impl IntoView {
    let reference = Resource::new(|| (), |_| load_api_reference());
    let locale = use_locale();
    view! {
        <Crumbs section=Section::ApiReference/>
        <Transition fallback=move || view! { <p class="loading">{td_string!(locale, api_reference.loading)}</p> }>
            {move || Suspend::new(async move {
                match reference.await {
                    Ok(reference) => view! { <Reference reference/> }.into_any(),
                    Err(error) => view! { <p class="banner error">{problem(&error)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Reference(reference: ApiReference) -> impl IntoView {
    let locale = use_locale();
    view! {
        <div class="page-head">
            <div>
                <h1>{reference.title}</h1>
                <p class="muted">{reference.description}</p>
                <p class="hint">{td_string!(locale, api_reference.in_english)}</p>
            </div>
            <a class="button secondary" href="/api/openapi.json" rel="external">{td_string!(locale, api_reference.document)}</a>
        </div>
        <section class="form-section api-reference" aria-labelledby="section-operations">
            <h2 id="section-operations">{td_string!(locale, api_reference.operations)}</h2>
            {reference.operations.into_iter().map(|operation| view! { <Operation operation/> }).collect_view()}
        </section>
        <section class="form-section api-reference" aria-labelledby="section-schemas">
            <h2 id="section-schemas">{td_string!(locale, api_reference.schemas)}</h2>
            {reference.schemas.into_iter().map(|(name, schema)| {
                let anchor = format!("schema-{name}");
                view! {
                    <details class="schema" id=anchor>
                        <summary><code>{name}</code></summary>
                        <pre class="excerpt">{schema}</pre>
                    </details>
                }
            }).collect_view()}
        </section>
    }
}

#[component]
fn Operation(operation: ApiOperation) -> impl IntoView {
    let locale = use_locale();
    let method_class = format!("method {}", operation.method.to_lowercase());
    view! {
        <article class="operation">
            <h3>
                <span class=method_class>{operation.method}</span>
                " "
                <code>{operation.path}</code>
                <span class="chip">{operation.tag}</span>
            </h3>
            {(!operation.summary.is_empty()).then(|| view! { <p>{operation.summary}</p> })}
            {(!operation.parameters.is_empty()).then(|| view! {
                <p class="hint">{td_string!(locale, api_reference.parameters)} {operation.parameters.join(", ")}</p>
            })}
            {operation.request_body.map(|body| view! { <p class="hint">{td_string!(locale, api_reference.body)} <code>{body}</code></p> })}
            <ul class="responses">
                {operation.responses.into_iter().map(|(status, what)| view! {
                    <li><code>{status}</code> " " {what}</li>
                }).collect_view()}
            </ul>
        </article>
    }
}

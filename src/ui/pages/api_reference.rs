//! Administration / Access / API reference: the REST API, rendered from its OpenAPI document.

use crate::api::credentials::load_api_reference;
use crate::model::api_reference::{ApiOperation, ApiReference};
use crate::model::routes;
use crate::ui::components::layout::Crumbs;
use leptos::prelude::*;

#[component]
pub fn ApiReferencePage() -> impl IntoView {
    let reference = Resource::new(|| (), |_| load_api_reference());
    view! {
        <Crumbs parents=&["Administration", "Access"] section=("API reference", routes::API_REFERENCE)/>
        <Transition fallback=|| view! { <p class="loading">"Loading the reference…"</p> }>
            {move || Suspend::new(async move {
                match reference.await {
                    Ok(reference) => view! { <Reference reference/> }.into_any(),
                    Err(error) => view! { <p class="banner error">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Reference(reference: ApiReference) -> impl IntoView {
    view! {
        <div class="page-head">
            <div>
                <h1>{reference.title}</h1>
                <p class="muted">{reference.description}</p>
            </div>
            <a class="button secondary" href="/api/openapi.json" rel="external">"OpenAPI document (JSON)"</a>
        </div>
        <section class="form-section api-reference" aria-labelledby="section-operations">
            <h2 id="section-operations">"Operations"</h2>
            {reference.operations.into_iter().map(|operation| view! { <Operation operation/> }).collect_view()}
        </section>
        <section class="form-section api-reference" aria-labelledby="section-schemas">
            <h2 id="section-schemas">"Schemas"</h2>
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
                <p class="hint">"Parameters: " {operation.parameters.join(", ")}</p>
            })}
            {operation.request_body.map(|body| view! { <p class="hint">"Body: " <code>{body}</code></p> })}
            <ul class="responses">
                {operation.responses.into_iter().map(|(status, what)| view! {
                    <li><code>{status}</code> " " {what}</li>
                }).collect_view()}
            </ul>
        </article>
    }
}

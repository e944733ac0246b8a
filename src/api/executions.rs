//! `POST /im/executions/unitary`: the HTTP face of `server::executions`.

use crate::server::executions::execute;
use crate::server::public_api::{error_body, CallerHeaders};
use crate::server::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new().route("/im/executions/unitary", post(execute_unitary))
}

async fn execute_unitary(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let caller = CallerHeaders {
        api_key: text("x-api-key"),
        authorization: text("authorization"),
        ims_org: text("x-gw-ims-org-id"),
        sandbox: text("x-sandbox-name"),
    };
    let (status, body) = match execute(&state, caller, &body).await {
        Ok(accepted) => (StatusCode::ACCEPTED, accepted.body),
        Err(refusal) => (
            StatusCode::from_u16(refusal.problem.status).unwrap_or(StatusCode::BAD_REQUEST),
            serde_json::to_string(&error_body(&refusal)).unwrap_or_default(),
        ),
    };
    let mut response = (status, body).into_response();
    let answer = response.headers_mut();
    answer.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // The caller's trace id comes back so both sides can find the call in their logs.
    if let Some(request_id) = headers.get("x-request-id") {
        answer.insert("x-request-id", request_id.clone());
    }
    response
}

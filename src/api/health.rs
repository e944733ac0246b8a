//! `GET /healthz` (the process answers) and `GET /readyz` (it can do its work): cheap,
//! unauthenticated, served in every role.

use crate::server::health::unready_because;
use crate::server::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(alive))
        .route("/readyz", get(ready))
}

async fn alive() -> Response {
    Json(serde_json::json!({ "status": "alive" })).into_response()
}

async fn ready(State(state): State<AppState>) -> Response {
    let problems = unready_because(&state).await;
    if problems.is_empty() {
        return Json(serde_json::json!({ "status": "ready", "role": state.config.role }))
            .into_response();
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({ "status": "unavailable", "problems": problems })),
    )
        .into_response()
}

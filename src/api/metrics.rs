//! `GET /metrics` for Prometheus: behind a bearer token on the main address, or on an address of
//! its own (`--metrics-listen`); never served by default.

use crate::server::config::Config;
use crate::server::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The route for the main address: present only when a token is configured.
pub fn routes_behind_token(config: &Config) -> Router<AppState> {
    if config.metrics_token.is_some() {
        routes()
    } else {
        Router::new()
    }
}

/// The route itself, checking the token when one is configured.
pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !crate::server::crypto::same_secret(sent.as_bytes(), token.as_bytes()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "Send the metrics token: Authorization: Bearer <token>.",
            )
                .into_response();
        }
    }
    match crate::server::metrics::scrape(&state).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "metrics: the database did not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The database did not answer; try again shortly.",
            )
                .into_response()
        }
    }
}

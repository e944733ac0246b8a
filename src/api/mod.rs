//! Server functions: thin, each checks who calls, calls the server, maps the answer.

pub mod auth;
pub mod campaigns;
pub mod credentials;
pub mod deliveries;
#[cfg(feature = "ssr")]
pub mod executions;
#[cfg(feature = "ssr")]
pub mod rest;
pub mod sandboxes;
pub mod webhooks;

#[cfg(feature = "ssr")]
mod support {
    use crate::error::AppError;
    use axum::http::{header::ACCEPT, request::Parts, StatusCode};
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;

    /// A browser form posted without JavaScript: it expects a page (or a redirect), not data.
    pub fn plain_form_post() -> bool {
        use_context::<Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get(ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.contains("text/html"))
            })
            .unwrap_or(false)
    }

    /// Sends a plain form post on to `path` (no effect on calls from the hydrated app).
    pub fn redirect_plain_post(path: &str) {
        if plain_form_post() {
            leptos_axum::redirect(path);
        }
    }

    /// Gives a failed call its HTTP status; a plain form post that lost its session goes to login.
    pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(error) = &result {
            if plain_form_post() && *error == AppError::Unauthenticated {
                leptos_axum::redirect(crate::model::routes::LOGIN);
            } else if let Some(response) = use_context::<ResponseOptions>() {
                response.set_status(
                    StatusCode::from_u16(error.status_code())
                        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                );
            }
        }
        result
    }

    pub fn encode(value: &str) -> String {
        url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
    }
}

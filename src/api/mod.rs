//! Server functions: thin, each checks who calls, calls the server, maps the answer.

pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod credentials;
pub mod deliveries;
#[cfg(feature = "ssr")]
pub mod executions;
#[cfg(feature = "ssr")]
pub mod health;
#[cfg(feature = "ssr")]
pub mod language;
#[cfg(feature = "ssr")]
pub mod metrics;
#[cfg(feature = "ssr")]
pub mod rest;
pub mod sandboxes;
pub mod users;
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
    /// A plain form post already sent back to its form keeps that redirect: a browser does not
    /// follow a `Location` on an error status, and would show the error's JSON instead.
    pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(error) = &result {
            let response = use_context::<ResponseOptions>();
            let sent_back = plain_form_post()
                && response.as_ref().is_some_and(|response| {
                    response
                        .0
                        .read()
                        .is_ok_and(|parts| parts.headers.contains_key(axum::http::header::LOCATION))
                });
            if sent_back {
                return result;
            }
            if plain_form_post() && *error == AppError::Unauthenticated {
                leptos_axum::redirect(crate::model::routes::LOGIN);
            } else if let Some(response) = response {
                response.set_status(
                    StatusCode::from_u16(error.status_code())
                        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                );
            }
        }
        result
    }

    /// The client of the current server-function call (see [`Peer::of`]).
    ///
    /// [`Peer::of`]: crate::server::peer::Peer::of
    pub fn request_peer(
        state: &crate::server::state::AppState,
    ) -> Result<crate::server::peer::Peer, AppError> {
        let parts = use_context::<Parts>().ok_or(AppError::Internal)?;
        crate::server::peer::Peer::of_request(
            &parts.extensions,
            &parts.headers,
            &state.config.trusted_proxies,
        )
        .ok_or_else(|| crate::server::auth::internal("no client address on the request"))
    }

    /// The signed-in `user` as the audit log names them, with the call's address.
    pub fn request_actor(
        state: &crate::server::state::AppState,
        user: &crate::server::storage::UserRecord,
    ) -> Result<crate::server::audit::Actor, AppError> {
        let address = request_peer(state)?.address.to_string();
        Ok(crate::server::audit::Actor::user(user, Some(address)))
    }

    /// Where the current server-function call comes from, as a new session keeps it.
    pub fn request_client(
        state: &crate::server::state::AppState,
    ) -> Result<crate::server::storage::sessions::SessionClient, AppError> {
        let peer = request_peer(state)?;
        let parts = use_context::<Parts>().ok_or(AppError::Internal)?;
        Ok(crate::server::auth::session_client(&peer, &parts.headers))
    }

    /// Tells the caller when to try again (`Retry-After`, whole seconds).
    pub fn retry_after(wait: std::time::Duration) {
        if let Some(response) = use_context::<ResponseOptions>() {
            let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
            response.insert_header(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
    }

    /// What a refused plain form post typed, kept in the session for the page it goes back to.
    #[derive(serde::Serialize, serde::Deserialize)]
    struct StashedDraft<F> {
        token: String,
        form: F,
        errors: crate::model::FieldErrors,
    }

    /// Keeps `form` and its errors under `key` and sends a plain form post back to `back_to`
    /// (no effect on calls from the hydrated app, which show errors themselves).
    pub async fn stash_draft_and_return<F: serde::Serialize>(
        key: &str,
        back_to: &str,
        form: F,
        errors: crate::model::FieldErrors,
    ) -> Result<(), AppError> {
        if !plain_form_post() {
            return Ok(());
        }
        let session = leptos_axum::extract::<tower_sessions::Session>()
            .await
            .map_err(crate::server::auth::internal)?;
        let token = uuid::Uuid::new_v4().simple().to_string();
        let draft = StashedDraft {
            token: token.clone(),
            form,
            errors,
        };
        session
            .insert(key, draft)
            .await
            .map_err(crate::server::auth::internal)?;
        leptos_axum::redirect(&format!("{back_to}?draft={token}"));
        Ok(())
    }

    /// The draft stashed under `key` with this token, if any.
    pub async fn take_stashed_draft<F: serde::de::DeserializeOwned>(
        key: &str,
        token: &str,
    ) -> Result<Option<(F, crate::model::FieldErrors)>, AppError> {
        let session = leptos_axum::extract::<tower_sessions::Session>()
            .await
            .map_err(crate::server::auth::internal)?;
        let draft: Option<StashedDraft<F>> = session
            .get(key)
            .await
            .map_err(crate::server::auth::internal)?;
        match draft.filter(|draft| draft.token == token) {
            Some(draft) => {
                // Shown once: a reload or a later visit shows the stored values.
                session
                    .remove_value(key)
                    .await
                    .map_err(crate::server::auth::internal)?;
                Ok(Some((draft.form, draft.errors)))
            }
            None => Ok(None),
        }
    }

    /// A plain handler's refusal (a download, the language switcher): the error's status and
    /// its message as plain text.
    pub fn refused_as_text(error: AppError) -> axum::response::Response {
        use axum::response::IntoResponse;
        let status =
            StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, error.to_string()).into_response()
    }

    /// A streamed file download named `file` (made safe for the header), never cached.
    pub fn download(
        content_type: &str,
        file: &str,
        stream: impl futures_util::Stream<Item = Result<String, std::io::Error>> + Send + 'static,
    ) -> axum::response::Response {
        use axum::http::header;
        use axum::response::IntoResponse;
        let file: String = file
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        (
            [
                (header::CONTENT_TYPE, content_type.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            // Fused: the compression layer polls once more after the end, which an unfused
            // stream answers with a panic, cutting every compressed download short.
            axum::body::Body::from_stream(futures_util::StreamExt::fuse(stream)),
        )
            .into_response()
    }

    pub fn encode(value: &str) -> String {
        url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
    }

    /// The first of a refused form's problems as its page's `?error=` carries it back to a
    /// browser without JavaScript (a message, encoded for the address).
    pub fn first_problem_query(errors: &crate::model::FieldErrors) -> String {
        errors
            .values()
            .next()
            .map(|message| encode(&message.to_query()))
            .unwrap_or_default()
    }
}

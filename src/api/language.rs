//! The language switcher's form, `POST /language`: a plain form, so it works without
//! JavaScript; the page it came from is rendered again in the chosen language.

use super::support::refused_as_text;
use crate::i18n::language::parse_tag;
use crate::server::auth::{safe_next, session_user};
use crate::server::headers::served_over_https;
use crate::server::language::{cookie, save_choice};
use crate::server::peer::Peer;
use crate::server::state::AppState;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

/// What the switcher sends: the language, and the page to go back to (a local path).
#[derive(Deserialize)]
pub struct LanguageChoice {
    language: String,
    back: Option<String>,
}

/// Keeps the choice in the browser's cookie and, for a signed-in person, on their account;
/// then goes back to the page (`303`).
pub async fn choose_language(
    State(state): State<AppState>,
    session: Session,
    request: Request,
) -> Response {
    let https = served_over_https(&state.config, &request);
    let address = Peer::of_request(
        request.extensions(),
        request.headers(),
        &state.config.trusted_proxies,
    )
    .map(|peer| peer.address.to_string());
    let Ok(axum::Form(choice)) = axum::Form::<LanguageChoice>::from_request(request, &state).await
    else {
        return (
            StatusCode::BAD_REQUEST,
            "Send a language and the page to go back to.",
        )
            .into_response();
    };
    let Some(locale) = parse_tag(&choice.language) else {
        return (StatusCode::BAD_REQUEST, "The language is en or fr.").into_response();
    };
    let saved = match session_user(&state, &session).await {
        Ok(Some(user)) => save_choice(&state, &user, locale, address).await,
        Ok(None) => Ok(()),
        Err(error) => Err(error),
    };
    if let Err(error) = saved {
        return refused_as_text(error);
    }
    (
        [(header::SET_COOKIE, cookie(locale, https))],
        Redirect::to(&safe_next(choice.back.as_deref())),
    )
        .into_response()
}

//! The language of a request (see `i18n::language::choose`), and a person's choice of it: kept
//! in a cookie for the browser and, signed in, on their account.

use crate::error::AppError;
use crate::i18n::language::{choose, parse_tag, LANGUAGE_COOKIE};
use crate::i18n::Locale;
use crate::model::audit::diff;
use crate::server::audit::{entry, Actor, Object};
use crate::server::auth::internal;
use crate::server::state::AppState;
use crate::server::storage::UserRecord;
use axum::http::{header, HeaderMap};
use leptos_i18n::Locale as _;
use tower_sessions::cookie::Cookie;

/// A browser's choice outlives its sessions: a year, renewed at each choice.
const COOKIE_MAX_AGE_SECONDS: u32 = 365 * 24 * 3600;

/// The language to answer `headers` in, for `user` when signed in.
pub fn of_request(user: Option<&UserRecord>, headers: &HeaderMap) -> Locale {
    let saved = user.and_then(|user| user.language.as_deref().and_then(parse_tag));
    let accept_language = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    choose(saved, chosen_by_browser(headers), accept_language)
}

/// The language this browser chose, from its cookie.
fn chosen_by_browser(headers: &HeaderMap) -> Option<Locale> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == LANGUAGE_COOKIE)
        .and_then(|cookie| parse_tag(cookie.value()))
}

/// The `Set-Cookie` value that keeps `locale` for this browser: sent on every same-site request,
/// never read by scripts (the page says its language in `<html lang>`).
pub fn cookie(locale: Locale, https: bool) -> String {
    let secure = if https { "; Secure" } else { "" };
    format!(
        "{LANGUAGE_COOKIE}={}; Path=/; Max-Age={COOKIE_MAX_AGE_SECONDS}; SameSite=Lax; HttpOnly{secure}",
        locale.as_str()
    )
}

/// Keeps `locale` as `user`'s choice, with its entry in the audit log; nothing is written when
/// it is already their choice.
pub async fn save_choice(
    state: &AppState,
    user: &UserRecord,
    locale: Locale,
    address: Option<String>,
) -> Result<(), AppError> {
    let chosen = locale.as_str();
    if user.language.as_deref() == Some(chosen) {
        return Ok(());
    }
    let field =
        |value: Option<&str>| vec![("language".to_string(), value.map(str::to_string), false)];
    let audit = entry(
        user.organization_id,
        &Actor::user(user, address),
        "user.language_changed",
        Object::user(user),
        &diff(
            Some(&field(user.language.as_deref())),
            Some(&field(Some(chosen))),
        ),
    );
    state
        .store
        .set_language(user.id, Some(chosen), &audit)
        .await
        .map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn the_cookie_is_found_among_others_and_beats_the_browser_preference() {
        let request = headers(&[
            (header::COOKIE, "fw_session=abc; fw_lang=fr"),
            (header::ACCEPT_LANGUAGE, "en-US,en;q=0.9"),
        ]);
        assert_eq!(of_request(None, &request), Locale::fr);
        let request = headers(&[
            (header::COOKIE, "fw_lang=klingon"),
            (header::ACCEPT_LANGUAGE, "fr"),
        ]);
        assert_eq!(of_request(None, &request), Locale::fr);
        assert_eq!(of_request(None, &HeaderMap::new()), Locale::en);
    }

    #[test]
    fn the_cookie_is_secure_over_https_only() {
        assert_eq!(
            cookie(Locale::fr, false),
            "fw_lang=fr; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly"
        );
        assert!(cookie(Locale::en, true).ends_with("; HttpOnly; Secure"));
    }
}

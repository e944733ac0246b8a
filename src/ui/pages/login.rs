//! Sign in.

use crate::api::auth::Login;
use crate::error::AppError;
use crate::i18n::messages::{error_text, text};
use crate::i18n::{td_string, use_locale};
use crate::model::message::Message;
use crate::model::{ThrottledKey, SIGN_IN_BUSY};
use crate::ui::components::layout::AuthCard;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let locale = use_locale();
    // Posted as a plain form: the server signs the person in and sends the browser on, a whole
    // page load that brings their saved language (and their frame) with it.
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = query.read_untracked().get("next").unwrap_or_default();
    let email = query.read_untracked().get("email").unwrap_or_default();
    // A refused sign-in comes back with what went wrong in the query, as a code: the page says
    // it in its own words.
    let error = query.read_untracked().get("error").map(|code| {
        let minutes = query
            .read_untracked()
            .get("minutes")
            .and_then(|m| m.parse::<u64>().ok())
            .unwrap_or(15);
        match ThrottledKey::from_code(&code) {
            Some(counted) => text(&Message::TooManySignIns { counted, minutes }, locale),
            None if code == SIGN_IN_BUSY => text(&Message::SignInsBusy, locale),
            None if code == "disabled" => error_text(&AppError::AccountDisabled, locale),
            None => error_text(&AppError::InvalidCredentials, locale),
        }
    });
    view! {
        <AuthCard title=td_string!(locale, login.title)>
                {error.map(|e| view! { <p class="banner error" role="alert">{e}</p> })}
                <ActionForm action=login>
                    <input type="hidden" name="next" value=next/>
                    <div class="field">
                        <label for="login-email">{td_string!(locale, login.email)}</label>
                        <input id="login-email" type="email" name="email" value=email autocomplete="username" required/>
                    </div>
                    <div class="field">
                        <label for="login-password">{td_string!(locale, login.password)}</label>
                        <input id="login-password" type="password" name="password" autocomplete="current-password" required/>
                    </div>
                    <button type="submit" class="primary wide">{td_string!(locale, login.submit)}</button>
                </ActionForm>
            </AuthCard>
    }
}

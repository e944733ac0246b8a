use crate::api::auth::Login;
use crate::error::AppError;
use crate::model::{ThrottledKey, SIGN_IN_BUSY, SIGN_IN_BUSY_MESSAGE};
use crate::ui::components::layout::AuthCard;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = query.read_untracked().get("next").unwrap_or_default();
    let email = query.read_untracked().get("email").unwrap_or_default();
    // A sign-in posted without JavaScript comes back with what went wrong in the query, as a
    // code: the page says it in its own words.
    let plain_post_error = query.read_untracked().get("error").map(|code| {
        let minutes = query
            .read_untracked()
            .get("minutes")
            .and_then(|m| m.parse::<u64>().ok())
            .unwrap_or(15);
        match ThrottledKey::from_code(&code) {
            Some(key) => key.message(minutes),
            None if code == SIGN_IN_BUSY => SIGN_IN_BUSY_MESSAGE.to_string(),
            None if code == "disabled" => AppError::AccountDisabled.to_string(),
            None => AppError::InvalidCredentials.to_string(),
        }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(target)) = login.value().get() {
            navigate(&target, Default::default());
        }
    });
    let error = move || match login.value().get() {
        Some(Err(error)) => Some(error.to_string()),
        Some(Ok(_)) => None,
        None => plain_post_error.clone(),
    };
    view! {
        <AuthCard title="Sign in">
                {move || error().map(|e| view! { <p class="banner error" role="alert">{e}</p> })}
                <ActionForm action=login>
                    <input type="hidden" name="next" value=next/>
                    <div class="field">
                        <label for="login-email">"Email"</label>
                        <input id="login-email" type="email" name="email" value=email autocomplete="username" required/>
                    </div>
                    <div class="field">
                        <label for="login-password">"Password"</label>
                        <input id="login-password" type="password" name="password" autocomplete="current-password" required/>
                    </div>
                    <button type="submit" class="primary wide" disabled=move || login.pending().get()>
                        {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
            </AuthCard>
    }
}

//! The first run: the one-time link the server printed creates the first administrator.

use crate::api::auth::{setup_state, CreateFirstAdmin, SetupLink, SetupOutcome};
use crate::i18n::{td_string, use_locale};
use crate::model::routes;
use crate::ui::components::interactive::preload_lazy_island;
use crate::ui::components::layout::AuthCard;
use crate::ui::components::problem::{plain_post_problem, problem};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Creates the first administrator from the one-time link the server printed.
#[component]
pub fn SetupPage() -> impl IntoView {
    let locale = use_locale();
    let query = use_query_map();
    let token = query.read_untracked().get("token").unwrap_or_default();
    let email = query.read_untracked().get("email").unwrap_or_default();
    let plain_error = StoredValue::new(plain_post_problem(
        query.read_untracked().get("error"),
        locale,
    ));
    let state = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        |token| setup_state(Some(token)),
    );
    view! {
        <AuthCard title=td_string!(locale, setup.title)>
                <Suspense fallback=move || view! { <p>{td_string!(locale, setup.checking)}</p> }>
                    {move || {
                        let token = token.clone();
                        let email = email.clone();
                        Suspend::new(async move {
                            match state.await {
                                Ok(SetupLink::Ready) => view! {
                                    <p class="muted">{td_string!(locale, setup.intro)}</p>
                                    <SetupForm token email plain_error=plain_error.get_value()/>
                                }.into_any(),
                                Ok(SetupLink::Done) => view! {
                                    <p>{td_string!(locale, setup.done)}</p>
                                    <a class="button primary" href=routes::LOGIN>{td_string!(locale, setup.sign_in)}</a>
                                }.into_any(),
                                Ok(SetupLink::Expired) => view! {
                                    <p class="banner error">{td_string!(locale, setup.expired)}</p>
                                }.into_any(),
                                _ => view! {
                                    <p class="banner error">{td_string!(locale, setup.invalid)}</p>
                                }.into_any(),
                            }
                        })
                    }}
                </Suspense>
            </AuthCard>
    }
}

/// The form, with each refusal next to its field; without JavaScript, the server sends the
/// browser back with the first refusal (`plain_error`).
#[island(lazy)]
fn SetupForm(token: String, email: String, plain_error: Option<String>) -> impl IntoView {
    preload_lazy_island("setup_form");
    let locale = use_locale();
    let create = ServerAction::<CreateFirstAdmin>::new();
    Effect::new(move |_| {
        if let Some(Ok(SetupOutcome::Created)) = create.value().get() {
            let _ = window().location().set_href(routes::WEBHOOKS);
        }
    });
    let field_error = move |field: &'static str| {
        move || match create.value().get() {
            Some(Ok(SetupOutcome::Invalid { errors })) => errors
                .get(field)
                .map(|m| crate::i18n::messages::text(m, locale)),
            _ => None,
        }
    };
    let general_error = move || match create.value().get() {
        Some(Err(error)) => Some(problem(&error)),
        None => plain_error.clone(),
        _ => None,
    };
    view! {
        {move || general_error().map(|e| view! { <p class="banner error" role="alert">{e}</p> })}
        <ActionForm action=create>
            <input type="hidden" name="token" value=token/>
            <div class="field">
                <label for="setup-email">{td_string!(locale, setup.email)}</label>
                <input id="setup-email" type="email" name="email" value=email autocomplete="username" required/>
                <p class="field-error">{field_error("email")}</p>
            </div>
            <div class="field">
                <label for="setup-password">{td_string!(locale, setup.password)}</label>
                <input id="setup-password" type="password" name="password" autocomplete="new-password" required/>
                <p class="hint">{td_string!(locale, setup.password_hint)}</p>
                <p class="field-error">{field_error("password")}</p>
            </div>
            <div class="field">
                <label for="setup-password-confirm">{td_string!(locale, setup.confirm)}</label>
                <input id="setup-password-confirm" type="password" name="password_confirm" autocomplete="new-password" required/>
                <p class="field-error">{field_error("password_confirm")}</p>
            </div>
            <button type="submit" class="primary wide">{td_string!(locale, setup.submit)}</button>
        </ActionForm>
    }
}

//! The page behind an invitation or reset link: the person sets their password and is signed in.

use crate::api::users::{password_link_state, SetPasswordWithLink};
use crate::i18n::{td_string, use_locale};
use crate::model::routes;
use crate::model::user::{LinkPurpose, LinkState, PasswordOutcome};
use crate::ui::components::interactive::preload_lazy_island;
use crate::ui::components::layout::AuthCard;
use crate::ui::components::problem::{plain_post_problem, problem};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SetPasswordPage() -> impl IntoView {
    let locale = use_locale();
    let query = use_query_map();
    let token = query.read_untracked().get("token").unwrap_or_default();
    let plain_error = StoredValue::new(plain_post_problem(
        query.read_untracked().get("error"),
        locale,
    ));
    let link = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        password_link_state,
    );
    view! {
        <AuthCard title=td_string!(locale, set_password.title)>
            <Suspense fallback=move || view! { <p>{td_string!(locale, set_password.checking)}</p> }>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        match link.await {
                            Ok(LinkState::Ready { email, purpose }) => view! {
                                <p class="muted">{match purpose {
                                    LinkPurpose::Invitation => td_string!(locale, set_password.invitation),
                                    LinkPurpose::Reset => td_string!(locale, set_password.reset),
                                }}</p>
                                <SetPasswordForm token email plain_error=plain_error.get_value()/>
                            }.into_any(),
                            Ok(LinkState::Invalid) => view! {
                                <p class="banner error">{td_string!(locale, set_password.link_no_good)}</p>
                                <a class="button" href=routes::LOGIN>{td_string!(locale, set_password.sign_in)}</a>
                            }.into_any(),
                            Err(error) => view! { <p class="banner error">{problem(&error)}</p> }.into_any(),
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
fn SetPasswordForm(token: String, email: String, plain_error: Option<String>) -> impl IntoView {
    preload_lazy_island("set_password_form");
    let locale = use_locale();
    let set = ServerAction::<SetPasswordWithLink>::new();
    Effect::new(move |_| {
        if let Some(Ok(PasswordOutcome::Changed)) = set.value().get() {
            let _ = window().location().set_href(routes::WEBHOOKS);
        }
    });
    let field_error = move |field: &'static str| {
        move || match set.value().get() {
            Some(Ok(PasswordOutcome::Invalid { errors })) => errors
                .get(field)
                .map(|m| crate::i18n::messages::text(m, locale)),
            _ => None,
        }
    };
    let general_error = move || match set.value().get() {
        Some(Err(error)) => Some(problem(&error)),
        None => plain_error.clone(),
        _ => None,
    };
    view! {
        {move || general_error().map(|e| view! { <p class="banner error" role="alert">{e}</p> })}
        <ActionForm action=set>
            <input type="hidden" name="token" value=token/>
            <div class="field">
                <label for="link-email">{td_string!(locale, set_password.email)}</label>
                <input id="link-email" type="email" value=email autocomplete="username" readonly/>
            </div>
            <div class="field">
                <label for="link-password">{td_string!(locale, set_password.password)}</label>
                <input id="link-password" type="password" name="password" autocomplete="new-password" required/>
                <p class="hint">{td_string!(locale, set_password.password_hint)}</p>
                <p class="field-error">{field_error("password")}</p>
            </div>
            <div class="field">
                <label for="link-password-confirm">{td_string!(locale, set_password.confirm)}</label>
                <input id="link-password-confirm" type="password" name="password_confirm" autocomplete="new-password" required/>
                <p class="field-error">{field_error("password_confirm")}</p>
            </div>
            <button type="submit" class="primary wide" disabled=move || set.pending().get()>{td_string!(locale, set_password.submit)}</button>
        </ActionForm>
    }
}

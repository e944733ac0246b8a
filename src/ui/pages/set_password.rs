//! The page behind an invitation or reset link: the person sets their password and is signed in.

use crate::api::users::{password_link_state, SetPasswordWithLink};
use crate::model::routes;
use crate::model::user::{LinkPurpose, LinkState, PasswordOutcome};
use crate::ui::components::layout::AuthCard;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let token = query.read_untracked().get("token").unwrap_or_default();
    let plain_error = StoredValue::new(query.read_untracked().get("error"));
    let link = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        password_link_state,
    );
    let set = ServerAction::<SetPasswordWithLink>::new();
    Effect::new(move |_| {
        if let Some(Ok(PasswordOutcome::Changed)) = set.value().get() {
            let _ = window().location().set_href(routes::WEBHOOKS);
        }
    });
    let field_error = move |field: &'static str| {
        move || match set.value().get() {
            Some(Ok(PasswordOutcome::Invalid { errors })) => errors.get(field).cloned(),
            _ => None,
        }
    };
    let general_error = move || match set.value().get() {
        Some(Err(error)) => Some(error.to_string()),
        None => plain_error.get_value(),
        _ => None,
    };
    view! {
        <AuthCard title="Set your password">
            <Suspense fallback=|| view! { <p>"Checking the link…"</p> }>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        match link.await {
                            Ok(LinkState::Ready { email, purpose }) => view! {
                                <p class="muted">{match purpose {
                                    LinkPurpose::Invitation => "You are invited to Feedback Webhooks. This link works once.",
                                    LinkPurpose::Reset => "A new password for your account. This link works once; your other sessions end.",
                                }}</p>
                                {move || general_error().map(|e| view! { <p class="banner error" role="alert">{e}</p> })}
                                <ActionForm action=set>
                                    <input type="hidden" name="token" value=token/>
                                    <div class="field">
                                        <label for="link-email">"Email"</label>
                                        <input id="link-email" type="email" value=email autocomplete="username" readonly/>
                                    </div>
                                    <div class="field">
                                        <label for="link-password">"New password"</label>
                                        <input id="link-password" type="password" name="password" autocomplete="new-password" required/>
                                        <p class="hint">"At least 12 characters; not your email, not a common password."</p>
                                        <p class="field-error">{field_error("password")}</p>
                                    </div>
                                    <div class="field">
                                        <label for="link-password-confirm">"Confirm password"</label>
                                        <input id="link-password-confirm" type="password" name="password_confirm" autocomplete="new-password" required/>
                                        <p class="field-error">{field_error("password_confirm")}</p>
                                    </div>
                                    <button type="submit" class="primary wide" disabled=move || set.pending().get()>"Set password and sign in"</button>
                                </ActionForm>
                            }.into_any(),
                            Ok(LinkState::Invalid) => view! {
                                <p class="banner error">{crate::model::user::LINK_NO_GOOD}</p>
                                <a class="button" href=routes::LOGIN>"Sign in"</a>
                            }.into_any(),
                            Err(error) => view! { <p class="banner error">{error.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </AuthCard>
    }
}

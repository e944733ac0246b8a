use crate::api::auth::{setup_state, CreateFirstAdmin, SetupLink, SetupOutcome};
use crate::model::routes;
use crate::ui::components::layout::AuthCard;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Creates the first administrator from the one-time link the server printed.
#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = query.read_untracked().get("token").unwrap_or_default();
    let email = query.read_untracked().get("email").unwrap_or_default();
    let plain_error = StoredValue::new(query.read_untracked().get("error"));
    let state = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        |token| setup_state(Some(token)),
    );
    let create = ServerAction::<CreateFirstAdmin>::new();
    Effect::new(move |_| {
        if let Some(Ok(SetupOutcome::Created)) = create.value().get() {
            let _ = window().location().set_href(routes::WEBHOOKS);
        }
    });
    let field_error = move |field: &'static str| {
        move || match create.value().get() {
            Some(Ok(SetupOutcome::Invalid { errors })) => errors.get(field).cloned(),
            _ => None,
        }
    };
    let general_error = move || match create.value().get() {
        Some(Err(error)) => Some(error.to_string()),
        None => plain_error.get_value(),
        _ => None,
    };
    view! {
        <AuthCard title="Create the administrator">
                <Suspense fallback=|| view! { <p>"Checking the link…"</p> }>
                    {move || {
                        let token = token.clone();
                        let email = email.clone();
                        Suspend::new(async move {
                            match state.await {
                                Ok(SetupLink::Ready) => view! {
                                    <p class="muted">"This link works once. The account you create can do everything."</p>
                                    {move || general_error().map(|e| view! { <p class="banner error" role="alert">{e}</p> })}
                                    <ActionForm action=create>
                                        <input type="hidden" name="token" value=token/>
                                        <div class="field">
                                            <label for="setup-email">"Email"</label>
                                            <input id="setup-email" type="email" name="email" value=email autocomplete="username" required/>
                                            <p class="field-error">{field_error("email")}</p>
                                        </div>
                                        <div class="field">
                                            <label for="setup-password">"Password"</label>
                                            <input id="setup-password" type="password" name="password" autocomplete="new-password" required/>
                                            <p class="hint">"At least 12 characters."</p>
                                            <p class="field-error">{field_error("password")}</p>
                                        </div>
                                        <div class="field">
                                            <label for="setup-password-confirm">"Confirm password"</label>
                                            <input id="setup-password-confirm" type="password" name="password_confirm" autocomplete="new-password" required/>
                                            <p class="field-error">{field_error("password_confirm")}</p>
                                        </div>
                                        <button type="submit" class="primary wide">"Create administrator"</button>
                                    </ActionForm>
                                }.into_any(),
                                Ok(SetupLink::Done) => view! {
                                    <p>"An administrator already exists."</p>
                                    <a class="button primary" href=routes::LOGIN>"Sign in"</a>
                                }.into_any(),
                                Ok(SetupLink::Expired) => view! {
                                    <p class="banner error">"This setup link has expired. Restart the server: it prints a new one."</p>
                                }.into_any(),
                                _ => view! {
                                    <p class="banner error">"This setup link is not valid. Use the link the server printed when it started."</p>
                                }.into_any(),
                            }
                        })
                    }}
                </Suspense>
            </AuthCard>
    }
}

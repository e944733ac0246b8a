//! Signing in and out, and creating the first administrator.

use crate::error::AppError;
use crate::model::{FieldErrors, UserView};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {
    super::support::*,
    crate::server::{
        auth::*,
        state::{AppState, SetupLinkCheck},
    },
    tower_sessions::Session,
};

/// Where to go after signing in (a local path).
///
/// Refused before any lookup or hashing when a field is longer than any account's, or when
/// the client has tried too often (`429` with `Retry-After`); see [`LoginThrottle`].
#[server(endpoint = "login")]
pub async fn login(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<String, AppError> {
    with_status(
        async {
            let state = AppState::current()?;
            let target = safe_next(next.as_deref());
            let back_to_form = |error: &str, extra: &str| {
                redirect_plain_post(&format!(
                    "/login?error={error}{extra}&email={}&next={}",
                    encode(
                        email
                            .chars()
                            .take(crate::model::user::MAX_EMAIL_CHARS)
                            .collect::<String>()
                            .as_str()
                    ),
                    encode(&target)
                ))
            };
            if let Some(problem) = crate::model::sign_in_problem(&email, &password) {
                back_to_form("credentials", "");
                return Err(AppError::BadRequest(problem));
            }
            let peer = request_peer(&state)?;
            if let Err(refusal) = LoginThrottle::admit(&state, &email, &peer)
                .await
                .map_err(internal)?
            {
                note_refused_sign_in(&state, None, &email, &peer, "sign_in.throttled").await;
                retry_after(refusal.wait);
                back_to_form(
                    refusal.key.code(),
                    &format!("&minutes={}", refusal.minutes()),
                );
                return Err(AppError::TooManyAttempts(refusal.message()));
            }
            let user = state
                .store
                .user_by_email(&email.trim().to_lowercase())
                .await
                .map_err(internal)?;
            let hash = user.as_ref().map(|u| u.password_hash.clone());
            let verified = match verify_password(&state.password_hashing, password, hash).await {
                Ok(verified) => verified,
                Err(busy) => {
                    retry_after(std::time::Duration::from_secs(5));
                    back_to_form(crate::model::SIGN_IN_BUSY, "");
                    return Err(busy);
                }
            };
            let Some(user) = user.clone().filter(|_| verified) else {
                note_refused_sign_in(&state, user.as_ref(), &email, &peer, "sign_in.failed").await;
                back_to_form("credentials", "");
                return Err(AppError::InvalidCredentials);
            };
            LoginThrottle::succeeded(&state, &email, &peer)
                .await
                .map_err(internal)?;
            // Told only to who knows the password; an invited user has none to know.
            if user.status != crate::model::user::UserStatus::Active.as_str() {
                note_refused_sign_in(
                    &state,
                    Some(&user),
                    &email,
                    &peer,
                    "sign_in.disabled_account",
                )
                .await;
                back_to_form("disabled", "");
                return Err(AppError::AccountDisabled);
            }
            let session = leptos_axum::extract::<Session>().await.map_err(internal)?;
            start_session(&state, &session, &user, request_client(&state)?).await?;
            redirect_plain_post(&target);
            Ok(target)
        }
        .await,
    )
}

/// Writes a refused sign-in to the audit log of the account's organization (the default one
/// when no account has that email). A failure to write it is logged, not the caller's problem.
#[cfg(feature = "ssr")]
async fn note_refused_sign_in(
    state: &AppState,
    account: Option<&crate::server::storage::UserRecord>,
    typed_email: &str,
    peer: &crate::server::peer::Peer,
    action: &str,
) {
    use crate::server::audit::{entry, Actor, Object};
    let actor = Actor::anonymous(typed_email, Some(peer.address.to_string()));
    let object = match account {
        Some(user) => Object::user(user),
        None => Object {
            kind: "user",
            id: None,
            name: &actor.name,
        },
    };
    let organization = account.map_or(state.default_sandbox.organization_id, |user| {
        user.organization_id
    });
    let audit = entry(organization, &actor, action, object, &[]);
    if let Err(error) = state.store.append_audit(&audit).await {
        tracing::warn!(%error, "writing a refused sign-in to the audit log failed");
    }
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let session = leptos_axum::extract::<Session>().await.map_err(internal)?;
    end_session(&session).await?;
    redirect_plain_post(crate::model::routes::LOGIN);
    Ok(())
}

/// The signed-in person, or `None`.
#[server(endpoint = "session")]
pub async fn current_user() -> Result<Option<UserView>, AppError> {
    let state = AppState::current()?;
    let session = leptos_axum::extract::<Session>().await.map_err(internal)?;
    match session_user(&state, &session).await? {
        Some(user) => Ok(Some(user_view(&state, &user).await?)),
        None => Ok(None),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SetupLink {
    /// The link is valid and no administrator exists yet.
    Ready,
    /// An administrator exists: sign in instead.
    Done,
    /// The token is missing or not the one the server printed.
    InvalidLink,
    /// The link was good but its time is over: restart the server for a new one.
    Expired,
}

#[server(endpoint = "setup/state")]
pub async fn setup_state(token: Option<String>) -> Result<SetupLink, AppError> {
    let state = AppState::current()?;
    if state.store.user_count().await.map_err(internal)? > 0 {
        return Ok(SetupLink::Done);
    }
    Ok(
        match state.check_setup_link(token.as_deref().unwrap_or("")) {
            SetupLinkCheck::Valid => SetupLink::Ready,
            SetupLinkCheck::Expired => SetupLink::Expired,
            SetupLinkCheck::Invalid => SetupLink::InvalidLink,
        },
    )
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SetupOutcome {
    Created,
    Invalid { errors: FieldErrors },
}

/// Creates the first administrator from the one-time setup link, and signs them in.
#[server(endpoint = "setup")]
pub async fn create_first_admin(
    token: String,
    email: String,
    password: String,
    password_confirm: String,
) -> Result<SetupOutcome, AppError> {
    with_status(
        async {
            let state = AppState::current()?;
            if state.store.user_count().await.map_err(internal)? > 0
                || state.check_setup_link(&token) != SetupLinkCheck::Valid
            {
                return Err(AppError::Forbidden);
            }
            let mut errors =
                crate::model::user::new_password_errors(&email, &password, &password_confirm);
            if let Some(problem) = crate::model::email_problem(&email) {
                errors.insert("email".into(), problem);
            }
            if !errors.is_empty() {
                let first = first_problem_query(&errors);
                redirect_plain_post(&format!(
                    "/setup?token={}&email={}&error={}",
                    encode(&token),
                    encode(&email),
                    first
                ));
                return Ok(SetupOutcome::Invalid { errors });
            }
            // The link is used once: of several setups posted together, one takes it.
            let link = state.take_setup_link(&token).ok_or(AppError::Forbidden)?;
            let client = request_client(&state)?;
            let actor =
                crate::server::audit::Actor::anonymous(&email, Some(client.address.clone()));
            let user = match create_administrator_if_none(&state, &actor, &email, password).await {
                Ok(Some(user)) => user,
                // Another instance's setup came first.
                Ok(None) => return Err(AppError::Forbidden),
                Err(error) => {
                    state.restore_setup_link(link);
                    return Err(error);
                }
            };
            let session = leptos_axum::extract::<Session>().await.map_err(internal)?;
            start_session(&state, &session, &user, client).await?;
            redirect_plain_post(crate::model::routes::WEBHOOKS);
            Ok(SetupOutcome::Created)
        }
        .await,
    )
}

//! Administration › Users (administrators only), the set-password page behind a one-time
//! link (anyone holding the link), and one's own account: password and sessions.

use crate::error::AppError;
use crate::model::user::UserItem;
use crate::model::user::{InvitationForm, LinkShown, LinkState, PasswordOutcome, SessionItem};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::support::*,
    crate::model::message::{Message, Thing},
    crate::model::{routes, user::UserAction, Role},
    crate::server::{auth::*, state::AppState, storage::now_ms, users},
    tower_sessions::Session,
};

#[cfg(feature = "ssr")]
fn user_id(id: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(id.trim()).map_err(|_| AppError::no_such(Thing::User))
}

#[server(endpoint = "users/list")]
pub async fn list_users() -> Result<Vec<UserItem>, AppError> {
    with_status(
        async {
            let (state, admin, _) = require_user(Role::Admin).await?;
            users::list(&state, &admin).await
        }
        .await,
    )
}

/// Invites a user; the link that sets their password is returned this once.
#[server(endpoint = "users/invite")]
pub async fn invite_user(form: InvitationForm) -> Result<LinkShown, AppError> {
    with_status(
        async {
            let (state, admin, _) = require_user(Role::Admin).await?;
            let actor = request_actor(&state, &admin)?;
            users::invite(&state, &admin, &actor, &form.email, &form.role).await
        }
        .await,
    )
}

/// A new one-time link for the user to set their password with, replacing any unused one.
#[server(endpoint = "users/password-link")]
pub async fn make_password_link(id: String) -> Result<LinkShown, AppError> {
    with_status(
        async {
            let (state, admin, _) = require_user(Role::Admin).await?;
            let actor = request_actor(&state, &admin)?;
            users::reset_link(&state, &admin, &actor, user_id(&id)?).await
        }
        .await,
    )
}

/// `action`: `role:<role>`, `disable`, `enable` or `remove`.
#[server(endpoint = "users/change")]
pub async fn change_user(id: String, action: String) -> Result<(), AppError> {
    with_status(
        async {
            let (state, admin, _) = require_user(Role::Admin).await?;
            let action = UserAction::parse(action.trim())
                .ok_or(AppError::BadRequest(Message::UnknownUserChange))?;
            let actor = request_actor(&state, &admin)?;
            users::change(&state, &admin, &actor, user_id(&id)?, action).await?;
            redirect_plain_post(routes::USERS);
            Ok(())
        }
        .await,
    )
}

/// What the one-time link with `token` is good for (anyone may ask: the token is the key).
#[server(endpoint = "users/link")]
pub async fn password_link_state(token: String) -> Result<LinkState, AppError> {
    with_status(
        async {
            let state = AppState::current()?;
            users::link_state(&state, token.trim()).await
        }
        .await,
    )
}

/// Sets a password through a one-time link, and signs its user in.
#[server(endpoint = "users/set-password")]
pub async fn set_password_with_link(
    token: String,
    password: String,
    password_confirm: String,
) -> Result<PasswordOutcome, AppError> {
    with_status(
        async {
            let state = AppState::current()?;
            let token = token.trim().to_string();
            let client = request_client(&state)?;
            let address = Some(client.address.clone());
            match users::use_link(&state, address, &token, password, &password_confirm).await? {
                Ok(user) => {
                    let session = leptos_axum::extract::<Session>().await.map_err(internal)?;
                    start_session(&state, &session, &user, client).await?;
                    redirect_plain_post(routes::WEBHOOKS);
                    Ok(PasswordOutcome::Changed)
                }
                Err(errors) => {
                    let first = first_problem_query(&errors);
                    redirect_plain_post(&format!(
                        "{}?token={}&error={}",
                        routes::SET_PASSWORD,
                        encode(&token),
                        first
                    ));
                    Ok(PasswordOutcome::Invalid { errors })
                }
            }
        }
        .await,
    )
}

/// The signed-in person's sessions, the one of this call marked.
#[server(endpoint = "account/sessions")]
pub async fn my_sessions() -> Result<Vec<SessionItem>, AppError> {
    with_status(
        async {
            let (state, user, _) = require_user(Role::Viewer).await?;
            let session = leptos_axum::extract::<Session>().await.map_err(internal)?;
            let summaries = state
                .store
                .sessions_of(user.id, now_ms())
                .await
                .map_err(internal)?;
            Ok(users::session_items(
                summaries,
                current_handle(&session).as_deref(),
            ))
        }
        .await,
    )
}

/// Ends one of the signed-in person's sessions, by its handle (this one too, if named).
#[server(endpoint = "account/sessions/end")]
pub async fn end_my_session(handle: String) -> Result<(), AppError> {
    with_status(
        async {
            let (state, user, _) = require_user(Role::Viewer).await?;
            let session = leptos_axum::extract::<Session>().await.map_err(internal)?;
            let handle = handle.trim();
            if current_handle(&session).as_deref() == Some(handle) {
                end_session(&session).await?;
                redirect_plain_post(routes::LOGIN);
                return Ok(());
            }
            if !state
                .store
                .end_session_of(user.id, handle)
                .await
                .map_err(internal)?
            {
                return Err(AppError::NotFound(Message::SessionEnded));
            }
            redirect_plain_post(routes::ACCOUNT);
            Ok(())
        }
        .await,
    )
}

/// Ends every session of the signed-in person but this one; how many ended.
#[server(endpoint = "account/sessions/end-others")]
pub async fn end_my_other_sessions() -> Result<u64, AppError> {
    with_status(
        async {
            let (state, user, _) = require_user(Role::Viewer).await?;
            let session = leptos_axum::extract::<Session>().await.map_err(internal)?;
            let ended = state
                .store
                .end_sessions_of(user.id, current_handle(&session).as_deref())
                .await
                .map_err(internal)?;
            redirect_plain_post(routes::ACCOUNT);
            Ok(ended)
        }
        .await,
    )
}

/// Changes the signed-in person's password (their current one required); their other
/// sessions end.
#[server(endpoint = "account/password")]
pub async fn change_my_password(
    current_password: String,
    password: String,
    password_confirm: String,
) -> Result<PasswordOutcome, AppError> {
    with_status(
        async {
            let (state, user, _) = require_user(Role::Viewer).await?;
            let session = leptos_axum::extract::<Session>().await.map_err(internal)?;
            let actor = request_actor(&state, &user)?;
            let outcome = users::change_own_password(
                &state,
                &user,
                &actor,
                current_handle(&session).as_deref(),
                current_password,
                password,
                &password_confirm,
            )
            .await?;
            match &outcome {
                PasswordOutcome::Changed => {
                    redirect_plain_post(&format!("{}?changed=1", routes::ACCOUNT))
                }
                PasswordOutcome::Invalid { errors } => {
                    let first = first_problem_query(errors);
                    redirect_plain_post(&format!("{}?error={}", routes::ACCOUNT, first));
                }
            }
            Ok(outcome)
        }
        .await,
    )
}

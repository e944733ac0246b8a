//! The team: invitations and reset links (one-time, kept only as a hash), an administrator's
//! changes to users under the last-administrator rule, one's own password, and one's sessions.

use crate::error::AppError;
use crate::model::audit::diff;
use crate::model::message::{Message, Thing};
use crate::model::user::{
    new_password_errors, LinkPurpose, LinkShown, LinkState, PasswordOutcome, SessionItem,
    UserAction, UserItem, UserStatus,
};
use crate::model::{email_problem, routes, Role};
use crate::server::audit::{entry, password_changed, user_fields, Actor, Object};
use crate::server::auth::{hash_password, internal, verify_password};
use crate::server::crypto::{random_token, token_hash};
use crate::server::state::AppState;
use crate::server::storage::{
    now_ms, NewInvitation, NewLink, SessionSummary, StoreError, UserChange, UserChanged,
    UserListing, UserRecord,
};
use crate::server::webhooks::format_ms;
use uuid::Uuid;

/// A new one-time link's token (given once, in the link) and what is stored of it.
pub fn new_link(
    purpose: LinkPurpose,
    now_ms: i64,
    expiry: std::time::Duration,
) -> (String, NewLink) {
    let token = random_token(32);
    let link = NewLink {
        token_hash: token_hash(&token),
        purpose: purpose.as_str().into(),
        created_at_ms: now_ms,
        expires_at_ms: now_ms.saturating_add(expiry.as_millis() as i64),
    };
    (token, link)
}

pub fn link_path(token: &str) -> String {
    format!("{}?token={token}", routes::SET_PASSWORD)
}

/// A user as the users page shows them to `viewer`.
pub fn user_item(listing: &UserListing, viewer: Uuid) -> UserItem {
    let user = &listing.user;
    UserItem {
        id: user.id.to_string(),
        email: user.email.clone(),
        role: Role::parse(&user.role).unwrap_or(Role::Viewer),
        status: UserStatus::parse(&user.status).unwrap_or(UserStatus::Disabled),
        created_at: format_ms(listing.created_at_ms),
        last_sign_in_at: listing.last_sign_in_at_ms.map(format_ms),
        created_by: listing.created_by.clone(),
        is_you: user.id == viewer,
    }
}

/// The organization's users; at most [`USERS_PER_ORGANIZATION`] exist.
///
/// [`USERS_PER_ORGANIZATION`]: crate::model::capacity::USERS_PER_ORGANIZATION
pub async fn list(state: &AppState, admin: &UserRecord) -> Result<Vec<UserItem>, AppError> {
    let listings = state
        .store
        .list_users(admin.organization_id)
        .await
        .map_err(internal)?;
    Ok(listings
        .iter()
        .map(|listing| user_item(listing, admin.id))
        .collect())
}

/// Invites `email` with `role` into the administrator's organization: an invited user without
/// a password, and the link that sets it.
pub async fn invite(
    state: &AppState,
    admin: &UserRecord,
    actor: &Actor,
    email: &str,
    role: &str,
) -> Result<LinkShown, AppError> {
    let email = email.trim().to_lowercase();
    if let Some(problem) = email_problem(&email) {
        return Err(AppError::BadRequest(problem));
    }
    let role = Role::parse(role.trim()).ok_or(AppError::BadRequest(Message::ChooseRole))?;
    let count = state
        .store
        .list_users(admin.organization_id)
        .await
        .map_err(internal)?
        .len();
    if let Some(full) = crate::model::capacity::USERS_PER_ORGANIZATION.full(count) {
        return Err(AppError::BadRequest(full));
    }
    let now = now_ms();
    let (token, link) = new_link(LinkPurpose::Invitation, now, state.config.invitation_expiry);
    let expires_at = format_ms(link.expires_at_ms);
    let id = Uuid::new_v4();
    let audit = entry(
        admin.organization_id,
        actor,
        "user.invited",
        Object {
            kind: "user",
            id: Some(id.to_string()),
            name: &email,
        },
        &diff(None, Some(&user_fields(&email, role.as_str(), "invited"))),
    );
    let user = state
        .store
        .invite_user(
            &NewInvitation {
                id,
                organization_id: admin.organization_id,
                email: email.clone(),
                role: role.as_str().into(),
                created_by: admin.id,
                link,
            },
            &audit,
        )
        .await
        .map_err(|error| match error {
            StoreError::Duplicate(_) => AppError::BadRequest(Message::UserExists),
            other => internal(other),
        })?;
    let listing = UserListing {
        user,
        created_at_ms: now,
        last_sign_in_at_ms: None,
        created_by: Some(admin.email.clone()),
    };
    Ok(LinkShown {
        user: user_item(&listing, admin.id),
        purpose: LinkPurpose::Invitation,
        path: link_path(&token),
        expires_at,
    })
}

/// A new password link for a user of the organization, replacing any unused one: an invited
/// user gets a fresh invitation, anyone else a reset. Their password and sessions stay as they
/// are until the link is used.
pub async fn reset_link(
    state: &AppState,
    admin: &UserRecord,
    actor: &Actor,
    user_id: Uuid,
) -> Result<LinkShown, AppError> {
    let listing = listing_of(state, admin, user_id).await?;
    if listing.user.status == UserStatus::Disabled.as_str() {
        return Err(AppError::BadRequest(Message::UserDisabledNoLink));
    }
    let purpose = if listing.user.status == UserStatus::Invited.as_str() {
        LinkPurpose::Invitation
    } else {
        LinkPurpose::Reset
    };
    let (token, link) = new_link(purpose, now_ms(), state.config.invitation_expiry);
    let expires_at = format_ms(link.expires_at_ms);
    let action = match purpose {
        LinkPurpose::Invitation => "user.invitation_renewed",
        LinkPurpose::Reset => "user.reset_link_made",
    };
    let audit = entry(
        admin.organization_id,
        actor,
        action,
        Object::user(&listing.user),
        &[],
    );
    if !state
        .store
        .replace_user_link(admin.organization_id, user_id, &link, &audit)
        .await
        .map_err(internal)?
    {
        return Err(no_such_user());
    }
    Ok(LinkShown {
        user: user_item(&listing, admin.id),
        purpose,
        path: link_path(&token),
        expires_at,
    })
}

/// The user of the administrator's organization with this id, as the users page lists them.
async fn listing_of(
    state: &AppState,
    admin: &UserRecord,
    user_id: Uuid,
) -> Result<UserListing, AppError> {
    state
        .store
        .list_users(admin.organization_id)
        .await
        .map_err(internal)?
        .into_iter()
        .find(|listing| listing.user.id == user_id)
        .ok_or_else(no_such_user)
}

fn no_such_user() -> AppError {
    AppError::no_such(Thing::User)
}

/// Applies an administrator's change; disabling or removing someone ends their sessions at
/// once.
pub async fn change(
    state: &AppState,
    admin: &UserRecord,
    actor: &Actor,
    user_id: Uuid,
    action: UserAction,
) -> Result<(), AppError> {
    let user = listing_of(state, admin, user_id).await?.user;
    let before = user_fields(&user.email, &user.role, &user.status);
    let (change, name, after) = match action {
        UserAction::SetRole(role) => (
            UserChange::SetRole(role),
            "user.role_changed",
            Some(user_fields(&user.email, role.as_str(), &user.status)),
        ),
        UserAction::Disable => (
            UserChange::Disable,
            "user.disabled",
            Some(user_fields(&user.email, &user.role, "disabled")),
        ),
        // Back to invited when they never set a password: what the store does too.
        UserAction::Enable => {
            let status = match user.status.as_str() {
                "disabled" if user.password_hash.is_empty() => "invited",
                "disabled" => "active",
                other => other,
            };
            (
                UserChange::Enable,
                "user.enabled",
                Some(user_fields(&user.email, &user.role, status)),
            )
        }
        UserAction::Remove => (UserChange::Remove, "user.removed", None),
    };
    let audit = entry(
        admin.organization_id,
        actor,
        name,
        Object::user(&user),
        &diff(Some(&before), after.as_ref()),
    );
    match state
        .store
        .change_user(admin.organization_id, user_id, change, &audit)
        .await
        .map_err(internal)?
    {
        UserChanged::Done => Ok(()),
        UserChanged::NotFound => Err(no_such_user()),
        UserChanged::LastAdmin => Err(AppError::BadRequest(Message::LastAdmin)),
    }
}

/// What the link with `token` is good for now.
pub async fn link_state(state: &AppState, token: &str) -> Result<LinkState, AppError> {
    Ok(match usable_link(state, token).await? {
        Some((purpose, user)) => LinkState::Ready {
            email: user.email,
            purpose,
        },
        None => LinkState::Invalid,
    })
}

/// The purpose and user of the link with `token`, while it is good and its user not disabled.
async fn usable_link(
    state: &AppState,
    token: &str,
) -> Result<Option<(LinkPurpose, UserRecord)>, AppError> {
    if token.is_empty() || token.len() > MAX_TOKEN_CHARS {
        return Ok(None);
    }
    let found = state
        .store
        .user_link(&token_hash(token), now_ms())
        .await
        .map_err(internal)?;
    Ok(found.and_then(|(purpose, user)| {
        let purpose = LinkPurpose::parse(&purpose)?;
        (user.status != UserStatus::Disabled.as_str()).then_some((purpose, user))
    }))
}

/// A link's token is 43 characters; anything much longer is no token of ours.
const MAX_TOKEN_CHARS: usize = 128;

/// Sets the password through the link with `token`, once: the user, now active, or the
/// fields' problems; [`Message::LinkNoGood`] when the link is no good (any more).
pub async fn use_link(
    state: &AppState,
    address: Option<String>,
    token: &str,
    password: String,
    password_confirm: &str,
) -> Result<Result<UserRecord, crate::model::FieldErrors>, AppError> {
    let Some((purpose, user)) = usable_link(state, token).await? else {
        return Err(link_no_good());
    };
    let email = user.email.clone();
    let errors = new_password_errors(&email, &password, password_confirm);
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let hash = hash_password(&state.password_hashing, password).await?;
    let mut changes = password_changed();
    let action = match purpose {
        LinkPurpose::Invitation => {
            changes.extend(diff(
                Some(&vec![(
                    "status".to_string(),
                    Some(user.status.clone()),
                    false,
                )]),
                Some(&vec![("status".to_string(), Some("active".into()), false)]),
            ));
            "user.invitation_accepted"
        }
        LinkPurpose::Reset => "user.password_reset",
    };
    let audit = entry(
        user.organization_id,
        &Actor::user(&user, address),
        action,
        Object::user(&user),
        &changes,
    );
    state
        .store
        .use_user_link(&token_hash(token), &hash, now_ms(), &audit)
        .await
        .map_err(internal)?
        .map(Ok)
        .ok_or_else(link_no_good)
}

fn link_no_good() -> AppError {
    AppError::NotFound(Message::LinkNoGood)
}

/// Changes `user`'s own password after checking their current one; every other session of
/// theirs ends, the one with handle `keep` (theirs now) stays.
pub async fn change_own_password(
    state: &AppState,
    user: &UserRecord,
    actor: &Actor,
    keep: Option<&str>,
    current: String,
    password: String,
    password_confirm: &str,
) -> Result<PasswordOutcome, AppError> {
    if crate::model::sign_in_problem("", &current).is_some()
        || !verify_password(
            &state.password_hashing,
            current,
            Some(user.password_hash.clone()),
        )
        .await?
    {
        let mut errors = crate::model::FieldErrors::new();
        errors.insert(
            "current_password".into(),
            crate::model::message::Message::NotCurrentPassword,
        );
        return Ok(PasswordOutcome::Invalid { errors });
    }
    let errors = new_password_errors(&user.email, &password, password_confirm);
    if !errors.is_empty() {
        return Ok(PasswordOutcome::Invalid { errors });
    }
    let hash = hash_password(&state.password_hashing, password).await?;
    let audit = entry(
        user.organization_id,
        actor,
        "user.password_changed",
        Object::user(user),
        &password_changed(),
    );
    state
        .store
        .set_password(user.id, &hash, keep, &audit)
        .await
        .map_err(internal)?;
    Ok(PasswordOutcome::Changed)
}

/// The user's sessions as their account page lists them, `current` marked.
pub fn session_items(summaries: Vec<SessionSummary>, current: Option<&str>) -> Vec<SessionItem> {
    summaries
        .into_iter()
        .map(|summary| SessionItem {
            current: current == Some(summary.handle.as_str()),
            handle: summary.handle,
            signed_in_at: summary.signed_in_at_ms.map(format_ms),
            last_seen_at: summary.seen_at_ms.map(format_ms),
            address: summary.address,
            agent: summary.agent,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_keeps_only_the_hash_of_its_token_and_expires() {
        let (token, link) = new_link(
            LinkPurpose::Invitation,
            1_000,
            std::time::Duration::from_secs(72 * 3600),
        );
        assert_eq!(token.len(), 43);
        assert_eq!(link.token_hash, token_hash(&token));
        assert!(!link.token_hash.contains(&token));
        assert_eq!(link.purpose, "invitation");
        assert_eq!(link.expires_at_ms, 1_000 + 72 * 3_600_000);
        let (other, _) = new_link(LinkPurpose::Reset, 1_000, std::time::Duration::ZERO);
        assert_ne!(token, other);
        assert_eq!(link_path("abc"), "/set-password?token=abc");
    }

    #[test]
    fn the_current_session_is_marked_in_the_list() {
        let summary = |handle: &str| SessionSummary {
            handle: handle.into(),
            signed_in_at_ms: Some(0),
            seen_at_ms: None,
            address: Some("192.0.2.1".into()),
            agent: None,
        };
        let items = session_items(vec![summary("a"), summary("b")], Some("b"));
        assert_eq!(
            items.iter().map(|item| item.current).collect::<Vec<_>>(),
            [false, true]
        );
        assert_eq!(
            items[0].signed_in_at.as_deref(),
            Some("1970-01-01T00:00:00Z")
        );
        assert_eq!(items[0].last_seen_at, None);
    }
}

//! The names of the product's fixed values (roles, channels, statuses, states) in the page's
//! language: one place, so every page says them alike.

use crate::i18n::{tu_string, use_i18n};
use crate::model::campaign::CampaignStatus;
use crate::model::credential::Scope;
use crate::model::history::DeliveryState;
use crate::model::user::UserStatus;
use crate::model::{Channel, Role};

/// A role's name, in the page's language.
pub fn role_label(role: Role) -> &'static str {
    let i18n = use_i18n();
    match role {
        Role::Viewer => tu_string!(i18n, roles.viewer),
        Role::Editor => tu_string!(i18n, roles.editor),
        Role::Admin => tu_string!(i18n, roles.admin),
    }
}

/// A delivery state's name in the page's language.
pub fn state_label(state: DeliveryState) -> &'static str {
    let i18n = use_i18n();
    match state {
        DeliveryState::Pending => tu_string!(i18n, states.pending),
        DeliveryState::Retrying => tu_string!(i18n, states.retrying),
        DeliveryState::Succeeded => tu_string!(i18n, states.succeeded),
        DeliveryState::Failed => tu_string!(i18n, states.failed),
    }
}

/// A campaign's status in the page's language.
pub fn campaign_status_label(status: CampaignStatus) -> &'static str {
    let i18n = use_i18n();
    match status {
        CampaignStatus::Draft => tu_string!(i18n, campaigns.draft),
        CampaignStatus::Live => tu_string!(i18n, campaigns.live),
        CampaignStatus::Stopped => tu_string!(i18n, campaigns.stopped),
    }
}

/// A channel's name in the page's language.
pub fn channel_label(channel: Channel) -> &'static str {
    let i18n = use_i18n();
    match channel {
        Channel::Email => tu_string!(i18n, webhook.email),
        Channel::Sms => tu_string!(i18n, webhook.sms),
    }
}

/// A feedback event's name (`sent`, `delivered`, `bounce`, `error`) in the page's language;
/// anything else as it is.
pub fn event_label(event: &str) -> String {
    let i18n = use_i18n();
    match event {
        "sent" => tu_string!(i18n, webhook.sent).to_string(),
        "delivered" => tu_string!(i18n, webhook.delivered).to_string(),
        "bounce" => tu_string!(i18n, webhook.bounce).to_string(),
        "error" => tu_string!(i18n, webhook.error).to_string(),
        other => other.to_string(),
    }
}

/// What an API credential's scope lets it do, in the page's language.
pub fn scope_meaning(scope: Scope) -> &'static str {
    let i18n = use_i18n();
    match scope {
        Scope::Execute => tu_string!(i18n, credentials.scope_execute),
        Scope::Read => tu_string!(i18n, credentials.scope_read),
        Scope::Write => tu_string!(i18n, credentials.scope_write),
        Scope::Audit => tu_string!(i18n, credentials.scope_audit),
        Scope::Admin => tu_string!(i18n, credentials.scope_admin),
    }
}

/// One of the credential form's expiry choices (its key), in the page's language.
pub fn expiry_label(key: &str) -> &'static str {
    let i18n = use_i18n();
    match key {
        "30d" => tu_string!(i18n, credentials.expiry_30d),
        "90d" => tu_string!(i18n, credentials.expiry_90d),
        "180d" => tu_string!(i18n, credentials.expiry_180d),
        "365d" => tu_string!(i18n, credentials.expiry_365d),
        _ => tu_string!(i18n, credentials.expiry_never),
    }
}

/// A user's status in the page's language.
pub fn user_status_label(status: UserStatus) -> &'static str {
    let i18n = use_i18n();
    match status {
        UserStatus::Invited => tu_string!(i18n, users.invited),
        UserStatus::Active => tu_string!(i18n, users.active),
        UserStatus::Disabled => tu_string!(i18n, users.disabled),
    }
}

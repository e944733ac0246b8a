//! The names of the product's fixed values (roles, channels, statuses, states) in the page's
//! language: one place, so every page says them alike.

use crate::i18n::{td_string, use_locale};
use crate::model::campaign::CampaignStatus;
use crate::model::credential::Scope;
use crate::model::history::DeliveryState;
use crate::model::user::UserStatus;
use crate::model::{Channel, Role};

/// A role's name, in the page's language.
pub fn role_label(role: Role) -> &'static str {
    let locale = use_locale();
    match role {
        Role::Viewer => td_string!(locale, roles.viewer),
        Role::Editor => td_string!(locale, roles.editor),
        Role::Admin => td_string!(locale, roles.admin),
    }
}

/// A delivery state's name in the page's language.
pub fn state_label(state: DeliveryState) -> &'static str {
    let locale = use_locale();
    match state {
        DeliveryState::Pending => td_string!(locale, states.pending),
        DeliveryState::Retrying => td_string!(locale, states.retrying),
        DeliveryState::Succeeded => td_string!(locale, states.succeeded),
        DeliveryState::Failed => td_string!(locale, states.failed),
    }
}

/// A campaign's status in the page's language.
pub fn campaign_status_label(status: CampaignStatus) -> &'static str {
    let locale = use_locale();
    match status {
        CampaignStatus::Draft => td_string!(locale, campaigns.draft),
        CampaignStatus::Live => td_string!(locale, campaigns.live),
        CampaignStatus::Stopped => td_string!(locale, campaigns.stopped),
    }
}

/// A channel's name in the page's language.
pub fn channel_label(channel: Channel) -> &'static str {
    let locale = use_locale();
    match channel {
        Channel::Email => td_string!(locale, webhook.email),
        Channel::Sms => td_string!(locale, webhook.sms),
    }
}

/// A feedback event's name (`sent`, `delivered`, `bounce`, `error`) in the page's language;
/// anything else as it is.
pub fn event_label(event: &str) -> String {
    let locale = use_locale();
    match event {
        "sent" => td_string!(locale, webhook.sent).to_string(),
        "delivered" => td_string!(locale, webhook.delivered).to_string(),
        "bounce" => td_string!(locale, webhook.bounce).to_string(),
        "error" => td_string!(locale, webhook.error).to_string(),
        other => other.to_string(),
    }
}

/// What an API credential's scope lets it do, in the page's language.
pub fn scope_meaning(scope: Scope) -> &'static str {
    let locale = use_locale();
    match scope {
        Scope::Execute => td_string!(locale, credentials.scope_execute),
        Scope::Read => td_string!(locale, credentials.scope_read),
        Scope::Write => td_string!(locale, credentials.scope_write),
        Scope::Audit => td_string!(locale, credentials.scope_audit),
        Scope::Admin => td_string!(locale, credentials.scope_admin),
    }
}

/// One of the credential form's expiry choices (its key), in the page's language.
pub fn expiry_label(key: &str) -> &'static str {
    let locale = use_locale();
    match key {
        "30d" => td_string!(locale, credentials.expiry_30d),
        "90d" => td_string!(locale, credentials.expiry_90d),
        "180d" => td_string!(locale, credentials.expiry_180d),
        "365d" => td_string!(locale, credentials.expiry_365d),
        _ => td_string!(locale, credentials.expiry_never),
    }
}

/// A user's status in the page's language.
pub fn user_status_label(status: UserStatus) -> &'static str {
    let locale = use_locale();
    match status {
        UserStatus::Invited => td_string!(locale, users.invited),
        UserStatus::Active => td_string!(locale, users.active),
        UserStatus::Disabled => td_string!(locale, users.disabled),
    }
}

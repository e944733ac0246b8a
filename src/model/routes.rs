//! Paths of the admin pages, written once.

pub const WEBHOOKS: &str = "/admin/channels/feedback-webhooks";
pub const NEW_WEBHOOK: &str = "/admin/channels/feedback-webhooks/new";
pub const LOGIN: &str = "/login";
/// The language switcher's form (`POST`, see `api::language`).
pub const LANGUAGE: &str = "/language";
/// Where an invitation or reset link leads: `?token=…`.
pub const SET_PASSWORD: &str = "/set-password";
/// Administration › Users.
pub const USERS: &str = "/admin/users";
/// Administration › Audit log, and its export (`?format=csv|jsonl` plus the page's filters).
pub const AUDIT_LOG: &str = "/admin/audit-log";
pub const AUDIT_LOG_EXPORT: &str = "/admin/audit-log/export";
/// The signed-in person's password and sessions.
pub const ACCOUNT: &str = "/admin/account";

pub fn webhook(id: &str) -> String {
    format!("{WEBHOOKS}/{id}")
}

pub fn delete_webhook(id: &str) -> String {
    format!("{WEBHOOKS}/{id}/delete")
}

/// The webhook list saying it saved webhook `id`: where a save goes on, from the form's island
/// and from a plain form post alike.
pub fn webhook_saved(id: &str) -> String {
    format!("{WEBHOOKS}?saved={id}")
}

/// The webhook list saying it deleted the webhook named `name`.
pub fn webhook_deleted(name: &str) -> String {
    let name: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    format!("{WEBHOOKS}?deleted={name}")
}

pub const CAMPAIGNS: &str = "/admin/campaigns";
pub const NEW_CAMPAIGN: &str = "/admin/campaigns/new";
pub const CREDENTIALS: &str = "/admin/api-credentials";

pub fn campaign(id: &str) -> String {
    format!("{CAMPAIGNS}/{id}")
}

/// The campaign list saying it saved campaign `id`.
pub fn campaign_saved(id: &str) -> String {
    format!("{CAMPAIGNS}?saved={id}")
}
pub const SANDBOXES: &str = "/admin/sandboxes";
pub const API_REFERENCE: &str = "/admin/api-reference";

/// Every delivery of the current sandbox.
pub const DELIVERIES: &str = "/admin/deliveries";
/// The filtered deliveries as a file: `?format=csv` or `?format=jsonl` plus the list's filters.
pub const DELIVERIES_EXPORT: &str = "/admin/deliveries/export";

pub fn delivery(id: &str) -> String {
    format!("{DELIVERIES}/{id}")
}

pub fn webhook_deliveries(id: &str) -> String {
    format!("{WEBHOOKS}/{id}/deliveries")
}

pub fn campaign_executions(id: &str) -> String {
    format!("{CAMPAIGNS}/{id}/executions")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deleted_notice_carries_the_name_encoded_for_the_address() {
        assert_eq!(
            webhook_deleted("Orders & refunds (prod)"),
            "/admin/channels/feedback-webhooks?deleted=Orders+%26+refunds+%28prod%29"
        );
        assert_eq!(
            webhook_saved("0192"),
            "/admin/channels/feedback-webhooks?saved=0192"
        );
    }
}

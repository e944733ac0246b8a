//! Paths of the admin pages, written once.

pub const WEBHOOKS: &str = "/admin/channels/feedback-webhooks";
pub const NEW_WEBHOOK: &str = "/admin/channels/feedback-webhooks/new";
pub const LOGIN: &str = "/login";

pub fn webhook(id: &str) -> String {
    format!("{WEBHOOKS}/{id}")
}

pub fn delete_webhook(id: &str) -> String {
    format!("{WEBHOOKS}/{id}/delete")
}

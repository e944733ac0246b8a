mod campaign_form;
mod campaigns_list;
mod credentials;
mod login;
mod not_found;
mod setup;
mod webhook_delete;
mod webhook_form;
mod webhooks_list;

pub use campaign_form::CampaignFormPage;
pub use campaigns_list::CampaignsPage;
pub use credentials::CredentialsPage;
pub use login::LoginPage;
pub use not_found::NotFoundPage;
pub use setup::SetupPage;
pub use webhook_delete::DeleteWebhookPage;
pub use webhook_form::WebhookFormPage;
pub use webhooks_list::WebhooksPage;

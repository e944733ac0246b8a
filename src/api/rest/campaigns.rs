//! `/api/v1/campaigns`: the campaigns of the caller's sandbox, with their Audience section's
//! feedback webhook, checked like the campaign form.

use super::*;
use crate::error::AppError;
use crate::model::campaign::{CampaignForm, CampaignStatus};
use crate::model::feedback::FeedbackStatus;
use crate::model::webhook::Channel;
use crate::model::{checkbox, SaveOutcome};
use crate::server::campaigns;
use crate::server::storage::CampaignRecord;
use crate::server::webhooks::format_ms;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/campaigns",
            get(list_campaigns).post(create_campaign),
        )
        .route(
            "/api/v1/campaigns/{id}",
            get(get_campaign).put(update_campaign),
        )
        .route("/api/v1/campaigns/{id}/executions", get(list_executions))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignResource {
    #[schema(format = Uuid)]
    id: String,
    name: String,
    channel: Channel,
    status: CampaignStatus,
    /// Changes with every save; the feedback payload's `campaignVersionID`.
    #[serde(rename = "campaignVersionID")]
    campaign_version_id: String,
    email_subject: String,
    email_body: String,
    sms_text: String,
    feedback_webhook: FeedbackWebhookSetting,
    created_at: String,
    updated_at: String,
}

/// The Audience section's switch and choice.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeedbackWebhookSetting {
    enabled: bool,
    /// One of this sandbox's webhooks that receives the campaign's channel; required when
    /// `enabled`.
    #[schema(format = Uuid)]
    webhook_id: Option<String>,
}

/// A campaign to create or replace. Unknown fields are refused.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CampaignInput {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        example = "Order shipped"
    )]
    name: String,
    channel: Channel,
    #[serde(default = "draft")]
    #[schema(default = "draft")]
    status: CampaignStatus,
    /// Required for an email campaign.
    #[serde(default)]
    #[schema(max_length = 255, example = "Your order {{orderId}} has shipped")]
    email_subject: String,
    /// Required for an email campaign.
    #[serde(default)]
    #[schema(max_length = 100000)]
    email_body: String,
    /// Required for an SMS campaign.
    #[serde(default)]
    #[schema(max_length = 1600)]
    sms_text: String,
    feedback_webhook: Option<FeedbackWebhookSetting>,
}

fn draft() -> CampaignStatus {
    CampaignStatus::Draft
}

fn campaign_resource(record: &CampaignRecord) -> CampaignResource {
    let settings = &record.settings;
    CampaignResource {
        id: record.id.to_string(),
        name: settings.name.clone(),
        channel: settings.channel,
        status: settings.status,
        campaign_version_id: settings.version_id.clone(),
        email_subject: settings.content.email_subject.clone(),
        email_body: settings.content.email_body.clone(),
        sms_text: settings.content.sms_text.clone(),
        feedback_webhook: FeedbackWebhookSetting {
            enabled: settings.webhook_enabled,
            webhook_id: settings.webhook_id.map(|id| id.to_string()),
        },
        created_at: format_ms(record.created_at_ms),
        updated_at: format_ms(record.updated_at_ms),
    }
}

fn campaign_form(id: &str, input: CampaignInput) -> CampaignForm {
    let webhook = input.feedback_webhook;
    CampaignForm {
        id: id.to_string(),
        name: input.name,
        channel: input.channel.as_str().into(),
        status: input.status.as_str().into(),
        email_subject: input.email_subject,
        email_body: input.email_body,
        sms_text: input.sms_text,
        webhook_enabled: checkbox(webhook.as_ref().is_some_and(|w| w.enabled)),
        webhook_id: webhook.and_then(|w| w.webhook_id).unwrap_or_default(),
    }
}

/// The campaign form's field as the body names it: `webhook_id` → `feedbackWebhook.webhookId`.
fn api_field(field: &str) -> String {
    match field {
        "webhook_id" => "feedbackWebhook.webhookId".into(),
        _ => camel_case(field),
    }
}

async fn load(state: &AppState, sandbox: &SandboxRef, id: &str) -> Result<CampaignRecord, Refusal> {
    campaigns::load(state, sandbox, id)
        .await
        .map_err(refused("campaign"))
}

async fn saved_campaign(
    state: &AppState,
    sandbox: &SandboxRef,
    outcome: Result<SaveOutcome, AppError>,
) -> ApiResult {
    saved(outcome, "campaign", api_field, |id| async move {
        let record = campaigns::load(state, sandbox, &id).await.ok()?;
        Some(campaign_resource(&record))
    })
    .await
}

/// The sandbox's campaigns, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", params(PageQuery),
    responses((status = 200, body = Page<CampaignResource>)),
    security(("apiKey" = ["read"], "bearerToken" = ["read"])))]
async fn list_campaigns(
    State(state): State<AppState>,
    call: RestCall,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Read).await?;
            // Who calls is checked first: a refused caller learns nothing of the query.
            let Query(query) = query.map_err(query_refused)?;
            let records = state
                .store
                .list_campaigns(sandbox.id)
                .await
                .map_err(internal)?;
            list_page(
                records,
                |r| (r.created_at_ms, r.id),
                &query,
                campaign_resource,
            )
        }
        .await,
    )
}

/// Creates a campaign, checked exactly like the campaign form.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignInput,
    responses((status = 201, body = CampaignResource)),
    security(("apiKey" = ["write"], "bearerToken" = ["write"])))]
async fn create_campaign(State(state): State<AppState>, call: RestCall, body: Bytes) -> Response {
    answer(
        async {
            let (sandbox, actor) = acting_caller(&state, &call, Scope::Write).await?;
            let form = campaign_form("", parse_body(&body)?);
            let outcome = campaigns::save(&state, &sandbox, &actor, &form).await;
            saved_campaign(&state, &sandbox, outcome).await
        }
        .await,
    )
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(Id),
    responses((status = 200, body = CampaignResource)),
    security(("apiKey" = ["read"], "bearerToken" = ["read"])))]
async fn get_campaign(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Read).await?;
            let record = load(&state, &sandbox, &id).await?;
            Ok(json_response(StatusCode::OK, &campaign_resource(&record)))
        }
        .await,
    )
}

/// Replaces a campaign's settings; its version changes.
#[utoipa::path(put, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(Id), request_body = CampaignInput,
    responses((status = 200, body = CampaignResource)),
    security(("apiKey" = ["write"], "bearerToken" = ["write"])))]
async fn update_campaign(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    answer(
        async {
            let (sandbox, actor) = acting_caller(&state, &call, Scope::Write).await?;
            load(&state, &sandbox, &id).await?;
            let form = campaign_form(&id, parse_body(&body)?);
            let outcome = campaigns::save(&state, &sandbox, &actor, &form).await;
            saved_campaign(&state, &sandbox, outcome).await
        }
        .await,
    )
}

/// One call of the execution API for the campaign, with what became of each recipient.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionResource {
    request_id: String,
    created_at: String,
    messages: Vec<MessageResource>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageResource {
    #[serde(rename = "messageExecutionID")]
    message_execution_id: String,
    /// The address the message went to.
    recipient: String,
    namespace: String,
    /// The provider's outcomes so far, oldest first.
    events: Vec<MessageEventResource>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageEventResource {
    event: FeedbackStatus,
    created_at: String,
    /// The feedback deliveries of this event (none when no webhook receives it).
    deliveries: Vec<EventDeliveryResource>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventDeliveryResource {
    #[schema(format = Uuid)]
    id: String,
    /// `pending`, `retrying`, `succeeded` or `failed`.
    state: String,
}

/// The campaign's executions, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/executions", tag = "campaigns", params(Id, PageQuery),
    responses((status = 200, body = Page<ExecutionResource>)),
    security(("apiKey" = ["read"], "bearerToken" = ["read"])))]
async fn list_executions(
    State(state): State<AppState>,
    call: RestCall,
    Path(id): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Read).await?;
            // Who calls is checked first: a refused caller learns nothing of the query.
            let Query(query) = query.map_err(query_refused)?;
            let limit = page_limit(query.limit)?;
            load(&state, &sandbox, &id).await?;
            before_cursor(query.before.as_deref())?;
            let page = crate::server::history::executions(
                &state,
                &sandbox,
                &id,
                query.before.as_deref(),
                limit,
            )
            .await
            .map_err(refused("campaign"))?;
            let items = page
                .executions
                .into_iter()
                .map(|execution| ExecutionResource {
                    request_id: execution.request_id,
                    created_at: execution.created_at,
                    messages: execution
                        .messages
                        .into_iter()
                        .map(|message| MessageResource {
                            message_execution_id: message.message_execution_id,
                            recipient: message.recipient,
                            namespace: message.namespace,
                            events: message
                                .events
                                .into_iter()
                                .filter_map(|event| {
                                    Some(MessageEventResource {
                                        event: FeedbackStatus::parse(&event.event)?,
                                        created_at: event.created_at,
                                        deliveries: event
                                            .deliveries
                                            .into_iter()
                                            .map(|(id, state)| EventDeliveryResource {
                                                id,
                                                state: state.as_str().to_string(),
                                            })
                                            .collect(),
                                    })
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect();
            Ok(json_response(
                StatusCode::OK,
                &Page {
                    items,
                    next_before: page.older,
                },
            ))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::campaign::{
        BODY_MAX_CHARS, CAMPAIGN_NAME_MAX_CHARS, SMS_MAX_CHARS, SUBJECT_MAX_CHARS,
    };

    #[test]
    fn the_forms_fields_are_named_as_the_body_spells_them() {
        assert_eq!(api_field("webhook_id"), "feedbackWebhook.webhookId");
        assert_eq!(api_field("email_subject"), "emailSubject");
        assert_eq!(api_field("sms_text"), "smsText");
    }

    #[test]
    fn the_schema_bounds_are_the_forms() {
        assert_eq!(CAMPAIGN_NAME_MAX_CHARS, 100);
        assert_eq!(SUBJECT_MAX_CHARS, 255);
        assert_eq!(BODY_MAX_CHARS, 100_000);
        assert_eq!(SMS_MAX_CHARS, 1_600);
    }
}

//! Executing a campaign for up to 20 recipients (`POST /im/executions/unitary`): checks the
//! caller, the campaign and every recipient, stores the execution with its messages and their
//! provider outcomes in one transaction, and answers 202 (the same answer to a replay). Outcomes
//! due at once (`sent`) go out in that transaction as feedback events with their deliveries;
//! later ones are emitted by the outcome dispatcher when due.

use crate::model::campaign::{render, CampaignStatus, RENDERED_MAX_BYTES};
use crate::model::credential::Scope;
use crate::model::execution::{parse_execution_request, RequestProblem};
use crate::model::feedback::FeedbackFacts;
use crate::model::Channel;
use crate::server::provider::feedback_event;
use crate::server::public_api::{authorize, CallerHeaders, Refusal};
use crate::server::state::AppState;
use crate::server::storage::*;
use serde_json::json;
use uuid::Uuid;

/// The answer: 202 with this body.
pub struct Accepted {
    pub body: String,
    pub replayed: bool,
}

pub async fn execute(
    state: &AppState,
    headers: CallerHeaders<'_>,
    body: &[u8],
) -> Result<Accepted, Refusal> {
    let (credential, sandbox) = authorize(state, headers, Scope::Execute).await?;
    let store = state.store.as_ref();
    let (request, channel_data) = parse_execution_request(body).map_err(|problem| Refusal {
        problem,
        ..Default::default()
    })?;
    let refuse = |status: u16, field: Option<&str>, message: String| Refusal {
        problem: RequestProblem {
            status,
            field: field.map(str::to_string),
            message,
        },
        request_id: Some(request.request_id.clone()),
        campaign_id: Some(request.campaign_id.clone()),
        ..Default::default()
    };
    let not_found = || {
        refuse(
            404,
            Some("campaignId"),
            format!(
                "No campaign {} in sandbox {}.",
                request.campaign_id, sandbox.name
            ),
        )
    };
    let campaign_id = Uuid::parse_str(&request.campaign_id).map_err(|_| not_found())?;
    let campaign = store
        .campaign(sandbox.id, campaign_id)
        .await
        .map_err(|error| {
            let status = if error.is_unavailable() { 503 } else { 500 };
            refuse(status, None, "The campaign could not be read.".into())
        })?
        .ok_or_else(not_found)?;
    let settings = &campaign.settings;
    if settings.status != CampaignStatus::Live {
        return Err(refuse(
            409,
            Some("campaignId"),
            format!(
                "Campaign “{}” is {}: only live campaigns execute.",
                settings.name,
                settings.status.as_str()
            ),
        ));
    }

    // The webhook that takes this campaign's feedback, to route the outcomes emitted at once.
    let webhook = campaign
        .webhook_route
        .as_ref()
        .filter(|_| settings.webhook_enabled);

    let now = now_ms();
    let mut messages = Vec::with_capacity(request.recipients.len());
    for (index, recipient) in request.recipients.iter().enumerate() {
        let Some(address) = recipient.address(settings.channel, channel_data[index]) else {
            let field = match settings.channel {
                Channel::Email => format!("recipients[{index}].channelData.emailAddress"),
                Channel::Sms => format!("recipients[{index}].channelData.mobilePhoneNumber"),
            };
            return Err(refuse(
                422,
                Some(&field),
                format!(
                    "{field} is required: campaign “{}” sends {}.",
                    settings.name,
                    settings.channel.label()
                ),
            ));
        };
        let fill = |template: &str, max_bytes: usize| {
            render(template, &recipient.context, &recipient.profile, max_bytes).map_err(|_| {
                refuse(
                    400,
                    Some(&format!("recipients[{index}]")),
                    format!(
                        "The {} rendered for recipients[{index}] would pass {} KB: shorten \
                         the values its context and profile put into the template.",
                        match settings.channel {
                            Channel::Email => "email",
                            Channel::Sms => "SMS",
                        },
                        RENDERED_MAX_BYTES / 1024
                    ),
                )
            })
        };
        let content = match settings.channel {
            Channel::Email => {
                let subject = fill(&settings.content.email_subject, RENDERED_MAX_BYTES)?;
                let body = fill(
                    &settings.content.email_body,
                    RENDERED_MAX_BYTES - subject.len(),
                )?;
                json!({ "subject": subject, "body": body })
            }
            Channel::Sms => {
                json!({ "text": fill(&settings.content.sms_text, RENDERED_MAX_BYTES)? })
            }
        };
        let id = message_execution_id();
        let mut outcomes = state.provider.plan(settings.channel, &address, now);
        for outcome in outcomes.iter_mut().filter(|o| o.due_at_ms <= now) {
            let facts = FeedbackFacts {
                request_id: request.request_id.clone(),
                ims_org: credential.ims_org.clone(),
                sandbox_id: sandbox.id.to_string(),
                sandbox_name: sandbox.name.clone(),
                channel: settings.channel,
                message_execution_id: id.clone(),
                campaign_id: campaign_id.to_string(),
                campaign_version_id: settings.version_id.clone(),
                status: outcome.status,
                failure: outcome.failure.clone(),
                retry_count: outcome.retry_count,
                address: address.clone(),
            };
            let route = webhook
                .filter(|webhook| webhook.receives(settings.channel, outcome.status))
                .map(|webhook| vec![webhook.id])
                .unwrap_or_default();
            outcome.emit_now =
                feedback_event(sandbox.id, facts, !route.is_empty()).map(|event| (event, route));
        }
        messages.push(NewMessageExecution {
            id,
            recipient_type: recipient.kind.clone(),
            user_id: recipient.user_id.clone(),
            namespace: recipient.namespace.clone(),
            outcomes,
            address,
            campaign_version_id: settings.version_id.clone(),
            content: content.to_string(),
        });
    }

    // Time-ordered, like event and delivery ids: cheap to index.
    let execution_id = Uuid::now_v7();
    let response = json!({
        "executionId": execution_id.to_string(),
        "requestId": request.request_id,
        "createdAt": crate::server::webhooks::format_ms(now),
        "createdBy": credential.name,
    })
    .to_string();
    let stored = state
        .executions
        .submit(NewExecution {
            id: execution_id,
            sandbox_id: sandbox.id,
            campaign_id,
            request_id: request.request_id.clone(),
            created_by: credential.name.clone(),
            response: response.clone(),
            messages,
        })
        .await
        .map_err(|error| {
            tracing::error!(%error, "storing an execution failed");
            if error.is_unavailable() {
                refuse(503, None, error.unavailable_message().to_string())
            } else {
                refuse(500, None, "The execution could not be stored.".into())
            }
        })?;
    Ok(match stored {
        ExecutionStored::Created => Accepted {
            body: response,
            replayed: false,
        },
        ExecutionStored::Replayed { response } => Accepted {
            body: response,
            replayed: true,
        },
    })
}

/// `MEX-` and the first 24 hex digits of a UUIDv7: its 48-bit millisecond time and the counter
/// that orders ids made in the same millisecond, seeded at random. Time-ordered, so the indexes
/// on message ids grow at their end.
fn message_execution_id() -> String {
    let mut hex = [0u8; 32];
    let hex = Uuid::now_v7().simple().encode_upper(&mut hex);
    format!("MEX-{}", &hex[..24])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_execution_ids_are_unique_and_in_creation_order() {
        let ids: Vec<String> = (0..2000).map(|_| message_execution_id()).collect();
        assert!(ids
            .iter()
            .all(|id| id.len() == 4 + 24 && id.starts_with("MEX-")));
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    }
}

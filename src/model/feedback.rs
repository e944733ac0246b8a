//! The feedback event payload (spec §5): the exact JSON body every delivery sends.

use super::webhook::Channel;
use serde::{Deserialize, Serialize};

/// What happened to one message, as `messageDeliveryFeedback.feedbackStatus.value`.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedbackStatus {
    Sent,
    Delivered,
    Bounce,
    Error,
}

impl FeedbackStatus {
    pub const ALL: [FeedbackStatus; 4] = [
        FeedbackStatus::Sent,
        FeedbackStatus::Delivered,
        FeedbackStatus::Bounce,
        FeedbackStatus::Error,
    ];

    pub fn parse(text: &str) -> Option<FeedbackStatus> {
        FeedbackStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }

    /// The events of a stored comma-separated filter, unknown words ignored.
    pub fn parse_list(text: &str) -> Vec<FeedbackStatus> {
        FeedbackStatus::ALL
            .into_iter()
            .filter(|status| text.split(',').any(|word| word.trim() == status.as_str()))
            .collect()
    }

    pub fn join(events: &[FeedbackStatus]) -> String {
        events
            .iter()
            .map(|status| status.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn label(self) -> &'static str {
        match self {
            FeedbackStatus::Sent => "Sent",
            FeedbackStatus::Delivered => "Delivered",
            FeedbackStatus::Bounce => "Bounce",
            FeedbackStatus::Error => "Error",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackStatus::Sent => "sent",
            FeedbackStatus::Delivered => "delivered",
            FeedbackStatus::Bounce => "bounce",
            FeedbackStatus::Error => "error",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackPayload {
    pub request_id: String,
    pub ims_org: String,
    pub sandbox: SandboxInfo,
    pub channel: Channel,
    pub event_type: String,
    pub message_execution: MessageExecution,
    pub message_delivery_feedback: MessageDeliveryFeedback,
    /// One namespace (`email` or `Phone`) with the recipient's identity.
    pub identity_map: std::collections::BTreeMap<String, Vec<Identity>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SandboxInfo {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageExecution {
    #[serde(rename = "messageExecutionID")]
    pub message_execution_id: String,
    #[serde(rename = "messageType")]
    pub message_type: String,
    #[serde(rename = "campaignID")]
    pub campaign_id: String,
    #[serde(rename = "campaignVersionID")]
    pub campaign_version_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageDeliveryFeedback {
    pub feedback_status: FeedbackStatusValue,
    pub offers: Option<serde_json::Value>,
    pub message_exclusion: Option<serde_json::Value>,
    pub message_failure: Option<MessageFailure>,
    /// The message's own send retries (soft bounces), not the webhook's attempts.
    pub retry_count: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedbackStatusValue {
    pub value: FeedbackStatus,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageFailure {
    /// `sync` or `async`.
    pub category: String,
    /// `Hard`, `Soft`, `Ignored` or `Admin`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A number written as a string, as in the published payload.
    pub code: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub id: String,
    pub primary: bool,
}

/// The failure codes of spec §5: (code, type, reason).
pub const FAILURE_CODES: [(u16, &str, &str); 18] = [
    (10, "Hard", "Invalid Recipient"),
    (15, "Hard", "Recipient Refused"),
    (20, "Soft", "Soft Bounce"),
    (21, "Soft", "DNS Failure"),
    (22, "Soft", "Mailbox Full"),
    (54, "Soft", "Relaying Denied"),
    (100, "Soft", "Challenge-Response"),
    (1, "Ignored", "Undetermined"),
    (23, "Ignored", "Too Large"),
    (24, "Ignored", "Timeout"),
    (30, "Ignored", "Generic Bounce: NO RCPT"),
    (40, "Ignored", "Generic Bounce"),
    (50, "Ignored", "Mail Block"),
    (51, "Ignored", "Spam Block"),
    (52, "Ignored", "Spam Content"),
    (60, "Ignored", "Auto-Reply"),
    (70, "Ignored", "Transient Failure"),
    (25, "Admin", "Admin Failure"),
];

impl MessageFailure {
    /// The failure of a known code, or `None` for a code outside the table.
    pub fn from_code(category: &str, code: u16) -> Option<MessageFailure> {
        FAILURE_CODES
            .iter()
            .find(|(known, _, _)| *known == code)
            .map(|(code, kind, reason)| MessageFailure {
                category: category.to_string(),
                kind: kind.to_string(),
                code: code.to_string(),
                reason: reason.to_string(),
            })
    }
}

/// Who and what a feedback event is about; everything else in the payload is fixed by the product.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedbackFacts {
    pub request_id: String,
    pub ims_org: String,
    pub sandbox_id: String,
    pub sandbox_name: String,
    pub channel: Channel,
    pub message_execution_id: String,
    pub campaign_id: String,
    pub campaign_version_id: String,
    pub status: FeedbackStatus,
    pub failure: Option<MessageFailure>,
    pub retry_count: u32,
    /// The recipient's email address or phone number.
    pub address: String,
}

impl FeedbackPayload {
    pub fn new(facts: FeedbackFacts) -> FeedbackPayload {
        let mut identity_map = std::collections::BTreeMap::new();
        identity_map.insert(
            facts.channel.identity_namespace().to_string(),
            vec![Identity {
                id: facts.address,
                primary: true,
            }],
        );
        FeedbackPayload {
            request_id: facts.request_id,
            ims_org: facts.ims_org,
            sandbox: SandboxInfo {
                id: facts.sandbox_id,
                name: facts.sandbox_name,
            },
            channel: facts.channel,
            event_type: "message.feedback".to_string(),
            message_execution: MessageExecution {
                message_execution_id: facts.message_execution_id,
                message_type: "transactional".to_string(),
                campaign_id: facts.campaign_id,
                campaign_version_id: facts.campaign_version_id,
            },
            message_delivery_feedback: MessageDeliveryFeedback {
                feedback_status: FeedbackStatusValue {
                    value: facts.status,
                },
                offers: None,
                message_exclusion: None,
                message_failure: facts.failure,
                retry_count: facts.retry_count,
            },
            identity_map,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounce() -> FeedbackPayload {
        FeedbackPayload::new(FeedbackFacts {
            request_id: "8NoByJneShCdCGRnrGS1t1m3CdA73dhR".into(),
            ims_org: "myImsOrg".into(),
            sandbox_id: "068abf40-575e-11ea-8512-9b1bfdb82603".into(),
            sandbox_name: "prod".into(),
            channel: Channel::Email,
            message_execution_id: "HUMA-26362805".into(),
            campaign_id: "16f24a15-7e21-477c-848a-d5695ca7f137".into(),
            campaign_version_id: "2ca10c10-56dd-4505-87cd-fa5da84e7a5d".into(),
            status: FeedbackStatus::Bounce,
            failure: MessageFailure::from_code("sync", 25),
            retry_count: 0,
            address: "john.doe@luma.com".into(),
        })
    }

    #[test]
    fn the_payload_has_exactly_the_published_structure() {
        let published = serde_json::json!({
            "requestId": "8NoByJneShCdCGRnrGS1t1m3CdA73dhR",
            "imsOrg": "myImsOrg",
            "sandbox": {"id": "068abf40-575e-11ea-8512-9b1bfdb82603", "name": "prod"},
            "channel": "email",
            "eventType": "message.feedback",
            "messageExecution": {
                "messageExecutionID": "HUMA-26362805",
                "messageType": "transactional",
                "campaignID": "16f24a15-7e21-477c-848a-d5695ca7f137",
                "campaignVersionID": "2ca10c10-56dd-4505-87cd-fa5da84e7a5d"
            },
            "messageDeliveryFeedback": {
                "feedbackStatus": {"value": "bounce"},
                "offers": null,
                "messageExclusion": null,
                "messageFailure": {"category": "sync", "type": "Admin", "code": "25", "reason": "Admin Failure"},
                "retryCount": 0
            },
            "identityMap": {"email": [{"id": "john.doe@luma.com", "primary": true}]}
        });
        assert_eq!(serde_json::to_value(bounce()).unwrap(), published);
    }

    #[test]
    fn sms_identities_use_the_phone_namespace_and_round_trip() {
        let mut payload = bounce();
        payload = FeedbackPayload::new(FeedbackFacts {
            channel: Channel::Sms,
            address: "+33600000001".into(),
            status: FeedbackStatus::Delivered,
            failure: None,
            request_id: payload.request_id,
            ims_org: payload.ims_org,
            sandbox_id: payload.sandbox.id,
            sandbox_name: payload.sandbox.name,
            message_execution_id: payload.message_execution.message_execution_id,
            campaign_id: payload.message_execution.campaign_id,
            campaign_version_id: payload.message_execution.campaign_version_id,
            retry_count: 0,
        });
        let json = serde_json::to_value(&payload).unwrap();
        assert_eq!(json["identityMap"]["Phone"][0]["id"], "+33600000001");
        assert_eq!(json["channel"], "sms");
        assert!(json["messageDeliveryFeedback"]["messageFailure"].is_null());
        let back: FeedbackPayload = serde_json::from_value(json).unwrap();
        assert_eq!(back, payload);
    }

    #[test]
    fn failure_codes_carry_their_type_and_reason() {
        let hard = MessageFailure::from_code("async", 10).unwrap();
        assert_eq!(
            (hard.kind.as_str(), hard.reason.as_str()),
            ("Hard", "Invalid Recipient")
        );
        let soft = MessageFailure::from_code("sync", 22).unwrap();
        assert_eq!((soft.kind.as_str(), soft.code.as_str()), ("Soft", "22"));
        assert!(MessageFailure::from_code("sync", 999).is_none());
    }
}

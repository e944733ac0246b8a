//! The body of `POST /im/executions/unitary` (spec §4), read field by field so each refusal
//! names the field at fault.

use serde_json::{Map, Value};

pub const MAX_RECIPIENTS: usize = 20;
pub const REQUEST_ID_MAX_CHARS: usize = 128;
/// A campaign id is a UUID; the bound only keeps a refusal that echoes it short.
pub const CAMPAIGN_ID_MAX_CHARS: usize = 64;
pub const USER_ID_MAX_CHARS: usize = 256;
pub const NAMESPACE_MAX_CHARS: usize = 64;
/// The most a recipient's `context` or `profile` may hold, as JSON text.
pub const RECIPIENT_DATA_MAX_BYTES: usize = 200 * 1024;

#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionRequest {
    pub request_id: String,
    pub campaign_id: String,
    pub recipients: Vec<Recipient>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Recipient {
    /// `aep` or `external`.
    pub kind: String,
    pub user_id: String,
    pub namespace: String,
    pub email_address: Option<String>,
    pub phone_number: Option<String>,
    pub profile: Value,
    pub context: Value,
}

impl Recipient {
    /// The address for the channel: `channelData` first; an `external` recipient without
    /// `channelData` is addressed by its `userId`.
    pub fn address(
        &self,
        channel: crate::model::Channel,
        has_channel_data: bool,
    ) -> Option<String> {
        let given = match channel {
            crate::model::Channel::Email => self.email_address.clone(),
            crate::model::Channel::Sms => self.phone_number.clone(),
        };
        given.or_else(|| {
            (self.kind == "external" && !has_channel_data).then(|| self.user_id.clone())
        })
    }
}

/// Why a request is refused: the HTTP status, the field at fault (JSON path) and the message.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestProblem {
    pub status: u16,
    pub field: Option<String>,
    pub message: String,
}

impl RequestProblem {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        RequestProblem {
            status: 400,
            field: Some(field.into()),
            message: message.into(),
        }
    }
}

/// Reads and checks the body; the campaign-dependent checks (channel data) come later.
pub fn parse_execution_request(
    body: &[u8],
) -> Result<(ExecutionRequest, Vec<bool>), RequestProblem> {
    let value: Value = serde_json::from_slice(body).map_err(|error| RequestProblem {
        status: 400,
        field: None,
        message: format!("The body is not valid JSON: {error}."),
    })?;
    let Value::Object(mut object) = value else {
        return Err(RequestProblem::invalid(
            "$",
            "The body must be a JSON object.",
        ));
    };
    let request_id = required_string(&object, "", "requestId", REQUEST_ID_MAX_CHARS)?;
    let campaign_id = required_string(&object, "", "campaignId", CAMPAIGN_ID_MAX_CHARS)?;
    let recipients = match object.remove("recipients") {
        None | Some(Value::Null) => {
            return Err(RequestProblem::invalid(
                "recipients",
                "recipients is required: a list of 1 to 20 recipients.",
            ))
        }
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(RequestProblem::invalid(
                "recipients",
                "recipients must be a list of 1 to 20 recipients.",
            ))
        }
    };
    if recipients.is_empty() || recipients.len() > MAX_RECIPIENTS {
        return Err(RequestProblem::invalid(
            "recipients",
            format!(
                "recipients must hold 1 to {MAX_RECIPIENTS} recipients (this request has {}).",
                recipients.len()
            ),
        ));
    }
    let mut parsed = Vec::with_capacity(recipients.len());
    let mut has_channel_data = Vec::with_capacity(recipients.len());
    for (index, recipient) in recipients.into_iter().enumerate() {
        let Value::Object(mut object) = recipient else {
            return Err(RequestProblem::invalid(
                format!("recipients[{index}]"),
                "Each recipient must be a JSON object.",
            ));
        };
        let prefix = format!("recipients[{index}].");
        let at = |field: &str| format!("{prefix}{field}");
        let kind = required_string(&object, &prefix, "type", 16)?;
        if kind != "aep" && kind != "external" {
            return Err(RequestProblem::invalid(
                at("type"),
                format!("{} must be \"aep\" or \"external\".", at("type")),
            ));
        }
        let user_id = required_string(&object, &prefix, "userId", USER_ID_MAX_CHARS)?;
        let namespace = required_string(&object, &prefix, "namespace", NAMESPACE_MAX_CHARS)?;
        let channel_data = take_optional_object(&mut object, &prefix, "channelData")?;
        let data_prefix = || format!("{prefix}channelData.");
        let email_address = match &channel_data {
            Some(data) => optional_string(data, &data_prefix(), "emailAddress")?,
            None => None,
        };
        if let Some(email) = &email_address {
            if crate::model::email_problem(email).is_some() {
                return Err(RequestProblem::invalid(
                    at("channelData.emailAddress"),
                    format!(
                        "{} is not an email address.",
                        at("channelData.emailAddress")
                    ),
                ));
            }
        }
        let phone_number = match &channel_data {
            Some(data) => optional_string(data, &data_prefix(), "mobilePhoneNumber")?,
            None => None,
        };
        if let Some(phone) = &phone_number {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            if !(6..=15).contains(&digits)
                || !phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || "+ -().".contains(c))
            {
                return Err(RequestProblem::invalid(
                    at("channelData.mobilePhoneNumber"),
                    format!(
                        "{} is not a phone number.",
                        at("channelData.mobilePhoneNumber")
                    ),
                ));
            }
        }
        let profile = recipient_data(&mut object, &prefix, "profile")?;
        let context = recipient_data(&mut object, &prefix, "context")?;
        has_channel_data.push(channel_data.is_some());
        parsed.push(Recipient {
            kind,
            user_id,
            namespace,
            email_address,
            phone_number,
            profile,
            context,
        });
    }
    Ok((
        ExecutionRequest {
            request_id,
            campaign_id,
            recipients: parsed,
        },
        has_channel_data,
    ))
}

/// `prefix` + `key` names the field in a refusal; the name is only built for one.
fn required_string(
    object: &Map<String, Value>,
    prefix: &str,
    key: &str,
    max_chars: usize,
) -> Result<String, RequestProblem> {
    let path = || format!("{prefix}{key}");
    match object.get(key) {
        Some(Value::String(text)) if !text.trim().is_empty() => {
            if text.trim().chars().count() > max_chars {
                Err(RequestProblem::invalid(
                    path(),
                    format!("{} is longer than {max_chars} characters.", path()),
                ))
            } else if text.chars().any(char::is_control) {
                Err(RequestProblem::invalid(
                    path(),
                    format!("{} contains control characters.", path()),
                ))
            } else {
                Ok(text.trim().to_string())
            }
        }
        Some(Value::String(_)) | None | Some(Value::Null) => Err(RequestProblem::invalid(
            path(),
            format!("{} is required.", path()),
        )),
        Some(_) => Err(RequestProblem::invalid(
            path(),
            format!("{} must be a string.", path()),
        )),
    }
}

fn optional_string(
    object: &Map<String, Value>,
    prefix: &str,
    key: &str,
) -> Result<Option<String>, RequestProblem> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.trim().to_string())),
        Some(_) => Err(RequestProblem::invalid(
            format!("{prefix}{key}"),
            format!("{prefix}{key} must be a string."),
        )),
    }
}

/// A recipient's `profile` or `context`: an object of at most [`RECIPIENT_DATA_MAX_BYTES`].
fn recipient_data(
    object: &mut Map<String, Value>,
    prefix: &str,
    key: &str,
) -> Result<Value, RequestProblem> {
    let data = Value::Object(take_optional_object(object, prefix, key)?.unwrap_or_default());
    let bytes = json_len(&data);
    if bytes > RECIPIENT_DATA_MAX_BYTES {
        return Err(RequestProblem::invalid(
            format!("{prefix}{key}"),
            format!(
                "{prefix}{key} holds {} KB of JSON: at most {} KB.",
                bytes.div_ceil(1024),
                RECIPIENT_DATA_MAX_BYTES / 1024
            ),
        ));
    }
    Ok(data)
}

/// The length of a value's JSON text, counted without building it.
fn json_len(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing to a counter cannot fail, and a Value always serializes.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

/// The object under `key`, taken out of `object` (the request is read once).
fn take_optional_object(
    object: &mut Map<String, Value>,
    prefix: &str,
    key: &str,
) -> Result<Option<Map<String, Value>>, RequestProblem> {
    match object.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(inner)) => Ok(Some(inner)),
        Some(_) => Err(RequestProblem::invalid(
            format!("{prefix}{key}"),
            format!("{prefix}{key} must be a JSON object."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Channel;
    use serde_json::json;

    fn body(value: Value) -> Vec<u8> {
        serde_json::to_vec(&value).unwrap()
    }

    fn problem(value: Value) -> RequestProblem {
        parse_execution_request(&body(value)).unwrap_err()
    }

    fn recipient() -> Value {
        json!({"type": "aep", "userId": "john.doe@luma.com", "namespace": "email",
               "channelData": {"emailAddress": "john.doe@luma.com"},
               "profile": {}, "context": {"product": "Gaming Laptop"}})
    }

    #[test]
    fn the_published_example_is_accepted() {
        let (request, channel_data) = parse_execution_request(&body(json!({
            "requestId": "request-12345", "campaignId": "c-1", "recipients": [recipient()]
        })))
        .unwrap();
        assert_eq!(request.request_id, "request-12345");
        let first = &request.recipients[0];
        assert_eq!(
            first.address(Channel::Email, channel_data[0]).as_deref(),
            Some("john.doe@luma.com")
        );
        assert_eq!(first.address(Channel::Sms, channel_data[0]), None);
        assert_eq!(first.context["product"], "Gaming Laptop");
    }

    #[test]
    fn an_external_recipient_without_channel_data_is_addressed_by_user_id() {
        let (request, channel_data) = parse_execution_request(&body(json!({
            "requestId": "r", "campaignId": "c",
            "recipients": [{"type": "external", "userId": "+33612345678", "namespace": "phone"}]
        })))
        .unwrap();
        assert_eq!(
            request.recipients[0]
                .address(Channel::Sms, channel_data[0])
                .as_deref(),
            Some("+33612345678")
        );
    }

    #[test]
    fn each_refusal_names_its_field() {
        assert_eq!(parse_execution_request(b"{oops").unwrap_err().field, None);
        assert_eq!(
            problem(json!({"campaignId": "c", "recipients": [recipient()]}))
                .field
                .as_deref(),
            Some("requestId")
        );
        assert_eq!(
            problem(json!({"requestId": "r", "recipients": [recipient()]}))
                .field
                .as_deref(),
            Some("campaignId")
        );
        let many = problem(json!({"requestId": "r", "campaignId": "c",
            "recipients": (0..21).map(|_| recipient()).collect::<Vec<_>>()}));
        assert_eq!(many.field.as_deref(), Some("recipients"));
        assert!(many.message.contains("this request has 21"));
        assert!(
            problem(json!({"requestId": "r", "campaignId": "c", "recipients": []}))
                .message
                .contains("has 0")
        );
        let mut bad_type = recipient();
        bad_type["type"] = json!("robot");
        assert_eq!(
            problem(
                json!({"requestId": "r", "campaignId": "c", "recipients": [recipient(), bad_type]})
            )
            .field
            .as_deref(),
            Some("recipients[1].type")
        );
        let mut no_user = recipient();
        no_user.as_object_mut().unwrap().remove("userId");
        assert_eq!(
            problem(json!({"requestId": "r", "campaignId": "c", "recipients": [no_user]})).message,
            "recipients[0].userId is required."
        );
        let mut bad_email = recipient();
        bad_email["channelData"]["emailAddress"] = json!("not-an-address");
        assert_eq!(
            problem(json!({"requestId": "r", "campaignId": "c", "recipients": [bad_email]}))
                .field
                .as_deref(),
            Some("recipients[0].channelData.emailAddress")
        );
        assert_eq!(
            problem(json!({"requestId": 5, "campaignId": "c", "recipients": [recipient()]}))
                .message,
            "requestId must be a string."
        );
    }

    #[test]
    fn every_field_is_bounded() {
        let long = |n: usize| json!("x".repeat(n));
        let refused = problem(
            json!({"requestId": long(129), "campaignId": "c", "recipients": [recipient()]}),
        );
        assert_eq!(refused.message, "requestId is longer than 128 characters.");
        let refused =
            problem(json!({"requestId": "r", "campaignId": long(65), "recipients": [recipient()]}));
        assert_eq!(refused.field.as_deref(), Some("campaignId"));
        let mut big_user = recipient();
        big_user["userId"] = long(257);
        assert_eq!(
            problem(json!({"requestId": "r", "campaignId": "c", "recipients": [big_user]}))
                .field
                .as_deref(),
            Some("recipients[0].userId")
        );
        let mut big_namespace = recipient();
        big_namespace["namespace"] = long(65);
        assert_eq!(
            problem(json!({"requestId": "r", "campaignId": "c", "recipients": [big_namespace]}))
                .field
                .as_deref(),
            Some("recipients[0].namespace")
        );
    }

    #[test]
    fn context_and_profile_hold_at_most_200_kb_each() {
        let mut fits = recipient();
        fits["context"] = json!({ "v": "x".repeat(RECIPIENT_DATA_MAX_BYTES - 10) });
        assert!(parse_execution_request(&body(
            json!({"requestId": "r", "campaignId": "c", "recipients": [fits]})
        ))
        .is_ok());
        for key in ["context", "profile"] {
            let mut over = recipient();
            over[key] = json!({ "v": "x".repeat(RECIPIENT_DATA_MAX_BYTES) });
            let refused = problem(
                json!({"requestId": "r", "campaignId": "c", "recipients": [recipient(), over]}),
            );
            assert_eq!(refused.field, Some(format!("recipients[1].{key}")));
            assert_eq!(
                refused.message,
                format!("recipients[1].{key} holds 201 KB of JSON: at most 200 KB.")
            );
        }
    }
}

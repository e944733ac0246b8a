//! API-triggered transactional campaigns: the form, its validation, and message templates.

use super::message::{Message, TextKind};
use super::webhook::{checkbox, checked, Channel, FieldErrors};
use serde::{Deserialize, Serialize};

pub const CAMPAIGN_NAME_MAX_CHARS: usize = 100;
pub const SUBJECT_MAX_CHARS: usize = 255;
pub const BODY_MAX_CHARS: usize = 100_000;
/// Ten SMS segments.
pub const SMS_MAX_CHARS: usize = 1_600;

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CampaignStatus {
    Draft,
    Live,
    Stopped,
}

impl CampaignStatus {
    pub const ALL: [CampaignStatus; 3] = [
        CampaignStatus::Draft,
        CampaignStatus::Live,
        CampaignStatus::Stopped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Live => "live",
            CampaignStatus::Stopped => "stopped",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "Draft",
            CampaignStatus::Live => "Live",
            CampaignStatus::Stopped => "Stopped",
        }
    }

    pub fn parse(text: &str) -> Option<CampaignStatus> {
        CampaignStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl Channel {
    pub fn parse(text: &str) -> Option<Channel> {
        [Channel::Email, Channel::Sms]
            .into_iter()
            .find(|c| c.as_str() == text)
    }
}

/// The campaign form as typed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CampaignForm {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// `email` or `sms`.
    #[serde(default)]
    pub channel: String,
    /// `draft`, `live` or `stopped`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub email_subject: String,
    #[serde(default)]
    pub email_body: String,
    #[serde(default)]
    pub sms_text: String,
    /// The Audience switch "Enable feedback webhook".
    #[serde(default)]
    pub webhook_enabled: Option<String>,
    #[serde(default)]
    pub webhook_id: String,
}

impl CampaignForm {
    pub fn blank() -> Self {
        CampaignForm {
            channel: Channel::Email.as_str().into(),
            status: CampaignStatus::Draft.as_str().into(),
            ..Default::default()
        }
    }
}

/// What a campaign's message says; a change of any of it is a new campaign version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignContent {
    pub email_subject: String,
    pub email_body: String,
    pub sms_text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CampaignDraft {
    pub name: String,
    pub channel: Channel,
    pub status: CampaignStatus,
    pub content: CampaignContent,
    pub webhook_enabled: bool,
    pub webhook_id: Option<String>,
}

/// A webhook the Audience section may offer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookOption {
    pub id: String,
    pub name: String,
    pub channels: Vec<Channel>,
    pub enabled: bool,
}

/// Why a campaign's chosen webhook would not receive its events, if it would not.
pub fn webhook_problem(
    channel: Channel,
    webhook_enabled: bool,
    webhook: Option<&WebhookOption>,
    webhook_id: Option<&str>,
) -> Option<Message> {
    if !webhook_enabled {
        return None;
    }
    match (webhook, webhook_id) {
        (_, None) => Some(Message::NoWebhookChosen),
        (None, Some(_)) => Some(Message::ChosenWebhookDeleted),
        (Some(webhook), _) if !webhook.channels.contains(&channel) => {
            Some(Message::ChosenWebhookLostChannel {
                webhook: webhook.name.clone(),
                channel,
            })
        }
        (Some(webhook), _) if !webhook.enabled => Some(Message::ChosenWebhookDisabled {
            webhook: webhook.name.clone(),
        }),
        _ => None,
    }
}

pub fn validate_campaign(
    form: &CampaignForm,
    webhooks: &[WebhookOption],
) -> Result<CampaignDraft, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut check = |field: &str, result: Result<(), Message>| {
        if let Err(message) = result {
            errors.insert(field.to_string(), message);
        }
    };
    let name = form.name.trim().to_string();
    check("name", campaign_name_problem(&name));
    let channel = Channel::parse(&form.channel);
    check(
        "channel",
        channel.map(|_| ()).ok_or(Message::ChooseCampaignChannel),
    );
    let status = CampaignStatus::parse(&form.status);
    check(
        "status",
        status.map(|_| ()).ok_or(Message::ChooseCampaignStatus),
    );
    let content = CampaignContent {
        email_subject: form.email_subject.trim().to_string(),
        email_body: form.email_body.trim_end().to_string(),
        sms_text: form.sms_text.trim().to_string(),
    };
    match channel {
        Some(Channel::Email) => {
            check(
                "email_subject",
                text_problem(
                    &content.email_subject,
                    TextKind::Subject,
                    SUBJECT_MAX_CHARS,
                    false,
                ),
            );
            check(
                "email_body",
                text_problem(&content.email_body, TextKind::Body, BODY_MAX_CHARS, true),
            );
        }
        Some(Channel::Sms) => check(
            "sms_text",
            text_problem(&content.sms_text, TextKind::SmsText, SMS_MAX_CHARS, true),
        ),
        None => {}
    }
    let webhook_enabled = checked(&form.webhook_enabled);
    let webhook_id = Some(form.webhook_id.trim().to_string()).filter(|id| !id.is_empty());
    if webhook_enabled {
        let chosen = webhook_id
            .as_deref()
            .and_then(|id| webhooks.iter().find(|w| w.id == id));
        check(
            "webhook_id",
            match (&webhook_id, chosen, channel) {
                (None, _, _) => Err(Message::ChooseWebhookOrSwitchOff),
                (Some(_), None, _) => Err(Message::ChooseSandboxWebhook),
                (Some(_), Some(webhook), Some(channel)) if !webhook.channels.contains(&channel) => {
                    Err(Message::WebhookMissesChannel {
                        webhook: webhook.name.clone(),
                        channel,
                    })
                }
                _ => Ok(()),
            },
        );
    }
    // With the switch off the choice is kept for later, but only a choice that exists: the id of
    // no webhook of the sandbox (made up by an API caller, or of one deleted meanwhile) is
    // dropped rather than stored.
    let webhook_id = webhook_id.filter(|id| webhooks.iter().any(|w| w.id == *id));
    match (errors.is_empty(), channel, status) {
        (true, Some(channel), Some(status)) => Ok(CampaignDraft {
            name,
            channel,
            status,
            content,
            webhook_enabled,
            webhook_id,
        }),
        _ => Err(errors),
    }
}

pub fn campaign_name_problem(name: &str) -> Result<(), Message> {
    let chars = name.chars().count();
    if chars == 0 {
        Err(Message::EnterCampaignName)
    } else if chars > CAMPAIGN_NAME_MAX_CHARS {
        Err(Message::NameTooLong {
            max: CAMPAIGN_NAME_MAX_CHARS,
            actual: chars,
        })
    } else if name.chars().any(char::is_control) {
        Err(Message::NameControlCharacters)
    } else {
        Ok(())
    }
}

fn text_problem(text: &str, what: TextKind, max: usize, multiline: bool) -> Result<(), Message> {
    let chars = text.chars().count();
    if chars == 0 {
        return Err(Message::EnterText { what });
    }
    if chars > max {
        return Err(Message::TextTooLong { max, actual: chars });
    }
    if !multiline && text.contains(['\r', '\n']) {
        return Err(Message::TextOnOneLine);
    }
    // Tabs and line breaks are text; other control characters (NUL above all, which no
    // database column keeps) are not.
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(Message::TextControlCharacters);
    }
    template_problem(text)
}

/// A placeholder is `{{context.name}}` or `{{profile.name}}`.
pub fn template_problem(text: &str) -> Result<(), Message> {
    for piece in placeholders(text) {
        match piece {
            Ok(_) => {}
            Err(bad) => {
                return Err(Message::NotAPlaceholder {
                    text: bad.to_string(),
                })
            }
        }
    }
    if text.matches("{{").count() != text.matches("}}").count() {
        return Err(Message::PlaceholderNotClosed);
    }
    Ok(())
}

/// The placeholders of a template: `Ok((namespace, key))` or `Err(inner text)` when malformed.
fn placeholders(text: &str) -> Vec<Result<(&str, &str), &str>> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim();
        found.push(match inner.split_once('.') {
            Some((namespace @ ("context" | "profile"), key))
                if !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_alphanumeric() || "_-.".contains(c)) =>
            {
                Ok((namespace, key))
            }
            _ => Err(inner),
        });
        rest = &after[end + 2..];
    }
    found
}

/// The most a rendered message may hold: every placeholder takes a caller's value, so a
/// 100,000-character template of placeholders would otherwise multiply a 200 KB value into
/// gigabytes. Larger than any real email (mail clients clip at about 100 KB).
pub const RENDERED_MAX_BYTES: usize = 256 * 1024;

/// A rendering stopped because it grew over its bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderedTooLarge;

/// Fills `{{context.x}}` and `{{profile.x}}` (dotted paths reach into objects) from a
/// recipient's data; a missing value renders as nothing. Stops as soon as the text would pass
/// `max_bytes`: the work done is bounded by the bound, not by what the placeholders would make.
pub fn render(
    template: &str,
    context: &serde_json::Value,
    profile: &serde_json::Value,
    max_bytes: usize,
) -> Result<String, RenderedTooLarge> {
    let mut out = String::with_capacity(template.len().min(max_bytes));
    let push = |out: &mut String, text: &str| {
        if out.len() + text.len() > max_bytes {
            return Err(RenderedTooLarge);
        }
        out.push_str(text);
        Ok(())
    };
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        push(&mut out, &rest[..start])?;
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            push(&mut out, &rest[start..])?;
            return Ok(out);
        };
        if let Some((namespace, key)) = after[..end].trim().split_once('.') {
            let root = if namespace == "profile" {
                profile
            } else {
                context
            };
            let value = key.split('.').try_fold(root, |value, part| value.get(part));
            match value {
                Some(serde_json::Value::String(text)) => push(&mut out, text)?,
                Some(serde_json::Value::Null) | None => {}
                Some(other) => push(&mut out, &other.to_string())?,
            }
        }
        rest = &after[end + 2..];
    }
    push(&mut out, rest)?;
    Ok(out)
}

/// One row of the campaign list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignSummary {
    pub id: String,
    pub name: String,
    pub channel: Channel,
    pub status: CampaignStatus,
    pub version_id: String,
    pub webhook_enabled: bool,
    pub webhook_name: Option<String>,
    /// Why the activated webhook would not receive this campaign's events.
    pub webhook_problem: Option<Message>,
    pub updated_at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignList {
    pub items: Vec<CampaignSummary>,
    pub can_edit: bool,
}

/// What the campaign form page needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignEditorData {
    pub form: CampaignForm,
    pub errors: FieldErrors,
    /// Every webhook of the sandbox; the form offers those with the campaign's channel.
    pub webhooks: Vec<WebhookOption>,
    pub version_id: Option<String>,
    pub updated_at: Option<String>,
    pub webhook_problem: Option<Message>,
    pub can_edit: bool,
    /// Who changed it last, and when.
    pub last_change: Option<crate::model::audit::LastChange>,
}

/// The form of a stored campaign.
pub fn campaign_form(
    id: &str,
    name: &str,
    channel: Channel,
    status: CampaignStatus,
    content: &CampaignContent,
    webhook_enabled: bool,
    webhook_id: Option<&str>,
) -> CampaignForm {
    CampaignForm {
        id: id.to_string(),
        name: name.to_string(),
        channel: channel.as_str().into(),
        status: status.as_str().into(),
        email_subject: content.email_subject.clone(),
        email_body: content.email_body.clone(),
        sms_text: content.sms_text.clone(),
        webhook_enabled: checkbox(webhook_enabled),
        webhook_id: webhook_id.unwrap_or_default().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hooks() -> Vec<WebhookOption> {
        vec![
            WebhookOption {
                id: "w-email".into(),
                name: "Mail hook".into(),
                channels: vec![Channel::Email],
                enabled: true,
            },
            WebhookOption {
                id: "w-sms".into(),
                name: "SMS hook".into(),
                channels: vec![Channel::Sms],
                enabled: true,
            },
        ]
    }

    fn email_form() -> CampaignForm {
        CampaignForm {
            name: " Order shipped ".into(),
            email_subject: "Your {{context.product}} shipped".into(),
            email_body: "Hello {{profile.firstName}}".into(),
            webhook_enabled: checkbox(true),
            webhook_id: "w-email".into(),
            ..CampaignForm::blank()
        }
    }

    #[test]
    fn texts_keep_tabs_and_line_breaks_but_no_other_control_character() {
        let errors = |form: CampaignForm| validate_campaign(&form, &hooks()).err();
        assert_eq!(
            errors(CampaignForm {
                email_body: "Hello\tthere\r\nBye".into(),
                ..email_form()
            }),
            None
        );
        let nul = errors(CampaignForm {
            email_body: "Hello\0".into(),
            email_subject: "Hi\u{7}".into(),
            ..email_form()
        })
        .unwrap();
        assert!(nul["email_body"].to_string().contains("control characters"));
        assert!(nul["email_subject"]
            .to_string()
            .contains("control characters"));
    }

    #[test]
    fn with_the_switch_off_only_an_existing_webhook_is_kept() {
        let off = |webhook_id: &str| CampaignForm {
            webhook_enabled: checkbox(false),
            webhook_id: webhook_id.into(),
            ..email_form()
        };
        let kept = validate_campaign(&off("w-email"), &hooks()).unwrap();
        assert_eq!(kept.webhook_id.as_deref(), Some("w-email"));
        let made_up = validate_campaign(&off("b8a1abcd-1a69-56c7-8da4-f9fc3c6da5d7"), &hooks());
        assert_eq!(made_up.unwrap().webhook_id, None);
    }

    #[test]
    fn a_complete_email_campaign_is_accepted() {
        let draft = validate_campaign(&email_form(), &hooks()).unwrap();
        assert_eq!(draft.name, "Order shipped");
        assert_eq!(
            (draft.channel, draft.status),
            (Channel::Email, CampaignStatus::Draft)
        );
        assert_eq!(draft.webhook_id.as_deref(), Some("w-email"));
    }

    #[test]
    fn each_field_names_its_problem() {
        let errors = |form: CampaignForm| validate_campaign(&form, &hooks()).unwrap_err();
        let blank = errors(CampaignForm {
            name: "".into(),
            email_subject: "".into(),
            email_body: "".into(),
            ..email_form()
        });
        assert_eq!(blank["name"], Message::EnterCampaignName);
        assert_eq!(
            blank["email_subject"],
            Message::EnterText {
                what: TextKind::Subject
            }
        );
        assert_eq!(
            blank["email_body"],
            Message::EnterText {
                what: TextKind::Body
            }
        );
        let sms = errors(CampaignForm {
            channel: "sms".into(),
            ..email_form()
        });
        assert_eq!(
            sms["sms_text"],
            Message::EnterText {
                what: TextKind::SmsText
            }
        );
        assert!(sms["webhook_id"]
            .to_string()
            .contains("does not receive SMS feedback"));
        let unchosen = errors(CampaignForm {
            webhook_id: "".into(),
            ..email_form()
        });
        assert!(unchosen["webhook_id"]
            .to_string()
            .starts_with("Choose a feedback webhook"));
        let bad = errors(CampaignForm {
            email_subject: "Hi {{user.name}}".into(),
            status: "paused".into(),
            ..email_form()
        });
        assert!(bad["email_subject"]
            .to_string()
            .contains("“{{user.name}}” is not a placeholder"));
        assert!(bad["status"].to_string().starts_with("Choose a status"));
        let unclosed = errors(CampaignForm {
            email_body: "Hi {{profile.name".into(),
            ..email_form()
        });
        assert!(unclosed["email_body"].to_string().contains("not closed"));
    }

    #[test]
    fn templates_render_context_and_profile_values() {
        let text = render(
            "Hi {{ profile.firstName }}, your {{context.product}} ({{context.order.id}}) {{context.missing}}ships.",
            &json!({"product": "Gaming Laptop", "order": {"id": 42}}),
            &json!({"firstName": "John"}),
            usize::MAX,
        )
        .unwrap();
        assert_eq!(text, "Hi John, your Gaming Laptop (42) ships.");
        assert_eq!(
            render("no {{ end", &json!({}), &json!({}), 100).as_deref(),
            Ok("no {{ end")
        );
    }

    #[test]
    fn a_rendering_stops_at_its_bound_instead_of_multiplying_a_value() {
        let template = "{{context.big}}".repeat(10_000);
        let context = json!({ "big": "x".repeat(200_000) });
        // Unbounded, this would be 2 GB.
        assert_eq!(
            render(&template, &context, &json!({}), RENDERED_MAX_BYTES),
            Err(RenderedTooLarge)
        );
        let fits = render(
            "Hi {{context.big}}",
            &json!({"big": "there"}),
            &json!({}),
            8,
        );
        assert_eq!(fits.as_deref(), Ok("Hi there"));
        assert_eq!(
            render(
                "Hi {{context.big}}",
                &json!({"big": "there!"}),
                &json!({}),
                8
            ),
            Err(RenderedTooLarge)
        );
    }

    #[test]
    fn a_webhook_losing_the_channel_is_flagged() {
        let hooks = hooks();
        assert_eq!(
            webhook_problem(Channel::Sms, true, hooks.first(), Some("w-email"))
                .unwrap()
                .to_string(),
            "“Mail hook” no longer receives SMS feedback."
        );
        assert_eq!(
            webhook_problem(Channel::Email, true, None, Some("gone")),
            Some(Message::ChosenWebhookDeleted)
        );
        assert_eq!(webhook_problem(Channel::Email, false, None, None), None);
    }
}

//! Administration / Access / Audit log: every change, newest first, filtered by the address's
//! query (so a filtered view can be bookmarked and works without JavaScript), pages by keyset,
//! and the same entries as CSV or JSON Lines.

use crate::api::audit::list_audit;
use crate::i18n::{td_string, use_locale};
use crate::model::audit::{ActorKind, AuditEntry, AuditPage, AuditQuery, FieldChange};
use crate::model::campaign::CampaignStatus;
use crate::model::routes;
use crate::model::user::UserStatus;
use crate::model::{Channel, Role};
use crate::ui::components::labels::{
    campaign_status_label, channel_label, event_label, role_label, user_status_label,
};
use crate::ui::components::layout::{Crumbs, Section};
use crate::ui::components::problem::problem;
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The kinds of objects the log names, for the filter, with their names in the page's language.
fn object_kinds() -> [(&'static str, &'static str); 6] {
    let locale = use_locale();
    [
        ("user", td_string!(locale, audit.kind_user)),
        ("webhook", td_string!(locale, audit.kind_webhook)),
        ("campaign", td_string!(locale, audit.kind_campaign)),
        ("credential", td_string!(locale, audit.kind_credential)),
        ("sandbox", td_string!(locale, audit.kind_sandbox)),
        ("delivery", td_string!(locale, audit.kind_delivery)),
    ]
}

/// A change as the log keeps it (field names and a few values in English), in the page's words;
/// a field or value it does not know, as it is.
fn in_page_words(change: &FieldChange) -> FieldChange {
    let locale = use_locale();
    let field = match change.field.as_str() {
        "email" => td_string!(locale, audit_fields.email),
        "role" => td_string!(locale, audit_fields.role),
        "status" => td_string!(locale, audit_fields.status),
        "name" => td_string!(locale, audit_fields.name),
        "channels" => td_string!(locale, audit_fields.channels),
        "url" => td_string!(locale, audit_fields.url),
        "enabled" => td_string!(locale, audit_fields.enabled),
        "disabled reason" => td_string!(locale, audit_fields.disabled_reason),
        "events" => td_string!(locale, audit_fields.events),
        "authentication" => td_string!(locale, audit_fields.authentication),
        "JWT key" => td_string!(locale, audit_fields.jwt_key),
        "JWT key id" => td_string!(locale, audit_fields.jwt_key_id),
        "JWT issuer" => td_string!(locale, audit_fields.jwt_issuer),
        "JWT subject" => td_string!(locale, audit_fields.jwt_subject),
        "JWT audience" => td_string!(locale, audit_fields.jwt_audience),
        "JWT extra claims" => td_string!(locale, audit_fields.jwt_extra_claims),
        "JWT lifetime (s)" => td_string!(locale, audit_fields.jwt_lifetime),
        "channel" => td_string!(locale, audit_fields.channel),
        "email subject" => td_string!(locale, audit_fields.email_subject),
        "email body" => td_string!(locale, audit_fields.email_body),
        "SMS text" => td_string!(locale, audit_fields.sms_text),
        "feedback webhook enabled" => td_string!(locale, audit_fields.feedback_webhook_enabled),
        "feedback webhook" => td_string!(locale, audit_fields.feedback_webhook),
        "API key" => td_string!(locale, audit_fields.api_key),
        "scopes" => td_string!(locale, audit_fields.scopes),
        "expires" => td_string!(locale, audit_fields.expires),
        "password" => td_string!(locale, audit_fields.password),
        "signing secret" => td_string!(locale, audit_fields.signing_secret),
        "failed since" => td_string!(locale, audit_fields.failed_since),
        "language" => td_string!(locale, audit_fields.language),
        other => match other.strip_prefix("header ") {
            Some(name) => {
                let name = name.to_string();
                return FieldChange {
                    field: td_string!(locale, audit_fields.header, name).to_string(),
                    ..in_page_values(change)
                };
            }
            None => other,
        },
    };
    FieldChange {
        field: field.to_string(),
        ..in_page_values(change)
    }
}

/// A change's values, those the log keeps as codes or words (`true`, `none`, `never`, a role,
/// a status, channels, events) in the page's; only in the fields that hold them, so a name that
/// happens to be `none` stays a name.
fn in_page_values(change: &FieldChange) -> FieldChange {
    let locale = use_locale();
    let field = change.field.as_str();
    let list = |value: &str, label: &dyn Fn(&str) -> String| {
        value.split(", ").map(label).collect::<Vec<_>>().join(", ")
    };
    let value = |value: &Option<String>| {
        value.as_deref().map(|value| match (field, value) {
            ("enabled" | "feedback webhook enabled", "true") => {
                td_string!(locale, audit_fields.yes).to_string()
            }
            ("enabled" | "feedback webhook enabled", "false") => {
                td_string!(locale, audit_fields.no).to_string()
            }
            ("authentication", "none") => td_string!(locale, audit_fields.none_value).to_string(),
            ("expires", "never") => td_string!(locale, audit_fields.never).to_string(),
            ("role", role) => {
                Role::parse(role).map_or(role.to_string(), |r| role_label(r).to_string())
            }
            ("status", status) => UserStatus::parse(status)
                .map(user_status_label)
                .or(CampaignStatus::parse(status).map(campaign_status_label))
                .map_or(status.to_string(), str::to_string),
            ("channels" | "channel", channels) => list(channels, &|channel| {
                Channel::parse(channel)
                    .map_or(channel.to_string(), |c| channel_label(c).to_string())
            }),
            ("events", events) => list(events, &event_label),
            (_, other) => other.to_string(),
        })
    };
    FieldChange {
        field: change.field.clone(),
        before: value(&change.before),
        after: value(&change.after),
        secret: change.secret,
    }
}

/// An entry's object kind in the page's words; a kind the log does not know, as it is.
fn object_kind_label(kind: &str) -> String {
    let locale = use_locale();
    match kind {
        "user" => td_string!(locale, audit.single_user),
        "webhook" => td_string!(locale, audit.single_webhook),
        "campaign" => td_string!(locale, audit.single_campaign),
        "credential" => td_string!(locale, audit.single_credential),
        "sandbox" => td_string!(locale, audit.single_sandbox),
        "delivery" => td_string!(locale, audit.single_delivery),
        other => return other.to_string(),
    }
    .to_string()
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let address = use_query_map();
    let query = Memo::new(move |_| {
        let address = address.read();
        AuditQuery {
            actor: address.get("actor"),
            object_kind: address.get("object_kind"),
            object_id: address.get("object_id"),
            action: address.get("action"),
            from: address.get("from"),
            to: address.get("to"),
            before: address.get("before").and_then(|before| before.parse().ok()),
        }
        .cleaned()
    });
    let page = Resource::new(move || query.get(), |query| list_audit(Some(query)));
    let locale = use_locale();
    view! {
        <Crumbs section=Section::AuditLog/>
        <div class="page-head">
            <div>
                <h1>{td_string!(locale, audit.title)}</h1>
                <p class="muted">{td_string!(locale, audit.intro)}</p>
            </div>
        </div>
        {move || view! { <Filters query=query.get()/> }}
        <Transition fallback=move || view! { <p class="loading">{td_string!(locale, audit.loading)}</p> }>
            {move || Suspend::new(async move {
                let query = query.get_untracked();
                match page.await {
                    Ok(page) => view! { <Entries page query/> }.into_any(),
                    Err(error) => view! { <p class="banner error" role="alert">{problem(&error)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Filters(query: AuditQuery) -> impl IntoView {
    let locale = use_locale();
    let kinds: Vec<_> = object_kinds()
        .iter()
        .map(|(value, label)| {
            let selected = query.object_kind.as_deref() == Some(*value);
            view! { <option value=*value selected=selected>{*label}</option> }
        })
        .collect();
    let exports = query.to_query_string();
    let export = move |format: &str| {
        let filters = if exports.is_empty() {
            String::new()
        } else {
            format!("&{exports}")
        };
        format!("{}?format={format}{filters}", routes::AUDIT_LOG_EXPORT)
    };
    view! {
        <form class="filters" method="get" action=routes::AUDIT_LOG role="search" aria-label=td_string!(locale, audit.filter)>
            <label class="filter">
                <span>{td_string!(locale, audit.who)}</span>
                <input type="search" name="actor" value=query.actor.clone().unwrap_or_default()
                    placeholder=td_string!(locale, audit.who_placeholder) autocomplete="off"/>
            </label>
            <label class="filter">
                <span>{td_string!(locale, audit.object_kind)}</span>
                <select name="object_kind"><option value="">{td_string!(locale, audit.all)}</option>{kinds}</select>
            </label>
            <label class="filter">
                <span>{td_string!(locale, audit.object_id)}</span>
                <input type="search" name="object_id" value=query.object_id.clone().unwrap_or_default() autocomplete="off"/>
            </label>
            <label class="filter">
                <span>{td_string!(locale, audit.action)}</span>
                <input type="search" name="action" value=query.action.clone().unwrap_or_default()
                    placeholder=td_string!(locale, audit.action_placeholder) autocomplete="off"/>
            </label>
            <label class="filter">
                <span>{td_string!(locale, audit.from)}</span>
                <input type="datetime-local" name="from" value=query.from.clone().unwrap_or_default()/>
            </label>
            <label class="filter">
                <span>{td_string!(locale, audit.to)}</span>
                <input type="datetime-local" name="to" value=query.to.clone().unwrap_or_default()/>
            </label>
            <div class="filter-actions">
                <button type="submit" class="primary small">{td_string!(locale, audit.apply)}</button>
                <a class="button secondary small" href=routes::AUDIT_LOG>{td_string!(locale, audit.clear)}</a>
                <a class="button secondary small" href=export("csv") download>{td_string!(locale, audit.export_csv)}</a>
                <a class="button secondary small" href=export("jsonl") download>{td_string!(locale, audit.export_jsonl)}</a>
            </div>
        </form>
    }
}

#[component]
fn Entries(page: AuditPage, query: AuditQuery) -> impl IntoView {
    let locale = use_locale();
    if page.entries.is_empty() {
        return view! { <p class="muted">{td_string!(locale, audit.no_entry)}</p> }.into_any();
    }
    let older = page.next.map(|before| {
        let filters = query.to_query_string();
        let separator = if filters.is_empty() { "" } else { "&" };
        format!("{}?{filters}{separator}before={before}", routes::AUDIT_LOG)
    });
    view! {
        <div class="table-wrap">
            <table class="webhooks audit">
                <thead>
                    <tr>
                        <th scope="col">{td_string!(locale, audit.when)}</th>
                        <th scope="col">{td_string!(locale, audit.who)}</th>
                        <th scope="col">{td_string!(locale, audit.what)}</th>
                        <th scope="col">{td_string!(locale, audit.changes)}</th>
                    </tr>
                </thead>
                <tbody>
                    {page.entries.into_iter().map(|entry| view! { <EntryRow entry/> }).collect_view()}
                </tbody>
            </table>
        </div>
        {older.map(|href| view! { <p class="pager"><a class="button secondary" href=href>{td_string!(locale, audit.older)}</a></p> })}
    }
    .into_any()
}

#[component]
fn EntryRow(entry: AuditEntry) -> impl IntoView {
    let locale = use_locale();
    let kind = match entry.actor_kind {
        ActorKind::User => None,
        ActorKind::Credential => Some(td_string!(locale, audit.credential)),
        ActorKind::System => Some(td_string!(locale, audit.system)),
        ActorKind::Anonymous => Some(td_string!(locale, audit.anonymous)),
    };
    let (changed, none, colon) = (
        td_string!(locale, audit.changed),
        td_string!(locale, audit.none),
        td_string!(locale, audit.colon),
    );
    let object_link = entry.object_id.clone().map(|id| {
        format!(
            "{}?object_kind={}&object_id={}",
            routes::AUDIT_LOG,
            entry.object_kind,
            url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
        )
    });
    view! {
        <tr>
            <td data-label=td_string!(locale, audit.when) class="nowrap"><Timestamp at=entry.at.clone()/></td>
            <td data-label=td_string!(locale, audit.who)>
                {entry.actor.clone()}
                {kind.map(|kind| view! { " " <span class="chip">{kind}</span> })}
                {entry.address.clone().map(|address| view! { <span class="time-of-day">{address}</span> })}
            </td>
            <td data-label=td_string!(locale, audit.what)>
                <code class="action">{entry.action.clone()}</code>
                <span class="object">
                    <span class="muted">{object_kind_label(&entry.object_kind)}{colon}" "</span>
                    {match object_link {
                        Some(href) => view! { <a href=href title=td_string!(locale, audit.object_history)>{entry.object_name.clone()}</a> }.into_any(),
                        None => view! { <span>{entry.object_name.clone()}</span> }.into_any(),
                    }}
                </span>
            </td>
            <td data-label=td_string!(locale, audit.changes)>
                <ul class="changes">
                    {entry.changes.iter().map(|change| view! { <li>{in_page_words(change).describe_in(changed, none, colon)}</li> }).collect_view()}
                </ul>
            </td>
        </tr>
    }
}

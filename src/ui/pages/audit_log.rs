//! Administration / Access / Audit log: every change, newest first, filtered by the address's
//! query (so a filtered view can be bookmarked and works without JavaScript), pages by keyset,
//! and the same entries as CSV or JSON Lines.

use crate::api::audit::list_audit;
use crate::i18n::{t, tu_string, use_i18n};
use crate::model::audit::{ActorKind, AuditEntry, AuditPage, AuditQuery};
use crate::model::routes;
use crate::ui::components::layout::{Crumbs, Section};
use crate::ui::components::problem::problem;
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The kinds of objects the log names, for the filter, with their names in the page's language.
fn object_kinds() -> [(&'static str, &'static str); 6] {
    let i18n = use_i18n();
    [
        ("user", tu_string!(i18n, audit.kind_user)),
        ("webhook", tu_string!(i18n, audit.kind_webhook)),
        ("campaign", tu_string!(i18n, audit.kind_campaign)),
        ("credential", tu_string!(i18n, audit.kind_credential)),
        ("sandbox", tu_string!(i18n, audit.kind_sandbox)),
        ("delivery", tu_string!(i18n, audit.kind_delivery)),
    ]
}

/// An entry's object kind in the page's words; a kind the log does not know, as it is.
fn object_kind_label(kind: &str) -> String {
    let i18n = use_i18n();
    match kind {
        "user" => tu_string!(i18n, audit.single_user),
        "webhook" => tu_string!(i18n, audit.single_webhook),
        "campaign" => tu_string!(i18n, audit.single_campaign),
        "credential" => tu_string!(i18n, audit.single_credential),
        "sandbox" => tu_string!(i18n, audit.single_sandbox),
        "delivery" => tu_string!(i18n, audit.single_delivery),
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
    let i18n = use_i18n();
    view! {
        <Crumbs section=Section::AuditLog/>
        <div class="page-head">
            <div>
                <h1>{t!(i18n, audit.title)}</h1>
                <p class="muted">{t!(i18n, audit.intro)}</p>
            </div>
        </div>
        {move || view! { <Filters query=query.get()/> }}
        <Transition fallback=move || view! { <p class="loading">{t!(i18n, audit.loading)}</p> }>
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
    let i18n = use_i18n();
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
        <form class="filters" method="get" action=routes::AUDIT_LOG role="search" aria-label=tu_string!(i18n, audit.filter)>
            <label class="filter">
                <span>{t!(i18n, audit.who)}</span>
                <input type="search" name="actor" value=query.actor.clone().unwrap_or_default()
                    placeholder=tu_string!(i18n, audit.who_placeholder) autocomplete="off"/>
            </label>
            <label class="filter">
                <span>{t!(i18n, audit.object_kind)}</span>
                <select name="object_kind"><option value="">{t!(i18n, audit.all)}</option>{kinds}</select>
            </label>
            <label class="filter">
                <span>{t!(i18n, audit.object_id)}</span>
                <input type="search" name="object_id" value=query.object_id.clone().unwrap_or_default() autocomplete="off"/>
            </label>
            <label class="filter">
                <span>{t!(i18n, audit.action)}</span>
                <input type="search" name="action" value=query.action.clone().unwrap_or_default()
                    placeholder=tu_string!(i18n, audit.action_placeholder) autocomplete="off"/>
            </label>
            <label class="filter">
                <span>{t!(i18n, audit.from)}</span>
                <input type="datetime-local" name="from" value=query.from.clone().unwrap_or_default()/>
            </label>
            <label class="filter">
                <span>{t!(i18n, audit.to)}</span>
                <input type="datetime-local" name="to" value=query.to.clone().unwrap_or_default()/>
            </label>
            <div class="filter-actions">
                <button type="submit" class="primary small">{t!(i18n, audit.apply)}</button>
                <a class="button secondary small" href=routes::AUDIT_LOG>{t!(i18n, audit.clear)}</a>
                <a class="button secondary small" href=export("csv") download>{t!(i18n, audit.export_csv)}</a>
                <a class="button secondary small" href=export("jsonl") download>{t!(i18n, audit.export_jsonl)}</a>
            </div>
        </form>
    }
}

#[component]
fn Entries(page: AuditPage, query: AuditQuery) -> impl IntoView {
    let i18n = use_i18n();
    if page.entries.is_empty() {
        return view! { <p class="muted">{t!(i18n, audit.no_entry)}</p> }.into_any();
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
                        <th scope="col">{tu_string!(i18n, audit.when)}</th>
                        <th scope="col">{tu_string!(i18n, audit.who)}</th>
                        <th scope="col">{tu_string!(i18n, audit.what)}</th>
                        <th scope="col">{tu_string!(i18n, audit.changes)}</th>
                    </tr>
                </thead>
                <tbody>
                    {page.entries.into_iter().map(|entry| view! { <EntryRow entry/> }).collect_view()}
                </tbody>
            </table>
        </div>
        {older.map(|href| view! { <p class="pager"><a class="button secondary" href=href>{t!(i18n, audit.older)}</a></p> })}
    }
    .into_any()
}

#[component]
fn EntryRow(entry: AuditEntry) -> impl IntoView {
    let i18n = use_i18n();
    let kind = match entry.actor_kind {
        ActorKind::User => None,
        ActorKind::Credential => Some(tu_string!(i18n, audit.credential)),
        ActorKind::System => Some(tu_string!(i18n, audit.system)),
        ActorKind::Anonymous => Some(tu_string!(i18n, audit.anonymous)),
    };
    let (changed, none, colon) = (
        tu_string!(i18n, audit.changed),
        tu_string!(i18n, audit.none),
        tu_string!(i18n, audit.colon),
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
            <td data-label=tu_string!(i18n, audit.when) class="nowrap"><Timestamp at=entry.at.clone()/></td>
            <td data-label=tu_string!(i18n, audit.who)>
                {entry.actor.clone()}
                {kind.map(|kind| view! { " " <span class="chip">{kind}</span> })}
                {entry.address.clone().map(|address| view! { <span class="time-of-day">{address}</span> })}
            </td>
            <td data-label=tu_string!(i18n, audit.what)>
                <code class="action">{entry.action.clone()}</code>
                <span class="object">
                    <span class="muted">{object_kind_label(&entry.object_kind)}{colon}" "</span>
                    {match object_link {
                        Some(href) => view! { <a href=href title=tu_string!(i18n, audit.object_history)>{entry.object_name.clone()}</a> }.into_any(),
                        None => view! { <span>{entry.object_name.clone()}</span> }.into_any(),
                    }}
                </span>
            </td>
            <td data-label=tu_string!(i18n, audit.changes)>
                <ul class="changes">
                    {entry.changes.iter().map(|change| view! { <li>{change.describe_in(changed, none, colon)}</li> }).collect_view()}
                </ul>
            </td>
        </tr>
    }
}

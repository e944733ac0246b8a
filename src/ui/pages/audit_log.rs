//! Administration / Access / Audit log: every change, newest first, filtered by the address's
//! query (so a filtered view can be bookmarked and works without JavaScript), pages by keyset,
//! and the same entries as CSV or JSON Lines.

use crate::api::audit::list_audit;
use crate::model::audit::{ActorKind, AuditEntry, AuditPage, AuditQuery};
use crate::model::routes;
use crate::ui::components::layout::Crumbs;
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The kinds of objects the log names, for the filter.
const OBJECT_KINDS: [(&str, &str); 6] = [
    ("user", "Users"),
    ("webhook", "Webhooks"),
    ("campaign", "Campaigns"),
    ("credential", "API credentials"),
    ("sandbox", "Sandboxes"),
    ("delivery", "Deliveries"),
];

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
    view! {
        <Crumbs parents=&["Administration", "Access"] section=("Audit log", routes::AUDIT_LOG)/>
        <div class="page-head">
            <div>
                <h1>"Audit log"</h1>
                <p class="muted">"Every change, by whom, when and from where, with what it changed. Secrets are only said to have changed. Entries cannot be edited or deleted."</p>
            </div>
        </div>
        {move || view! { <Filters query=query.get()/> }}
        <Transition fallback=|| view! { <p class="loading">"Loading the audit log…"</p> }>
            {move || Suspend::new(async move {
                let query = query.get_untracked();
                match page.await {
                    Ok(page) => view! { <Entries page query/> }.into_any(),
                    Err(error) => view! { <p class="banner error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Filters(query: AuditQuery) -> impl IntoView {
    let kinds: Vec<_> = OBJECT_KINDS
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
        <form class="filters" method="get" action=routes::AUDIT_LOG role="search" aria-label="Filter the audit log">
            <label class="filter">
                <span>"Who"</span>
                <input type="search" name="actor" value=query.actor.clone().unwrap_or_default()
                    placeholder="email or credential name" autocomplete="off"/>
            </label>
            <label class="filter">
                <span>"Object kind"</span>
                <select name="object_kind"><option value="">"All"</option>{kinds}</select>
            </label>
            <label class="filter">
                <span>"Object id"</span>
                <input type="search" name="object_id" value=query.object_id.clone().unwrap_or_default() autocomplete="off"/>
            </label>
            <label class="filter">
                <span>"Action"</span>
                <input type="search" name="action" value=query.action.clone().unwrap_or_default()
                    placeholder="e.g. user.invited" autocomplete="off"/>
            </label>
            <label class="filter">
                <span>"From (UTC)"</span>
                <input type="datetime-local" name="from" value=query.from.clone().unwrap_or_default()/>
            </label>
            <label class="filter">
                <span>"To (UTC)"</span>
                <input type="datetime-local" name="to" value=query.to.clone().unwrap_or_default()/>
            </label>
            <div class="filter-actions">
                <button type="submit" class="primary small">"Apply"</button>
                <a class="button secondary small" href=routes::AUDIT_LOG>"Clear"</a>
                <a class="button secondary small" href=export("csv") download>"Export CSV"</a>
                <a class="button secondary small" href=export("jsonl") download>"Export JSON Lines"</a>
            </div>
        </form>
    }
}

#[component]
fn Entries(page: AuditPage, query: AuditQuery) -> impl IntoView {
    if page.entries.is_empty() {
        return view! { <p class="muted">"No entry matches these filters."</p> }.into_any();
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
                        <th scope="col">"When"</th>
                        <th scope="col">"Who"</th>
                        <th scope="col">"What"</th>
                        <th scope="col">"Changes"</th>
                    </tr>
                </thead>
                <tbody>
                    {page.entries.into_iter().map(|entry| view! { <EntryRow entry/> }).collect_view()}
                </tbody>
            </table>
        </div>
        {older.map(|href| view! { <p class="pager"><a class="button secondary" href=href>"Older entries"</a></p> })}
    }
    .into_any()
}

#[component]
fn EntryRow(entry: AuditEntry) -> impl IntoView {
    let kind = match entry.actor_kind {
        ActorKind::User => None,
        ActorKind::Credential => Some("API credential"),
        ActorKind::System => Some("system"),
        ActorKind::Anonymous => Some("not signed in"),
    };
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
            <td data-label="When" class="nowrap"><Timestamp at=entry.at.clone()/></td>
            <td data-label="Who">
                {entry.actor.clone()}
                {kind.map(|kind| view! { " " <span class="chip">{kind}</span> })}
                {entry.address.clone().map(|address| view! { <span class="time-of-day">{address}</span> })}
            </td>
            <td data-label="What">
                <code class="action">{entry.action.clone()}</code>
                <span class="object">
                    <span class="muted">{entry.object_kind.clone()}": "</span>
                    {match object_link {
                        Some(href) => view! { <a href=href title="This object's history">{entry.object_name.clone()}</a> }.into_any(),
                        None => view! { <span>{entry.object_name.clone()}</span> }.into_any(),
                    }}
                </span>
            </td>
            <td data-label="Changes">
                <ul class="changes">
                    {entry.changes.iter().map(|change| view! { <li>{change.describe()}</li> }).collect_view()}
                </ul>
            </td>
        </tr>
    }
}

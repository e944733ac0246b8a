//! Journeys / Campaigns: the sandbox's API-triggered transactional campaigns.

use crate::api::campaigns::list_campaigns;
use crate::model::campaign::{CampaignStatus, CampaignSummary};
use crate::model::{routes, Role};
use crate::ui::components::layout::{Crumbs, ForRole};
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_campaigns());
    let query = use_query_map();
    view! {
        <Crumbs parents=&["Journeys"] section=("Campaigns", routes::CAMPAIGNS)/>
        <div class="page-head">
            <div>
                <h1>"Campaigns"</h1>
                <p class="muted">"API-triggered transactional campaigns: each call to the execution API sends one of them, and its feedback goes to the webhook activated in its Audience."</p>
            </div>
            <ForRole role=Role::Editor>
                <a class="button primary" href=routes::NEW_CAMPAIGN>"Create campaign"</a>
            </ForRole>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading campaigns…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => {
                        let saved = query.read_untracked().get("saved");
                        let notice = saved
                            .and_then(|id| list.items.iter().find(|c| c.id == id))
                            .map(|campaign| format!("Saved “{}”.", campaign.name));
                        view! { <CampaignTable items=list.items can_edit=list.can_edit notice/> }.into_any()
                    }
                    Err(error) => view! { <p class="banner error">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CampaignTable(
    items: Vec<CampaignSummary>,
    can_edit: bool,
    notice: Option<String>,
) -> impl IntoView {
    if items.is_empty() {
        return view! {
            <div class="empty-state">
                <h2>"No campaigns yet"</h2>
                <p>"Create an API-triggered transactional campaign, make it live, then call the execution API to send it."</p>
                {can_edit.then(|| view! {
                    <a class="button primary" href=routes::NEW_CAMPAIGN>"Create your first campaign"</a>
                })}
            </div>
        }
        .into_any();
    }
    view! {
        {notice.map(|n| view! { <p class="banner success" role="status">{n}</p> })}
        <div class="table-wrap">
            <table class="webhooks campaigns">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Channel"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Feedback webhook"</th>
                        <th scope="col">"Last updated"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|campaign| view! { <CampaignRow campaign can_edit/> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn CampaignRow(campaign: CampaignSummary, can_edit: bool) -> impl IntoView {
    let status_class = match campaign.status {
        CampaignStatus::Live => "status enabled",
        CampaignStatus::Draft => "status draft",
        CampaignStatus::Stopped => "status disabled",
    };
    let webhook = match (
        campaign.webhook_enabled,
        campaign.webhook_name.clone(),
        campaign.webhook_problem.clone(),
    ) {
        (false, _, _) => view! { <span class="muted">"Off"</span> }.into_any(),
        (true, name, Some(problem)) => {
            let title = problem.clone();
            view! {
                <span class="flag" title=title>
                    {name.unwrap_or_else(|| "None".into())}
                    <span class="flag-note">{problem}</span>
                </span>
            }
            .into_any()
        }
        (true, name, None) => view! { <span>{name.unwrap_or_default()}</span> }.into_any(),
    };
    let href = routes::campaign(&campaign.id);
    view! {
        <tr>
            <td data-label="Name"><a class="row-link" href=href.clone()>{campaign.name.clone()}</a></td>
            <td data-label="Channel"><span class="chip">{campaign.channel.label()}</span></td>
            <td data-label="Status"><span class=status_class>{campaign.status.label()}</span></td>
            <td data-label="Feedback webhook">{webhook}</td>
            <td data-label="Last updated" class="nowrap"><Timestamp at=campaign.updated_at.clone()/></td>
            <td class="row-actions">
                <a href=href class="button secondary small">{if can_edit { "Edit" } else { "View" }}</a>
            </td>
        </tr>
    }
}

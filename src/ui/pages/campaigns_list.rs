//! Journeys / Campaigns: the sandbox's API-triggered transactional campaigns.

use crate::api::campaigns::list_campaigns;
use crate::i18n::messages::text;
use crate::i18n::{td_string, use_locale};
use crate::model::campaign::{CampaignStatus, CampaignSummary};
use crate::model::{routes, Role};
use crate::ui::components::labels::{campaign_status_label, channel_label};
use crate::ui::components::layout::{Crumbs, ForRole, Section};
use crate::ui::components::problem::problem;
use crate::ui::components::time::Timestamp;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_campaigns());
    let query = use_query_map();
    let locale = use_locale();
    view! {
        <Crumbs section=Section::Campaigns/>
        <div class="page-head">
            <div>
                <h1>{td_string!(locale, campaigns.title)}</h1>
                <p class="muted">{td_string!(locale, campaigns.intro)}</p>
            </div>
            <ForRole role=Role::Editor>
                <a class="button primary" href=routes::NEW_CAMPAIGN>{td_string!(locale, campaigns.create)}</a>
            </ForRole>
        </div>
        <Transition fallback=move || view! { <p class="loading">{td_string!(locale, campaigns.loading)}</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => {
                        let saved = query.read_untracked().get("saved");
                        let notice = saved
                            .and_then(|id| list.items.iter().find(|c| c.id == id))
                            .map(|campaign| td_string!(locale, campaigns.saved, name = campaign.name.clone()).to_string());
                        view! { <CampaignTable items=list.items can_edit=list.can_edit notice/> }.into_any()
                    }
                    Err(error) => view! { <p class="banner error">{problem(&error)}</p> }.into_any(),
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
    let locale = use_locale();
    if items.is_empty() {
        return view! {
            <div class="empty-state">
                <h2>{td_string!(locale, campaigns.empty_title)}</h2>
                <p>{td_string!(locale, campaigns.empty_text)}</p>
                {can_edit.then(|| view! {
                    <a class="button primary" href=routes::NEW_CAMPAIGN>{td_string!(locale, campaigns.create_first)}</a>
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
                        <th scope="col">{td_string!(locale, campaigns.name)}</th>
                        <th scope="col">{td_string!(locale, campaigns.channel)}</th>
                        <th scope="col">{td_string!(locale, campaigns.status)}</th>
                        <th scope="col">{td_string!(locale, campaigns.webhook)}</th>
                        <th scope="col">{td_string!(locale, campaigns.updated)}</th>
                        <th scope="col"><span class="visually-hidden">{td_string!(locale, campaigns.actions)}</span></th>
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
    let locale = use_locale();
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
        (false, _, _) => {
            view! { <span class="muted">{td_string!(locale, campaigns.off)}</span> }.into_any()
        }
        (true, name, Some(problem)) => {
            let problem = text(&problem, locale);
            let title = problem.clone();
            view! {
                <span class="flag" title=title>
                    {name.unwrap_or_else(|| td_string!(locale, campaigns.none).to_string())}
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
            <td data-label=td_string!(locale, campaigns.name)><a class="row-link" href=href.clone()>{campaign.name.clone()}</a></td>
            <td data-label=td_string!(locale, campaigns.channel)><span class="chip">{channel_label(campaign.channel)}</span></td>
            <td data-label=td_string!(locale, campaigns.status)><span class=status_class>{campaign_status_label(campaign.status)}</span></td>
            <td data-label=td_string!(locale, campaigns.webhook)>{webhook}</td>
            <td data-label=td_string!(locale, campaigns.updated) class="nowrap"><Timestamp at=campaign.updated_at.clone()/></td>
            <td class="row-actions">
                <a href=href class="button secondary small">{if can_edit { td_string!(locale, campaigns.edit) } else { td_string!(locale, campaigns.view) }}</a>
            </td>
        </tr>
    }
}

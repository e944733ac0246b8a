//! Create or edit a campaign: properties, message content, and the Audience section with the
//! td_string!(locale, campaign.enable_webhook) switch.

use crate::api::campaigns::{load_campaign_editor, SaveCampaign};
use crate::i18n::messages::text;
use crate::i18n::{td_string, use_locale};
use crate::model::campaign::*;
use crate::model::{checkbox, checked, routes, Channel, FieldErrors};
use crate::ui::components::field::{
    error_id, input_id, keep_focus, Check, FieldError, FormState, Radio, TextArea, TextInput,
};
use crate::ui::components::interactive::preload_lazy_island;
use crate::ui::components::last_change::LastChanged;
use crate::ui::components::layout::{Crumbs, Section};
use crate::ui::components::problem::problem;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn CampaignFormPage() -> impl IntoView {
    let locale = use_locale();
    let params = use_params_map();
    let query = use_query_map();
    let data = Resource::new(
        move || (params.read().get("id"), query.read().get("draft")),
        |(id, draft)| load_campaign_editor(id, draft),
    );
    view! {
        <Transition fallback=move || view! { <p class="loading">{td_string!(locale, campaign.loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <CampaignPage data/> }.into_any(),
                    Err(error) => view! {
                        <Crumbs section=Section::Campaigns current=td_string!(locale, campaign.title)/>
                        <p class="banner error">{problem(&error)}</p>
                        <a class="button secondary" href=routes::CAMPAIGNS>{td_string!(locale, campaign.back_to_list)}</a>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The page around the form: its head, drawn by the server, and the form (an island).
#[component]
fn CampaignPage(data: CampaignEditorData) -> impl IntoView {
    let locale = use_locale();
    let CampaignEditorData {
        form,
        errors,
        webhooks,
        version_id,
        updated_at,
        last_change,
        webhook_problem,
        can_edit,
    } = data;
    let id = form.id.clone();
    let title = if id.is_empty() {
        td_string!(locale, campaign.new_title).to_string()
    } else {
        form.name.clone()
    };
    view! {
        <Crumbs section=Section::Campaigns current=title.clone()/>
        <div class="page-head">
            <div>
                <h1>{title}</h1>
                <LastChanged last_change updated_at/>
            </div>
            {(!id.is_empty()).then(|| view! { <a class="button secondary" href=routes::campaign_executions(&id)>{td_string!(locale, campaign.executions)}</a> })}
        </div>
        <CampaignEditor initial=form errors webhooks version_id webhook_problem can_edit/>
    }
}

/// The form, checked as it is typed, with the Audience switch: the page's island.
#[island(lazy)]
fn CampaignEditor(
    initial: CampaignForm,
    errors: FieldErrors,
    webhooks: Vec<WebhookOption>,
    version_id: Option<String>,
    webhook_problem: Option<crate::model::message::Message>,
    can_edit: bool,
) -> impl IntoView {
    preload_lazy_island("campaign_editor");
    let locale = use_locale();
    let id = initial.id.clone();
    let name = RwSignal::new(initial.name.clone());
    let channel = RwSignal::new(initial.channel.clone());
    let status = RwSignal::new(initial.status.clone());
    let email_subject = RwSignal::new(initial.email_subject.clone());
    let email_body = RwSignal::new(initial.email_body.clone());
    let sms_text = RwSignal::new(initial.sms_text.clone());
    let webhook_enabled = RwSignal::new(checked(&initial.webhook_enabled));
    let webhook_id = RwSignal::new(initial.webhook_id.clone());
    let webhooks = StoredValue::new(webhooks);

    let collect = {
        let id = id.clone();
        move || CampaignForm {
            id: id.clone(),
            name: name.get(),
            channel: channel.get(),
            status: status.get(),
            email_subject: email_subject.get(),
            email_body: email_body.get(),
            sms_text: sms_text.get(),
            webhook_enabled: checkbox(webhook_enabled.get()),
            webhook_id: webhook_id.get(),
        }
    };
    let client_errors = Memo::new({
        let collect = collect.clone();
        move |_| {
            validate_campaign(&collect(), &webhooks.get_value())
                .err()
                .unwrap_or_default()
        }
    });
    let form = FormState::new(errors, client_errors);
    let save = ServerAction::<SaveCampaign>::new();
    let banner = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(id) = form.saved(save.value().get(), banner) {
            let _ = window().location().set_href(&routes::campaign_saved(&id));
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if form.ready_to_send(banner) {
            save.dispatch(SaveCampaign { form: collect() });
        }
    };
    let is_email = move || channel.get() == Channel::Email.as_str();
    // Only webhooks that receive the campaign's channel are offered.
    let offered = move || {
        let wanted = Channel::parse(&channel.get());
        webhooks
            .get_value()
            .into_iter()
            .filter(|w| wanted.is_some_and(|c| w.channels.contains(&c)))
            .collect::<Vec<_>>()
    };
    let has_offers = move || !offered().is_empty();

    view! {
        {move || banner.get().map(|b| view! { <p class="banner error" role="alert">{b}</p> })}
        <form class="webhook-form campaign-form" method="post" action="/api/campaigns/save" on:submit=on_submit novalidate>
            <input type="hidden" name="form[id]" value=id.clone()/>
            <fieldset class="plain" disabled=!can_edit>
                <section class="form-section" aria-labelledby="section-properties">
                    <h2 id="section-properties">{td_string!(locale, campaign.properties)}</h2>
                    <TextInput form field="name" label=td_string!(locale, campaign.name) value=name required=true autocomplete="off"
                        hint=td_string!(locale, campaign.name_hint)/>
                    <fieldset class="field group" class:invalid=move || form.error("channel").is_some() aria-describedby=error_id("channel")>
                        <legend>{td_string!(locale, campaign.channel)}</legend>
                        <div class="radios">
                            <Radio id="channel-email" name="form[channel]" option="email" label=td_string!(locale, webhook.email) value=channel/>
                            <Radio id="channel-sms" name="form[channel]" option="sms" label=td_string!(locale, webhook.sms) value=channel/>
                        </div>
                        <FieldError form field="channel".to_string()/>
                    </fieldset>
                    <fieldset class="field group" class:invalid=move || form.error("status").is_some() aria-describedby=error_id("status")>
                        <legend>{td_string!(locale, campaign.status)}</legend>
                        <div class="radios">
                            <Radio id="status-draft" name="form[status]" option="draft" label=td_string!(locale, campaigns.draft) value=status/>
                            <Radio id="status-live" name="form[status]" option="live" label=td_string!(locale, campaigns.live) value=status/>
                            <Radio id="status-stopped" name="form[status]" option="stopped" label=td_string!(locale, campaigns.stopped) value=status/>
                        </div>
                        <p class="hint">{td_string!(locale, campaign.live_hint)}</p>
                        <FieldError form field="status".to_string()/>
                    </fieldset>
                    {version_id.map(|version| view! {
                        <p class="hint">{td_string!(locale, campaign.version_before)} <code>{version}</code> {td_string!(locale, campaign.version_after)}</p>
                    })}
                </section>

                <section class="form-section" aria-labelledby="section-content">
                    <h2 id="section-content">{td_string!(locale, campaign.message)}</h2>
                    <p class="hint">{td_string!(locale, campaign.placeholders_1)} <code>"{{context.name}}"</code> {td_string!(locale, campaign.placeholders_2)} <code>"{{profile.name}}"</code> {td_string!(locale, campaign.placeholders_3)}</p>
                    <Show when=is_email fallback=move || view! {
                        <TextArea form field="sms_text" label=Signal::stored(td_string!(locale, campaign.sms_text).to_string()) value=sms_text rows=4 required=true
                            hint=Signal::stored(td_string!(locale, campaign.sms_hint, max = SMS_MAX_CHARS).to_string())/>
                    }>
                        <TextInput form field="email_subject" label=td_string!(locale, campaign.subject) value=email_subject required=true autocomplete="off"/>
                        <TextArea form field="email_body" label=Signal::stored(td_string!(locale, campaign.body).to_string()) value=email_body rows=8 required=true/>
                    </Show>
                </section>

                <section class="form-section" aria-labelledby="section-audience">
                    <h2 id="section-audience">{td_string!(locale, campaign.audience)}</h2>
                    {webhook_problem.map(|problem| view! { <p class="banner warning">{td_string!(locale, campaign.webhook_problem)} {text(&problem, locale)}</p> })}
                    <div class="field">
                        <Check id="webhook-enabled" name="form[webhook_enabled]" label=td_string!(locale, campaign.enable_webhook) value=webhook_enabled
                            on_change=move || form.edited("webhook_id")/>
                        <p class="hint">{td_string!(locale, campaign.enable_hint)}</p>
                    </div>
                    <Show when=move || webhook_enabled.get()>
                        <div class="field" class:invalid=move || form.error("webhook_id").is_some()>
                            <label for=input_id("webhook_id")>{td_string!(locale, campaign.webhook)}</label>
                            <select
                                id=input_id("webhook_id")
                                name="form[webhook_id]"
                                prop:value=move || webhook_id.get()
                                aria-describedby=error_id("webhook_id")
                                on:change=move |ev| {
                                    webhook_id.set(event_target_value(&ev));
                                    form.edited("webhook_id");
                                }
                            >
                                <option value="" selected=move || webhook_id.get().is_empty()>{td_string!(locale, campaign.choose)}</option>
                                {move || offered().into_iter().map(|webhook| {
                                    let selected = webhook.id == webhook_id.get_untracked();
                                    let label = if webhook.enabled {
                                        webhook.name.clone()
                                    } else {
                                        td_string!(locale, campaign.disabled, name = webhook.name.clone()).to_string()
                                    };
                                    view! { <option value=webhook.id.clone() selected=selected>{label}</option> }
                                }).collect_view()}
                            </select>
                            <Show when=move || !has_offers()>
                                <p class="hint">{td_string!(locale, campaign.no_webhook)}
                                    <a href=routes::NEW_WEBHOOK>{td_string!(locale, campaign.create_one)}</a>"."</p>
                            </Show>
                            <FieldError form field="webhook_id".to_string()/>
                        </div>
                    </Show>
                </section>

                <div class="form-actions">
                    <a class="button secondary" href=routes::CAMPAIGNS>{if can_edit { td_string!(locale, campaign.cancel) } else { td_string!(locale, campaign.back) }}</a>
                    {can_edit.then(|| view! {
                        <button type="submit" class="primary" disabled=move || save.pending().get()
                            on:mousedown=keep_focus>
                            {move || if save.pending().get() { td_string!(locale, campaign.saving) } else { td_string!(locale, campaign.submit) }}
                        </button>
                    })}
                </div>
            </fieldset>
        </form>
    }
}

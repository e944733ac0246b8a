//! Create or edit a campaign: properties, message content, and the Audience section with the
//! "Enable feedback webhook" switch.

use crate::api::campaigns::{load_campaign_editor, SaveCampaign};
use crate::model::campaign::*;
use crate::model::{checkbox, checked, routes, Channel};
use crate::ui::components::field::{
    error_id, input_id, Check, FieldError, FormState, Radio, TextArea, TextInput,
};
use crate::ui::components::last_change::LastChanged;
use crate::ui::components::layout::Crumbs;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

#[component]
pub fn CampaignFormPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let data = Resource::new(
        move || (params.read().get("id"), query.read().get("draft")),
        |(id, draft)| load_campaign_editor(id, draft),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <CampaignEditor data/> }.into_any(),
                    Err(error) => view! {
                        <Crumbs parents=&["Journeys"] section=("Campaigns", routes::CAMPAIGNS) current="Campaign"/>
                        <p class="banner error">{error.to_string()}</p>
                        <a class="button secondary" href=routes::CAMPAIGNS>"Back to the list"</a>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CampaignEditor(data: CampaignEditorData) -> impl IntoView {
    let CampaignEditorData {
        form: initial,
        errors,
        webhooks,
        version_id,
        updated_at,
        last_change,
        webhook_problem,
        can_edit,
    } = data;
    let id = initial.id.clone();
    let title = if id.is_empty() {
        "Create campaign".to_string()
    } else {
        initial.name.clone()
    };
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
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(id) = form.saved(save.value().get(), banner) {
            navigate(
                &format!("{}?saved={id}", routes::CAMPAIGNS),
                Default::default(),
            );
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
        <Crumbs parents=&["Journeys"] section=("Campaigns", routes::CAMPAIGNS) current=title.clone()/>
        <div class="page-head">
            <div>
                <h1>{title}</h1>
                <LastChanged last_change updated_at/>
            </div>
            {(!id.is_empty()).then(|| view! { <a class="button secondary" href=routes::campaign_executions(&id)>"Executions"</a> })}
        </div>
        {move || banner.get().map(|b| view! { <p class="banner error" role="alert">{b}</p> })}
        <form class="webhook-form campaign-form" method="post" action="/api/campaigns/save" on:submit=on_submit novalidate>
            <input type="hidden" name="form[id]" value=id.clone()/>
            <fieldset class="plain" disabled=!can_edit>
                <section class="form-section" aria-labelledby="section-properties">
                    <h2 id="section-properties">"Properties"</h2>
                    <TextInput form field="name" label="Campaign name" value=name required=true autocomplete="off"
                        hint="Unique in this sandbox."/>
                    <fieldset class="field group" class:invalid=move || form.error("channel").is_some() aria-describedby=error_id("channel")>
                        <legend>"Channel"</legend>
                        <div class="radios">
                            <Radio id="channel-email" name="form[channel]" option="email" label="Email" value=channel/>
                            <Radio id="channel-sms" name="form[channel]" option="sms" label="SMS" value=channel/>
                        </div>
                        <FieldError form field="channel".to_string()/>
                    </fieldset>
                    <fieldset class="field group" class:invalid=move || form.error("status").is_some() aria-describedby=error_id("status")>
                        <legend>"Status"</legend>
                        <div class="radios">
                            <Radio id="status-draft" name="form[status]" option="draft" label="Draft" value=status/>
                            <Radio id="status-live" name="form[status]" option="live" label="Live" value=status/>
                            <Radio id="status-stopped" name="form[status]" option="stopped" label="Stopped" value=status/>
                        </div>
                        <p class="hint">"Only a live campaign can be executed through the API."</p>
                        <FieldError form field="status".to_string()/>
                    </fieldset>
                    {version_id.map(|version| view! {
                        <p class="hint">"Campaign version " <code>{version}</code> " (changes whenever the content does)."</p>
                    })}
                </section>

                <section class="form-section" aria-labelledby="section-content">
                    <h2 id="section-content">"Message"</h2>
                    <p class="hint">"Placeholders " <code>"{{context.name}}"</code> " and " <code>"{{profile.name}}"</code> " are filled from each recipient of the execution request."</p>
                    <Show when=is_email fallback=move || view! {
                        <TextArea form field="sms_text" label=Signal::stored("SMS text".to_string()) value=sms_text rows=4 required=true
                            hint=Signal::stored(format!("At most {SMS_MAX_CHARS} characters."))/>
                    }>
                        <TextInput form field="email_subject" label="Subject" value=email_subject required=true autocomplete="off"/>
                        <TextArea form field="email_body" label=Signal::stored("Body".to_string()) value=email_body rows=8 required=true/>
                    </Show>
                </section>

                <section class="form-section" aria-labelledby="section-audience">
                    <h2 id="section-audience">"Audience"</h2>
                    {webhook_problem.map(|problem| view! { <p class="banner warning">"Feedback webhook: " {problem}</p> })}
                    <div class="field">
                        <Check id="webhook-enabled" name="form[webhook_enabled]" label="Enable feedback webhook" value=webhook_enabled
                            on_change=move || form.edited("webhook_id")/>
                        <p class="hint">"Sends this campaign's delivery feedback (sent, delivered, bounce, error) to a feedback webhook."</p>
                    </div>
                    <Show when=move || webhook_enabled.get()>
                        <div class="field" class:invalid=move || form.error("webhook_id").is_some()>
                            <label for=input_id("webhook_id")>"Feedback webhook"</label>
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
                                <option value="" selected=move || webhook_id.get().is_empty()>"Choose a webhook"</option>
                                {move || offered().into_iter().map(|webhook| {
                                    let selected = webhook.id == webhook_id.get_untracked();
                                    let label = if webhook.enabled {
                                        webhook.name.clone()
                                    } else {
                                        format!("{} (disabled)", webhook.name)
                                    };
                                    view! { <option value=webhook.id.clone() selected=selected>{label}</option> }
                                }).collect_view()}
                            </select>
                            <Show when=move || !has_offers()>
                                <p class="hint">"No webhook of this sandbox receives this channel. "
                                    <a href=routes::NEW_WEBHOOK>"Create one"</a>"."</p>
                            </Show>
                            <FieldError form field="webhook_id".to_string()/>
                        </div>
                    </Show>
                </section>

                <div class="form-actions">
                    <a class="button secondary" href=routes::CAMPAIGNS>{if can_edit { "Cancel" } else { "Back" }}</a>
                    {can_edit.then(|| view! {
                        <button type="submit" class="primary" disabled=move || save.pending().get()>
                            {move || if save.pending().get() { "Saving…" } else { "Submit" }}
                        </button>
                    })}
                </div>
            </fieldset>
        </form>
    }
}

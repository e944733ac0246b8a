//! Create or edit a feedback webhook: Basic configuration, Authentication, Header parameters.

use crate::api::webhooks::{load_webhook_editor, SaveWebhook};
use crate::i18n::{td_string, use_locale};
use crate::model::validation::{validate_webhook, StoredSecrets};
use crate::model::*;
use crate::ui::components::confirm_delete::{ConfirmDelete, DeleteWebhookLink};
use crate::ui::components::field::{
    error_id, input_id, keep_focus, Check, FieldError, FormState, Radio, TextArea, TextInput,
};
use crate::ui::components::header_rows::{HeaderRow, HeaderRowsEditor};
use crate::ui::components::health::{webhook_health, DisabledBanner, HealthAnswer, HealthPanel};
use crate::ui::components::last_change::LastChanged;
use crate::ui::components::layout::Breadcrumb;
use crate::ui::components::problem::problem;
use crate::ui::components::signing_secret::SigningSecretPanel;
use crate::ui::components::test_event::TestEventPanel;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn WebhookFormPage() -> impl IntoView {
    let locale = use_locale();
    let params = use_params_map();
    let query = use_query_map();
    let data = Resource::new(
        move || (params.read().get("id"), query.read().get("draft")),
        |(id, draft)| load_webhook_editor(id, draft),
    );
    // Made here, before anything is awaited, like every resource of a page (the deliveries
    // page says why).
    let health = Resource::new(move || params.read().get("id"), webhook_health);
    view! {
        <Transition fallback=move || view! { <p class="loading">{td_string!(locale, webhook.loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <WebhookPage data health/> }.into_any(),
                    Err(error) => view! {
                        <Breadcrumb/>
                        <p class="banner error">{problem(&error)}</p>
                        <a class="button secondary" href=routes::WEBHOOKS>{td_string!(locale, webhook.back_to_list)}</a>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The page around the form: its head, drawn by the server (who changed it last, the links),
/// the form (an island), and the panels of a saved webhook.
#[component]
fn WebhookPage(data: WebhookEditorData, health: Resource<Option<HealthAnswer>>) -> impl IntoView {
    let locale = use_locale();
    let WebhookEditorData {
        form,
        errors,
        jwt_secret,
        header_secrets,
        allow_list,
        disabled_reason,
        updated_at,
        last_change,
        can_edit,
        signing,
        new_signing_secret,
        test_result,
    } = data;
    let id = form.id.clone();
    let is_new = id.is_empty();
    let title = if is_new {
        td_string!(locale, webhook.new_title).to_string()
    } else {
        form.name.clone()
    };
    let delete_link = (!is_new && can_edit).then(|| {
        view! {
            <DeleteWebhookLink id=id.clone() name=form.name.clone() class="button danger-outline">
                {td_string!(locale, webhook.delete)}
            </DeleteWebhookLink>
        }
    });
    view! {
        <Breadcrumb current=title.clone()/>
        <div class="page-head">
            <div>
                <h1>{title}</h1>
                <LastChanged last_change updated_at/>
            </div>
            <div class="head-actions">
                {(!is_new).then(|| view! { <a class="button secondary" href=routes::webhook_deliveries(&id)>{td_string!(locale, webhook.deliveries)}</a> })}
                {delete_link}
            </div>
        </div>
        {disabled_reason.map(|reason| view! { <DisabledBanner webhook_id=id.clone() reason=Some(reason) can_edit/> })}
        <WebhookEditor initial=form errors stored_jwt=jwt_secret header_secrets allow_list can_edit/>
        {(!is_new).then(|| view! {
            <SigningSecretPanel webhook_id=id.clone() info=signing just_generated=new_signing_secret can_edit/>
            <TestEventPanel webhook_id=id.clone() initial=test_result can_edit/>
            <HealthPanel webhook_id=id.clone() health/>
        })}
        {can_edit.then(|| view! { <ConfirmDelete/> })}
    }
}

/// The form, checked as it is typed: the page's island. In the main module, not lazy: as
/// chunks of its own it took 148 KB more for the settings form (399 KB before it was
/// interactive, after 2.2 s at 1.6 Mbit/s), and in the main module 90 KB (339 KB, 1.7 s), the
/// sign-in page and the webhook list carrying it too (338 KB, 1.7 s), measured before the
/// signing secret and test event panels joined it there.
#[island]
fn WebhookEditor(
    initial: WebhookForm,
    errors: FieldErrors,
    stored_jwt: Option<(KeyKind, StoredSecretInfo)>,
    header_secrets: std::collections::BTreeMap<String, StoredSecretInfo>,
    allow_list: crate::model::network::PrivateTargetAllowList,
    can_edit: bool,
) -> impl IntoView {
    let locale = use_locale();
    let id = initial.id.clone();

    let name = RwSignal::new(initial.name.clone());
    let email = RwSignal::new(checked(&initial.email));
    let sms = RwSignal::new(checked(&initial.sms));
    let url = RwSignal::new(initial.url.clone());
    let enabled = RwSignal::new(checked(&initial.enabled));
    let event_sent = RwSignal::new(checked(&initial.event_sent));
    let event_delivered = RwSignal::new(checked(&initial.event_delivered));
    let event_bounce = RwSignal::new(checked(&initial.event_bounce));
    let event_error = RwSignal::new(checked(&initial.event_error));
    let auth = RwSignal::new(initial.auth.clone());
    let jwt_algorithm = RwSignal::new(initial.jwt_algorithm.clone());
    let jwt_secret = RwSignal::new(String::new());
    let jwt_key_id = RwSignal::new(initial.jwt_key_id.clone());
    let jwt_issuer = RwSignal::new(initial.jwt_issuer.clone());
    let jwt_subject = RwSignal::new(initial.jwt_subject.clone());
    let jwt_audience = RwSignal::new(initial.jwt_audience.clone());
    let jwt_extra_claims = RwSignal::new(initial.jwt_extra_claims.clone());
    let jwt_lifetime = RwSignal::new(initial.jwt_lifetime.clone());
    let rows = RwSignal::new(
        initial
            .headers
            .iter()
            .cloned()
            .enumerate()
            .map(|(key, row)| HeaderRow::new(key, row))
            .collect::<Vec<_>>(),
    );

    let collect = {
        let id = id.clone();
        move || WebhookForm {
            id: id.clone(),
            name: name.get(),
            email: checkbox(email.get()),
            sms: checkbox(sms.get()),
            url: url.get(),
            enabled: checkbox(enabled.get()),
            event_sent: checkbox(event_sent.get()),
            event_delivered: checkbox(event_delivered.get()),
            event_bounce: checkbox(event_bounce.get()),
            event_error: checkbox(event_error.get()),
            auth: auth.get(),
            jwt_algorithm: jwt_algorithm.get(),
            jwt_secret: jwt_secret.get(),
            jwt_key_id: jwt_key_id.get(),
            jwt_issuer: jwt_issuer.get(),
            jwt_subject: jwt_subject.get(),
            jwt_audience: jwt_audience.get(),
            jwt_extra_claims: jwt_extra_claims.get(),
            jwt_lifetime: jwt_lifetime.get(),
            headers: rows.get().iter().map(HeaderRow::to_form).collect(),
            intent: String::new(),
        }
    };
    let stored = StoredSecrets {
        jwt_key: stored_jwt.as_ref().map(|(kind, _)| *kind),
        header_values: header_secrets.keys().map(|id| (id.clone(), 0)).collect(),
    };
    let client_errors = Memo::new({
        let collect = collect.clone();
        move |_| {
            validate_webhook(&collect(), &allow_list, &stored)
                .err()
                .unwrap_or_default()
        }
    });
    let form = FormState::new(errors, client_errors);

    let save = ServerAction::<SaveWebhook>::new();
    let banner = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(id) = form.saved(save.value().get(), banner) {
            let _ = window().location().set_href(&routes::webhook_saved(&id));
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if form.ready_to_send(banner) {
            save.dispatch(SaveWebhook { form: collect() });
        }
    };

    let key_label = Signal::derive(move || {
        JwtAlgorithm::parse(&jwt_algorithm.get())
            .map_or(td_string!(locale, webhook.key), |a| match a.key_kind() {
                KeyKind::SharedSecret => td_string!(locale, webhook.key_shared_secret),
                KeyKind::Rsa => td_string!(locale, webhook.key_rsa),
                KeyKind::EcP256 => td_string!(locale, webhook.key_ec_p256),
                KeyKind::EcP384 => td_string!(locale, webhook.key_ec_p384),
                KeyKind::Ed25519 => td_string!(locale, webhook.key_ed25519),
            })
            .to_string()
    });
    let key_hint = {
        let stored = stored_jwt.clone();
        Signal::derive(move || match &stored {
            Some((kind, info))
                if JwtAlgorithm::parse(&jwt_algorithm.get()).map(|a| a.key_kind())
                    == Some(*kind) =>
            {
                td_string!(
                    locale,
                    webhook.key_set,
                    fingerprint = info.fingerprint.clone()
                )
                .to_string()
            }
            Some(_) => td_string!(locale, webhook.key_mismatch).to_string(),
            None => td_string!(locale, webhook.key_write_only).to_string(),
        })
    };

    view! {
        {move || banner.get().map(|b| view! { <p class="banner error" role="alert">{b}</p> })}
        <form class="webhook-form" method="post" action="/api/webhooks/save" on:submit=on_submit novalidate>
            // Enter in a text field submits with the first submit button: make that one "save".
            {can_edit.then(|| view! {
                <button type="submit" name="form[intent]" value="save" class="visually-hidden" tabindex="-1" aria-hidden="true">{td_string!(locale, webhook.submit_hidden)}</button>
            })}
            <input type="hidden" name="form[id]" value=id.clone()/>
            <fieldset class="plain" disabled=!can_edit>
                <section class="form-section" aria-labelledby="section-basic">
                    <h2 id="section-basic">{td_string!(locale, webhook.basic)}</h2>
                    <TextInput form field="name" label=td_string!(locale, webhook.name) value=name required=true autocomplete="off"
                        hint=td_string!(locale, webhook.name_hint)/>
                    <fieldset class="field group" class:invalid=move || form.error("channels").is_some() aria-describedby=error_id("channels")>
                        <legend>{td_string!(locale, webhook.channels)}</legend>
                        <div class="checks">
                            <Check id="channel-email" name="form[email]" label=td_string!(locale, webhook.email) value=email on_change=move || form.edited("channels")/>
                            <Check id="channel-sms" name="form[sms]" label=td_string!(locale, webhook.sms) value=sms on_change=move || form.edited("channels")/>
                        </div>
                        <FieldError form field="channels".to_string()/>
                    </fieldset>
                    <TextInput form field="url" label=td_string!(locale, webhook.url) value=url kind="url" required=true autocomplete="off"
                        placeholder="https://hooks.example.com/feedback"
                        hint=td_string!(locale, webhook.url_hint)/>
                    <fieldset class="field group" class:invalid=move || form.error("events").is_some() aria-describedby=error_id("events")>
                        <legend>{td_string!(locale, webhook.events)}</legend>
                        <div class="checks">
                            <Check id="event-sent" name="form[event_sent]" label=td_string!(locale, webhook.sent) value=event_sent on_change=move || form.edited("events")/>
                            <Check id="event-delivered" name="form[event_delivered]" label=td_string!(locale, webhook.delivered) value=event_delivered on_change=move || form.edited("events")/>
                            <Check id="event-bounce" name="form[event_bounce]" label=td_string!(locale, webhook.bounce) value=event_bounce on_change=move || form.edited("events")/>
                            <Check id="event-error" name="form[event_error]" label=td_string!(locale, webhook.error) value=event_error on_change=move || form.edited("events")/>
                        </div>
                        <p class="hint">{td_string!(locale, webhook.events_hint)}</p>
                        <FieldError form field="events".to_string()/>
                    </fieldset>
                    <div class="field">
                        <Check id="webhook-enabled" name="form[enabled]" label=td_string!(locale, webhook.enabled) value=enabled on_change=|| {}/>
                        <p class="hint">{td_string!(locale, webhook.enabled_hint)}</p>
                    </div>
                </section>

                <section class="form-section auth-section" aria-labelledby="section-auth">
                    <h2 id="section-auth">{td_string!(locale, webhook.auth)}</h2>
                    <fieldset class="field group">
                        <legend>{td_string!(locale, webhook.method)}</legend>
                        <div class="radios">
                            <Radio id="auth-none" name="form[auth]" option="none" label=td_string!(locale, webhook.auth_none) value=auth/>
                            <Radio id="auth-jwt" name="form[auth]" option="jwt" label=td_string!(locale, webhook.auth_jwt) value=auth/>
                        </div>
                        <FieldError form field="auth".to_string()/>
                    </fieldset>
                    <p class="hint auth-none-hint">{td_string!(locale, webhook.auth_none_hint)}</p>
                    <div class="jwt-fields">
                        <p class="hint">{td_string!(locale, webhook.jwt_hint_before)} <code>"Authorization: Bearer <jwt>"</code> {td_string!(locale, webhook.jwt_hint_after)}</p>
                        <div class="field" class:invalid=move || form.error("jwt_algorithm").is_some()>
                            <label for=input_id("jwt_algorithm")>{td_string!(locale, webhook.algorithm)}</label>
                            <select
                                id=input_id("jwt_algorithm")
                                name="form[jwt_algorithm]"
                                prop:value=move || jwt_algorithm.get()
                                aria-describedby=error_id("jwt_algorithm")
                                on:change=move |ev| {
                                    jwt_algorithm.set(event_target_value(&ev));
                                    form.edited("jwt_algorithm");
                                    form.edited("jwt_secret");
                                }
                            >
                                {JwtAlgorithm::ALL.into_iter().map(|alg| {
                                    let selected = initial.jwt_algorithm == alg.as_str();
                                    view! { <option value=alg.as_str() selected=selected>{alg.as_str()}</option> }
                                }).collect_view()}
                            </select>
                            <FieldError form field="jwt_algorithm".to_string()/>
                        </div>
                        <TextArea form field="jwt_secret" label=key_label value=jwt_secret rows=4 hint=key_hint required=true/>
                        <div class="grid-2">
                            <TextInput form field="jwt_key_id" label=td_string!(locale, webhook.key_id) value=jwt_key_id autocomplete="off"/>
                            <TextInput form field="jwt_lifetime" label=td_string!(locale, webhook.lifetime) value=jwt_lifetime kind="number" required=true
                                hint=td_string!(locale, webhook.lifetime_hint)/>
                            <TextInput form field="jwt_issuer" label=td_string!(locale, webhook.issuer) value=jwt_issuer autocomplete="off"/>
                            <TextInput form field="jwt_subject" label=td_string!(locale, webhook.subject) value=jwt_subject autocomplete="off"/>
                            <TextInput form field="jwt_audience" label=td_string!(locale, webhook.audience) value=jwt_audience autocomplete="off"/>
                        </div>
                        <TextArea form field="jwt_extra_claims" label=Signal::stored(td_string!(locale, webhook.extra_claims).to_string())
                            value=jwt_extra_claims rows=3 placeholder=Signal::stored("{\"tenant\": \"acme\"}".to_string())/>
                    </div>
                </section>

                <section class="form-section" aria-labelledby="section-headers">
                    <h2 id="section-headers">{td_string!(locale, webhook.headers)}</h2>
                    <p class="hint">{td_string!(locale, webhook.headers_hint)}</p>
                    <HeaderRowsEditor form rows stored=header_secrets/>
                </section>

                <div class="form-actions">
                    <a class="button secondary" href=routes::WEBHOOKS>{if can_edit { td_string!(locale, webhook.cancel) } else { td_string!(locale, webhook.back) }}</a>
                    {can_edit.then(|| view! {
                        <button type="submit" class="primary" name="form[intent]" value="save" disabled=move || save.pending().get()
                            on:mousedown=keep_focus>
                            {move || if save.pending().get() { td_string!(locale, webhook.saving) } else { td_string!(locale, webhook.submit) }}
                        </button>
                    })}
                </div>
            </fieldset>
        </form>
    }
}

//! Form fields with their label, hint and error, and the state that decides which errors show.

use crate::i18n::messages::text;
use crate::i18n::{td_string, use_locale, Locale};
use crate::model::FieldErrors;
use leptos::prelude::*;
use std::collections::BTreeSet;

/// Which message a field shows: the server's answer until the field is edited, and the browser's
/// own check once the field was left or a submit was attempted.
#[derive(Clone, Copy)]
pub struct FormState {
    /// The page's language, which the messages are written in.
    pub locale: Locale,
    pub server_errors: RwSignal<FieldErrors>,
    pub client_errors: Memo<FieldErrors>,
    pub touched: RwSignal<BTreeSet<String>>,
    pub attempted: RwSignal<bool>,
}

impl FormState {
    /// A form that shows the server's `errors` at once and `client_errors` as fields are left.
    pub fn new(errors: FieldErrors, client_errors: Memo<FieldErrors>) -> Self {
        FormState {
            locale: use_locale(),
            attempted: RwSignal::new(!errors.is_empty()),
            server_errors: RwSignal::new(errors),
            client_errors,
            touched: RwSignal::new(Default::default()),
        }
    }

    /// Before sending: shows every field's problem; `false` (with the banner set) when any.
    pub fn ready_to_send(&self, banner: RwSignal<Option<String>>) -> bool {
        self.attempted.set(true);
        let ready = self.client_errors.with_untracked(FieldErrors::is_empty);
        banner.set((!ready).then(|| needs_attention(self.locale)));
        ready
    }

    /// After a save answered: the saved id, or the refusals put next to their fields (and the
    /// banner set).
    pub fn saved(
        &self,
        answer: Option<Result<crate::model::SaveOutcome, crate::error::AppError>>,
        banner: RwSignal<Option<String>>,
    ) -> Option<String> {
        match answer? {
            Ok(crate::model::SaveOutcome::Saved { id, .. }) => Some(id),
            Ok(crate::model::SaveOutcome::Invalid { errors }) => {
                banner.set(Some(needs_attention(self.locale)));
                self.server_errors.set(errors);
                None
            }
            Err(error) => {
                banner.set(Some(crate::i18n::messages::error_text(&error, self.locale)));
                None
            }
        }
    }

    /// The message under `field`, in the page's language.
    pub fn error(&self, field: &str) -> Option<String> {
        let written = |errors: &FieldErrors| errors.get(field).map(|m| text(m, self.locale));
        if let Some(message) = self.server_errors.with(written) {
            return Some(message);
        }
        let shown = self.attempted.get() || self.touched.with(|touched| touched.contains(field));
        shown.then(|| self.client_errors.with(written)).flatten()
    }

    pub fn edited(&self, field: &str) {
        if self
            .server_errors
            .with_untracked(|errors| errors.contains_key(field))
        {
            self.server_errors.update(|errors| {
                errors.remove(field);
            });
        }
    }

    pub fn left(&self, field: &str) {
        if !self
            .touched
            .with_untracked(|touched| touched.contains(field))
        {
            self.touched.update(|touched| {
                touched.insert(field.to_string());
            });
        }
    }
}

/// The banner over a form that was refused (written from an event handler, where no context is
/// at hand: hence the language itself).
fn needs_attention(locale: Locale) -> String {
    td_string!(locale, form.needs_attention).to_string()
}

/// For a form's submit button, on `mousedown`: the field being typed in keeps the focus until
/// the click. Leaving it would show its error at once, which moves the button from under the
/// pointer, and the press would end elsewhere: no click, nothing sent, nothing said.
pub fn keep_focus(ev: leptos::ev::MouseEvent) {
    ev.prevent_default();
}

pub fn input_id(field: &str) -> String {
    format!("field-{}", field.replace(['.', '_'], "-"))
}

pub fn error_id(field: &str) -> String {
    format!("{}-error", input_id(field))
}

/// The message under a field; present (empty) even without error so screen readers find it.
#[component]
pub fn FieldError(form: FormState, field: String) -> impl IntoView {
    let id = error_id(&field);
    view! {
        <p class="field-error" id=id aria-live="polite">
            {move || form.error(&field)}
        </p>
    }
}

/// Label, control, error and hint of one field.
#[component]
fn FieldFrame(
    form: FormState,
    field: &'static str,
    label: Signal<String>,
    required: bool,
    hint: Option<Signal<String>>,
    children: Children,
) -> impl IntoView {
    let locale = use_locale();
    view! {
        <div class="field" class:invalid=move || form.error(field).is_some()>
            <label for=input_id(field)>
                {label}
                {(!required).then(|| view! { <span class="optional">{td_string!(locale, form.optional)}</span> })}
            </label>
            {children()}
            <FieldError form field=field.to_string()/>
            {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
        </div>
    }
}

#[component]
pub fn TextInput(
    form: FormState,
    field: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional, into)] placeholder: Option<String>,
    #[prop(optional)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
) -> impl IntoView {
    let hint = hint.map(|hint| Signal::stored(hint.to_string()));
    view! {
        <FieldFrame form field label=Signal::stored(label.to_string()) required hint>
            <input
                id=input_id(field)
                type=kind
                name=format!("form[{field}]")
                value=value.get_untracked()
                prop:value=move || value.get()
                placeholder=placeholder
                autocomplete=autocomplete
                aria-invalid=move || form.error(field).is_some().to_string()
                aria-describedby=error_id(field)
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    form.edited(field);
                }
                on:blur=move |_| form.left(field)
            />
        </FieldFrame>
    }
}

#[component]
pub fn TextArea(
    form: FormState,
    field: &'static str,
    label: Signal<String>,
    value: RwSignal<String>,
    #[prop(optional)] hint: Option<Signal<String>>,
    #[prop(optional, into)] placeholder: Option<Signal<String>>,
    #[prop(default = 3)] rows: u32,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    view! {
        <FieldFrame form field label required hint>
            <textarea
                id=input_id(field)
                name=format!("form[{field}]")
                rows=rows
                spellcheck="false"
                placeholder=move || placeholder.map(|p| p.get())
                prop:value=move || value.get()
                aria-invalid=move || form.error(field).is_some().to_string()
                aria-describedby=error_id(field)
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    form.edited(field);
                }
                on:blur=move |_| form.left(field)
            >
                {value.get_untracked()}
            </textarea>
        </FieldFrame>
    }
}

/// A checkbox with its label.
#[component]
pub fn Check(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    value: RwSignal<bool>,
    on_change: impl Fn() + 'static,
) -> impl IntoView {
    view! {
        <span class="check">
            <input
                type="checkbox"
                id=id
                name=name
                checked=value.get_untracked()
                prop:checked=move || value.get()
                on:change=move |ev| {
                    value.set(event_target_checked(&ev));
                    on_change();
                }
            />
            <label for=id>{label}</label>
        </span>
    }
}

/// One radio button of a group, with its label.
#[component]
pub fn Radio(
    id: &'static str,
    name: &'static str,
    option: &'static str,
    label: &'static str,
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <span class="check">
            <input
                type="radio"
                id=id
                name=name
                value=option
                checked=value.get_untracked() == option
                prop:checked=move || value.get() == option
                on:change=move |_| value.set(option.to_string())
            />
            <label for=id>{label}</label>
        </span>
    }
}

//! The "Header parameters" rows: add and remove in place; secret rows show only a fingerprint.

use crate::i18n::{td_string, use_locale};
use crate::model::validation::HEADERS_MAX_ROWS;
use crate::model::{checkbox, HeaderRowForm, StoredSecretInfo};
use crate::ui::components::field::{error_id, FieldError, FormState};
use leptos::prelude::*;
use std::collections::BTreeMap;

/// One row on screen; `key` stays the same while rows around it come and go.
#[derive(Clone)]
pub struct HeaderRow {
    pub key: usize,
    pub id: String,
    pub name: RwSignal<String>,
    pub value: RwSignal<String>,
    pub secret: RwSignal<bool>,
}

impl HeaderRow {
    pub fn new(key: usize, row: HeaderRowForm) -> Self {
        HeaderRow {
            key,
            id: row.id,
            name: RwSignal::new(row.name),
            value: RwSignal::new(row.value),
            secret: RwSignal::new(row.secret.is_some()),
        }
    }

    pub fn to_form(&self) -> HeaderRowForm {
        HeaderRowForm {
            id: self.id.clone(),
            name: self.name.get(),
            value: self.value.get(),
            secret: checkbox(self.secret.get()),
        }
    }
}

#[component]
pub fn HeaderRowsEditor(
    form: FormState,
    rows: RwSignal<Vec<HeaderRow>>,
    stored: BTreeMap<String, StoredSecretInfo>,
) -> impl IntoView {
    let locale = use_locale();
    let next_key = StoredValue::new(rows.with_untracked(Vec::len));
    let forget_row_errors = move || {
        form.server_errors
            .update(|errors| errors.retain(|field, _| !field.starts_with("headers")));
    };
    let add = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        rows.update(|rows| rows.push(HeaderRow::new(key, HeaderRowForm::default())));
        forget_row_errors();
    };
    let stored = StoredValue::new(stored);
    let full = move || rows.with(Vec::len) >= HEADERS_MAX_ROWS;
    view! {
        <div class="header-rows">
            <Show when=move || rows.with(Vec::is_empty)>
                <p class="empty-rows">{td_string!(locale, header_rows.empty)}</p>
            </Show>
            <For each=move || rows.get() key=|row| row.key let:row>
                {
                    let key = row.key;
                    let index = move || rows.with(|rows| rows.iter().position(|r| r.key == key).unwrap_or(0));
                    let name_field = move || format!("headers.{}.name", index());
                    let value_field = move || format!("headers.{}.value", index());
                    let stored_info = stored.with_value(|stored| stored.get(&row.id).cloned());
                    let (name, value, secret) = (row.name, row.value, row.secret);
                    let remove = move |ev: leptos::ev::MouseEvent| {
                        ev.prevent_default();
                        rows.update(|rows| rows.retain(|r| r.key != key));
                        forget_row_errors();
                    };
                    let name_error = move || form.error(&name_field());
                    let value_error = move || form.error(&value_field());
                    view! {
                        <div class="header-row" data-row=key>
                            <input type="hidden" name=move || format!("form[headers][{}][id]", index()) value=row.id.clone()/>
                            <div class="field" class:invalid=move || name_error().is_some()>
                                <label for=format!("header-{key}-name")>{td_string!(locale, header_rows.name)}</label>
                                <input
                                    id=format!("header-{key}-name")
                                    name=move || format!("form[headers][{}][name]", index())
                                    value=name.get_untracked()
                                    prop:value=move || name.get()
                                    placeholder="X-Tenant"
                                    autocomplete="off"
                                    spellcheck="false"
                                    aria-invalid=move || name_error().is_some().to_string()
                                    aria-describedby=move || error_id(&name_field())
                                    on:input=move |ev| {
                                        name.set(event_target_value(&ev));
                                        form.edited(&name_field());
                                    }
                                    on:blur=move |_| form.left(&name_field())
                                />
                                {move || view! { <FieldError form field=name_field()/> }}
                            </div>
                            <div class="field" class:invalid=move || value_error().is_some()>
                                <label for=format!("header-{key}-value")>{td_string!(locale, header_rows.value)}</label>
                                <input
                                    id=format!("header-{key}-value")
                                    name=move || format!("form[headers][{}][value]", index())
                                    type=move || if secret.get() { "password" } else { "text" }
                                    value=value.get_untracked()
                                    prop:value=move || value.get()
                                    autocomplete="off"
                                    spellcheck="false"
                                    placeholder=stored_info.as_ref().map(|_| td_string!(locale, header_rows.stored).to_string())
                                    aria-invalid=move || value_error().is_some().to_string()
                                    aria-describedby=move || error_id(&value_field())
                                    on:input=move |ev| {
                                        value.set(event_target_value(&ev));
                                        form.edited(&value_field());
                                    }
                                    on:blur=move |_| form.left(&value_field())
                                />
                                {stored_info.map(|info| view! {
                                    <p class="hint secret-set">
                                        <span class="badge">{td_string!(locale, header_rows.set)}</span>
                                        {td_string!(locale, header_rows.fingerprint)}
                                        <code>{info.fingerprint}</code>
                                    </p>
                                })}
                                {move || view! { <FieldError form field=value_field()/> }}
                            </div>
                            <div class="secret-toggle">
                                <input
                                    type="checkbox"
                                    id=format!("header-{key}-secret")
                                    name=move || format!("form[headers][{}][secret]", index())
                                    checked=secret.get_untracked()
                                    prop:checked=move || secret.get()
                                    on:change=move |ev| secret.set(event_target_checked(&ev))
                                />
                                <label for=format!("header-{key}-secret")>{td_string!(locale, header_rows.secret)}</label>
                            </div>
                            <button
                                type="submit"
                                class="secondary remove-row"
                                name="form[intent]"
                                value=move || format!("remove_header:{}", index())
                                on:click=remove
                            >
                                {td_string!(locale, header_rows.remove)}
                            </button>
                        </div>
                    }
                }
            </For>
            <FieldError form field="headers".to_string()/>
            <button
                type="submit"
                class="secondary"
                name="form[intent]"
                value="add_header"
                on:click=add
                disabled=full
            >
                {td_string!(locale, header_rows.add)}
            </button>
            <Show when=full>
                <p class="hint">{td_string!(locale, header_rows.at_most, max = HEADERS_MAX_ROWS).to_string()}</p>
            </Show>
        </div>
    }
}

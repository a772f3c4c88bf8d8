//! Form fields with their own error line.

use leptos::prelude::*;

use crate::error::AppError;

/// The message of `error` when it concerns `field`.
pub fn field_error(error: Signal<Option<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.for_field(field)))
}

/// An error that concerns no single field, shown above the form.
#[component]
pub fn FormError(error: Signal<Option<AppError>>) -> impl IntoView {
    move || error.get().and_then(|e| e.general()).map(|m| view! { <div class="form-error" role="alert">{m}</div> })
}

/// A labelled text input bound to `value`, with a hint and a field-level error.
#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] autofocus: bool,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    let err_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type="text"
                placeholder=placeholder
                autofocus=autofocus
                required=required
                autocomplete="off"
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=err_id.clone()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            {(!hint.is_empty()).then(|| view! { <span class="hint">{hint}</span> })}
            <span class="error" id=err_id>{move || error.get()}</span>
        </div>
    }
}

/// A labelled textarea bound to `value`.
#[component]
pub fn TextArea(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] placeholder: &'static str,
) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <textarea
                id=id
                name=name
                placeholder=placeholder
                aria-invalid=move || error.get().is_some().to_string()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
            {(!hint.is_empty()).then(|| view! { <span class="hint">{hint}</span> })}
            <span class="error">{move || error.get()}</span>
        </div>
    }
}

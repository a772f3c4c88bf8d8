//! The create and delete dialogs used on several pages.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::RegistryVersion;
use crate::components::form::{FormError, TextArea, TextField, field_error};
use crate::components::modal::Modal;
use crate::components::toast::use_toasts;
use crate::error::AppResult;

/// Name and description, then `create` → the new object's URL, where the user is taken.
#[component]
pub fn CreateDialog(
    title: String,
    /// What is created, for the toast ("Catalog", "Schema", "Model").
    noun: &'static str,
    hint: &'static str,
    create: Action<(String, String), AppResult<String>>,
    on_close: Callback<()>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let pending = create.pending();
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let toasts = use_toasts();
    let registry = expect_context::<RegistryVersion>();
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(href)) = create.value().get() {
            create.value().set(None);
            toasts.success(format!("{noun} '{}' created.", name.get_untracked()));
            registry.bump();
            on_close.run(());
            navigate(&href, Default::default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch((name.get_untracked().trim().to_string(), description.get_untracked()));
    };
    view! {
        <Modal title on_close>
            <form on:submit=submit novalidate>
                <FormError error/>
                <TextField label="Name" name="name" value=name error=field_error(error, "name") hint autofocus=true required=true/>
                <TextArea label="Description" name="description" value=description error=field_error(error, "description")
                    placeholder="What is it for? (optional)"/>
                <div class="form-actions">
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="primary" disabled=move || pending.get()>
                        {move || if pending.get() { "Creating…" } else { "Create" }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}

/// Asks the user to type `confirm_text` before `delete` runs; then goes to `after`.
#[component]
pub fn DeleteDialog(
    title: String,
    /// What will be lost, in a sentence.
    warning: String,
    confirm_text: String,
    /// Offer "also delete everything inside" (catalogs and schemas).
    #[prop(optional)]
    offer_cascade: bool,
    delete: Action<bool, AppResult<()>>,
    after: String,
    on_close: Callback<()>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let cascade = RwSignal::new(false);
    let pending = delete.pending();
    let error = Signal::derive(move || delete.value().get().and_then(|r| r.err()));
    let toasts = use_toasts();
    let registry = expect_context::<RegistryVersion>();
    let navigate = use_navigate();
    let matches = {
        let confirm_text = confirm_text.clone();
        move || typed.get() == confirm_text
    };
    let done_text = format!("Deleted {confirm_text}.");
    Effect::new(move || {
        if let Some(Ok(())) = delete.value().get() {
            delete.value().set(None);
            toasts.success(done_text.clone());
            registry.bump();
            on_close.run(());
            navigate(&after, Default::default());
        }
    });
    let submit = {
        let matches = matches.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if matches() {
                delete.dispatch(cascade.get_untracked());
            }
        }
    };
    let label = format!("Type {confirm_text} to confirm");
    view! {
        <Modal title on_close>
            <form on:submit=submit>
                <p>{warning}</p>
                <div class="form-error" role="alert" style:display=move || if error.get().is_some() { "block" } else { "none" }>
                    {move || error.get().map(|e| e.message().to_string())}
                </div>
                {offer_cascade.then(|| view! {
                    <label class="field" style="flex-direction: row; align-items: center; gap: 8px">
                        <input type="checkbox" style="width: auto" prop:checked=move || cascade.get()
                            on:change=move |ev| cascade.set(event_target_checked(&ev))/>
                        "Also delete everything inside it"
                    </label>
                })}
                <div class="field">
                    <label for="confirm-delete">{label}</label>
                    <input id="confirm-delete" type="text" autocomplete="off" autofocus=true
                        prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
                </div>
                <div class="form-actions">
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="danger" disabled=move || !matches() || pending.get()>
                        {move || if pending.get() { "Deleting…" } else { "Delete" }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}

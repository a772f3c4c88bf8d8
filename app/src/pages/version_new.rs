//! Register a version by hand.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use super::param;
use crate::RegistryVersion;
use crate::api::versions::{VersionForm, create_version};
use crate::components::crumbs::{Crumbs, crumbs_for, explore_href};
use crate::components::form::{FormError, TextArea, TextField, field_error};
use crate::components::toast::use_toasts;

#[component]
pub fn NewVersionPage() -> impl IntoView {
    let catalog = param("catalog");
    let schema = param("schema");
    let model = param("model");
    let source = RwSignal::new(String::new());
    let run_id = RwSignal::new(String::new());
    let run_link = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let inputs = RwSignal::new(String::new());
    let outputs = RwSignal::new(String::new());
    let create = Action::new(move |form: &VersionForm| {
        let form = form.clone();
        let (c, s, m) = (catalog.get_untracked(), schema.get_untracked(), model.get_untracked());
        async move { create_version(c, s, m, form).await }
    });
    let pending = create.pending();
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let toasts = use_toasts();
    let registry = expect_context::<RegistryVersion>();
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(v)) = create.value().get() {
            create.value().set(None);
            toasts.success(format!("Registered version {} of {}.", v.version, v.model_full_name()));
            registry.bump();
            navigate(
                &format!("{}/versions/{}", explore_href(&[&v.catalog_name, &v.schema_name, &v.model_name]), v.version),
                Default::default(),
            );
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(VersionForm {
            source: source.get_untracked(),
            run_id: run_id.get_untracked(),
            run_link: run_link.get_untracked(),
            description: description.get_untracked(),
            signature_inputs: inputs.get_untracked(),
            signature_outputs: outputs.get_untracked(),
        });
    };
    let model_href = move || explore_href(&[&catalog.get(), &schema.get(), &model.get()]);
    view! {
        <Title text="Register version"/>
        <Crumbs parts={
            let mut parts = crumbs_for(&[&catalog.get_untracked(), &schema.get_untracked(), &model.get_untracked()]);
            parts.push(("Register version".into(), String::new()));
            parts
        }/>
        <div class="page-head">
            <div>
                <span class="kind">"Register version"</span>
                <h1>{move || format!("{}.{}.{}", catalog.get(), schema.get(), model.get())}</h1>
            </div>
        </div>
        <form class="card" on:submit=submit novalidate style="max-width: 760px">
            <FormError error/>
            <TextField label="Source" name="source" value=source error=field_error(error, "source") required=true autofocus=true
                placeholder="runs:/<run_id>/model, s3://bucket/path, models:/m-…"
                hint="Where the version's artifacts are stored."/>
            <div class="grid2">
                <TextField label="Run ID" name="run_id" value=run_id error=field_error(error, "run_id") hint="Optional: the training run."/>
                <TextField label="Run link" name="run_link" value=run_link error=field_error(error, "run_link")
                    placeholder="https://…" hint="Optional: a link to the run."/>
            </div>
            <TextArea label="Description" name="description" value=description error=field_error(error, "description")
                placeholder="What changed in this version? (optional)"/>
            <div class="grid2">
                <TextArea label="Signature inputs" name="signature_inputs" value=inputs error=field_error(error, "signature_inputs")
                    placeholder=r#"[{"name": "x", "type": "double"}]"# hint="Optional: MLflow column specs as JSON."/>
                <TextArea label="Signature outputs" name="signature_outputs" value=outputs error=field_error(error, "signature_outputs")
                    placeholder=r#"[{"type": "long"}]"# hint="Optional: MLflow column specs as JSON."/>
            </div>
            <div class="form-actions">
                <a class="button" href=model_href>"Cancel"</a>
                <button type="submit" class="primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Registering…" } else { "Register version" }}
                </button>
            </div>
        </form>
    }
}

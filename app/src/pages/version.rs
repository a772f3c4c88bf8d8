//! A model version: every field, aliases, tags, description, signature, lineage, comments and
//! activity; copy to another model and delete.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;
use quiver::services::registry::Signature;

use super::dialogs::DeleteDialog;
use super::model::{Tabs, current_tab};
use super::{loaded, param};
use crate::RegistryVersion;
use crate::api::tags::{delete_tag, set_tag};
use crate::api::versions::{
    attach_signature, copy_version, delete_version, get_version, update_version, version_checks, version_files,
    version_run,
};
use crate::components::activity::ActivityList;
use crate::components::aliases::{ModelRef, RemoveAliasButton, SetAliasForm};
use crate::components::checks::VersionChecks;
use crate::components::comments::CommentThread;
use crate::components::crumbs::{Crumbs, crumbs_for, explore_href, url_encode};
use crate::components::form::{FormError, TextField, field_error};
use crate::components::markdown::DescriptionEditor;
use crate::components::modal::Modal;
use crate::components::tags::TagEditor;
use crate::components::toast::use_toasts;
use crate::components::training_run::TrainingRunCard;
use crate::components::version_files::ArtifactFiles;
use crate::components::widgets::{CopyButton, StampView, StatusBadge};

const TABS: [(&str, &str); 2] = [("comments", "Comments"), ("activity", "Activity")];

/// The model and the version reference of the URL: `…/iris/versions/3`, or `…/iris@Champion`.
fn target() -> (Memo<String>, Memo<String>) {
    let model_param = param("model");
    let n = param("n");
    let model = Memo::new(move |_| model_param.get().split('@').next().unwrap_or_default().to_string());
    let reference = Memo::new(move |_| {
        let n = n.get();
        if n.is_empty() { model_param.get().split_once('@').map(|(_, a)| a.to_string()).unwrap_or_default() } else { n }
    });
    (model, reference)
}

#[component]
pub fn VersionPage() -> impl IntoView {
    let catalog = param("catalog");
    let schema = param("schema");
    let (model, reference) = target();
    let registry = expect_context::<RegistryVersion>();
    let tab = current_tab(&TABS);
    let version = Resource::new(
        move || (registry.get(), catalog.get(), schema.get(), model.get(), reference.get()),
        |(_, c, s, m, r)| get_version(c, s, m, r),
    );
    // The number the page shows, once known (the URL may name the version by alias).
    let number = RwSignal::new(0i64);
    Effect::new(move || {
        if let Some(Ok(d)) = version.get() {
            number.set(d.item.version);
        }
    });
    let mref = move || ModelRef { catalog: catalog.get(), schema: schema.get(), model: model.get() };
    let base = Memo::new(move |_| {
        let m = mref();
        let r = reference.get();
        if param_is_number(&r) {
            format!("{}/versions/{r}", m.href())
        } else {
            format!("{}@{}", m.href(), url_encode(&r))
        }
    });
    let files = Resource::new(
        move || (registry.get(), catalog.get(), schema.get(), model.get(), reference.get()),
        |(_, c, s, m, r)| version_files(c, s, m, r),
    );
    let checks = Resource::new(
        move || (registry.get(), catalog.get(), schema.get(), model.get(), reference.get()),
        |(_, c, s, m, r)| version_checks(c, s, m, r),
    );
    let full_name = Signal::derive(move || format!("{}.{}.{}", catalog.get(), schema.get(), model.get()));
    let attach = Action::new(move |bundle: &String| {
        let (c, s, m, r) =
            (catalog.get_untracked(), schema.get_untracked(), model.get_untracked(), reference.get_untracked());
        attach_signature(c, s, m, r, bundle.clone())
    });
    let run = Resource::new(
        move || (registry.get(), catalog.get(), schema.get(), model.get(), reference.get()),
        |(_, c, s, m, r)| version_run(c, s, m, r),
    );
    let deleting = RwSignal::new(false);
    let copying = RwSignal::new(false);
    let delete = Action::new(move |_: &bool| {
        let (c, s, m, n) =
            (catalog.get_untracked(), schema.get_untracked(), model.get_untracked(), number.get_untracked());
        async move { delete_version(c, s, m, n).await }
    });
    let save_description = Action::new(move |text: &String| {
        let (c, s, m, n) =
            (catalog.get_untracked(), schema.get_untracked(), model.get_untracked(), number.get_untracked());
        let text = text.clone();
        async move { update_version(c, s, m, n, text).await.map(|_| ()) }
    });
    let add_tag = Action::new(move |(k, v): &(String, String)| {
        let (c, s, m, n) =
            (catalog.get_untracked(), schema.get_untracked(), model.get_untracked(), number.get_untracked());
        let (k, v) = (k.clone(), v.clone());
        async move { set_tag(c, s, m, Some(n), k, v).await }
    });
    let remove_tag = Action::new(move |k: &String| {
        let (c, s, m, n) =
            (catalog.get_untracked(), schema.get_untracked(), model.get_untracked(), number.get_untracked());
        let k = k.clone();
        async move { delete_tag(c, s, m, Some(n), k).await }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (version, run) = (version.await, run.await);
                loaded(version, move |d| {
                    let v = d.item;
                    let full = v.model_full_name();
                    let uri = format!("models:/{full}/{}", v.version);
                    let here = ModelRef { catalog: v.catalog_name.clone(), schema: v.schema_name.clone(), model: v.model_name.clone() };
                    view! {
                        <Title text=format!("{full} v{}", v.version)/>
                        <Crumbs parts={
                            let mut parts = crumbs_for(&[&v.catalog_name, &v.schema_name, &v.model_name]);
                            parts.push((format!("Version {}", v.version), String::new()));
                            parts
                        }/>
                        <div class="page-head">
                            <div class="title">
                                <div>
                                    <span class="kind">"Model version"</span>
                                    <h1 data-testid="version-title">{format!("{} · Version {}", v.model_name, v.version)}</h1>
                                    <span class="aliases" data-testid="version-aliases">
                                        {v.aliases.iter().map(|a| view! {
                                            <span class="chip alias" data-testid="alias-badge">
                                                {format!("@{a}")}
                                                <RemoveAliasButton model=here.clone() alias=a.clone()/>
                                            </span>
                                        }).collect_view()}
                                    </span>
                                </div>
                                <StatusBadge status=v.status/>
                            </div>
                            <div class="actions">
                                <button on:click=move |_| copying.set(true)>"Copy to…"</button>
                                <button on:click=move |_| deleting.set(true)>"Delete"</button>
                            </div>
                        </div>
                        {v.copied_from.clone().map(|from| view! { <p class="lineage" data-testid="copied-from">{from}</p> })}
                        <div class="card">
                            <DescriptionEditor text=v.description.clone() html=d.html save=save_description/>
                            <TagEditor tags=v.tags.clone() set=add_tag remove=remove_tag/>
                            <SetAliasForm model=here.clone() version=v.version/>
                            <dl class="facts">
                                <dt>"Model"</dt>
                                <dd><a href=explore_href(&[&v.catalog_name, &v.schema_name, &v.model_name])>{full.clone()}</a></dd>
                                <dt>"Version"</dt><dd>{v.version}</dd>
                                <dt>"Status"</dt><dd>{v.status.as_str()}</dd>
                                <dt>"Load with"</dt><dd><code>{uri.clone()}</code> " " <CopyButton text=uri.clone()/></dd>
                                <dt>"Created"</dt><dd><StampView stamp=v.created.clone()/></dd>
                                <dt>"Updated"</dt><dd><StampView stamp=v.updated.clone()/></dd>
                            </dl>
                        </div>
                        <h2>"Source and lineage"</h2>
                        <div class="card">
                            <dl class="facts">
                                <dt>"Source"</dt><dd><code data-testid="version-source">{v.source.clone()}</code> " " <CopyButton text=v.source.clone()/></dd>
                                <dt>"Run ID"</dt><dd>{v.run_id.clone().map(|r| view! { <code>{r}</code> }.into_any()).unwrap_or_else(|| view! { <span class="muted">"—"</span> }.into_any())}</dd>
                                // Only a link given at registration; the training run has its own card below.
                                {v.run_link.clone().map(|l| view! {
                                    <dt>"Run link"</dt>
                                    <dd><a href=l.clone() target="_blank" rel="noopener noreferrer nofollow">{l.clone()}</a></dd>
                                })}
                            </dl>
                        </div>
                        <TrainingRunCard run/>
                        <h2>"Schema"</h2>
                        {match v.signature.clone() {
                            None => view! { <p class="muted">"No input or output schema was logged with this model (MLflow's model signature)."</p> }.into_any(),
                            Some(sig) => view! {
                                <div class="grid2">
                                    <SignatureTable title="Inputs" json=sig.inputs.clone()/>
                                    <SignatureTable title="Outputs" json=sig.outputs.clone()/>
                                </div>
                            }.into_any(),
                        }}
                    }
                })
            })}
        </Suspense>
        <div class="tab-area">
        <VersionChecks checks full_name version=Signal::derive(move || reference.get())/>
        <ArtifactFiles files attach/>
        <Tabs tabs=&TABS current=tab base/>
        {move || {
            let m = mref();
            let r = Some(reference.get());
            match tab.get() {
                "activity" => view! { <ActivityList catalog=m.catalog schema=m.schema model=m.model version=r base=format!("{}?tab=activity", base.get())/> }.into_any(),
                _ => view! { <CommentThread catalog=m.catalog schema=m.schema model=m.model version=r base=base.get()/> }.into_any(),
            }
        }}
        </div>
        <Show when=move || deleting.get()>
            <DeleteDialog title=format!("Delete version {}", number.get_untracked())
                warning="Deleting a version removes its aliases, tags and comments and cannot be undone; its number is never reused.".into()
                confirm_text=number.get_untracked().to_string() delete
                after=explore_href(&[&catalog.get_untracked(), &schema.get_untracked(), &model.get_untracked()])
                on_close=Callback::new(move |_| deleting.set(false))/>
        </Show>
        <Show when=move || copying.get()>
            <CopyDialog model=mref() version=number.get_untracked() on_close=Callback::new(move |_| copying.set(false))/>
        </Show>
    }
}

fn param_is_number(r: &str) -> bool {
    !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit())
}

/// Copies the version to another model, e.g. from staging to prod.
#[component]
fn CopyDialog(model: ModelRef, version: i64, on_close: Callback<()>) -> impl IntoView {
    let target = RwSignal::new(String::new());
    let create = RwSignal::new(true);
    let toasts = use_toasts();
    let registry = expect_context::<RegistryVersion>();
    let navigate = use_navigate();
    let from = format!("{}.{}.{} v{version}", model.catalog, model.schema, model.model);
    let copy = Action::new({
        let m = model.clone();
        move |(to, create): &(String, bool)| {
            copy_version(m.catalog.clone(), m.schema.clone(), m.model.clone(), version, to.clone(), *create)
        }
    });
    let error = Signal::derive(move || copy.value().get().and_then(|r| r.err()));
    Effect::new(move || {
        if let Some(Ok(v)) = copy.value().get() {
            copy.value().set(None);
            toasts.success(format!("Copied to {} as version {}.", v.model_full_name(), v.version));
            registry.bump();
            on_close.run(());
            let href = explore_href(&[&v.catalog_name, &v.schema_name, &v.model_name]);
            navigate(&format!("{href}/versions/{}", v.version), Default::default());
        }
    });
    view! {
        <Modal title=format!("Copy {from}") on_close>
            <form on:submit=move |ev| { ev.prevent_default(); copy.dispatch((target.get_untracked(), create.get_untracked())); } novalidate>
                <FormError error/>
                <p class="muted">"The copy becomes the target model's next version, with the same artifacts, run, signature, description and tags, and remembers where it came from."</p>
                <TextField label="Target model" name="target" value=target error=field_error(error, "target")
                    placeholder="prod.ml_team.fraud" hint="Full name: catalog.schema.model" autofocus=true required=true/>
                <label class="check">
                    <input type="checkbox" name="create" prop:checked=move || create.get()
                        on:change=move |ev| create.set(event_target_checked(&ev))/>
                    "Create the model if it does not exist"
                </label>
                <div class="form-actions">
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="primary" disabled=move || copy.pending().get()>
                        {move || if copy.pending().get() { "Copying…" } else { "Copy version" }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}

#[component]
fn SignatureTable(title: &'static str, json: String) -> impl IntoView {
    let body = match Signature::fields(&json) {
        Ok(fields) if fields.is_empty() => view! { <p class="muted">"None"</p> }.into_any(),
        Ok(fields) => view! {
            <table class="list" data-testid=format!("signature-{}", title.to_lowercase())>
                <thead><tr><th>"Name"</th><th>"Type"</th><th>"Required"</th></tr></thead>
                <tbody>
                    {fields.into_iter().map(|f| view! {
                        <tr>
                            <td>{if f.name.is_empty() { "—".to_string() } else { f.name }}</td>
                            <td><code>{f.kind}</code></td>
                            <td>{if f.required { "yes" } else { "no" }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any(),
        Err(e) => view! { <pre class="mono">{json.clone()}</pre><p class="muted">{e}</p> }.into_any(),
    };
    view! {
        <div>
            <h3>{title}</h3>
            {body}
        </div>
    }
}

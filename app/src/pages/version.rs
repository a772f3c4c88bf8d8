//! A model version: every field, its signature, and where it came from.

use leptos::prelude::*;
use leptos_meta::Title;
use quiver::types::Signature;

use super::dialogs::DeleteDialog;
use super::{loaded, param};
use crate::RegistryVersion;
use crate::api::versions::{delete_version, get_version};
use crate::components::crumbs::{Crumbs, crumbs_for, explore_href};
use crate::components::widgets::{CopyButton, StampView, StatusBadge};

#[component]
pub fn VersionPage() -> impl IntoView {
    let catalog = param("catalog");
    let schema = param("schema");
    let model = param("model");
    let number = param("n");
    let registry = expect_context::<RegistryVersion>();
    let version = Resource::new(
        move || (registry.get(), catalog.get(), schema.get(), model.get(), number.get()),
        |(_, c, s, m, n)| async move {
            match n.parse::<i64>() {
                Ok(n) if n >= 1 => get_version(c, s, m, n).await,
                _ => Err(quiver::error::Error::not_found(format!("'{n}' is not a version number.")).into()),
            }
        },
    );
    let deleting = RwSignal::new(false);
    let delete = Action::new(move |_: &bool| {
        let (c, s, m) = (catalog.get_untracked(), schema.get_untracked(), model.get_untracked());
        let n = number.get_untracked().parse().unwrap_or(0);
        async move { delete_version(c, s, m, n).await }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(version.await, move |v| {
                    let full = v.model_full_name();
                    let uri = format!("models:/{full}/{}", v.version);
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
                                </div>
                                <StatusBadge status=v.status/>
                            </div>
                            <div class="actions">
                                <button on:click=move |_| deleting.set(true)>"Delete"</button>
                            </div>
                        </div>
                        <div class="card">
                            <p class="description">{if v.description.is_empty() { "No description.".to_string() } else { v.description.clone() }}</p>
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
                                <dt>"Run"</dt>
                                <dd>{v.run_link.clone().map(|l| view! {
                                    <a href=l.clone() target="_blank" rel="noopener noreferrer nofollow">{l.clone()}</a>
                                }.into_any()).unwrap_or_else(|| view! { <span class="muted">"—"</span> }.into_any())}</dd>
                            </dl>
                        </div>
                        <h2>"Signature"</h2>
                        {match v.signature.clone() {
                            None => view! { <p class="muted">"This version has no signature."</p> }.into_any(),
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
        <Show when=move || deleting.get()>
            <DeleteDialog title=format!("Delete version {}", number.get_untracked())
                warning="Deleting a version cannot be undone; its number is never reused.".into()
                confirm_text=number.get_untracked() delete
                after=explore_href(&[&catalog.get_untracked(), &schema.get_untracked(), &model.get_untracked()])
                on_close=Callback::new(move |_| deleting.set(false))/>
        </Show>
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

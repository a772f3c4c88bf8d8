//! A registered model: full name, description, owner, and its versions.

use leptos::prelude::*;
use leptos_meta::Title;

use super::dialogs::DeleteDialog;
use super::{loaded, page_token, param};
use crate::RegistryVersion;
use crate::api::models::{delete_model, get_model};
use crate::api::versions::list_versions;
use crate::components::crumbs::{Crumbs, crumbs_for, explore_href};
use crate::components::widgets::{CopyButton, EmptyState, Pager, StampView, StatusBadge, Time};

#[component]
pub fn ModelPage() -> impl IntoView {
    let catalog = param("catalog");
    let schema = param("schema");
    let name = param("model");
    let token = page_token();
    let registry = expect_context::<RegistryVersion>();
    // One resource per page (see CatalogPage).
    let data = Resource::new(
        move || (registry.get(), catalog.get(), schema.get(), name.get(), token.get()),
        |(_, c, s, m, t)| async move {
            (get_model(c.clone(), s.clone(), m.clone()).await, list_versions(c, s, m, t, None).await)
        },
    );
    let deleting = RwSignal::new(false);
    let delete = Action::new(move |_: &bool| {
        let (c, s, m) = (catalog.get_untracked(), schema.get_untracked(), name.get_untracked());
        async move { delete_model(c, s, m).await }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (model, versions) = data.await;
                loaded(model, move |m| {
                    let full = m.full_name();
                    let base = explore_href(&[&m.catalog_name, &m.schema_name, &m.name]);
                    let new_version = format!("{base}/versions/new");
                    view! {
                        <Title text=full.clone()/>
                        <Crumbs parts=crumbs_for(&[&m.catalog_name, &m.schema_name, &m.name])/>
                        <div class="page-head">
                            <div class="title">
                                <div>
                                    <span class="kind">"Registered model"</span>
                                    <h1 data-testid="model-name">{full.clone()}</h1>
                                </div>
                                <CopyButton text=full.clone() label="Copy name"/>
                            </div>
                            <div class="actions">
                                <a class="button primary" href=new_version.clone()>"Register version"</a>
                                <button on:click=move |_| deleting.set(true)>"Delete"</button>
                            </div>
                        </div>
                        <div class="card">
                            <p class="description">{if m.description.is_empty() { "No description.".to_string() } else { m.description.clone() }}</p>
                            <dl class="facts">
                                <dt>"Owner"</dt><dd>{m.owner.clone()}</dd>
                                <dt>"Latest version"</dt>
                                <dd>{if m.latest_version > 0 { format!("v{}", m.latest_version) } else { "none yet".into() }}</dd>
                                <dt>"Created"</dt><dd><StampView stamp=m.created.clone()/></dd>
                                <dt>"Updated"</dt><dd><StampView stamp=m.updated.clone()/></dd>
                            </dl>
                        </div>
                        <h2>"Versions"</h2>
                        {loaded(versions, move |page| {
                            if page.items.is_empty() {
                                return view! {
                                    <EmptyState title="No versions yet">
                                        <p>"Register a version by hand, or log one from training code with MLflow."</p>
                                        <a class="button primary" href=new_version.clone()>"Register version"</a>
                                    </EmptyState>
                                }.into_any();
                            }
                            view! {
                                <table class="list" data-testid="versions">
                                    <thead><tr><th>"Version"</th><th>"Status"</th><th>"Created"</th><th>"By"</th><th>"Source"</th></tr></thead>
                                    <tbody>
                                        {page.items.into_iter().map(|v| view! {
                                            <tr>
                                                <td class="num"><a href=format!("{base}/versions/{}", v.version)>{format!("Version {}", v.version)}</a></td>
                                                <td><StatusBadge status=v.status/></td>
                                                <td><Time at=v.created.at/></td>
                                                <td>{v.created.by.clone()}</td>
                                                <td class="mono">{v.source.clone()}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <Pager current=token.get_untracked() next=page.next_page_token base=base.clone()/>
                            }.into_any()
                        })}
                    }
                })
            })}
        </Suspense>
        <Show when=move || deleting.get()>
            <DeleteDialog title=format!("Delete model {}", name.get_untracked())
                warning="Deleting a model deletes all of its versions. This cannot be undone.".into()
                confirm_text=name.get_untracked() delete
                after=explore_href(&[&catalog.get_untracked(), &schema.get_untracked()])
                on_close=Callback::new(move |_| deleting.set(false))/>
        </Show>
    }
}

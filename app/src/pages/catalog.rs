//! A catalog: its description, owner and schemas.

use leptos::prelude::*;
use leptos_meta::Title;
use quiver::services::governance::privileges::{Operation, SecurableType};

use super::dialogs::{CreateDialog, DeleteDialog};
use super::{loaded, page_token, param};
use crate::RegistryVersion;
use crate::api::catalogs::{delete_catalog, get_catalog, update_catalog};
use crate::api::schemas::{create_schema, list_schemas};
use crate::components::approvals::ProtectedAliasesSection;
use crate::components::crumbs::{Crumbs, crumbs_for, explore_href};
use crate::components::markdown::DescriptionEditor;
use crate::components::permissions::{PermissionsPanel, denied, provide_denials};
use crate::components::signing_keys::SigningKeysSection;
use crate::components::widgets::{EmptyState, Pager, StampView, snippet};

#[component]
pub fn CatalogPage() -> impl IntoView {
    let name = param("catalog");
    let token = page_token();
    let registry = expect_context::<RegistryVersion>();
    // The object and its first page of children load together, so the page shows in one piece.
    let data = Resource::new(
        move || (registry.get(), name.get(), token.get()),
        |(_, n, t)| async move { (get_catalog(n.clone()).await, list_schemas(n, t, None).await) },
    );
    let creating = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    provide_denials(SecurableType::Catalog, Signal::derive(move || name.get()));
    let (cannot_create, cannot_delete, cannot_edit) =
        (denied(Operation::CreateSchema), denied(Operation::DeleteCatalog), denied(Operation::UpdateCatalog));
    let create = Action::new(move |(schema, description): &(String, String)| {
        let (schema, description) = (schema.clone(), description.clone());
        let catalog = name.get_untracked();
        async move { create_schema(catalog, schema, description).await.map(|s| explore_href(&[&s.catalog_name, &s.name])) }
    });
    let delete = Action::new(move |cascade: &bool| {
        let (catalog, cascade) = (name.get_untracked(), *cascade);
        async move { delete_catalog(catalog, cascade).await }
    });
    let save_description = Action::new(move |text: &String| {
        let (catalog, text) = (name.get_untracked(), text.clone());
        async move { update_catalog(catalog, text).await.map(|_| ()) }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (catalog, schemas) = data.await;
                loaded(catalog, move |d| {
                    let c = d.item;
                    let base = explore_href(&[&c.name]);
                    view! {
                        <Title text=c.name.clone()/>
                        <Crumbs parts=crumbs_for(&[&c.name])/>
                        <div class="page-head">
                            <div class="title">
                                <div>
                                    <span class="kind">"Catalog"</span>
                                    <h1>{c.name.clone()}</h1>
                                </div>
                            </div>
                            <div class="actions">
                                <button class="primary" on:click=move |_| creating.set(true)
                                    disabled=move || cannot_create.get().is_some() title=move || cannot_create.get().unwrap_or_default()>"New schema"</button>
                                <button on:click=move |_| deleting.set(true)
                                    disabled=move || cannot_delete.get().is_some() title=move || cannot_delete.get().unwrap_or_default()>"Delete"</button>
                            </div>
                        </div>
                        <div class="card">
                            <DescriptionEditor text=c.description.clone() html=d.html save=save_description denied=cannot_edit
                                empty_hint="No description yet. Say what this catalog holds (an environment, a team's models) and who to ask about it."/>
                            <dl class="facts">
                                <dt>"Owner"</dt><dd>{c.owner.clone()}</dd>
                                <dt>"Created"</dt><dd><StampView stamp=c.created.clone()/></dd>
                                <dt>"Updated"</dt><dd><StampView stamp=c.updated.clone()/></dd>
                            </dl>
                        </div>
                        <details class="card" data-testid="permissions-section">
                            <summary>"Permissions"</summary>
                            <PermissionsPanel kind=SecurableType::Catalog full_name=c.name.clone() owner=c.owner.clone()/>
                        </details>
                        <ProtectedAliasesSection kind=SecurableType::Catalog full_name=c.name.clone()/>
                        <SigningKeysSection kind=SecurableType::Catalog full_name=c.name.clone()/>
                        <h2>"Schemas"</h2>
                        {loaded(schemas, move |page| {
                            if page.items.is_empty() {
                                return view! {
                                    <EmptyState title="No schemas in this catalog">
                                        <p>"Schemas group related models, for example by team: " <code>"ml_team"</code> "."</p>
                                        <button class="primary" on:click=move |_| creating.set(true)>"New schema"</button>
                                    </EmptyState>
                                }.into_any();
                            }
                            view! {
                                <table class="list" data-testid="schemas">
                                    <thead><tr><th>"Name"</th><th>"Description"</th><th>"Owner"</th><th>"Created"</th></tr></thead>
                                    <tbody>
                                        {page.items.into_iter().map(|s| view! {
                                            <tr>
                                                <td><a href=explore_href(&[&s.catalog_name, &s.name])>{s.name.clone()}</a></td>
                                                <td class="muted">{snippet(&s.description)}</td>
                                                <td>{s.owner.clone()}</td>
                                                <td><StampView stamp=s.created.clone()/></td>
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
        <Show when=move || creating.get()>
            <CreateDialog title=format!("New schema in {}", name.get_untracked()) noun="Schema" create
                hint="Letters, digits, '_' and '-'; up to 255 characters."
                on_close=Callback::new(move |_| creating.set(false))/>
        </Show>
        <Show when=move || deleting.get()>
            <DeleteDialog title=format!("Delete catalog {}", name.get_untracked())
                warning="Deleting a catalog cannot be undone. A catalog with schemas is only deleted together with everything inside it.".into()
                confirm_text=name.get_untracked() offer_cascade=true delete after="/explore".into()
                on_close=Callback::new(move |_| deleting.set(false))/>
        </Show>
    }
}

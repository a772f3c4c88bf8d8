//! A schema: its models, with a filter box.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use quiver::services::governance::privileges::{Operation, SecurableType};

use super::dialogs::{CreateDialog, DeleteDialog};
use super::{loaded, page_token, param};
use crate::RegistryVersion;
use crate::api::models::{create_model, list_models};
use crate::api::schemas::{delete_schema, get_schema, update_schema};
use crate::components::approvals::ProtectedAliasesSection;
use crate::components::crumbs::{Crumbs, crumbs_for, explore_href, url_encode};
use crate::components::markdown::DescriptionEditor;
use crate::components::permissions::{PermissionsPanel, denied, provide_denials};
use crate::components::signing_keys::SigningKeysSection;
use crate::components::widgets::{EmptyState, Pager, StampView, snippet};

#[component]
pub fn SchemaPage() -> impl IntoView {
    let catalog = param("catalog");
    let name = param("schema");
    let token = page_token();
    let query = use_query_map();
    let filter = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let tag = Memo::new(move |_| query.read().get("tag").unwrap_or_default());
    let registry = expect_context::<RegistryVersion>();
    let schema = Resource::new(move || (registry.get(), catalog.get(), name.get()), |(_, c, s)| get_schema(c, s));
    let models = Resource::new(
        move || (registry.get(), catalog.get(), name.get(), filter.get(), tag.get(), token.get()),
        |(_, c, s, f, g, t)| list_models(c, s, (!f.is_empty()).then_some(f), (!g.is_empty()).then_some(g), t, None),
    );
    let creating = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    provide_denials(SecurableType::Schema, Signal::derive(move || format!("{}.{}", catalog.get(), name.get())));
    let (cannot_create, cannot_delete, cannot_edit) =
        (denied(Operation::CreateModel), denied(Operation::DeleteSchema), denied(Operation::UpdateSchema));
    let create = Action::new(move |(model, description): &(String, String)| {
        let (model, description) = (model.clone(), description.clone());
        let (c, s) = (catalog.get_untracked(), name.get_untracked());
        async move {
            create_model(c, s, model, description)
                .await
                .map(|m| explore_href(&[&m.catalog_name, &m.schema_name, &m.name]))
        }
    });
    let delete = Action::new(move |cascade: &bool| {
        let (c, s, cascade) = (catalog.get_untracked(), name.get_untracked(), *cascade);
        async move { delete_schema(c, s, cascade).await }
    });
    let save_description = Action::new(move |text: &String| {
        let (c, s, text) = (catalog.get_untracked(), name.get_untracked(), text.clone());
        async move { update_schema(c, s, text).await.map(|_| ()) }
    });
    let navigate = use_navigate();
    // The filters live in the URL (`?q=…&tag=…`), so a filtered list can be shared.
    let go = move |q: String, tag: String| {
        let href = filtered_href(explore_href(&[&catalog.get_untracked(), &name.get_untracked()]), &q, &tag);
        navigate(&href, NavigateOptions { replace: true, scroll: false, ..Default::default() });
    };
    let on_filter = {
        let go = go.clone();
        move |ev: leptos::ev::Event| go(event_target_value(&ev), tag.get_untracked())
    };
    let on_tag = move |ev: leptos::ev::Event| go(filter.get_untracked(), event_target_value(&ev));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(schema.await, move |d| { let s = d.item; view! {
                    <Title text=s.full_name()/>
                    <Crumbs parts=crumbs_for(&[&s.catalog_name, &s.name])/>
                    <div class="page-head">
                        <div class="title">
                            <div>
                                <span class="kind">"Schema"</span>
                                <h1>{s.full_name()}</h1>
                            </div>
                        </div>
                        <div class="actions">
                            <button class="primary" on:click=move |_| creating.set(true)
                                disabled=move || cannot_create.get().is_some() title=move || cannot_create.get().unwrap_or_default()>"New model"</button>
                            <button on:click=move |_| deleting.set(true)
                                disabled=move || cannot_delete.get().is_some() title=move || cannot_delete.get().unwrap_or_default()>"Delete"</button>
                        </div>
                    </div>
                    <div class="card">
                        <DescriptionEditor text=s.description.clone() html=d.html save=save_description denied=cannot_edit
                            empty_hint="No description yet. Say which models live here and who owns them."/>
                        <dl class="facts">
                            <dt>"Owner"</dt><dd>{s.owner.clone()}</dd>
                            <dt>"Created"</dt><dd><StampView stamp=s.created.clone()/></dd>
                            <dt>"Updated"</dt><dd><StampView stamp=s.updated.clone()/></dd>
                        </dl>
                    </div>
                    <details class="card" data-testid="permissions-section">
                        <summary>"Permissions"</summary>
                        <PermissionsPanel kind=SecurableType::Schema full_name=s.full_name() owner=s.owner.clone()/>
                    </details>
                    <ProtectedAliasesSection kind=SecurableType::Schema full_name=s.full_name()/>
                    <SigningKeysSection kind=SecurableType::Schema full_name=s.full_name()/>
                }})
            })}
        </Suspense>
        <h2>"Registered models"</h2>
        <form class="toolbar" method="get" role="search" on:submit=|ev| ev.prevent_default()>
            <label for="model-filter" class="muted">"Filter"</label>
            <input id="model-filter" type="search" name="q" placeholder="Model name contains…"
                prop:value=move || filter.get() on:input=on_filter/>
            <label for="tag-filter" class="muted">"Tag"</label>
            <input id="tag-filter" type="search" name="tag" placeholder="key or key=value"
                prop:value=move || tag.get() on:change=on_tag/>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let base = filtered_href(
                    explore_href(&[&catalog.get_untracked(), &name.get_untracked()]),
                    &filter.get_untracked(),
                    &tag.get_untracked(),
                );
                let filtering = !filter.get_untracked().is_empty() || !tag.get_untracked().is_empty();
                loaded(models.await, move |page| {
                    if page.items.is_empty() {
                        return if filtering {
                            view! { <EmptyState title="No model matches the filter"><p>"Try a shorter part of the name, or another tag."</p></EmptyState> }.into_any()
                        } else {
                            view! {
                                <EmptyState title="No models in this schema">
                                    <p>"Create a model here, then register its versions by hand or from training code."</p>
                                    <button class="primary" on:click=move |_| creating.set(true)>"New model"</button>
                                </EmptyState>
                            }.into_any()
                        };
                    }
                    view! {
                        <table class="list" data-testid="models">
                            <thead><tr><th>"Name"</th><th>"Description"</th><th>"Latest version"</th><th>"Aliases"</th><th>"Tags"</th><th>"Updated"</th></tr></thead>
                            <tbody>
                                {page.items.into_iter().map(|m| view! {
                                    <tr>
                                        <td><a href=explore_href(&[&m.catalog_name, &m.schema_name, &m.name])>{m.name.clone()}</a></td>
                                        <td class="muted">{snippet(&m.description)}</td>
                                        <td class="num">{if m.latest_version > 0 { format!("v{}", m.latest_version) } else { "—".into() }}</td>
                                        <td>{m.aliases.iter().map(|a| view! { <span class="badge alias">{format!("@{} → v{}", a.alias, a.version)}</span> " " }).collect_view()}</td>
                                        <td>{m.tags.iter().map(|t| view! { <span class="chip small">{format!("{}={}", t.key, t.value)}</span> " " }).collect_view()}</td>
                                        <td><StampView stamp=m.updated.clone()/></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <Pager current=token.get_untracked() next=page.next_page_token base/>
                    }.into_any()
                })
            })}
        </Suspense>
        <Show when=move || creating.get()>
            <CreateDialog title=format!("New model in {}.{}", catalog.get_untracked(), name.get_untracked()) noun="Model" create
                hint="Letters, digits, '_' and '-'; up to 255 characters."
                on_close=Callback::new(move |_| creating.set(false))/>
        </Show>
        <Show when=move || deleting.get()>
            <DeleteDialog title=format!("Delete schema {}.{}", catalog.get_untracked(), name.get_untracked())
                warning="Deleting a schema cannot be undone. A schema with models is only deleted together with its models and their versions.".into()
                confirm_text=name.get_untracked() offer_cascade=true delete after=explore_href(&[&catalog.get_untracked()])
                on_close=Callback::new(move |_| deleting.set(false))/>
        </Show>
    }
}

/// The schema's URL with its list filters.
fn filtered_href(base: String, q: &str, tag: &str) -> String {
    let params: Vec<String> = [("q", q), ("tag", tag)]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect();
    if params.is_empty() { base } else { format!("{base}?{}", params.join("&")) }
}

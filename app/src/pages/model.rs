//! A registered model: header with aliases, description, tags, and tabs for versions, aliases,
//! activity and comments. `…/iris@Champion` shows the version the alias names.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use quiver::services::governance::privileges::{Operation, SecurableType};

use super::dialogs::DeleteDialog;
use super::version::VersionPage;
use super::{loaded, loaded_part, page_token, param};
use crate::RegistryVersion;
use crate::api::models::{delete_model, get_model, rename_model, update_model};
use crate::api::tags::{delete_tag, set_tag};
use crate::api::versions::list_versions;
use crate::components::activity::ActivityList;
use crate::components::aliases::{AliasBadges, AliasPanel, ModelRef};
use crate::components::approvals::ApprovalsTab;
use crate::components::checks::CheckRollupCell;
use crate::components::comments::CommentThread;
use crate::components::crumbs::{Crumbs, crumbs_for, explore_href};
use crate::components::form::{FormError, TextField, field_error};
use crate::components::markdown::DescriptionEditor;
use crate::components::modal::Modal;
use crate::components::permissions::{PermissionsPanel, denied, provide_denials};
use crate::components::tags::TagEditor;
use crate::components::toast::use_toasts;
use crate::components::widgets::{CopyButton, EmptyState, Pager, StampView, StatusBadge, Time};

#[component]
pub fn ModelPage() -> impl IntoView {
    let name = param("model");
    move || {
        if name.get().contains('@') { view! { <VersionPage/> }.into_any() } else { view! { <ModelView/> }.into_any() }
    }
}

const TABS: [(&str, &str); 6] = [
    ("versions", "Versions"),
    ("aliases", "Aliases"),
    ("approvals", "Approvals"),
    ("activity", "Activity"),
    ("comments", "Comments"),
    ("permissions", "Permissions"),
];

/// The `tab` query parameter (the first tab when absent or unknown).
pub fn current_tab(tabs: &'static [(&'static str, &'static str)]) -> Memo<&'static str> {
    let query = use_query_map();
    Memo::new(move |_| {
        let asked = query.read().get("tab").unwrap_or_default();
        tabs.iter().find(|(k, _)| *k == asked).map_or(tabs[0].0, |(k, _)| *k)
    })
}

/// Tab links that keep the page's path.
#[component]
pub fn Tabs(
    tabs: &'static [(&'static str, &'static str)],
    current: Memo<&'static str>,
    base: Memo<String>,
) -> impl IntoView {
    // The ARIA tabs pattern: one tab stop (the selected tab); arrow keys, Home and End move
    // between tabs, Enter follows the link.
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(tab) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) else { return };
            let Some(list) = tab.parent_element() else { return };
            let tabs = list.children();
            let count = tabs.length();
            let me: &web_sys::Element = tab.as_ref();
            let at = (0..count).find(|i| tabs.item(*i).is_some_and(|t| &t == me)).unwrap_or(0);
            let next = match ev.key().as_str() {
                "ArrowRight" => (at + 1) % count,
                "ArrowLeft" => (at + count - 1) % count,
                "Home" => 0,
                "End" => count - 1,
                _ => return,
            };
            ev.prevent_default();
            if let Some(el) = tabs.item(next).and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = el.focus();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    view! {
        <nav class="tabs" role="tablist" on:keydown=on_key>
            {tabs.iter().map(|(key, label)| {
                let href = move || if *key == tabs[0].0 { base.get() } else { format!("{}?tab={key}", base.get()) };
                view! {
                    <a href=href role="tab" aria-selected=move || (current.get() == *key).to_string()
                        tabindex=move || if current.get() == *key { "0" } else { "-1" }
                        class:active=move || current.get() == *key data-tab=*key>{*label}</a>
                }
            }).collect_view()}
        </nav>
    }
}

#[component]
fn ModelView() -> impl IntoView {
    let catalog = param("catalog");
    let schema = param("schema");
    let name = param("model");
    let registry = expect_context::<RegistryVersion>();
    let tab = current_tab(&TABS);
    let model = Resource::new(
        move || (registry.get(), catalog.get(), schema.get(), name.get()),
        |(_, c, s, m)| get_model(c, s, m),
    );
    let mref = move || ModelRef { catalog: catalog.get(), schema: schema.get(), model: name.get() };
    let base = Memo::new(move |_| explore_href(&[&catalog.get(), &schema.get(), &name.get()]));
    let deleting = RwSignal::new(false);
    let renaming = RwSignal::new(false);
    let full_name = Signal::derive(move || format!("{}.{}.{}", catalog.get(), schema.get(), name.get()));
    provide_denials(SecurableType::Model, full_name);
    let (cannot_rename, cannot_delete) = (denied(Operation::RenameModel), denied(Operation::DeleteModel));
    let (cannot_register, cannot_edit, cannot_tag) =
        (denied(Operation::CreateVersion), denied(Operation::UpdateModel), denied(Operation::SetTag));
    let delete = Action::new(move |_: &bool| {
        let (c, s, m) = (catalog.get_untracked(), schema.get_untracked(), name.get_untracked());
        async move { delete_model(c, s, m).await }
    });
    let save_description = Action::new(move |text: &String| {
        let (c, s, m, text) = (catalog.get_untracked(), schema.get_untracked(), name.get_untracked(), text.clone());
        async move { update_model(c, s, m, text).await.map(|_| ()) }
    });
    let add_tag = Action::new(move |(k, v): &(String, String)| {
        let (c, s, m, k, v) =
            (catalog.get_untracked(), schema.get_untracked(), name.get_untracked(), k.clone(), v.clone());
        async move { set_tag(c, s, m, None, k, v).await }
    });
    let remove_tag = Action::new(move |k: &String| {
        let (c, s, m, k) = (catalog.get_untracked(), schema.get_untracked(), name.get_untracked(), k.clone());
        async move { delete_tag(c, s, m, None, k).await }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(model.await, move |d| {
                    let m = d.item;
                    let full = m.full_name();
                    let href = explore_href(&[&m.catalog_name, &m.schema_name, &m.name]);
                    let here = ModelRef { catalog: m.catalog_name.clone(), schema: m.schema_name.clone(), model: m.name.clone() };
                    view! {
                        <Title text=full.clone()/>
                        <Crumbs parts=crumbs_for(&[&m.catalog_name, &m.schema_name, &m.name])/>
                        <div class="page-head">
                            <div class="title">
                                <div>
                                    <span class="kind">"Registered model"</span>
                                    <h1 data-testid="model-name">{full.clone()}</h1>
                                    <AliasBadges model=here aliases=m.aliases.clone()/>
                                </div>
                                <CopyButton text=full.clone() label="Copy name"/>
                            </div>
                            <div class="actions">
                                {let new_version = format!("{href}/versions/new");
                                move || match cannot_register.get() {
                                    Some(why) => view! { <button class="primary" disabled=true title=why>"Register version"</button> }.into_any(),
                                    None => view! { <a class="button primary" href=new_version.clone()>"Register version"</a> }.into_any(),
                                }}
                                <button on:click=move |_| renaming.set(true) disabled=move || cannot_rename.get().is_some()
                                    title=move || cannot_rename.get().unwrap_or_default()>"Rename"</button>
                                <button on:click=move |_| deleting.set(true) disabled=move || cannot_delete.get().is_some()
                                    title=move || cannot_delete.get().unwrap_or_default()>"Delete"</button>
                            </div>
                        </div>
                        <div class="card">
                            <DescriptionEditor text=m.description.clone() html=d.html save=save_description denied=cannot_edit/>
                            <TagEditor tags=m.tags.clone() set=add_tag remove=remove_tag denied=cannot_tag/>
                            <dl class="facts">
                                <dt>"Owner"</dt><dd>{m.owner.clone()}</dd>
                                <dt>"Latest version"</dt>
                                <dd>{if m.latest_version > 0 { format!("v{}", m.latest_version) } else { "none yet".into() }}</dd>
                                <dt>"Created"</dt><dd><StampView stamp=m.created.clone()/></dd>
                                <dt>"Updated"</dt><dd><StampView stamp=m.updated.clone()/></dd>
                            </dl>
                        </div>
                    }
                })
            })}
        </Suspense>
        <div class="tab-area">
        <Tabs tabs=&TABS current=tab base/>
        {move || {
            let m = mref();
            let (c, s, n) = (m.catalog.clone(), m.schema.clone(), m.model.clone());
            match tab.get() {
                "aliases" => view! { <AliasPanel model=m/> }.into_any(),
                "approvals" => view! { <ApprovalsTab model=m/> }.into_any(),
                "activity" => view! { <ActivityList catalog=c schema=s model=n version=None base=format!("{}?tab=activity", base.get())/> }.into_any(),
                "comments" => view! { <CommentThread catalog=c schema=s model=n version=None base=format!("{}?tab=comments", base.get())/> }.into_any(),
                "permissions" => view! {
                    <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                        {move || Suspend::new(async move {
                            loaded_part(model.await, |d| view! {
                                <PermissionsPanel kind=SecurableType::Model full_name=d.item.full_name() owner=d.item.owner.clone()/>
                            })
                        })}
                    </Suspense>
                }.into_any(),
                _ => view! { <VersionsTab model=m/> }.into_any(),
            }
        }}
        </div>
        <Show when=move || deleting.get()>
            <DeleteDialog title=format!("Delete model {}", name.get_untracked())
                warning="Deleting a model deletes all of its versions, aliases, tags and comments. This cannot be undone.".into()
                confirm_text=name.get_untracked() delete
                after=explore_href(&[&catalog.get_untracked(), &schema.get_untracked()])
                on_close=Callback::new(move |_| deleting.set(false))/>
        </Show>
        <Show when=move || renaming.get()>
            <RenameDialog model=mref() on_close=Callback::new(move |_| renaming.set(false))/>
        </Show>
    }
}

#[component]
fn VersionsTab(model: ModelRef) -> impl IntoView {
    let token = page_token();
    let registry = expect_context::<RegistryVersion>();
    let data = Resource::new(move || (registry.get(), token.get()), {
        let m = model.clone();
        move |(_, t)| list_versions(m.catalog.clone(), m.schema.clone(), m.model.clone(), t, None)
    });
    let base = model.href();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let base = base.clone();
                Suspend::new(async move {
                    loaded_part(data.await, move |data| {
                        let crate::api::versions::VersionsPage { page, checks } = data;
                        if page.items.is_empty() {
                            return view! {
                                <EmptyState title="No versions yet">
                                    <p>"Register a version by hand, or log one from training code with MLflow."</p>
                                    <a class="button primary" href=format!("{base}/versions/new")>"Register version"</a>
                                </EmptyState>
                            }.into_any();
                        }
                        let compare = format!("{base}/compare");
                        view! {
                            <form method="get" action=compare class="versions-form">
                            <table class="list" data-testid="versions">
                                <thead><tr><th><span class="visually-hidden">"Compare"</span></th><th>"Version"</th><th>"Aliases"</th><th>"Status"</th><th>"Checks"</th><th>"Created"</th><th>"By"</th><th>"Source"</th></tr></thead>
                                <tbody>
                                    {page.items.into_iter().map(|v| view! {
                                        <tr>
                                            <td><input type="checkbox" name="v" value=v.version.to_string()
                                                aria-label=format!("Pick version {} to compare", v.version)/></td>
                                            <td class="num"><a href=format!("{base}/versions/{}", v.version)>{format!("Version {}", v.version)}</a></td>
                                            <td>{v.aliases.iter().map(|a| view! { <span class="badge alias">{format!("@{a}")}</span> " " }).collect_view()}</td>
                                            <td><StatusBadge status=v.status/></td>
                                            <td><CheckRollupCell
                                                rollup=checks.iter().find(|(n, _)| *n == v.version).map(|(_, r)| *r)
                                                href=format!("{base}/versions/{}", v.version)/></td>
                                            <td><Time at=v.created.at/></td>
                                            <td>{v.created.by.clone()}</td>
                                            <td class="mono">{v.source.clone()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <div class="actions"><button type="submit" data-testid="compare-picked">"Compare two picked versions"</button></div>
                            </form>
                            <Pager current=token.get_untracked() next=page.next_page_token base=base.clone()/>
                        }.into_any()
                    })
                })
            }}
        </Suspense>
    }
}

#[component]
fn RenameDialog(model: ModelRef, on_close: Callback<()>) -> impl IntoView {
    let new_name = RwSignal::new(model.model.clone());
    let toasts = use_toasts();
    let registry = expect_context::<RegistryVersion>();
    let navigate = use_navigate();
    let rename = Action::new({
        let m = model.clone();
        move |to: &String| rename_model(m.catalog.clone(), m.schema.clone(), m.model.clone(), to.clone())
    });
    let error = Signal::derive(move || rename.value().get().and_then(|r| r.err()));
    Effect::new(move || {
        if let Some(Ok(m)) = rename.value().get() {
            rename.value().set(None);
            toasts.success(format!("Renamed to {}.", m.full_name()));
            registry.bump();
            on_close.run(());
            navigate(&explore_href(&[&m.catalog_name, &m.schema_name, &m.name]), Default::default());
        }
    });
    view! {
        <Modal title=format!("Rename {}", model.model) on_close>
            <form on:submit=move |ev| { ev.prevent_default(); rename.dispatch(new_name.get_untracked().trim().to_string()); } novalidate>
                <FormError error/>
                <p class="muted">"Versions, aliases, tags, comments and history stay with the model. Code that loads it by its old name must be updated."</p>
                <TextField label="New name" name="name" value=new_name error=field_error(error, "name")
                    hint="Letters, digits, '_' and '-'; up to 255 characters." autofocus=true required=true/>
                <div class="form-actions">
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="primary" disabled=move || rename.pending().get()>
                        {move || if rename.pending().get() { "Renaming…" } else { "Rename" }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}

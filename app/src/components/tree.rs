//! The catalog tree on the left: catalogs → schemas → models, each level loaded when opened.
//! The path to the current page starts open and its item is highlighted.

use leptos::prelude::*;
use leptos_router::hooks::use_location;
use quiver::services::paging::Page;
use quiver::services::registry::{RegisteredModel, Schema};

use super::crumbs::explore_href;
use crate::RegistryVersion;
use crate::api::catalogs::list_catalogs;
use crate::api::models::list_models;
use crate::api::schemas::list_schemas;
use crate::error::AppResult;

type SchemasResource = Resource<AppResult<Page<Schema>>>;
type ModelsResource = Resource<AppResult<Page<RegisteredModel>>>;

fn schemas_resource(catalog: String) -> SchemasResource {
    let registry = expect_context::<RegistryVersion>();
    Resource::new(move || registry.get(), move |_| list_schemas(catalog.clone(), None, Some(TREE_PAGE)))
}

fn models_resource(catalog: String, schema: String) -> ModelsResource {
    let registry = expect_context::<RegistryVersion>();
    Resource::new(
        move || registry.get(),
        move |_| list_models(catalog.clone(), schema.clone(), None, None, None, Some(TREE_PAGE)),
    )
}

/// How many children a tree level shows; the rest are a click away on the parent's page.
const TREE_PAGE: u32 = 200;

/// Folded names of the catalog, schema and model of the current explorer URL (`iris@Champion`
/// is model `iris`).
fn current_path(pathname: &str) -> Vec<String> {
    pathname
        .strip_prefix("/explore/")
        .map(|rest| {
            rest.split('/')
                .take(3)
                .filter(|s| !s.is_empty())
                .map(|s| s.split('@').next().unwrap_or(s).to_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

#[component]
pub fn Tree() -> impl IntoView {
    let location = use_location();
    let current = Memo::new(move |_| current_path(&location.pathname.get()));
    let registry = expect_context::<RegistryVersion>();
    let catalogs = Resource::new(move || registry.get(), |_| list_catalogs(None, Some(TREE_PAGE)));
    view! {
        <h3 id="tree-label">"Catalogs"</h3>
        <Suspense fallback=|| view! { <div class="loading">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match catalogs.await {
                    Ok(page) if page.items.is_empty() => view! {
                        <div class="empty">"No catalogs yet."</div>
                    }.into_any(),
                    Ok(page) => {
                        let more = page.next_page_token.is_some();
                        view! {
                            <ul class="tree" role="tree" aria-labelledby="tree-label">
                                {page.items.into_iter().map(|c| view! { <CatalogNode name=c.name current/> }).collect_view()}
                            </ul>
                            {more.then(|| view! { <a class="empty" href="/explore">"All catalogs…"</a> })}
                        }.into_any()
                    }
                    Err(e) => view! { <div class="empty">{e.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One row of the tree with its toggle and link.
#[component]
fn Row(
    href: String,
    label: String,
    icon: &'static str,
    open: Option<RwSignal<bool>>,
    #[prop(into)] is_current: Signal<bool>,
) -> impl IntoView {
    let toggle = open.map(|open| {
        let aria = format!("Expand {label}");
        view! {
            <button
                type="button"
                class="toggle"
                aria-label=aria
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {move || if open.get() { "▾" } else { "▸" }}
            </button>
        }
    });
    view! {
        <div class="row" class:current=move || is_current.get()>
            {toggle}
            {open.is_none().then(|| view! { <span class="leaf-pad"></span> })}
            <span class="icon" aria-hidden="true">{icon}</span>
            <a href=href aria-current=move || is_current.get().then_some("page")>{label}</a>
        </div>
    }
}

/// Opens `open` whenever the current page lies inside this node.
fn follow_current(open: RwSignal<bool>, current: Memo<Vec<String>>, prefix: Vec<String>) {
    Effect::new(move || {
        let cur = current.get();
        if cur.len() >= prefix.len() && cur[..prefix.len()] == prefix[..] {
            open.set(true);
        }
    });
}

fn starts_open(current: Memo<Vec<String>>, prefix: &[String]) -> bool {
    let cur = current.get_untracked();
    cur.len() >= prefix.len() && cur[..prefix.len()] == *prefix
}

#[component]
fn CatalogNode(name: String, current: Memo<Vec<String>>) -> impl IntoView {
    let prefix = vec![name.to_lowercase()];
    let open = RwSignal::new(starts_open(current, &prefix));
    follow_current(open, current, prefix.clone());
    let is_current = Signal::derive({
        let prefix = prefix.clone();
        move || current.get() == prefix
    });
    let href = explore_href(&[&name]);
    view! {
        <li role="treeitem" aria-expanded=move || open.get().to_string()>
            <Row href label=name.clone() icon="▤" open=Some(open) is_current/>
            <Show when=move || open.get()>
                <SchemaList catalog=name.clone() current/>
            </Show>
        </li>
    }
}

#[component]
fn SchemaList(catalog: String, current: Memo<Vec<String>>) -> impl IntoView {
    let schemas = schemas_resource(catalog.clone());
    view! {
        <Suspense fallback=|| view! { <div class="loading">"Loading…"</div> }>
            {move || {
                let catalog = catalog.clone();
                Suspend::new(async move {
                    match schemas.await {
                        Ok(page) if page.items.is_empty() => view! { <div class="empty">"No schemas"</div> }.into_any(),
                        Ok(page) => {
                            let more = page.next_page_token.is_some().then(|| {
                                view! { <a class="empty" href=explore_href(&[&catalog])>"All schemas…"</a> }
                            });
                            view! {
                                <ul role="group">
                                    {page.items.into_iter().map(|s| view! {
                                        <SchemaNode catalog=catalog.clone() name=s.name current/>
                                    }).collect_view()}
                                </ul>
                                {more}
                            }.into_any()
                        }
                        Err(e) => view! { <div class="empty">{e.to_string()}</div> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn SchemaNode(catalog: String, name: String, current: Memo<Vec<String>>) -> impl IntoView {
    let prefix = vec![catalog.to_lowercase(), name.to_lowercase()];
    let open = RwSignal::new(starts_open(current, &prefix));
    follow_current(open, current, prefix.clone());
    let is_current = Signal::derive({
        let prefix = prefix.clone();
        move || current.get() == prefix
    });
    let href = explore_href(&[&catalog, &name]);
    view! {
        <li role="treeitem" aria-expanded=move || open.get().to_string()>
            <Row href label=name.clone() icon="◫" open=Some(open) is_current/>
            <Show when=move || open.get()>
                <ModelList catalog=catalog.clone() schema=name.clone() current/>
            </Show>
        </li>
    }
}

#[component]
fn ModelList(catalog: String, schema: String, current: Memo<Vec<String>>) -> impl IntoView {
    let models = models_resource(catalog.clone(), schema.clone());
    view! {
        <Suspense fallback=|| view! { <div class="loading">"Loading…"</div> }>
            {move || {
                let (catalog, schema) = (catalog.clone(), schema.clone());
                Suspend::new(async move {
                    match models.await {
                        Ok(page) if page.items.is_empty() => view! { <div class="empty">"No models"</div> }.into_any(),
                        Ok(page) => {
                            let more = page.next_page_token.is_some().then(|| {
                                view! { <a class="empty" href=explore_href(&[&catalog, &schema])>"All models…"</a> }
                            });
                            view! {
                                <ul role="group">
                                    {page.items.into_iter().map(|m| {
                                        let path = vec![catalog.to_lowercase(), schema.to_lowercase(), m.name.to_lowercase()];
                                        let is_current = Signal::derive(move || current.get() == path);
                                        view! {
                                            <li role="treeitem">
                                                <Row href=explore_href(&[&catalog, &schema, &m.name]) label=m.name.clone()
                                                    icon="◆" open=None is_current/>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                                {more}
                            }.into_any()
                        }
                        Err(e) => view! { <div class="empty">{e.to_string()}</div> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::current_path;

    #[test]
    fn current_path_reads_explorer_urls() {
        assert_eq!(current_path("/explore/Prod/ML/fraud/versions/3"), ["prod", "ml", "fraud"]);
        assert_eq!(current_path("/explore/prod"), ["prod"]);
        assert!(current_path("/settings/tokens").is_empty());
    }
}

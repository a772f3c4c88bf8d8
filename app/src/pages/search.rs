//! Search results: models across catalogs by name, tag (`key=value`) and alias (`@Champion`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{loaded, page_token};
use crate::api::models::search_models;
use crate::components::crumbs::{explore_href, url_encode};
use crate::components::widgets::{EmptyState, Pager, snippet};

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let token = page_token();
    let results = Resource::new(
        move || (q.get(), token.get()),
        |(q, t)| async move { if q.trim().is_empty() { None } else { Some(search_models(q, t).await) } },
    );
    view! {
        <Title text="Search"/>
        <div class="page-head">
            <div class="title">
                <div>
                    <span class="kind">"Search"</span>
                    <h1>{move || if q.get().trim().is_empty() { "Search models".to_string() } else { format!("Models matching “{}”", q.get()) }}</h1>
                </div>
            </div>
        </div>
        <p class="muted">"Combine terms: part of a name (" <code>"fraud"</code> "), a tag (" <code>"team=risk"</code> "), an alias (" <code>"@Champion"</code> ")."</p>
        <Suspense fallback=|| view! { <p class="muted">"Searching…"</p> }>
            {move || Suspend::new(async move {
                let base = format!("/search?q={}", url_encode(&q.get_untracked()));
                match results.await {
                    None => view! { <EmptyState title="Type in the search box above"><p>"Results come from every catalog you can see."</p></EmptyState> }.into_any(),
                    Some(r) => loaded(r, move |page| {
                        if page.items.is_empty() {
                            return view! { <EmptyState title="No model matches"><p>"Try part of the name, or check the tag and alias spelling."</p></EmptyState> }.into_any();
                        }
                        view! {
                            <ul class="results" data-testid="search-results">
                                {page.items.into_iter().map(|m| {
                                    let href = explore_href(&[&m.catalog_name, &m.schema_name, &m.name]);
                                    view! {
                                        <li data-testid="search-result">
                                            <a class="result-name" href=href>{m.full_name()}</a>
                                            <span class="muted">{if m.latest_version > 0 { format!(" · latest v{}", m.latest_version) } else { " · no versions".into() }}</span>
                                            {m.aliases.iter().map(|a| view! { " " <span class="badge alias">{format!("@{} → v{}", a.alias, a.version)}</span> }).collect_view()}
                                            {m.tags.iter().map(|t| view! { " " <span class="chip small">{format!("{}={}", t.key, t.value)}</span> }).collect_view()}
                                            <p class="muted">{snippet(&m.description)}</p>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            <Pager current=token.get_untracked() next=page.next_page_token base/>
                        }.into_any()
                    }),
                }
            })}
        </Suspense>
    }
}

//! The explorer's start: every catalog.

use leptos::prelude::*;
use leptos_meta::Title;

use super::dialogs::CreateDialog;
use super::{loaded, page_token};
use crate::RegistryVersion;
use crate::api::catalogs::{create_catalog, list_catalogs};
use crate::components::crumbs::explore_href;
use crate::components::widgets::{EmptyState, Pager, StampView, snippet};

#[component]
pub fn CatalogsPage() -> impl IntoView {
    let registry = expect_context::<RegistryVersion>();
    let token = page_token();
    let catalogs = Resource::new(move || (registry.get(), token.get()), |(_, t)| list_catalogs(t, None));
    let creating = RwSignal::new(false);
    let create = Action::new(|(name, description): &(String, String)| {
        let (name, description) = (name.clone(), description.clone());
        async move { create_catalog(name, description).await.map(|c| explore_href(&[&c.name])) }
    });
    view! {
        <Title text="Catalogs"/>
        <div class="page-head">
            <div class="title">
                <div>
                    <span class="kind">"Explore"</span>
                    <h1>"Catalogs"</h1>
                </div>
            </div>
            <div class="actions">
                <button class="primary" on:click=move |_| creating.set(true)>"New catalog"</button>
            </div>
        </div>
        <p class="muted">"Catalogs hold schemas, schemas hold registered models. A catalog usually stands for an environment such as dev, staging or prod."</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let current = token.get_untracked();
                loaded(catalogs.await, move |page| {
                    if page.items.is_empty() {
                        return view! {
                            <EmptyState title="No catalogs yet">
                                <p>"Create a catalog to start organising models, e.g. " <code>"prod"</code> "."</p>
                                <button class="primary" on:click=move |_| creating.set(true)>"New catalog"</button>
                            </EmptyState>
                        }.into_any();
                    }
                    view! {
                        <table class="list" data-testid="catalogs">
                            <thead><tr><th>"Name"</th><th>"Description"</th><th>"Owner"</th><th>"Created"</th></tr></thead>
                            <tbody>
                                {page.items.into_iter().map(|c| view! {
                                    <tr>
                                        <td><a href=explore_href(&[&c.name])>{c.name.clone()}</a></td>
                                        <td class="muted">{snippet(&c.description)}</td>
                                        <td>{c.owner.clone()}</td>
                                        <td><StampView stamp=c.created.clone()/></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <Pager current next=page.next_page_token base="/explore".to_string()/>
                    }.into_any()
                })
            })}
        </Suspense>
        <Show when=move || creating.get()>
            <CreateDialog title="New catalog".into() noun="Catalog" create
                hint="Letters, digits, '_' and '-'; up to 255 characters."
                on_close=Callback::new(move |_| creating.set(false))/>
        </Show>
    }
}

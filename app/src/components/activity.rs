//! The Activity tab: every change to a model or a version, newest first.

use leptos::prelude::*;

use crate::RegistryVersion;
use crate::api::comments::list_activity;
use crate::components::widgets::{EmptyState, Pager, Time};
use crate::pages::{loaded_part, page_token};

#[component]
pub fn ActivityList(
    catalog: String,
    schema: String,
    model: String,
    version: Option<String>,
    /// The tab's URL, for the pager.
    base: String,
) -> impl IntoView {
    let token = page_token();
    let registry = expect_context::<RegistryVersion>();
    let (c, s, m) = (catalog, schema, model);
    let entries = Resource::new(
        move || (registry.get(), token.get()),
        move |(_, t)| list_activity(c.clone(), s.clone(), m.clone(), version.clone(), t),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let base = base.clone();
                Suspend::new(async move {
                    loaded_part(entries.await, move |page| {
                        if page.items.is_empty() {
                            return view! { <EmptyState title="No activity yet"><p>"Changes appear here as they happen."</p></EmptyState> }.into_any();
                        }
                        view! {
                            <ol class="activity" data-testid="activity">
                                {page.items.into_iter().map(|e| {
                                    let detail = (e.before.is_some() || e.after.is_some())
                                        && e.action.ends_with("description_updated");
                                    view! {
                                        <li data-action=e.action.clone()>
                                            <div class="activity-line">
                                                <strong>{e.by.clone()}</strong> " " {e.summary()}
                                                <span class="muted">" · " <Time at=e.at/> " · " {e.source.clone()}</span>
                                            </div>
                                            {detail.then(|| view! {
                                                <details>
                                                    <summary>"Before and after"</summary>
                                                    <div class="diff">
                                                        <pre class="before">{e.before.clone().unwrap_or_default()}</pre>
                                                        <pre class="after">{e.after.clone().unwrap_or_default()}</pre>
                                                    </div>
                                                </details>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                            <Pager current=token.get_untracked() next=page.next_page_token base/>
                        }.into_any()
                    })
                })
            }}
        </Suspense>
    }
}

//! MLflow experiments, and one experiment's runs: filtered and ordered as MLflow's search_runs
//! does, newest first by default. MLflow's "View experiment at
//! …/#/experiments/<n>" links lead to the latter.

use chrono::DateTime;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use quiver::services::registry::Tag;

use super::{loaded, page_token, param};
use crate::api::runs::{experiment_runs, list_experiments};
use crate::components::experiment_permissions::ExperimentPermissionsSection;
use crate::components::markdown::Markdown;
use crate::components::runs_table::{RunFilter, RunsTable, RunsView};
use crate::components::widgets::{EmptyState, Pager, Time};

#[component]
pub fn ExperimentPage() -> impl IntoView {
    let id = param("id");
    let token = page_token();
    let query = use_query_map();
    let filter = Memo::new(move |_| query.read().get("filter").unwrap_or_default());
    let order = Memo::new(move |_| query.read().get("order").unwrap_or_default());
    let runs = Resource::new(
        move || (id.get(), filter.get(), order.get(), token.get()),
        |(id, f, o, t)| experiment_runs(id, f, o, t),
    );
    let runs_resource = runs;
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let current = token.get_untracked();
                let (filter, order) = (filter.get_untracked(), order.get_untracked());
                loaded(runs.await, move |page_view| {
                    let (experiment, description) = (page_view.experiment.item, page_view.experiment.html);
                    let (runs, access) = (page_view.runs, page_view.access);
                    let base = format!("/experiments/{}", experiment.experiment_id);
                    let created = DateTime::from_timestamp_millis(experiment.creation_time);
                    let example = format!("mlflow.set_experiment(\"{}\")", experiment.name);
                    let view = RunsView { base, filter, order };
                    let searching = !view.filter.trim().is_empty();
                    let deleted = experiment.lifecycle_stage == "deleted";
                    let restore = format!("MlflowClient().restore_experiment(\"{}\")", experiment.experiment_id);
                    let (error, list) = match runs {
                        Ok(page) => (None, Some(page)),
                        Err(e) => (Some(e.message().to_string()), None),
                    };
                    let shown = view.clone();
                    let list = list.map(move |page| {
                        let view = shown;
                        if deleted && page.items.is_empty() && current.is_none() {
                            // Its runs were deleted with it: say so rather than "No runs yet".
                            view! {
                                <EmptyState title="This experiment is deleted">
                                    <p>"Its runs come back when it is restored: " <code>{restore}</code> "."</p>
                                </EmptyState>
                            }.into_any()
                        } else if page.items.is_empty() && current.is_none() && !searching {
                            view! {
                                <EmptyState title="No runs yet">
                                    <p>"Training code logs runs here after " <code>{example}</code> " and " <code>"mlflow.start_run()"</code> "."</p>
                                </EmptyState>
                            }.into_any()
                        } else if page.items.is_empty() && current.is_none() {
                            view! {
                                <EmptyState title="No run matches this filter">
                                    <p>"Runs without a metric or param named in the filter never match it. " <a href=view.href_unfiltered()>"Show all runs"</a></p>
                                </EmptyState>
                            }.into_any()
                        } else {
                            view! {
                                <RunsTable runs=page.items view=view.clone()/>
                                <Pager current=current.clone() next=page.next_page_token base=view.href()/>
                            }.into_any()
                        }
                    });
                    view! {
                        <Title text=format!("Experiment {}", experiment.name)/>
                        <div class="page-head">
                            <div class="title">
                                <div>
                                    <span class="kind">"Experiment"</span>
                                    <h1 data-testid="experiment-title">{experiment.name.clone()}</h1>
                                    {deleted.then(|| view! { <span class="badge" data-testid="experiment-deleted">"Deleted"</span> " " })}
                                    <span class="muted">
                                        {format!("id {} · created ", experiment.experiment_id)}
                                        {created.map(|at| view! { <Time at/> })}
                                        " · artifacts at " <code>{experiment.artifact_location.clone()}</code>
                                    </span>
                                </div>
                            </div>
                        </div>
                        {(!description.is_empty()).then(|| view! {
                            <div class="card" data-testid="experiment-description"><Markdown html=description/></div>
                        })}
                        <ExperimentTags tags=experiment.tags/>
                        <h2>"Runs"</h2>
                        <RunFilter view=view.clone() error/>
                        {list}
                        <ExperimentPermissionsSection experiment_id=experiment.experiment_id.clone() access
                            refresh=move || runs_resource.refetch()/>
                    }
                })
            })}
        </Suspense>
    }
}

/// The experiment's tags as chips, MLflow's own (`mlflow.*`: the description, the source) left
/// out. Training code sets them (`mlflow.set_experiment_tag`); the page only shows them.
#[component]
fn ExperimentTags(tags: Vec<Tag>) -> impl IntoView {
    let tags: Vec<Tag> = tags.into_iter().filter(|t| !t.key.starts_with("mlflow.")).collect();
    (!tags.is_empty()).then(|| {
        view! {
            <div class="tags" data-testid="experiment-tags">
                {tags.into_iter().map(|t| view! {
                    <span class="chip" data-testid="tag">
                        <span class="chip-key">{t.key}</span>
                        {(!t.value.is_empty()).then(|| view! { <span class="chip-value">{t.value}</span> })}
                    </span>
                }).collect_view()}
            </div>
        }
    })
}

/// Every experiment the caller may read, newest first.
#[component]
pub fn ExperimentsPage() -> impl IntoView {
    let token = page_token();
    let experiments = Resource::new(move || token.get(), list_experiments);
    view! {
        <Title text="Experiments"/>
        <div class="page-head">
            <div class="title">
                <div>
                    <span class="kind">"Tracking"</span>
                    <h1>"Experiments"</h1>
                </div>
            </div>
        </div>
        <p class="muted">"Training code logs runs into experiments through the MLflow client; a run's page lists the model versions registered from it."</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let current = token.get_untracked();
                loaded(experiments.await, move |page| if page.items.is_empty() && current.is_none() {
                    view! {
                        <EmptyState title="No experiments to show">
                            <p>"Training code creates one with " <code>"mlflow.set_experiment(\"churn\")"</code>
                                ". Experiments others own appear here once they share them with you."</p>
                        </EmptyState>
                    }.into_any()
                } else { view! {
                    <table class="list" data-testid="experiments">
                        <thead><tr><th>"Name"</th><th class="num">"ID"</th><th>"Created"</th><th>"Artifacts"</th></tr></thead>
                        <tbody>
                            {page.items.into_iter().map(|e| view! {
                                <tr>
                                    <td><a href=format!("/experiments/{}", e.experiment_id)>{e.name.clone()}</a></td>
                                    <td class="num">{e.experiment_id.clone()}</td>
                                    <td>{DateTime::from_timestamp_millis(e.creation_time).map(|at| view! { <Time at/> })}</td>
                                    <td><code>{e.artifact_location.clone()}</code></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <Pager current=current.clone() next=page.next_page_token base="/experiments".to_string()/>
                }.into_any() })
            })}
        </Suspense>
    }
}

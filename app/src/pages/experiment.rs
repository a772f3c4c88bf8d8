//! MLflow experiments, and one experiment's runs, newest first. MLflow's "View experiment at
//! …/#/experiments/<n>" links lead to the latter.

use chrono::DateTime;
use leptos::prelude::*;
use leptos_meta::Title;

use super::{loaded, page_token, param};
use crate::api::runs::{experiment_runs, list_experiments};
use crate::components::training_run::{duration, run_badge, run_href};
use crate::components::widgets::{EmptyState, Pager, Time};

#[component]
pub fn ExperimentPage() -> impl IntoView {
    let id = param("id");
    let token = page_token();
    let runs = Resource::new(move || (id.get(), token.get()), |(id, t)| experiment_runs(id, t));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let current = token.get_untracked();
                loaded(runs.await, move |(experiment, page)| {
                    let base = format!("/experiments/{}", experiment.experiment_id);
                    let created = DateTime::from_timestamp_millis(experiment.creation_time);
                    let example = format!("mlflow.set_experiment(\"{}\")", experiment.name);
                    view! {
                        <Title text=format!("Experiment {}", experiment.name)/>
                        <div class="page-head">
                            <div class="title">
                                <div>
                                    <span class="kind">"Experiment"</span>
                                    <h1 data-testid="experiment-title">{experiment.name.clone()}</h1>
                                    <span class="muted">
                                        {format!("id {} · created ", experiment.experiment_id)}
                                        {created.map(|at| view! { <Time at/> })}
                                        " · artifacts at " <code>{experiment.artifact_location.clone()}</code>
                                    </span>
                                </div>
                            </div>
                        </div>
                        <h2>"Runs"</h2>
                        {if page.items.is_empty() && current.is_none() {
                            view! {
                                <EmptyState title="No runs yet">
                                    <p>"Training code logs runs here after " <code>{example}</code> " and " <code>"mlflow.start_run()"</code> "."</p>
                                </EmptyState>
                            }.into_any()
                        } else {
                            view! {
                                <table class="list" data-testid="experiment-runs">
                                    <thead><tr><th>"Run"</th><th>"Status"</th><th>"Started"</th><th>"Duration"</th><th>"By"</th></tr></thead>
                                    <tbody>
                                        {page.items.into_iter().map(|r| view! {
                                            <tr>
                                                <td><a href=run_href(&r.run_id)>{r.run_name.clone()}</a></td>
                                                <td><span class=run_badge(&r.status)>{r.status.clone()}</span></td>
                                                <td>{DateTime::from_timestamp_millis(r.start_time).map(|at| view! { <Time at/> })}</td>
                                                <td>{r.end_time.map(|end| duration(end - r.start_time)).unwrap_or_else(|| "still running".into())}</td>
                                                <td>{r.user_id.clone()}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <Pager current=current.clone() next=page.next_page_token base/>
                            }.into_any()
                        }}
                    }
                })
            })}
        </Suspense>
    }
}

/// Every experiment, newest first.
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
                loaded(experiments.await, move |page| view! {
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
                })
            })}
        </Suspense>
    }
}

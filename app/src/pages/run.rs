//! A training run (MLflow tracking): what it logged and the model versions registered from it.
//! MLflow's "View run at …/#/experiments/<n>/runs/<id>" links lead here.

use leptos::prelude::*;
use leptos_meta::Title;
use quiver::services::registry::ModelVersion;

use super::{loaded, param};
use crate::api::runs::get_run_details;
use crate::components::crumbs::explore_href;
use crate::components::datasets::RunDatasets;
use crate::components::logged_models::RunLoggedModels;
use crate::components::metric_chart::MetricCharts;
use crate::components::training_run::{ParamTable, RunFacts};
use crate::components::widgets::{CopyButton, StampView};

#[component]
pub fn RunPage() -> impl IntoView {
    let run_id = param("run_id");
    let details = Resource::new(move || run_id.get(), get_run_details);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(details.await, |d| {
                    let run = d.training.run.clone();
                    let tags: Vec<_> = run.tags.iter().filter(|t| !t.key.starts_with("mlflow.")).cloned().collect();
                    let example = format!("mlflow.register_model(\"runs:/{}/model\", \"prod.ml_team.my_model\")", run.run_id);
                    view! {
                        <Title text=format!("Run {}", run.run_name)/>
                        <div class="page-head">
                            <div class="title">
                                <div>
                                    <span class="kind">"Training run"</span>
                                    <h1 data-testid="run-title">{run.run_name.clone()}</h1>
                                    <span class="muted mono">{run.run_id.clone()}</span> " " <CopyButton text=run.run_id.clone()/>
                                </div>
                            </div>
                        </div>
                        <div class="card">
                            <RunFacts t=d.training/>
                        </div>
                        <MetricCharts histories=d.histories/>
                        <h2>"Datasets"</h2>
                        <RunDatasets inputs=run.inputs.clone()/>
                        <h2>"Logged models"</h2>
                        <RunLoggedModels models=d.models/>
                        <h2>"Tags"</h2>
                        <ParamTable params=tags testid="run-tags" empty="No tags besides MLflow's own."/>
                        <h2>"Registered versions"</h2>
                        {if d.versions.is_empty() {
                            view! {
                                <p class="muted" data-testid="run-versions">
                                    "No model version you can see was registered from this run. Register one with "
                                    <code>{example}</code> "."
                                </p>
                            }.into_any()
                        } else {
                            view! { <RegisteredVersions versions=d.versions/> }.into_any()
                        }}
                        <p class="muted small">"Artifacts: " <code>{run.artifact_uri}</code></p>
                    }
                })
            })}
        </Suspense>
    }
}

#[component]
fn RegisteredVersions(versions: Vec<ModelVersion>) -> impl IntoView {
    view! {
        <table class="list" data-testid="run-versions">
            <thead><tr><th>"Model"</th><th>"Version"</th><th>"Aliases"</th><th>"Registered"</th></tr></thead>
            <tbody>
                {versions.into_iter().map(|v| {
                    let model = explore_href(&[&v.catalog_name, &v.schema_name, &v.model_name]);
                    let version = format!("{model}/versions/{}", v.version);
                    view! {
                        <tr>
                            <td><a href=model>{v.model_full_name()}</a></td>
                            <td><a href=version>{format!("Version {}", v.version)}</a></td>
                            <td>{v.aliases.iter().map(|a| view! { <span class="chip alias">{format!("@{a}")}</span> " " }).collect_view()}</td>
                            <td><StampView stamp=v.created.clone()/></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

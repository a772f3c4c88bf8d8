//! The models a run logged (MLflow 3's logged models): name, id, status, params and the latest
//! value of each metric measured on them, and how to register one.

use leptos::prelude::*;
use quiver::services::tracking::LoggedModel;

use crate::components::training_run::metric_value;
use crate::components::widgets::CopyButton;

#[component]
pub fn RunLoggedModels(models: Vec<LoggedModel>) -> impl IntoView {
    if models.is_empty() {
        return view! {
            <p class="muted" data-testid="run-logged-models">
                "This run logged no model. " <code>"mlflow.sklearn.log_model(model, name=\"model\")"</code>
                " logs one; metrics logged with its " <code>"model_id"</code> " show here."
            </p>
        }
        .into_any();
    }
    view! {
        <table class="list" data-testid="run-logged-models">
            <thead><tr><th>"Model"</th><th>"Status"</th><th>"Metrics"</th><th>"Params"</th><th>"Register"</th></tr></thead>
            <tbody>
                {models.into_iter().map(|m| {
                    let register = format!("mlflow.register_model(\"models:/{}\", \"prod.ml_team.my_model\")", m.model_id);
                    let metrics: Vec<String> = m
                        .latest_metrics()
                        .into_iter()
                        .map(|x| match &x.dataset_name {
                            Some(d) => format!("{} {} ({d})", x.key, metric_value(x.value)),
                            None => format!("{} {}", x.key, metric_value(x.value)),
                        })
                        .collect();
                    let params = m.params.len();
                    view! {
                        <tr>
                            <td>
                                <strong>{m.name.clone()}</strong><br/>
                                <span class="muted mono small">{m.model_id.clone()}</span>
                            </td>
                            <td><span class=status_badge(&m.status)>{status_label(&m.status)}</span></td>
                            <td>
                                {if metrics.is_empty() {
                                    view! { <span class="muted">"—"</span> }.into_any()
                                } else {
                                    view! { <ul class="plain">{metrics.into_iter().map(|t| view! { <li class="mono small">{t}</li> }).collect_view()}</ul> }.into_any()
                                }}
                            </td>
                            <td class="num">{params}</td>
                            <td><CopyButton text=register label="Copy code"/></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// `LOGGED_MODEL_READY` → "Ready".
fn status_label(status: &str) -> &'static str {
    match status {
        "LOGGED_MODEL_READY" => "Ready",
        "LOGGED_MODEL_PENDING" => "Pending",
        "LOGGED_MODEL_UPLOAD_FAILED" => "Upload failed",
        _ => "Unknown",
    }
}

fn status_badge(status: &str) -> &'static str {
    match status {
        "LOGGED_MODEL_READY" => "badge ready",
        "LOGGED_MODEL_PENDING" => "badge pending",
        _ => "badge failed",
    }
}

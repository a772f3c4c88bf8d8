//! MLflow experiments: create, find, search, rename, delete and restore, and their tags.

use app::AppState;
use axum::Router;
use axum::routing::{get, post};
use quiver::error::Error;
use quiver::filter::Entity;
use quiver::services::tracking::{Experiment, MAX_RUNS_PER_SEARCH, RunView};
use serde_json::{Value, json};

use super::json::tags as tags_json;
use super::{Args, MlResult, ok, put_list};

pub fn routes() -> Router<AppState> {
    let base = "/api/2.0/mlflow/experiments";
    Router::new()
        .route(&format!("{base}/create"), post(create_experiment))
        .route(&format!("{base}/get"), get(get_experiment))
        .route(&format!("{base}/get-by-name"), get(get_experiment_by_name))
        .route(&format!("{base}/search"), post(search_experiments).get(search_experiments))
        .route(&format!("{base}/delete"), post(delete_experiment))
        .route(&format!("{base}/restore"), post(restore_experiment))
        .route(&format!("{base}/update"), post(update_experiment))
        .route(&format!("{base}/set-experiment-tag"), post(set_experiment_tag))
        .route(&format!("{base}/delete-experiment-tag"), post(delete_experiment_tag))
}

fn experiment_json(e: &Experiment) -> Value {
    let mut body = json!({
        "experiment_id": e.experiment_id,
        "name": e.name,
        "artifact_location": e.artifact_location,
        "lifecycle_stage": e.lifecycle_stage,
        "last_update_time": e.last_update_time,
        "creation_time": e.creation_time,
    });
    if !e.tags.is_empty() {
        body["tags"] = tags_json(&e.tags);
    }
    body
}

async fn create_experiment(a: Args) -> MlResult {
    let name = a.str("name")?;
    let location = a.opt_str("artifact_location")?;
    let tags = a.tags("tags")?;
    let q = &a.ctx.state.quiver;
    let id = q.create_experiment(&a.ctx.actor, &name, location.as_deref(), &tags).await?;
    ok(json!({ "experiment_id": id }))
}

async fn get_experiment(a: Args) -> MlResult {
    let id = a.str("experiment_id")?;
    let e = a.ctx.state.quiver.get_experiment(&a.ctx.actor, &id).await?;
    ok(json!({ "experiment": experiment_json(&e) }))
}

async fn get_experiment_by_name(a: Args) -> MlResult {
    let name = a.str("experiment_name")?;
    let e = a.ctx.state.quiver.get_experiment_by_name(&a.ctx.actor, &name).await?;
    ok(json!({ "experiment": experiment_json(&e) }))
}

async fn delete_experiment(a: Args) -> MlResult {
    let id = a.str("experiment_id")?;
    a.ctx.state.quiver.set_experiment_deleted(&a.ctx.actor, &id, true).await?;
    ok(json!({}))
}

async fn restore_experiment(a: Args) -> MlResult {
    let id = a.str("experiment_id")?;
    a.ctx.state.quiver.set_experiment_deleted(&a.ctx.actor, &id, false).await?;
    ok(json!({}))
}

async fn update_experiment(a: Args) -> MlResult {
    let id = a.str("experiment_id")?;
    let name = a.str("new_name")?;
    a.ctx.state.quiver.rename_experiment(&a.ctx.actor, &id, &name).await?;
    ok(json!({}))
}

/// `mlflow.search_experiments`: by name and tags (`name = …`, `tags.team LIKE …`, `IN`, with OR
/// and parentheses), ordered by name, creation_time, last_update_time or experiment_id, paged by token.
async fn search_experiments(a: Args) -> MlResult {
    let raw = a.opt_str("filter")?.unwrap_or_default();
    let filter = quiver::filter::parse(&raw, Entity::Experiments)?;
    let order = a.list("order_by")?;
    let view = view_type(&a, "view_type")?;
    let limit = a.max_results(1000, MAX_RUNS_PER_SEARCH)?;
    let token = a.opt_str("page_token")?;
    let q = &a.ctx.state.quiver;
    let page = q.search_experiments(&a.ctx.actor, filter.as_ref(), &order, view, limit, token.as_deref()).await?;
    let mut body = json!({});
    put_list(&mut body, "experiments", page.items.iter().map(experiment_json).collect());
    if let Some(t) = page.next_page_token {
        body["next_page_token"] = json!(t);
    }
    ok(body)
}

async fn set_experiment_tag(a: Args) -> MlResult {
    let id = a.str("experiment_id")?;
    let key = a.str("key")?;
    let value = a.opt_str("value")?.unwrap_or_default();
    a.ctx.state.quiver.set_experiment_tag(&a.ctx.actor, &id, &key, &value).await?;
    ok(json!({}))
}

async fn delete_experiment_tag(a: Args) -> MlResult {
    let id = a.str("experiment_id")?;
    let key = a.str("key")?;
    a.ctx.state.quiver.delete_experiment_tag(&a.ctx.actor, &id, &key).await?;
    ok(json!({}))
}

/// MLflow's ViewType, by name or number; active only when absent.
pub fn view_type(a: &Args, key: &str) -> Result<RunView, super::MlError> {
    match a.opt_str(key)?.filter(|v| !v.is_empty()) {
        None => Ok(RunView::ActiveOnly),
        Some(v) => RunView::parse(&v)
            .ok_or_else(|| a.err(Error::invalid(key, format!("'{v}' is not ACTIVE_ONLY, DELETED_ONLY or ALL.")))),
    }
}

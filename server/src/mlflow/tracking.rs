//! The tracking endpoints MLflow clients use around `log_model`: experiments, runs, logged
//! models, and server-info.

use app::AppState;
use axum::Router;
use axum::extract::Path;
use axum::routing::{get, patch, post};
use quiver::error::Error;
use quiver::filter::{Entity, run_order};
use quiver::services::tracking::{
    Dataset, DatasetInput, DatasetRef, LoggedModel, MAX_LOGGED_MODELS_PER_SEARCH, MAX_RUNS_PER_SEARCH, Metric,
    ModelOutput, Run, RunBatch, RunSearch,
};
use serde_json::{Value, json};

use super::experiments::view_type;
use super::json::tags as tags_json;
use super::{Args, MlResult, ok, put_list};

pub fn routes() -> Router<AppState> {
    let base = "/api/2.0/mlflow";
    Router::new()
        .route("/api/3.0/mlflow/server-info", get(server_info))
        .route(&format!("{base}/runs/create"), post(create_run))
        .route(&format!("{base}/runs/get"), get(get_run))
        .route(&format!("{base}/runs/update"), post(update_run))
        .route(&format!("{base}/runs/search"), post(search_runs).get(search_runs))
        .route(&format!("{base}/runs/delete"), post(delete_run))
        .route(&format!("{base}/runs/restore"), post(restore_run))
        .route(&format!("{base}/runs/log-parameter"), post(log_param))
        .route(&format!("{base}/runs/log-metric"), post(log_metric))
        .route(&format!("{base}/runs/log-batch"), post(log_batch))
        .route(&format!("{base}/runs/set-tag"), post(set_run_tag))
        .route(&format!("{base}/runs/delete-tag"), post(delete_run_tag))
        .route(&format!("{base}/runs/outputs"), post(log_outputs))
        .route(&format!("{base}/runs/log-inputs"), post(log_inputs))
        .route(&format!("{base}/metrics/get-history"), get(metric_history))
        .route(&format!("{base}/logged-models"), post(create_logged_model))
        .route(&format!("{base}/logged-models/search"), post(search_logged_models))
        .route(&format!("{base}/logged-models/{{model_id}}"), get(get_logged_model).patch(update_logged_model))
        .route(&format!("{base}/logged-models/{{model_id}}/tags"), patch(set_logged_model_tags))
        .route(
            &format!("{base}/logged-models/{{model_id}}/tags/{{key}}"),
            axum::routing::delete(delete_logged_model_tag),
        )
        .route(&format!("{base}/logged-models/{{model_id}}/params"), post(log_logged_model_params))
}

/// What this server supports: plain uploads and downloads through the artifact proxy.
async fn server_info(_a: Args) -> MlResult {
    ok(json!({
        "store_type": "SqlStore",
        "workspaces_enabled": false,
        "trace_archival_enabled": false,
        "multipart_uploads_enabled": false,
        "multipart_downloads_enabled": false,
        "presigned_upload_run_id_supported": false,
        "presigned_upload_model_id_supported": false,
        "features_enabled": {},
    }))
}

fn run_info(r: &Run) -> Value {
    let mut info = json!({
        "run_uuid": r.run_id,
        "experiment_id": r.experiment_id,
        "run_name": r.run_name,
        "user_id": r.user_id,
        "status": r.status,
        "start_time": r.start_time,
        "artifact_uri": r.artifact_uri,
        "lifecycle_stage": r.lifecycle_stage,
        "run_id": r.run_id,
    });
    if let Some(end) = r.end_time {
        info["end_time"] = json!(end);
    }
    info
}

fn run_json(r: &Run) -> Value {
    let mut data = json!({});
    put_list(
        &mut data,
        "metrics",
        r.metrics
            .iter()
            .map(|m| json!({ "key": m.key, "value": m.value, "timestamp": m.timestamp, "step": m.step }))
            .collect(),
    );
    if !r.params.is_empty() {
        data["params"] = tags_json(&r.params);
    }
    if !r.tags.is_empty() {
        data["tags"] = tags_json(&r.tags);
    }
    let mut outputs = json!({});
    put_list(
        &mut outputs,
        "model_outputs",
        r.outputs.iter().map(|o| json!({ "model_id": o.model_id, "step": o.step })).collect(),
    );
    let mut inputs = json!({});
    put_list(&mut inputs, "dataset_inputs", r.inputs.iter().map(dataset_input_json).collect());
    put_list(&mut inputs, "model_inputs", r.model_inputs.iter().map(|m| json!({ "model_id": m })).collect());
    json!({ "info": run_info(r), "data": data, "inputs": inputs, "outputs": outputs })
}

fn dataset_input_json(i: &DatasetInput) -> Value {
    let d = &i.dataset;
    let mut dataset = json!({ "name": d.name, "digest": d.digest, "source_type": d.source_type, "source": d.source });
    if let Some(schema) = &d.schema {
        dataset["schema"] = json!(schema);
    }
    if let Some(profile) = &d.profile {
        dataset["profile"] = json!(profile);
    }
    let mut input = json!({ "dataset": dataset });
    put_list(&mut input, "tags", i.tags.iter().map(|t| json!({ "key": t.key, "value": t.value })).collect());
    input
}

/// MLflow clients send the run id as `run_id`, `run_uuid`, or both.
fn run_id(a: &Args) -> Result<String, super::MlError> {
    match a.opt_str("run_id")?.filter(|s| !s.is_empty()) {
        Some(id) => Ok(id),
        None => a.str("run_uuid"),
    }
}

async fn create_run(a: Args) -> MlResult {
    let experiment = a.opt_str("experiment_id")?.unwrap_or_else(|| "0".into());
    let name = a.opt_str("run_name")?;
    let start = a.opt_i64("start_time")?;
    let tags = a.tags("tags")?;
    let q = &a.ctx.state.quiver;
    let run = q.create_run(&a.ctx.actor, &experiment, name.as_deref(), start, &tags).await?;
    ok(json!({ "run": run_json(&run) }))
}

async fn get_run(a: Args) -> MlResult {
    let id = run_id(&a)?;
    let run = a.ctx.state.quiver.get_run(&a.ctx.actor, &id).await?;
    ok(json!({ "run": run_json(&run) }))
}

async fn update_run(a: Args) -> MlResult {
    let id = run_id(&a)?;
    let (status, end, name) = (a.opt_str("status")?, a.opt_i64("end_time")?, a.opt_str("run_name")?);
    let q = &a.ctx.state.quiver;
    let run = q.update_run(&a.ctx.actor, &id, status.as_deref(), end, name.as_deref()).await?;
    ok(json!({ "run_info": run_info(&run) }))
}

/// `mlflow.search_runs` / `MlflowClient.search_runs`: MLflow's filter and order_by over metrics,
/// params, tags and attributes (plus OR and parentheses), paged by token.
async fn search_runs(a: Args) -> MlResult {
    let experiments = a.list("experiment_ids")?;
    let raw = a.opt_str("filter")?.unwrap_or_default();
    let filter = quiver::filter::parse(&raw, Entity::Runs)?;
    let order = a.list("order_by")?.iter().map(|o| run_order(o)).collect::<Result<Vec<_>, _>>()?;
    let view = view_type(&a, "run_view_type")?;
    let limit = a.max_results(1000, MAX_RUNS_PER_SEARCH)?;
    let token = a.opt_str("page_token")?;
    let search = RunSearch { filter: filter.as_ref(), order: &order, view, limit, page_token: token.as_deref() };
    let page = a.ctx.state.quiver.search_runs(&a.ctx.actor, &experiments, &search).await?;
    let mut body = json!({});
    put_list(&mut body, "runs", page.items.iter().map(run_json).collect());
    if let Some(t) = page.next_page_token {
        body["next_page_token"] = json!(t);
    }
    ok(body)
}

async fn delete_run(a: Args) -> MlResult {
    let id = run_id(&a)?;
    a.ctx.state.quiver.set_run_deleted(&a.ctx.actor, &id, true).await?;
    ok(json!({}))
}

async fn restore_run(a: Args) -> MlResult {
    let id = run_id(&a)?;
    a.ctx.state.quiver.set_run_deleted(&a.ctx.actor, &id, false).await?;
    ok(json!({}))
}

async fn batch(a: &Args, batch: RunBatch) -> MlResult {
    let id = run_id(a)?;
    a.ctx.state.quiver.log_batch(&a.ctx.actor, &id, &batch).await?;
    ok(json!({}))
}

async fn log_param(a: Args) -> MlResult {
    let tag = quiver::services::registry::Tag { key: a.str("key")?, value: a.opt_str("value")?.unwrap_or_default() };
    batch(&a, RunBatch { params: vec![tag], ..Default::default() }).await
}

fn metric(a: &Args, v: &Value) -> Result<Metric, super::MlError> {
    let bad = |m: &str| a.err(Error::invalid("metrics", m.to_string()));
    let key = v.get("key").and_then(Value::as_str).ok_or_else(|| bad("A metric needs a 'key'."))?;
    let value = match v.get("value") {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(Value::String(s)) => s.parse::<f64>().map_err(|_| bad("A metric value must be a number."))?,
        _ => return Err(bad("A metric needs a 'value'.")),
    };
    let int = |k: &str| -> i64 {
        match v.get(k) {
            Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
            Some(Value::String(s)) => s.parse().unwrap_or(0),
            _ => 0,
        }
    };
    let timestamp = if v.get("timestamp").is_some() { int("timestamp") } else { chrono::Utc::now().timestamp_millis() };
    let text = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    Ok(Metric {
        model_id: text("model_id"),
        dataset_name: text("dataset_name"),
        dataset_digest: text("dataset_digest"),
        ..Metric::new(key, value, timestamp, int("step"))
    })
}

async fn log_metric(a: Args) -> MlResult {
    let m = metric(&a, &Value::Object(a.map.clone()))?;
    batch(&a, RunBatch { metrics: vec![m], ..Default::default() }).await
}

async fn log_batch(a: Args) -> MlResult {
    let metrics = match a.map.get("metrics") {
        Some(Value::Array(list)) => list.iter().map(|m| metric(&a, m)).collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    let b = RunBatch { metrics, params: a.tags("params")?, tags: a.tags("tags")? };
    batch(&a, b).await
}

async fn set_run_tag(a: Args) -> MlResult {
    let tag = quiver::services::registry::Tag { key: a.str("key")?, value: a.opt_str("value")?.unwrap_or_default() };
    batch(&a, RunBatch { tags: vec![tag], ..Default::default() }).await
}

async fn delete_run_tag(a: Args) -> MlResult {
    let id = run_id(&a)?;
    let key = a.str("key")?;
    a.ctx.state.quiver.delete_run_tag(&a.ctx.actor, &id, &key).await?;
    ok(json!({}))
}

async fn log_outputs(a: Args) -> MlResult {
    let id = run_id(&a)?;
    let outputs = match a.map.get("models") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|m| {
                let model_id = m.get("model_id")?.as_str()?.to_string();
                let step = m.get("step").and_then(|s| s.as_i64().or_else(|| s.as_str()?.parse().ok())).unwrap_or(0);
                Some(ModelOutput { model_id, step })
            })
            .collect(),
        _ => Vec::new(),
    };
    a.ctx.state.quiver.log_outputs(&a.ctx.actor, &id, &outputs).await?;
    ok(json!({}))
}

/// `mlflow.log_input` and autologging: the datasets a run used (and logged models it took in).
async fn log_inputs(a: Args) -> MlResult {
    let id = run_id(&a)?;
    let bad = |m: &str| a.err(Error::invalid("datasets", m.to_string()));
    let text = |v: &Value, key: &str| -> Option<String> { v.get(key).and_then(Value::as_str).map(str::to_string) };
    let mut datasets = Vec::new();
    if let Some(list) = a.map.get("datasets").filter(|v| !v.is_null()) {
        let list = list.as_array().ok_or_else(|| bad("'datasets' must be a list."))?;
        for input in list {
            let d = input.get("dataset").ok_or_else(|| bad("Each dataset input needs a 'dataset'."))?;
            let need = |key: &str| text(d, key).ok_or_else(|| bad(&format!("A dataset needs a '{key}'.")));
            let tags = match input.get("tags") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(tags)) => tags
                    .iter()
                    .map(|t| match (text(t, "key"), text(t, "value")) {
                        (Some(key), value) => {
                            Ok(quiver::services::registry::Tag { key, value: value.unwrap_or_default() })
                        }
                        (None, _) => Err(bad("Each input tag needs a 'key'.")),
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(bad("A dataset input's 'tags' must be a list.")),
            };
            let dataset = Dataset {
                name: need("name")?,
                digest: need("digest")?,
                source_type: need("source_type")?,
                source: need("source")?,
                schema: text(d, "schema"),
                profile: text(d, "profile"),
            };
            datasets.push(DatasetInput { tags, dataset });
        }
    }
    let models = match a.map.get("models") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|m| {
                text(m, "model_id").ok_or_else(|| a.err(Error::invalid("models", "A model input needs a 'model_id'.")))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(a.err(Error::invalid("models", "'models' must be a list."))),
    };
    a.ctx.state.quiver.log_inputs(&a.ctx.actor, &id, &datasets, &models).await?;
    ok(json!({}))
}

async fn metric_history(a: Args) -> MlResult {
    let id = run_id(&a)?;
    let key = a.str("metric_key")?;
    let limit = a.max_results(25_000, 25_000)?;
    let list = a.ctx.state.quiver.metric_history(&a.ctx.actor, &id, &key, limit).await?;
    let mut body = json!({});
    put_list(
        &mut body,
        "metrics",
        list.iter()
            .map(|m| json!({ "key": m.key, "value": m.value, "timestamp": m.timestamp, "step": m.step }))
            .collect(),
    );
    ok(body)
}

fn logged_model_json(m: &LoggedModel) -> Value {
    let mut info = json!({
        "model_id": m.model_id,
        "experiment_id": m.experiment_id,
        "name": m.name,
        "creation_timestamp_ms": m.creation_timestamp_ms,
        "last_updated_timestamp_ms": m.last_updated_timestamp_ms,
        "artifact_uri": m.artifact_uri,
        "status": m.status,
        "model_type": m.model_type,
    });
    if let Some(run) = &m.source_run_id {
        info["source_run_id"] = json!(run);
    }
    if !m.tags.is_empty() {
        info["tags"] = tags_json(&m.tags);
    }
    let mut data = json!({});
    if !m.params.is_empty() {
        data["params"] = tags_json(&m.params);
    }
    let metrics = m.metrics.iter().map(|x| {
        let mut metric = json!({
            "key": x.key, "value": x.value, "timestamp": x.timestamp, "step": x.step,
            "run_id": x.run_id, "model_id": m.model_id,
        });
        for (key, value) in [("dataset_name", &x.dataset_name), ("dataset_digest", &x.dataset_digest)] {
            if let Some(v) = value {
                metric[key] = json!(v);
            }
        }
        metric
    });
    put_list(&mut data, "metrics", metrics.collect());
    json!({ "info": info, "data": data })
}

async fn create_logged_model(a: Args) -> MlResult {
    let experiment = a.str("experiment_id")?;
    let name = a.opt_str("name")?.unwrap_or_default();
    let run = a.opt_str("source_run_id")?;
    let model_type = a.opt_str("model_type")?;
    let (params, tags) = (a.tags("params")?, a.tags("tags")?);
    let q = &a.ctx.state.quiver;
    let m = q
        .create_logged_model(&a.ctx.actor, &experiment, &name, run.as_deref(), model_type.as_deref(), &params, &tags)
        .await?;
    ok(json!({ "model": logged_model_json(&m) }))
}

async fn get_logged_model(Path(id): Path<String>, a: Args) -> MlResult {
    let m = a.ctx.state.quiver.get_logged_model(&a.ctx.actor, &id).await?;
    ok(json!({ "model": logged_model_json(&m) }))
}

async fn update_logged_model(Path(id): Path<String>, a: Args) -> MlResult {
    let status = a.opt_str("status")?;
    let m = a.ctx.state.quiver.update_logged_model(&a.ctx.actor, &id, status.as_deref()).await?;
    ok(json!({ "model": logged_model_json(&m) }))
}

async fn set_logged_model_tags(Path(id): Path<String>, a: Args) -> MlResult {
    let tags = a.tags("tags")?;
    a.ctx.state.quiver.set_logged_model_tags(&a.ctx.actor, &id, &tags).await?;
    ok(json!({}))
}

/// MLflow 3's `mlflow.search_logged_models`: MLflow's filter over metrics (any value logged for
/// the model), params, tags and attributes (plus OR and parentheses), `order_by` objects
/// (metrics by their latest value, optionally on one dataset), `datasets` scoping metrics to
/// some datasets, paged by token. The client also
/// resolves `runs:/…` sources with `name = '<name>'`.
async fn search_logged_models(a: Args) -> MlResult {
    let experiments = a.list("experiment_ids")?;
    let raw = a.opt_str("filter")?.unwrap_or_default();
    let filter = quiver::filter::parse(&raw, Entity::LoggedModels)?;
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let datasets: Vec<DatasetRef> = match a.map.get("datasets") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|d| DatasetRef {
                name: text(d, "dataset_name").unwrap_or_default(),
                digest: text(d, "dataset_digest"),
            })
            .collect(),
        Some(_) => return Err(a.err(Error::invalid("datasets", "'datasets' must be a list."))),
    };
    let order = match a.map.get("order_by") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list.iter().map(quiver::filter::model_order).collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(a.err(Error::invalid("order_by", "'order_by' must be a list."))),
    };
    let limit = a.max_results(100, MAX_LOGGED_MODELS_PER_SEARCH)?;
    let token = a.opt_str("page_token")?;
    let q = &a.ctx.state.quiver;
    let page = q
        .search_logged_models(&a.ctx.actor, &experiments, filter.as_ref(), &datasets, &order, limit, token.as_deref())
        .await?;
    let mut body = json!({});
    put_list(&mut body, "models", page.items.iter().map(logged_model_json).collect());
    if let Some(t) = page.next_page_token {
        body["next_page_token"] = json!(t);
    }
    ok(body)
}

/// The params of `log_model` beyond the first hundred, in batches.
async fn log_logged_model_params(Path(id): Path<String>, a: Args) -> MlResult {
    let params = a.tags("params")?;
    a.ctx.state.quiver.log_logged_model_params(&a.ctx.actor, &id, &params).await?;
    ok(json!({}))
}

async fn delete_logged_model_tag(Path((id, key)): Path<(String, String)>, a: Args) -> MlResult {
    a.ctx.state.quiver.delete_logged_model_tag(&a.ctx.actor, &id, &key).await?;
    ok(json!({}))
}

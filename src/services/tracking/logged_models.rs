//! MLflow logged models (`m-…`): what `log_model` creates, and what a version registered from it
//! points to for its artifacts.

use surrealdb::types::SurrealValue;

use crate::error::{Error, Result};
use crate::filter::{self, Entity, Expr, ModelOrder};
use crate::services::Quiver;
use crate::services::db::throwable;
use crate::services::governance::Actor;
use crate::services::paging::Page;
use crate::services::registry::Tag;
use crate::services::registry::rows::TagRow;
use crate::services::tracking::access::InExperiment;
use crate::services::tracking::lookup::{check_kv, experiment_num, logged_model_not_found, run_not_found};
use crate::services::tracking::{ExperimentLevel, LOGGED_MODEL_STATUSES, LoggedModel, ModelMetric};

/// A dataset named in a logged model search: its name, and its digest when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetRef {
    pub name: String,
    pub digest: Option<String>,
}

/// The condition on one metric entry that it was measured on one of `datasets` (none: no scope),
/// with names and digests bound as `d0`, `d1`, ….
fn dataset_scope(datasets: &[DatasetRef], params: &mut Vec<(String, serde_json::Value)>) -> Option<String> {
    let mut bind = |v: &str| {
        let name = format!("d{}", params.len());
        params.push((name.clone(), v.into()));
        format!("${name}")
    };
    let alternatives: Vec<String> = datasets
        .iter()
        .map(|d| match &d.digest {
            Some(digest) => format!("(dataset_name = {} AND dataset_digest = {})", bind(&d.name), bind(digest)),
            None => format!("dataset_name = {}", bind(&d.name)),
        })
        .collect();
    (!alternatives.is_empty()).then(|| alternatives.join(" OR "))
}

/// Most logged models one search returns.
pub const MAX_LOGGED_MODELS_PER_SEARCH: i64 = 10_000;

/// A logged model, read from its own record (params and tags are copied onto it by
/// `fn::sync_logged_model`, metrics appended as they are logged).
const FIELDS: &str = "model_id, experiment.num AS experiment_num, name, source_run_id, status, model_type, \
    artifact_uri, created_at, updated_at, tags, params, metrics";

#[derive(Debug, Clone, SurrealValue)]
struct Row {
    model_id: String,
    experiment_num: i64,
    name: String,
    source_run_id: Option<String>,
    status: String,
    model_type: String,
    artifact_uri: String,
    created_at: i64,
    updated_at: i64,
    tags: Vec<TagRow>,
    params: Vec<TagRow>,
    metrics: Vec<MetricRow>,
}

#[derive(Debug, Clone, SurrealValue)]
struct MetricRow {
    key: String,
    value: f64,
    timestamp: i64,
    step: i64,
    run_id: String,
    dataset_name: Option<String>,
    dataset_digest: Option<String>,
}

impl From<Row> for LoggedModel {
    fn from(r: Row) -> Self {
        LoggedModel {
            model_id: r.model_id,
            experiment_id: r.experiment_num.to_string(),
            name: r.name,
            source_run_id: r.source_run_id,
            status: r.status,
            model_type: r.model_type,
            artifact_uri: r.artifact_uri,
            creation_timestamp_ms: r.created_at,
            last_updated_timestamp_ms: r.updated_at,
            tags: crate::services::registry::rows::sorted_tags(r.tags),
            params: crate::services::registry::rows::sorted_tags(r.params),
            metrics: r
                .metrics
                .into_iter()
                .map(|m| ModelMetric {
                    key: m.key,
                    value: m.value,
                    timestamp: m.timestamp,
                    step: m.step,
                    run_id: m.run_id,
                    dataset_name: m.dataset_name,
                    dataset_digest: m.dataset_digest,
                })
                .collect(),
        }
    }
}

fn json_tags(tags: &[Tag]) -> Vec<serde_json::Value> {
    crate::services::registry::models::dedup_tags(tags)
        .into_iter()
        .map(|t| serde_json::json!({"key": t.key, "value": t.value}))
        .collect()
}

impl Quiver {
    pub async fn create_logged_model(
        &self,
        actor: &Actor,
        experiment_id: &str,
        name: &str,
        source_run_id: Option<&str>,
        model_type: Option<&str>,
        params: &[Tag],
        tags: &[Tag],
    ) -> Result<LoggedModel> {
        let num = experiment_num(experiment_id)?;
        let name = if name.trim().is_empty() { "model" } else { name.trim() };
        for p in params {
            check_kv("param", &p.key, &p.value, 6000)?;
        }
        for t in tags {
            check_kv("tag", &t.key, &t.value, 8000)?;
        }
        self.require_experiment(actor, InExperiment::Experiment(num), ExperimentLevel::Edit, "log models into it")
            .await?;
        // The model shows on its run's page: naming a run takes CAN_READ on the run's experiment
        // (a run that does not exist is refused below).
        if let Some(run) = source_run_id.filter(|r| !r.is_empty()) {
            match self
                .require_experiment(actor, InExperiment::Run(run), ExperimentLevel::Read, "log models from its runs")
                .await
            {
                Err(e) if e.is(crate::error::ErrorKind::NotFound) => {}
                other => other?,
            }
        }
        let model_id = format!("m-{}", hex::encode(rand::random::<[u8; 16]>()));
        let sql = "BEGIN TRANSACTION;
            LET $exp = (SELECT id, artifact_location FROM experiment WHERE num = $num LIMIT 1)[0];
            IF !$exp { THROW $no_experiment };
            IF $run_id != NONE AND !(SELECT VALUE id FROM run WHERE run_id = $run_id LIMIT 1)[0] { THROW $no_run };
            LET $m = (CREATE ONLY logged_model SET model_id = $model_id, experiment = $exp.id, name = $name,
                source_run_id = $run_id, status = 'LOGGED_MODEL_PENDING', model_type = $model_type,
                artifact_uri = $exp.artifact_location + '/models/' + $model_id + '/artifacts',
                created_at = $now, updated_at = $now RETURN VALUE id);
            FOR $p IN $params { CREATE run_param SET owner = $m, key = $p.key, value = $p.value; };
            FOR $t IN $tags { CREATE run_tag SET owner = $m, key = $t.key, value = $t.value; };
            fn::sync_logged_model($m);
            COMMIT TRANSACTION;";
        let run_id = source_run_id.filter(|r| !r.is_empty()).map(str::to_string);
        let (params, tags) = (json_tags(params), json_tags(tags));
        self.write_content(
            || {
                self.q(sql)
                    .bind(("num", num))
                    .bind(("model_id", model_id.clone()))
                    .bind(("now", chrono::Utc::now().timestamp_millis()))
                    .bind(("name", name.to_string()))
                    .bind(("run_id", run_id.clone()))
                    .bind(("model_type", model_type.unwrap_or("").to_string()))
                    .bind(("params", params.clone()))
                    .bind(("tags", tags.clone()))
                    .bind((
                        "no_experiment",
                        throwable(&Error::not_found(format!("No experiment with id '{experiment_id}'."))),
                    ))
                    .bind(("no_run", throwable(&run_not_found(run_id.as_deref().unwrap_or("")))))
            },
            crate::services::db::no_unique,
        )
        .await?;
        self.fetch_logged_model(&model_id).await
    }

    /// Logged models are read with CAN_READ on their experiment.
    pub async fn get_logged_model(&self, actor: &Actor, model_id: &str) -> Result<LoggedModel> {
        self.require_model(actor, model_id, ExperimentLevel::Read, "read its models").await?;
        self.fetch_logged_model(model_id).await
    }

    async fn require_model(&self, actor: &Actor, model_id: &str, need: ExperimentLevel, what: &str) -> Result<()> {
        self.require_experiment(actor, InExperiment::LoggedModel(model_id), need, what).await
    }

    /// A logged model, unchecked: for callers that checked access another way.
    pub(crate) async fn fetch_logged_model(&self, model_id: &str) -> Result<LoggedModel> {
        let sql = format!("SELECT {FIELDS} FROM logged_model WHERE model_id = $id LIMIT 1");
        let row: Option<Row> = self.answer(self.q(&sql).bind(("id", model_id.to_string()))).await?;
        row.map(Into::into).ok_or_else(|| logged_model_not_found(model_id))
    }

    /// Changes the status (`LOGGED_MODEL_READY` once the artifacts are uploaded).
    pub async fn update_logged_model(
        &self,
        actor: &Actor,
        model_id: &str,
        status: Option<&str>,
    ) -> Result<LoggedModel> {
        if let Some(s) = status.filter(|s| !LOGGED_MODEL_STATUSES.contains(s)) {
            return Err(Error::invalid("status", format!("'{s}' is not a logged model status.")));
        }
        self.require_model(actor, model_id, ExperimentLevel::Edit, "change its models").await?;
        let sql = "BEGIN TRANSACTION;
            LET $m = (SELECT VALUE id FROM logged_model WHERE model_id = $id LIMIT 1)[0];
            IF !$m { THROW $missing };
            IF $status != NONE { UPDATE $m SET status = $status, updated_at = $now };
            COMMIT TRANSACTION;";
        self.write_content(
            || {
                self.q(sql)
                    .bind(("id", model_id.to_string()))
                    .bind(("status", status.map(str::to_string)))
                    .bind(("now", chrono::Utc::now().timestamp_millis()))
                    .bind(("missing", throwable(&logged_model_not_found(model_id))))
            },
            crate::services::db::no_unique,
        )
        .await?;
        self.fetch_logged_model(model_id).await
    }

    pub async fn set_logged_model_tags(&self, actor: &Actor, model_id: &str, tags: &[Tag]) -> Result<()> {
        for t in tags {
            check_kv("tag", &t.key, &t.value, 8000)?;
        }
        self.require_model(actor, model_id, ExperimentLevel::Edit, "change its models").await?;
        self.put_entries(model_id, "run_tag", tags).await
    }

    /// MLflow's logged-models/{id}/params: params beyond the first hundred of `log_model` (the
    /// client sends the rest in batches). A key logged again takes the new value.
    pub async fn log_logged_model_params(&self, actor: &Actor, model_id: &str, params: &[Tag]) -> Result<()> {
        if params.len() > 1000 {
            return Err(Error::invalid("params", "At most 1000 params are logged at once."));
        }
        for p in params {
            check_kv("param", &p.key, &p.value, 6000)?;
        }
        self.require_model(actor, model_id, ExperimentLevel::Edit, "change its models").await?;
        self.put_entries(model_id, "run_param", params).await
    }

    /// Sets `entries` (checked) as the model's tags or params (`table`: `run_tag` or `run_param`),
    /// replacing the values of keys it has, and refreshes the copies on its record.
    async fn put_entries(&self, model_id: &str, table: &'static str, entries: &[Tag]) -> Result<()> {
        let sql = format!(
            "BEGIN TRANSACTION;
            LET $m = (SELECT VALUE id FROM logged_model WHERE model_id = $id LIMIT 1)[0];
            IF !$m {{ THROW $missing }};
            FOR $e IN $entries {{
                DELETE {table} WHERE owner = $m AND key = $e.key;
                CREATE {table} SET owner = $m, key = $e.key, value = $e.value;
            }};
            fn::sync_logged_model($m);
            COMMIT TRANSACTION;"
        );
        let entries = json_tags(entries);
        self.write_content(
            || {
                self.q(&sql)
                    .bind(("id", model_id.to_string()))
                    .bind(("entries", entries.clone()))
                    .bind(("missing", throwable(&logged_model_not_found(model_id))))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }

    /// The models a run logged into its own experiment (`experiment`, its number), newest first
    /// (at most `limit`), for its page: one who may read the run may read those.
    pub(crate) async fn run_logged_models(
        &self,
        run_id: &str,
        experiment: i64,
        limit: i64,
    ) -> Result<Vec<LoggedModel>> {
        let sql = format!(
            "SELECT {FIELDS} FROM logged_model WHERE source_run_id = $run AND experiment.num = $num \
             ORDER BY created_at DESC LIMIT $limit"
        );
        let query = self.q(&sql).bind(("run", run_id.to_string())).bind(("num", experiment)).bind(("limit", limit));
        let rows: Vec<Row> = self.answer(query).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// MLflow's tags/delete on a logged model. A key the model does not have is an error, as in
    /// MLflow.
    pub async fn delete_logged_model_tag(&self, actor: &Actor, model_id: &str, key: &str) -> Result<()> {
        self.require_model(actor, model_id, ExperimentLevel::Edit, "change its models").await?;
        let sql = "BEGIN TRANSACTION;
            LET $m = (SELECT VALUE id FROM logged_model WHERE model_id = $id LIMIT 1)[0];
            IF !$m { THROW $missing };
            IF !(SELECT VALUE id FROM run_tag WHERE owner = $m AND key = $key LIMIT 1)[0] { THROW $no_tag };
            DELETE run_tag WHERE owner = $m AND key = $key;
            fn::sync_logged_model($m);
            COMMIT TRANSACTION;";
        self.write_content(
            || {
                self.q(sql)
                    .bind(("id", model_id.to_string()))
                    .bind(("key", key.to_string()))
                    .bind(("missing", throwable(&logged_model_not_found(model_id))))
                    .bind((
                        "no_tag",
                        throwable(&Error::not_found(format!("Logged model '{model_id}' has no tag '{key}'."))),
                    ))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }

    /// MLflow 3's search_logged_models: the logged models of some experiments matching `filter`
    /// (parsed for [`Entity::LoggedModels`]) in `order` (newest first after it), `limit` at a
    /// time from an offset page token. With `datasets` (name, and digest when given), only models
    /// with metrics on one of them are found, and metric conditions look at those metrics only.
    #[allow(clippy::too_many_arguments)]
    pub async fn search_logged_models(
        &self,
        actor: &Actor,
        experiment_ids: &[String],
        filter: Option<&Expr>,
        datasets: &[DatasetRef],
        order: &[ModelOrder],
        limit: i64,
        page_token: Option<&str>,
    ) -> Result<Page<LoggedModel>> {
        if datasets.iter().any(|d| d.name.trim().is_empty()) {
            return Err(Error::invalid("datasets", "`dataset_name` in the `datasets` clause must be specified."));
        }
        if !(1..=MAX_LOGGED_MODELS_PER_SEARCH).contains(&limit) {
            return Err(Error::invalid(
                "max_results",
                format!("max_results must be between 1 and {MAX_LOGGED_MODELS_PER_SEARCH}, not {limit}."),
            ));
        }
        let nums = experiment_ids.iter().map(|e| experiment_num(e)).collect::<Result<Vec<i64>>>()?;
        self.require_readable(actor, &nums, "search its models").await?;
        let start = crate::services::paging::offset(page_token)?;
        let mut params = Vec::new();
        let scope = dataset_scope(datasets, &mut params);
        let mut cond = match (filter, &scope) {
            (None, _) => "true".to_string(),
            (Some(f), None) => filter::to_surql(f, Entity::LoggedModels, &mut params),
            (Some(f), Some(scope)) => filter::to_surql_scoped(f, Entity::LoggedModels, scope, &mut params),
        };
        if let Some(scope) = &scope {
            cond = format!("metrics[WHERE {scope}] != [] AND ({cond})");
        }
        let (sort_fields, order) = filter::model_order_surql(order, &mut params);
        let sql = format!(
            "LET $exps = (SELECT VALUE id FROM experiment WHERE num IN $nums);
             SELECT {FIELDS}{sort_fields} FROM logged_model WHERE experiment IN $exps AND ({cond})
                 ORDER BY {order} LIMIT $limit START $start;"
        );
        let mut query = self.q(&sql).bind(("nums", nums)).bind(("limit", limit + 1)).bind(("start", start));
        for p in params {
            query = query.bind(p);
        }
        let rows: Vec<Row> = self.answer(query).await?;
        Ok(crate::services::paging::offset_page(rows, limit, start))
    }
}

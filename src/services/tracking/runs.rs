//! MLflow tracking: runs (params, metrics, tags, model outputs). What training code
//! needs so `mlflow.<flavor>.log_model(..., registered_model_name=...)` works against Quiver.

use surrealdb::types::SurrealValue;

use crate::error::{Error, Result};
use crate::services::Quiver;
use crate::services::db::throwable;
use crate::services::governance::Actor;
use crate::services::registry::Tag;
use crate::services::registry::rows::TagRow;
use crate::services::tracking::access::InExperiment;
use crate::services::tracking::lookup::{
    ACTIVE_RUN, check_kv, experiment_not_found, experiment_num, inactive, run_not_found,
};
use crate::services::tracking::{ExperimentLevel, Metric, ModelOutput, RUN_STATUSES, Run, RunBatch};

const MAX_PARAM_LEN: usize = 6000;
const MAX_TAG_VALUE_LEN: usize = 8000;
const MAX_BATCH: usize = 1000;
/// Metrics (by key and dataset) one logged model has: their latest values live on its record.
const MAX_MODEL_METRICS: usize = 1_000;

/// A run as MLflow returns it, read from its own record (params, tags and latest metrics are
/// copied onto it by `fn::sync_run`).
pub(crate) const RUN_FIELDS: &str = "run_id, experiment.num AS experiment_num, name, user_id, status, start_time, \
    end_time, artifact_uri, lifecycle_stage, params, tags, metrics, \
    (SELECT model_id, step FROM run_output WHERE owner = $parent.id) AS outputs, \
    IF inputs_logged THEN (SELECT tags, dataset.{name, digest, source_type, source, data_schema, profile} AS dataset, \
        at, pos FROM run_input WHERE run = $parent.id ORDER BY at, pos) ELSE [] END AS inputs, \
    IF inputs_logged THEN (SELECT model_id, at FROM run_model_input WHERE run = $parent.id ORDER BY at, model_id) \
        ELSE [] END AS model_inputs";

#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct RunRow {
    run_id: String,
    experiment_num: i64,
    name: String,
    user_id: String,
    status: String,
    start_time: i64,
    end_time: Option<i64>,
    artifact_uri: String,
    lifecycle_stage: String,
    params: Vec<TagRow>,
    tags: Vec<TagRow>,
    metrics: Vec<MetricRow>,
    outputs: Vec<OutputRow>,
    inputs: Vec<crate::services::tracking::datasets::InputRow>,
    model_inputs: Vec<crate::services::tracking::datasets::ModelInputRow>,
}

impl From<RunRow> for Run {
    fn from(row: RunRow) -> Self {
        Run {
            run_id: row.run_id,
            experiment_id: row.experiment_num.to_string(),
            run_name: row.name,
            user_id: row.user_id,
            status: row.status,
            start_time: row.start_time,
            end_time: row.end_time,
            artifact_uri: row.artifact_uri,
            lifecycle_stage: row.lifecycle_stage,
            params: crate::services::registry::rows::sorted_tags(row.params),
            tags: crate::services::registry::rows::sorted_tags(row.tags),
            metrics: row.metrics.into_iter().map(Metric::from).collect(),
            outputs: row.outputs.into_iter().map(|o| ModelOutput { model_id: o.model_id, step: o.step }).collect(),
            inputs: row.inputs.into_iter().map(Into::into).collect(),
            model_inputs: row.model_inputs.into_iter().map(|m| m.model_id).collect(),
        }
    }
}

#[derive(Debug, Clone, SurrealValue)]
struct OutputRow {
    model_id: String,
    step: i64,
}

#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct MetricRow {
    key: String,
    value: f64,
    timestamp: i64,
    step: i64,
}

impl From<MetricRow> for Metric {
    fn from(m: MetricRow) -> Self {
        Metric::new(m.key, m.value, m.timestamp, m.step)
    }
}

impl Quiver {
    /// Starts a run. Its name comes from `run_name`, else the `mlflow.runName` tag, else one is made up.
    pub async fn create_run(
        &self,
        actor: &Actor,
        experiment_id: &str,
        run_name: Option<&str>,
        start_time: Option<i64>,
        tags: &[Tag],
    ) -> Result<Run> {
        let num = experiment_num(experiment_id)?;
        for t in tags {
            check_kv("tag", &t.key, &t.value, MAX_TAG_VALUE_LEN)?;
        }
        self.require_experiment(actor, InExperiment::Experiment(num), ExperimentLevel::Edit, "log runs into it")
            .await?;
        let run_id = hex::encode(rand::random::<[u8; 16]>());
        let name = run_name
            .filter(|n| !n.trim().is_empty())
            .map(str::to_string)
            .or_else(|| tags.iter().find(|t| t.key == "mlflow.runName").map(|t| t.value.clone()))
            .unwrap_or_else(|| format!("run-{}", &run_id[..8]));
        let mut all: Vec<Tag> = tags.iter().filter(|t| t.key != "mlflow.runName").cloned().collect();
        all.push(Tag { key: "mlflow.runName".into(), value: name.clone() });
        let tags: Vec<serde_json::Value> = crate::services::registry::models::dedup_tags(&all)
            .into_iter()
            .map(|t| serde_json::json!({"key": t.key, "value": t.value}))
            .collect();
        let sql = "BEGIN TRANSACTION;
            LET $exp = (SELECT id, artifact_location, lifecycle_stage FROM experiment WHERE num = $num LIMIT 1)[0];
            IF !$exp { THROW $no_experiment };
            IF $exp.lifecycle_stage != 'active' { THROW $deleted };
            LET $run = (CREATE ONLY run SET run_id = $run_id, experiment = $exp.id, name = $name, user_id = $user,
                status = 'RUNNING', start_time = $start, start_desc = 0 - $start, lifecycle_stage = 'active',
                artifact_uri = $exp.artifact_location + '/' + $run_id + '/artifacts' RETURN VALUE id);
            FOR $t IN $tags { CREATE run_tag SET owner = $run, key = $t.key, value = $t.value; };
            fn::sync_run($run);
            RETURN $run;
            COMMIT TRANSACTION;";
        let start = start_time.unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
        let no_experiment = throwable(&experiment_not_found(experiment_id));
        let deleted = crate::services::db::throwable(&Error::precondition(&format!(
            "Experiment {experiment_id} is deleted: restore it, or log runs into another experiment."
        )));
        self.write_content(
            || {
                self.q(sql)
                    .bind(("num", num))
                    .bind(("run_id", run_id.clone()))
                    .bind(("name", name.clone()))
                    .bind(("user", actor.principal.username.clone()))
                    .bind(("start", start))
                    .bind(("tags", tags.clone()))
                    .bind(("no_experiment", no_experiment.clone()))
                    .bind(("deleted", deleted.clone()))
            },
            crate::services::db::no_unique,
        )
        .await?;
        self.fetch_run(&run_id).await
    }

    /// Runs are read with CAN_READ on their experiment.
    pub async fn get_run(&self, actor: &Actor, run_id: &str) -> Result<Run> {
        self.require_run(actor, run_id, ExperimentLevel::Read, "read its runs").await?;
        self.fetch_run(run_id).await
    }

    /// The caller holds `need` on the experiment of the run `run_id`.
    pub(crate) async fn require_run(
        &self,
        actor: &Actor,
        run_id: &str,
        need: ExperimentLevel,
        what: &str,
    ) -> Result<()> {
        self.require_experiment(actor, InExperiment::Run(run_id), need, what).await
    }

    /// A run, unchecked: for callers that checked access another way.
    pub(crate) async fn fetch_run(&self, run_id: &str) -> Result<Run> {
        let sql = format!("SELECT {RUN_FIELDS} FROM run WHERE run_id = $run_id LIMIT 1;");
        let row: Option<RunRow> = self.answer(self.q(&sql).bind(("run_id", run_id.to_string()))).await?;
        Ok(row.ok_or_else(|| run_not_found(run_id))?.into())
    }

    /// Ends or renames a run.
    pub async fn update_run(
        &self,
        actor: &Actor,
        run_id: &str,
        status: Option<&str>,
        end_time: Option<i64>,
        run_name: Option<&str>,
    ) -> Result<Run> {
        if let Some(s) = status.filter(|s| !RUN_STATUSES.contains(s)) {
            return Err(Error::invalid("status", format!("'{s}' is not a run status.")));
        }
        self.require_run(actor, run_id, ExperimentLevel::Edit, "change its runs").await?;
        let sql = [
            "BEGIN TRANSACTION;",
            ACTIVE_RUN,
            "
            IF $status != NONE { UPDATE $run SET status = $status };
            IF $end_time != NONE { UPDATE $run SET end_time = $end_time };
            IF $name != NONE {
                UPDATE $run SET name = $name;
                DELETE run_tag WHERE owner = $run AND key = 'mlflow.runName';
                CREATE run_tag SET owner = $run, key = 'mlflow.runName', value = $name;
                fn::sync_run($run);
            };
            COMMIT TRANSACTION;",
        ]
        .concat();
        let name = run_name.filter(|n| !n.trim().is_empty()).map(str::to_string);
        self.write_content(
            || {
                self.q(&sql)
                    .bind(("run_id", run_id.to_string()))
                    .bind(("status", status.map(str::to_string)))
                    .bind(("end_time", end_time))
                    .bind(("name", name.clone()))
                    .bind(("no_run", throwable(&run_not_found(run_id))))
                    .bind(("inactive", inactive(run_id)))
            },
            crate::services::db::no_unique,
        )
        .await?;
        self.fetch_run(run_id).await
    }

    /// Deletes a run (MLflow's soft delete: searches skip it unless asked for deleted runs) or,
    /// with `deleted` false, restores it.
    pub async fn set_run_deleted(&self, actor: &Actor, run_id: &str, deleted: bool) -> Result<()> {
        let what = if deleted { "delete its runs" } else { "restore its runs" };
        self.require_run(actor, run_id, ExperimentLevel::Edit, what).await?;
        let sql = "BEGIN TRANSACTION;
            LET $run = (SELECT VALUE id FROM run WHERE run_id = $run_id LIMIT 1)[0];
            IF !$run { THROW $no_run };
            UPDATE $run SET lifecycle_stage = IF $deleted THEN 'deleted' ELSE 'active' END,
                deleted_time = IF $deleted THEN $now ELSE NONE END, deleted_with_experiment = NONE;
            COMMIT TRANSACTION;";
        let now = chrono::Utc::now().timestamp_millis();
        self.write_content(
            || {
                self.q(sql)
                    .bind(("run_id", run_id.to_string()))
                    .bind(("deleted", deleted))
                    .bind(("now", now))
                    .bind(("no_run", throwable(&run_not_found(run_id))))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }

    /// Params, metrics and tags of a run in one transaction. A param, once logged, keeps its
    /// value (as in MLflow); logging it again with another value is refused.
    pub async fn log_batch(&self, actor: &Actor, run_id: &str, batch: &RunBatch) -> Result<()> {
        if batch.metrics.len() + batch.params.len() + batch.tags.len() > MAX_BATCH {
            return Err(Error::invalid("metrics", format!("A batch holds at most {MAX_BATCH} entries.")));
        }
        for p in &batch.params {
            check_kv("param", &p.key, &p.value, MAX_PARAM_LEN)?;
        }
        for t in &batch.tags {
            check_kv("tag", &t.key, &t.value, MAX_TAG_VALUE_LEN)?;
        }
        for m in &batch.metrics {
            check_kv("metric", &m.key, "", 0)?;
            if let Some(id) = &m.model_id {
                crate::services::tracking::datasets::check_model_id(id).map_err(|_| {
                    Error::invalid("metrics", format!("The metric '{}' names no logged model: '{id}'.", m.key))
                })?;
            }
            if m.dataset_name.as_ref().is_some_and(|n| n.len() > 500)
                || m.dataset_digest.as_ref().is_some_and(|d| d.len() > 36)
            {
                return Err(Error::invalid("metrics", "A metric's dataset_name or dataset_digest is too long."));
            }
        }
        self.require_run(actor, run_id, ExperimentLevel::Edit, "log to its runs").await?;
        // A metric measured on a logged model also changes that model, which may live in
        // another experiment. A model that does not exist is refused by the write itself.
        let mut models: Vec<&str> = batch.metrics.iter().filter_map(|m| m.model_id.as_deref()).collect();
        models.sort_unstable();
        models.dedup();
        for id in models {
            let need = self.require_experiment(
                actor,
                InExperiment::LoggedModel(id),
                ExperimentLevel::Edit,
                "log its models' metrics",
            );
            match need.await {
                Err(e) if e.is(crate::error::ErrorKind::NotFound) => {}
                other => other?,
            }
        }
        let sql = [
            "BEGIN TRANSACTION;",
            ACTIVE_RUN,
            "
            FOR $p IN $params {
                LET $old = (SELECT VALUE value FROM run_param WHERE owner = $run AND key = $p.key LIMIT 1)[0];
                IF $old = NONE { CREATE run_param SET owner = $run, key = $p.key, value = $p.value }
                ELSE IF $old != $p.value { THROW $changed + $p.key };
            };
            FOR $t IN $tags {
                DELETE run_tag WHERE owner = $run AND key = $t.key;
                CREATE run_tag SET owner = $run, key = $t.key, value = $t.value;
            };
            FOR $m IN $metrics {
                CREATE run_metric SET owner = $run, key = $m.key, value = $m.value, timestamp = $m.timestamp, step = $m.step;
                LET $top = (SELECT id, value, timestamp, step FROM run_metric_latest WHERE owner = $run AND key = $m.key LIMIT 1)[0];
                IF !$top {
                    CREATE run_metric_latest SET owner = $run, key = $m.key, value = $m.value, timestamp = $m.timestamp, step = $m.step;
                } ELSE IF $m.step > $top.step OR ($m.step = $top.step AND ($m.timestamp > $top.timestamp
                        OR ($m.timestamp = $top.timestamp AND $m.value >= $top.value))) {
                    UPDATE $top.id SET value = $m.value, timestamp = $m.timestamp, step = $m.step;
                };
            };
            // MLflow 3: a value measuring a logged model also becomes the model's latest value of
            // that metric on that dataset, unless a later one is there.
            FOR $mm IN $model_metrics {
                LET $lm = (SELECT id, metrics FROM logged_model WHERE model_id = $mm.model_id LIMIT 1)[0];
                IF !$lm { THROW $no_model + $mm.model_id };
                LET $m = $mm.metric;
                LET $old = $lm.metrics[WHERE key = $m.key AND dataset_name = $m.dataset_name
                    AND dataset_digest = $m.dataset_digest][0];
                IF !$old OR $m.timestamp > $old.timestamp OR ($m.timestamp = $old.timestamp AND $m.step >= $old.step) {
                    LET $rest = $lm.metrics[WHERE !(key = $m.key AND dataset_name = $m.dataset_name
                        AND dataset_digest = $m.dataset_digest)];
                    IF !$old AND array::len($rest) >= $max_model_metrics { THROW $too_many + $mm.model_id };
                    UPDATE $lm.id SET metrics = array::push($rest, $m);
                };
            };
            fn::sync_run($run);
            COMMIT TRANSACTION;",
        ]
        .concat();
        let kv = |v: &[Tag]| -> Vec<serde_json::Value> {
            v.iter().map(|t| serde_json::json!({"key": t.key, "value": t.value})).collect()
        };
        let metrics: Vec<serde_json::Value> = batch
            .metrics
            .iter()
            .map(|m| {
                // JSON has no NaN or infinities; MLflow clients rarely send them. Store them as bounds.
                let value = if m.value.is_finite() {
                    m.value
                } else if m.value > 0.0 {
                    f64::MAX
                } else {
                    f64::MIN
                };
                serde_json::json!({"key": m.key, "value": value, "timestamp": m.timestamp, "step": m.step})
            })
            .collect();
        let model_metrics: Vec<serde_json::Value> = batch
            .metrics
            .iter()
            .zip(&metrics)
            .filter_map(|(m, stored)| {
                let id = m.model_id.as_ref()?;
                let mut metric = stored.clone();
                metric["run_id"] = serde_json::json!(run_id);
                // Left out when absent: JSON null would arrive as NULL, which `option<string>` refuses.
                for (key, value) in [("dataset_name", &m.dataset_name), ("dataset_digest", &m.dataset_digest)] {
                    if let Some(v) = value {
                        metric[key] = serde_json::json!(v);
                    }
                }
                Some(serde_json::json!({ "model_id": id, "metric": metric }))
            })
            .collect();
        let (params, tags) = (kv(&batch.params), kv(&batch.tags));
        let changed = crate::services::db::throwable(&Error::precondition("A param cannot change once logged: "));
        self.write_content(
            || {
                self.q(&sql)
                    .bind(("run_id", run_id.to_string()))
                    .bind(("params", params.clone()))
                    .bind(("tags", tags.clone()))
                    .bind(("metrics", metrics.clone()))
                    .bind(("changed", changed.clone()))
                    .bind(("model_metrics", model_metrics.clone()))
                    .bind(("max_model_metrics", MAX_MODEL_METRICS))
                    .bind(("no_model", throwable(&Error::not_found("No logged model "))))
                    .bind((
                        "too_many",
                        crate::services::db::throwable(&Error::precondition(&format!(
                            "A logged model has at most {MAX_MODEL_METRICS} metrics (by key and dataset); this one is full: "
                        ))),
                    ))
                    .bind(("no_run", throwable(&run_not_found(run_id))))
                    .bind(("inactive", inactive(run_id)))
            },
            crate::services::db::no_unique,
        )
        .await
        .map_err(|e| {
            let param = e.is(crate::error::ErrorKind::FailedPrecondition) && e.message.starts_with("A param");
            if param { Error::invalid("params", e.message) } else { e }
        })?;
        Ok(())
    }

    pub async fn delete_run_tag(&self, actor: &Actor, run_id: &str, key: &str) -> Result<()> {
        self.require_run(actor, run_id, ExperimentLevel::Edit, "change its runs' tags").await?;
        let sql = [
            "BEGIN TRANSACTION;",
            ACTIVE_RUN,
            "
            DELETE run_tag WHERE owner = $run AND key = $key;
            fn::sync_run($run);
            COMMIT TRANSACTION;",
        ]
        .concat();
        self.write_content(
            || {
                self.q(&sql)
                    .bind(("run_id", run_id.to_string()))
                    .bind(("key", key.to_string()))
                    .bind(("no_run", throwable(&run_not_found(run_id))))
                    .bind(("inactive", inactive(run_id)))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }

    /// Records the models a run produced (`runs/outputs`).
    pub async fn log_outputs(&self, actor: &Actor, run_id: &str, outputs: &[ModelOutput]) -> Result<()> {
        self.require_run(actor, run_id, ExperimentLevel::Edit, "log to its runs").await?;
        let sql = [
            "BEGIN TRANSACTION;",
            ACTIVE_RUN,
            "
            FOR $o IN $outputs {
                DELETE run_output WHERE owner = $run AND model_id = $o.model_id;
                CREATE run_output SET owner = $run, model_id = $o.model_id, step = $o.step;
            };
            COMMIT TRANSACTION;",
        ]
        .concat();
        let outputs: Vec<serde_json::Value> =
            outputs.iter().map(|o| serde_json::json!({"model_id": o.model_id, "step": o.step})).collect();
        self.write_content(
            || {
                self.q(&sql)
                    .bind(("run_id", run_id.to_string()))
                    .bind(("outputs", outputs.clone()))
                    .bind(("no_run", throwable(&run_not_found(run_id))))
                    .bind(("inactive", inactive(run_id)))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }

    /// The history of one metric of a run, oldest step first.
    pub async fn metric_history(&self, actor: &Actor, run_id: &str, key: &str, limit: i64) -> Result<Vec<Metric>> {
        self.require_run(actor, run_id, ExperimentLevel::Read, "read its runs").await?;
        let sql = "LET $run = (SELECT VALUE id FROM run WHERE run_id = $run_id LIMIT 1)[0];
             RETURN {
                 found: $run != NONE,
                 rows: (SELECT key, value, timestamp, step FROM run_metric WHERE owner = $run AND key = $key
                     ORDER BY step, timestamp LIMIT $limit),
             };";
        let query =
            self.q(sql).bind(("run_id", run_id.to_string())).bind(("key", key.to_string())).bind(("limit", limit));
        #[derive(SurrealValue)]
        struct History {
            found: bool,
            rows: Vec<MetricRow>,
        }
        match self.answer::<Option<History>>(query).await? {
            Some(History { found: true, rows }) => Ok(rows.into_iter().map(Metric::from).collect()),
            _ => Err(run_not_found(run_id)),
        }
    }
}

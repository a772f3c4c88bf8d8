//! What connects the registry to training: the run a version was trained in, and the versions
//! registered from a run, for the version and run pages.

use surrealdb::types::SurrealValue;

use crate::error::{ErrorKind, Result};
use crate::filter::{Expr, Field, Op, Value};
use crate::names::{ModelPath, VersionRef};
use crate::services::Quiver;
use crate::services::governance::Actor;
use crate::services::tracking::lookup::experiment_num;
use crate::services::tracking::{MetricHistory, RunDetails, TrainingRun};

/// Most versions listed on a run's page (one run is rarely registered more than a few times).
const MAX_REGISTERED: i64 = 100;
/// Most points of one metric a run page draws.
pub const MAX_CHART_POINTS: usize = 200;
/// Most history points read for one run page (a run logging more shows the first ones).
const MAX_HISTORY_ROWS: i64 = 50_000;

#[derive(Debug, SurrealValue)]
struct PointRow {
    key: String,
    step: i64,
    value: f64,
}

/// `None` for what does not exist, other errors as they are.
fn absent_if_missing<T>(found: Result<T>) -> Result<Option<T>> {
    match found {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

impl Quiver {
    /// The run a version was trained in: the run it names, else the run that logged its model.
    /// `None` when it names neither or the run is not in Quiver (trained against another server);
    /// PermissionDenied when the caller may read the version but not the run's experiment.
    pub async fn version_run(&self, actor: &Actor, path: &ModelPath, at: &VersionRef) -> Result<Option<TrainingRun>> {
        let v = self.get_version_ref(actor, path, at).await?;
        let run_id = match (v.run_id, v.model_id) {
            (Some(run_id), _) => run_id,
            (None, Some(model_id)) => match absent_if_missing(self.fetch_logged_model(&model_id).await)? {
                Some(logged) => match logged.source_run_id {
                    Some(run_id) => run_id,
                    None => return Ok(None),
                },
                None => return Ok(None),
            },
            (None, None) => return Ok(None),
        };
        let Some(run) = absent_if_missing(self.get_run(actor, &run_id).await)? else { return Ok(None) };
        let experiment_name = self.fetch_experiment(experiment_num(&run.experiment_id)?).await?.name;
        Ok(Some(TrainingRun { run, experiment_name }))
    }

    /// A run with its experiment's name, the versions registered from it that the caller may
    /// see and the models it logged (each newest first, at most [`MAX_REGISTERED`]).
    pub async fn run_details(&self, actor: &Actor, run_id: &str) -> Result<RunDetails> {
        let run = self.get_run(actor, run_id).await?;
        let experiment = experiment_num(&run.experiment_id)?;
        let experiment_name = self.fetch_experiment(experiment).await?.name;
        let from_run = Expr::Cmp { field: Field::RunId, op: Op::Eq, value: Value::Str(run.run_id.clone()) };
        let order = ["creation_timestamp DESC".to_string()];
        let versions = self.search_model_versions(actor, Some(&from_run), &order, MAX_REGISTERED, None).await?;
        let histories = self.metric_histories(&run.run_id).await?;
        let models = self.run_logged_models(&run.run_id, experiment, MAX_REGISTERED).await?;
        Ok(RunDetails { training: TrainingRun { run, experiment_name }, versions: versions.items, histories, models })
    }

    /// Every metric of a run logged at two or more points, by key, in one read of its history
    /// (the index `run_metric_key` holds it in this order).
    async fn metric_histories(&self, run_id: &str) -> Result<Vec<MetricHistory>> {
        let sql = "LET $run = (SELECT VALUE id FROM run WHERE run_id = $run_id LIMIT 1)[0];
            SELECT key, step, `value` FROM run_metric WHERE owner = $run ORDER BY key, step, timestamp LIMIT $limit;";
        let query = self.q(sql).bind(("run_id", run_id.to_string())).bind(("limit", MAX_HISTORY_ROWS));
        let rows: Vec<PointRow> = self.answer(query).await?;
        let mut out: Vec<MetricHistory> = Vec::new();
        let mut points = Vec::new();
        let mut rows = rows.into_iter().peekable();
        while let Some(r) = rows.next() {
            points.push((r.step, r.value));
            if rows.peek().is_none_or(|next| next.key != r.key) {
                if points.len() >= 2 {
                    out.push(MetricHistory::thinned(r.key, std::mem::take(&mut points), MAX_CHART_POINTS));
                }
                points.clear();
            }
        }
        Ok(out)
    }
}

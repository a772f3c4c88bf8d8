//! What connects the registry to training: the run a version was trained in, and the versions
//! registered from a run, for the version and run pages.

use super::Quiver;
use crate::error::{ErrorKind, Result};
use crate::filter::{Expr, Field, Op, Value};
use crate::names::{ModelPath, VersionRef};
use crate::tracking::{RunDetails, TrainingRun};
use crate::types::Actor;

/// Most versions listed on a run's page (one run is rarely registered more than a few times).
const MAX_REGISTERED: i64 = 100;

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
    /// `None` when it names neither or the run is not in Quiver (trained against another server).
    pub async fn version_run(&self, actor: &Actor, path: &ModelPath, at: &VersionRef) -> Result<Option<TrainingRun>> {
        let v = self.get_version_ref(actor, path, at).await?;
        let run_id = match (v.run_id, v.model_id) {
            (Some(run_id), _) => run_id,
            (None, Some(model_id)) => match absent_if_missing(self.get_logged_model(actor, &model_id).await)? {
                Some(logged) => match logged.source_run_id {
                    Some(run_id) => run_id,
                    None => return Ok(None),
                },
                None => return Ok(None),
            },
            (None, None) => return Ok(None),
        };
        let Some(run) = absent_if_missing(self.get_run(actor, &run_id).await)? else { return Ok(None) };
        let experiment_name = self.get_experiment(actor, &run.experiment_id).await?.name;
        Ok(Some(TrainingRun { run, experiment_name }))
    }

    /// A run with its experiment's name and the versions registered from it that the caller may
    /// see (newest first, at most [`MAX_REGISTERED`]).
    pub async fn run_details(&self, actor: &Actor, run_id: &str) -> Result<RunDetails> {
        let run = self.get_run(actor, run_id).await?;
        let experiment_name = self.get_experiment(actor, &run.experiment_id).await?.name;
        let from_run = Expr::Cmp { field: Field::RunId, op: Op::Eq, value: Value::Str(run.run_id.clone()) };
        let order = ["creation_timestamp DESC".to_string()];
        let versions = self.search_model_versions(actor, Some(&from_run), &order, MAX_REGISTERED, None).await?;
        Ok(RunDetails { training: TrainingRun { run, experiment_name }, versions: versions.items })
    }
}

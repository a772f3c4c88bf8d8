//! Who may read and write which artifacts. Files live under their experiment's number
//! (`<num>/<run_id>/artifacts/…`, `<num>/models/<m-id>/artifacts/…`), so the caller's level on
//! that experiment decides: CAN_READ to list and download, CAN_EDIT to upload and delete. A file
//! inside the artifacts of a model version the caller may read (EXECUTE on the model) is
//! readable too: loading `models:/prod.ml.fraud@Champion` needs no access to the experiment the
//! model was trained in. Registering a version from a run, a logged model or an artifact path
//! needs CAN_READ on its experiment, so registration never opens files the registrant could
//! not read.

use surrealdb::types::SurrealValue;

use crate::error::{Error, ErrorKind, Result};
use crate::names::ModelPath;
use crate::services::Quiver;
use crate::services::governance::Actor;
use crate::services::governance::access::Target;
use crate::services::governance::privileges::{Operation, SecurableType};
use crate::services::storage::paths::in_experiment;
use crate::services::tracking::ExperimentLevel;
use crate::services::tracking::access::InExperiment;

/// Most versions looked at when a file may be readable through the registry.
const MAX_CANDIDATES: i64 = 100;

#[derive(Debug, Clone, SurrealValue)]
struct CandidateRow {
    full_name: String,
    model_id: Option<String>,
    source: String,
}

impl Quiver {
    /// Allows reading (`write` false) or writing the artifact at `relative`, or refuses it.
    pub async fn authorize_artifact(&self, actor: &Actor, relative: &str, write: bool) -> Result<()> {
        if actor.principal.admin {
            return Ok(());
        }
        if actor.principal.user_id.is_empty() {
            return Err(Error::permission_denied("Sign in first."));
        }
        let Some((num, rel)) = in_experiment(relative)? else {
            return Err(Error::permission_denied(format!(
                "'{relative}' is not inside an experiment's artifacts; only administrators may use it."
            )));
        };
        let (need, what) = if write {
            (ExperimentLevel::Edit, "upload or delete its artifacts")
        } else {
            (ExperimentLevel::Read, "read its artifacts")
        };
        let thing = InExperiment::Experiment(num);
        let level = match self.experiment_access(actor, thing).await {
            Ok(access) => access.level,
            Err(e) if e.is(ErrorKind::NotFound) => {
                return Err(Error::not_found(format!("There is no experiment {num} to hold '{rel}'.")));
            }
            Err(e) => return Err(e),
        };
        if level.is_some_and(|l| l >= need) || (!write && self.readable_through_registry(actor, &rel).await?) {
            return Ok(());
        }
        // Refused: said (and audited) the way every experiment refusal is.
        self.require_experiment(actor, thing, need, what).await
    }

    /// Whether `rel` lies inside the artifacts of a model version the caller may read.
    async fn readable_through_registry(&self, actor: &Actor, rel: &str) -> Result<bool> {
        let parts: Vec<&str> = rel.split('/').collect();
        let (sql, key) = match parts.as_slice() {
            [_, "models", id, ..] => ("model_id", id.to_string()),
            [_, run_id, ..] => ("run_id", run_id.to_string()),
            _ => return Ok(false),
        };
        let sql = format!(
            "SELECT model.full_name AS full_name, model_id, source FROM model_version WHERE {sql} = $key LIMIT $limit"
        );
        let query = self.q(&sql).bind(("key", key)).bind(("limit", MAX_CANDIDATES));
        let rows: Vec<CandidateRow> = self.answer(query).await?;
        for row in rows {
            let Ok(path) = ModelPath::parse_full(&row.full_name) else { continue };
            let Ok(uri) = self.artifact_uri_of(actor, row.model_id, row.source).await else { continue };
            let Some(folder) = uri.strip_prefix("mlflow-artifacts:").map(|f| f.trim_matches('/')) else { continue };
            let inside = rel == folder || rel.starts_with(&format!("{folder}/"));
            if inside
                && self
                    .holdings(actor, Target::Model(&path))
                    .await?
                    .denial(Operation::GetVersion, SecurableType::Model)
                    .is_none()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Registering from a run, a logged model or an artifact path of Quiver's needs CAN_READ on
    /// its experiment. Sources elsewhere (`s3://…`), and runs or models Quiver does not hold
    /// (their ids are Quiver's random ones, so none can appear later), are the client's business;
    /// an artifact path must name an experiment that exists, in canonical form.
    pub(crate) async fn require_source_readable(
        &self,
        actor: &Actor,
        model_id: Option<&str>,
        run_id: Option<&str>,
        source: &str,
    ) -> Result<()> {
        if actor.principal.admin {
            return Ok(());
        }
        let what = "register a model version from it";
        let mut things: Vec<InExperiment> = Vec::new();
        things.extend(model_id.map(InExperiment::LoggedModel));
        things.extend(run_id.map(InExperiment::Run));
        if let Some(m) = source.strip_prefix("models:/").filter(|m| m.starts_with("m-")) {
            things.push(InExperiment::LoggedModel(m.split('/').next().unwrap_or(m)));
        }
        if let Some(rest) = source.strip_prefix("runs:/") {
            things.push(InExperiment::Run(rest.split('/').next().unwrap_or(rest)));
        }
        for thing in things {
            match self.require_experiment(actor, thing, ExperimentLevel::Read, what).await {
                Err(e) if e.is(ErrorKind::NotFound) => {}
                other => other?,
            }
        }
        if let Some(rest) = source.strip_prefix("mlflow-artifacts:") {
            let Some((num, _)) = in_experiment(rest)? else {
                return Err(Error::permission_denied(format!(
                    "'{source}' is not inside an experiment's artifacts; only administrators may register from it."
                )));
            };
            self.require_experiment(actor, InExperiment::Experiment(num), ExperimentLevel::Read, what).await?;
        }
        Ok(())
    }
}

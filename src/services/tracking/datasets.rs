//! The datasets runs use (MLflow's `runs/log-inputs`: `mlflow.log_input` and autologging), and
//! the logged models they take as inputs.

use surrealdb::types::SurrealValue;

use crate::error::{Error, Result};
use crate::services::Quiver;
use crate::services::db::throwable;
use crate::services::governance::Actor;
use crate::services::registry::Tag;
use crate::services::registry::rows::TagRow;
use crate::services::tracking::lookup::{ACTIVE_RUN, inactive, run_not_found};
use crate::services::tracking::{Dataset, DatasetInput, ExperimentLevel};

/// MLflow's limits (`mlflow/utils/validation.py`).
const MAX_INPUTS: usize = 1000;
const MAX_NAME: usize = 500;
const MAX_DIGEST: usize = 36;
const MAX_SOURCE: usize = 65_535;
const MAX_SCHEMA: usize = 1_048_575;
const MAX_PROFILE: usize = 16_777_215;
const MAX_TAG_KEY: usize = 255;
const MAX_TAG_VALUE: usize = 500;

/// A run input as read with the run.
#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct InputRow {
    tags: Vec<TagRow>,
    dataset: DatasetRow,
}

#[derive(Debug, Clone, SurrealValue)]
struct DatasetRow {
    name: String,
    digest: String,
    source_type: String,
    source: String,
    data_schema: Option<String>,
    profile: Option<String>,
}

impl From<InputRow> for DatasetInput {
    fn from(r: InputRow) -> Self {
        let d = r.dataset;
        DatasetInput {
            tags: r.tags.into_iter().map(Into::into).collect(),
            dataset: Dataset {
                name: d.name,
                digest: d.digest,
                source_type: d.source_type,
                source: d.source,
                schema: d.data_schema,
                profile: d.profile,
            },
        }
    }
}

#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct ModelInputRow {
    pub(crate) model_id: String,
}

fn check_len(field: &str, value: &str, max: usize) -> Result<()> {
    if value.chars().count() > max {
        return Err(Error::invalid(field, format!("'{field}' exceeds the maximum length of {max}.")));
    }
    Ok(())
}

fn check_input(input: &DatasetInput) -> Result<()> {
    let d = &input.dataset;
    if d.name.trim().is_empty() || d.digest.trim().is_empty() {
        return Err(Error::invalid("datasets", "A dataset needs a name and a digest."));
    }
    if d.source_type.trim().is_empty() {
        return Err(Error::invalid("datasets", "A dataset needs a source_type."));
    }
    check_len("name", &d.name, MAX_NAME)?;
    check_len("digest", &d.digest, MAX_DIGEST)?;
    check_len("source", &d.source, MAX_SOURCE)?;
    check_len("schema", d.schema.as_deref().unwrap_or(""), MAX_SCHEMA)?;
    check_len("profile", d.profile.as_deref().unwrap_or(""), MAX_PROFILE)?;
    for t in &input.tags {
        if t.key.is_empty() {
            return Err(Error::invalid("tags", "An input tag needs a key."));
        }
        check_len("key", &t.key, MAX_TAG_KEY)?;
        check_len("value", &t.value, MAX_TAG_VALUE)?;
    }
    Ok(())
}

/// `m-` and 32 hex digits, as logged model ids are.
pub(crate) fn check_model_id(id: &str) -> Result<()> {
    let hex = id.strip_prefix("m-").unwrap_or("");
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::invalid("models", format!("'{id}' is not a logged model id.")));
    }
    Ok(())
}

impl Quiver {
    /// Records the datasets and logged models a run used, in one transaction. A dataset is
    /// stored once per experiment by name and digest; logging it again for the same run changes
    /// nothing (the first logging's tags stay), as in MLflow.
    pub async fn log_inputs(
        &self,
        actor: &Actor,
        run_id: &str,
        datasets: &[DatasetInput],
        models: &[String],
    ) -> Result<()> {
        if datasets.len() + models.len() > MAX_INPUTS {
            return Err(Error::invalid("datasets", format!("At most {MAX_INPUTS} inputs are logged at once.")));
        }
        datasets.iter().try_for_each(check_input)?;
        models.iter().try_for_each(|m| check_model_id(m))?;
        self.require_run(actor, run_id, ExperimentLevel::Edit, "log to its runs").await?;
        let sql = [
            "BEGIN TRANSACTION;",
            ACTIVE_RUN,
            "
            LET $r = { id: $run, experiment: $found.experiment };
            FOR $d IN $datasets {
                LET $found = (SELECT VALUE id FROM dataset
                    WHERE experiment = $r.experiment AND name = $d.name AND digest = $d.digest LIMIT 1)[0];
                LET $ds = IF $found THEN $found ELSE (CREATE ONLY dataset SET experiment = $r.experiment,
                    name = $d.name, digest = $d.digest, source_type = $d.source_type, source = $d.source,
                    data_schema = $d.schema, profile = $d.profile, created_at = time::now() RETURN VALUE id) END;
                IF !(SELECT VALUE id FROM run_input WHERE run = $r.id AND dataset = $ds LIMIT 1)[0] {
                    CREATE run_input SET run = $r.id, dataset = $ds, tags = $d.tags, at = $at, pos = $d.pos;
                };
            };
            FOR $m IN $models {
                IF !(SELECT VALUE id FROM run_model_input WHERE run = $r.id AND model_id = $m LIMIT 1)[0] {
                    CREATE run_model_input SET run = $r.id, model_id = $m, at = $at;
                };
            };
            IF $datasets != [] OR $models != [] { fn::sync_run_inputs($r.id) };
            COMMIT TRANSACTION;",
        ]
        .concat();
        let tags = |tags: &[Tag]| -> Vec<serde_json::Value> {
            tags.iter().map(|t| serde_json::json!({"key": t.key, "value": t.value})).collect()
        };
        let datasets: Vec<serde_json::Value> = datasets
            .iter()
            .enumerate()
            .map(|(pos, i)| {
                let d = &i.dataset;
                let mut row = serde_json::json!({
                    "name": d.name, "digest": d.digest, "source_type": d.source_type, "source": d.source,
                    "tags": tags(&i.tags), "pos": pos,
                });
                // Left out when absent: JSON null would arrive as NULL, which `option<string>` refuses.
                for (key, value) in [("schema", &d.schema), ("profile", &d.profile)] {
                    if let Some(v) = value {
                        row[key] = serde_json::json!(v);
                    }
                }
                row
            })
            .collect();
        let at = chrono::Utc::now().timestamp_millis();
        self.write_content(
            || {
                self.q(&sql)
                    .bind(("run_id", run_id.to_string()))
                    .bind(("datasets", datasets.clone()))
                    .bind(("models", models.to_vec()))
                    .bind(("at", at))
                    .bind(("no_run", throwable(&run_not_found(run_id))))
                    .bind(("inactive", inactive(run_id)))
            },
            // Two runs logging a new dataset at once: the loser's transaction conflicts and is
            // retried; a violation surfacing anyway means the same.
            |_| Error::precondition("The dataset was being logged by another run at the same time; try again."),
        )
        .await?;
        Ok(())
    }
}

//! MLflow tracking objects (experiments, runs, logged models), as the services return them.
//! Timestamps are milliseconds since the epoch, as MLflow clients send and expect them.

use serde::{Deserialize, Serialize};

use crate::services::registry::Tag;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    /// A number, as a string ("0" is the Default experiment).
    pub experiment_id: String,
    pub name: String,
    pub artifact_location: String,
    pub lifecycle_stage: String,
    pub creation_time: i64,
    pub last_update_time: i64,
    /// By key. `mlflow.note.content` is the experiment's description (markdown).
    pub tags: Vec<Tag>,
}

impl Experiment {
    /// The description MLflow keeps in the `mlflow.note.content` tag.
    pub fn description(&self) -> Option<&str> {
        self.tags.iter().find(|t| t.key == NOTE_TAG).map(|t| t.value.as_str()).filter(|d| !d.trim().is_empty())
    }
}

/// The tag MLflow keeps an experiment's or run's description in.
pub const NOTE_TAG: &str = "mlflow.note.content";

/// A dataset a run used (MLflow's `mlflow.log_input`, and autologging): what identifies it
/// (name and digest, unique within an experiment) and what describes it, as the client sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub name: String,
    /// A short hash of the data, computed by the client.
    pub digest: String,
    /// "local", "http", "s3", "delta_table", "code", …
    pub source_type: String,
    /// JSON describing where the data came from.
    pub source: String,
    /// JSON (MLflow's `mlflow_colspec`), when known.
    pub schema: Option<String>,
    /// JSON (e.g. `{"num_rows": 150, "num_elements": 750}`), when known.
    pub profile: Option<String>,
}

impl Dataset {
    /// `num_rows` from the profile, when it says.
    pub fn rows(&self) -> Option<u64> {
        let profile: serde_json::Value = serde_json::from_str(self.profile.as_deref()?).ok()?;
        profile.get("num_rows")?.as_u64()
    }

    /// The columns the schema names, with their types: MLflow's `mlflow_colspec` (tables) or
    /// `mlflow_tensorspec` (tensors, typed by dtype and shape). Empty when it says none.
    pub fn columns(&self) -> Vec<(String, String)> {
        let Some(schema) = self.schema.as_deref().and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        else {
            return Vec::new();
        };
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let specs = ["mlflow_colspec", "mlflow_tensorspec"].iter().find_map(|k| schema.get(*k)?.as_array());
        specs
            .map(|specs| {
                specs
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let name = c.get("name").map(text).unwrap_or_else(|| format!("column {}", i + 1));
                        let kind = match (c.get("type"), c.get("tensor-spec")) {
                            (Some(t), _) if t.as_str() != Some("tensor") => text(t),
                            (_, Some(spec)) => format!(
                                "tensor {} {}",
                                spec.get("dtype").map(text).unwrap_or_default(),
                                spec.get("shape").map(text).unwrap_or_default()
                            ),
                            (Some(t), None) => text(t),
                            (None, None) => String::new(),
                        };
                        (name, kind)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Where the data came from, when the source says (`uri`, `url`, `path` or `table_name`).
    pub fn location(&self) -> Option<String> {
        let source: serde_json::Value = serde_json::from_str(&self.source).ok()?;
        ["uri", "url", "path", "table_name"].iter().find_map(|k| source.get(*k)?.as_str().map(str::to_string))
    }
}

/// A dataset as one run used it; tags say how (`mlflow.data.context`: training, eval, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetInput {
    pub tags: Vec<Tag>,
    pub dataset: Dataset,
}

impl DatasetInput {
    /// The `mlflow.data.context` tag: "training", "eval", …
    pub fn context(&self) -> Option<&str> {
        self.tags.iter().find(|t| t.key == "mlflow.data.context").map(|t| t.value.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub key: String,
    pub value: f64,
    pub timestamp: i64,
    pub step: i64,
    /// MLflow 3: the logged model this value measures (it is logged to the run too), and the
    /// dataset it was measured on.
    #[serde(default)]
    pub model_id: Option<String>,
    #[serde(default)]
    pub dataset_name: Option<String>,
    #[serde(default)]
    pub dataset_digest: Option<String>,
}

impl Metric {
    /// A value of a run's metric, linked to no logged model.
    pub fn new(key: impl Into<String>, value: f64, timestamp: i64, step: i64) -> Metric {
        Metric { key: key.into(), value, timestamp, step, model_id: None, dataset_name: None, dataset_digest: None }
    }
}

/// The latest value of a metric logged for a logged model (MLflow 3's `LoggedModel.metrics`), per
/// dataset: the greatest timestamp, then step. Every value is in the run's history too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMetric {
    pub key: String,
    pub value: f64,
    pub timestamp: i64,
    pub step: i64,
    /// The run that logged it.
    pub run_id: String,
    pub dataset_name: Option<String>,
    pub dataset_digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelOutput {
    pub model_id: String,
    pub step: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub run_id: String,
    pub experiment_id: String,
    pub run_name: String,
    pub user_id: String,
    pub status: String,
    pub start_time: i64,
    pub end_time: Option<i64>,
    pub artifact_uri: String,
    pub lifecycle_stage: String,
    pub params: Vec<Tag>,
    pub tags: Vec<Tag>,
    /// The latest value of each metric.
    pub metrics: Vec<Metric>,
    pub outputs: Vec<ModelOutput>,
    /// The datasets the run used (`runs/log-inputs`), in the order first logged.
    pub inputs: Vec<DatasetInput>,
    /// The logged models the run used as inputs (their ids).
    pub model_inputs: Vec<String>,
}

/// The run a model version was trained in, and its experiment's name (the version page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingRun {
    pub run: Run,
    pub experiment_name: String,
}

/// A run's page: the run, the model versions registered from it, and its metrics' histories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDetails {
    pub training: TrainingRun,
    pub versions: Vec<crate::services::registry::ModelVersion>,
    /// Metrics logged at two or more points, by key.
    pub histories: Vec<MetricHistory>,
    /// The models the run logged (MLflow 3), newest first.
    pub models: Vec<LoggedModel>,
}

/// A metric's values by step, as a chart draws them: at most a few hundred points, thinned
/// evenly from longer histories (the first and last kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricHistory {
    pub key: String,
    /// (step, value), in step order.
    pub points: Vec<(i64, f64)>,
    /// How many points were logged.
    pub logged: usize,
}

impl MetricHistory {
    /// At most `max` (≥ 2) of `points`, evenly spread, the first and last always among them.
    pub fn thinned(key: String, points: Vec<(i64, f64)>, max: usize) -> MetricHistory {
        let logged = points.len();
        let points =
            if logged <= max { points } else { (0..max).map(|i| points[i * (logged - 1) / (max - 1)]).collect() };
        MetricHistory { key, points, logged }
    }
}

/// Which runs a search returns, by lifecycle stage (MLflow's `run_view_type`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunView {
    #[default]
    ActiveOnly,
    DeletedOnly,
    All,
}

impl RunView {
    /// MLflow's names (`ACTIVE_ONLY`, `DELETED_ONLY`, `ALL`) or their proto numbers (1, 2, 3).
    pub fn parse(s: &str) -> Option<RunView> {
        match s.trim().to_ascii_uppercase().as_str() {
            "ACTIVE_ONLY" | "1" => Some(RunView::ActiveOnly),
            "DELETED_ONLY" | "2" => Some(RunView::DeletedOnly),
            "ALL" | "3" => Some(RunView::All),
            _ => None,
        }
    }
}

/// What a run logs in one call (`runs/log-batch`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunBatch {
    pub metrics: Vec<Metric>,
    pub params: Vec<Tag>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedModel {
    /// `m-` and 32 hex digits.
    pub model_id: String,
    pub experiment_id: String,
    pub name: String,
    pub source_run_id: Option<String>,
    pub status: String,
    pub model_type: String,
    pub artifact_uri: String,
    pub creation_timestamp_ms: i64,
    pub last_updated_timestamp_ms: i64,
    pub tags: Vec<Tag>,
    pub params: Vec<Tag>,
    /// The latest value of each metric per dataset, in the order first logged.
    pub metrics: Vec<ModelMetric>,
}

impl LoggedModel {
    /// The latest value of each metric (by timestamp, then step) per dataset, by key: what a
    /// table of models shows.
    pub fn latest_metrics(&self) -> Vec<&ModelMetric> {
        let mut latest: Vec<&ModelMetric> = Vec::new();
        for m in &self.metrics {
            match latest.iter_mut().find(|l| l.key == m.key && l.dataset_name == m.dataset_name) {
                Some(l) if (m.timestamp, m.step) >= (l.timestamp, l.step) => *l = m,
                Some(_) => {}
                None => latest.push(m),
            }
        }
        latest.sort_by(|a, b| (&a.key, &a.dataset_name).cmp(&(&b.key, &b.dataset_name)));
        latest
    }
}

pub const RUN_STATUSES: [&str; 5] = ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"];
pub const LOGGED_MODEL_STATUSES: [&str; 4] =
    ["LOGGED_MODEL_STATUS_UNSPECIFIED", "LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED"];

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(schema: Option<&str>, profile: Option<&str>, source: &str) -> Dataset {
        Dataset {
            name: "iris".into(),
            digest: "5a5c68bf".into(),
            source_type: "local".into(),
            source: source.into(),
            schema: schema.map(str::to_string),
            profile: profile.map(str::to_string),
        }
    }

    #[test]
    fn a_dataset_describes_itself_from_what_mlflow_sent() {
        // As `mlflow.data.from_pandas` writes them.
        let d = dataset(
            Some(
                r#"{"mlflow_colspec": [{"type": "double", "name": "sepal length (cm)", "required": true},
                {"type": "long", "name": "target", "required": true}]}"#,
            ),
            Some(r#"{"num_rows": 150, "num_elements": 750}"#),
            r#"{"uri": "/data/iris.csv"}"#,
        );
        assert_eq!(d.rows(), Some(150));
        assert_eq!(
            d.columns(),
            vec![("sepal length (cm)".to_string(), "double".to_string()), ("target".into(), "long".into())]
        );
        assert_eq!(d.location().as_deref(), Some("/data/iris.csv"));
        // A numpy dataset's tensor spec.
        let t =
            dataset(Some(r#"{"mlflow_tensorspec": {"features": "x"}}"#), None, r#"{"tags": {"mlflow.user": "ana"}}"#);
        assert!(t.columns().is_empty());
        let t = dataset(
            Some(
                r#"{"mlflow_tensorspec": [{"name": "features", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}]}"#,
            ),
            None,
            "{}",
        );
        assert_eq!(t.columns(), vec![("features".to_string(), "tensor float64 [-1,4]".to_string())]);
        // Nothing to say: no guesses.
        let bare = dataset(None, Some("not json"), "not json");
        assert_eq!((bare.rows(), bare.columns(), bare.location()), (None, vec![], None));
    }

    #[test]
    fn an_experiments_description_is_its_note_tag() {
        let mut e = Experiment {
            experiment_id: "1".into(),
            name: "churn".into(),
            artifact_location: "mlflow-artifacts:/1".into(),
            lifecycle_stage: "active".into(),
            creation_time: 0,
            last_update_time: 0,
            tags: vec![Tag { key: "team".into(), value: "growth".into() }],
        };
        assert_eq!(e.description(), None);
        e.tags.push(Tag { key: NOTE_TAG.into(), value: "  ".into() });
        assert_eq!(e.description(), None, "a blank note is no description");
        e.tags[1].value = "Weekly *churn* model".into();
        assert_eq!(e.description(), Some("Weekly *churn* model"));
    }

    #[test]
    fn a_logged_models_table_shows_the_latest_value_per_metric_and_dataset() {
        let m = |key: &str, value: f64, timestamp: i64, step: i64, dataset: Option<&str>| ModelMetric {
            key: key.into(),
            value,
            timestamp,
            step,
            run_id: "r".into(),
            dataset_name: dataset.map(str::to_string),
            dataset_digest: None,
        };
        let model = LoggedModel {
            model_id: "m-1".into(),
            experiment_id: "1".into(),
            name: "lr".into(),
            source_run_id: None,
            status: "LOGGED_MODEL_READY".into(),
            model_type: String::new(),
            artifact_uri: String::new(),
            creation_timestamp_ms: 0,
            last_updated_timestamp_ms: 0,
            tags: vec![],
            params: vec![],
            metrics: vec![
                m("acc", 0.8, 5, 0, Some("eval")),
                m("acc", 0.9, 9, 0, Some("eval")),
                m("acc", 0.7, 9, 0, None),
                m("acc", 0.1, 1, 3, Some("eval")),
                m("loss", 0.3, 2, 0, None),
            ],
        };
        let latest: Vec<(&str, f64, Option<&str>)> =
            model.latest_metrics().iter().map(|m| (m.key.as_str(), m.value, m.dataset_name.as_deref())).collect();
        assert_eq!(latest, [("acc", 0.7, None), ("acc", 0.9, Some("eval")), ("loss", 0.3, None)]);
    }
}

//! MLflow tracking objects (experiments, runs, logged models), as the services return them.
//! Timestamps are milliseconds since the epoch, as MLflow clients send and expect them.

use serde::{Deserialize, Serialize};

use crate::types::Tag;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    /// A number, as a string ("0" is the Default experiment).
    pub experiment_id: String,
    pub name: String,
    pub artifact_location: String,
    pub lifecycle_stage: String,
    pub creation_time: i64,
    pub last_update_time: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub key: String,
    pub value: f64,
    pub timestamp: i64,
    pub step: i64,
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
    pub versions: Vec<crate::types::ModelVersion>,
    /// Metrics logged at two or more points, by key.
    pub histories: Vec<MetricHistory>,
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
}

pub const RUN_STATUSES: [&str; 5] = ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"];
pub const LOGGED_MODEL_STATUSES: [&str; 4] =
    ["LOGGED_MODEL_STATUS_UNSPECIFIED", "LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED"];

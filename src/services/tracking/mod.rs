//! MLflow tracking: what training code logs, and who may see it.
//!
//! - `experiments` (create, find, rename, delete, restore, tags), `runs` (params, metrics,
//!   tags, model outputs), `search` (runs and experiments, MLflow's filters), `datasets`
//!   (run inputs), `logged_models` (MLflow 3's `m-…` models), `lineage` (versions ↔ runs,
//!   metric charts); `lookup` holds the ids and checks these share.
//! - `permissions` (Databricks' experiment levels, shared with the browser) and `access` (the
//!   check every tracking call goes through).

mod permissions;
mod types;
pub use permissions::*;
pub use types::*;

#[cfg(feature = "server")]
pub(crate) mod access;
#[cfg(feature = "server")]
pub(crate) mod datasets;
#[cfg(feature = "server")]
pub(crate) mod experiments;
#[cfg(feature = "server")]
pub(crate) mod lineage;
#[cfg(feature = "server")]
pub(crate) mod logged_models;
#[cfg(feature = "server")]
pub(crate) mod lookup;
#[cfg(feature = "server")]
pub(crate) mod runs;
#[cfg(feature = "server")]
pub(crate) mod search;

#[cfg(feature = "server")]
pub use lineage::MAX_CHART_POINTS;
#[cfg(feature = "server")]
pub use logged_models::{DatasetRef, MAX_LOGGED_MODELS_PER_SEARCH};
#[cfg(feature = "server")]
pub use search::{MAX_RUNS_PER_SEARCH, RunSearch};

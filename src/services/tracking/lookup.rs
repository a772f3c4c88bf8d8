//! What the tracking services share: experiment ids, the errors naming a missing experiment,
//! run or logged model, the key/value checks of params and tags, and the SurrealQL that finds
//! a run that may still change.

use crate::error::{Error, Result};

/// Longest param, tag or metric key.
const MAX_KEY_LEN: usize = 250;

/// Experiment ids are numbers.
pub(crate) fn experiment_num(id: &str) -> Result<i64> {
    id.trim().parse::<i64>().map_err(|_| Error::invalid("experiment_id", format!("'{id}' is not an experiment id.")))
}

pub(crate) fn experiment_not_found(id: &str) -> Error {
    Error::not_found(format!("No experiment with id '{id}'."))
}

/// A key of 1 to 250 characters (no `..`, no leading `/`, no control characters) and a value of
/// at most `max_value` characters.
pub(crate) fn check_kv(what: &str, key: &str, value: &str, max_value: usize) -> Result<()> {
    if key.is_empty() || key.chars().count() > MAX_KEY_LEN {
        return Err(Error::invalid("key", format!("A {what} key must have 1 to {MAX_KEY_LEN} characters.")));
    }
    if key.contains("..") || key.starts_with('/') || key.chars().any(char::is_control) {
        return Err(Error::invalid("key", format!("The {what} key '{key}' is not valid.")));
    }
    if value.chars().count() > max_value {
        return Err(Error::invalid("value", format!("A {what} value must be at most {max_value} characters.")));
    }
    Ok(())
}

pub(crate) fn run_not_found(id: &str) -> Error {
    Error::not_found(format!("Run '{id}' not found."))
}

/// Finds the run `$run_id` as `$run`, throwing `$no_run` when there is none and `$inactive` when
/// it is deleted: like MLflow, a deleted run takes no more params, metrics, tags or outputs.
pub(crate) const ACTIVE_RUN: &str = "
    LET $found = (SELECT id, lifecycle_stage, experiment FROM run WHERE run_id = $run_id LIMIT 1)[0];
    IF !$found { THROW $no_run };
    IF $found.lifecycle_stage != 'active' { THROW $inactive };
    LET $run = $found.id;";

/// What `$inactive` throws.
pub(crate) fn inactive(run_id: &str) -> String {
    crate::services::db::throwable(&Error::precondition(&format!(
        "Run {run_id} is deleted: restore it before changing it."
    )))
}

pub(crate) fn logged_model_not_found(id: &str) -> Error {
    Error::not_found(format!("Logged model '{id}' not found."))
}

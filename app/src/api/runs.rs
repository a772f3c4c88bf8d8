use leptos::prelude::*;
use quiver::tracking::RunDetails;

#[cfg(feature = "ssr")]
use super::ctx::{actor, quiver};
use crate::error::AppResult;

/// A run (MLflow tracking) and the model versions registered from it.
#[server]
pub async fn get_run_details(run_id: String) -> AppResult<RunDetails> {
    Ok(quiver().run_details(&actor()?, run_id.trim()).await?)
}

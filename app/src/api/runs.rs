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

/// An experiment and one page of its runs, newest first.
#[server]
pub async fn experiment_runs(
    experiment_id: String,
    page_token: Option<String>,
) -> AppResult<(quiver::tracking::Experiment, quiver::types::Page<quiver::tracking::RunSummary>)> {
    let page = quiver::types::PageRequest { max_results: Some(50), page_token };
    Ok(quiver().experiment_runs(&actor()?, &experiment_id, &page).await?)
}

/// One page of experiments, newest first.
#[server]
pub async fn list_experiments(
    page_token: Option<String>,
) -> AppResult<quiver::types::Page<quiver::tracking::Experiment>> {
    let page = quiver::types::PageRequest { max_results: Some(50), page_token };
    Ok(quiver().experiments_page(&actor()?, &page).await?)
}

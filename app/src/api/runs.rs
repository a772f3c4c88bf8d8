use leptos::prelude::*;
use quiver::services::tracking::RunDetails;

use crate::error::AppResult;

#[cfg(feature = "ssr")]
use super::ctx::{actor, quiver};

/// A run (MLflow tracking) and the model versions registered from it.
#[server]
pub async fn get_run_details(run_id: String) -> AppResult<RunDetails> {
    Ok(quiver().run_details(&actor()?, run_id.trim()).await?)
}

/// What the experiment page shows, read in one call so the page renders (and hydrates) as one.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExperimentView {
    pub experiment: super::Described<quiver::services::tracking::Experiment>,
    /// One page of runs, or why the filter or order does not parse.
    pub runs: AppResult<quiver::services::paging::Page<quiver::services::tracking::Run>>,
    pub access: ExperimentAccessView,
}

/// An experiment (its description rendered), one page of its runs matching `filter` (MLflow's
/// search_runs syntax) in `order` (one `order_by` entry; newest first when empty), and who may
/// use it. A filter or order that does not parse comes back as the inner error, with the
/// experiment, so the page can show it by its field.
#[server]
pub async fn experiment_runs(
    experiment_id: String,
    filter: String,
    order: String,
    page_token: Option<String>,
) -> AppResult<ExperimentView> {
    use quiver::filter::{Entity, parse, run_order};
    let (q, actor) = (quiver(), actor()?);
    let parsed = parse(&filter, Entity::Runs).and_then(|f| {
        let order = if order.trim().is_empty() { vec![] } else { vec![run_order(&order)?] };
        Ok((f, order))
    });
    let (filter, order) = match parsed {
        Ok(parsed) => parsed,
        // Not `into()`: that would also answer the call with 400, and the call succeeds.
        Err(e) => {
            let experiment = described(q.get_experiment(&actor, &experiment_id).await?);
            let access = access_view(&q, &actor, &experiment_id).await?;
            return Ok(ExperimentView { experiment, runs: Err(crate::error::AppError(e)), access });
        }
    };
    let search = quiver::services::tracking::RunSearch {
        filter: filter.as_ref(),
        order: &order,
        limit: 50,
        page_token: page_token.as_deref(),
        ..Default::default()
    };
    let (experiment, mut runs) = q.experiment_runs(&actor, &experiment_id, &search).await?;
    // The table shows each dataset's name and role: its schema and profile (up to megabytes
    // each) stay on the server.
    for input in runs.items.iter_mut().flat_map(|r| r.inputs.iter_mut()) {
        (input.dataset.schema, input.dataset.profile) = (None, None);
    }
    let access = access_view(&q, &actor, &experiment_id).await?;
    Ok(ExperimentView { experiment: described(experiment), runs: Ok(runs), access })
}

/// An experiment with its description (the `mlflow.note.content` tag) rendered.
#[cfg(feature = "ssr")]
fn described(e: quiver::services::tracking::Experiment) -> super::Described<quiver::services::tracking::Experiment> {
    let note = e.description().unwrap_or_default().to_string();
    super::described(e, &note)
}

/// One page of experiments, newest first.
#[server]
pub async fn list_experiments(
    page_token: Option<String>,
) -> AppResult<quiver::services::paging::Page<quiver::services::tracking::Experiment>> {
    let page = quiver::services::paging::PageRequest { max_results: Some(50), page_token };
    Ok(quiver().experiments_page(&actor()?, &page).await?)
}

/// The caller's level on an experiment and, for those who manage it, who else may use it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExperimentAccessView {
    pub level: Option<quiver::services::tracking::ExperimentLevel>,
    pub permissions: Option<quiver::services::tracking::ExperimentPermissions>,
}

/// The caller's level and, for a manager, the experiment's permissions.
#[cfg(feature = "ssr")]
async fn access_view(
    q: &quiver::Quiver,
    actor: &quiver::services::governance::Actor,
    experiment_id: &str,
) -> quiver::error::Result<ExperimentAccessView> {
    use quiver::services::tracking::ExperimentLevel;
    let level = q.my_experiment_level(actor, experiment_id).await?;
    let permissions = if level == Some(ExperimentLevel::Manage) {
        Some(q.experiment_permissions(actor, experiment_id).await?)
    } else {
        None
    };
    Ok(ExperimentAccessView { level, permissions })
}

/// Gives `principal` a level on the experiment, or (`None`) takes it away.
#[server]
pub async fn change_experiment_permission(
    experiment_id: String,
    principal: String,
    level: Option<quiver::services::tracking::ExperimentLevel>,
) -> AppResult<quiver::services::tracking::ExperimentPermissions> {
    let change = quiver::services::tracking::ExperimentGrantChange { principal, level };
    Ok(quiver().update_experiment_permissions(&actor()?, &experiment_id, &[change], false).await?)
}

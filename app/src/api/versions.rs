use leptos::prelude::*;
use quiver::services::paging::Page;
use quiver::services::registry::ModelVersion;

use super::Described;
use crate::error::AppResult;

#[cfg(feature = "ssr")]
use super::ctx::{actor, quiver};
#[cfg(feature = "ssr")]
use quiver::names::ModelPath;
#[cfg(feature = "ssr")]
use quiver::services::paging::PageRequest;

#[server]
pub async fn list_versions(
    catalog: String,
    schema: String,
    model: String,
    page_token: Option<String>,
    max_results: Option<u32>,
) -> AppResult<VersionsPage> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    let actor = actor()?;
    let page = quiver().list_versions(&actor, &path, &PageRequest { max_results, page_token }).await?;
    let numbers: Vec<i64> = page.items.iter().map(|v| v.version).collect();
    let checks = quiver().check_rollups(&actor, &path, &numbers).await?;
    Ok(VersionsPage { page, checks })
}

/// A page of a model's versions and their checks counted by outcome.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct VersionsPage {
    pub page: Page<ModelVersion>,
    pub checks: Vec<(i64, quiver::services::governance::CheckRollup)>,
}

/// A version named by number (`3`) or alias (`Champion`).
#[server]
pub async fn get_version(
    catalog: String,
    schema: String,
    model: String,
    version: String,
) -> AppResult<Described<ModelVersion>> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    let at = quiver::names::VersionRef::parse(&version)?;
    let v = quiver().get_version_ref(&actor()?, &path, &at).await?;
    let text = v.description.clone();
    Ok(super::described(v, &text))
}

/// Copies a version to the model named `target` (`catalog.schema.model`).
#[server]
pub async fn copy_version(
    catalog: String,
    schema: String,
    model: String,
    version: i64,
    target: String,
    create_target: bool,
) -> AppResult<ModelVersion> {
    let from = ModelPath::new(&catalog, &schema, &model)?;
    let to = ModelPath::parse_full(target.trim()).map_err(|mut e| {
        e.field = Some("target".into());
        e
    })?;
    Ok(quiver().copy_version(&actor()?, &from, version, &to, create_target).await?)
}

/// The form for registering a version by hand; optional fields arrive as empty strings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VersionForm {
    pub source: String,
    pub run_id: String,
    pub run_link: String,
    pub description: String,
    pub signature_inputs: String,
    pub signature_outputs: String,
}

#[server]
pub async fn create_version(
    catalog: String,
    schema: String,
    model: String,
    form: VersionForm,
) -> AppResult<ModelVersion> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    let opt = |s: String| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let new = quiver::services::registry::NewVersion {
        source: form.source.trim().to_string(),
        run_id: opt(form.run_id),
        run_link: opt(form.run_link),
        description: form.description,
        signature_inputs: opt(form.signature_inputs),
        signature_outputs: opt(form.signature_outputs),
        status: None,
        model_id: None,
        tags: Vec::new(),
    };
    Ok(quiver().create_version(&actor()?, &path, new).await?)
}

#[server]
pub async fn update_version(
    catalog: String,
    schema: String,
    model: String,
    version: i64,
    description: String,
) -> AppResult<ModelVersion> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    Ok(quiver().update_version(&actor()?, &path, version, &description).await?)
}

#[server]
pub async fn delete_version(catalog: String, schema: String, model: String, version: i64) -> AppResult<()> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    Ok(quiver().delete_version(&actor()?, &path, version).await?)
}

/// Where the version's artifacts are, and their files when Quiver stores them.
#[server]
pub async fn version_files(
    catalog: String,
    schema: String,
    model: String,
    version: String,
) -> AppResult<quiver::services::storage::VersionFiles> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    let at = quiver::names::VersionRef::parse(&version)?;
    Ok(quiver().version_files(&actor()?, &path, &at).await?)
}

/// Attaches (or replaces) a version's signature (`model.sig`) and answers what it says.
#[server]
pub async fn attach_signature(
    catalog: String,
    schema: String,
    model: String,
    version: String,
    bundle: String,
) -> AppResult<quiver::services::storage::SignatureCheck> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    let at = quiver::names::VersionRef::parse(&version)?;
    let actor = actor()?;
    let number = quiver().get_version_ref(&actor, &path, &at).await?.version;
    Ok(quiver().attach_signature(&actor, &path, number, &bundle).await?)
}

/// The run the version was trained in (params, latest metrics), when Quiver tracked it.
#[server]
pub async fn version_run(
    catalog: String,
    schema: String,
    model: String,
    version: String,
) -> AppResult<Option<quiver::services::tracking::TrainingRun>> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    let at = quiver::names::VersionRef::parse(&version)?;
    Ok(quiver().version_run(&actor()?, &path, &at).await?)
}

/// A version's deployment checks, each with its summary rendered (sanitized) for the page.
#[server]
pub async fn version_checks(
    catalog: String,
    schema: String,
    model: String,
    version: String,
) -> AppResult<Vec<Described<quiver::services::governance::VersionCheck>>> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    let n = match quiver::names::VersionRef::parse(&version)? {
        quiver::names::VersionRef::Number(n) => n,
        at => quiver().get_version_ref(&actor()?, &path, &at).await?.version,
    };
    let checks = quiver().version_checks(&actor()?, &path, n).await?;
    Ok(checks
        .into_iter()
        .map(|c| {
            let summary = c.summary.clone().unwrap_or_default();
            super::described(c, &summary)
        })
        .collect())
}

/// Versions `a` and `b` of a model side by side (numbers or aliases).
#[server]
pub async fn compare_versions(
    catalog: String,
    schema: String,
    model: String,
    a: String,
    b: String,
) -> AppResult<quiver::services::registry::Comparison> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    let (a, b) = (
        quiver::names::VersionRef::parse(a.trim())
            .map_err(|e| quiver::error::Error { field: Some("a".into()), ..e })?,
        quiver::names::VersionRef::parse(b.trim())
            .map_err(|e| quiver::error::Error { field: Some("b".into()), ..e })?,
    );
    Ok(quiver().compare_versions(&actor()?, &path, &a, &b).await?)
}

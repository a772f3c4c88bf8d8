use leptos::prelude::*;
use quiver::services::paging::Page;
use quiver::services::registry::{Activity, Comment};

use crate::error::AppResult;

#[cfg(feature = "ssr")]
use super::ctx::{actor, quiver};
#[cfg(feature = "ssr")]
use quiver::names::ModelPath;
#[cfg(feature = "ssr")]
use quiver::services::paging::PageRequest;

/// The number of the version named `version` (a number or an alias), None for the model itself.
#[cfg(feature = "ssr")]
async fn version_number(path: &ModelPath, version: Option<String>) -> Result<Option<i64>, crate::error::AppError> {
    use quiver::names::VersionRef;
    match version.as_deref().map(VersionRef::parse).transpose()? {
        None => Ok(None),
        Some(VersionRef::Number(n)) => Ok(Some(n)),
        Some(r) => Ok(Some(quiver().get_version_ref(&actor()?, path, &r).await?.version)),
    }
}

/// The thread of a model, or of a version (`version`: its number or an alias).
#[server]
pub async fn list_comments(
    catalog: String,
    schema: String,
    model: String,
    version: Option<String>,
    page_token: Option<String>,
) -> AppResult<Page<Comment>> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    Ok(quiver()
        .list_comments(
            &actor()?,
            &path,
            version_number(&path, version).await?,
            &PageRequest { max_results: Some(50), page_token },
        )
        .await?)
}

#[server]
pub async fn add_comment(
    catalog: String,
    schema: String,
    model: String,
    version: Option<String>,
    body: String,
) -> AppResult<Comment> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    Ok(quiver().add_comment(&actor()?, &path, version_number(&path, version).await?, &body).await?)
}

#[server]
pub async fn edit_comment(
    catalog: String,
    schema: String,
    model: String,
    id: String,
    body: String,
) -> AppResult<Comment> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    Ok(quiver().edit_comment(&actor()?, &path, &id, &body).await?)
}

#[server]
pub async fn delete_comment(catalog: String, schema: String, model: String, id: String) -> AppResult<()> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    Ok(quiver().delete_comment(&actor()?, &path, &id).await?)
}

/// The activity of a model, or of one version (`version`: its number or an alias).
#[server]
pub async fn list_activity(
    catalog: String,
    schema: String,
    model: String,
    version: Option<String>,
    page_token: Option<String>,
) -> AppResult<Page<Activity>> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    Ok(quiver()
        .list_activity(
            &actor()?,
            &path,
            version_number(&path, version).await?,
            &PageRequest { max_results: Some(50), page_token },
        )
        .await?)
}

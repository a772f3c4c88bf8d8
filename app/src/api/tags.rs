use leptos::prelude::*;
use quiver::services::registry::Tag;

use crate::error::AppResult;

#[cfg(feature = "ssr")]
use super::ctx::{actor, quiver};
#[cfg(feature = "ssr")]
use quiver::names::ModelPath;
#[cfg(feature = "ssr")]
use quiver::services::registry::TagTarget;

#[cfg(feature = "ssr")]
fn target(version: Option<i64>) -> TagTarget {
    version.map_or(TagTarget::Model, TagTarget::Version)
}

/// Sets a tag on the model (`version` None) or on one of its versions.
#[server]
pub async fn set_tag(
    catalog: String,
    schema: String,
    model: String,
    version: Option<i64>,
    key: String,
    value: String,
) -> AppResult<Vec<Tag>> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    Ok(quiver().set_tag(&actor()?, &path, target(version), key.trim(), &value).await?)
}

#[server]
pub async fn delete_tag(
    catalog: String,
    schema: String,
    model: String,
    version: Option<i64>,
    key: String,
) -> AppResult<Vec<Tag>> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    Ok(quiver().delete_tag(&actor()?, &path, target(version), &key).await?)
}

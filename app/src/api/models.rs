use leptos::prelude::*;
use quiver::services::paging::Page;
use quiver::services::registry::RegisteredModel;

use super::Described;
use crate::error::AppResult;

#[cfg(feature = "ssr")]
use super::ctx::{actor, quiver};
#[cfg(feature = "ssr")]
use quiver::services::paging::PageRequest;

/// Models of a schema; `filter` keeps names containing it (case-insensitive), `tag` models
/// carrying a tag (`key` or `key=value`).
#[server]
pub async fn list_models(
    catalog: String,
    schema: String,
    filter: Option<String>,
    tag: Option<String>,
    page_token: Option<String>,
    max_results: Option<u32>,
) -> AppResult<Page<RegisteredModel>> {
    let page = PageRequest { max_results, page_token };
    let tag = tag.filter(|t| !t.trim().is_empty());
    let (tag_key, tag_value) = match tag.as_deref().map(|t| t.split_once('=')) {
        None => (None, None),
        Some(None) => (tag.clone(), None),
        Some(Some((k, v))) => (Some(k.to_string()), Some(v.to_string())),
    };
    let filter = quiver::services::registry::ModelFilter { name: filter, tag_key, tag_value };
    Ok(quiver().list_models(&actor()?, &catalog, &schema, &filter, &page).await?)
}

#[server]
pub async fn get_model(catalog: String, schema: String, name: String) -> AppResult<Described<RegisteredModel>> {
    let m = quiver().get_model(&actor()?, &quiver::names::ModelPath::new(&catalog, &schema, &name)?).await?;
    let text = m.description.clone();
    Ok(super::described(m, &text))
}

#[server]
pub async fn rename_model(
    catalog: String,
    schema: String,
    name: String,
    new_name: String,
) -> AppResult<RegisteredModel> {
    let path = quiver::names::ModelPath::new(&catalog, &schema, &name)?;
    Ok(quiver().rename_model(&actor()?, &path, new_name.trim()).await?)
}

/// Models across catalogs matching `q` (name fragments, `key=value` tags, `@alias`).
#[server]
pub async fn search_models(q: String, page_token: Option<String>) -> AppResult<Page<RegisteredModel>> {
    Ok(quiver().search_models(&actor()?, &q, &PageRequest { max_results: Some(25), page_token }).await?)
}

#[server]
pub async fn create_model(
    catalog: String,
    schema: String,
    name: String,
    description: String,
) -> AppResult<RegisteredModel> {
    Ok(quiver().create_model(&actor()?, &catalog, &schema, &name, &description).await?)
}

#[server]
pub async fn update_model(
    catalog: String,
    schema: String,
    name: String,
    description: String,
) -> AppResult<RegisteredModel> {
    let path = quiver::names::ModelPath::new(&catalog, &schema, &name)?;
    Ok(quiver().update_model(&actor()?, &path, &description).await?)
}

#[server]
pub async fn delete_model(catalog: String, schema: String, name: String) -> AppResult<()> {
    Ok(quiver().delete_model(&actor()?, &quiver::names::ModelPath::new(&catalog, &schema, &name)?).await?)
}

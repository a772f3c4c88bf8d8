use leptos::prelude::*;
use quiver::types::{Page, RegisteredModel};

#[cfg(feature = "ssr")]
use super::ctx::{actor, quiver};
use crate::error::AppResult;
#[cfg(feature = "ssr")]
use quiver::types::PageRequest;

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
    let filter = quiver::types::ModelFilter { name: filter, tag_key, tag_value };
    Ok(quiver().list_models(&actor()?, &catalog, &schema, &filter, &page).await?)
}

#[server]
pub async fn get_model(catalog: String, schema: String, name: String) -> AppResult<RegisteredModel> {
    Ok(quiver().get_model(&actor()?, &quiver::names::ModelPath::new(&catalog, &schema, &name)?).await?)
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

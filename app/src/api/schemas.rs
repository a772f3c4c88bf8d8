use leptos::prelude::*;
use quiver::services::paging::Page;
use quiver::services::registry::Schema;

use super::Described;
use crate::error::AppResult;

#[cfg(feature = "ssr")]
use super::ctx::{actor, quiver};
#[cfg(feature = "ssr")]
use quiver::services::paging::PageRequest;

#[server]
pub async fn list_schemas(
    catalog: String,
    page_token: Option<String>,
    max_results: Option<u32>,
) -> AppResult<Page<Schema>> {
    Ok(quiver().list_schemas(&actor()?, &catalog, &PageRequest { max_results, page_token }).await?)
}

#[server]
pub async fn get_schema(catalog: String, name: String) -> AppResult<Described<Schema>> {
    let s = quiver().get_schema(&actor()?, &catalog, &name).await?;
    let text = s.description.clone();
    Ok(super::described(s, &text))
}

#[server]
pub async fn create_schema(catalog: String, name: String, description: String) -> AppResult<Schema> {
    Ok(quiver().create_schema(&actor()?, &catalog, &name, &description).await?)
}

#[server]
pub async fn update_schema(catalog: String, name: String, description: String) -> AppResult<Schema> {
    Ok(quiver().update_schema(&actor()?, &catalog, &name, &description).await?)
}

#[server]
pub async fn delete_schema(catalog: String, name: String, cascade: bool) -> AppResult<()> {
    Ok(quiver().delete_schema(&actor()?, &catalog, &name, cascade).await?)
}

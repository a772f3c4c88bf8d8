use leptos::prelude::*;
use quiver::services::paging::Page;
use quiver::services::registry::Catalog;

use super::Described;
use crate::error::AppResult;

#[cfg(feature = "ssr")]
use super::ctx::{actor, quiver};
#[cfg(feature = "ssr")]
use quiver::services::paging::PageRequest;

#[server]
pub async fn list_catalogs(page_token: Option<String>, max_results: Option<u32>) -> AppResult<Page<Catalog>> {
    Ok(quiver().list_catalogs(&actor()?, &PageRequest { max_results, page_token }).await?)
}

#[server]
pub async fn get_catalog(name: String) -> AppResult<Described<Catalog>> {
    let c = quiver().get_catalog(&actor()?, &name).await?;
    let text = c.description.clone();
    Ok(super::described(c, &text))
}

#[server]
pub async fn create_catalog(name: String, description: String) -> AppResult<Catalog> {
    Ok(quiver().create_catalog(&actor()?, &name, &description).await?)
}

#[server]
pub async fn update_catalog(name: String, description: String) -> AppResult<Catalog> {
    Ok(quiver().update_catalog(&actor()?, &name, &description).await?)
}

#[server]
pub async fn delete_catalog(name: String, cascade: bool) -> AppResult<()> {
    Ok(quiver().delete_catalog(&actor()?, &name, cascade).await?)
}

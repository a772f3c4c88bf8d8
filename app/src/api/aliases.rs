use leptos::prelude::*;
use quiver::services::paging::Page;
use quiver::services::registry::{AliasEvent, AliasesAt, ModelVersion};

use crate::error::AppResult;

#[cfg(feature = "ssr")]
use super::ctx::{actor, quiver};
#[cfg(feature = "ssr")]
use quiver::names::ModelPath;
#[cfg(feature = "ssr")]
use quiver::services::paging::PageRequest;

#[server]
pub async fn set_alias(
    catalog: String,
    schema: String,
    model: String,
    alias: String,
    version: i64,
) -> AppResult<ModelVersion> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    Ok(quiver().set_alias(&actor()?, &path, alias.trim(), version).await?)
}

#[server]
pub async fn delete_alias(catalog: String, schema: String, model: String, alias: String) -> AppResult<()> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    Ok(quiver().delete_alias(&actor()?, &path, &alias).await?)
}

#[server]
pub async fn alias_history(
    catalog: String,
    schema: String,
    model: String,
    page_token: Option<String>,
) -> AppResult<Page<AliasEvent>> {
    let path = ModelPath::new(&catalog, &schema, &model)?;
    Ok(quiver().alias_history(&actor()?, &path, None, &PageRequest { max_results: Some(50), page_token }).await?)
}

/// The aliases as they were at `at`: a `datetime-local` value (`2026-11-23T14:05`, read as UTC)
/// or an RFC 3339 time.
#[server]
pub async fn aliases_as_of(catalog: String, schema: String, model: String, at: String) -> AppResult<AliasesAt> {
    use chrono::{DateTime, NaiveDateTime, Utc};
    let path = ModelPath::new(&catalog, &schema, &model)?;
    let at = at.trim();
    let when = DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S").map(|t| t.and_utc()))
        .or_else(|_| NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M").map(|t| t.and_utc()))
        .map_err(|_| quiver::error::Error::invalid("at", "Pick a date and time."))?;
    Ok(quiver().aliases_at(&actor()?, &path, when).await?)
}

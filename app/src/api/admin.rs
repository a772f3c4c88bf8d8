//! Server functions for the admin pages: users, groups, service principals, the audit log.

use leptos::prelude::*;
use quiver::services::governance::{AuditEntry, AuditFilter, Group, NewAccessToken, User};
use quiver::services::paging::Page;

use crate::error::AppResult;

#[cfg(feature = "ssr")]
use quiver::services::paging::PageRequest;

#[cfg(feature = "ssr")]
use super::ctx::{actor, quiver};

#[server]
pub async fn list_users() -> AppResult<Vec<User>> {
    Ok(quiver().list_users(&actor()?).await?)
}

#[server]
pub async fn create_user(username: String, password: String, admin: bool) -> AppResult<User> {
    Ok(quiver().create_user(&actor()?, &username, &password, admin).await?)
}

#[server]
pub async fn set_user_disabled(username: String, disabled: bool) -> AppResult<()> {
    Ok(quiver().set_user_disabled(&actor()?, &username, disabled).await?)
}

#[server]
pub async fn list_groups() -> AppResult<Vec<Group>> {
    Ok(quiver().list_groups(&actor()?).await?)
}

#[server]
pub async fn create_group(name: String) -> AppResult<Group> {
    Ok(quiver().create_group(&actor()?, &name).await?)
}

#[server]
pub async fn add_group_member(group: String, username: String) -> AppResult<Group> {
    Ok(quiver().add_group_member(&actor()?, &group, &username).await?)
}

#[server]
pub async fn remove_group_member(group: String, username: String) -> AppResult<Group> {
    Ok(quiver().remove_group_member(&actor()?, &group, &username).await?)
}

#[server]
pub async fn create_service_principal(name: String) -> AppResult<User> {
    Ok(quiver().create_service_principal(&actor()?, &name).await?)
}

#[server]
pub async fn create_service_principal_token(name: String, token_name: String) -> AppResult<NewAccessToken> {
    Ok(quiver().create_service_principal_token(&actor()?, &name, &token_name, Some(365)).await?)
}

#[server]
pub async fn list_audit(filter: AuditFilter, page_token: Option<String>) -> AppResult<Page<AuditEntry>> {
    let page = PageRequest { max_results: Some(50), page_token };
    Ok(quiver().list_audit(&actor()?, &filter, &page).await?)
}

/// Artifact storage in use and the quotas (administrators).
#[server]
pub async fn artifact_usage() -> AppResult<quiver::services::storage::ArtifactUsage> {
    Ok(quiver().artifact_usage(&actor()?, 20).await?)
}

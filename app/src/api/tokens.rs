use leptos::prelude::*;
use quiver::services::governance::{AccessToken, NewAccessToken};

use crate::error::AppResult;

#[cfg(feature = "ssr")]
use super::ctx::{actor, quiver};

#[server]
pub async fn list_tokens() -> AppResult<Vec<AccessToken>> {
    Ok(quiver().list_tokens(&actor()?).await?)
}

/// Creates a personal access token; `expires_in_days` 0 means it never expires.
#[server]
pub async fn create_token(name: String, expires_in_days: u32) -> AppResult<NewAccessToken> {
    let days = (expires_in_days > 0).then_some(expires_in_days);
    Ok(quiver().create_token(&actor()?, &name, days).await?)
}

#[server]
pub async fn revoke_token(id: String) -> AppResult<()> {
    Ok(quiver().revoke_token(&actor()?, &id).await?)
}

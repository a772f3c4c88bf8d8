//! Server functions for the keys trusted to sign a catalog's, schema's or model's versions.

use leptos::prelude::*;
use quiver::services::governance::privileges::SecurableType;
use quiver::services::governance::{NewSigningKey, SigningKey, SigningKeysView};

use crate::error::AppResult;

#[cfg(feature = "ssr")]
use super::ctx::{actor, quiver};
#[cfg(feature = "ssr")]
use quiver::services::governance::Securable;

#[server]
pub async fn list_signing_keys(kind: SecurableType, full_name: String) -> AppResult<SigningKeysView> {
    let s = Securable::parse(kind, &full_name)?;
    Ok(quiver().list_signing_keys(&actor()?, &s).await?)
}

#[server]
pub async fn add_signing_key(kind: SecurableType, full_name: String, key: NewSigningKey) -> AppResult<SigningKey> {
    let s = Securable::parse(kind, &full_name)?;
    Ok(quiver().add_signing_key(&actor()?, &s, &key).await?)
}

#[server]
pub async fn revoke_signing_key(kind: SecurableType, full_name: String, name: String) -> AppResult<SigningKey> {
    let s = Securable::parse(kind, &full_name)?;
    Ok(quiver().revoke_signing_key(&actor()?, &s, &name).await?)
}

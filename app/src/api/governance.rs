//! Server functions for grants, ownership, principals and what the caller may do.

use leptos::prelude::*;
use quiver::services::governance::PrincipalInfo;
use quiver::services::governance::privileges::{
    EffectivePrivilege, Operation, PermissionsChange, PrivilegeAssignment, SecurableType,
};

use crate::error::AppResult;

#[cfg(feature = "ssr")]
use super::ctx::{actor, quiver};
#[cfg(feature = "ssr")]
use quiver::services::governance::Securable;

#[server]
pub async fn get_permissions(kind: SecurableType, full_name: String) -> AppResult<Vec<PrivilegeAssignment>> {
    let s = Securable::parse(kind, &full_name)?;
    Ok(quiver().get_permissions(&actor()?, &s, None).await?)
}

/// Grants `change.add` and revokes `change.remove` for one principal.
#[server]
pub async fn change_permissions(
    kind: SecurableType,
    full_name: String,
    change: PermissionsChange,
) -> AppResult<Vec<PrivilegeAssignment>> {
    let s = Securable::parse(kind, &full_name)?;
    Ok(quiver().update_permissions(&actor()?, &s, &[change]).await?)
}

#[server]
pub async fn effective_permissions(
    kind: SecurableType,
    full_name: String,
    principal: String,
) -> AppResult<Vec<EffectivePrivilege>> {
    let s = Securable::parse(kind, &full_name)?;
    Ok(quiver().effective_permissions(&actor()?, &s, &principal).await?)
}

#[server]
pub async fn transfer_ownership(kind: SecurableType, full_name: String, owner: String) -> AppResult<()> {
    let s = Securable::parse(kind, &full_name)?;
    Ok(quiver().transfer_ownership(&actor()?, &s, &owner).await?)
}

/// Names a grant on the object can go to (for those who may grant there).
#[server]
pub async fn list_principals(kind: SecurableType, full_name: String) -> AppResult<Vec<PrincipalInfo>> {
    let s = Securable::parse(kind, &full_name)?;
    Ok(quiver().list_principals(&actor()?, Some(&s)).await?)
}

/// Names a grant on the experiment can go to (for those who manage its permissions).
#[server]
pub async fn list_experiment_principals(experiment_id: String) -> AppResult<Vec<PrincipalInfo>> {
    Ok(quiver().experiment_principals(&actor()?, &experiment_id).await?)
}

/// What the caller may not do to the object, with the reason for each.
#[server]
pub async fn my_denials(kind: SecurableType, full_name: String) -> AppResult<Vec<(Operation, String)>> {
    let s = Securable::parse(kind, &full_name)?;
    Ok(quiver().denials(&actor()?, s.target()).await?)
}

//! Databricks' permissions API for experiments, `/api/2.0/permissions/experiments/{id}`: `GET`
//! the access control list, `PATCH` to grant or change levels (Quiver also takes
//! `NO_PERMISSIONS` there, to revoke one), `PUT` to replace the list. CAN_MANAGE may use it.
//!
//! ```json
//! {"access_control_list": [{"user_name": "dana", "permission_level": "CAN_EDIT"},
//!                          {"group_name": "ml-team", "permission_level": "CAN_READ"}]}
//! ```

use app::AppState;
use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use quiver::error::Error;
use quiver::services::governance::PrincipalKind;
use quiver::services::tracking::{ExperimentGrantChange, ExperimentLevel, ExperimentPermissions};
use serde_json::{Value, json};

use super::{Args, MlError, MlResult, ok};

/// The keys an access control entry names its principal by.
const PRINCIPAL_KEYS: [&str; 3] = ["user_name", "group_name", "service_principal_name"];

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/2.0/permissions/experiments/{experiment_id}",
        get(get_permissions).patch(patch_permissions).put(put_permissions),
    )
}

/// Databricks' answer: the owner with CAN_MANAGE, then each grant.
fn acl_json(p: &ExperimentPermissions) -> Value {
    let entry = |key: &str, name: &str, level: ExperimentLevel| json!({ key: name, "all_permissions": [{ "permission_level": level.api_name(), "inherited": false }] });
    let mut list = vec![entry("user_name", &p.owner, ExperimentLevel::Manage)];
    list[0]["is_owner"] = json!(true);
    for g in &p.grants {
        let key = match g.kind {
            PrincipalKind::User => "user_name",
            PrincipalKind::ServicePrincipal => "service_principal_name",
            PrincipalKind::Group => "group_name",
        };
        list.push(entry(key, &g.principal, g.level));
    }
    json!({
        "object_id": format!("/experiments/{}", p.experiment_id),
        "object_type": "mlflow-experiment",
        "access_control_list": list,
    })
}

/// The `access_control_list` of a request as changes.
fn changes(a: &Args) -> Result<Vec<ExperimentGrantChange>, MlError> {
    let bad = |m: String| a.err(Error::invalid("access_control_list", m));
    let entries = match a.map.get("access_control_list") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(entries)) => entries,
        Some(_) => return Err(bad("'access_control_list' must be a list.".into())),
    };
    entries
        .iter()
        .map(|e| {
            let principal = PRINCIPAL_KEYS
                .iter()
                .find_map(|k| e.get(*k).and_then(Value::as_str))
                .ok_or_else(|| bad("Each entry names a user_name, group_name or service_principal_name.".into()))?;
            let raw = e
                .get("permission_level")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(format!("The entry for '{principal}' has no permission_level.")))?;
            let level =
                if raw.eq_ignore_ascii_case("NO_PERMISSIONS") {
                    None
                } else {
                    Some(ExperimentLevel::parse(raw).ok_or_else(|| {
                        bad(format!("'{raw}' is not CAN_READ, CAN_EDIT, CAN_MANAGE or NO_PERMISSIONS."))
                    })?)
                };
            Ok(ExperimentGrantChange { principal: principal.to_string(), level })
        })
        .collect()
}

async fn get_permissions(Path(id): Path<String>, a: Args) -> MlResult {
    let p = a.ctx.state.quiver.experiment_permissions(&a.ctx.actor, &id).await?;
    ok(acl_json(&p))
}

async fn patch_permissions(Path(id): Path<String>, a: Args) -> MlResult {
    let changes = changes(&a)?;
    let p = a.ctx.state.quiver.update_experiment_permissions(&a.ctx.actor, &id, &changes, false).await?;
    ok(acl_json(&p))
}

async fn put_permissions(Path(id): Path<String>, a: Args) -> MlResult {
    let changes = changes(&a)?;
    let p = a.ctx.state.quiver.update_experiment_permissions(&a.ctx.actor, &id, &changes, true).await?;
    ok(acl_json(&p))
}

//! Deployment checks over REST under /api/quiver/v1: CI reports a check's state against a
//! version (GitHub-checks style), and anyone who may read the version lists them.

use app::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, put};
use quiver::Quiver;
use quiver::services::governance::{CheckReport, VersionCheck};
use serde::Serialize;

use crate::api::{ApiJson, ApiResult, Caller};
use crate::rest::{reply, version_of};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/models/{full_name}/versions/{version}/checks", get(list_checks))
        .route("/models/{full_name}/versions/{version}/checks/{name}", put(report_check))
}

/// A version's checks.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Checks {
    checks: Vec<VersionCheck>,
}

#[utoipa::path(put, path = "/api/quiver/v1/models/{full_name}/versions/{version}/checks/{name}", tag = "checks", summary = "Report the state of a deployment check on a version (REPORT CHECKS or MANAGE on the model). The body replaces the check's state; unknown fields are refused", params(("full_name" = String, Path, description = "catalog.schema.model"), ("version" = i64, Path, description = "Version number"), ("name" = String, Path, description = "The check's name, e.g. eval/accuracy")), request_body = CheckReport, responses((status = 200, description = "The check as recorded", body = VersionCheck), (status = 400, description = "Invalid report (the field is named)"), (status = 403, description = "Missing privilege"), (status = 404, description = "No such model or version")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn report_check(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path((full_name, version, name)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<CheckReport>,
) -> ApiResult<VersionCheck> {
    let (path, n) = version_of(&full_name, &version)?;
    reply(quiver.report_check(&caller, &path, n, &name, &body).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/models/{full_name}/versions/{version}/checks", tag = "checks", summary = "A version's deployment checks, by name", params(("full_name" = String, Path, description = "catalog.schema.model"), ("version" = i64, Path, description = "Version number")), responses((status = 200, description = "OK", body = Checks), (status = 403, description = "Missing privilege"), (status = 404, description = "No such model or version")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_checks(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path((full_name, version)): Path<(String, String)>,
) -> ApiResult<Checks> {
    let (path, n) = version_of(&full_name, &version)?;
    reply(quiver.version_checks(&caller, &path, n).await.map(|checks| Checks { checks }))
}

//! Quiver's own REST API under /api/quiver/v1. Handlers only translate HTTP to one service call
//! each; the caller, bodies and errors come through the pipeline in `api.rs`.

pub mod account;
pub mod admin;
pub mod approvals;
pub mod catalogs;
pub mod checks;
pub mod integrity;
pub mod webhooks;

use app::AppState;
use axum::routing::{delete, get};
use axum::{Json, Router};

use crate::api::ApiResult;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me", get(account::me))
        .route("/catalogs", get(catalogs::list_catalogs).post(catalogs::create_catalog))
        .route("/catalogs/{name}", get(catalogs::get_catalog))
        .route("/tokens", get(account::list_tokens).post(account::create_token))
        .route("/tokens/{id}", delete(account::revoke_token))
        .merge(admin::router())
        .merge(webhooks::router())
        .merge(approvals::router())
        .merge(integrity::router())
        .merge(checks::router())
}

/// A model's full name and a version number from a path, or the API's error for either.
pub(crate) fn version_of(
    full_name: &str,
    version: &str,
) -> Result<(quiver::names::ModelPath, i64), crate::api::ApiError> {
    let path = quiver::names::ModelPath::parse_full(full_name)?;
    let n = version.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
        crate::api::ApiError(quiver::error::Error::invalid("version", format!("'{version}' is not a version number.")))
    })?;
    Ok((path, n))
}

/// A service's answer as the API's: the value as JSON, or the error in the API's shape.
pub fn reply<T>(r: quiver::error::Result<T>) -> ApiResult<T> {
    Ok(Json(r?))
}

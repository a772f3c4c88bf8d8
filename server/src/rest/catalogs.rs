//! Catalogs in Quiver's own API (Unity Catalog's shapes are in `uc.rs`).

use axum::extract::{Path, State};
use quiver::Quiver;
use quiver::services::paging::{Page, PageRequest};
use quiver::services::registry::Catalog;
use serde::Deserialize;

use crate::api::{ApiJson, ApiQuery, ApiResult, Caller};
use crate::rest::reply;

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    max_results: Option<u32>,
    page_token: Option<String>,
}

#[utoipa::path(get, path = "/api/quiver/v1/catalogs", tag = "namespace", summary = "Catalogs the caller may see, by name", params(("max_results" = Option<u32>, Query, description = "Page size"), ("page_token" = Option<String>, Query, description = "Token from the previous page")), responses((status = 200, description = "OK", body = Page<Catalog>), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_catalogs(
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Page<Catalog>> {
    let page = PageRequest { max_results: q.max_results, page_token: q.page_token };
    reply(quiver.list_catalogs(&caller, &page).await)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct NewCatalog {
    name: String,
    #[serde(default)]
    comment: String,
}

#[utoipa::path(post, path = "/api/quiver/v1/catalogs", tag = "namespace", summary = "Create a catalog (CREATE CATALOG)", request_body = NewCatalog, responses((status = 200, description = "OK", body = Catalog), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_catalog(
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiJson(body): ApiJson<NewCatalog>,
) -> ApiResult<Catalog> {
    reply(quiver.create_catalog(&caller, &body.name, &body.comment).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/catalogs/{name}", tag = "namespace", summary = "One catalog", params(("name" = String, Path, description = "The name")), responses((status = 200, description = "OK", body = Catalog), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_catalog(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Catalog> {
    reply(quiver.get_catalog(&caller, &name).await)
}

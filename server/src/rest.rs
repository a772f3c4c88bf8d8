//! Quiver's own REST API under /api/quiver/v1. Handlers only translate HTTP to service calls.

use app::AppState;
use app::api::RequestAuth;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use quiver::error::Error;
use quiver::types::{Actor, PageRequest, Source};
use serde::Deserialize;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/catalogs", get(list_catalogs).post(create_catalog))
        .route("/catalogs/{name}", get(get_catalog))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", axum::routing::delete(revoke_token))
        .merge(crate::admin::router())
        .merge(crate::webhooks::router())
        .merge(crate::approvals::router())
}

/// MLflow's error shape, which every Quiver API answers with.
pub fn error_response(e: &Error, request_id: &str) -> Response {
    let status = StatusCode::from_u16(e.kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut body = json!({ "error_code": e.kind.code(), "message": e.message, "request_id": request_id });
    if let Some(field) = &e.field {
        body["field"] = json!(field);
    }
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer realm=\"quiver\""),
        );
    }
    response
}

/// An error answered in the API's shape.
pub struct ApiError(pub Error, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(&self.0, &self.1)
    }
}

pub type ApiResult<T> = Result<Json<T>, ApiError>;

/// The acting principal of an API call; the middleware already refused anonymous callers.
pub fn actor(auth: &RequestAuth) -> Result<Actor, ApiError> {
    auth.actor
        .clone()
        .map(|mut a| {
            a.source = Source::Rest;
            a
        })
        .ok_or_else(|| ApiError(Error::unauthenticated(), auth.request_id.clone()))
}

pub fn call<T>(auth: &RequestAuth, r: quiver::error::Result<T>) -> ApiResult<T> {
    r.map(Json).map_err(|e| ApiError(e, auth.request_id.clone()))
}

#[utoipa::path(get, path = "/api/quiver/v1/me", tag = "account", summary = "Who the credentials belong to", responses((status = 200, description = "OK", body = quiver::types::Principal), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn me(Extension(auth): Extension<RequestAuth>) -> ApiResult<quiver::types::Principal> {
    Ok(Json(actor(&auth)?.principal))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    max_results: Option<u32>,
    page_token: Option<String>,
}

#[utoipa::path(get, path = "/api/quiver/v1/catalogs", tag = "namespace", summary = "Catalogs the caller may see, by name", params(("max_results" = Option<u32>, Query, description = "Page size"), ("page_token" = Option<String>, Query, description = "Token from the previous page")), responses((status = 200, description = "OK", body = quiver::types::Page<quiver::types::Catalog>), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_catalogs(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Query(q): Query<ListQuery>,
) -> ApiResult<quiver::types::Page<quiver::types::Catalog>> {
    let a = actor(&auth)?;
    let page = PageRequest { max_results: q.max_results, page_token: q.page_token };
    call(&auth, state.quiver.list_catalogs(&a, &page).await)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct NewCatalog {
    name: String,
    #[serde(default)]
    comment: String,
}

#[utoipa::path(post, path = "/api/quiver/v1/catalogs", tag = "namespace", summary = "Create a catalog (CREATE CATALOG)", request_body = NewCatalog, responses((status = 200, description = "OK", body = quiver::types::Catalog), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_catalog(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Json(body): Json<NewCatalog>,
) -> ApiResult<quiver::types::Catalog> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.create_catalog(&a, &body.name, &body.comment).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/catalogs/{name}", tag = "namespace", summary = "One catalog", params(("name" = String, Path, description = "The name")), responses((status = 200, description = "OK", body = quiver::types::Catalog), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_catalog(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(name): Path<String>,
) -> ApiResult<quiver::types::Catalog> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.get_catalog(&a, &name).await)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct NewToken {
    name: String,
    expires_in_days: Option<u32>,
}

/// A personal access token for the caller (e.g. signed in with HTTP Basic from a CI script).
/// The secret is in the answer once.
#[utoipa::path(post, path = "/api/quiver/v1/tokens", tag = "account", summary = "Create a personal access token (the secret is shown once)", request_body = NewToken, responses((status = 200, description = "OK", body = quiver::types::NewAccessToken), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Json(body): Json<NewToken>,
) -> ApiResult<quiver::types::NewAccessToken> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.create_token(&a, &body.name, body.expires_in_days).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/tokens", tag = "account", summary = "The caller's live tokens", responses((status = 200, description = "OK", body = Vec<quiver::types::AccessToken>), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
) -> ApiResult<Vec<quiver::types::AccessToken>> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.list_tokens(&a).await)
}

#[utoipa::path(delete, path = "/api/quiver/v1/tokens/{id}", tag = "account", summary = "Revoke a token", params(("id" = String, Path, description = "Token id")), responses((status = 200, description = "OK"), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(id): Path<String>,
) -> ApiResult<serde_json::Value> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.revoke_token(&a, &id).await.map(|_| json!({})))
}

//! Quiver's administration API under /api/quiver/v1: users, groups, service principals and the
//! audit log. The services refuse non-admins; handlers only translate HTTP to service calls.

use app::AppState;
use app::api::RequestAuth;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use quiver::types::{AuditEntry, AuditFilter, Group, NewAccessToken, PageRequest, PrincipalInfo, User};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::rest::{ApiError, ApiResult, actor, call};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(list_users).post(create_user))
        .route("/users/{name}", get(get_user))
        .route("/users/{name}/disable", post(disable_user))
        .route("/users/{name}/enable", post(enable_user))
        .route("/users/{name}/password", post(reset_password))
        .route("/groups", get(list_groups).post(create_group))
        .route("/groups/{name}", get(get_group))
        .route("/groups/{name}/members", post(add_member))
        .route("/groups/{name}/members/{username}", delete(remove_member))
        .route("/service-principals", get(list_service_principals).post(create_service_principal))
        .route("/service-principals/{name}/tokens", post(create_sp_token))
        .route("/principals", get(list_principals))
        .route("/audit", get(audit))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct NewUser {
    username: String,
    password: String,
    #[serde(default)]
    admin: bool,
}

#[utoipa::path(post, path = "/api/quiver/v1/users", tag = "admin", summary = "Create a user (admins)", request_body = NewUser, responses((status = 200, description = "OK", body = quiver::types::User), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_user(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Json(body): Json<NewUser>,
) -> ApiResult<User> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.create_user(&a, &body.username, &body.password, body.admin).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/users", tag = "admin", summary = "Users and service principals (admins)", responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_users(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.list_users(&a).await.map(|users| json!({ "users": users })))
}

#[utoipa::path(get, path = "/api/quiver/v1/users/{name}", tag = "admin", summary = "One user (admins, or the user)", params(("name" = String, Path, description = "The name")), responses((status = 200, description = "OK", body = quiver::types::User), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_user(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(name): Path<String>,
) -> ApiResult<User> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.get_user(&a, &name).await)
}

#[utoipa::path(post, path = "/api/quiver/v1/users/{name}/disable", tag = "admin", summary = "Disable an account: sessions end, tokens stop (admins)", params(("name" = String, Path, description = "The name")), responses((status = 200, description = "OK"), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn disable_user(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(name): Path<String>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.set_user_disabled(&a, &name, true).await.map(|_| json!({})))
}

#[utoipa::path(post, path = "/api/quiver/v1/users/{name}/enable", tag = "admin", summary = "Enable an account again (admins)", params(("name" = String, Path, description = "The name")), responses((status = 200, description = "OK"), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn enable_user(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(name): Path<String>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.set_user_disabled(&a, &name, false).await.map(|_| json!({})))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct NewPassword {
    password: String,
}

#[utoipa::path(post, path = "/api/quiver/v1/users/{name}/password", tag = "admin", summary = "Set a new password; sessions end (admins)", params(("name" = String, Path, description = "The name")), request_body = NewPassword, responses((status = 200, description = "OK"), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn reset_password(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(name): Path<String>,
    Json(body): Json<NewPassword>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.reset_password(&a, &name, &body.password).await.map(|_| json!({})))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct Named {
    name: String,
}

#[utoipa::path(post, path = "/api/quiver/v1/groups", tag = "admin", summary = "Create a group (admins)", request_body = Named, responses((status = 200, description = "OK", body = quiver::types::Group), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_group(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Json(body): Json<Named>,
) -> ApiResult<Group> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.create_group(&a, &body.name).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/groups", tag = "admin", summary = "Groups with their members (admins)", responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_groups(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.list_groups(&a).await.map(|groups| json!({ "groups": groups })))
}

#[utoipa::path(get, path = "/api/quiver/v1/groups/{name}", tag = "admin", summary = "One group (admins)", params(("name" = String, Path, description = "The name")), responses((status = 200, description = "OK", body = quiver::types::Group), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_group(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(name): Path<String>,
) -> ApiResult<Group> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.get_group(&a, &name).await)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct Member {
    username: String,
}

#[utoipa::path(post, path = "/api/quiver/v1/groups/{name}/members", tag = "admin", summary = "Add a member (admins)", params(("name" = String, Path, description = "The name")), request_body = Member, responses((status = 200, description = "OK", body = quiver::types::Group), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn add_member(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(name): Path<String>,
    Json(body): Json<Member>,
) -> ApiResult<Group> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.add_group_member(&a, &name, &body.username).await)
}

#[utoipa::path(delete, path = "/api/quiver/v1/groups/{name}/members/{username}", tag = "admin", summary = "Remove a member (admins)", params(("name" = String, Path, description = "The name"), ("username" = String, Path, description = "The member")), responses((status = 200, description = "OK", body = quiver::types::Group), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn remove_member(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path((name, username)): Path<(String, String)>,
) -> ApiResult<Group> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.remove_group_member(&a, &name, &username).await)
}

#[utoipa::path(post, path = "/api/quiver/v1/service-principals", tag = "admin", summary = "Create a service principal: no password, tokens only (admins)", request_body = Named, responses((status = 200, description = "OK", body = quiver::types::User), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_service_principal(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Json(body): Json<Named>,
) -> ApiResult<User> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.create_service_principal(&a, &body.name).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/service-principals", tag = "admin", summary = "Service principals (admins)", responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_service_principals(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    let r = state.quiver.list_users(&a).await;
    call(
        &auth,
        r.map(|users| json!({ "service_principals": users.into_iter().filter(|u| u.service_principal).collect::<Vec<_>>() })),
    )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct NewToken {
    name: String,
    expires_in_days: Option<u32>,
}

/// A token for a service principal; the secret is in the answer once. Revoke it with
/// `DELETE /api/quiver/v1/tokens/{id}`.
#[utoipa::path(post, path = "/api/quiver/v1/service-principals/{name}/tokens", tag = "admin", summary = "Create a service principal's token; the secret is shown once (admins)", params(("name" = String, Path, description = "The name")), request_body = NewToken, responses((status = 200, description = "OK", body = quiver::types::NewAccessToken), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_sp_token(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(name): Path<String>,
    Json(body): Json<NewToken>,
) -> ApiResult<NewAccessToken> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.create_service_principal_token(&a, &name, &body.name, body.expires_in_days).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/principals", tag = "governance", summary = "Names of users, service principals and groups (for grants)", responses((status = 200, description = "OK", body = Vec<quiver::types::PrincipalInfo>), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_principals(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
) -> ApiResult<Vec<PrincipalInfo>> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.list_principals(&a).await)
}

#[derive(Debug, Deserialize)]
pub(crate) struct AuditQuery {
    #[serde(flatten)]
    filter: AuditFilter,
    max_results: Option<u32>,
    page_token: Option<String>,
    /// `jsonl`: the page as JSON lines, for export.
    format: Option<String>,
}

/// The audit log, newest first; `?format=jsonl` answers with one JSON object per line.
#[utoipa::path(get, path = "/api/quiver/v1/audit", tag = "admin", summary = "The audit log, newest first; format=jsonl exports JSON lines (admins)", params(("principal" = Option<String>, Query, description = "Who"), ("action" = Option<String>, Query, description = "Action prefix, e.g. grants"), ("securable" = Option<String>, Query, description = "Object prefix, e.g. prod.ml"), ("outcome" = Option<String>, Query, description = "allowed or denied"), ("from" = Option<String>, Query, description = "RFC 3339 time, inclusive"), ("to" = Option<String>, Query, description = "RFC 3339 time, exclusive"), ("format" = Option<String>, Query, description = "jsonl for JSON lines"), ("max_results" = Option<u32>, Query, description = "Page size"), ("page_token" = Option<String>, Query, description = "Token from the previous page")), responses((status = 200, description = "OK", body = quiver::types::Page<quiver::types::AuditEntry>), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn audit(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let a = actor(&auth)?;
    let page = PageRequest { max_results: q.max_results, page_token: q.page_token.clone() };
    let result = state.quiver.list_audit(&a, &q.filter, &page).await;
    let page = result.map_err(|e| ApiError(e, auth.request_id.clone()))?;
    if q.format.as_deref() == Some("jsonl") {
        let lines: String = page.items.iter().map(jsonl_line).collect();
        let mut response = ([(header::CONTENT_TYPE, "application/x-ndjson")], lines).into_response();
        if let Some(token) = page.next_page_token.and_then(|t| t.parse().ok()) {
            response.headers_mut().insert("x-next-page-token", token);
        }
        return Ok(response);
    }
    Ok(Json(page).into_response())
}

fn jsonl_line(e: &AuditEntry) -> String {
    let mut line = serde_json::to_string(e).unwrap_or_default();
    line.push('\n');
    line
}

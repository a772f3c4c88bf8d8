//! Quiver's administration API under /api/quiver/v1: users, groups, service principals and the
//! audit log. The services refuse non-admins; handlers only translate HTTP to service calls.

use app::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use quiver::Quiver;
use quiver::services::governance::privileges::SecurableType;
use quiver::services::governance::{AuditEntry, AuditFilter, Group, NewAccessToken, PrincipalInfo, User};
use quiver::services::paging::PageRequest;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{ApiError, ApiJson, ApiQuery, ApiResult, Caller};
use crate::rest::reply;

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
        .route("/artifact-usage", get(artifact_usage))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct NewUser {
    username: String,
    password: String,
    #[serde(default)]
    admin: bool,
}

#[utoipa::path(post, path = "/api/quiver/v1/users", tag = "admin", summary = "Create a user (admins)", request_body = NewUser, responses((status = 200, description = "OK", body = quiver::services::governance::User), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_user(
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiJson(body): ApiJson<NewUser>,
) -> ApiResult<User> {
    reply(quiver.create_user(&caller, &body.username, &body.password, body.admin).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/users", tag = "admin", summary = "Users and service principals (admins)", responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_users(State(quiver): State<Quiver>, caller: Caller) -> ApiResult<Value> {
    reply(quiver.list_users(&caller).await.map(|users| json!({ "users": users })))
}

#[utoipa::path(get, path = "/api/quiver/v1/users/{name}", tag = "admin", summary = "One user (admins, or the user)", params(("name" = String, Path, description = "The name")), responses((status = 200, description = "OK", body = quiver::services::governance::User), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_user(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<User> {
    reply(quiver.get_user(&caller, &name).await)
}

#[utoipa::path(post, path = "/api/quiver/v1/users/{name}/disable", tag = "admin", summary = "Disable an account: sessions end, tokens stop (admins)", params(("name" = String, Path, description = "The name")), responses((status = 200, description = "OK"), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn disable_user(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Value> {
    reply(quiver.set_user_disabled(&caller, &name, true).await.map(|_| json!({})))
}

#[utoipa::path(post, path = "/api/quiver/v1/users/{name}/enable", tag = "admin", summary = "Enable an account again (admins)", params(("name" = String, Path, description = "The name")), responses((status = 200, description = "OK"), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn enable_user(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Value> {
    reply(quiver.set_user_disabled(&caller, &name, false).await.map(|_| json!({})))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct NewPassword {
    password: String,
}

#[utoipa::path(post, path = "/api/quiver/v1/users/{name}/password", tag = "admin", summary = "Set a new password; sessions end (admins)", params(("name" = String, Path, description = "The name")), request_body = NewPassword, responses((status = 200, description = "OK"), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn reset_password(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<NewPassword>,
) -> ApiResult<Value> {
    reply(quiver.reset_password(&caller, &name, &body.password).await.map(|_| json!({})))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct Named {
    name: String,
}

#[utoipa::path(post, path = "/api/quiver/v1/groups", tag = "admin", summary = "Create a group (admins)", request_body = Named, responses((status = 200, description = "OK", body = quiver::services::governance::Group), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_group(
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiJson(body): ApiJson<Named>,
) -> ApiResult<Group> {
    reply(quiver.create_group(&caller, &body.name).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/groups", tag = "admin", summary = "Groups with their members (admins)", responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_groups(State(quiver): State<Quiver>, caller: Caller) -> ApiResult<Value> {
    reply(quiver.list_groups(&caller).await.map(|groups| json!({ "groups": groups })))
}

#[utoipa::path(get, path = "/api/quiver/v1/groups/{name}", tag = "admin", summary = "One group (admins)", params(("name" = String, Path, description = "The name")), responses((status = 200, description = "OK", body = quiver::services::governance::Group), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_group(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Group> {
    reply(quiver.get_group(&caller, &name).await)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct Member {
    username: String,
}

#[utoipa::path(post, path = "/api/quiver/v1/groups/{name}/members", tag = "admin", summary = "Add a member (admins)", params(("name" = String, Path, description = "The name")), request_body = Member, responses((status = 200, description = "OK", body = quiver::services::governance::Group), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn add_member(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<Member>,
) -> ApiResult<Group> {
    reply(quiver.add_group_member(&caller, &name, &body.username).await)
}

#[utoipa::path(delete, path = "/api/quiver/v1/groups/{name}/members/{username}", tag = "admin", summary = "Remove a member (admins)", params(("name" = String, Path, description = "The name"), ("username" = String, Path, description = "The member")), responses((status = 200, description = "OK", body = quiver::services::governance::Group), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn remove_member(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path((name, username)): Path<(String, String)>,
) -> ApiResult<Group> {
    reply(quiver.remove_group_member(&caller, &name, &username).await)
}

#[utoipa::path(post, path = "/api/quiver/v1/service-principals", tag = "admin", summary = "Create a service principal: no password, tokens only (admins)", request_body = Named, responses((status = 200, description = "OK", body = quiver::services::governance::User), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_service_principal(
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiJson(body): ApiJson<Named>,
) -> ApiResult<User> {
    reply(quiver.create_service_principal(&caller, &body.name).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/service-principals", tag = "admin", summary = "Service principals (admins)", responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_service_principals(State(quiver): State<Quiver>, caller: Caller) -> ApiResult<Value> {
    let r = quiver.list_users(&caller).await;
    reply(r.map(
        |users| json!({ "service_principals": users.into_iter().filter(|u| u.service_principal).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct NewToken {
    name: String,
    expires_in_days: Option<u32>,
}

/// A token for a service principal; the secret is in the answer once. Revoke it with
/// `DELETE /api/quiver/v1/tokens/{id}`.
#[utoipa::path(post, path = "/api/quiver/v1/service-principals/{name}/tokens", tag = "admin", summary = "Create a service principal's token; the secret is shown once (admins)", params(("name" = String, Path, description = "The name")), request_body = NewToken, responses((status = 200, description = "OK", body = quiver::services::governance::NewAccessToken), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_sp_token(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<NewToken>,
) -> ApiResult<NewAccessToken> {
    reply(quiver.create_service_principal_token(&caller, &name, &body.name, body.expires_in_days).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/principals", tag = "governance", summary = "Names of users, service principals and groups: for those who may grant on the object named (MANAGE or owner), or administrators", params(("securable_type" = Option<String>, Query, description = "catalog, schema or function (a model)"), ("full_name" = Option<String>, Query, description = "The object's full name")), responses((status = 200, description = "OK", body = Vec<quiver::services::governance::PrincipalInfo>), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_principals(
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiQuery(on): ApiQuery<PrincipalsQuery>,
) -> ApiResult<Vec<PrincipalInfo>> {
    let on = match (on.securable_type, on.full_name) {
        (Some(kind), Some(name)) => {
            let kind = SecurableType::parse(&kind).ok_or_else(|| {
                quiver::error::Error::invalid(
                    "securable_type",
                    "securable_type is catalog, schema or function (a model).",
                )
            })?;
            Some(quiver::services::governance::Securable::parse(kind, &name)?)
        }
        (None, None) => None,
        _ => {
            return Err(quiver::error::Error::invalid(
                "full_name",
                "Give securable_type and full_name together (the object whose grants you manage).",
            )
            .into());
        }
    };
    reply(quiver.list_principals(&caller, on.as_ref()).await)
}

/// The object a grant picker is for; without it, administrators only.
#[derive(Debug, Deserialize)]
pub(crate) struct PrincipalsQuery {
    /// catalog, schema or function (a registered model)
    securable_type: Option<String>,
    full_name: Option<String>,
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

#[derive(Debug, Deserialize)]
pub(crate) struct UsageQuery {
    max_results: Option<usize>,
}

#[utoipa::path(get, path = "/api/quiver/v1/artifact-usage", tag = "admin", summary = "Artifact storage in use: the experiments and users storing the most, with the quotas (admins)", params(("max_results" = Option<usize>, Query, description = "How many of each (default 20)")), responses((status = 200, description = "OK", body = quiver::services::storage::ArtifactUsage), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn artifact_usage(
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> ApiResult<quiver::services::storage::ArtifactUsage> {
    reply(quiver.artifact_usage(&caller, q.max_results.unwrap_or(20)).await)
}

/// The audit log, newest first; `?format=jsonl` answers with one JSON object per line.
#[utoipa::path(get, path = "/api/quiver/v1/audit", tag = "admin", summary = "The audit log, newest first; format=jsonl exports JSON lines (admins)", params(("principal" = Option<String>, Query, description = "Who"), ("action" = Option<String>, Query, description = "Action prefix, e.g. grants"), ("securable" = Option<String>, Query, description = "Object prefix, e.g. prod.ml"), ("outcome" = Option<String>, Query, description = "allowed or denied"), ("from" = Option<String>, Query, description = "RFC 3339 time, inclusive"), ("to" = Option<String>, Query, description = "RFC 3339 time, exclusive"), ("format" = Option<String>, Query, description = "jsonl for JSON lines"), ("max_results" = Option<u32>, Query, description = "Page size"), ("page_token" = Option<String>, Query, description = "Token from the previous page")), responses((status = 200, description = "OK", body = quiver::services::paging::Page<quiver::services::governance::AuditEntry>), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn audit(
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Response, ApiError> {
    let page = PageRequest { max_results: q.max_results, page_token: q.page_token.clone() };
    let result = quiver.list_audit(&caller, &q.filter, &page).await;
    let page = result.map_err(|e| ApiError(e))?;
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

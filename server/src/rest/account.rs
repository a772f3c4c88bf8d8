//! The caller's own account: who they are, and their personal access tokens.

use axum::Json;
use axum::extract::{Path, State};
use quiver::Quiver;
use quiver::services::governance::{AccessToken, NewAccessToken, Principal};
use serde::Deserialize;
use serde_json::json;

use crate::api::{ApiJson, ApiResult, Caller};
use crate::rest::reply;

#[utoipa::path(get, path = "/api/quiver/v1/me", tag = "account", summary = "Who the credentials belong to", responses((status = 200, description = "OK", body = Principal), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn me(caller: Caller) -> ApiResult<Principal> {
    Ok(Json(caller.0.principal))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct NewToken {
    name: String,
    expires_in_days: Option<u32>,
}

/// A personal access token for the caller (e.g. signed in with HTTP Basic from a CI script).
/// The secret is in the answer once.
#[utoipa::path(post, path = "/api/quiver/v1/tokens", tag = "account", summary = "Create a personal access token (the secret is shown once)", request_body = NewToken, responses((status = 200, description = "OK", body = NewAccessToken), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_token(
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiJson(body): ApiJson<NewToken>,
) -> ApiResult<NewAccessToken> {
    reply(quiver.create_token(&caller, &body.name, body.expires_in_days).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/tokens", tag = "account", summary = "The caller's live tokens", responses((status = 200, description = "OK", body = Vec<AccessToken>), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_tokens(State(quiver): State<Quiver>, caller: Caller) -> ApiResult<Vec<AccessToken>> {
    reply(quiver.list_tokens(&caller).await)
}

#[utoipa::path(delete, path = "/api/quiver/v1/tokens/{id}", tag = "account", summary = "Revoke a token", params(("id" = String, Path, description = "Token id")), responses((status = 200, description = "OK"), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn revoke_token(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<serde_json::Value> {
    reply(quiver.revoke_token(&caller, &id).await.map(|_| json!({})))
}

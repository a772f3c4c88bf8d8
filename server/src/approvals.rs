//! Approval requests and protected aliases over REST under /api/quiver/v1: a CI system with a
//! service-principal token hears of a request through a webhook, runs its checks, and approves
//! or rejects here.

use app::AppState;
use app::api::RequestAuth;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use quiver::approvals::{
    AliasPolicy, AliasPolicyView, ApprovalRequest, NewApprovalRequest, RequestDetail, RequestFilter, RequestNote,
    RequestState,
};
use quiver::types::{Page, PageRequest};
use serde::Deserialize;

use crate::rest::{ApiError, ApiResult, actor, call};
use crate::uc::securable;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/approval-requests", get(list_requests).post(create_request))
        .route("/approval-requests/{id}", get(get_request))
        .route("/approval-requests/{id}/approve", post(approve))
        .route("/approval-requests/{id}/reject", post(reject))
        .route("/approval-requests/{id}/cancel", post(cancel))
        .route("/approval-requests/{id}/comments", post(comment))
        .route("/protected-aliases/{securable_type}/{full_name}", get(get_policy).put(put_policy))
}

#[utoipa::path(post, path = "/api/quiver/v1/approval-requests", tag = "approvals", summary = "Ask for an alias change (EXECUTE on the model)", request_body = NewApprovalRequest, responses((status = 200, description = "OK", body = ApprovalRequest), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 403, description = "Missing privilege"), (status = 409, description = "Nothing to change, or already asked")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_request(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Json(body): Json<NewApprovalRequest>,
) -> ApiResult<ApprovalRequest> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.create_approval_request(&a, &body).await)
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    model: Option<String>,
    version: Option<i64>,
    state: Option<String>,
    requester: Option<String>,
    #[serde(default)]
    actionable: bool,
    max_results: Option<u32>,
    page_token: Option<String>,
}

#[utoipa::path(get, path = "/api/quiver/v1/approval-requests", tag = "approvals", summary = "Requests on models the caller may read, newest first", params(("model" = Option<String>, Query, description = "catalog.schema.model"), ("version" = Option<i64>, Query, description = "Only this version"), ("state" = Option<String>, Query, description = "pending, approved, rejected, cancelled, stale"), ("requester" = Option<String>, Query, description = "Who asked"), ("actionable" = Option<bool>, Query, description = "Only pending requests the caller may decide"), ("max_results" = Option<u32>, Query, description = "Page size"), ("page_token" = Option<String>, Query, description = "Token from the previous page")), responses((status = 200, description = "OK", body = Page<ApprovalRequest>), (status = 400, description = "Invalid input (MLflow error shape)")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_requests(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Page<ApprovalRequest>> {
    let a = actor(&auth)?;
    let request_state =
        q.state.as_deref().map(RequestState::parse).transpose().map_err(|e| ApiError(e, auth.request_id.clone()))?;
    let filter = RequestFilter {
        model: q.model,
        version: q.version,
        state: request_state,
        requester: q.requester,
        actionable: q.actionable,
    };
    let page = PageRequest { max_results: q.max_results, page_token: q.page_token };
    call(&auth, state.quiver.list_approval_requests(&a, &filter, &page).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/approval-requests/{id}", tag = "approvals", summary = "A request with its timeline and comments, and what the caller may do", params(("id" = String, Path, description = "Request id")), responses((status = 200, description = "OK", body = RequestDetail), (status = 404, description = "No such request")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_request(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(id): Path<String>,
) -> ApiResult<RequestDetail> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.get_approval_request(&a, &id).await)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub(crate) struct Decision {
    #[serde(default)]
    comment: String,
}

#[utoipa::path(post, path = "/api/quiver/v1/approval-requests/{id}/approve", tag = "approvals", summary = "Approve (owner or MANAGE); with enough approvals the alias changes at once", params(("id" = String, Path, description = "Request id")), request_body = Decision, responses((status = 200, description = "OK", body = ApprovalRequest), (status = 403, description = "Missing privilege, or self-approval refused"), (status = 409, description = "Already closed")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn approve(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(id): Path<String>,
    body: Option<Json<Decision>>,
) -> ApiResult<ApprovalRequest> {
    let a = actor(&auth)?;
    let d = body.map(|b| b.0).unwrap_or_default();
    call(&auth, state.quiver.approve_request(&a, &id, &d.comment).await)
}

#[utoipa::path(post, path = "/api/quiver/v1/approval-requests/{id}/reject", tag = "approvals", summary = "Reject (owner or MANAGE), with the reason", params(("id" = String, Path, description = "Request id")), request_body = Decision, responses((status = 200, description = "OK", body = ApprovalRequest), (status = 403, description = "Missing privilege"), (status = 409, description = "Already closed")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn reject(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(id): Path<String>,
    body: Option<Json<Decision>>,
) -> ApiResult<ApprovalRequest> {
    let a = actor(&auth)?;
    let d = body.map(|b| b.0).unwrap_or_default();
    call(&auth, state.quiver.reject_request(&a, &id, &d.comment).await)
}

#[utoipa::path(post, path = "/api/quiver/v1/approval-requests/{id}/cancel", tag = "approvals", summary = "Withdraw a request (the requester)", params(("id" = String, Path, description = "Request id")), request_body = Decision, responses((status = 200, description = "OK", body = ApprovalRequest), (status = 403, description = "Not the requester"), (status = 409, description = "Already closed")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn cancel(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(id): Path<String>,
    body: Option<Json<Decision>>,
) -> ApiResult<ApprovalRequest> {
    let a = actor(&auth)?;
    let d = body.map(|b| b.0).unwrap_or_default();
    call(&auth, state.quiver.cancel_request(&a, &id, &d.comment).await)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct NewComment {
    comment: String,
}

#[utoipa::path(post, path = "/api/quiver/v1/approval-requests/{id}/comments", tag = "approvals", summary = "Comment on a request (markdown)", params(("id" = String, Path, description = "Request id")), request_body = NewComment, responses((status = 200, description = "OK", body = RequestNote), (status = 400, description = "Empty or too long")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn comment(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(id): Path<String>,
    Json(body): Json<NewComment>,
) -> ApiResult<RequestNote> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.comment_on_request(&a, &id, &body.comment).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/protected-aliases/{securable_type}/{full_name}", tag = "approvals", summary = "The protected-alias policy of a catalog, schema or model, and what its parents protect", params(("securable_type" = String, Path, description = "catalog, schema or registered_model"), ("full_name" = String, Path, description = "e.g. prod.ml_team.fraud")), responses((status = 200, description = "OK", body = AliasPolicyView), (status = 404, description = "No such object")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_policy(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path((kind, full_name)): Path<(String, String)>,
) -> ApiResult<AliasPolicyView> {
    let a = actor(&auth)?;
    let s = securable(&auth, &kind, &full_name)?;
    call(&auth, state.quiver.get_alias_policy(&a, &s).await)
}

#[utoipa::path(put, path = "/api/quiver/v1/protected-aliases/{securable_type}/{full_name}", tag = "approvals", summary = "Set the protected aliases (owner or MANAGE); an empty list lifts the protection", params(("securable_type" = String, Path, description = "catalog, schema or registered_model"), ("full_name" = String, Path, description = "e.g. prod.ml_team.fraud")), request_body = AliasPolicy, responses((status = 200, description = "OK", body = AliasPolicyView), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn put_policy(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path((kind, full_name)): Path<(String, String)>,
    Json(body): Json<AliasPolicy>,
) -> ApiResult<AliasPolicyView> {
    let a = actor(&auth)?;
    let s = securable(&auth, &kind, &full_name)?;
    call(&auth, state.quiver.set_alias_policy(&a, &s, &body).await)
}

//! Approval requests and protected aliases over REST under /api/quiver/v1: a CI system with a
//! service-principal token hears of a request through a webhook, runs its checks, and approves
//! or rejects here.

use app::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use quiver::Quiver;
use quiver::error::Error;
use quiver::services::governance::{
    AliasPolicy, AliasPolicyView, ApprovalRequest, NewApprovalRequest, RequestDetail, RequestFilter, RequestNote,
    RequestState,
};
use quiver::services::paging::{Page, PageRequest};
use serde::Deserialize;

use crate::api::{ApiJson, ApiQuery, ApiResult, Caller, SecurablePath};
use crate::rest::reply;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/approval-requests", get(list_requests).post(create_request))
        .route("/approval-requests/{id}", get(get_request))
        .route("/approval-requests/{id}/{decision}", post(decide))
        .route("/approval-requests/{id}/comments", post(comment))
        .route("/protected-aliases/{securable_type}/{full_name}", get(get_policy).put(put_policy))
}

#[utoipa::path(post, path = "/api/quiver/v1/approval-requests", tag = "approvals", summary = "Ask for an alias change (EXECUTE on the model)", request_body = NewApprovalRequest, responses((status = 200, description = "OK", body = ApprovalRequest), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 403, description = "Missing privilege"), (status = 409, description = "Nothing to change, or already asked")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_request(
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiJson(body): ApiJson<NewApprovalRequest>,
) -> ApiResult<ApprovalRequest> {
    reply(quiver.create_approval_request(&caller, &body).await)
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
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Page<ApprovalRequest>> {
    let request_state = q.state.as_deref().map(RequestState::parse).transpose()?;
    let filter = RequestFilter {
        model: q.model,
        version: q.version,
        state: request_state,
        requester: q.requester,
        actionable: q.actionable,
    };
    let page = PageRequest { max_results: q.max_results, page_token: q.page_token };
    reply(quiver.list_approval_requests(&caller, &filter, &page).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/approval-requests/{id}", tag = "approvals", summary = "A request with its timeline and comments, and what the caller may do", params(("id" = String, Path, description = "Request id")), responses((status = 200, description = "OK", body = RequestDetail), (status = 404, description = "No such request")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_request(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<RequestDetail> {
    reply(quiver.get_approval_request(&caller, &id).await)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub(crate) struct Decision {
    #[serde(default)]
    comment: String,
}

/// What a decision may be: the owners' and MANAGE holders' `approve` and `reject`, the
/// requester's `cancel`.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Verdict {
    Approve,
    Reject,
    Cancel,
}

#[utoipa::path(post, path = "/api/quiver/v1/approval-requests/{id}/{decision}", tag = "approvals", summary = "Decide a request: approve (owner or MANAGE; with enough approvals the alias changes at once), reject (owner or MANAGE, with the reason), or cancel (the requester withdraws it)", params(("id" = String, Path, description = "Request id"), ("decision" = Verdict, Path, description = "approve, reject or cancel")), request_body = Decision, responses((status = 200, description = "OK", body = ApprovalRequest), (status = 403, description = "Missing privilege, self-approval refused, or not the requester"), (status = 404, description = "No such request or decision"), (status = 409, description = "Already closed")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn decide(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path((id, decision)): Path<(String, String)>,
    body: Option<ApiJson<Decision>>,
) -> ApiResult<ApprovalRequest> {
    let verdict = serde_json::from_value::<Verdict>(serde_json::Value::String(decision.clone())).map_err(|_| {
        Error::not_found(format!("'{decision}' is not a decision on a request: approve, reject or cancel."))
    })?;
    let comment = body.map(|b| b.0.comment).unwrap_or_default();
    reply(match verdict {
        Verdict::Approve => quiver.approve_request(&caller, &id, &comment).await,
        Verdict::Reject => quiver.reject_request(&caller, &id, &comment).await,
        Verdict::Cancel => quiver.cancel_request(&caller, &id, &comment).await,
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct NewComment {
    comment: String,
}

#[utoipa::path(post, path = "/api/quiver/v1/approval-requests/{id}/comments", tag = "approvals", summary = "Comment on a request (markdown)", params(("id" = String, Path, description = "Request id")), request_body = NewComment, responses((status = 200, description = "OK", body = RequestNote), (status = 400, description = "Empty or too long")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn comment(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewComment>,
) -> ApiResult<RequestNote> {
    reply(quiver.comment_on_request(&caller, &id, &body.comment).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/protected-aliases/{securable_type}/{full_name}", tag = "approvals", summary = "The protected-alias policy of a catalog, schema or model, and what its parents protect", params(("securable_type" = String, Path, description = "catalog, schema or registered_model"), ("full_name" = String, Path, description = "e.g. prod.ml_team.fraud")), responses((status = 200, description = "OK", body = AliasPolicyView), (status = 404, description = "No such object")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_policy(
    State(quiver): State<Quiver>,
    caller: Caller,
    SecurablePath(s): SecurablePath,
) -> ApiResult<AliasPolicyView> {
    reply(quiver.get_alias_policy(&caller, &s).await)
}

#[utoipa::path(put, path = "/api/quiver/v1/protected-aliases/{securable_type}/{full_name}", tag = "approvals", summary = "Set the protected aliases (owner or MANAGE); an empty list lifts the protection", params(("securable_type" = String, Path, description = "catalog, schema or registered_model"), ("full_name" = String, Path, description = "e.g. prod.ml_team.fraud")), request_body = AliasPolicy, responses((status = 200, description = "OK", body = AliasPolicyView), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn put_policy(
    State(quiver): State<Quiver>,
    caller: Caller,
    SecurablePath(s): SecurablePath,
    ApiJson(body): ApiJson<AliasPolicy>,
) -> ApiResult<AliasPolicyView> {
    reply(quiver.set_alias_policy(&caller, &s, &body).await)
}

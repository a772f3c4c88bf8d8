//! Server functions for approval requests and protected aliases.

use leptos::prelude::*;
use quiver::services::governance::privileges::SecurableType;
use quiver::services::governance::{
    AliasPolicy, AliasPolicyView, ApprovalRequest, NewApprovalRequest, ProtectedAlias, RequestDetail, RequestFilter,
    RequestNote,
};
use quiver::services::paging::Page;

use crate::error::AppResult;

#[cfg(feature = "ssr")]
use quiver::services::paging::PageRequest;

#[cfg(feature = "ssr")]
use super::ctx::{actor, quiver};
#[cfg(feature = "ssr")]
use quiver::services::governance::Securable;

#[server]
pub async fn list_requests(filter: RequestFilter, page_token: Option<String>) -> AppResult<Page<ApprovalRequest>> {
    let page = PageRequest { max_results: Some(50), page_token };
    Ok(quiver().list_approval_requests(&actor()?, &filter, &page).await?)
}

/// What the signed-in user asked for, newest first.
#[server]
pub async fn my_requests() -> AppResult<Page<ApprovalRequest>> {
    let a = actor()?;
    let filter = RequestFilter { requester: Some(a.principal.username.clone()), ..Default::default() };
    let page = PageRequest { max_results: Some(50), page_token: None };
    Ok(quiver().list_approval_requests(&a, &filter, &page).await?)
}

#[server]
pub async fn get_request(id: String) -> AppResult<RequestDetail> {
    Ok(quiver().get_approval_request(&actor()?, &id).await?)
}

#[server]
pub async fn create_request(new: NewApprovalRequest) -> AppResult<ApprovalRequest> {
    Ok(quiver().create_approval_request(&actor()?, &new).await?)
}

/// `decision`: approve, reject or cancel.
#[server]
pub async fn decide_request(id: String, decision: String, comment: String) -> AppResult<ApprovalRequest> {
    let (q, a) = (quiver(), actor()?);
    Ok(match decision.as_str() {
        "approve" => q.approve_request(&a, &id, &comment).await?,
        "reject" => q.reject_request(&a, &id, &comment).await?,
        "cancel" => q.cancel_request(&a, &id, &comment).await?,
        _ => return Err(quiver::error::Error::invalid("decision", "approve, reject or cancel").into()),
    })
}

#[server]
pub async fn comment_request(id: String, body: String) -> AppResult<RequestNote> {
    Ok(quiver().comment_on_request(&actor()?, &id, &body).await?)
}

#[server]
pub async fn get_alias_policy(kind: SecurableType, full_name: String) -> AppResult<AliasPolicyView> {
    let s = Securable::parse(kind, &full_name)?;
    Ok(quiver().get_alias_policy(&actor()?, &s).await?)
}

#[server]
pub async fn set_alias_policy(
    kind: SecurableType,
    full_name: String,
    policy: AliasPolicy,
) -> AppResult<AliasPolicyView> {
    let s = Securable::parse(kind, &full_name)?;
    Ok(quiver().set_alias_policy(&actor()?, &s, &policy).await?)
}

#[server]
pub async fn protected_aliases(full_name: String) -> AppResult<Vec<ProtectedAlias>> {
    let path = quiver::names::ModelPath::parse_full(&full_name)?;
    Ok(quiver().protected_aliases(&actor()?, &path).await?)
}

//! Approval requests and protected aliases on the real embedded SurrealDB: direct changes of a
//! protected alias are refused everywhere; requests move through their states; approver counts
//! and self-approval follow the policy; approving applies the change in the same transaction
//! and links it from the alias history; changes that make requests moot close them as stale.

mod common;

use common::{actor, registry, user_with};
use quiver::Quiver;
use quiver::error::ErrorKind;
use quiver::names::ModelPath;
use quiver::services::governance::privileges::SecurableType;
use quiver::services::governance::{
    Actor, AliasPolicy, NewApprovalRequest, RequestAction, RequestFilter, RequestState, Securable,
};
use quiver::services::paging::PageRequest;
use quiver::services::registry::NewVersion;

fn all() -> PageRequest {
    PageRequest { max_results: Some(1000), page_token: None }
}

fn path() -> ModelPath {
    ModelPath::parse_full("prod.ml.fraud").unwrap()
}

fn ask(alias: &str, version: i64) -> NewApprovalRequest {
    NewApprovalRequest {
        model: "prod.ml.fraud".into(),
        version: Some(version),
        alias: alias.into(),
        action: RequestAction::Set,
        justification: "AUC 0.91 on the **holdout** set".into(),
    }
}

/// prod.ml.fraud with versions 1..=3, Champion → 1 and protected on the catalog; a requester
/// (EXECUTE) and two approvers (MANAGE).
async fn setup(policy: AliasPolicy) -> (Quiver, Actor, Actor, Actor) {
    let q = registry().await;
    let admin = actor("admin");
    q.create_catalog(&admin, "prod", "").await.unwrap();
    q.create_schema(&admin, "prod", "ml", "").await.unwrap();
    q.create_model(&admin, "prod", "ml", "fraud", "").await.unwrap();
    for i in 1..=3 {
        q.create_version(&admin, &path(), NewVersion { source: format!("s3://b/{i}"), ..Default::default() })
            .await
            .unwrap();
    }
    q.set_alias(&admin, &path(), "Champion", 1).await.unwrap();
    let catalog = Securable::parse(SecurableType::Catalog, "prod").unwrap();
    q.set_alias_policy(&admin, &catalog, &policy).await.unwrap();
    let requester = user_with(&q, "dana", "prod", &["USE_CATALOG", "USE_SCHEMA", "EXECUTE"]).await;
    let a1 = user_with(&q, "ana", "prod", &["USE_CATALOG", "USE_SCHEMA", "EXECUTE", "MANAGE"]).await;
    let a2 = user_with(&q, "bo", "prod", &["USE_CATALOG", "USE_SCHEMA", "EXECUTE", "MANAGE"]).await;
    (q, requester, a1, a2)
}

fn champion() -> AliasPolicy {
    AliasPolicy {
        aliases: vec!["Champion".into()],
        required_approvals: 1,
        allow_self_approval: false,
        require_signature: false,
        ..AliasPolicy::default()
    }
}

#[tokio::test]
async fn direct_changes_of_a_protected_alias_are_refused_everywhere() {
    let (q, _, manager, _) = setup(champion()).await;
    let admin = actor("admin");
    for who in [&admin, &manager] {
        let e = q.set_alias(who, &path(), "champion", 2).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::PermissionDenied);
        assert!(e.message.contains("approval"), "{}", e.message);
        assert_eq!(q.delete_alias(who, &path(), "Champion").await.unwrap_err().kind, ErrorKind::PermissionDenied);
    }
    let e = q.delete_version(&admin, &path(), 1).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
    assert!(e.message.contains("@Champion"), "{}", e.message);
    let e = q.delete_model(&admin, &path()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
    assert!(e.message.contains("prod.ml.fraud (@Champion)"), "{}", e.message);
    // Nor does deleting the schema or catalog with everything inside take the alias along.
    let e = q.delete_schema(&admin, "prod", "ml", true).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
    assert!(e.message.contains("prod.ml.fraud (@Champion)"), "{}", e.message);
    let e = q.delete_catalog(&admin, "prod", true).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
    assert!(e.message.contains("Catalog 'prod' holds protected aliases"), "{}", e.message);
    // Nothing moved; other aliases are free.
    assert_eq!(q.get_version_by_alias(&admin, &path(), "Champion").await.unwrap().version, 1);
    q.set_alias(&manager, &path(), "Challenger", 2).await.unwrap();
    q.delete_version(&admin, &path(), 3).await.unwrap();
    let protected = q.protected_aliases(&admin, &path()).await.unwrap();
    assert_eq!(protected.len(), 1);
    assert_eq!((protected[0].alias.as_str(), protected[0].set_on.as_str()), ("Champion", "catalog prod"));
}

#[tokio::test]
async fn an_approved_request_moves_the_alias_and_the_history_links_it() {
    let (q, requester, approver, _) = setup(champion()).await;
    let r = q.create_approval_request(&requester, &ask("Champion", 2)).await.unwrap();
    assert_eq!((r.state, r.from_version, r.required_approvals), (RequestState::Pending, Some(1), 1));
    // The requester may not approve their own request under this policy.
    let e = q.approve_request(&requester, &r.id, "").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
    // The inbox shows it to the approver, not to the requester.
    let inbox = RequestFilter { actionable: true, ..Default::default() };
    assert_eq!(q.list_approval_requests(&approver, &inbox, &all()).await.unwrap().items.len(), 1);
    assert!(q.list_approval_requests(&requester, &inbox, &all()).await.unwrap().items.is_empty());
    let done = q.approve_request(&approver, &r.id, "ship it").await.unwrap();
    assert_eq!(done.state, RequestState::Approved);
    assert_eq!(done.closed_by.as_deref(), Some("ana"));
    assert_eq!(q.get_version_by_alias(&approver, &path(), "Champion").await.unwrap().version, 2);
    let history = q.alias_history(&approver, &path(), Some("Champion"), &all()).await.unwrap().items;
    assert_eq!(history[0].to_version, Some(2));
    assert_eq!(history[0].approval.as_deref(), Some(r.id.as_str()));
    assert_eq!(history[0].by, "ana");
    // Closed requests do not change again.
    let e = q.reject_request(&approver, &r.id, "too late").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::FailedPrecondition);
    let detail = q.get_approval_request(&requester, &r.id).await.unwrap();
    let kinds: Vec<&str> = detail.notes.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["created", "approval", "approved"]);
    assert!(detail.notes[0].body_html.contains("<strong>holdout</strong>"));
    assert!(!detail.can_approve && !detail.can_cancel);
}

#[tokio::test]
async fn two_distinct_approvers_when_the_policy_asks_for_two() {
    let policy = AliasPolicy { required_approvals: 2, ..champion() };
    let (q, requester, a1, a2) = setup(policy).await;
    let r = q.create_approval_request(&requester, &ask("Champion", 3)).await.unwrap();
    assert_eq!(r.required_approvals, 2);
    let once = q.approve_request(&a1, &r.id, "").await.unwrap();
    assert_eq!((once.state, once.approvals.len()), (RequestState::Pending, 1));
    assert_eq!(q.approve_request(&a1, &r.id, "again").await.unwrap_err().kind, ErrorKind::FailedPrecondition);
    assert_eq!(q.get_version_by_alias(&a1, &path(), "Champion").await.unwrap().version, 1, "not yet");
    let twice = q.approve_request(&a2, &r.id, "").await.unwrap();
    assert_eq!(twice.state, RequestState::Approved);
    assert_eq!(q.get_version_by_alias(&a1, &path(), "Champion").await.unwrap().version, 3);
}

#[tokio::test]
async fn self_approval_when_the_policy_allows_it_and_removal_requests() {
    let policy = AliasPolicy { allow_self_approval: true, ..champion() };
    let (q, _, manager, _) = setup(policy).await;
    let remove = NewApprovalRequest { action: RequestAction::Remove, version: None, ..ask("Champion", 0) };
    let r = q.create_approval_request(&manager, &remove).await.unwrap();
    assert_eq!(r.version, 1, "a removal names the version the alias held");
    q.approve_request(&manager, &r.id, "").await.unwrap();
    let e = q.get_version_by_alias(&manager, &path(), "Champion").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
}

#[tokio::test]
async fn requests_go_stale_when_the_alias_moves_or_the_version_goes() {
    let (q, requester, approver, _) = setup(champion()).await;
    let to2 = q.create_approval_request(&requester, &ask("Champion", 2)).await.unwrap();
    let to3 = q.create_approval_request(&requester, &ask("Champion", 3)).await.unwrap();
    let other = q.create_approval_request(&requester, &ask("Challenger", 3)).await.unwrap();
    // Asking for the same change twice, or for what already is, is refused.
    let e = q.create_approval_request(&requester, &ask("Champion", 2)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::FailedPrecondition);
    let e = q.create_approval_request(&requester, &ask("Champion", 1)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::FailedPrecondition);
    q.approve_request(&approver, &to2.id, "").await.unwrap();
    let stale = q.get_approval_request(&requester, &to3.id).await.unwrap().request;
    assert_eq!(stale.state, RequestState::Stale);
    assert!(stale.reason.as_deref().unwrap_or_default().contains("moved"), "{:?}", stale.reason);
    // Version 3 goes away: the request pointing Challenger at it is stale too.
    q.delete_version(&actor("admin"), &path(), 3).await.unwrap();
    let gone = q.get_approval_request(&requester, &other.id).await.unwrap().request;
    assert_eq!(gone.state, RequestState::Stale);
    assert_eq!(gone.reason.as_deref(), Some("Version 3 was deleted."));
    let filter =
        RequestFilter { model: Some("prod.ml.fraud".into()), state: Some(RequestState::Stale), ..Default::default() };
    assert_eq!(q.list_approval_requests(&requester, &filter, &all()).await.unwrap().items.len(), 2);
}

#[tokio::test]
async fn only_the_requester_cancels_and_approvers_reject_with_a_reason() {
    let (q, requester, approver, _) = setup(champion()).await;
    let a = q.create_approval_request(&requester, &ask("Champion", 2)).await.unwrap();
    let e = q.cancel_request(&approver, &a.id, "").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
    assert_eq!(q.cancel_request(&requester, &a.id, "wrong version").await.unwrap().state, RequestState::Cancelled);
    let b = q.create_approval_request(&requester, &ask("Champion", 3)).await.unwrap();
    assert_eq!(q.reject_request(&requester, &b.id, "").await.unwrap_err().kind, ErrorKind::PermissionDenied);
    q.comment_on_request(&approver, &b.id, "What about latency?").await.unwrap();
    let rejected = q.reject_request(&approver, &b.id, "p99 too high").await.unwrap();
    assert_eq!((rejected.state, rejected.reason.as_deref()), (RequestState::Rejected, Some("p99 too high")));
    let mine = RequestFilter { requester: Some("dana".into()), ..Default::default() };
    let listed = q.list_approval_requests(&requester, &mine, &all()).await.unwrap().items;
    assert_eq!(listed.iter().map(|r| r.state).collect::<Vec<_>>(), [RequestState::Rejected, RequestState::Cancelled]);
    assert_eq!(q.get_version_by_alias(&approver, &path(), "Champion").await.unwrap().version, 1);
}

#[tokio::test]
async fn policies_are_validated_read_back_and_lifted() {
    let (q, requester, manager, _) = setup(champion()).await;
    let model = Securable::parse(SecurableType::Model, "prod.ml.fraud").unwrap();
    let bad = AliasPolicy { required_approvals: 0, ..champion() };
    assert_eq!(q.set_alias_policy(&manager, &model, &bad).await.unwrap_err().kind, ErrorKind::InvalidArgument);
    let bad = AliasPolicy { aliases: vec!["not an alias!".into()], ..champion() };
    assert_eq!(q.set_alias_policy(&manager, &model, &bad).await.unwrap_err().kind, ErrorKind::InvalidArgument);
    let e = q.set_alias_policy(&requester, &model, &champion()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
    let own = AliasPolicy {
        aliases: vec!["@Prod".into(), "prod".into()],
        required_approvals: 3,
        allow_self_approval: false,
        require_signature: false,
        ..AliasPolicy::default()
    };
    let view = q.set_alias_policy(&manager, &model, &own).await.unwrap();
    assert_eq!(view.policy.aliases, ["Prod"]);
    assert_eq!(view.inherited, [("Champion".to_string(), "catalog prod".to_string())]);
    let r = q.create_approval_request(&requester, &ask("prod", 2)).await.unwrap();
    assert_eq!(r.required_approvals, 3);
    // Lifting the catalog's policy frees Champion.
    let catalog = Securable::parse(SecurableType::Catalog, "prod").unwrap();
    q.set_alias_policy(&actor("admin"), &catalog, &AliasPolicy::default()).await.unwrap();
    q.set_alias(&manager, &path(), "Champion", 2).await.unwrap();
}

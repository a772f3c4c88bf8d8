//! Deployment checks on versions: a report replaces the check's state, times follow the
//! status, each change of state is one activity entry, and the checks go with their version.

mod common;

use common::{actor, registry};
use quiver::error::ErrorKind;

use quiver::services::governance::{CheckConclusion, CheckReport, CheckRollup, CheckStatus};
use quiver::services::registry::NewVersion;

fn report(status: CheckStatus, conclusion: Option<CheckConclusion>) -> CheckReport {
    CheckReport::new(status, conclusion)
}

#[tokio::test]
async fn a_check_moves_from_queued_to_completed_and_leaves_its_history() {
    let q = registry().await;
    let a = actor("admin");
    let p = common::fraud_model(&q, &a, 2).await;

    let queued = q.report_check(&a, &p, 2, "eval", &report(CheckStatus::Queued, None)).await.unwrap();
    assert_eq!((queued.started_at, queued.completed_at), (None, None));
    let running = q.report_check(&a, &p, 2, "eval", &report(CheckStatus::InProgress, None)).await.unwrap();
    let started = running.started_at.expect("in progress sets the start");
    // Reported again in progress (a heartbeat): the start stays, no new activity entry.
    let again = q.report_check(&a, &p, 2, "eval", &report(CheckStatus::InProgress, None)).await.unwrap();
    assert_eq!(again.started_at, Some(started));
    let done = q
        .report_check(&a, &p, 2, "eval", &report(CheckStatus::Completed, Some(CheckConclusion::Failure)))
        .await
        .unwrap();
    assert_eq!(done.started_at, Some(started));
    assert!(done.completed_at.is_some_and(|c| c >= started));
    assert!(!done.passed());
    assert_eq!(done.created_at, queued.created_at);
    // A re-run: queued again clears both times.
    let rerun = q.report_check(&a, &p, 2, "eval", &report(CheckStatus::Queued, None)).await.unwrap();
    assert_eq!((rerun.started_at, rerun.completed_at, rerun.conclusion), (None, None, None));
    q.report_check(&a, &p, 2, "lint", &report(CheckStatus::Completed, Some(CheckConclusion::Success))).await.unwrap();

    let checks = q.version_checks(&a, &p, 2).await.unwrap();
    let names: Vec<_> = checks.iter().map(|c| (c.name.as_str(), c.state_label())).collect();
    assert_eq!(names, [("eval", "queued"), ("lint", "success")]);
    assert!(q.version_checks(&a, &p, 1).await.unwrap().is_empty(), "checks belong to their version");
    let states: Vec<_> = q
        .list_activity(&a, &p, Some(2), &Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.action == "model_version_check.updated")
        .map(|e| (e.subject.unwrap_or_default(), e.before, e.after.unwrap_or_default()))
        .collect();
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        states,
        [
            ("lint".to_string(), None, "success".to_string()),
            ("eval".to_string(), s("failure"), "queued".to_string()),
            ("eval".to_string(), s("in_progress"), "failure".to_string()),
            ("eval".to_string(), s("queued"), "in_progress".to_string()),
            ("eval".to_string(), None, "queued".to_string()),
        ],
        "one entry per change of state, none for the heartbeat"
    );

    // The versions table's roll-up: one query for the page's versions, those without checks left out.
    let rollups = q.check_rollups(&a, &p, &[1, 2]).await.unwrap();
    assert_eq!(rollups, [(2, CheckRollup { passed: 1, failed: 0, pending: 1 })]);
    q.report_check(&a, &p, 2, "bias", &report(CheckStatus::Completed, Some(CheckConclusion::TimedOut))).await.unwrap();
    let rollups = q.check_rollups(&a, &p, &[2]).await.unwrap();
    assert_eq!(rollups, [(2, CheckRollup { passed: 1, failed: 1, pending: 1 })]);
    assert!(q.check_rollups(&a, &p, &[1]).await.unwrap().is_empty());

    // Refusals leave nothing; a missing version is not found.
    let e = q.report_check(&a, &p, 2, "x", &report(CheckStatus::Completed, None)).await.unwrap_err();
    assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::InvalidArgument, Some("conclusion")));
    let e = q.report_check(&a, &p, 2, "\u{7}", &report(CheckStatus::Queued, None)).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("name"));
    let e = q.report_check(&a, &p, 9, "eval", &report(CheckStatus::Queued, None)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(q.version_checks(&a, &p, 2).await.unwrap().len(), 3);

    // Deleting the version deletes its checks; a model of the same name starts without any.
    q.delete_version(&a, &p, 2).await.unwrap();
    assert_eq!(q.version_checks(&a, &p, 2).await.unwrap_err().kind, ErrorKind::NotFound);
    q.report_check(&a, &p, 1, "eval", &report(CheckStatus::Queued, None)).await.unwrap();
    q.delete_model(&a, &p).await.unwrap();
    q.create_model(&a, "prod", "ml", "fraud", "").await.unwrap();
    q.create_version(&a, &p, NewVersion { source: "s3://b/1".into(), ..Default::default() }).await.unwrap();
    assert!(q.version_checks(&a, &p, 1).await.unwrap().is_empty());
}

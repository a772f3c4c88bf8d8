//! Promotion gates on a protected alias: required checks and tags, metric thresholds and
//! signature compatibility, evaluated for each request; the final approval moves the alias only
//! when every rule passes, and the request settles by itself when a check or tag changes.

mod common;

use common::{actor, registry, user_with};
use quiver::Quiver;
use quiver::names::ModelPath;
use quiver::services::governance::privileges::SecurableType;
use quiver::services::governance::{
    Actor, AliasPolicy, CheckConclusion, CheckReport, CheckStatus, MetricThreshold, NewApprovalRequest, RequestAction,
    RequestState, RequiredTag, RuleState, Securable,
};
use quiver::services::registry::{NewVersion, TagTarget};
use quiver::services::tracking::{Metric, RunBatch};

fn path() -> ModelPath {
    ModelPath::new("prod", "ml", "fraud").unwrap()
}

fn report(status: CheckStatus, conclusion: Option<CheckConclusion>) -> CheckReport {
    CheckReport::new(status, conclusion)
}

fn sig(inputs: &[(&str, &str)]) -> (Option<String>, Option<String>) {
    let cols: Vec<String> =
        inputs.iter().map(|(n, t)| format!(r#"{{"name": "{n}", "type": "{t}", "required": true}}"#)).collect();
    (Some(format!("[{}]", cols.join(","))), Some(r#"[{"type": "long", "required": true}]"#.into()))
}

/// Versions 1 (Champion) and 2 and 3 with runs (accuracy 0.88, 0.93, 0.95) and signatures (3
/// drops an input); the gates on the model; a requester with EXECUTE.
async fn setup() -> (Quiver, Actor, Actor) {
    let q = registry().await;
    let admin = actor("admin");
    common::fraud_model(&q, &admin, 0).await;
    let exp = q.create_experiment(&admin, "fraud", None, &[]).await.unwrap();
    let inputs: [&[(&str, &str)]; 3] = [
        &[("amount", "double"), ("country", "string")],
        &[("amount", "double"), ("country", "string"), ("hour", "long")],
        &[("amount", "double")],
    ];
    for (i, acc) in [0.88, 0.93, 0.95].into_iter().enumerate() {
        let run = q.create_run(&admin, &exp, Some(&format!("train-{i}")), None, &[]).await.unwrap();
        let batch = RunBatch { metrics: vec![Metric::new("accuracy", acc, 1, 0)], ..Default::default() };
        q.log_batch(&admin, &run.run_id, &batch).await.unwrap();
        let (signature_inputs, signature_outputs) = sig(inputs[i]);
        let new = NewVersion {
            source: format!("s3://b/{i}"),
            run_id: Some(run.run_id),
            signature_inputs,
            signature_outputs,
            ..Default::default()
        };
        q.create_version(&admin, &path(), new).await.unwrap();
    }
    q.set_alias(&admin, &path(), "Champion", 1).await.unwrap();
    let policy = AliasPolicy {
        aliases: vec!["Champion".into()],
        required_approvals: 1,
        required_checks: vec!["eval".into()],
        required_tags: vec![RequiredTag { key: "validation_status".into(), value: "approved".into() }],
        metric_thresholds: vec![MetricThreshold::parse("accuracy >= 0.9").unwrap()],
        compatible_signature: true,
        ..AliasPolicy::default()
    };
    let model = Securable::parse(SecurableType::Model, "prod.ml.fraud").unwrap();
    let view = q.set_alias_policy(&admin, &model, &policy).await.unwrap();
    assert_eq!(view.policy.required_checks, ["eval"], "the rules read back");
    assert_eq!(view.policy.metric_thresholds[0].label(), "accuracy >= 0.9");
    let requester = user_with(&q, "dana", "prod", &["USE_CATALOG", "USE_SCHEMA", "EXECUTE"]).await;
    (q, admin, requester)
}

fn ask(version: i64) -> NewApprovalRequest {
    NewApprovalRequest {
        model: "prod.ml.fraud".into(),
        version: Some(version),
        alias: "Champion".into(),
        action: RequestAction::Set,
        justification: "better".into(),
    }
}

async fn champion(q: &Quiver, admin: &Actor) -> i64 {
    q.get_version_by_alias(admin, &path(), "Champion").await.unwrap().version
}

#[tokio::test]
async fn the_alias_moves_only_once_every_rule_passes() {
    let (q, admin, dana) = setup().await;
    let r = q.create_approval_request(&dana, &ask(2)).await.unwrap();
    let states = |d: &quiver::services::governance::RequestDetail| {
        d.rules.iter().map(|r| (r.rule.clone(), r.state)).collect::<Vec<_>>()
    };
    let detail = q.get_approval_request(&admin, &r.id).await.unwrap();
    assert_eq!(
        states(&detail),
        [
            ("check eval".to_string(), RuleState::Waiting),
            ("tag validation_status = approved".to_string(), RuleState::Failing),
            ("accuracy >= 0.9".to_string(), RuleState::Passed),
            ("signature compatible with @Champion".to_string(), RuleState::Passed),
        ]
    );
    assert_eq!(detail.rules[2].reason, "it is 0.93");

    // The approval counts, but the alias waits (and the timeline says for what).
    let approved = q.approve_request(&admin, &r.id, "fine by me").await.unwrap();
    assert_eq!(approved.state, RequestState::Pending);
    assert_eq!(champion(&q, &admin).await, 1);
    let notes = q.get_approval_request(&admin, &r.id).await.unwrap().notes;
    let waiting = notes.iter().find(|n| n.kind == "waiting").expect("a waiting note");
    assert!(waiting.body.contains("check eval (not reported yet)"), "{}", waiting.body);

    // Each change settles again: the tag, a running check, a failed one — still waiting.
    q.set_tag(&admin, &path(), TagTarget::Version(2), "validation_status", "approved").await.unwrap();
    q.report_check(&admin, &path(), 2, "eval", &report(CheckStatus::InProgress, None)).await.unwrap();
    q.report_check(&admin, &path(), 2, "eval", &report(CheckStatus::Completed, Some(CheckConclusion::Failure)))
        .await
        .unwrap();
    assert_eq!(champion(&q, &admin).await, 1);
    let detail = q.get_approval_request(&admin, &r.id).await.unwrap();
    assert_eq!(detail.request.state, RequestState::Pending);
    assert_eq!(states(&detail)[0], ("check eval".to_string(), RuleState::Failing));
    assert_eq!(states(&detail)[1].1, RuleState::Passed);

    // The check passes on a re-run: the alias moves, the request is approved.
    q.report_check(&admin, &path(), 2, "eval", &report(CheckStatus::Completed, Some(CheckConclusion::Success)))
        .await
        .unwrap();
    assert_eq!(champion(&q, &admin).await, 2);
    let done = q.get_approval_request(&admin, &r.id).await.unwrap();
    assert_eq!(done.request.state, RequestState::Approved);
    assert!(done.rules.is_empty(), "a closed request is not evaluated again");
}

#[tokio::test]
async fn failing_rules_say_why() {
    let (q, admin, dana) = setup().await;
    // Version 3 drops an input of version 1 (Champion); version 1 itself is below the threshold.
    let r = q.create_approval_request(&dana, &ask(3)).await.unwrap();
    let rules = q.get_approval_request(&admin, &r.id).await.unwrap().rules;
    let compat = rules.iter().find(|r| r.rule.starts_with("signature")).unwrap();
    assert_eq!(compat.state, RuleState::Failing);
    assert!(compat.reason.contains("input country is missing"), "{}", compat.reason);
    q.cancel_request(&dana, &r.id, "").await.unwrap();
    // Move Champion to 3 outside the policy's reach (lift it), then ask for 1: accuracy 0.88.
    let model = Securable::parse(SecurableType::Model, "prod.ml.fraud").unwrap();
    q.set_alias_policy(&admin, &model, &AliasPolicy::default()).await.unwrap();
    q.set_alias(&admin, &path(), "Champion", 3).await.unwrap();
    let policy = AliasPolicy {
        aliases: vec!["Champion".into()],
        metric_thresholds: vec![MetricThreshold::parse("accuracy > 0.9").unwrap()],
        compatible_signature: true,
        ..AliasPolicy::default()
    };
    q.set_alias_policy(&admin, &model, &policy).await.unwrap();
    let r = q.create_approval_request(&dana, &ask(1)).await.unwrap();
    let rules = q.get_approval_request(&admin, &r.id).await.unwrap().rules;
    assert_eq!((rules[0].state, rules[0].reason.as_str()), (RuleState::Failing, "it is 0.88"));
    assert_eq!(rules[1].state, RuleState::Passed, "1 keeps every input of 3: {}", rules[1].reason);
    q.approve_request(&admin, &r.id, "").await.unwrap();
    assert_eq!(champion(&q, &admin).await, 3, "a failing threshold holds the alias");
    // A removal is not gated.
    let remove = NewApprovalRequest { version: None, action: RequestAction::Remove, ..ask(0) };
    let r = q.create_approval_request(&dana, &remove).await.unwrap();
    assert!(q.get_approval_request(&admin, &r.id).await.unwrap().rules.is_empty());
}

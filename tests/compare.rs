//! Two versions side by side: the rows an approver reads before saying yes.

mod common;

use common::{actor, registry};
use quiver::error::ErrorKind;
use quiver::names::VersionRef;
use quiver::services::governance::{CheckConclusion, CheckReport, CheckStatus};
use quiver::services::registry::{CompareRow, NewVersion, Signature, Tag, TagTarget};
use quiver::services::tracking::{Metric, RunBatch};

fn find<'a>(rows: &'a [CompareRow], key: &str) -> &'a CompareRow {
    rows.iter().find(|r| r.key == key).unwrap_or_else(|| panic!("no row {key} in {rows:?}"))
}

#[tokio::test]
async fn two_versions_compare_row_by_row() {
    let q = registry().await;
    let a = actor("admin");
    let p = common::fraud_model(&q, &a, 0).await;
    let exp = q.create_experiment(&a, "fraud", None, &[]).await.unwrap();
    let sig = |y: &str| Signature {
        inputs: format!(
            r#"[{{"name": "amount", "type": "double", "required": true}}, {{"name": "country", "type": "{y}", "required": true}}]"#
        ),
        outputs: r#"[{"type": "long", "required": true}]"#.into(),
    };
    for (i, (acc, depth, country)) in [(0.91, "6", "string"), (0.93, "8", "long")].into_iter().enumerate() {
        let run = q.create_run(&a, &exp, Some(&format!("train-{i}")), None, &[]).await.unwrap();
        let batch = RunBatch {
            metrics: vec![Metric::new("accuracy", acc, 100, 0), Metric::new("latency_ms", 12.0, 100, 0)],
            params: vec![Tag { key: "max_depth".into(), value: depth.into() }],
            tags: vec![],
        };
        q.log_batch(&a, &run.run_id, &batch).await.unwrap();
        let sig = sig(country);
        let new = NewVersion {
            source: format!("s3://b/{i}"),
            run_id: Some(run.run_id.clone()),
            signature_inputs: Some(sig.inputs),
            signature_outputs: Some(sig.outputs),
            ..Default::default()
        };
        q.create_version(&a, &p, new).await.unwrap();
    }
    q.set_alias(&a, &p, "Champion", 1).await.unwrap();
    q.set_tag(&a, &p, TagTarget::Version(2), "validation_status", "approved").await.unwrap();
    let done = CheckReport::new(CheckStatus::Completed, Some(CheckConclusion::Success));
    q.report_check(&a, &p, 2, "eval", &done).await.unwrap();

    let champion = VersionRef::parse("Champion").unwrap();
    let c = q.compare_versions(&a, &p, &champion, &VersionRef::Number(2)).await.unwrap();
    assert_eq!((c.a.version.version, c.b.version.version), (1, 2));

    let overview = c.overview();
    assert_eq!(overview[0].key, "status");
    assert_eq!(find(&overview, "aliases").change(), "removed");
    assert!(find(&overview, "run").a.as_deref().unwrap().starts_with("train-0"));

    let metrics = c.metrics();
    let acc = find(&metrics, "accuracy");
    assert_eq!((acc.a.as_deref(), acc.b.as_deref()), (Some("0.91"), Some("0.93")));
    assert!((acc.delta.unwrap() - 0.02).abs() < 1e-9);
    assert!(!find(&metrics, "latency_ms").differs());
    assert_eq!(find(&c.params(), "max_depth").change(), "changed");

    let (inputs, outputs) = c.signature();
    assert!(!find(&inputs, "amount").differs());
    assert_eq!(find(&inputs, "country").change(), "changed");
    assert!(outputs.iter().all(|r| !r.differs()));

    assert_eq!(find(&c.tags(), "validation_status").change(), "added");
    assert_eq!(find(&c.checks(), "eval").b.as_deref(), Some("success"));

    // A version that does not exist is not found; a reader without EXECUTE is refused.
    let e = q.compare_versions(&a, &p, &VersionRef::Number(1), &VersionRef::Number(9)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    let nobody = common::user_with(&q, "nobody", "prod", &["USE_CATALOG", "USE_SCHEMA"]).await;
    let e = q.compare_versions(&nobody, &p, &VersionRef::Number(1), &VersionRef::Number(2)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
}

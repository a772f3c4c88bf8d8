//! Runs as a version's page shows them: the latest value of each metric (kept as metrics are
//! logged, whatever order their steps arrive in), the full history, and the run a version
//! was trained in.

mod common;

use common::actor;
use quiver::error::ErrorKind;
use quiver::names::{ModelPath, VersionRef};
use quiver::services::paging::PageRequest;
use quiver::services::registry::{NewVersion, Tag};
use quiver::services::tracking::{Metric, RunBatch, RunSearch};

fn metric(key: &str, value: f64, timestamp: i64, step: i64) -> Metric {
    Metric::new(key, value, timestamp, step)
}

fn latest(run: &quiver::services::tracking::Run) -> Vec<(String, f64, i64)> {
    run.metrics.iter().map(|m| (m.key.clone(), m.value, m.step)).collect()
}

#[tokio::test]
async fn a_run_shows_the_latest_value_of_each_metric() {
    let q = common::registry().await;
    let a = actor("alice");
    let exp = q.create_experiment(&a, "churn", None, &[]).await.unwrap();
    let run = q.create_run(&a, &exp, Some("train"), None, &[]).await.unwrap();
    let batch = |metrics: Vec<Metric>| RunBatch { metrics, ..Default::default() };
    // Steps out of order within a batch and across batches: the greatest step wins, then the
    // latest timestamp, then the greater value (MLflow's rule).
    q.log_batch(&a, &run.run_id, &batch(vec![metric("loss", 0.9, 100, 0), metric("loss", 0.4, 300, 2)])).await.unwrap();
    q.log_batch(&a, &run.run_id, &batch(vec![metric("loss", 0.6, 400, 1), metric("acc", 0.7, 100, 0)])).await.unwrap();
    q.log_batch(&a, &run.run_id, &batch(vec![metric("acc", 0.8, 50, 0), metric("acc", 0.75, 100, 0)])).await.unwrap();
    let got = q.get_run(&a, &run.run_id).await.unwrap();
    assert_eq!(latest(&got), [("acc".to_string(), 0.75, 0), ("loss".to_string(), 0.4, 2)]);

    // The history keeps every point, oldest step first.
    let history = q.metric_history(&a, &run.run_id, "loss", 100).await.unwrap();
    let steps: Vec<(i64, f64)> = history.iter().map(|m| (m.step, m.value)).collect();
    assert_eq!(steps, [(0, 0.9), (1, 0.6), (2, 0.4)]);

    // Another run's metrics stay its own.
    let other = q.create_run(&a, &exp, None, None, &[]).await.unwrap();
    q.log_batch(&a, &other.run_id, &batch(vec![metric("loss", 5.0, 1, 9)])).await.unwrap();
    assert_eq!(latest(&q.get_run(&a, &run.run_id).await.unwrap())[1], ("loss".to_string(), 0.4, 2));
    assert_eq!(latest(&q.get_run(&a, &other.run_id).await.unwrap()), [("loss".to_string(), 5.0, 9)]);
}

#[tokio::test]
async fn a_version_page_finds_the_run_it_was_trained_in() {
    let q = common::registry().await;
    let a = actor("alice");
    q.create_catalog(&a, "prod", "").await.unwrap();
    q.create_schema(&a, "prod", "ml", "").await.unwrap();
    q.create_model(&a, "prod", "ml", "churn", "").await.unwrap();
    let p = ModelPath::parse_full("prod.ml.churn").unwrap();
    let exp = q.create_experiment(&a, "churn-training", None, &[]).await.unwrap();
    let run = q.create_run(&a, &exp, Some("nightly"), None, &[]).await.unwrap();
    let logged = RunBatch {
        metrics: vec![metric("auc", 0.91, 10, 3)],
        params: vec![Tag { key: "C".into(), value: "0.5".into() }],
        tags: vec![],
    };
    q.log_batch(&a, &run.run_id, &logged).await.unwrap();
    q.update_run(&a, &run.run_id, Some("FINISHED"), Some(run.start_time + 42_000), None).await.unwrap();

    // 1: names its run. 2: MLflow 3 without run_id, from a model the run logged. 3: a run from
    // another tracking server. 4: no run at all.
    let lm = q.create_logged_model(&a, &exp, "model", Some(&run.run_id), None, &[], &[]).await.unwrap();
    let versions = [
        NewVersion { source: "s3://b/1".into(), run_id: Some(run.run_id.clone()), ..Default::default() },
        NewVersion {
            source: format!("models:/{}", lm.model_id),
            model_id: Some(lm.model_id.clone()),
            ..Default::default()
        },
        NewVersion {
            source: "s3://b/3".into(),
            run_id: Some("0123456789abcdef0123456789abcdef".into()),
            ..Default::default()
        },
        NewVersion { source: "s3://b/4".into(), ..Default::default() },
    ];
    for v in versions {
        q.create_version(&a, &p, v).await.unwrap();
    }
    for n in [1, 2] {
        let t = q.version_run(&a, &p, &VersionRef::Number(n)).await.unwrap().expect("a run");
        assert_eq!((t.run.run_name.as_str(), t.experiment_name.as_str()), ("nightly", "churn-training"));
        assert_eq!((t.run.status.as_str(), t.run.end_time), ("FINISHED", Some(run.start_time + 42_000)));
        assert_eq!(t.run.params, logged.params);
        assert_eq!(latest(&t.run), [("auc".to_string(), 0.91, 3)]);
    }
    for n in [3, 4] {
        assert_eq!(q.version_run(&a, &p, &VersionRef::Number(n)).await.unwrap(), None, "version {n}");
    }
    let missing = q.version_run(&a, &p, &VersionRef::Number(9)).await.unwrap_err();
    assert!(missing.is(ErrorKind::NotFound), "{missing:?}");

    // Only who may read the version sees its run.
    let outsider = common::user_with(&q, "mallory", "prod", &[]).await;
    let denied = q.version_run(&outsider, &p, &VersionRef::Number(1)).await.unwrap_err();
    assert!(denied.is(ErrorKind::PermissionDenied), "{denied:?}");
}

#[tokio::test]
async fn a_run_page_lists_the_versions_registered_from_it_that_the_caller_may_see() {
    let q = common::registry().await;
    let a = actor("alice");
    for catalog in ["prod", "staging"] {
        q.create_catalog(&a, catalog, "").await.unwrap();
        q.create_schema(&a, catalog, "ml", "").await.unwrap();
        q.create_model(&a, catalog, "ml", "churn", "").await.unwrap();
    }
    let (prod, staging) =
        (ModelPath::parse_full("prod.ml.churn").unwrap(), ModelPath::parse_full("staging.ml.churn").unwrap());
    let exp = q.create_experiment(&a, "churn-training", None, &[]).await.unwrap();
    let run = q.create_run(&a, &exp, Some("nightly"), None, &[]).await.unwrap();
    let other = q.create_run(&a, &exp, None, None, &[]).await.unwrap();
    let from = |run_id: &str| NewVersion {
        source: format!("runs:/{run_id}/model"),
        run_id: Some(run_id.to_string()),
        ..Default::default()
    };
    q.create_version(&a, &staging, from(&run.run_id)).await.unwrap();
    q.create_version(&a, &prod, from(&other.run_id)).await.unwrap();
    q.create_version(&a, &prod, from(&run.run_id)).await.unwrap();

    let d = q.run_details(&a, &run.run_id).await.unwrap();
    assert_eq!((d.training.run.run_name.as_str(), d.training.experiment_name.as_str()), ("nightly", "churn-training"));
    let listed: Vec<(String, i64)> = d.versions.iter().map(|v| (v.model_full_name(), v.version)).collect();
    assert_eq!(listed, [("prod.ml.churn".to_string(), 2), ("staging.ml.churn".to_string(), 1)], "newest first");

    // A user who may read only prod, and the experiment, sees only prod's version; without the
    // experiment the run's page is closed to them.
    let reader = common::user_with(&q, "bob", "prod", &["USE_CATALOG", "USE_SCHEMA", "EXECUTE"]).await;
    let closed = q.run_details(&reader, &run.run_id).await.unwrap_err();
    assert!(closed.is(ErrorKind::PermissionDenied), "{closed:?}");
    let read = quiver::services::tracking::ExperimentGrantChange {
        principal: "bob".into(),
        level: Some(quiver::services::tracking::ExperimentLevel::Read),
    };
    q.update_experiment_permissions(&a, &exp, &[read], false).await.unwrap();
    let seen = q.run_details(&reader, &run.run_id).await.unwrap().versions;
    assert_eq!(seen.iter().map(|v| v.model_full_name()).collect::<Vec<_>>(), ["prod.ml.churn"]);

    let missing = q.run_details(&a, "0123456789abcdef0123456789abcdef").await.unwrap_err();
    assert!(missing.is(ErrorKind::NotFound), "{missing:?}");
}

#[tokio::test]
async fn an_experiment_lists_its_runs_newest_first_in_pages() {
    let q = common::registry().await;
    let a = actor("alice");
    let exp = q.create_experiment(&a, "churn", None, &[]).await.unwrap();
    let elsewhere = q.create_experiment(&a, "fraud", None, &[]).await.unwrap();
    let mut ids = Vec::new();
    for (name, start) in [("first", 1_000), ("third", 3_000), ("second", 2_000), ("also-third", 3_000)] {
        ids.push(q.create_run(&a, &exp, Some(name), Some(start), &[]).await.unwrap().run_id);
    }
    q.create_run(&a, &elsewhere, Some("other"), Some(5_000), &[]).await.unwrap();

    let mut names = Vec::new();
    let mut token = None;
    for _ in 0..5 {
        let search = RunSearch { limit: 3, page_token: token.as_deref(), ..Default::default() };
        let (experiment, page) = q.experiment_runs(&a, &exp, &search).await.unwrap();
        assert_eq!(experiment.name, "churn");
        names.extend(page.items.iter().map(|r| (r.run_name.clone(), r.start_time)));
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names.len(), 4, "{names:?}");
    let starts: Vec<i64> = names.iter().map(|(_, s)| *s).collect();
    assert_eq!(starts, [3_000, 3_000, 2_000, 1_000]);
    assert_eq!(names[2].0, "second");

    let first = RunSearch { limit: 50, ..Default::default() };
    let missing = q.experiment_runs(&a, "999", &first).await.unwrap_err();
    assert!(missing.is(ErrorKind::NotFound), "{missing:?}");
    let bad = q.experiment_runs(&a, "abc", &first).await.unwrap_err();
    assert!(bad.is(ErrorKind::InvalidArgument), "{bad:?}");
}

#[tokio::test]
async fn experiments_list_newest_first_in_pages() {
    let q = common::registry().await;
    let a = actor("alice");
    for name in ["a", "b", "c", "d"] {
        q.create_experiment(&a, name, None, &[]).await.unwrap();
    }
    let mut names = Vec::new();
    let mut token = None;
    for _ in 0..5 {
        let page = q.experiments_page(&a, &PageRequest { max_results: Some(2), page_token: token }).await.unwrap();
        names.extend(page.items.into_iter().map(|e| e.name));
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names, ["d", "c", "b", "a", "Default"]);
    let bad = PageRequest { max_results: Some(2), page_token: Some("garbage".into()) };
    assert!(q.experiments_page(&a, &bad).await.unwrap_err().is(ErrorKind::InvalidArgument));
}

#[tokio::test]
async fn a_run_page_draws_each_metric_logged_more_than_once_from_a_thinned_history() {
    let q = common::registry().await;
    let a = actor("alice");
    let exp = q.create_experiment(&a, "churn", None, &[]).await.unwrap();
    let run = q.create_run(&a, &exp, Some("long"), None, &[]).await.unwrap();
    // 500 steps of loss, in reverse order across two batches; f1 twice; acc once.
    let loss: Vec<Metric> = (0..500).rev().map(|s| metric("loss", 1.0 / (s as f64 + 1.0), 10, s)).collect();
    for chunk in loss.chunks(250) {
        q.log_batch(&a, &run.run_id, &RunBatch { metrics: chunk.to_vec(), ..Default::default() }).await.unwrap();
    }
    let few = vec![metric("f1", 0.5, 1, 0), metric("f1", 0.6, 2, 1), metric("acc", 0.9, 1, 0)];
    q.log_batch(&a, &run.run_id, &RunBatch { metrics: few, ..Default::default() }).await.unwrap();

    let details = q.run_details(&a, &run.run_id).await.unwrap();
    let keys: Vec<&str> = details.histories.iter().map(|h| h.key.as_str()).collect();
    assert_eq!(keys, ["f1", "loss"], "acc has one point: nothing to draw");
    assert_eq!(details.histories[0].points, [(0, 0.5), (1, 0.6)]);
    let drawn = &details.histories[1];
    assert_eq!((drawn.logged, drawn.points.len()), (500, quiver::services::tracking::MAX_CHART_POINTS));
    assert_eq!(drawn.points.first(), Some(&(0, 1.0)));
    assert_eq!(drawn.points.last(), Some(&(499, 1.0 / 500.0)));
    assert!(drawn.points.windows(2).all(|w| w[0].0 < w[1].0), "in step order, evenly thinned");
}

#[tokio::test]
async fn a_deleted_run_takes_nothing_more_until_restored() {
    let q = common::registry().await;
    let a = actor("alice");
    let exp = q.create_experiment(&a, "churn", None, &[]).await.unwrap();
    let run = q.create_run(&a, &exp, Some("train"), None, &[]).await.unwrap();
    let id = &run.run_id;
    q.set_run_deleted(&a, id, true).await.unwrap();
    let batch = RunBatch { metrics: vec![metric("loss", 0.5, 1, 0)], ..Default::default() };
    let outputs =
        [quiver::services::tracking::ModelOutput { model_id: "m-0123456789abcdef0123456789abcdef".into(), step: 0 }];
    for e in [
        q.log_batch(&a, id, &batch).await.unwrap_err(),
        q.update_run(&a, id, Some("FINISHED"), None, None).await.unwrap_err(),
        q.delete_run_tag(&a, id, "mlflow.runName").await.unwrap_err(),
        q.log_outputs(&a, id, &outputs).await.unwrap_err(),
    ] {
        assert!(e.is(ErrorKind::FailedPrecondition) && e.message.contains("is deleted"), "{e:?}");
    }
    q.set_run_deleted(&a, id, false).await.unwrap();
    q.log_batch(&a, id, &batch).await.unwrap();
    let got = q.get_run(&a, id).await.unwrap();
    assert_eq!((got.metrics.len(), got.status.as_str()), (1, "RUNNING"));
}

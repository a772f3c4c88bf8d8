//! Experiment permissions: nobody but administrators and the creator may use an experiment until
//! granted CAN_READ, CAN_EDIT or CAN_MANAGE (to them or a group); artifacts follow the same
//! levels, except that a model version's files are readable by whoever may read the version.

mod common;

use common::{actor, user_with};
use quiver::Quiver;
use quiver::error::ErrorKind;
use quiver::names::{ModelPath, VersionRef};
use quiver::services::governance::{Actor, AuditFilter};
use quiver::services::paging::PageRequest;
use quiver::services::registry::NewVersion;
use quiver::services::tracking::{ExperimentGrantChange, ExperimentLevel, Metric, RunBatch, RunSearch, RunView};

fn grant(who: &str, level: Option<ExperimentLevel>) -> Vec<ExperimentGrantChange> {
    vec![ExperimentGrantChange { principal: who.into(), level }]
}

fn denied<T: std::fmt::Debug>(r: quiver::error::Result<T>, needs: &str) {
    let e = r.expect_err("refused");
    assert!(e.is(ErrorKind::PermissionDenied) && e.message.contains(needs), "{e:?}");
}

async fn visible(q: &Quiver, a: &Actor) -> Vec<String> {
    let page = q.experiments_page(a, &PageRequest { max_results: Some(100), page_token: None }).await.unwrap();
    let searched = q.search_experiments(a, None, &[], RunView::All, 100, None).await.unwrap();
    let names: Vec<String> = page.items.into_iter().map(|e| e.name).collect();
    let mut found: Vec<String> = searched.items.into_iter().map(|e| e.name).collect();
    found.retain(|n| n != "Default");
    assert_eq!(names.iter().filter(|n| *n != "Default").cloned().collect::<Vec<_>>(), found, "list and search agree");
    found
}

fn batch(key: &str, value: f64) -> RunBatch {
    RunBatch { metrics: vec![Metric::new(key.to_string(), value, 1, 0)], ..Default::default() }
}

#[tokio::test]
async fn a_user_uses_an_experiment_only_as_far_as_granted() {
    let q = common::registry().await;
    let admin = actor("admin");
    let id = q.create_experiment(&admin, "churn", None, &[]).await.unwrap();
    let run = q.create_run(&admin, &id, Some("baseline"), None, &[]).await.unwrap();
    q.log_batch(&admin, &run.run_id, &batch("auc", 0.8)).await.unwrap();
    let dana = user_with(&q, "dana", "", &[]).await;

    // Nothing granted: the experiment is neither listed nor readable, and nothing can be logged.
    assert!(visible(&q, &dana).await.is_empty());
    denied(q.get_experiment(&dana, &id).await, "CAN_READ on experiment");
    denied(q.get_experiment_by_name(&dana, "churn").await, "CAN_READ");
    denied(q.get_run(&dana, &run.run_id).await, "CAN_READ");
    denied(q.metric_history(&dana, &run.run_id, "auc", 10).await, "CAN_READ");
    denied(q.search_runs(&dana, std::slice::from_ref(&id), &RunSearch::default()).await, "CAN_READ");
    denied(q.create_run(&dana, &id, None, None, &[]).await, "CAN_EDIT");
    denied(q.log_batch(&dana, &run.run_id, &batch("auc", 0.1)).await, "CAN_EDIT");
    assert_eq!(q.my_experiment_level(&dana, &id).await.unwrap(), None);
    // A search over an experiment that does not exist finds nothing, as in MLflow.
    assert!(q.search_runs(&dana, &["999".into()], &RunSearch::default()).await.unwrap().items.is_empty());
    // Each refusal is in the audit log.
    let refusals = AuditFilter { principal: Some("dana".into()), outcome: Some("denied".into()), ..Default::default() };
    let page = PageRequest { max_results: Some(1000), page_token: None };
    let audited: Vec<String> = q
        .list_audit(&admin, &refusals, &page)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.securable_type == "experiment")
        .map(|e| e.detail.unwrap_or_default())
        .collect();
    assert!(audited.len() >= 6 && audited.iter().all(|d| d.starts_with("You need CAN_")), "{audited:?}");

    // CAN_READ: listed, readable; still nothing logged.
    q.update_experiment_permissions(&admin, &id, &grant("dana", Some(ExperimentLevel::Read)), false).await.unwrap();
    assert_eq!(visible(&q, &dana).await, ["churn"]);
    assert_eq!(q.get_run(&dana, &run.run_id).await.unwrap().metrics[0].value, 0.8);
    assert_eq!(q.search_runs(&dana, std::slice::from_ref(&id), &RunSearch::default()).await.unwrap().items.len(), 1);
    assert_eq!(q.my_experiment_level(&dana, &id).await.unwrap(), Some(ExperimentLevel::Read));
    denied(q.log_batch(&dana, &run.run_id, &batch("auc", 0.1)).await, "CAN_EDIT");
    denied(q.set_experiment_tag(&dana, &id, "team", "growth").await, "CAN_EDIT");

    // CAN_EDIT: runs are started and logged; renaming and deleting still need CAN_MANAGE.
    q.update_experiment_permissions(&admin, &id, &grant("dana", Some(ExperimentLevel::Edit)), false).await.unwrap();
    let hers = q.create_run(&dana, &id, Some("dana's"), None, &[]).await.unwrap();
    q.log_batch(&dana, &hers.run_id, &batch("auc", 0.9)).await.unwrap();
    q.set_run_deleted(&dana, &hers.run_id, true).await.unwrap();
    denied(q.rename_experiment(&dana, &id, "mine now").await, "CAN_MANAGE");
    denied(q.set_experiment_deleted(&dana, &id, true).await, "CAN_MANAGE");
    denied(q.experiment_permissions(&dana, &id).await, "CAN_MANAGE");

    // Revoked: back to nothing.
    q.update_experiment_permissions(&admin, &id, &grant("dana", None), false).await.unwrap();
    denied(q.get_run(&dana, &run.run_id).await, "CAN_READ");
    assert!(visible(&q, &dana).await.is_empty());
    assert!(q.experiment_permissions(&admin, &id).await.unwrap().grants.is_empty());
}

#[tokio::test]
async fn the_creator_manages_an_experiment_and_groups_carry_levels() {
    let q = common::registry().await;
    let admin = actor("admin");
    let dana = user_with(&q, "dana", "", &[]).await;
    let erin = user_with(&q, "erin", "", &[]).await;
    let id = q.create_experiment(&dana, "dana-exp", None, &[]).await.unwrap();
    assert_eq!(q.my_experiment_level(&dana, &id).await.unwrap(), Some(ExperimentLevel::Manage));
    assert_eq!(visible(&q, &dana).await, ["dana-exp"]);
    assert!(visible(&q, &erin).await.is_empty());

    q.create_group(&admin, "ml").await.unwrap();
    q.add_group_member(&admin, "ml", "erin").await.unwrap();
    let p =
        q.update_experiment_permissions(&dana, &id, &grant("ML", Some(ExperimentLevel::Edit)), false).await.unwrap();
    assert_eq!(p.owner, "dana");
    assert_eq!(
        p.grants.iter().map(|g| (g.principal.as_str(), g.kind, g.level)).collect::<Vec<_>>(),
        [("ml", quiver::services::governance::PrincipalKind::Group, ExperimentLevel::Edit)]
    );
    // Erin holds the group's level.
    let run = q.create_run(&erin, &id, None, None, &[]).await.unwrap();
    denied(
        q.update_experiment_permissions(&erin, &id, &grant("erin", Some(ExperimentLevel::Manage)), false).await,
        "CAN_MANAGE",
    );

    // Unknown principals are refused, and the whole change with them.
    let two = vec![
        ExperimentGrantChange { principal: "erin".into(), level: Some(ExperimentLevel::Manage) },
        ExperimentGrantChange { principal: "nobody".into(), level: Some(ExperimentLevel::Read) },
    ];
    let e = q.update_experiment_permissions(&dana, &id, &two, false).await.unwrap_err();
    assert!(e.is(ErrorKind::NotFound) && e.message.contains("'nobody'"), "{e:?}");
    assert_eq!(q.experiment_permissions(&dana, &id).await.unwrap().grants.len(), 1);

    // Replacing the list drops whoever it does not name.
    let p =
        q.update_experiment_permissions(&dana, &id, &grant("erin", Some(ExperimentLevel::Read)), true).await.unwrap();
    assert_eq!(p.grants.iter().map(|g| g.principal.as_str()).collect::<Vec<_>>(), ["erin"]);
    denied(q.log_batch(&erin, &run.run_id, &batch("auc", 0.5)).await, "CAN_EDIT");
    q.get_run(&erin, &run.run_id).await.unwrap();
    // The owner renames it; an administrator may do anything.
    q.rename_experiment(&dana, &id, "dana-churn").await.unwrap();
    q.set_experiment_deleted(&admin, &id, true).await.unwrap();
}

#[tokio::test]
async fn a_versions_files_are_readable_through_the_registry_and_nothing_else_is() {
    let q = common::registry().await;
    let admin = actor("admin");
    q.create_catalog(&admin, "prod", "").await.unwrap();
    q.create_schema(&admin, "prod", "ml", "").await.unwrap();
    q.create_model(&admin, "prod", "ml", "fraud", "").await.unwrap();
    let id = q.create_experiment(&admin, "fraud-training", None, &[]).await.unwrap();
    let run = q.create_run(&admin, &id, None, None, &[]).await.unwrap();
    let logged = q.create_logged_model(&admin, &id, "model", Some(&run.run_id), None, &[], &[]).await.unwrap();
    let path = ModelPath::parse_full("prod.ml.fraud").unwrap();
    let v = NewVersion {
        source: format!("models:/{}", logged.model_id),
        model_id: Some(logged.model_id.clone()),
        run_id: Some(run.run_id.clone()),
        ..Default::default()
    };
    q.create_version(&admin, &path, v).await.unwrap();
    let reader =
        user_with(&q, "reader", "prod", &["USE_CATALOG", "USE_SCHEMA", "EXECUTE", "CREATE_MODEL_VERSION"]).await;
    let model_files = format!("{id}/models/{}/artifacts", logged.model_id);

    // The version's files: readable (so `load_model("models:/prod.ml.fraud/1")` works), not writable.
    q.authorize_artifact(&reader, &format!("{model_files}/MLmodel"), false).await.unwrap();
    q.authorize_artifact(&reader, &model_files, false).await.unwrap();
    denied(q.authorize_artifact(&reader, &format!("{model_files}/MLmodel"), true).await, "CAN_EDIT");
    // The rest of the experiment is not: the run's other files, other models, the store's root.
    denied(q.authorize_artifact(&reader, &format!("{id}/{}/artifacts/plot.png", run.run_id), false).await, "CAN_READ");
    denied(q.authorize_artifact(&reader, &format!("{id}/models/m-0123/artifacts/MLmodel"), false).await, "CAN_READ");
    denied(q.authorize_artifact(&reader, &format!("{model_files}x/MLmodel"), false).await, "CAN_READ");
    denied(q.authorize_artifact(&reader, "", false).await, "administrators");
    let e = q.authorize_artifact(&reader, "999/x", false).await.unwrap_err();
    assert!(e.is(ErrorKind::NotFound), "{e:?}");
    // The version page says why it shows no training run; the run itself stays closed.
    denied(q.version_run(&reader, &path, &VersionRef::Number(1)).await, "CAN_READ");
    denied(q.get_logged_model(&reader, &logged.model_id).await, "CAN_READ");
    // Registering from a run, a logged model or an artifact path of an unreadable experiment
    // would open its files to the registry: refused, and no version is written.
    for source in [
        format!("runs:/{}/model", run.run_id),
        format!("models:/{}", logged.model_id),
        format!("mlflow-artifacts:/{id}/x"),
    ] {
        denied(q.create_version(&reader, &path, NewVersion { source, ..Default::default() }).await, "CAN_READ");
    }
    // Nor can a source written another way get around that: a leading space, `.` parts, an
    // experiment that does not exist yet (numbers are handed out in order), a padded number.
    for source in [
        format!(" mlflow-artifacts:/{id}/x"),
        format!("mlflow-artifacts:/./{id}/x"),
        format!("mlflow-artifacts://{id}//x"),
    ] {
        denied(q.create_version(&reader, &path, NewVersion { source, ..Default::default() }).await, "CAN_READ");
    }
    let e =
        q.create_version(&reader, &path, NewVersion { source: "mlflow-artifacts:/99/x".into(), ..Default::default() });
    assert!(e.await.unwrap_err().is(ErrorKind::NotFound));
    for source in [format!("mlflow-artifacts:/0{id}/x"), "mlflow-artifacts:/x".to_string()] {
        denied(q.create_version(&reader, &path, NewVersion { source, ..Default::default() }).await, "administrators");
    }
    q.create_version(&reader, &path, NewVersion { source: "s3://bucket/fraud".into(), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(q.get_version_ref(&admin, &path, &VersionRef::Number(2)).await.unwrap().source, "s3://bucket/fraud");
    // With CAN_READ on the experiment, the run shows on the version page.
    q.update_experiment_permissions(&admin, &id, &grant("reader", Some(ExperimentLevel::Read)), false).await.unwrap();
    let shown = q.version_run(&reader, &path, &VersionRef::Number(1)).await.unwrap().expect("the run");
    assert_eq!((shown.run.run_id, shown.experiment_name), (run.run_id.clone(), "fraud-training".to_string()));
    q.authorize_artifact(&reader, &format!("{id}/{}/artifacts/plot.png", run.run_id), false).await.unwrap();
}

#[tokio::test]
async fn a_runs_page_lists_only_the_models_logged_into_its_own_experiment() {
    let q = common::registry().await;
    let admin = actor("admin");
    let shared = q.create_experiment(&admin, "shared", None, &[]).await.unwrap();
    let private = q.create_experiment(&admin, "private", None, &[]).await.unwrap();
    let run = q.create_run(&admin, &shared, None, None, &[]).await.unwrap();
    q.create_logged_model(&admin, &shared, "kept", Some(&run.run_id), None, &[], &[]).await.unwrap();
    // A model logged elsewhere that names the shared run does not show on its page.
    q.create_logged_model(&admin, &private, "secret", Some(&run.run_id), None, &[], &[]).await.unwrap();
    let dana = user_with(&q, "dana", "", &[]).await;
    q.update_experiment_permissions(&admin, &shared, &grant("dana", Some(ExperimentLevel::Read)), false).await.unwrap();
    let models = q.run_details(&dana, &run.run_id).await.unwrap().models;
    assert_eq!(models.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["kept"]);
    // And attaching a model to a run takes CAN_READ on the run's experiment.
    let mine = q.create_experiment(&dana, "dana's", None, &[]).await.unwrap();
    let other = q.create_run(&admin, &private, None, None, &[]).await.unwrap();
    denied(q.create_logged_model(&dana, &mine, "m", Some(&other.run_id), None, &[], &[]).await, "CAN_READ");
    q.create_logged_model(&dana, &mine, "m", Some(&run.run_id), None, &[], &[]).await.unwrap();
}

//! Opening a store written by an older Quiver upgrades it in place: nothing is lost, and the
//! indexes built by the upgrade agree with the data (no stale or duplicate entries).

use crate::filter::{Entity, parse};
use crate::names::ModelPath;
use crate::services::governance::AuditFilter;
use crate::services::paging::PageRequest;
use crate::services::registry::{NewVersion, TagTarget};
use crate::services::tracking::{Metric, RunBatch, RunSearch, RunView};
use crate::store::{StoreConfig, first_error};
use crate::test_support::{self as common, actor};
use crate::{Quiver, ServiceConfig};

/// A dataset a run used, as `mlflow.log_input` sends the least of one.
fn training_data() -> crate::services::tracking::DatasetInput {
    let dataset = crate::services::tracking::Dataset {
        name: "train".into(),
        digest: "abcd".into(),
        source_type: "code".into(),
        source: "{}".into(),
        schema: None,
        profile: None,
    };
    crate::services::tracking::DatasetInput { tags: vec![], dataset }
}

fn all() -> PageRequest {
    PageRequest { max_results: Some(1000), page_token: None }
}

/// What a schema-12 store looked like: no experiment permissions (every signed-in caller used
/// every experiment), no index of versions by logged model.
const AS_SCHEMA_12: &str = "
    REMOVE TABLE experiment_grant; REMOVE INDEX version_logged_model ON model_version;
    UPSERT meta:schema SET schema_version = 12;";

/// What a schema-11 store looked like: logged models without copies of their params and tags,
/// nor metrics of their own.
const AS_SCHEMA_11: &str = "
    REMOVE FIELD params[*].key ON logged_model; REMOVE FIELD params[*].value ON logged_model;
    REMOVE FIELD params ON logged_model; REMOVE FIELD tags[*].key ON logged_model;
    REMOVE FIELD tags[*].value ON logged_model; REMOVE FIELD tags ON logged_model;
    REMOVE FIELD metrics[*].key ON logged_model; REMOVE FIELD metrics[*].value ON logged_model;
    REMOVE FIELD metrics[*].timestamp ON logged_model; REMOVE FIELD metrics[*].step ON logged_model;
    REMOVE FIELD metrics[*].run_id ON logged_model; REMOVE FIELD metrics[*].dataset_name ON logged_model;
    REMOVE FIELD metrics[*].dataset_digest ON logged_model; REMOVE FIELD metrics ON logged_model;
    REMOVE INDEX logged_model_experiment_newest ON logged_model; REMOVE INDEX logged_model_run ON logged_model;
    REMOVE FUNCTION fn::sync_logged_model;
    UPDATE logged_model UNSET params, tags, metrics;
    REMOVE FIELD datasets[*].name ON run; REMOVE FIELD datasets[*].digest ON run;
    REMOVE FIELD datasets[*].context ON run; REMOVE FIELD datasets ON run; REMOVE FUNCTION fn::sync_run_inputs;
    REMOVE FIELD inputs_logged ON run; UPDATE run UNSET inputs_logged, datasets;
    UPSERT meta:schema SET schema_version = 11;";

/// What a schema-10 store looked like: experiments without tags, no datasets.
const AS_SCHEMA_10: &str = "
    REMOVE FIELD tags[*].key ON experiment; REMOVE FIELD tags[*].value ON experiment; REMOVE FIELD tags ON experiment;
    UPDATE experiment UNSET tags;
    REMOVE TABLE dataset; REMOVE TABLE run_input; REMOVE TABLE run_model_input;
    UPSERT meta:schema SET schema_version = 10;";

/// What a schema-9 store looked like: runs without copies of their params, tags and metrics.
const AS_SCHEMA_9: &str = "
    REMOVE FIELD params[*].key ON run; REMOVE FIELD params[*].value ON run; REMOVE FIELD params ON run;
    REMOVE FIELD tags[*].key ON run; REMOVE FIELD tags[*].value ON run; REMOVE FIELD tags ON run;
    REMOVE FIELD metrics[*].key ON run; REMOVE FIELD metrics[*].value ON run; REMOVE FIELD metrics[*].timestamp ON run;
    REMOVE FIELD metrics[*].step ON run; REMOVE FIELD metrics ON run; REMOVE FIELD deleted_time ON run;
    REMOVE FIELD deleted_with_experiment ON run;
    REMOVE FUNCTION fn::sync_run;
    UPDATE run UNSET params, tags, metrics, deleted_time, deleted_with_experiment;
    UPSERT meta:schema SET schema_version = 9;";

/// What a schema-8 store looked like: no table of latest metrics (only their history), no
/// newest-first index of runs, no index of versions by run.
const AS_SCHEMA_8: &str = "REMOVE TABLE run_metric_latest; REMOVE INDEX run_experiment_newest ON run;
    REMOVE FIELD start_desc ON run; UPDATE run SET start_desc = NONE; REMOVE INDEX version_run ON model_version;
    UPSERT meta:schema SET schema_version = 8;";

/// What a schema-7 store looked like: every change to a model written twice, to `activity` and
/// (without the model) to `audit`.
const AS_SCHEMA_7: &str = "
    DEFINE TABLE activity SCHEMAFULL;
    DEFINE FIELD model ON activity TYPE record<registered_model>;
    DEFINE FIELD version ON activity TYPE option<int>;
    DEFINE FIELD action ON activity TYPE string;
    DEFINE FIELD subject ON activity TYPE option<string>;
    DEFINE FIELD before ON activity TYPE option<string>;
    DEFINE FIELD after ON activity TYPE option<string>;
    DEFINE FIELD at ON activity TYPE datetime;
    DEFINE FIELD at_desc ON activity TYPE int;
    DEFINE FIELD by ON activity TYPE string;
    DEFINE FIELD source ON activity TYPE string;
    DEFINE FIELD request_id ON activity TYPE string;
    DEFINE INDEX activity_newest ON activity FIELDS model, at_desc;
    DEFINE INDEX activity_version_newest ON activity FIELDS model, version, at_desc;
    FOR $e IN (SELECT * FROM audit WHERE model != NONE) {
        CREATE activity SET model = $e.model, version = $e.version, action = $e.action, subject = $e.detail,
            before = $e.before, after = $e.after, at = $e.at, at_desc = $e.at_desc, by = $e.principal,
            source = $e.source, request_id = $e.request_id;
    };
    REMOVE INDEX audit_model_newest ON audit; REMOVE INDEX audit_version_newest ON audit;
    UPDATE audit SET model = NONE, version = NONE, before = NONE, after = NONE;
    REMOVE FIELD model ON audit; REMOVE FIELD version ON audit;
    REMOVE FIELD before ON audit; REMOVE FIELD after ON audit;
    UPSERT meta:schema SET schema_version = 7;";

/// What a schema-3 store looked like (from a schema-7 one): no audit log, none of the copied
/// fields, none of the newest-first indexes, the old (model, at) indexes.
const AS_SCHEMA_3: &str = "
    REMOVE TABLE audit;
    REMOVE INDEX version_newest ON model_version; REMOVE INDEX version_stage_newest ON model_version;
    REMOVE INDEX version_full_name ON model_version; REMOVE INDEX activity_newest ON activity;
    REMOVE INDEX activity_version_newest ON activity; REMOVE INDEX alias_event_newest ON alias_event;
    REMOVE INDEX alias_event_alias_newest ON alias_event;
    DEFINE INDEX activity_model ON activity FIELDS model, at;
    DEFINE INDEX version_stage ON model_version FIELDS model, current_stage, version;
    UPDATE model_version SET version_desc = 0, full_name = '', full_name_lc = '', aliases = [], tags = [];
    UPDATE registered_model SET aliases = [], tags = [];
    UPDATE activity SET at_desc = 0;
    UPDATE alias_event SET at_desc = 0;
    UPSERT meta:schema SET schema_version = 3;";

/// An activity entry without its id (which an upgrade may change).
type Entry = (Option<i64>, String, Option<String>, Option<String>, Option<String>, String, String);

async fn activity_of(q: &Quiver, p: &ModelPath) -> Vec<Entry> {
    let page = q.list_activity(&actor("alice"), p, None, &all()).await.unwrap();
    page.items
        .into_iter()
        .map(|e| (e.version, e.action, e.subject, e.before, e.after, e.at.to_rfc3339(), e.by))
        .collect()
}

#[tokio::test]
async fn a_schema_7_store_is_upgraded_to_one_journal() {
    upgraded_from(&[AS_SCHEMA_12, AS_SCHEMA_11, AS_SCHEMA_10, AS_SCHEMA_9, AS_SCHEMA_8, AS_SCHEMA_7]).await;
}

#[tokio::test]
async fn a_schema_3_store_is_upgraded_without_losing_anything() {
    upgraded_from(&[AS_SCHEMA_12, AS_SCHEMA_11, AS_SCHEMA_10, AS_SCHEMA_9, AS_SCHEMA_8, AS_SCHEMA_7, AS_SCHEMA_3])
        .await;
}

/// Writes a model's history, turns the store into an older one with `steps`, opens it again
/// and checks that everything reads as before.
async fn upgraded_from(steps: &[&str]) {
    common::init_logs();
    let dir = tempfile::tempdir().unwrap();
    let config =
        StoreConfig { url: format!("surrealkv://{}", dir.path().join("q.db").display()), ..StoreConfig::memory() };
    let a = actor("alice");
    let p = ModelPath::parse_full("prod.ml.fraud").unwrap();
    let (activity_before, history_before) = {
        let q = Quiver::open(&config, ServiceConfig::default()).await.unwrap();
        q.create_catalog(&a, "prod", "").await.unwrap();
        q.create_schema(&a, "prod", "ml", "").await.unwrap();
        q.create_model(&a, "prod", "ml", "fraud", "").await.unwrap();
        for i in 1..=3 {
            q.create_version(&a, &p, NewVersion { source: format!("s3://b/{i}"), ..Default::default() }).await.unwrap();
        }
        q.set_alias(&a, &p, "Champion", 2).await.unwrap();
        q.set_alias(&a, &p, "Champion", 3).await.unwrap();
        q.set_alias(&a, &p, "Challenger", 3).await.unwrap();
        q.set_tag(&a, &p, TagTarget::Model, "team", "risk").await.unwrap();
        q.set_tag(&a, &p, TagTarget::Version(2), "validated", "yes").await.unwrap();
        let history: Vec<String> =
            q.alias_history(&a, &p, None, &all()).await.unwrap().items.into_iter().map(|e| e.id).collect();
        (activity_of(&q, &p).await, history)
    };
    assert!(activity_before.len() >= 9, "{activity_before:?}");
    {
        let db = crate::store::open(&config).await.unwrap();
        for step in steps {
            first_error(db.query(*step).await.unwrap()).unwrap();
        }
    }

    let q = Quiver::open(&config, ServiceConfig::default()).await.unwrap();
    let model = q.get_model(&a, &p).await.unwrap();
    let aliases: Vec<(String, i64)> = model.aliases.iter().map(|x| (x.alias.clone(), x.version)).collect();
    assert_eq!(aliases, [("Challenger".to_string(), 3), ("Champion".to_string(), 3)]);
    assert_eq!(model.tags.len(), 1);
    assert_eq!((model.catalog_name.as_str(), model.schema_name.as_str()), ("prod", "ml"));

    let versions = q.list_versions(&a, &p, &all()).await.unwrap().items;
    let shown: Vec<(i64, Vec<String>, usize)> =
        versions.iter().map(|v| (v.version, v.aliases.clone(), v.tags.len())).collect();
    assert_eq!(shown, [(3, vec!["Challenger".to_string(), "Champion".to_string()], 0), (2, vec![], 1), (1, vec![], 0)]);
    assert_eq!(versions[0].model_name, "fraud");

    // Every entry once, newest first, as before the upgrade; once in the audit log too, and the
    // old table is gone.
    assert_eq!(activity_of(&q, &p).await, activity_before);
    let filter = AuditFilter { action: Some("model_version.created".into()), ..Default::default() };
    let created = q.list_audit(&actor("admin"), &filter, &all()).await.unwrap().items;
    let securables: Vec<&str> = created.iter().map(|e| e.securable.as_str()).collect();
    assert_eq!(securables, ["prod.ml.fraud v3", "prod.ml.fraud v2", "prod.ml.fraud v1"]);
    let mut res = q.store().query("RETURN (INFO FOR DB).tables.activity;").await.unwrap();
    let table: Option<String> = res.take(0).unwrap();
    assert_eq!(table, None, "the activity table is removed");
    let history: Vec<String> =
        q.alias_history(&a, &p, None, &all()).await.unwrap().items.into_iter().map(|e| e.id).collect();
    assert_eq!(history, history_before);
    let at = q.aliases_at(&a, &p, chrono::Utc::now()).await.unwrap();
    assert_eq!(at.aliases.len(), 2);

    // The MLflow search by name walks the index built by the upgrade.
    let filter = parse("name = 'prod.ml.fraud'", Entity::Versions).unwrap();
    let found = q.search_model_versions(&a, filter.as_ref(), &[], 100, None).await.unwrap().items;
    assert_eq!(found.iter().map(|v| v.version).collect::<Vec<_>>(), [3, 2, 1]);
    let latest = q.latest_versions(&a, &p, &[]).await.unwrap();
    assert_eq!(latest.iter().map(|v| v.version).collect::<Vec<_>>(), [3]);

    // Writes after the upgrade keep the copies in step.
    q.delete_version(&a, &p, 3).await.unwrap();
    let model = q.get_model(&a, &p).await.unwrap();
    assert!(model.aliases.is_empty(), "{:?}", model.aliases);
    let versions = q.list_versions(&a, &p, &all()).await.unwrap().items;
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
    let after = activity_of(&q, &p).await;
    assert_eq!(after.len(), activity_before.len() + 3, "two aliases left with the version");
    assert_eq!((after[0].0, after[0].1.as_str()), (Some(3), "model_version.deleted"));
}

#[tokio::test]
async fn a_schema_8_store_gets_its_latest_metrics_from_the_history_and_onto_its_runs() {
    common::init_logs();
    let dir = tempfile::tempdir().unwrap();
    let config =
        StoreConfig { url: format!("surrealkv://{}", dir.path().join("q.db").display()), ..StoreConfig::memory() };
    let a = actor("alice");
    let metric = |key: &str, value: f64, timestamp: i64, step: i64| Metric::new(key, value, timestamp, step);
    let batch = |metrics: Vec<Metric>| RunBatch { metrics, ..Default::default() };
    let (runs, before) = {
        let q = Quiver::open(&config, ServiceConfig::default()).await.unwrap();
        let exp = q.create_experiment(&a, "churn", None, &[]).await.unwrap();
        assert_eq!(exp, "1");
        let mut runs = Vec::new();
        // Five runs, so that a list in record-id order passes for newest first only by a 1-in-120 chance.
        for i in 0..5 {
            let run = q.create_run(&a, &exp, None, Some(1_000 * (i64::from(i) + 1)), &[]).await.unwrap();
            let points = vec![
                metric("loss", 0.9, 1, 0),
                metric("loss", 0.3 + f64::from(i), 3, 2),
                metric("loss", 0.5, 2, 1),
                metric("acc", 0.7, 5, 0),
                metric("acc", 0.8, 4, 0),
            ];
            q.log_batch(&a, &run.run_id, &batch(points)).await.unwrap();
            runs.push(run.run_id);
        }
        let mut before = Vec::new();
        for id in &runs {
            before.push(q.get_run(&a, id).await.unwrap().metrics);
        }
        let params = [crate::services::registry::Tag { key: "C".into(), value: "1.0".into() }];
        q.create_logged_model(&a, &exp, "lr", Some(&runs[0]), None, &params, &params).await.unwrap();
        (runs, before)
    };
    assert_eq!(before[1].iter().map(|m| (m.key.as_str(), m.value)).collect::<Vec<_>>(), [("acc", 0.7), ("loss", 1.3)]);
    {
        let db = crate::store::open(&config).await.unwrap();
        for step in [AS_SCHEMA_12, AS_SCHEMA_11, AS_SCHEMA_10, AS_SCHEMA_9, AS_SCHEMA_8] {
            first_error(db.query(step).await.unwrap()).unwrap();
        }
    }

    let q = Quiver::open(&config, ServiceConfig::default()).await.unwrap();
    for (id, metrics) in runs.iter().zip(&before) {
        assert_eq!(&q.get_run(&a, id).await.unwrap().metrics, metrics);
    }
    // Runs list newest first through the index the upgrade built.
    let (_, listed) = q.experiment_runs(&a, "1", &RunSearch { limit: 10, ..Default::default() }).await.unwrap();
    let newest_first: Vec<String> = runs.iter().rev().cloned().collect();
    assert_eq!(listed.items.iter().map(|r| r.run_id.clone()).collect::<Vec<_>>(), newest_first);
    // Each run got copies of its latest metrics (schema 10): searches filter and order by them.
    let filter = parse("metrics.loss > 2.0", Entity::Runs).unwrap();
    let order = [crate::filter::run_order("metrics.loss DESC").unwrap()];
    let search = RunSearch { filter: filter.as_ref(), order: &order, limit: 10, ..Default::default() };
    let found = q.search_runs(&a, &["1".to_string()], &search).await.unwrap();
    assert_eq!(found.items.iter().map(|r| &r.run_id).collect::<Vec<_>>(), [&runs[4], &runs[3], &runs[2]]);
    // Kept up to date from there on.
    q.log_batch(&a, &runs[0], &batch(vec![metric("loss", 0.1, 9, 3)])).await.unwrap();
    let loss = q.get_run(&a, &runs[0]).await.unwrap().metrics.into_iter().find(|m| m.key == "loss").unwrap();
    assert_eq!((loss.value, loss.step), (0.1, 3));
    let filter = parse("metrics.loss < 0.2", Entity::Runs).unwrap();
    let search = RunSearch { filter: filter.as_ref(), limit: 10, ..Default::default() };
    let found = q.search_runs(&a, &["1".to_string()], &search).await.unwrap();
    assert_eq!(found.items.iter().map(|r| &r.run_id).collect::<Vec<_>>(), [&runs[0]]);
    // Schema 11: experiments have tags (none yet: no tag filter matches them), runs take datasets.
    let none = parse("tags.team != 'x'", Entity::Experiments).unwrap();
    let order = vec!["name".to_string()];
    let page = q.search_experiments(&a, none.as_ref(), &order, RunView::ActiveOnly, 10, None).await.unwrap();
    assert!(page.items.is_empty(), "{:?}", page.items);
    q.set_experiment_tag(&a, "1", "team", "growth").await.unwrap();
    let tagged = parse("tags.team = 'growth'", Entity::Experiments).unwrap();
    let page = q.search_experiments(&a, tagged.as_ref(), &order, RunView::ActiveOnly, 10, None).await.unwrap();
    assert_eq!(page.items.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["churn"]);
    let input = training_data();
    q.log_inputs(&a, &runs[0], std::slice::from_ref(&input), &[]).await.unwrap();
    assert_eq!(q.get_run(&a, &runs[0]).await.unwrap().inputs, [input]);
    // Schema 12: the logged model from before is searched by its params and tags, and takes metrics.
    let lm = parse("params.C = '1.0' AND tags.C = '1.0'", Entity::LoggedModels).unwrap();
    let found = q.search_logged_models(&a, &["1".to_string()], lm.as_ref(), &[], &[], 10, None).await.unwrap();
    assert_eq!(found.items.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["lr"]);
    let model_id = found.items[0].model_id.clone();
    let scored = Metric { model_id: Some(model_id.clone()), ..metric("auc", 0.9, 1, 0) };
    q.log_batch(&a, &runs[0], &batch(vec![scored])).await.unwrap();
    assert_eq!(q.get_logged_model(&a, &model_id).await.unwrap().metrics.len(), 1);
}

#[tokio::test]
async fn a_schema_11_store_keeps_showing_the_inputs_its_runs_logged() {
    common::init_logs();
    let dir = tempfile::tempdir().unwrap();
    let config =
        StoreConfig { url: format!("surrealkv://{}", dir.path().join("q.db").display()), ..StoreConfig::memory() };
    let a = actor("alice");
    let input = training_data();
    let run_id = {
        let q = Quiver::open(&config, ServiceConfig::default()).await.unwrap();
        let exp = q.create_experiment(&a, "churn", None, &[]).await.unwrap();
        let run = q.create_run(&a, &exp, None, None, &[]).await.unwrap();
        q.log_inputs(&a, &run.run_id, std::slice::from_ref(&input), &[]).await.unwrap();
        run.run_id
    };
    {
        let db = crate::store::open(&config).await.unwrap();
        for step in [AS_SCHEMA_12, AS_SCHEMA_11] {
            first_error(db.query(step).await.unwrap()).unwrap();
        }
    }
    let q = Quiver::open(&config, ServiceConfig::default()).await.unwrap();
    assert_eq!(q.get_run(&a, &run_id).await.unwrap().inputs, [input]);
    // ... and finds the run by them.
    let filter = parse("datasets.name = 'train'", Entity::Runs).unwrap();
    let search = RunSearch { filter: filter.as_ref(), ..Default::default() };
    let found = q.search_runs(&a, &["1".to_string()], &search).await.unwrap();
    assert_eq!(found.items.iter().map(|r| r.run_id.as_str()).collect::<Vec<_>>(), [run_id.as_str()]);
}

#[tokio::test]
async fn a_schema_12_store_keeps_everyone_in_the_experiments_they_logged_into() {
    use crate::services::tracking::{ExperimentGrantChange, ExperimentLevel};
    common::init_logs();
    let dir = tempfile::tempdir().unwrap();
    let config =
        StoreConfig { url: format!("surrealkv://{}", dir.path().join("q.db").display()), ..StoreConfig::memory() };
    let admin = actor("admin");
    let (shared, own) = {
        let q = Quiver::open(&config, ServiceConfig::default()).await.unwrap();
        let dana = common::user_with(&q, "dana", "", &[]).await;
        let erin = common::user_with(&q, "erin", "", &[]).await;
        let shared = q.create_experiment(&admin, "shared", None, &[]).await.unwrap();
        let edit = ExperimentGrantChange { principal: "dana".into(), level: Some(ExperimentLevel::Edit) };
        q.update_experiment_permissions(&admin, &shared, &[edit], false).await.unwrap();
        q.create_run(&dana, &shared, None, None, &[]).await.unwrap();
        q.create_run(&admin, &shared, None, None, &[]).await.unwrap();
        let own = q.create_experiment(&erin, "erin's", None, &[]).await.unwrap();
        q.create_run(&erin, &own, None, None, &[]).await.unwrap();
        (shared, own)
    };
    {
        let db = crate::store::open(&config).await.unwrap();
        first_error(db.query(AS_SCHEMA_12).await.unwrap()).unwrap();
    }
    let q = Quiver::open(&config, ServiceConfig::default()).await.unwrap();
    let p = q.experiment_permissions(&admin, &shared).await.unwrap();
    let grants: Vec<(&str, ExperimentLevel)> = p.grants.iter().map(|g| (g.principal.as_str(), g.level)).collect();
    assert_eq!(grants, [("dana", ExperimentLevel::Edit)], "whoever logged runs there, not its owner");
    // Erin logged only into her own experiment, which she owns: no grant needed, none made.
    assert!(q.experiment_permissions(&admin, &own).await.unwrap().grants.is_empty());
    assert_eq!(q.experiment_permissions(&admin, &own).await.unwrap().owner, "erin");
}

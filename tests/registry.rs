//! The registry core on real embedded SurrealDB (`mem://` and SurrealKV on disk).

mod common;

use common::{actor, registry};
use quiver::error::ErrorKind;
use quiver::names::ModelPath;
use quiver::services::paging::PageRequest;
use quiver::services::registry::{ModelFilter, NewVersion, VersionStatus};
use quiver::store::StoreConfig;
use quiver::{Quiver, ServiceConfig};

fn path(s: &str) -> ModelPath {
    ModelPath::parse_full(s).unwrap()
}

fn version(source: &str) -> NewVersion {
    NewVersion { source: source.into(), ..Default::default() }
}

async fn seed(q: &Quiver) {
    let a = actor("alice");
    q.create_catalog(&a, "prod", "Production models").await.unwrap();
    q.create_schema(&a, "prod", "ml_team", "").await.unwrap();
    q.create_model(&a, "prod", "ml_team", "fraud", "Detects fraud").await.unwrap();
}

#[tokio::test]
async fn create_and_read_the_tree() {
    let q = registry().await;
    let a = actor("alice");
    let cat = q.create_catalog(&a, "Prod", "Production").await.unwrap();
    assert_eq!((cat.name.as_str(), cat.owner.as_str(), cat.created.by.as_str()), ("Prod", "alice", "alice"));
    // Lookups are case-insensitive; the name keeps its case.
    assert_eq!(q.get_catalog(&a, "prod").await.unwrap().name, "Prod");
    let schema = q.create_schema(&a, "prod", "ml_team", "team").await.unwrap();
    assert_eq!(schema.full_name(), "Prod.ml_team");
    let model = q.create_model(&a, "PROD", "ML_TEAM", "Fraud", "").await.unwrap();
    assert_eq!(model.full_name(), "Prod.ml_team.Fraud");
    assert_eq!(model.latest_version, 0);
    let got = q.get_model(&a, &path("prod.ml_team.fraud")).await.unwrap();
    assert_eq!(got.id, model.id);

    let v = q
        .create_version(
            &a,
            &path("prod.ml_team.fraud"),
            NewVersion {
                source: "runs:/abc123/model".into(),
                run_id: Some("abc123".into()),
                run_link: Some("https://mlflow.example/runs/abc123".into()),
                description: "first".into(),
                signature_inputs: Some(r#"[{"type":"double","name":"x","required":true}]"#.into()),
                signature_outputs: Some(r#"[{"type":"long"}]"#.into()),
                status: None,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(v.version, 1);
    assert_eq!(v.status, VersionStatus::Ready);
    assert_eq!(v.model_full_name(), "Prod.ml_team.Fraud");
    let fetched = q.get_version(&a, &path("prod.ml_team.fraud"), 1).await.unwrap();
    assert_eq!(fetched, v);
    assert_eq!(fetched.signature.unwrap().inputs, r#"[{"type":"double","name":"x","required":true}]"#);
    assert_eq!(q.get_model(&a, &path("prod.ml_team.fraud")).await.unwrap().latest_version, 1);
}

#[tokio::test]
async fn duplicates_are_refused_case_insensitively() {
    let q = registry().await;
    seed(&q).await;
    let a = actor("alice");
    let e = q.create_catalog(&a, "PROD", "").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::AlreadyExists);
    assert_eq!(e.field.as_deref(), Some("name"));
    assert!(e.message.contains("'PROD' already exists"), "{e}");
    let e = q.create_schema(&a, "prod", "ML_Team", "").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::AlreadyExists);
    let e = q.create_model(&a, "prod", "ml_team", "FRAUD", "").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::AlreadyExists);
    // The same name is fine under another parent.
    q.create_schema(&a, "prod", "other", "").await.unwrap();
    q.create_model(&a, "prod", "other", "fraud", "").await.unwrap();
}

#[tokio::test]
async fn bad_names_and_missing_parents_say_what_is_wrong() {
    let q = registry().await;
    seed(&q).await;
    let a = actor("alice");
    let e = q.create_catalog(&a, "my catalog", "").await.unwrap_err();
    assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::InvalidArgument, Some("name")));
    assert!(e.message.contains("a space at position 3"), "{e}");
    let e = q.create_schema(&a, "nope", "s", "").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(e.message, "Catalog 'nope' does not exist.");
    let e = q.create_model(&a, "prod", "nope", "m", "").await.unwrap_err();
    assert_eq!(e.message, "Schema 'prod.nope' does not exist.");
    let e = q.create_version(&a, &path("prod.ml_team.nope"), version("s3://x")).await.unwrap_err();
    assert_eq!(e.message, "Model 'prod.ml_team.nope' does not exist.");
    let e = q.get_model(&a, &path("prod.nope.fraud")).await.unwrap_err();
    assert_eq!(e.message, "Schema 'prod.nope' does not exist.");
    let e = q.get_version(&a, &path("prod.ml_team.fraud"), 7).await.unwrap_err();
    assert_eq!((e.kind, e.message.as_str()), (ErrorKind::NotFound, "Model 'prod.ml_team.fraud' has no version 7."));
    let e = q.create_version(&a, &path("prod.ml_team.fraud"), version("  ")).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("source"));
    let bad_sig = NewVersion { signature_inputs: Some("{not json".into()), ..version("s3://x") };
    let e = q.create_version(&a, &path("prod.ml_team.fraud"), bad_sig).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("signature_inputs"));
    let bad_link = NewVersion { run_link: Some("javascript:alert(1)".into()), ..version("s3://x") };
    let e = q.create_version(&a, &path("prod.ml_team.fraud"), bad_link).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("run_link"));
    // None of the refused versions consumed a number.
    let v = q.create_version(&a, &path("prod.ml_team.fraud"), version("s3://x")).await.unwrap();
    assert_eq!(v.version, 1);
}

#[tokio::test]
async fn fifty_concurrent_registrations_get_one_to_fifty() {
    let q = registry().await;
    seed(&q).await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let q = q.clone();
            tokio::spawn(async move {
                q.create_version(&actor("ci"), &path("prod.ml_team.fraud"), version(&format!("s3://b/{i}"))).await
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap().expect("registration succeeds").version);
    }
    numbers.sort();
    assert_eq!(numbers, (1..=50).collect::<Vec<i64>>());
    let page = q
        .list_versions(
            &actor("ci"),
            &path("prod.ml_team.fraud"),
            &PageRequest { max_results: Some(1000), page_token: None },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 50);
    assert_eq!(q.get_model(&actor("ci"), &path("prod.ml_team.fraud")).await.unwrap().latest_version, 50);
}

#[tokio::test]
async fn pages_walk_every_item_once_in_order() {
    let q = registry().await;
    let a = actor("alice");
    q.create_catalog(&a, "c", "").await.unwrap();
    q.create_schema(&a, "c", "s", "").await.unwrap();
    let mut names: Vec<String> = (0..23).map(|i| format!("Model_{i:02}")).collect();
    for n in &names {
        q.create_model(&a, "c", "s", n, "").await.unwrap();
    }
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = q
            .list_models(
                &a,
                "c",
                "s",
                &ModelFilter::default(),
                &PageRequest { max_results: Some(5), page_token: token.clone() },
            )
            .await
            .unwrap();
        assert!(page.items.len() <= 5);
        seen.extend(page.items.into_iter().map(|m| m.name));
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
    }
    names.sort_by_key(|n| n.to_lowercase());
    assert_eq!(seen, names);

    // The filter is a case-insensitive substring match.
    let hits = q.list_models(&a, "c", "s", &by_name("el_1"), &PageRequest::default()).await.unwrap();
    assert_eq!(hits.items.len(), 10);
    let hits = q.list_models(&a, "c", "s", &by_name("MODEL_2"), &PageRequest::default()).await.unwrap();
    assert_eq!(hits.items.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["Model_20", "Model_21", "Model_22"]);

    // Versions come newest first.
    for i in 0..7 {
        q.create_version(&a, &path("c.s.Model_00"), version(&format!("s3://{i}"))).await.unwrap();
    }
    let p1 = q
        .list_versions(&a, &path("c.s.model_00"), &PageRequest { max_results: Some(4), page_token: None })
        .await
        .unwrap();
    assert_eq!(p1.items.iter().map(|v| v.version).collect::<Vec<_>>(), [7, 6, 5, 4]);
    let p2 = q
        .list_versions(&a, &path("c.s.model_00"), &PageRequest { max_results: Some(4), page_token: p1.next_page_token })
        .await
        .unwrap();
    assert_eq!(p2.items.iter().map(|v| v.version).collect::<Vec<_>>(), [3, 2, 1]);
    assert_eq!(p2.next_page_token, None);
    let e =
        q.list_catalogs(&a, &PageRequest { max_results: None, page_token: Some("garbage!".into()) }).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("page_token"));
}

#[tokio::test]
async fn deleting_non_empty_parents_needs_cascade_and_is_all_or_nothing() {
    let q = registry().await;
    seed(&q).await;
    let a = actor("alice");
    q.create_version(&a, &path("prod.ml_team.fraud"), version("s3://1")).await.unwrap();

    let e = q.delete_catalog(&a, "prod", false).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::FailedPrecondition);
    assert!(e.message.contains("not empty"), "{e}");
    let e = q.delete_schema(&a, "prod", "ml_team", false).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::FailedPrecondition);
    // The refused deletes changed nothing.
    assert_eq!(q.get_version(&a, &path("prod.ml_team.fraud"), 1).await.unwrap().version, 1);

    q.delete_catalog(&a, "prod", true).await.unwrap();
    assert_eq!(q.get_catalog(&a, "prod").await.unwrap_err().kind, ErrorKind::NotFound);
    // A new catalog with the same names starts clean: nothing was left behind.
    seed(&q).await;
    let versions = q.list_versions(&a, &path("prod.ml_team.fraud"), &PageRequest::default()).await.unwrap();
    assert!(versions.items.is_empty());
    assert_eq!(q.create_version(&a, &path("prod.ml_team.fraud"), version("s3://2")).await.unwrap().version, 1);

    q.delete_version(&a, &path("prod.ml_team.fraud"), 1).await.unwrap();
    // Numbers are never reused.
    assert_eq!(q.create_version(&a, &path("prod.ml_team.fraud"), version("s3://3")).await.unwrap().version, 2);
    q.delete_model(&a, &path("prod.ml_team.fraud")).await.unwrap();
    q.delete_schema(&a, "prod", "ml_team", false).await.unwrap();
    q.delete_catalog(&a, "prod", false).await.unwrap();
}

#[tokio::test]
async fn updates_change_description_and_stamp() {
    let q = registry().await;
    seed(&q).await;
    let b = actor("bob");
    let c = q.update_catalog(&b, "prod", "New words").await.unwrap();
    assert_eq!((c.description.as_str(), c.updated.by.as_str(), c.created.by.as_str()), ("New words", "bob", "alice"));
    let s = q.update_schema(&b, "prod", "ml_team", "schema words").await.unwrap();
    assert_eq!(s.description, "schema words");
    let m = q.update_model(&b, &path("prod.ml_team.fraud"), "model words").await.unwrap();
    assert_eq!(m.description, "model words");
    q.create_version(&b, &path("prod.ml_team.fraud"), version("s3://1")).await.unwrap();
    let v = q.update_version(&b, &path("prod.ml_team.fraud"), 1, "v words").await.unwrap();
    assert_eq!(v.description, "v words");
    let e = q.update_version(&b, &path("prod.ml_team.fraud"), 9, "x").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
}

#[tokio::test]
async fn surrealkv_store_persists_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}", dir.path().join("quiver.db").display());
    let config = StoreConfig { url, ..StoreConfig::memory() };
    {
        let q = Quiver::open(&config, ServiceConfig::default()).await.unwrap();
        seed(&q).await;
        q.create_version(&actor("a"), &path("prod.ml_team.fraud"), version("s3://1")).await.unwrap();
    }
    // Reopening applies the schema again (idempotent) and finds everything.
    let q = Quiver::open(&config, ServiceConfig::default()).await.unwrap();
    let v = q.get_version(&actor("a"), &path("prod.ml_team.fraud"), 1).await.unwrap();
    assert_eq!(v.source, "s3://1");
}

fn by_name(name: &str) -> ModelFilter {
    ModelFilter { name: Some(name.into()), ..Default::default() }
}

#[tokio::test]
async fn a_name_that_moves_to_another_model_numbers_that_models_versions() {
    // Registering a version remembers its model's record id; renames and deletions must not
    // send a later version to the model that used to have the name.
    let q = registry().await;
    seed(&q).await;
    let a = actor("alice");
    let fraud = path("prod.ml_team.fraud");
    assert_eq!(q.create_version(&a, &fraud, version("s3://b/1")).await.unwrap().version, 1);
    q.rename_model(&a, &fraud, "fraud_old").await.unwrap();
    q.create_model(&a, "prod", "ml_team", "fraud", "").await.unwrap();
    let v = q.create_version(&a, &fraud, version("s3://b/new")).await.unwrap();
    assert_eq!((v.version, v.source.as_str()), (1, "s3://b/new"), "the new model's first version");
    let old = path("prod.ml_team.fraud_old");
    assert_eq!(q.create_version(&a, &old, version("s3://b/2")).await.unwrap().version, 2);

    q.delete_model(&a, &fraud).await.unwrap();
    let e = q.create_version(&a, &fraud, version("s3://b/x")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e}");
    q.create_model(&a, "prod", "ml_team", "fraud", "").await.unwrap();
    assert_eq!(q.create_version(&a, &fraud, version("s3://b/again")).await.unwrap().version, 1);
    let versions = q.list_versions(&a, &old, &PageRequest::default()).await.unwrap();
    assert_eq!(versions.items.len(), 2, "the renamed model kept its own two versions");
}

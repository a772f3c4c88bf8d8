//! The model lifecycle on real embedded SurrealDB: aliases and their history, tags, comments,
//! activity, rename, delete, copy and search.

mod common;

use common::{actor, registry};
use quiver::error::ErrorKind;
use quiver::names::{ModelPath, VersionRef};
use quiver::services::governance::Actor;
use quiver::services::paging::PageRequest;
use quiver::services::registry::{ModelFilter, NewVersion, TagTarget};
use quiver::{Quiver, ServiceConfig};

fn path(s: &str) -> ModelPath {
    ModelPath::parse_full(s).unwrap()
}

/// prod.ml_team.fraud with `versions` versions.
async fn seed(q: &Quiver, versions: usize) -> ModelPath {
    let a = actor("alice");
    q.create_catalog(&a, "prod", "").await.unwrap();
    q.create_schema(&a, "prod", "ml_team", "").await.unwrap();
    q.create_model(&a, "prod", "ml_team", "fraud", "").await.unwrap();
    let p = path("prod.ml_team.fraud");
    for i in 0..versions {
        q.create_version(&a, &p, NewVersion { source: format!("runs:/r{i}/model"), ..Default::default() })
            .await
            .unwrap();
    }
    p
}

fn all() -> PageRequest {
    PageRequest { max_results: Some(1000), page_token: None }
}

async fn actions(q: &Quiver, a: &Actor, p: &ModelPath) -> Vec<String> {
    q.list_activity(a, p, None, &all()).await.unwrap().items.into_iter().map(|e| e.action).collect()
}

#[tokio::test]
async fn aliases_set_move_resolve_and_delete() {
    let q = registry().await;
    let p = seed(&q, 3).await;
    let a = actor("alice");
    let v = q.set_alias(&a, &p, "Champion", 1).await.unwrap();
    assert_eq!((v.version, v.aliases.clone()), (1, vec!["Champion".to_string()]));
    // A version may carry several aliases; an alias names one version per model.
    q.set_alias(&a, &p, "blue", 1).await.unwrap();
    assert_eq!(q.get_version(&a, &p, 1).await.unwrap().aliases, vec!["blue", "Champion"]);
    // Moving: resolved case-insensitively, in URLs too (`fraud@champion`).
    q.set_alias(&a, &p, "champion", 2).await.unwrap();
    let by_alias = q.get_version_ref(&a, &p, &VersionRef::parse("@CHAMPION").unwrap()).await.unwrap();
    assert_eq!(by_alias.version, 2);
    let model = q.get_model(&a, &p).await.unwrap();
    let names: Vec<(String, i64)> = model.aliases.iter().map(|r| (r.alias.clone(), r.version)).collect();
    assert_eq!(names, vec![("blue".into(), 1), ("champion".into(), 2)]);
    // Setting an alias to where it already points records nothing.
    q.set_alias(&a, &p, "champion", 2).await.unwrap();
    let history = q.alias_history(&a, &p, Some("Champion"), &all()).await.unwrap().items;
    let moves: Vec<(Option<i64>, Option<i64>)> = history.iter().map(|e| (e.from_version, e.to_version)).collect();
    assert_eq!(moves, vec![(Some(1), Some(2)), (None, Some(1))], "newest first");
    assert_eq!(history[0].by, "alice");
    assert_eq!(history[0].source, "ui");

    q.delete_alias(&a, &p, "blue").await.unwrap();
    let e = q.get_version_by_alias(&a, &p, "blue").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.message.contains("no alias 'blue'"), "{e}");
    assert_eq!(q.delete_alias(&a, &p, "blue").await.unwrap_err().kind, ErrorKind::NotFound);
    let acts = actions(&q, &a, &p).await;
    assert_eq!(
        &acts[..4],
        [
            "model_version_alias.deleted",
            "model_version_alias.moved",
            "model_version_alias.created",
            "model_version_alias.created"
        ]
    );
}

#[tokio::test]
async fn alias_errors_are_clear_and_change_nothing() {
    let q = registry().await;
    let p = seed(&q, 1).await;
    let a = actor("alice");
    for (alias, field_msg) in [("latest", "reserved"), ("v2", "reserved"), ("a b", "position 2"), ("", "empty")] {
        let e = q.set_alias(&a, &p, alias, 1).await.unwrap_err();
        assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::InvalidArgument, Some("alias")), "{alias}");
        assert!(e.message.contains(field_msg), "{alias}: {e}");
    }
    let e = q.set_alias(&a, &p, "Champion", 9).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.message.contains("no version 9"), "{e}");
    let e = q.set_alias(&a, &path("prod.ml_team.nope"), "Champion", 1).await.unwrap_err();
    assert!(e.message.contains("prod.ml_team.nope"), "{e}");
    assert!(q.get_model(&a, &p).await.unwrap().aliases.is_empty());
    assert!(q.alias_history(&a, &p, None, &all()).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn which_version_was_champion_at_a_time() {
    let q = registry().await;
    let p = seed(&q, 3).await;
    let a = actor("alice");
    let before_any = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    q.set_alias(&a, &p, "Champion", 1).await.unwrap();
    q.set_alias(&a, &p, "Challenger", 2).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let t1 = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    q.set_alias(&a, &p, "Champion", 2).await.unwrap();
    q.delete_alias(&a, &p, "Challenger").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let t2 = chrono::Utc::now();

    let at = |t| {
        let q = q.clone();
        let (a, p) = (a.clone(), p.clone());
        async move {
            q.aliases_at(&a, &p, t).await.unwrap().aliases.into_iter().map(|r| (r.alias, r.version)).collect::<Vec<_>>()
        }
    };
    assert_eq!(at(before_any).await, vec![]);
    assert_eq!(at(t1).await, vec![("Challenger".to_string(), 2), ("Champion".to_string(), 1)]);
    assert_eq!(at(t2).await, vec![("Champion".to_string(), 2)]);
}

#[tokio::test]
async fn deleting_a_version_removes_its_aliases_and_records_it() {
    let q = registry().await;
    let p = seed(&q, 2).await;
    let a = actor("alice");
    q.set_alias(&a, &p, "Champion", 2).await.unwrap();
    q.set_tag(&a, &p, TagTarget::Version(2), "validated", "yes").await.unwrap();
    q.add_comment(&a, &p, Some(2), "looks good").await.unwrap();
    q.delete_version(&a, &p, 2).await.unwrap();
    assert!(q.get_model(&a, &p).await.unwrap().aliases.is_empty());
    let last = &q.alias_history(&a, &p, None, &all()).await.unwrap().items[0];
    assert_eq!((last.from_version, last.to_version), (Some(2), None));
    assert_eq!(last.reason.as_deref(), Some("version 2 was deleted"));
    let acts = actions(&q, &a, &p).await;
    assert_eq!(&acts[..2], ["model_version.deleted", "model_version_alias.deleted"]);
    // The number is not reused; the next version gets a fresh one without the old tags.
    let v3 = q.create_version(&a, &p, NewVersion { source: "s3://x".into(), ..Default::default() }).await.unwrap();
    assert_eq!(v3.version, 3);
    assert!(v3.tags.is_empty());
    assert!(q.list_comments(&a, &p, Some(2), &all()).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn tags_on_models_and_versions() {
    let q = registry().await;
    let p = seed(&q, 1).await;
    let a = actor("alice");
    let tags = q.set_tag(&a, &p, TagTarget::Model, "team", "risk").await.unwrap();
    assert_eq!(tags.len(), 1);
    q.set_tag(&a, &p, TagTarget::Model, "team", "fraud-ops").await.unwrap();
    q.set_tag(&a, &p, TagTarget::Model, "domain", "payments").await.unwrap();
    let model = q.get_model(&a, &p).await.unwrap();
    let kv: Vec<(&str, &str)> = model.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect();
    assert_eq!(kv, vec![("domain", "payments"), ("team", "fraud-ops")]);
    q.set_tag(&a, &p, TagTarget::Version(1), "accuracy", "0.97").await.unwrap();
    assert_eq!(q.get_version(&a, &p, 1).await.unwrap().tags[0].value, "0.97");
    let left = q.delete_tag(&a, &p, TagTarget::Model, "domain").await.unwrap();
    assert_eq!(left.len(), 1);
    let e = q.delete_tag(&a, &p, TagTarget::Model, "domain").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    let e = q.set_tag(&a, &p, TagTarget::Version(7), "k", "v").await.unwrap_err();
    assert!(e.message.contains("no version 7"), "{e}");
    let e = q.set_tag(&a, &p, TagTarget::Model, "k", &"v".repeat(5001)).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("value"));
    let acts = actions(&q, &a, &p).await;
    assert_eq!(
        &acts[..4],
        [
            "registered_model_tag.deleted",
            "model_version_tag.set",
            "registered_model_tag.set",
            "registered_model_tag.set"
        ]
    );
    let moved = q.list_activity(&a, &p, None, &all()).await.unwrap().items;
    let change = moved.iter().find(|e| e.before.as_deref() == Some("risk")).expect("tag change recorded");
    assert_eq!(change.after.as_deref(), Some("fraud-ops"));

    // The schema's list filters by tag.
    q.create_model(&a, "prod", "ml_team", "churn", "").await.unwrap();
    let filter =
        |k: &str, v: Option<&str>| ModelFilter { name: None, tag_key: Some(k.into()), tag_value: v.map(Into::into) };
    let hits = q.list_models(&a, "prod", "ml_team", &filter("team", Some("fraud-ops")), &all()).await.unwrap();
    assert_eq!(hits.items.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), vec!["fraud"]);
    let hits = q.list_models(&a, "prod", "ml_team", &filter("team", Some("risk")), &all()).await.unwrap();
    assert!(hits.items.is_empty());
    let hits = q.list_models(&a, "prod", "ml_team", &filter("team", None), &all()).await.unwrap();
    assert_eq!(hits.items.len(), 1);
}

#[tokio::test]
async fn comments_thread_with_authors_and_edits() {
    let q = registry().await;
    let p = seed(&q, 1).await;
    let alice = actor("alice");
    let bob_plain = common::user_with(&q, "bob", "prod", &["USE_CATALOG", "USE_SCHEMA", "EXECUTE"]).await;
    let c1 = q.add_comment(&alice, &p, None, "**Ship it?** <script>alert(1)</script>").await.unwrap();
    assert!(c1.body_html.contains("<strong>Ship it?</strong>"), "{}", c1.body_html);
    assert!(!c1.body_html.contains("<script"), "{}", c1.body_html);
    let c2 = q.add_comment(&bob_plain, &p, None, "Not before the audit.").await.unwrap();
    q.add_comment(&alice, &p, Some(1), "version thread").await.unwrap();
    let thread = q.list_comments(&alice, &p, None, &all()).await.unwrap().items;
    assert_eq!(thread.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec![c1.id.as_str(), c2.id.as_str()]);
    assert_eq!(q.list_comments(&alice, &p, Some(1), &all()).await.unwrap().items.len(), 1);

    let e = q.edit_comment(&bob_plain, &p, &c1.id, "mine now").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
    let edited = q.edit_comment(&alice, &p, &c1.id, "Ship it.").await.unwrap();
    assert!(edited.edited_at.is_some());
    assert_eq!(edited.body, "Ship it.");
    let e = q.delete_comment(&bob_plain, &p, &c1.id).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
    // Admins may delete any comment; authors their own.
    q.delete_comment(&alice, &p, &c2.id).await.unwrap();
    let e = q.add_comment(&alice, &p, None, "   ").await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("body"));
    let e = q.edit_comment(&alice, &p, "nope", "x").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);

    // Paging through a long thread returns each comment once, in order.
    for i in 0..7 {
        q.add_comment(&alice, &p, None, &format!("c{i}")).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = q
            .list_comments(&alice, &p, None, &PageRequest { max_results: Some(3), page_token: token.clone() })
            .await
            .unwrap();
        seen.extend(page.items.into_iter().map(|c| c.body));
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
    }
    let expected: Vec<String> =
        std::iter::once("Ship it.".to_string()).chain((0..7).map(|i| format!("c{i}"))).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn rename_keeps_everything_attached() {
    let q = registry().await;
    let p = seed(&q, 2).await;
    let a = actor("alice");
    q.set_alias(&a, &p, "Champion", 2).await.unwrap();
    q.set_tag(&a, &p, TagTarget::Model, "team", "risk").await.unwrap();
    q.add_comment(&a, &p, None, "hello").await.unwrap();
    let renamed = q.rename_model(&a, &p, "fraud_v2").await.unwrap();
    assert_eq!(renamed.full_name(), "prod.ml_team.fraud_v2");
    assert_eq!(renamed.aliases[0].alias, "Champion");
    assert_eq!(renamed.tags[0].key, "team");
    let np = path("prod.ml_team.fraud_v2");
    assert_eq!(q.get_version_by_alias(&a, &np, "Champion").await.unwrap().version, 2);
    assert_eq!(q.list_comments(&a, &np, None, &all()).await.unwrap().items.len(), 1);
    assert_eq!(q.alias_history(&a, &np, None, &all()).await.unwrap().items.len(), 1);
    assert_eq!(actions(&q, &a, &np).await[0], "registered_model.renamed");
    assert_eq!(q.get_model(&a, &p).await.unwrap_err().kind, ErrorKind::NotFound);

    q.create_model(&a, "prod", "ml_team", "other", "").await.unwrap();
    let e = q.rename_model(&a, &path("prod.ml_team.other"), "FRAUD_V2").await.unwrap_err();
    assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::AlreadyExists, Some("name")));
    let e = q.rename_model(&a, &np, "bad name").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
}

#[tokio::test]
async fn copy_a_version_across_catalogs() {
    let q = registry().await;
    let a = actor("alice");
    q.create_catalog(&a, "staging", "").await.unwrap();
    q.create_schema(&a, "staging", "ml_team", "").await.unwrap();
    q.create_model(&a, "staging", "ml_team", "fraud", "").await.unwrap();
    let src = path("staging.ml_team.fraud");
    for i in 0..3 {
        q.create_version(
            &a,
            &src,
            NewVersion { source: format!("runs:/r{i}/model"), description: format!("v{i}"), ..Default::default() },
        )
        .await
        .unwrap();
    }
    q.set_tag(&a, &src, TagTarget::Version(3), "validated", "yes").await.unwrap();
    q.create_catalog(&a, "prod", "").await.unwrap();
    q.create_schema(&a, "prod", "ml_team", "").await.unwrap();
    let dst = path("prod.ml_team.fraud");

    let e = q.copy_version(&a, &src, 3, &dst, false).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.message.contains("prod.ml_team.fraud"), "{e}");
    let copy = q.copy_version(&a, &src, 3, &dst, true).await.unwrap();
    assert_eq!(copy.model_full_name(), "prod.ml_team.fraud");
    assert_eq!(copy.version, 1);
    assert_eq!(copy.source, "runs:/r2/model");
    assert_eq!(copy.description, "v2");
    assert_eq!(copy.copied_from.as_deref(), Some("copied from staging.ml_team.fraud v3"));
    assert_eq!(copy.tags[0].key, "validated");
    let again = q.copy_version(&a, &src, 1, &dst, false).await.unwrap();
    assert_eq!(again.version, 2);
    assert_eq!(actions(&q, &a, &src).await[0], "model_version.copied");
    assert_eq!(
        actions(&q, &a, &dst).await,
        vec!["model_version.created", "model_version.created", "registered_model.created"]
    );

    let e = q.copy_version(&a, &src, 9, &dst, true).await.unwrap_err();
    assert!(e.message.contains("no version 9"), "{e}");
    let e = q.copy_version(&a, &src, 1, &path("prod.nope.fraud"), true).await.unwrap_err();
    assert!(e.message.contains("prod.nope"), "{e}");
}

#[tokio::test]
async fn deleting_a_model_cascades_and_keeps_history() {
    let q = registry().await;
    let p = seed(&q, 2).await;
    let a = actor("alice");
    q.set_alias(&a, &p, "Champion", 1).await.unwrap();
    q.set_tag(&a, &p, TagTarget::Model, "team", "risk").await.unwrap();
    q.set_tag(&a, &p, TagTarget::Version(1), "k", "v").await.unwrap();
    q.add_comment(&a, &p, Some(1), "hi").await.unwrap();
    q.delete_model(&a, &p).await.unwrap();
    // A new model under the same name starts clean.
    q.create_model(&a, "prod", "ml_team", "fraud", "").await.unwrap();
    let fresh = q.get_model(&a, &p).await.unwrap();
    assert!(fresh.aliases.is_empty() && fresh.tags.is_empty());
    assert!(q.list_comments(&a, &p, None, &all()).await.unwrap().items.is_empty());
    assert_eq!(actions(&q, &a, &p).await, vec!["registered_model.created"]);
    let hits = q.search_models(&a, "team=risk", &all()).await.unwrap();
    assert!(hits.items.is_empty(), "tags of the deleted model are gone");
    // The catalog cascade removes everything below.
    q.set_alias(&a, &p, "Champion", 1).await.unwrap_err();
    q.delete_catalog(&a, "prod", true).await.unwrap();
    assert!(q.search_models(&a, "fraud", &all()).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn descriptions_record_before_and_after() {
    let q = registry().await;
    let p = seed(&q, 1).await;
    let a = actor("alice");
    q.update_model(&a, &p, "# Fraud\nfirst").await.unwrap();
    q.update_model(&a, &p, "# Fraud\nsecond").await.unwrap();
    q.update_model(&a, &p, "# Fraud\nsecond").await.unwrap();
    q.update_version(&a, &p, 1, "trained on March data").await.unwrap();
    let acts = q.list_activity(&a, &p, None, &all()).await.unwrap().items;
    assert_eq!(acts[0].action, "model_version.description_updated");
    assert_eq!(acts[1].action, "registered_model.description_updated");
    assert_eq!(acts[1].before.as_deref(), Some("# Fraud\nfirst"));
    assert_eq!(acts[1].after.as_deref(), Some("# Fraud\nsecond"));
    assert_eq!(acts[2].before.as_deref(), Some(""));
    assert_eq!(
        acts.iter().filter(|e| e.action == "registered_model.description_updated").count(),
        2,
        "no-op not recorded"
    );
    let of_version = q.list_activity(&a, &p, Some(1), &all()).await.unwrap().items;
    assert_eq!(
        of_version.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        vec!["model_version.description_updated", "model_version.created"]
    );
    assert_eq!(of_version[0].summary(), "updated the description of version 1");
}

#[tokio::test]
async fn activity_pages_cover_everything_once() {
    let q = registry().await;
    let p = seed(&q, 0).await;
    let a = actor("alice");
    for i in 0..9 {
        q.set_tag(&a, &p, TagTarget::Model, &format!("k{i}"), "v").await.unwrap();
    }
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = q
            .list_activity(&a, &p, None, &PageRequest { max_results: Some(4), page_token: token.clone() })
            .await
            .unwrap();
        seen.extend(page.items.into_iter().map(|e| e.subject.unwrap_or_default()));
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
    }
    let mut expected: Vec<String> = (0..9).rev().map(|i| format!("k{i}")).collect();
    expected.push("fraud".into());
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn search_by_name_tag_and_alias_across_catalogs() {
    let q = registry().await;
    let a = actor("alice");
    for cat in ["prod", "staging"] {
        q.create_catalog(&a, cat, "").await.unwrap();
        q.create_schema(&a, cat, "ml_team", "").await.unwrap();
        for m in ["fraud_detector", "churn", "FraudRanker", "iris"] {
            q.create_model(&a, cat, "ml_team", m, "").await.unwrap();
        }
    }
    let p = path("staging.ml_team.churn");
    q.create_version(&a, &p, NewVersion { source: "s3://b/m".into(), ..Default::default() }).await.unwrap();
    q.set_alias(&a, &p, "Champion", 1).await.unwrap();
    q.set_tag(&a, &p, TagTarget::Model, "team", "growth").await.unwrap();

    // The same answers whether the page fills while walking the name order (the whole registry
    // fits in the default budget) or the candidates come from the alias, tag and n-gram indexes
    // (a budget of 2 models).
    let indexed = q.handle_with(ServiceConfig { search_walk_budget: 2, ..Default::default() });
    for q in [&q, &indexed] {
        let names = |page: quiver::services::paging::Page<quiver::services::registry::RegisteredModel>| {
            page.items.into_iter().map(|m| m.full_name()).collect::<Vec<_>>()
        };
        // Sorted by model name (case-insensitive); same names in different schemas in a stable order.
        let mut hits = names(q.search_models(&a, "FRAUD", &all()).await.unwrap());
        let short: Vec<&str> = hits.iter().map(|n| n.rsplit('.').next().unwrap()).collect();
        assert_eq!(short, ["fraud_detector", "fraud_detector", "FraudRanker", "FraudRanker"]);
        hits.sort();
        assert_eq!(
            hits,
            [
                "prod.ml_team.FraudRanker",
                "prod.ml_team.fraud_detector",
                "staging.ml_team.FraudRanker",
                "staging.ml_team.fraud_detector"
            ]
        );
        assert_eq!(names(q.search_models(&a, "d_det", &all()).await.unwrap()).len(), 2);
        assert_eq!(names(q.search_models(&a, "r", &all()).await.unwrap()).len(), 8);
        assert_eq!(names(q.search_models(&a, "_", &all()).await.unwrap()).len(), 2);
        assert!(names(q.search_models(&a, "fraudx", &all()).await.unwrap()).is_empty());

        assert_eq!(names(q.search_models(&a, "@champion", &all()).await.unwrap()), vec!["staging.ml_team.churn"]);
        assert_eq!(names(q.search_models(&a, "team=growth", &all()).await.unwrap()), vec!["staging.ml_team.churn"]);
        assert_eq!(names(q.search_models(&a, "team=growth @Champion ch", &all()).await.unwrap()).len(), 1);
        assert!(names(q.search_models(&a, "team=growth fraud", &all()).await.unwrap()).is_empty());
        assert!(names(q.search_models(&a, "team=risk", &all()).await.unwrap()).is_empty());
        let hit = q.search_models(&a, "@Champion", &all()).await.unwrap().items.remove(0);
        assert_eq!((hit.aliases[0].alias.as_str(), hit.latest_version), ("Champion", 1));

        // Pages of 2 over the 8 models matching "r": every hit exactly once, in order.
        let mut seen = Vec::new();
        let mut token = None;
        loop {
            let req = PageRequest { max_results: Some(2), page_token: token.clone() };
            let page = q.search_models(&a, "r", &req).await.unwrap();
            seen.extend(page.items.into_iter().map(|m| m.full_name()));
            token = page.next_page_token;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(seen, names(q.search_models(&a, "r", &all()).await.unwrap()));
        assert_eq!(q.search_models(&a, "  ", &all()).await.unwrap_err().field.as_deref(), Some("q"));
    }
}

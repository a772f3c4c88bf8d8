//! Concurrent version registrations share transactions (group commit) and still succeed or fail
//! one by one, on real embedded SurrealDB.

mod common;

use common::{actor, registry};
use quiver::error::ErrorKind;
use quiver::names::ModelPath;
use quiver::services::paging::PageRequest;
use quiver::services::registry::{NewVersion, Tag};

fn path(s: &str) -> ModelPath {
    ModelPath::parse_full(s).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_registrations_share_transactions_and_keep_their_own_outcomes() {
    let q = registry().await;
    let a = actor("alice");
    q.create_catalog(&a, "prod", "").await.unwrap();
    q.create_schema(&a, "prod", "ml", "").await.unwrap();
    for m in 0..8 {
        q.create_model(&a, "prod", "ml", &format!("m{m}"), "").await.unwrap();
    }
    // 120 registrations over eight models, and some naming a missing model, schema or catalog.
    let targets: Vec<String> = (0..120)
        .map(|i| match i % 20 {
            7 => "prod.ml.ghost".to_string(),
            13 => "prod.nowhere.m1".to_string(),
            19 => "staging.ml.m1".to_string(),
            _ => format!("prod.ml.m{}", i % 8),
        })
        .collect();
    let tasks: Vec<_> = targets
        .iter()
        .enumerate()
        .map(|(i, target)| {
            let (q, target) = (q.clone(), target.clone());
            tokio::spawn(async move {
                let new = NewVersion {
                    source: format!("s3://bucket/{i}"),
                    tags: vec![Tag { key: "i".into(), value: i.to_string() }],
                    ..Default::default()
                };
                q.create_version(&actor("ci"), &path(&target), new).await
            })
        })
        .collect();
    let mut registered = 0;
    for (i, task) in tasks.into_iter().enumerate() {
        let outcome = task.await.unwrap();
        match i % 20 {
            7 | 13 | 19 => {
                let e = outcome.expect_err("a missing parent fails its registration");
                assert_eq!(e.kind, ErrorKind::NotFound);
                let named = ["ghost", "nowhere", "staging"].iter().any(|n| e.message.contains(n));
                assert!(named, "the error names what is missing: {}", e.message);
            }
            _ => {
                let v = outcome.expect("registration succeeds");
                assert_eq!(v.source, format!("s3://bucket/{i}"), "each caller gets its own version back");
                assert_eq!(v.tags, vec![Tag { key: "i".into(), value: i.to_string() }]);
                registered += 1;
            }
        }
    }
    assert_eq!(registered, 102);
    // Each model holds 1..n without gaps, and each version has its journal entry.
    let all = PageRequest { max_results: Some(1000), page_token: None };
    let mut total = 0;
    for m in 0..8 {
        let p = path(&format!("prod.ml.m{m}"));
        let mut numbers: Vec<i64> =
            q.list_versions(&a, &p, &all).await.unwrap().items.iter().map(|v| v.version).collect();
        numbers.sort();
        assert_eq!(numbers, (1..=numbers.len() as i64).collect::<Vec<_>>(), "model m{m}");
        assert_eq!(q.get_model(&a, &p).await.unwrap().latest_version, numbers.len() as i64);
        let created = q.list_activity(&a, &p, None, &all).await.unwrap().items;
        let created = created.iter().filter(|e| e.action == "model_version.created").count();
        assert_eq!(created, numbers.len(), "one journal entry per version of m{m}");
        total += numbers.len();
    }
    assert_eq!(total, 102);
    let counts = q.registration_counts();
    assert_eq!(counts.registrations, 102);
    assert!(counts.transactions * 2 <= counts.registrations, "concurrent registrations share transactions: {counts:?}");
}

//! Artifact quotas: an experiment and a user may store only so much; a replaced file gives its
//! bytes back, a deleted one too; past the quota an upload is refused with RESOURCE_EXHAUSTED,
//! audited, and nothing is stored; administrators see who stores what.

mod common;

use common::{actor, user_with};
use futures::StreamExt;
use quiver::error::ErrorKind;
use quiver::services::governance::AuditFilter;
use quiver::services::paging::PageRequest;
use quiver::store::StoreConfig;
use quiver::{Quiver, ServiceConfig};

fn body(len: usize) -> quiver::services::storage::ByteStream {
    futures::stream::iter([Ok(bytes::Bytes::from(vec![7u8; len]))]).boxed()
}

#[tokio::test]
async fn uploads_fit_in_the_experiment_and_user_quotas() {
    common::init_logs();
    let dir = tempfile::tempdir().unwrap();
    let config = ServiceConfig {
        artifact_root: dir.path().to_path_buf(),
        experiment_quota_bytes: 1000,
        user_quota_bytes: 1500,
        ..ServiceConfig::default()
    };
    let q = Quiver::open(&StoreConfig::memory(), config).await.unwrap();
    let admin = actor("admin");
    q.create_catalog(&admin, "prod", "").await.unwrap();
    let alice = user_with(&q, "alice", "prod", &["USE CATALOG"]).await;
    let one = q.create_experiment(&alice, "one", None, &[]).await.unwrap();
    let two = q.create_experiment(&alice, "two", None, &[]).await.unwrap();

    q.upload_artifact(&alice, &format!("{one}/r/artifacts/a.bin"), body(600)).await.unwrap();
    // 600 + 600 > 1000: refused, and nothing of it stays.
    let e = q.upload_artifact(&alice, &format!("{one}/r/artifacts/b.bin"), body(600)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::ResourceExhausted, "{e:?}");
    assert!(e.message.contains(&format!("Experiment {one}")), "{}", e.message);
    assert!(!dir.path().join(format!("{one}/r/artifacts/b.bin")).exists());
    let listed = q.list_artifacts(&alice, &format!("{one}/r/artifacts")).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    // Replacing a file gives its bytes back first.
    q.upload_artifact(&alice, &format!("{one}/r/artifacts/a.bin"), body(900)).await.unwrap();
    // The user's quota spans experiments: 900 stored, 600 more fit, 700 do not.
    let e = q.upload_artifact(&alice, &format!("{two}/r/artifacts/c.bin"), body(700)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::ResourceExhausted);
    assert!(e.message.contains("your artifact quota"), "{}", e.message);
    q.upload_artifact(&alice, &format!("{two}/r/artifacts/c.bin"), body(600)).await.unwrap();
    // Deleting a folder gives its bytes back (900 in `one` would leave no room for 800).
    q.delete_artifact(&alice, &format!("{one}/r")).await.unwrap();
    q.upload_artifact(&alice, &format!("{one}/r/artifacts/d.bin"), body(800)).await.unwrap();

    // What administrators see; nobody else may look.
    let usage = q.artifact_usage(&admin, 10).await.unwrap();
    assert_eq!((usage.experiment_quota_bytes, usage.user_quota_bytes), (1000, 1500));
    assert_eq!(usage.users.len(), 1);
    assert_eq!((usage.users[0].name.as_str(), usage.users[0].bytes, usage.users[0].files), ("alice", 1400, 2));
    let experiments: Vec<(&str, u64, u64)> =
        usage.experiments.iter().map(|r| (r.name.as_str(), r.bytes, r.files)).collect();
    assert_eq!(experiments, vec![(one.as_str(), 800, 1), (two.as_str(), 600, 1)], "largest first");
    assert_eq!(q.artifact_usage(&alice, 10).await.unwrap_err().kind, ErrorKind::PermissionDenied);

    // The refusals are in the audit log.
    let filter = AuditFilter { action: Some("artifact.write_refused".into()), ..AuditFilter::default() };
    let page = PageRequest { max_results: Some(100), page_token: None };
    let refused = q.list_audit(&admin, &filter, &page).await.unwrap();
    assert_eq!(refused.items.len(), 2);
}

#[tokio::test]
async fn without_quotas_only_the_file_limit_applies() {
    let dir = tempfile::tempdir().unwrap();
    let config =
        ServiceConfig { artifact_root: dir.path().to_path_buf(), max_artifact_bytes: 100, ..ServiceConfig::default() };
    let q = Quiver::open(&StoreConfig::memory(), config).await.unwrap();
    let admin = actor("admin");
    let exp = q.create_experiment(&admin, "e", None, &[]).await.unwrap();
    q.upload_artifact(&admin, &format!("{exp}/a"), body(100)).await.unwrap();
    let e = q.upload_artifact(&admin, &format!("{exp}/b"), body(101)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument, "a file over the per-file limit is bad input, not a full quota");
}

//! What was approved is what runs: a READY version's files are recorded (path, size, SHA-256,
//! OpenSSF model-signing's root digest), pinned against every change (admins included), checked
//! on download, verified on request, and signatures made with model-signing are checked against
//! the keys trusted for the model; a protected alias can require one.

mod common;

use common::{actor, user_with};
use futures::StreamExt;
use quiver::error::ErrorKind;
use quiver::names::{ModelPath, VersionRef};
use quiver::services::governance::privileges::SecurableType;
use quiver::services::governance::{
    Actor, AliasPolicy, AuditFilter, NewApprovalRequest, NewSigningKey, RequestAction, Securable,
};
use quiver::services::paging::PageRequest;
use quiver::services::registry::NewVersion;
use quiver::services::storage::SignatureCheck;
use quiver::store::StoreConfig;
use quiver::{Quiver, ServiceConfig};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/model_signing");
const SAMPLE_DIGEST: &str = "29fbd830ef6790cf7e5bdf64eef7f5af1264ef800d6d875a1e780bb26e4205ed";
const SAMPLE: [&str; 3] = ["config.json", "tokenizer/vocab.txt", "weights.bin"];

struct Setup {
    q: Quiver,
    dir: tempfile::TempDir,
    admin: Actor,
    /// Logs runs and registers versions (CAN_MANAGE on her experiment, CREATE MODEL VERSION).
    alice: Actor,
    experiment: String,
}

async fn setup() -> Setup {
    common::init_logs();
    let dir = tempfile::tempdir().unwrap();
    let config = ServiceConfig { artifact_root: dir.path().to_path_buf(), ..ServiceConfig::default() };
    let q = Quiver::open(&StoreConfig::memory(), config).await.unwrap();
    let admin = actor("admin");
    q.create_catalog(&admin, "prod", "").await.unwrap();
    q.create_schema(&admin, "prod", "ml", "").await.unwrap();
    q.create_model(&admin, "prod", "ml", "fraud", "").await.unwrap();
    let alice = user_with(&q, "alice", "prod", &["USE CATALOG", "USE SCHEMA", "EXECUTE", "CREATE MODEL VERSION"]).await;
    let experiment = q.create_experiment(&alice, "fraud-training", None, &[]).await.unwrap();
    Setup { q, dir, admin, alice, experiment }
}

fn body(bytes: Vec<u8>) -> quiver::services::storage::ByteStream {
    futures::stream::iter([Ok(bytes::Bytes::from(bytes))]).boxed()
}

fn path() -> ModelPath {
    ModelPath::parse_full("prod.ml.fraud").unwrap()
}

fn all() -> PageRequest {
    PageRequest { max_results: Some(1000), page_token: None }
}

impl Setup {
    /// A run whose `model/` folder holds the sample model (with `extra` files too), as alice
    /// logged it; returns the run's id and the folder's artifact path.
    async fn logged(&self, extra: &[(&str, &[u8])]) -> (String, String) {
        let run = self.q.create_run(&self.alice, &self.experiment, None, None, &[]).await.unwrap();
        let folder = format!("{}/{}/artifacts/model", self.experiment, run.run_id);
        let files = SAMPLE.iter().map(|f| (f.to_string(), std::fs::read(format!("{FIXTURES}/model/{f}")).unwrap()));
        for (name, bytes) in files.chain(extra.iter().map(|(n, b)| (n.to_string(), b.to_vec()))) {
            self.q.upload_artifact(&self.alice, &format!("{folder}/{name}"), body(bytes)).await.unwrap();
        }
        (run.run_id, folder)
    }

    async fn register(&self, run_id: &str) -> i64 {
        let new =
            NewVersion { source: format!("runs:/{run_id}/model"), run_id: Some(run_id.into()), ..Default::default() };
        self.q.create_version(&self.alice, &path(), new).await.unwrap().version
    }

    async fn signature(&self, version: i64) -> SignatureCheck {
        self.q.version_files(&self.alice, &path(), &VersionRef::Number(version)).await.unwrap().signature
    }

    async fn audited(&self, action: &str) -> Vec<String> {
        let filter = AuditFilter { action: Some(action.into()), ..Default::default() };
        let entries = self.q.list_audit(&self.admin, &filter, &all()).await.unwrap().items;
        entries.into_iter().map(|e| format!("{} {} {}", e.principal, e.outcome, e.securable)).collect()
    }
}

#[tokio::test]
async fn a_registered_versions_files_are_recorded_and_change_through_no_surface() {
    let s = setup().await;
    let (run_id, folder) = s.logged(&[]).await;
    let n = s.register(&run_id).await;
    let v = s.q.get_version(&s.alice, &path(), n).await.unwrap();
    assert_eq!(v.digest.as_deref(), Some(SAMPLE_DIGEST), "model-signing's root digest of the sample");
    let files = s.q.version_files(&s.alice, &path(), &VersionRef::Number(n)).await.unwrap();
    let listed: Vec<(&str, u64)> = files.manifest.iter().map(|f| (f.path.as_str(), f.size)).collect();
    assert_eq!(listed, [("config.json", 41), ("tokenizer/vocab.txt", 12), ("weights.bin", 1024)]);
    assert_eq!(files.signature, SignatureCheck::Unsigned);

    // Overwrite, delete, or delete the folder above: refused, for the owner of the experiment and
    // for an administrator alike, and each refusal is audited.
    for who in [&s.alice, &s.admin] {
        let e = s.q.upload_artifact(who, &format!("{folder}/weights.bin"), body(b"evil".to_vec())).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::FailedPrecondition);
        assert!(e.message.contains("prod.ml.fraud version 1"), "{}", e.message);
        let e = s.q.upload_artifact(who, &format!("{folder}/new.bin"), body(b"x".to_vec())).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::FailedPrecondition, "nothing lands among a version's files");
        for doomed in [
            format!("{folder}/weights.bin"),
            folder.clone(),
            format!("{}/{run_id}", s.experiment),
            s.experiment.clone(),
        ] {
            let e = s.q.delete_artifact(who, &doomed).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::FailedPrecondition, "delete {doomed}");
        }
        // Another spelling of the same path is the same path.
        let e =
            s.q.upload_artifact(who, &format!("/{folder}/./weights.bin"), body(b"evil".to_vec())).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::FailedPrecondition);
    }
    // Not even the whole store, which only an administrator may touch at all.
    assert_eq!(s.q.delete_artifact(&s.admin, "/").await.unwrap_err().kind, ErrorKind::FailedPrecondition);
    assert_eq!(std::fs::read(s.dir.path().join(&folder).join("weights.bin")).unwrap().len(), 1024, "untouched");
    assert!(s.audited("artifact.write_refused").await.len() >= 4);
    assert!(s.audited("artifact.delete_refused").await.iter().any(|e| e.starts_with("admin denied")));
    // Next to the version's folder, the run's files still change, audited.
    s.q.upload_artifact(&s.alice, &format!("{}/{run_id}/artifacts/notes.txt", s.experiment), body(b"n".to_vec()))
        .await
        .unwrap();
    assert!(s.audited("artifact.written").await.iter().any(|e| e.contains("notes.txt")));

    // Deleting the last version that holds the folder lets it change again; its files are kept.
    s.q.delete_version(&s.admin, &path(), n).await.unwrap();
    assert!(s.dir.path().join(&folder).join("weights.bin").exists());
    s.q.upload_artifact(&s.alice, &format!("{folder}/weights.bin"), body(b"new".to_vec())).await.unwrap();
}

#[tokio::test]
async fn a_file_changed_on_disk_is_refused_audited_raised_and_reported() {
    let s = setup().await;
    let hook = quiver::services::delivery::NewWebhook {
        url: "http://127.0.0.1:9/hook".into(),
        events: vec!["model_version.integrity_failed".into()],
        ..Default::default()
    };
    let q = s.q.handle_with(ServiceConfig {
        artifact_root: s.dir.path().to_path_buf(),
        webhook_allow_private: true,
        ..ServiceConfig::default()
    });
    let webhook = q.create_webhook(&s.admin, &hook).await.unwrap().webhook;
    let (run_id, folder) = s.logged(&[]).await;
    let n = s.register(&run_id).await;
    let weights = format!("{folder}/weights.bin");
    assert!(q.download_artifact(&s.alice, &weights).await.is_ok(), "unchanged: served");

    // Behind Quiver's back.
    std::fs::write(s.dir.path().join(&weights), b"tampered").unwrap();
    let e = q.download_artifact(&s.alice, &weights).await.err().expect("refused");
    assert_eq!(e.kind, ErrorKind::FailedPrecondition);
    assert!(e.message.contains("no longer matches what prod.ml.fraud version 1 registered"), "{}", e.message);
    assert!(q.download_artifact(&s.alice, &format!("{folder}/config.json")).await.is_ok(), "the others still serve");
    let audited = s.audited("model_version.integrity_failed").await;
    assert_eq!(audited.len(), 1, "{audited:?}");
    // The event reached the webhook's queue, once per version however often it is seen.
    assert!(q.download_artifact(&s.alice, &weights).await.is_err());
    q.fan_out_events(100).await.unwrap();
    let deliveries = q.list_deliveries(&s.admin, &webhook.id, &all()).await.unwrap().items;
    let failed: Vec<_> = deliveries.iter().filter(|d| d.event_type == "model_version.integrity_failed").collect();
    assert_eq!(failed.len(), 1, "{deliveries:?}");
    assert!(failed[0].body.contains("weights.bin") && failed[0].body.contains("changed"), "{}", failed[0].body);

    // Verification reports it (administrators only), and clears once the file is right again.
    assert_eq!(q.verify_versions(&s.alice, None).await.unwrap_err().kind, ErrorKind::PermissionDenied);
    let report = q.verify_versions(&s.admin, Some(&path())).await.unwrap();
    assert_eq!((report.versions, report.files), (1, 3));
    assert_eq!(report.failures.len(), 1);
    assert_eq!((report.failures[0].path.as_str(), report.failures[0].problem.as_str()), ("weights.bin", "changed"));
    std::fs::remove_file(s.dir.path().join(&folder).join("config.json")).unwrap();
    let report = q.verify_versions(&s.admin, None).await.unwrap();
    assert_eq!(report.failures.iter().map(|f| f.problem.as_str()).collect::<Vec<_>>(), ["missing", "changed"]);
    std::fs::copy(format!("{FIXTURES}/model/weights.bin"), s.dir.path().join(&weights)).unwrap();
    std::fs::copy(format!("{FIXTURES}/model/config.json"), s.dir.path().join(&folder).join("config.json")).unwrap();
    assert!(q.verify_versions(&s.admin, None).await.unwrap().failures.is_empty());
    assert!(q.download_artifact(&s.alice, &weights).await.is_ok());
    let _ = n;
}

#[tokio::test]
async fn signatures_are_checked_against_the_keys_trusted_for_the_model() {
    let s = setup().await;
    let signature = std::fs::read(format!("{FIXTURES}/model.sig")).unwrap();
    // Signed: the model.sig uploaded with the files is the version's signature.
    let (signed_run, _) = s.logged(&[("model.sig", &signature)]).await;
    let signed = s.register(&signed_run).await;
    assert!(matches!(s.signature(signed).await, SignatureCheck::Untrusted { .. }), "no key is trusted yet");

    let catalog = Securable::parse(SecurableType::Catalog, "prod").unwrap();
    let pem = |f: &str| std::fs::read_to_string(format!("{FIXTURES}/{f}")).unwrap();
    let key = NewSigningKey { name: "release".into(), public_key: pem("pub.pem") };
    // Trusting keys is for owners and MANAGE holders.
    let e = s.q.add_signing_key(&s.alice, &catalog, &key).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
    let added = s.q.add_signing_key(&s.admin, &catalog, &key).await.unwrap();
    assert_eq!(added.fingerprint, "fce6704f09820c89eb0d9a2e716d52fc3c23170579d9f1cb4f77edad1ec573b6");
    let bad = NewSigningKey { name: "junk".into(), public_key: "not a key".into() };
    assert_eq!(s.q.add_signing_key(&s.admin, &catalog, &bad).await.unwrap_err().field.as_deref(), Some("public_key"));
    assert_eq!(s.q.add_signing_key(&s.admin, &catalog, &key).await.unwrap_err().kind, ErrorKind::AlreadyExists);
    assert_eq!(
        s.signature(signed).await,
        SignatureCheck::Verified { key: "release".into(), scope: "catalog prod".into() }
    );
    // Another trusted key changes nothing; the view shows where each key is set.
    let model = Securable::parse(SecurableType::Model, "prod.ml.fraud").unwrap();
    s.q.add_signing_key(&s.admin, &model, &NewSigningKey { name: "other".into(), public_key: pem("other_pub.pem") })
        .await
        .unwrap();
    let keys = s.q.list_signing_keys(&s.alice, &model).await.unwrap();
    assert_eq!((keys.keys.len(), keys.inherited.len()), (1, 1));
    assert!(s.signature(signed).await.is_verified());

    // The same signature over other files: a mismatch that names the file.
    let (changed_run, _) = s.logged(&[("model.sig", &signature), ("extra.txt", b"not signed")]).await;
    let changed = s.register(&changed_run).await;
    match s.signature(changed).await {
        SignatureCheck::Mismatch { key, detail, .. } => {
            assert_eq!(key, "release");
            assert!(detail.contains("extra.txt"), "{detail}");
        }
        other => panic!("{other:?}"),
    }

    // Unsigned, then signed later through the API.
    let (plain_run, _) = s.logged(&[]).await;
    let plain = s.register(&plain_run).await;
    assert_eq!(s.signature(plain).await, SignatureCheck::Unsigned);

    // A protected alias that requires a signature: approving the unsigned version is refused,
    // with the reason on the request's timeline; the signed one moves the alias.
    let policy = AliasPolicy {
        aliases: vec!["Champion".into()],
        required_approvals: 1,
        allow_self_approval: false,
        require_signature: true,
        ..AliasPolicy::default()
    };
    s.q.set_alias_policy(&s.admin, &catalog, &policy).await.unwrap();
    let ask = |version| NewApprovalRequest {
        model: "prod.ml.fraud".into(),
        version: Some(version),
        alias: "Champion".into(),
        action: RequestAction::Set,
        justification: String::new(),
    };
    let unsigned_request = s.q.create_approval_request(&s.alice, &ask(plain)).await.unwrap();
    let e = s.q.approve_request(&s.admin, &unsigned_request.id, "").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::FailedPrecondition);
    assert!(e.message.contains("needs a signature") && e.message.contains("Unsigned"), "{}", e.message);
    let detail = s.q.get_approval_request(&s.admin, &unsigned_request.id).await.unwrap();
    assert!(!detail.can_approve && detail.approve_denied.as_deref().is_some_and(|r| r.contains("needs a signature")));
    assert!(detail.notes.iter().any(|n| n.kind == "refused" && n.body.contains("Unsigned")), "{:?}", detail.notes);

    let attached =
        s.q.attach_signature(&s.alice, &path(), plain, std::str::from_utf8(&signature).unwrap()).await.unwrap();
    assert!(attached.is_verified(), "{attached:?}");
    let approved = s.q.approve_request(&s.admin, &unsigned_request.id, "signed now").await.unwrap();
    assert_eq!(approved.state.as_str(), "approved");
    let request = s.q.create_approval_request(&s.alice, &ask(changed)).await.unwrap();
    let e = s.q.approve_request(&s.admin, &request.id, "").await.unwrap_err();
    assert!(e.message.contains("does not match"), "{}", e.message);

    // A revoked key verifies nothing from then on.
    s.q.revoke_signing_key(&s.admin, &catalog, "release").await.unwrap();
    assert!(matches!(s.signature(signed).await, SignatureCheck::Untrusted { .. }));
    assert!(s.audited("signing_key").await.len() >= 3);
}

#[tokio::test]
async fn a_copy_keeps_the_files_record_and_signature_of_its_source() {
    let s = setup().await;
    let signature = std::fs::read(format!("{FIXTURES}/model.sig")).unwrap();
    let (run, folder) = s.logged(&[("model.sig", &signature)]).await;
    let n = s.register(&run).await;
    s.q.create_model(&s.admin, "prod", "ml", "fraud_live", "").await.unwrap();
    let to = ModelPath::parse_full("prod.ml.fraud_live").unwrap();
    let copy = s.q.copy_version(&s.admin, &path(), n, &to, false).await.unwrap();
    assert_eq!(copy.digest.as_deref(), Some(SAMPLE_DIGEST));
    // Deleting the source leaves the folder pinned by the copy.
    s.q.delete_version(&s.admin, &path(), n).await.unwrap();
    let e = s.q.delete_artifact(&s.admin, &folder).await.unwrap_err();
    assert!(e.message.contains("prod.ml.fraud_live version 1"), "{}", e.message);
}

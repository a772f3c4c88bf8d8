//! `quiver verify` against an embedded store on disk: it re-checks every registered version's
//! stored files and fails, naming the file, when one no longer matches.

use futures::StreamExt;
use quiver::names::ModelPath;
use quiver::services::governance::Source;
use quiver::services::registry::NewVersion;
use quiver::services::system_actor;
use quiver::store::StoreConfig;
use quiver::{Quiver, ServiceConfig};
use quiver_server::cli::verify;
use quiver_server::config::{StoreArgs, VerifyArgs};

#[tokio::test]
async fn verify_reports_a_changed_file_and_passes_once_it_is_right() {
    let data = tempfile::tempdir().unwrap();
    let db = format!("surrealkv://{}", data.path().join("quiver.db").display());
    let artifacts = data.path().join("artifacts");
    {
        let store = StoreConfig { url: db.clone(), ..StoreConfig::memory() };
        let config = ServiceConfig { artifact_root: artifacts.clone(), ..ServiceConfig::default() };
        let q = Quiver::open(&store, config).await.unwrap();
        let admin = system_actor(Source::Cli);
        q.create_catalog(&admin, "prod", "").await.unwrap();
        q.create_schema(&admin, "prod", "ml", "").await.unwrap();
        q.create_model(&admin, "prod", "ml", "fraud", "").await.unwrap();
        let body = futures::stream::iter([Ok(bytes::Bytes::from_static(b"weights"))]).boxed();
        q.upload_artifact(&admin, "shared/fraud/model.bin", body).await.unwrap();
        let new = NewVersion { source: "mlflow-artifacts:/shared/fraud".into(), ..Default::default() };
        q.create_version(&admin, &ModelPath::parse_full("prod.ml.fraud").unwrap(), new).await.unwrap();
    }
    let args = |model: Option<&str>| VerifyArgs {
        store: StoreArgs {
            db: db.clone(),
            db_user: None,
            db_pass: None,
            db_auth_level: "database".into(),
            db_ns: "quiver".into(),
            db_name: "quiver".into(),
            db_ca_file: None,
        },
        data_dir: data.path().to_path_buf(),
        model: model.map(str::to_string),
        all: model.is_none(),
    };
    verify(args(None)).await.expect("every file matches");
    std::fs::write(artifacts.join("shared/fraud/model.bin"), b"swapped").unwrap();
    let e = verify(args(Some("prod.ml.fraud"))).await.unwrap_err();
    assert!(e.contains("1 files no longer match"), "{e}");
    std::fs::write(artifacts.join("shared/fraud/model.bin"), b"weights").unwrap();
    verify(args(None)).await.expect("right again");
}

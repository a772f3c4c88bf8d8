//! A version's signature comes from the MLmodel file MLflow logged with the model, wherever the
//! version's source points: a logged model (MLflow 3) or a run's artifacts (`runs:/…`).

mod common;

use common::actor;
use quiver::names::ModelPath;
use quiver::services::registry::NewVersion;
use quiver::store::StoreConfig;
use quiver::{Quiver, ServiceConfig};

const MLMODEL: &str = "flavors:
  python_function: {}
signature:
  inputs: '[{\"type\": \"double\", \"name\": \"tenure\", \"required\": true}, {\"type\":
    \"string\", \"name\": \"plan\", \"required\": false}]'
  outputs: '[{\"type\": \"long\", \"required\": true}]'
";

async fn registry(dir: &tempfile::TempDir) -> (Quiver, ModelPath) {
    common::init_logs();
    let config = ServiceConfig { artifact_root: dir.path().to_path_buf(), ..ServiceConfig::default() };
    let q = Quiver::open(&StoreConfig::memory(), config).await.unwrap();
    let a = actor("alice");
    q.create_catalog(&a, "prod", "").await.unwrap();
    q.create_schema(&a, "prod", "ml_team", "").await.unwrap();
    q.create_model(&a, "prod", "ml_team", "churn", "").await.unwrap();
    (q, ModelPath::parse_full("prod.ml_team.churn").unwrap())
}

/// Writes `MLmodel` into the folder of the store that `uri` (`mlflow-artifacts:/…`) names.
fn log_mlmodel(dir: &tempfile::TempDir, uri: &str, content: &str) {
    let folder = dir.path().join(uri.strip_prefix("mlflow-artifacts:/").expect("a store URI"));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("MLmodel"), content).unwrap();
}

fn input_names(v: &quiver::services::registry::ModelVersion) -> Vec<String> {
    let sig = v.signature.as_ref().expect("a signature");
    quiver::services::registry::Signature::fields(&sig.inputs).unwrap().into_iter().map(|f| f.name).collect()
}

#[tokio::test]
async fn the_signature_is_read_from_the_logged_model_or_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let (q, p) = registry(&dir).await;
    let a = actor("alice");
    let exp = q.create_experiment(&a, "churn", None, &[]).await.unwrap();

    // MLflow 3: the version names its logged model.
    let logged = q.create_logged_model(&a, &exp, "model", None, None, &[], &[]).await.unwrap();
    log_mlmodel(&dir, &logged.artifact_uri, MLMODEL);
    let source = format!("models:/{}", logged.model_id);
    let v = q
        .create_version(&a, &p, NewVersion { source, model_id: Some(logged.model_id.clone()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(input_names(&v), ["tenure", "plan"]);
    assert_eq!(v.signature.as_ref().unwrap().outputs, r#"[{"type": "long", "required": true}]"#);
    // It is stored with the version, not read again: a later read still has it.
    std::fs::remove_dir_all(dir.path().join(logged.artifact_uri.strip_prefix("mlflow-artifacts:/").unwrap())).unwrap();
    assert_eq!(input_names(&q.get_version(&a, &p, v.version).await.unwrap()), ["tenure", "plan"]);

    // MLflow 2: `runs:/<id>/<path>` under the run's artifacts.
    let run = q.create_run(&a, &exp, Some("train"), None, &[]).await.unwrap();
    log_mlmodel(&dir, &format!("{}/model", run.artifact_uri), MLMODEL);
    let from_run = NewVersion { source: format!("runs:/{}/model", run.run_id), ..Default::default() };
    assert_eq!(input_names(&q.create_version(&a, &p, from_run.clone()).await.unwrap()), ["tenure", "plan"]);

    // A signature the caller gives wins over the file.
    let given = r#"[{"type": "string", "name": "text"}]"#;
    let explicit = NewVersion { signature_inputs: Some(given.into()), ..from_run };
    assert_eq!(input_names(&q.create_version(&a, &p, explicit).await.unwrap()), ["text"]);
}

#[tokio::test]
async fn versions_without_a_readable_mlmodel_have_no_signature() {
    let dir = tempfile::tempdir().unwrap();
    let (q, p) = registry(&dir).await;
    let a = actor("alice");
    let exp = q.create_experiment(&a, "churn", None, &[]).await.unwrap();
    let run = q.create_run(&a, &exp, None, None, &[]).await.unwrap();
    log_mlmodel(&dir, &format!("{}/broken", run.artifact_uri), "signature: [unclosed");
    for source in [
        "s3://bucket/churn/model".to_string(),           // not Quiver's store
        format!("runs:/{}/model", run.run_id),           // no file there
        format!("runs:/{}/broken", run.run_id),          // not YAML
        "runs:/no_such_run/model".to_string(),           // no such run
        "mlflow-artifacts:/../../etc/model".to_string(), // outside the store
    ] {
        let v = q.create_version(&a, &p, NewVersion { source: source.clone(), ..Default::default() }).await.unwrap();
        assert!(v.signature.is_none(), "{source}: {:?}", v.signature);
    }
}

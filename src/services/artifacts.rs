//! The artifact store behind `mlflow-artifacts:/…` URIs: a directory on local disk (the
//! object_store crate is the path to S3 later), and where a version's artifacts are.

use std::path::{Component, Path, PathBuf};

use super::Quiver;
use crate::error::{Error, Result};
use crate::names::{ModelPath, VersionRef};
use crate::types::{Actor, ArtifactEntry, ModelVersion, VersionFiles};

/// Most files listed for one version in the UI.
const MAX_LISTED: usize = 500;
/// Largest `MLmodel` file read for a signature (a real one is a few KiB).
const MAX_MLMODEL_BYTES: u64 = 1 << 20;

/// A signature's inputs and outputs: MLflow's JSON column or tensor specs.
pub(super) type LoggedSignature = (Option<String>, Option<String>);

/// `signature.inputs` and `signature.outputs` of an `MLmodel` file (YAML), each kept only when
/// it is a valid spec; `None` when the file has neither.
pub(super) fn mlmodel_signature(yaml: &str) -> Option<LoggedSignature> {
    let docs = yaml_rust2::YamlLoader::load_from_str(yaml).ok()?;
    let signature = &docs.first()?["signature"];
    let part = |key: &str| {
        signature[key].as_str().map(str::to_string).filter(|json| crate::types::Signature::fields(json).is_ok())
    };
    let (inputs, outputs) = (part("inputs"), part("outputs"));
    (inputs.is_some() || outputs.is_some()).then_some((inputs, outputs))
}

/// `relative` under `root`, or an error when it is absolute, climbs out with `..`, or holds
/// characters no artifact path has.
pub fn resolve_artifact_path(root: &Path, relative: &str) -> Result<PathBuf> {
    let relative = relative.trim_start_matches('/');
    let bad = || Error::invalid("path", format!("'{relative}' is not a valid artifact path."));
    if relative.contains('\0') || relative.contains('\\') {
        return Err(bad());
    }
    let mut out = root.to_path_buf();
    for c in Path::new(relative).components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

impl Quiver {
    pub fn artifact_root(&self) -> &Path {
        &self.config().artifact_root
    }

    /// A model name as MLflow clients write it: `catalog.schema.model`, or one part for a model
    /// in the default schema.
    pub fn model_path(&self, name: &str) -> Result<ModelPath> {
        if name.contains('.') {
            return ModelPath::parse_full(name);
        }
        let (c, s) = self.config().default_schema.split_once('.').unwrap_or(("main", "default"));
        ModelPath::new(c, s, name)
    }

    /// The entries of a folder of the store (none when it does not exist), sorted by name.
    pub async fn list_artifacts(&self, relative: &str) -> Result<Vec<ArtifactEntry>> {
        let dir = resolve_artifact_path(self.artifact_root(), relative)?;
        let mut out = Vec::new();
        if let Ok(mut entries) = tokio::fs::read_dir(&dir).await {
            while let Ok(Some(entry)) = entries.next_entry().await {
                let name = entry.file_name().to_string_lossy().to_string();
                if name.contains(".part-") {
                    continue; // an upload in progress
                }
                if let Ok(m) = entry.metadata().await {
                    out.push(ArtifactEntry { path: name, is_dir: m.is_dir(), size: (!m.is_dir()).then_some(m.len()) });
                }
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// Where a version's artifacts are: its logged model's folder, the folder of the version it
    /// was copied from (`models:/<name>/<n>` sources, followed a few hops), a run's artifacts
    /// (`runs:/<id>/<path>`), or the source itself.
    pub async fn version_artifact_uri(&self, actor: &Actor, version: ModelVersion) -> Result<String> {
        self.artifact_uri_of(actor, version.model_id, version.source).await
    }

    /// [`Self::version_artifact_uri`] of a version registered from `source` and, with MLflow 3,
    /// the logged model `model_id`. The caller may read the version: its run and logged model
    /// are not checked again (a model's consumers need not see the experiment it came from).
    pub(super) async fn artifact_uri_of(
        &self,
        actor: &Actor,
        mut model_id: Option<String>,
        mut source: String,
    ) -> Result<String> {
        for _ in 0..8 {
            if let Some(id) = &model_id {
                return Ok(self.fetch_logged_model(id).await?.artifact_uri);
            }
            let Some(rest) = source.strip_prefix("models:/") else { break };
            if rest.starts_with("m-") {
                return Ok(self.fetch_logged_model(rest).await?.artifact_uri);
            }
            let (model, reference) = match rest.rsplit_once('@') {
                Some((m, alias)) => (m, format!("@{alias}")),
                None => match rest.rsplit_once('/') {
                    Some((m, n)) => (m, n.to_string()),
                    None => break,
                },
            };
            let path = self.model_path(model)?;
            let v = self.get_version_ref(actor, &path, &VersionRef::parse(&reference)?).await?;
            (model_id, source) = (v.model_id, v.source);
        }
        if let Some(rest) = source.strip_prefix("runs:/") {
            let (run_id, sub) = rest.split_once('/').unwrap_or((rest, ""));
            let run = self.fetch_run(run_id).await?;
            return Ok(if sub.is_empty() { run.artifact_uri } else { format!("{}/{sub}", run.artifact_uri) });
        }
        Ok(source)
    }

    /// The signature MLflow wrote into the `MLmodel` file of the model a version is registered
    /// from, as (inputs, outputs), when Quiver stores that file and it has one. MLflow's
    /// registry has no signature field: clients log it with the model (inferred from an input
    /// example), so this is where a version's signature comes from.
    pub(super) async fn logged_signature(
        &self,
        actor: &Actor,
        model_id: Option<&str>,
        source: &str,
    ) -> Option<LoggedSignature> {
        if model_id.is_none()
            && !source.starts_with("models:/")
            && !source.starts_with("runs:/")
            && !source.starts_with("mlflow-artifacts:")
        {
            return None; // s3://, file:// and the like: not Quiver's to read
        }
        let uri = self.artifact_uri_of(actor, model_id.map(str::to_string), source.to_string()).await.ok()?;
        let folder = uri.strip_prefix("mlflow-artifacts:")?.trim_start_matches('/');
        let file = resolve_artifact_path(self.artifact_root(), &format!("{folder}/MLmodel")).ok()?;
        if tokio::fs::metadata(&file).await.ok()?.len() > MAX_MLMODEL_BYTES {
            tracing::warn!(file = %file.display(), "MLmodel too large to read its signature");
            return None;
        }
        mlmodel_signature(&tokio::fs::read_to_string(&file).await.ok()?)
    }

    /// A version's artifact location and, when Quiver stores the files, the files themselves.
    pub async fn version_files(&self, actor: &Actor, path: &ModelPath, at: &VersionRef) -> Result<VersionFiles> {
        let version = self.get_version_ref(actor, path, at).await?;
        let uri = self.version_artifact_uri(actor, version).await?;
        let Some(root) = uri.strip_prefix("mlflow-artifacts:").map(|r| r.trim_start_matches('/').to_string()) else {
            return Ok(VersionFiles { uri, root: None, files: Vec::new() });
        };
        // Breadth-first below the version's folder, bounded.
        let mut files = Vec::new();
        let mut pending = vec![String::new()];
        while let Some(dir) = pending.pop() {
            let here = if dir.is_empty() { root.clone() } else { format!("{root}/{dir}") };
            for e in self.list_artifacts(&here).await? {
                let rel = if dir.is_empty() { e.path.clone() } else { format!("{dir}/{}", e.path) };
                if e.is_dir {
                    pending.push(rel);
                } else if files.len() < MAX_LISTED {
                    files.push(ArtifactEntry { path: rel, ..e });
                }
            }
            if files.len() >= MAX_LISTED {
                break;
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(VersionFiles { uri, root: Some(root), files })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As MLflow 3.17 writes it: PyYAML folds long quoted strings over several lines.
    const MLMODEL: &str = r#"artifact_path: mlflow-artifacts:/0/models/m-f8/artifacts
flavors:
  python_function:
    loader_module: mlflow.sklearn
signature:
  inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type":
    "double", "name": "petal width
    (cm)", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
utc_time_created: '2026-11-24 20:12:39.240124'
"#;

    #[test]
    fn the_signature_is_read_from_a_folded_mlmodel() {
        let (inputs, outputs) = mlmodel_signature(MLMODEL).expect("a signature");
        let inputs = crate::types::Signature::fields(&inputs.expect("inputs")).expect("valid");
        let names: Vec<_> = inputs.iter().map(|f| (f.name.as_str(), f.kind.as_str())).collect();
        assert_eq!(names, [("sepal length (cm)", "double"), ("petal width (cm)", "double")]);
        assert_eq!(outputs.as_deref(), Some(r#"[{"type": "long", "required": true}]"#));
    }

    #[test]
    fn files_without_a_valid_signature_give_none() {
        assert_eq!(mlmodel_signature("flavors:\n  python_function: {}\n"), None);
        assert_eq!(mlmodel_signature("signature:\n  inputs: null\n  outputs: null\n"), None);
        assert_eq!(mlmodel_signature("signature: [unclosed"), None);
        // A part that is not a spec is dropped, the other kept.
        let (inputs, outputs) =
            mlmodel_signature("signature:\n  inputs: 'not json'\n  outputs: '[{\"type\": \"long\"}]'\n")
                .expect("outputs");
        assert_eq!((inputs, outputs.as_deref()), (None, Some(r#"[{"type": "long"}]"#)));
    }

    #[test]
    fn paths_stay_under_the_root() {
        let root = Path::new("/data/artifacts");
        assert_eq!(
            resolve_artifact_path(root, "1/models/m-1/artifacts/MLmodel").unwrap(),
            root.join("1/models/m-1/artifacts/MLmodel")
        );
        assert_eq!(resolve_artifact_path(root, "/1/./a").unwrap(), root.join("1/a"));
        for bad in ["../etc/passwd", "1/../../x", "a\\..\\b", "a\0b"] {
            assert!(resolve_artifact_path(root, bad).is_err(), "{bad}");
        }
    }
}

//! The artifact service: list, download, upload and delete files behind `mlflow-artifacts:/…`
//! URIs (each call authorized for the caller first), and where a version's artifacts are.

use std::path::Path;

use crate::error::Result;
use crate::names::{ModelPath, VersionRef};
use crate::services::Quiver;
use crate::services::db::who;
use crate::services::governance::Actor;
use crate::services::registry::ModelVersion;
use crate::services::storage::paths::{canonical, in_experiment};
use crate::services::storage::{ArtifactEntry, ArtifactStore, ByteStream, VersionFiles};

/// A file on its way to the caller.
pub struct ArtifactDownload {
    pub size: u64,
    pub content_type: &'static str,
    pub body: ByteStream,
}

/// Most files listed for one version in the UI.
const MAX_LISTED: usize = 500;

impl Quiver {
    pub fn artifact_root(&self) -> &Path {
        &self.config().artifact_root
    }

    /// A model name as MLflow clients write it: `catalog.schema.model`, or one part for a model
    /// in the default schema.
    pub fn model_path(&self, name: &str) -> Result<ModelPath> {
        self.config().mlflow_names.path(name)
    }

    /// The store the files live in. Callers outside the services go through the methods below,
    /// which authorize first.
    pub(crate) fn artifact_store(&self) -> &dyn ArtifactStore {
        self.inner.artifacts.as_ref()
    }

    /// The entries of a folder (none when it does not exist), sorted by name: CAN_READ on its
    /// experiment, or EXECUTE on a model version whose files these are.
    pub async fn list_artifacts(&self, actor: &Actor, relative: &str) -> Result<Vec<ArtifactEntry>> {
        self.authorize_artifact(actor, relative, false).await?;
        self.artifact_store().list(relative).await
    }

    /// A file to send, streamed from the store. A file of a registered version is checked
    /// against what was registered first: bytes that no longer match are refused, audited and
    /// raised as `model_version.integrity_failed`.
    pub async fn download_artifact(&self, actor: &Actor, relative: &str) -> Result<ArtifactDownload> {
        self.authorize_artifact(actor, relative, false).await?;
        let path = canonical(relative)?;
        if let Some(holder) = self.version_holding(&path).await? {
            self.check_registered_file(actor, &holder, &path).await?;
        }
        let (size, body) = self.artifact_store().open(&path).await?;
        Ok(ArtifactDownload { size, content_type: content_type(&path), body })
    }

    /// Stores an upload (CAN_EDIT on the experiment), streamed to the store: an interrupted or
    /// oversized upload (above `max_artifact_bytes`) leaves nothing behind, and nothing may land
    /// among a registered version's files. Audited.
    pub async fn upload_artifact(&self, actor: &Actor, relative: &str, body: ByteStream) -> Result<()> {
        self.authorize_artifact(actor, relative, true).await?;
        let path = canonical(relative)?;
        if let Err(e) = self.refuse_if_pinned(&path).await {
            self.audit_artifact(actor, "artifact.write_refused", &path, "denied", &e.message).await;
            return Err(e);
        }
        let experiment = in_experiment(&path)?.map(|(num, _)| num);
        let owner = actor.principal.username.to_lowercase();
        let limit = self.upload_limit(&path, experiment, &owner).await?;
        let written = match self.artifact_store().put(&path, body, limit.bytes).await {
            Ok(n) => n,
            Err(e) => {
                let e = limit.explain(e);
                if e.is(crate::error::ErrorKind::ResourceExhausted) {
                    self.audit_artifact(actor, "artifact.write_refused", &path, "denied", &e.message).await;
                }
                return Err(e);
            }
        };
        self.record_artifact(&path, experiment, &owner, written).await?;
        self.audit_artifact(actor, "artifact.written", &path, "allowed", &format!("{written} bytes")).await;
        Ok(())
    }

    /// Deletes a file or folder (CAN_EDIT on the experiment); nothing when it does not exist.
    /// What a registered version holds cannot be deleted. Audited.
    pub async fn delete_artifact(&self, actor: &Actor, relative: &str) -> Result<()> {
        self.authorize_artifact(actor, relative, true).await?;
        let path = canonical(relative)?;
        if let Err(e) = self.refuse_if_pinned(&path).await {
            self.audit_artifact(actor, "artifact.delete_refused", &path, "denied", &e.message).await;
            return Err(e);
        }
        self.artifact_store().delete(&path).await?;
        self.forget_artifacts(&path).await?;
        self.audit_artifact(actor, "artifact.deleted", &path, "allowed", "").await;
        Ok(())
    }

    /// An audit entry for a change to the artifact store (files live outside the database, so
    /// the entry follows the change; a failure to write it is logged).
    async fn audit_artifact(&self, actor: &Actor, action: &str, path: &str, outcome: &str, detail: &str) {
        let query = self
            .q("fn::audit($action, 'artifact', $path, $outcome, $detail OR NONE, $who);")
            .bind(("action", action.to_string()))
            .bind(("path", path.to_string()))
            .bind(("outcome", outcome.to_string()))
            .bind(("detail", detail.to_string()))
            .bind(("who", who(actor)));
        if let Err(e) = self.read(query).await {
            tracing::error!(error = %e.message, path, action, "could not audit an artifact change");
        }
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
    pub(crate) async fn artifact_uri_of(
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

    /// A version's artifact location and, when Quiver stores the files, the files themselves.
    pub async fn version_files(&self, actor: &Actor, path: &ModelPath, at: &VersionRef) -> Result<VersionFiles> {
        let version = self.get_version_ref(actor, path, at).await?;
        let integrity =
            self.version_integrity(&surrealdb::types::RecordId::new("model_version", version.id.clone())).await?;
        let uri = self.version_artifact_uri(actor, version).await?;
        let Some(root) = uri.strip_prefix("mlflow-artifacts:").map(|r| r.trim_start_matches('/').to_string()) else {
            return Ok(VersionFiles {
                uri,
                root: None,
                files: Vec::new(),
                digest: integrity.digest,
                manifest: integrity.files,
                signature: integrity.signature,
            });
        };
        // Breadth-first below the version's folder, bounded.
        let mut files = Vec::new();
        let mut pending = vec![String::new()];
        while let Some(dir) = pending.pop() {
            let here = if dir.is_empty() { root.clone() } else { format!("{root}/{dir}") };
            for e in self.artifact_store().list(&here).await? {
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
        Ok(VersionFiles {
            uri,
            root: Some(root),
            files,
            digest: integrity.digest,
            manifest: integrity.files,
            signature: integrity.signature,
        })
    }
}

/// The content type a file is sent with: text for what people read in a browser, bytes otherwise.
fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    let name = path.rsplit('/').next().unwrap_or("");
    match ext.as_str() {
        "txt" | "yaml" | "yml" | "json" | "md" | "py" | "csv" => "text/plain; charset=utf-8",
        _ if name == "MLmodel" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

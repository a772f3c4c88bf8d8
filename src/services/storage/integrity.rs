//! Checking stored files against what their versions registered: before a download, on request
//! (`quiver verify`, the admin API) and in the background scrub. A file whose bytes changed is
//! refused, written to the audit log, and raised once per version as the event
//! `model_version.integrity_failed`, which webhooks hear.

use serde::{Deserialize, Serialize};
use surrealdb::types::{RecordId, SurrealValue};

use crate::error::{Error, Result};
use crate::names::ModelPath;
use crate::services::Quiver;
use crate::services::db::who;
use crate::services::governance::Actor;
use crate::services::governance::access::require_admin;
use crate::services::storage::VersionFile;
use crate::services::storage::manifest::signing_order;
use crate::services::storage::pins::Holder;

/// What a verification run found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyReport {
    pub versions: u64,
    pub files: u64,
    pub bytes: u64,
    pub failures: Vec<IntegrityFailure>,
}

/// A registered file that no longer matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntegrityFailure {
    pub model: String,
    pub version: i64,
    pub path: String,
    /// "changed" (other bytes) or "missing".
    pub problem: String,
    pub expected_sha256: String,
    pub found_sha256: Option<String>,
}

#[derive(Debug, Clone, SurrealValue)]
struct Registered {
    id: RecordId,
    model: RecordId,
    full_name: String,
    version: i64,
    files_root: String,
    files: Vec<FileRow>,
}

#[derive(Debug, Clone, SurrealValue)]
struct FileRow {
    path: String,
    size: i64,
    sha256: String,
}

/// Versions read per round of a verification run.
const BATCH: i64 = 100;

impl Quiver {
    /// Refuses a registered file whose bytes no longer match its version's manifest.
    pub(crate) async fn check_registered_file(&self, actor: &Actor, holder: &Holder, path: &str) -> Result<()> {
        let rel = holder.relative(path);
        let expected: Option<FileRow> = self
            .answer(
                self.q("SELECT path, size, sha256 FROM version_file WHERE version = $v AND path = $p LIMIT 1;")
                    .bind(("v", holder.id.clone()))
                    .bind(("p", rel.to_string())),
            )
            .await?;
        let Some(expected) = expected else { return Ok(()) };
        let file = VersionFile { path: expected.path, size: expected.size as u64, sha256: expected.sha256 };
        match self.file_failure(&holder.files_root, &file).await? {
            None => Ok(()),
            Some((problem, found)) => {
                let failure = IntegrityFailure {
                    model: holder.full_name.clone(),
                    version: holder.version,
                    path: file.path.clone(),
                    problem,
                    expected_sha256: file.sha256.clone(),
                    found_sha256: found,
                };
                self.record_integrity_failure(actor, &holder.model, &holder.id, &failure).await;
                Err(Error::precondition(format!(
                    "'{path}' no longer matches what {} version {} registered ({} expected, {}): it was changed \
                     outside Quiver, so it is not served. Administrators find it in the audit log.",
                    holder.full_name,
                    holder.version,
                    short(&failure.expected_sha256),
                    failure
                        .found_sha256
                        .as_deref()
                        .map(|f| format!("{} found", short(f)))
                        .unwrap_or("the file is missing".into()),
                )))
            }
        }
    }

    /// Why a registered file fails its check: ("changed", its digest now) or ("missing", none).
    async fn file_failure(&self, root: &str, file: &VersionFile) -> Result<Option<(String, Option<String>)>> {
        let stored = if file.path == "." { root.to_string() } else { format!("{root}/{}", file.path) };
        match self.artifact_store().hash(&stored).await {
            Ok((size, sha256)) if size == file.size && sha256 == file.sha256 => Ok(None),
            Ok((_, sha256)) => Ok(Some(("changed".into(), Some(sha256)))),
            Err(e) if e.is(crate::error::ErrorKind::NotFound) => Ok(Some(("missing".into(), None))),
            Err(e) => Err(e),
        }
    }

    /// Audits a failed check, and the first one of a version raises its event.
    async fn record_integrity_failure(
        &self,
        actor: &Actor,
        model: &RecordId,
        version: &RecordId,
        f: &IntegrityFailure,
    ) {
        let sql = "BEGIN TRANSACTION;
             LET $first = (SELECT VALUE integrity_failed_at FROM ONLY $v) = NONE;
             IF $first {
                 UPDATE $v SET integrity_failed_at = time::now();
                 fn::activity_data($mdl, $n, 'model_version.integrity_failed', $path, $expected, $found,
                     { path: $path, problem: $problem, expected_sha256: $expected, found_sha256: $found }, $who);
             } ELSE {
                 fn::audit('model_version.integrity_failed', 'model_version', $full_name + ' v' + <string> $n, 'denied',
                     $path + ': ' + $problem, $who);
             };
             COMMIT TRANSACTION;";
        let result = self
            .write_content(
                || {
                    self.q(sql)
                        .bind(("v", version.clone()))
                        .bind(("mdl", model.clone()))
                        .bind(("n", f.version))
                        .bind(("full_name", f.model.clone()))
                        .bind(("path", f.path.clone()))
                        .bind(("problem", f.problem.clone()))
                        .bind(("expected", f.expected_sha256.clone()))
                        .bind(("found", f.found_sha256.clone()))
                        .bind(("who", who(actor)))
                },
                crate::services::db::no_unique,
            )
            .await;
        tracing::warn!(model = %f.model, version = f.version, path = %f.path, problem = %f.problem, "a registered file no longer matches");
        if let Err(e) = result {
            tracing::error!(error = %e.message, "could not record an integrity failure");
        }
    }

    /// Re-checks the stored files of every READY version (of one model, with `model`) against
    /// their manifests (administrators). A version that passes again is no longer flagged.
    pub async fn verify_versions(&self, actor: &Actor, model: Option<&ModelPath>) -> Result<VerifyReport> {
        require_admin(actor, "verify stored files")?;
        let mdl = match model {
            Some(path) => Some(self.resolve_model(path).await?),
            None => None,
        };
        let mut report = VerifyReport::default();
        let mut after: Option<RecordId> = None;
        loop {
            let sql = "SELECT id, model, full_name, version, files_root,
                     (SELECT path, size, sha256 FROM version_file WHERE version = $parent.id) AS files
                 FROM model_version WHERE files_root != NONE AND status = 'READY'
                     AND ($mdl = NONE OR model = $mdl) AND ($after = NONE OR id > $after)
                 ORDER BY id LIMIT $limit;";
            let query = self.q(sql).bind(("mdl", mdl.clone())).bind(("after", after.clone())).bind(("limit", BATCH));
            let rows: Vec<Registered> = self.answer(query).await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.id.clone());
            for v in &rows {
                report.versions += 1;
                let mut files: Vec<&FileRow> = v.files.iter().collect();
                files.sort_by(|a, b| signing_order(&a.path, &b.path));
                let mut failed = false;
                for f in files {
                    let file = VersionFile { path: f.path.clone(), size: f.size as u64, sha256: f.sha256.clone() };
                    report.files += 1;
                    report.bytes += file.size;
                    if let Some((problem, found)) = self.file_failure(&v.files_root, &file).await? {
                        failed = true;
                        let failure = IntegrityFailure {
                            model: v.full_name.clone(),
                            version: v.version,
                            path: file.path.clone(),
                            problem,
                            expected_sha256: file.sha256.clone(),
                            found_sha256: found,
                        };
                        self.record_integrity_failure(actor, &v.model, &v.id, &failure).await;
                        report.failures.push(failure);
                    }
                }
                if !failed {
                    self.bookkeeping(
                        self.q("UPDATE $v SET integrity_failed_at = NONE WHERE integrity_failed_at != NONE;")
                            .bind(("v", v.id.clone())),
                        "integrity flag",
                    )
                    .await;
                }
            }
            if (rows.len() as i64) < BATCH {
                break;
            }
        }
        Ok(report)
    }
}

/// The first characters of a digest, for messages.
fn short(digest: &str) -> &str {
    &digest[..digest.len().min(12)]
}

//! Artifact storage quotas. Every file stored through Quiver is recorded (`artifact_file`: its
//! size, who stored it, its experiment) with running totals per experiment and per user
//! (`artifact_usage`), updated in one transaction with the record. An upload may use what is
//! left of both quotas (`--experiment-artifact-quota`, `--user-artifact-quota`; a replaced file
//! gives its bytes back first); past that it is refused with RESOURCE_EXHAUSTED and nothing is
//! stored. Concurrent uploads into the same quota are each checked against the totals before
//! they started, so together they may pass it by at most one file each.

use surrealdb::types::{RecordId, SurrealValue};

use crate::error::{Error, ErrorKind, Result};
use crate::services::Quiver;
use crate::services::governance::Actor;
use crate::services::governance::access::require_admin;
use crate::services::storage::{ArtifactUsage, UsageRow, human_bytes};

/// How much an upload may write, and which quota (if any) is what limits it.
pub(crate) struct UploadLimit {
    pub bytes: u64,
    /// The quota that is tighter than the per-file limit: its words for the refusal.
    quota: Option<String>,
}

impl UploadLimit {
    /// Narrows the limit to what is left of `quota` with `stored` in it, if that is less.
    /// `used_up` and `advice` say it to the uploader.
    fn tighten(&mut self, quota: u64, stored: u64, used_up: &str, advice: &str) {
        let left = quota.saturating_sub(stored);
        if left < self.bytes {
            self.bytes = left;
            let (stored, quota) = (human_bytes(stored), human_bytes(quota));
            self.quota =
                Some(format!("{used_up}: {stored} of {quota} stored. {advice}, or ask an administrator for more."));
        }
    }

    /// The store's "too large" refusal, as the quota's when the quota was the limit.
    pub fn explain(&self, e: Error) -> Error {
        match &self.quota {
            Some(why) if e.is(ErrorKind::InvalidArgument) && e.field.as_deref() == Some("body") => {
                Error::new(ErrorKind::ResourceExhausted, why.clone())
            }
            _ => e,
        }
    }
}

/// `artifact_usage:⟨experiment|12⟩`, `artifact_usage:⟨user|dana⟩` (as `usage_key` in SurrealQL).
fn usage_id(kind: &str, name: &str) -> RecordId {
    RecordId::new("artifact_usage", format!("{kind}|{name}"))
}

/// A stored file's record is keyed by its path.
fn file_id(path: &str) -> RecordId {
    RecordId::new("artifact_file", path.to_string())
}

impl Quiver {
    /// What an upload to `path` by `owner` (in `experiment`) may write.
    pub(crate) async fn upload_limit(&self, path: &str, experiment: Option<i64>, owner: &str) -> Result<UploadLimit> {
        let (exp_quota, user_quota) = (self.config().experiment_quota_bytes, self.config().user_quota_bytes);
        let max = self.config().max_artifact_bytes;
        if exp_quota == 0 && user_quota == 0 {
            return Ok(UploadLimit { bytes: max, quota: None });
        }
        #[derive(SurrealValue)]
        struct Used {
            old_size: Option<i64>,
            old_owner: Option<String>,
            experiment: Option<i64>,
            user: Option<i64>,
        }
        let used: Option<Used> = self
            .answer(
                self.q("RETURN { old_size: $file.size, old_owner: $file.owner, experiment: $exp.bytes, user: $user.bytes };")
                    .bind(("file", file_id(path)))
                    .bind(("exp", usage_id("experiment", &experiment.map(|n| n.to_string()).unwrap_or_default())))
                    .bind(("user", usage_id("user", owner))),
            )
            .await?;
        let used = used.ok_or_else(|| Error::internal("the usage query answered nothing"))?;
        let old = used.old_size.unwrap_or(0).max(0) as u64;
        let mut limit = UploadLimit { bytes: max, quota: None };
        if let (Some(num), true) = (experiment, exp_quota > 0) {
            let stored = (used.experiment.unwrap_or(0).max(0) as u64).saturating_sub(old);
            let used_up = format!("Experiment {num} has used its artifact quota");
            limit.tighten(exp_quota, stored, &used_up, "Delete artifacts it no longer needs");
        }
        if user_quota > 0 {
            let mine = if used.old_owner.as_deref() == Some(owner) { old } else { 0 };
            let stored = (used.user.unwrap_or(0).max(0) as u64).saturating_sub(mine);
            limit.tighten(
                user_quota,
                stored,
                "You have used your artifact quota",
                "Delete artifacts you no longer need",
            );
        }
        Ok(limit)
    }

    /// Records a stored file (replacing the record of the file it overwrote) and moves the totals.
    pub(crate) async fn record_artifact(
        &self,
        path: &str,
        experiment: Option<i64>,
        owner: &str,
        size: u64,
    ) -> Result<()> {
        let exp_key = experiment.map(|n| n.to_string());
        self.write_content(
            || {
                self.q("BEGIN TRANSACTION;
                        LET $old = $file.*;
                        IF $old.size != NONE {
                            IF $old.experiment != NONE {
                                UPDATE type::record('artifact_usage', 'experiment|' + <string> $old.experiment)
                                    SET bytes -= $old.size, files -= 1;
                            };
                            UPDATE type::record('artifact_usage', 'user|' + $old.owner) SET bytes -= $old.size, files -= 1;
                        };
                        UPSERT $file SET path = $path, size = $size, experiment = $exp_num, owner = $owner, at = time::now();
                        IF $exp_key != NONE {
                            UPSERT type::record('artifact_usage', 'experiment|' + $exp_key)
                                SET kind = 'experiment', name = $exp_key, bytes = (bytes ?? 0) + $size, files = (files ?? 0) + 1;
                        };
                        UPSERT type::record('artifact_usage', 'user|' + $owner)
                            SET kind = 'user', name = $owner, bytes = (bytes ?? 0) + $size, files = (files ?? 0) + 1;
                        COMMIT TRANSACTION;")
                    .bind(("file", file_id(path)))
                    .bind(("path", path.to_string()))
                    .bind(("size", size as i64))
                    .bind(("exp_num", experiment))
                    .bind(("exp_key", exp_key.clone()))
                    .bind(("owner", owner.to_string()))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }

    /// Forgets the files at or below `path` (deleted) and gives their bytes back.
    pub(crate) async fn forget_artifacts(&self, path: &str) -> Result<()> {
        self.write_content(
            || {
                // '0' sorts right after '/': the range is everything below `path/`.
                self.q("BEGIN TRANSACTION;
                        LET $gone = (DELETE artifact_file WHERE path = $path OR (path >= $below AND path < $after)
                            RETURN BEFORE);
                        FOR $f IN $gone {
                            IF $f.experiment != NONE {
                                UPDATE type::record('artifact_usage', 'experiment|' + <string> $f.experiment)
                                    SET bytes -= $f.size, files -= 1;
                            };
                            UPDATE type::record('artifact_usage', 'user|' + $f.owner) SET bytes -= $f.size, files -= 1;
                        };
                        COMMIT TRANSACTION;")
                    .bind(("path", path.to_string()))
                    .bind(("below", format!("{path}/")))
                    .bind(("after", format!("{path}0")))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }

    /// Who and what stores the most artifact bytes, with the quotas (administrators).
    pub async fn artifact_usage(&self, actor: &Actor, limit: usize) -> Result<ArtifactUsage> {
        require_admin(actor, "see artifact storage use")?;
        #[derive(SurrealValue)]
        struct Row {
            name: String,
            bytes: i64,
            files: i64,
        }
        #[derive(SurrealValue)]
        struct Top {
            experiments: Vec<Row>,
            users: Vec<Row>,
        }
        let top: Option<Top> = self
            .answer(
                self.q("RETURN {
                          experiments: (SELECT name, bytes, files FROM artifact_usage WHERE kind = 'experiment' AND bytes > 0
                              ORDER BY bytes DESC LIMIT $limit),
                          users: (SELECT name, bytes, files FROM artifact_usage WHERE kind = 'user' AND bytes > 0
                              ORDER BY bytes DESC LIMIT $limit),
                        };")
                    .bind(("limit", limit.clamp(1, 1000) as i64)),
            )
            .await?;
        let top = top.ok_or_else(|| Error::internal("the usage query answered nothing"))?;
        let rows = |rows: Vec<Row>| {
            rows.into_iter()
                .map(|r| UsageRow { name: r.name, bytes: r.bytes.max(0) as u64, files: r.files.max(0) as u64 })
                .collect()
        };
        Ok(ArtifactUsage {
            experiment_quota_bytes: self.config().experiment_quota_bytes,
            user_quota_bytes: self.config().user_quota_bytes,
            experiments: rows(top.experiments),
            users: rows(top.users),
        })
    }
}

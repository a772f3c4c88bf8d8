//! Deployment checks: CI reports results against a version (REPORT CHECKS or MANAGE on the
//! model), everyone who may read the version sees them. A report replaces the check's state; a
//! change of status or conclusion is an activity entry and a `model_version_check.updated` event.

use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

use crate::error::{Error, Result};
use crate::names::ModelPath;
use crate::services::Quiver;
use crate::services::db::{no_unique, returned, throwable, who};
use crate::services::governance::access::Target;
use crate::services::governance::privileges::Operation;
use crate::services::governance::{
    Actor, CheckConclusion, CheckReport, CheckRollup, CheckStatus, VersionCheck, check_name,
};
use crate::services::registry::lookup::{RESOLVE, model_not_found, version_not_found};

/// How many checks one version may carry.
const MAX_CHECKS: i64 = 100;

#[derive(Debug, Clone, SurrealValue)]
struct CheckRow {
    name: String,
    status: String,
    conclusion: Option<String>,
    details_url: Option<String>,
    summary: Option<String>,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    reported_by: String,
}

impl From<CheckRow> for VersionCheck {
    fn from(r: CheckRow) -> Self {
        VersionCheck {
            name: r.name,
            status: CheckStatus::parse(&r.status).unwrap_or(CheckStatus::Queued),
            conclusion: r.conclusion.as_deref().and_then(CheckConclusion::parse),
            details_url: r.details_url,
            summary: r.summary,
            started_at: r.started_at,
            completed_at: r.completed_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            reported_by: r.reported_by,
        }
    }
}

const CHECK_FIELDS: &str =
    "name, status, conclusion, details_url, summary, started_at, completed_at, created_at, updated_at, reported_by";

impl Quiver {
    /// Records the state of check `name` of a version, as CI reports it.
    pub async fn report_check(
        &self,
        actor: &Actor,
        path: &ModelPath,
        version: i64,
        name: &str,
        report: &CheckReport,
    ) -> Result<VersionCheck> {
        let name = check_name(name)?;
        report.validate()?;
        self.authorize(actor, Operation::ReportCheck, Target::Model(path)).await?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             LET $v = (SELECT VALUE id FROM model_version WHERE model = $mdl AND version = $version LIMIT 1)[0];
             IF !$v {{ THROW $no_version }};
             LET $old = (SELECT * FROM version_check WHERE version = $v AND name = $name LIMIT 1)[0];
             IF !$old AND array::len((SELECT VALUE id FROM version_check WHERE version = $v LIMIT $max)) >= $max {{
                 THROW $too_many
             }};
             LET $started = IF $started_at != NONE THEN $started_at
                 ELSE IF $status = 'queued' THEN NONE
                 ELSE IF $status = 'in_progress' THEN
                     (IF $old.status = 'in_progress' AND $old.started_at != NONE THEN $old.started_at ELSE time::now() END)
                 ELSE $old.started_at END;
             LET $completed = IF $status != 'completed' THEN NONE
                 ELSE IF $completed_at != NONE THEN $completed_at
                 ELSE IF $old.status = 'completed' AND $old.conclusion = $conclusion THEN $old.completed_at
                 ELSE time::now() END;
             IF $old {{
                 UPDATE $old.id SET status = $status, conclusion = $conclusion, details_url = $details_url,
                     summary = $summary, started_at = $started, completed_at = $completed, updated_at = time::now(),
                     reported_by = $who.by;
             }} ELSE {{
                 CREATE version_check SET version = $v, model = $mdl, name = $name, status = $status,
                     conclusion = $conclusion, details_url = $details_url, summary = $summary, started_at = $started,
                     completed_at = $completed, created_at = time::now(), updated_at = time::now(), reported_by = $who.by;
             }};
             IF !$old OR $old.status != $status OR $old.conclusion != $conclusion {{
                 fn::activity_data($mdl, $version, 'model_version_check.updated', $name,
                     IF $old THEN $old.conclusion ?? $old.status ELSE NONE END, $conclusion ?? $status,
                     {{ name: $name, status: $status, conclusion: $conclusion, details_url: $details_url }}, $who);
             }};
             RETURN (SELECT {CHECK_FIELDS} FROM version_check WHERE version = $v AND name = $name LIMIT 1)[0];
             COMMIT TRANSACTION;"
        );
        let no_model = throwable(&model_not_found(path));
        let no_version = throwable(&version_not_found(path, version));
        let too_many = throwable(&Error::invalid("name", format!("A version carries at most {MAX_CHECKS} checks.")));
        let mut res = self
            .write_content(
                || {
                    self.path_query(&sql, path)
                        .bind(("version", version))
                        .bind(("name", name.clone()))
                        .bind(("status", report.status.as_str()))
                        .bind(("conclusion", report.conclusion.map(|c| c.as_str())))
                        .bind(("details_url", report.details_url.clone()))
                        .bind(("summary", report.summary.clone()))
                        .bind(("started_at", report.started_at))
                        .bind(("completed_at", report.completed_at))
                        .bind(("max", MAX_CHECKS))
                        .bind(("who", who(actor)))
                        .bind(("no_model", no_model.clone()))
                        .bind(("no_version", no_version.clone()))
                        .bind(("too_many", too_many.clone()))
                },
                no_unique,
            )
            .await?;
        let row: Option<CheckRow> = returned(&mut res)?;
        let check: VersionCheck = row.ok_or_else(|| Error::internal("the check write answered nothing"))?.into();
        if check.conclusion.is_some() {
            // A required check may be what an approved request waits for.
            self.settle_requests(path, version).await;
        }
        Ok(check)
    }

    /// The checks of a version, by name.
    pub async fn version_checks(&self, actor: &Actor, path: &ModelPath, version: i64) -> Result<Vec<VersionCheck>> {
        self.authorize(actor, Operation::GetVersion, Target::Model(path)).await?;
        let sql = format!(
            "{RESOLVE}
             LET $v = IF $mdl THEN (SELECT VALUE id FROM model_version WHERE model = $mdl AND version = $version LIMIT 1)[0] ELSE NONE END;
             RETURN {{
                 model: $mdl != NONE,
                 version: $v != NONE,
                 checks: IF $v THEN (SELECT {CHECK_FIELDS} FROM version_check WHERE version = $v ORDER BY name LIMIT $max) ELSE [] END,
             }};"
        );
        #[derive(SurrealValue)]
        struct Found {
            model: bool,
            version: bool,
            checks: Vec<CheckRow>,
        }
        let found: Option<Found> =
            self.answer(self.path_query(&sql, path).bind(("version", version)).bind(("max", MAX_CHECKS))).await?;
        let found = found.ok_or_else(|| Error::internal("the checks read answered nothing"))?;
        if !found.model {
            return Err(model_not_found(path));
        }
        if !found.version {
            return Err(version_not_found(path, version));
        }
        Ok(found.checks.into_iter().map(Into::into).collect())
    }

    /// The checks of some of a model's versions (a page of them), counted by outcome, in one
    /// query; versions without checks are left out.
    pub async fn check_rollups(
        &self,
        actor: &Actor,
        path: &ModelPath,
        versions: &[i64],
    ) -> Result<Vec<(i64, CheckRollup)>> {
        self.authorize(actor, Operation::GetVersion, Target::Model(path)).await?;
        if versions.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{RESOLVE}
             LET $vs = IF $mdl THEN (SELECT VALUE id FROM model_version WHERE model = $mdl AND version IN $numbers) ELSE [] END;
             SELECT version.version AS n, status, conclusion, count() AS count FROM version_check
                 WHERE model = $mdl AND version IN $vs GROUP BY n, status, conclusion;"
        );
        #[derive(SurrealValue)]
        struct Count {
            n: i64,
            status: String,
            conclusion: Option<String>,
            count: i64,
        }
        let counts: Vec<Count> = self.answer(self.path_query(&sql, path).bind(("numbers", versions.to_vec()))).await?;
        let mut out: Vec<(i64, CheckRollup)> = Vec::new();
        for c in counts {
            let status = CheckStatus::parse(&c.status).unwrap_or(CheckStatus::Queued);
            let conclusion = c.conclusion.as_deref().and_then(CheckConclusion::parse);
            let count = u32::try_from(c.count).unwrap_or(u32::MAX);
            match out.iter_mut().find(|(n, _)| *n == c.n) {
                Some((_, r)) => r.add(status, conclusion, count),
                None => {
                    let mut r = CheckRollup::default();
                    r.add(status, conclusion, count);
                    out.push((c.n, r));
                }
            }
        }
        Ok(out)
    }
}

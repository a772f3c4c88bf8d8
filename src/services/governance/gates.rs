//! Promotion gates: a protected alias's rules beyond approvals, evaluated for a request to point
//! the alias at a version. Every policy on the model's path naming the alias contributes its
//! rules (a catalog's required check holds for every model in it). The final approval moves the
//! alias only when every rule passes; until then the request waits, approved, and is settled
//! again whenever the version's checks or tags change.

use crate::error::{ErrorKind, Result};
use crate::names::ModelPath;
use crate::services::Quiver;
use crate::services::governance::policies::read_gates;
use crate::services::governance::{
    AliasPolicy, ApprovalRequest, RequestAction, RuleOutcome, RuleState, Source, VersionCheck,
};
use crate::services::registry::aliases::SET_ALIAS;
use crate::services::registry::compare::{rows, signature_side};
use crate::services::registry::lookup::RESOLVE;
use crate::services::registry::{ModelVersion, number};
use crate::services::system_actor;
use crate::services::tracking::TrainingRun;

impl Quiver {
    /// The rules on `alias` of the model, merged from every policy on its path that names it.
    pub(crate) async fn alias_gates(&self, path: &ModelPath, alias: &str) -> Result<AliasPolicy> {
        let sql = format!(
            "{RESOLVE}
             RETURN IF $mdl THEN (SELECT VALUE gates FROM alias_policy
                 WHERE securable IN [$mdl.catalog, $mdl.schema, $mdl] AND aliases_lc CONTAINS $alias_lc) ELSE [] END;"
        );
        let stored: Vec<Option<String>> =
            self.answer(self.path_query(&sql, path).bind(("alias_lc", alias.to_lowercase()))).await?;
        let mut merged = AliasPolicy::default();
        for g in stored.iter().map(|s| read_gates(s.as_deref())) {
            for c in g.required_checks {
                if !merged.required_checks.contains(&c) {
                    merged.required_checks.push(c);
                }
            }
            for t in g.required_tags {
                if !merged.required_tags.contains(&t) {
                    merged.required_tags.push(t);
                }
            }
            for t in g.metric_thresholds {
                if !merged.metric_thresholds.contains(&t) {
                    merged.metric_thresholds.push(t);
                }
            }
            merged.compatible_signature |= g.compatible_signature;
        }
        Ok(merged)
    }

    /// Each rule for `request` (to point an alias at a version): passed, failing or waiting, and
    /// why. None for removals, or when the alias's policies set no rules.
    pub(crate) async fn evaluate_gates(&self, path: &ModelPath, request: &ApprovalRequest) -> Result<Vec<RuleOutcome>> {
        if request.action != RequestAction::Set {
            return Ok(Vec::new());
        }
        let gates = self.alias_gates(path, &request.alias).await?;
        if !gates.has_gates() {
            return Ok(Vec::new());
        }
        // What the rules read, whoever asks (the caller may decide without reading runs).
        let system = system_actor(Source::Cli);
        let version = match self.get_version(&system, path, request.version).await {
            Ok(v) => v,
            Err(e) if e.kind == ErrorKind::NotFound => {
                return Ok(vec![RuleOutcome {
                    rule: format!("version {}", request.version),
                    state: RuleState::Failing,
                    reason: "it no longer exists".into(),
                }]);
            }
            Err(e) => return Err(e),
        };
        let checks = self.version_checks(&system, path, request.version).await?;
        let run = if gates.metric_thresholds.is_empty() {
            None
        } else {
            let at = crate::names::VersionRef::Number(request.version);
            match self.version_run(&system, path, &at).await {
                Ok(run) => run,
                Err(e) if e.kind == ErrorKind::NotFound => None,
                Err(e) => return Err(e),
            }
        };
        let holder = if gates.compatible_signature {
            match self.get_version_by_alias(&system, path, &request.alias).await {
                Ok(v) => Some(v),
                Err(e) if e.kind == ErrorKind::NotFound => None,
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        Ok(evaluate(&gates, &request.alias, &version, &checks, run.as_ref(), holder.as_ref()))
    }
}

impl Quiver {
    /// Moves the alias of every approved request for version `version` of the model whose rules
    /// all pass now: called after the version's checks or tags change. Best effort (logged):
    /// the change that triggered it has been made, and the next change or approval settles again.
    pub(crate) async fn settle_requests(&self, path: &ModelPath, version: i64) {
        if let Err(e) = self.try_settle(path, version).await {
            tracing::warn!(error = %e.message, model = %path, version, "could not settle approved requests");
        }
    }

    async fn try_settle(&self, path: &ModelPath, version: i64) -> Result<()> {
        let sql = format!(
            "{RESOLVE}
             RETURN IF $mdl THEN (SELECT VALUE record::id(id) FROM approval_request
                 WHERE model = $mdl AND version = $version AND state = 'pending' AND action = 'set'
                     AND array::len(approvals) >= required_approvals) ELSE [] END;"
        );
        let ready: Vec<String> = self.answer(self.path_query(&sql, path).bind(("version", version))).await?;
        for id in ready {
            let request = self.load_request(&id).await?;
            let rules = self.evaluate_gates(path, &request).await?;
            if crate::services::governance::all_pass(&rules) {
                self.apply_approved(&id, path, &request).await?;
            }
        }
        Ok(())
    }
}

impl Quiver {
    /// Moves the alias of a request whose approvals are complete and whose rules now all pass
    /// (the caller evaluated them), and closes it as approved — in one transaction that checks
    /// again that it is still pending with enough approvals for the alias's policy.
    pub(crate) async fn apply_approved(&self, id: &str, path: &ModelPath, request: &ApprovalRequest) -> Result<()> {
        let rid = crate::services::governance::approvals::request_id(id)?;
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $r = (SELECT * FROM ONLY $rid);
             LET $required = fn::alias_policy($r.model, $r.alias_lc).required_approvals ?? 1;
             IF $r.state = 'pending' AND $r.action = 'set' AND array::len($r.approvals) >= $required {{
                 LET $mdl = $r.model;
                 LET $alias = (SELECT VALUE alias FROM model_alias WHERE model = $mdl AND alias_lc = $r.alias_lc
                     LIMIT 1)[0] ?? $r.alias;
                 LET $alias_lc = $r.alias_lc;
                 LET $version = $r.version;
                 IF !(SELECT VALUE id FROM model_version WHERE model = $mdl AND version = $version LIMIT 1)[0] {{
                     THROW $no_version
                 }};
                 fn::close_request($r, 'approved', 'Every rule of the policy passed.', $who);
                 LET $via = {{ by: $who.by, source: $who.source, request_id: $who.request_id, approval: $rid }};
                 {SET_ALIAS}
             }};
             COMMIT TRANSACTION;"
        );
        let actor = crate::services::system_actor(crate::services::governance::Source::Rest);
        let no_version = crate::services::db::throwable(&crate::error::Error::precondition(&format!(
            "Version {} no longer exists.",
            request.version
        )));
        self.write_content(
            || {
                self.q(&sql)
                    .bind(("rid", rid.clone()))
                    .bind(("who", crate::services::db::who(&actor)))
                    .bind(("no_version", no_version.clone()))
            },
            crate::services::db::no_unique,
        )
        .await
        .map_err(|e| {
            tracing::warn!(error = %e.message, model = %path, "could not apply an approved request");
            e
        })?;
        Ok(())
    }
}

/// The rules against what the version is (pure: the tests feed it directly).
pub(crate) fn evaluate(
    gates: &AliasPolicy,
    alias: &str,
    version: &ModelVersion,
    checks: &[VersionCheck],
    run: Option<&TrainingRun>,
    holder: Option<&ModelVersion>,
) -> Vec<RuleOutcome> {
    let mut out = Vec::new();
    let outcome = |rule: String, state: RuleState, reason: String| RuleOutcome { rule, state, reason };
    for name in &gates.required_checks {
        let rule = format!("check {name}");
        out.push(match checks.iter().find(|c| &c.name == name) {
            None => outcome(rule, RuleState::Waiting, "not reported yet".into()),
            Some(c) if c.passed() => outcome(rule, RuleState::Passed, c.state_label().into()),
            Some(c) if c.conclusion.is_none() => outcome(rule, RuleState::Waiting, c.state_label().into()),
            Some(c) => outcome(rule, RuleState::Failing, c.state_label().into()),
        });
    }
    for t in &gates.required_tags {
        let rule = format!("tag {} = {}", t.key, t.value);
        out.push(match version.tags.iter().find(|v| v.key == t.key) {
            Some(v) if v.value == t.value => outcome(rule, RuleState::Passed, "set".into()),
            Some(v) => outcome(rule, RuleState::Failing, format!("it is '{}'", v.value)),
            None => outcome(rule, RuleState::Failing, "not set".into()),
        });
    }
    for t in &gates.metric_thresholds {
        let value = run.and_then(|r| r.run.metrics.iter().find(|m| m.key == t.metric)).map(|m| m.value);
        out.push(match value {
            None if run.is_none() => {
                outcome(t.label(), RuleState::Failing, "the version has no training run Quiver tracked".into())
            }
            None => outcome(t.label(), RuleState::Waiting, "not logged yet".into()),
            Some(v) if t.op.holds(v, t.value) => outcome(t.label(), RuleState::Passed, format!("it is {}", number(v))),
            Some(v) => outcome(t.label(), RuleState::Failing, format!("it is {}", number(v))),
        });
    }
    if gates.compatible_signature {
        out.push(signature_compatibility(alias, version, holder));
    }
    out
}

/// The version's signature against that of the version the alias names now: every input of
/// the latter by name and type (more inputs are fine), and the same outputs.
fn signature_compatibility(alias: &str, version: &ModelVersion, holder: Option<&ModelVersion>) -> RuleOutcome {
    let outcome =
        |state, reason: String| RuleOutcome { rule: format!("signature compatible with @{alias}"), state, reason };
    let Some(holder) = holder.filter(|h| h.version != version.version) else {
        return outcome(RuleState::Passed, format!("@{alias} names no other version to compare with"));
    };
    let Some(theirs) = &holder.signature else {
        return outcome(RuleState::Passed, format!("version {} has no signature to compare with", holder.version));
    };
    let Some(ours) = &version.signature else {
        return outcome(RuleState::Failing, format!("no signature, where version {} has one", holder.version));
    };
    let mut problems = Vec::new();
    for row in rows(signature_side(Some(&theirs.inputs)), signature_side(Some(&ours.inputs))) {
        match (&row.a, &row.b) {
            (Some(_), None) => problems.push(format!("input {} is missing", row.key)),
            (Some(a), Some(b)) if a != b => problems.push(format!("input {} is {b}, was {a}", row.key)),
            _ => {}
        }
    }
    for row in rows(signature_side(Some(&theirs.outputs)), signature_side(Some(&ours.outputs))) {
        if row.differs() {
            let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "absent".into());
            problems.push(format!("output {} is {}, was {}", row.key, show(&row.b), show(&row.a)));
        }
    }
    if problems.is_empty() {
        outcome(RuleState::Passed, format!("the inputs and outputs of version {} are kept", holder.version))
    } else {
        outcome(RuleState::Failing, problems.join("; "))
    }
}

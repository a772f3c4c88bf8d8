//! Protected aliases: policies on catalogs, schemas and models naming aliases that change only
//! through approved requests (enforced in the alias, version and model transactions through
//! `fn::alias_policy`).

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use crate::error::{Error, Result};
use crate::names::{Alias, ModelPath};
use crate::services::Quiver;
use crate::services::db::{throwable, who};
use crate::services::governance::grants::{OBJECT, Securable};
use crate::services::governance::privileges::{Operation, SecurableType};
use crate::services::governance::{Actor, AliasPolicy, AliasPolicyView, ProtectedAlias};
use crate::services::registry::Stamp;
use crate::services::registry::lookup::RESOLVE;

const MAX_PROTECTED: usize = 50;

#[derive(Debug, Clone, SurrealValue)]
struct PolicyRow {
    securable: RecordId,
    depth: i64,
    full_name: String,
    aliases: Vec<String>,
    required_approvals: i64,
    allow_self_approval: bool,
    require_signature: Option<bool>,
    gates: Option<String>,
    updated_at: DateTime<Utc>,
    updated_by: String,
}

#[derive(Debug, Clone, SurrealValue)]
struct PoliciesRow {
    found: bool,
    depth: i64,
    rows: Vec<PolicyRow>,
}

/// The policies on `$path` (from `OBJECT`), with the level and full name of where each is set.
const POLICIES_ON_PATH: &str = "(SELECT securable, aliases, required_approvals, allow_self_approval, require_signature,
        gates, updated_at, updated_by,
        IF record::tb(securable) = 'catalog' THEN 1 ELSE IF record::tb(securable) = 'catalog_schema' THEN 2 ELSE 3 END AS depth,
        IF record::tb(securable) = 'catalog' THEN securable.name
        ELSE IF record::tb(securable) = 'catalog_schema' THEN securable.catalog.name + '.' + securable.name
        ELSE securable.full_name END AS full_name
    FROM alias_policy WHERE securable IN $path[WHERE $this != NONE])";

fn level_label(depth: i64) -> &'static str {
    match depth {
        1 => "catalog",
        2 => "schema",
        _ => "model",
    }
}

impl Quiver {
    /// The policy set on a catalog, schema or model, and what its parents protect.
    pub async fn get_alias_policy(&self, actor: &Actor, securable: &Securable) -> Result<AliasPolicyView> {
        check_kind(securable)?;
        self.authorize(actor, securable.read_op(), securable.target()).await?;
        let sql = format!(
            "{RESOLVE} {OBJECT}
             RETURN {{ found: $obj != NONE, depth: $depth, rows: {POLICIES_ON_PATH} }};"
        );
        let row: Option<PoliciesRow> = self.answer(self.securable_query(&sql, securable)).await?;
        let row = row.ok_or_else(|| Error::internal("policy read returned nothing"))?;
        if !row.found {
            return Err(not_found(securable));
        }
        Ok(view(securable, row))
    }

    /// Sets (or, with no aliases, removes) the policy on a catalog, schema or model.
    pub async fn set_alias_policy(
        &self,
        actor: &Actor,
        securable: &Securable,
        policy: &AliasPolicy,
    ) -> Result<AliasPolicyView> {
        check_kind(securable)?;
        let (mut aliases, mut folded): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        for raw in &policy.aliases {
            let a = Alias::parse(raw.trim().trim_start_matches('@'))?;
            if !folded.contains(&a.folded()) {
                folded.push(a.folded());
                aliases.push(a.as_str().to_string());
            }
        }
        if aliases.len() > MAX_PROTECTED {
            return Err(Error::invalid("aliases", format!("At most {MAX_PROTECTED} aliases per policy.")));
        }
        if !(1..=10).contains(&policy.required_approvals) {
            return Err(Error::invalid("required_approvals", "Between 1 and 10 approvals."));
        }
        let gates = gates_json(policy)?;
        self.authorize(actor, Operation::ProtectAliases, securable.target()).await?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE} {OBJECT}
             IF !$obj {{ THROW $not_found }};
             IF $aliases = [] {{
                 DELETE alias_policy WHERE securable = $obj;
             }} ELSE IF (SELECT VALUE id FROM alias_policy WHERE securable = $obj LIMIT 1)[0] {{
                 UPDATE alias_policy SET aliases = $aliases, aliases_lc = $folded, required_approvals = $required,
                     allow_self_approval = $allow_self, require_signature = $signed, gates = $gates,
                     updated_at = time::now(), updated_by = $who.by WHERE securable = $obj;
             }} ELSE {{
                 CREATE alias_policy SET securable = $obj, aliases = $aliases, aliases_lc = $folded, required_approvals = $required,
                     allow_self_approval = $allow_self, require_signature = $signed, gates = $gates,
                     updated_at = time::now(), updated_by = $who.by;
             }};
             fn::audit('alias_policy.updated', $type, $full_name, 'allowed',
                 IF $aliases = [] THEN 'no protected aliases' ELSE 'protected: ' + array::join($aliases, ', ')
                 + '; approvals: ' + <string> $required + (IF $allow_self THEN '; self-approval allowed' ELSE '' END)
                 + (IF $signed THEN '; a verified signature required' ELSE '' END)
                 + (IF $gates THEN '; rules: ' + $gates_text ELSE '' END) END,
                 $who);
             RETURN {{ found: true, depth: $depth, rows: {POLICIES_ON_PATH} }};
             COMMIT TRANSACTION;"
        );
        let mut res = self
            .write_content(
                || {
                    self.securable_query(&sql, securable)
                        .bind(("aliases", aliases.clone()))
                        .bind(("folded", folded.clone()))
                        .bind(("required", policy.required_approvals))
                        .bind(("allow_self", policy.allow_self_approval))
                        .bind(("signed", policy.require_signature))
                        .bind(("gates", gates.clone()))
                        .bind(("gates_text", gates_text(policy)))
                        .bind(("who", who(actor)))
                        .bind(("type", securable.kind.api_name()))
                        .bind(("full_name", securable.target().full_name()))
                        .bind(("not_found", throwable(&not_found(securable))))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let row: Option<PoliciesRow> = crate::services::db::returned(&mut res)?;
        Ok(view(securable, row.ok_or_else(|| Error::internal("policy write returned nothing"))?))
    }

    /// The protected aliases of a model: each with the strictest terms of the policies naming it.
    pub async fn protected_aliases(&self, actor: &Actor, path: &ModelPath) -> Result<Vec<ProtectedAlias>> {
        let securable = Securable::parse(SecurableType::Model, &path.to_string())?;
        let view = self.get_alias_policy(actor, &securable).await?;
        let mut out: Vec<ProtectedAlias> = Vec::new();
        let own = view.policy.aliases.iter().map(|a| (a.clone(), format!("model {}", view.full_name)));
        for (alias, set_on) in view.inherited.iter().cloned().chain(own) {
            if !out.iter().any(|p| p.alias.eq_ignore_ascii_case(&alias)) {
                out.push(ProtectedAlias {
                    alias,
                    required_approvals: 1,
                    allow_self_approval: true,
                    require_signature: false,
                    set_on,
                });
            }
        }
        // The terms in force come from the store's own rule (max approvals, self-approval only if all allow).
        let sql = format!("{RESOLVE} RETURN $aliases.map(|$a| fn::alias_policy($mdl, $a));");
        let names: Vec<String> = out.iter().map(|p| p.alias.to_lowercase()).collect();
        let terms: Vec<Option<Terms>> = self.answer(self.path_query(&sql, path).bind(("aliases", names))).await?;
        for (p, t) in out.iter_mut().zip(terms) {
            if let Some(t) = t {
                p.required_approvals = t.required_approvals;
                p.allow_self_approval = t.allow_self_approval;
                p.require_signature = t.require_signature.unwrap_or(false);
            }
        }
        Ok(out)
    }
}

#[derive(Debug, Clone, SurrealValue)]
struct Terms {
    required_approvals: i64,
    allow_self_approval: bool,
    require_signature: Option<bool>,
}

/// The rules of a policy beyond approvals and signing, checked, as stored (NONE: none).
fn gates_json(policy: &AliasPolicy) -> Result<Option<String>> {
    use crate::services::governance::MAX_RULES;
    if !policy.has_gates() {
        return Ok(None);
    }
    let too_many = |field: &str| Error::invalid(field, format!("At most {MAX_RULES} rules of each kind."));
    if policy.required_checks.len() > MAX_RULES {
        return Err(too_many("required_checks"));
    }
    if policy.required_tags.len() > MAX_RULES {
        return Err(too_many("required_tags"));
    }
    if policy.metric_thresholds.len() > MAX_RULES {
        return Err(too_many("metric_thresholds"));
    }
    let mut checks: Vec<String> = Vec::new();
    for c in &policy.required_checks {
        let name =
            crate::services::governance::check_name(c).map_err(|e| Error::invalid("required_checks", e.message))?;
        if !checks.contains(&name) {
            checks.push(name);
        }
    }
    for t in &policy.required_tags {
        if t.key.trim().is_empty() || t.key.len() > 250 || t.value.len() > 5000 {
            return Err(Error::invalid(
                "required_tags",
                "Each required tag needs a key (and a value of at most 5000 characters).",
            ));
        }
    }
    for t in &policy.metric_thresholds {
        t.validate()?;
    }
    let gates = serde_json::json!({
        "required_checks": checks,
        "required_tags": policy.required_tags,
        "metric_thresholds": policy.metric_thresholds,
        "compatible_signature": policy.compatible_signature,
    });
    Ok(Some(gates.to_string()))
}

/// The rules as stored, read back into a policy (approvals and signing left at their defaults).
pub(crate) fn read_gates(stored: Option<&str>) -> AliasPolicy {
    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Gates {
        required_checks: Vec<String>,
        required_tags: Vec<crate::services::governance::RequiredTag>,
        metric_thresholds: Vec<crate::services::governance::MetricThreshold>,
        compatible_signature: bool,
    }
    let g: Gates = stored.and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    AliasPolicy {
        required_checks: g.required_checks,
        required_tags: g.required_tags,
        metric_thresholds: g.metric_thresholds,
        compatible_signature: g.compatible_signature,
        ..AliasPolicy::default()
    }
}

/// The rules in words, for the audit entry.
fn gates_text(policy: &AliasPolicy) -> String {
    let mut parts: Vec<String> = Vec::new();
    parts.extend(policy.required_checks.iter().map(|c| format!("check {c}")));
    parts.extend(policy.required_tags.iter().map(|t| format!("tag {} = {}", t.key, t.value)));
    parts.extend(policy.metric_thresholds.iter().map(|t| t.label()));
    if policy.compatible_signature {
        parts.push("compatible signature".into());
    }
    parts.join(", ")
}

fn check_kind(securable: &Securable) -> Result<()> {
    if securable.kind == SecurableType::Metastore {
        return Err(Error::invalid("securable_type", "Aliases are protected on a catalog, schema or model."));
    }
    Ok(())
}

fn not_found(securable: &Securable) -> Error {
    Error::not_found(format!("There is no {} '{}'.", securable.kind.label(), securable.target().full_name()))
}

fn view(securable: &Securable, row: PoliciesRow) -> AliasPolicyView {
    let own = row.rows.iter().find(|r| r.depth == row.depth);
    let inherited = row
        .rows
        .iter()
        .filter(|r| r.depth < row.depth)
        .flat_map(|r| r.aliases.iter().map(move |a| (a.clone(), format!("{} {}", level_label(r.depth), r.full_name))))
        .collect();
    AliasPolicyView {
        securable_type: securable.kind.api_name().to_string(),
        full_name: securable.target().full_name(),
        policy: own
            .map(|r| {
                let gates = read_gates(r.gates.as_deref());
                AliasPolicy {
                    aliases: r.aliases.clone(),
                    required_approvals: r.required_approvals,
                    allow_self_approval: r.allow_self_approval,
                    require_signature: r.require_signature.unwrap_or(false),
                    ..gates
                }
            })
            .unwrap_or_default(),
        defined: own.is_some(),
        inherited,
        updated: own.map(|r| Stamp { at: r.updated_at, by: r.updated_by.clone() }),
    }
}

/// SurrealQL that refuses (`THROW $protected`, then the model and its aliases) when a model in
/// `$doomed` holds a protected alias: deleting a catalog or schema with everything inside must
/// not remove such an alias without an approved request, any more than deleting the model may.
pub(crate) const REFUSE_PROTECTED: &str = "
FOR $pm IN $doomed {
    LET $g = (SELECT VALUE alias FROM model_alias WHERE model = $pm)[WHERE fn::alias_policy($pm, string::lowercase($this)) != NONE];
    IF $g { THROW $protected + $pm.full_name + ' (' + array::join($g.map(|$a| '@' + $a), ', ') + ').' };
};";

/// The refusal [`REFUSE_PROTECTED`] throws, for `what` (a catalog or schema, by name).
pub(crate) fn holds_protected(what: &str) -> String {
    throwable(&Error::permission_denied(&format!(
        "{what} holds protected aliases; remove them through approved requests, or lift their protection, first: "
    )))
}

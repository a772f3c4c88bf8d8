//! Authorization: what a caller holds along a path, checked against the one rule table
//! ([`crate::services::governance::privileges::RULES`]). Every service call goes through [`Quiver::authorize`]; lists
//! and searches narrow their queries with [`Visibility`].

use surrealdb::types::{RecordId, SurrealValue};

use crate::error::{Error, Result};
use crate::names::{ModelPath, Name};
use crate::services::Quiver;
use crate::services::db::who;
use crate::services::governance::Actor;
use crate::services::governance::privileges::{Holdings, Operation, Privilege, REVEALING, SecurableType};
use crate::services::registry::lookup::RESOLVE;

/// What an operation acts on (or, for creations and lists, in).
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Metastore,
    Catalog(&'a Name),
    Schema(&'a Name, &'a Name),
    Model(&'a ModelPath),
}

impl Target<'_> {
    pub fn kind(&self) -> SecurableType {
        match self {
            Target::Metastore => SecurableType::Metastore,
            Target::Catalog(_) => SecurableType::Catalog,
            Target::Schema(..) => SecurableType::Schema,
            Target::Model(_) => SecurableType::Model,
        }
    }

    /// The full name, as audit entries and messages show it.
    pub fn full_name(&self) -> String {
        match self {
            Target::Metastore => "metastore".into(),
            Target::Catalog(c) => c.to_string(),
            Target::Schema(c, s) => format!("{c}.{s}"),
            Target::Model(p) => p.to_string(),
        }
    }

    /// `$c`, `$s`, `$m` for [`RESOLVE`] (empty below the target: nothing resolves there).
    fn folded(&self) -> (String, String, String) {
        match self {
            Target::Metastore => Default::default(),
            Target::Catalog(c) => (c.folded(), String::new(), String::new()),
            Target::Schema(c, s) => (c.folded(), s.folded(), String::new()),
            Target::Model(p) => (p.catalog.folded(), p.schema.folded(), p.model.folded()),
        }
    }
}

#[derive(Debug, Clone, SurrealValue)]
struct GrantRow {
    securable: RecordId,
    privilege: String,
}

#[derive(Debug, Clone, SurrealValue)]
struct HoldingsRow {
    names: Vec<String>,
    path: Vec<Option<RecordId>>,
    owners: Vec<Option<String>>,
    grants: Vec<GrantRow>,
}

/// The caller's principal names (own and groups'), folded; bound as `$names` in queries.
pub(crate) const NAMES: &str =
    "LET $names = array::concat([$me], (SELECT VALUE group.name_lc FROM group_member WHERE user = $uid));";

impl Quiver {
    /// What `actor` holds along the path of `target`.
    pub async fn holdings(&self, actor: &Actor, target: Target<'_>) -> Result<Holdings> {
        if actor.principal.admin {
            return Ok(Holdings { admin: true, ..Default::default() });
        }
        let (c, s, m) = target.folded();
        let key = format!("holdings|{}|{c}|{s}|{m}", actor.principal.user_id);
        self.cached(crate::services::cache::Class::Access, key, || {
            self.read_holdings(actor, c.clone(), s.clone(), m.clone())
        })
        .await
    }

    async fn read_holdings(&self, actor: &Actor, c: String, s: String, m: String) -> Result<Holdings> {
        let sql = format!(
            "{NAMES} {RESOLVE}
             LET $path = [metastore:root, $cat, $sch, $mdl];
             RETURN {{
                 names: $names,
                 path: $path,
                 owners: [metastore:root.owner, $cat.owner, $sch.owner, $mdl.owner],
                 grants: (SELECT securable, privilege FROM privilege_grant
                     WHERE securable IN $path[WHERE $this != NONE] AND principal IN $names)
             }};"
        );
        let query = self.q(&sql).bind(("c", c)).bind(("s", s)).bind(("m", m));
        let row: Option<HoldingsRow> = self.answer(bind_principal(query, actor)).await?;
        let row = row.ok_or_else(|| Error::internal("holdings returned nothing"))?;
        Ok(holdings_of(row))
    }

    /// The caller's principal names: their own and their groups', folded.
    pub async fn principal_names(&self, actor: &Actor) -> Result<Vec<String>> {
        // An array answer is read as its rows: Vec, not Option<Vec>.
        self.answer(bind_principal(self.q(&format!("{NAMES} RETURN $names;")), actor)).await
    }

    /// Allows `op` on `target` or refuses it, saying which privilege is missing; a refusal is
    /// written to the audit log.
    pub async fn authorize(&self, actor: &Actor, op: Operation, target: Target<'_>) -> Result<()> {
        if actor.principal.admin {
            return Ok(());
        }
        if actor.principal.user_id.is_empty() {
            // Only signed-in principals (and Quiver itself, an admin) act on the registry.
            self.audit_denied(actor, op, target, "not signed in").await;
            return Err(Error::permission_denied("Sign in first."));
        }
        let rule = op.rule();
        if rule.on == SecurableType::Metastore && rule.any_of.is_empty() {
            return Ok(());
        }
        let holdings = self.holdings(actor, target).await?;
        self.check(actor, &holdings, op, target).await
    }

    /// Whether `op` on `target` would be allowed (nothing is audited: nothing was attempted).
    pub(crate) async fn allows(&self, actor: &Actor, op: Operation, target: Target<'_>) -> Result<bool> {
        if actor.principal.admin {
            return Ok(true);
        }
        if actor.principal.user_id.is_empty() {
            return Ok(false);
        }
        let rule = op.rule();
        if rule.on == SecurableType::Metastore && rule.any_of.is_empty() {
            return Ok(true);
        }
        Ok(self.holdings(actor, target).await?.denial(op, target.kind()).is_none())
    }

    /// [`Quiver::authorize`] with holdings already read.
    pub(crate) async fn check(
        &self,
        actor: &Actor,
        holdings: &Holdings,
        op: Operation,
        target: Target<'_>,
    ) -> Result<()> {
        match holdings.denial(op, target.kind()) {
            None => Ok(()),
            Some(reason) => {
                self.audit_denied(actor, op, target, &reason).await;
                Err(Error::permission_denied(reason))
            }
        }
    }

    /// What the caller may not do to `target` and why, for every operation acting on an object
    /// of its type: the UI disables those controls and shows the reason.
    pub async fn denials(&self, actor: &Actor, target: Target<'_>) -> Result<Vec<(Operation, String)>> {
        if actor.principal.admin {
            return Ok(Vec::new());
        }
        let kind = target.kind();
        let holdings =
            if actor.principal.user_id.is_empty() { Holdings::default() } else { self.holdings(actor, target).await? };
        Ok(Operation::ALL
            .into_iter()
            .filter(|op| op.rule().on == kind || op.on_any_level())
            .filter_map(|op| holdings.denial(op, kind).map(|reason| (op, reason)))
            .collect())
    }

    /// Records a refused attempt, on its own (there is no change to go with it).
    pub(crate) async fn audit_denied(&self, actor: &Actor, op: Operation, target: Target<'_>, reason: &str) {
        let query = self
            .q("fn::audit($action, $type, $securable, 'denied', $detail, $who);")
            .bind(("action", format!("{op:?}")))
            .bind(("type", target.kind().api_name()))
            .bind(("securable", target.full_name()))
            .bind(("detail", reason.to_string()))
            .bind(("who", who(actor)));
        self.bookkeeping(query, "audit log").await;
    }
}

/// Two statements that set `$names` (the caller's principal names) and `$v` (the securables
/// the caller holds a privilege on) unless `$everything`; [`IN_SCOPE`] then tests a row.
pub(crate) const SCOPE: &str = "LET $names = IF $everything THEN [] ELSE array::concat([$me], \
     (SELECT VALUE group.name_lc FROM group_member WHERE user = $uid)) END; \
     LET $v = IF $everything THEN [] ELSE (SELECT VALUE securable FROM privilege_grant WHERE principal IN $names) END;";

/// Whether a catalog, schema or model row is in the caller's [`SCOPE`].
pub(crate) const IN_SCOPE: &str = "($everything OR id IN $v OR string::lowercase(owner) IN $names)";

/// Binds [`SCOPE`]'s parameters; `everything` skips the narrowing (admins, or callers whose
/// privileges on the parent reach every child).
pub(crate) fn bind_scope<'a>(
    query: crate::services::db::Query<'a>,
    actor: &Actor,
    everything: bool,
) -> crate::services::db::Query<'a> {
    bind_principal(query, actor).bind(("everything", everything || actor.principal.admin))
}

/// Binds `$me` and `$uid` for [`NAMES`].
pub(crate) fn bind_principal<'a>(
    query: crate::services::db::Query<'a>,
    actor: &Actor,
) -> crate::services::db::Query<'a> {
    query
        .bind(("me", actor.principal.username.to_lowercase()))
        .bind(("uid", RecordId::new("user", actor.principal.user_id.clone())))
}

fn holdings_of(row: HoldingsRow) -> Holdings {
    let mut h = Holdings::default();
    for (d, owner) in row.owners.iter().enumerate().take(4) {
        h.owns[d] = d > 0 && owner.as_ref().is_some_and(|o| row.names.contains(&o.to_lowercase()));
    }
    for g in row.grants {
        if let (Some(d), Some(p)) =
            (row.path.iter().position(|id| id.as_ref() == Some(&g.securable)), Privilege::parse(&g.privilege))
        {
            h.granted[d].insert(p);
        }
    }
    h
}

/// SurrealQL that narrows a list or search to what the caller may see: `LET` statements to put
/// before the query (they read the caller's grants once, through the principal index) and a
/// condition on `registered_model` rows (or, with `via_model`, on `model_version` rows).
pub(crate) struct Visibility {
    pub lets: String,
    pub models: &'static str,
    pub versions: &'static str,
}

/// For callers who are not admins. Binds: `$me`, `$uid` ([`bind_principal`]), `$use_catalog`,
/// `$use_schema`, `$revealing` ([`bind_visibility`]).
pub(crate) fn visibility() -> Visibility {
    Visibility {
        lets: format!(
            "{NAMES}
             LET $mine = (SELECT securable, privilege FROM privilege_grant WHERE principal IN $names);
             LET $owned_cats = (SELECT VALUE id FROM catalog WHERE string::lowercase(owner) IN $names);
             LET $owned_schs = (SELECT VALUE id FROM catalog_schema WHERE string::lowercase(owner) IN $names);
             LET $v_cat = array::union($mine[WHERE privilege IN $use_catalog].securable, $owned_cats);
             LET $v_sch = array::union(array::union($mine[WHERE privilege IN $use_schema].securable, $owned_schs), $owned_cats);
             LET $v_see = array::union(array::union($mine[WHERE privilege IN $revealing].securable, $owned_schs), $owned_cats);"
        ),
        models: "(catalog IN $v_cat AND (catalog IN $v_sch OR schema IN $v_sch) \
                 AND (catalog IN $v_see OR schema IN $v_see OR id IN $v_see OR string::lowercase(owner) IN $names))",
        versions: "(model.catalog IN $v_cat AND (model.catalog IN $v_sch OR model.schema IN $v_sch) \
                   AND (model.catalog IN $v_see OR model.schema IN $v_see OR model IN $v_see \
                   OR string::lowercase(model.owner) IN $names))",
    }
}

pub(crate) fn bind_visibility<'a>(
    query: crate::services::db::Query<'a>,
    actor: &Actor,
) -> crate::services::db::Query<'a> {
    let names = |ps: &[Privilege]| ps.iter().map(|p| p.api_name().to_string()).collect::<Vec<_>>();
    bind_principal(query, actor)
        .bind(("use_catalog", names(&[Privilege::UseCatalog, Privilege::AllPrivileges])))
        .bind(("use_schema", names(&[Privilege::UseSchema, Privilege::AllPrivileges])))
        .bind(("revealing", names(&REVEALING)))
}

/// Deny by default: only administrators pass.
pub(crate) fn require_admin(actor: &Actor, what: &str) -> Result<()> {
    if actor.principal.admin {
        Ok(())
    } else {
        Err(Error::permission_denied(format!("Only administrators may {what}.")))
    }
}

impl crate::services::cache::Weigh for Holdings {
    fn weight(&self) -> usize {
        crate::services::cache::encoded_len(self)
    }
}

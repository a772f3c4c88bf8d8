//! Grants on catalogs, schemas and models (and CREATE CATALOG on the metastore), effective
//! permissions, and ownership transfer.

use surrealdb::types::{RecordId, SurrealValue};

use crate::error::{Error, Result};
use crate::names::{ModelPath, Name, NameKind};
use crate::services::Quiver;
use crate::services::db::{throwable, who};
use crate::services::governance::Actor;
use crate::services::governance::access::{NAMES, Target, bind_principal};
use crate::services::governance::privileges::{
    EffectivePrivilege, Operation, PermissionsChange, Privilege, PrivilegeAssignment, SecurableType,
};
use crate::services::registry::lookup::RESOLVE;

const MAX_CHANGES: usize = 100;

/// A securable named by type and full name, parsed.
pub struct Securable {
    pub kind: SecurableType,
    catalog: Option<Name>,
    schema: Option<Name>,
    model: Option<ModelPath>,
}

impl Securable {
    /// `prod` (catalog), `prod.ml` (schema), `prod.ml.fraud` (model); the metastore ignores the name.
    pub fn parse(kind: SecurableType, full_name: &str) -> Result<Self> {
        let mut s = Securable { kind, catalog: None, schema: None, model: None };
        let parts: Vec<&str> = full_name.split('.').collect();
        let wrong = || {
            Error::invalid(
                "full_name",
                format!("'{full_name}' is not the full name of a {} ({}).", kind.label(), example(kind)),
            )
        };
        match kind {
            SecurableType::Metastore => {}
            SecurableType::Catalog => {
                let [c] = parts[..] else { return Err(wrong()) };
                s.catalog = Some(Name::parse(NameKind::Catalog, c)?);
            }
            SecurableType::Schema => {
                let [c, n] = parts[..] else { return Err(wrong()) };
                s.catalog = Some(Name::parse(NameKind::Catalog, c)?);
                s.schema = Some(Name::parse(NameKind::Schema, n)?);
            }
            SecurableType::Model => {
                if parts.len() != 3 {
                    return Err(wrong());
                }
                s.model = Some(ModelPath::parse_full(full_name)?);
            }
        }
        Ok(s)
    }

    pub fn target(&self) -> Target<'_> {
        match (&self.catalog, &self.schema, &self.model) {
            (_, _, Some(p)) => Target::Model(p),
            (Some(c), Some(n), None) => Target::Schema(c, n),
            (Some(c), None, None) => Target::Catalog(c),
            _ => Target::Metastore,
        }
    }

    /// The operation that reads it (and its grants).
    pub(crate) fn read_op(&self) -> Operation {
        match self.kind {
            SecurableType::Metastore => Operation::ListCatalogs,
            SecurableType::Catalog => Operation::GetCatalog,
            SecurableType::Schema => Operation::GetSchema,
            SecurableType::Model => Operation::GetModel,
        }
    }

    pub(crate) fn folded(&self) -> (String, String, String) {
        match (&self.catalog, &self.schema, &self.model) {
            (_, _, Some(p)) => (p.catalog.folded(), p.schema.folded(), p.model.folded()),
            (Some(c), Some(n), None) => (c.folded(), n.folded(), String::new()),
            (Some(c), None, None) => (c.folded(), String::new(), String::new()),
            _ => Default::default(),
        }
    }
}

fn example(kind: SecurableType) -> &'static str {
    match kind {
        SecurableType::Metastore => "metastore",
        SecurableType::Catalog => "e.g. prod",
        SecurableType::Schema => "e.g. prod.ml_team",
        SecurableType::Model => "e.g. prod.ml_team.fraud",
    }
}

/// SurrealQL setting `$obj` to the securable's record (NONE when missing) and `$path` to the
/// records from the metastore down to it. Needs `$c`, `$s`, `$m`, `$depth`.
pub(crate) const OBJECT: &str = "LET $obj = [metastore:root, $cat, $sch, $mdl][$depth];
     LET $path = [metastore:root, $cat, $sch, $mdl][0..($depth + 1)];";

#[derive(Debug, Clone, SurrealValue)]
struct GrantRow {
    principal: String,
    privilege: String,
}

#[derive(Debug, Clone, SurrealValue)]
struct PathGrantRow {
    securable: RecordId,
    principal: String,
    privilege: String,
}

/// What `get_permissions` reads: whether the securable exists, and its direct grants.
#[derive(Debug, Clone, SurrealValue)]
struct GrantsFound {
    found: bool,
    rows: Vec<GrantRow>,
}

#[derive(Debug, Clone, SurrealValue)]
struct EffectiveRow {
    found: bool,
    path: Vec<Option<RecordId>>,
    names: Vec<String>,
    owners: Vec<Option<String>>,
    grants: Vec<PathGrantRow>,
}

impl Quiver {
    /// Direct grants on a securable, by principal (`principal` narrows to one).
    pub async fn get_permissions(
        &self,
        actor: &Actor,
        securable: &Securable,
        principal: Option<&str>,
    ) -> Result<Vec<PrivilegeAssignment>> {
        self.authorize(actor, securable.read_op(), securable.target()).await?;
        let sql = format!(
            "{RESOLVE} {OBJECT}
             RETURN {{
                 found: $obj != NONE,
                 rows: (SELECT principal, privilege FROM privilege_grant WHERE securable = $obj
                     AND ($principal = NONE OR principal = $principal) ORDER BY principal, privilege),
             }};"
        );
        let query = self.securable_query(&sql, securable).bind(("principal", principal.map(str::to_lowercase)));
        match self.answer::<Option<GrantsFound>>(query).await? {
            Some(GrantsFound { found: true, rows }) => Ok(group_by_principal(rows)),
            _ => Err(not_found(securable)),
        }
    }

    /// Grants and revokes privileges on a securable, all changes in one transaction (each change
    /// is audited). The principals must exist; each privilege must apply to the securable type.
    pub async fn update_permissions(
        &self,
        actor: &Actor,
        securable: &Securable,
        changes: &[PermissionsChange],
    ) -> Result<Vec<PrivilegeAssignment>> {
        if changes.is_empty() || changes.len() > MAX_CHANGES {
            return Err(Error::invalid("changes", format!("Send 1 to {MAX_CHANGES} changes.")));
        }
        let mut rows = Vec::new();
        for c in changes {
            let principal = c.principal.trim().to_lowercase();
            if principal.is_empty() {
                return Err(Error::invalid("principal", "Every change names a principal."));
            }
            let parse = |list: &[String]| -> Result<Vec<String>> {
                list.iter()
                    .map(|raw| {
                        let p = Privilege::parse(raw)
                            .ok_or_else(|| Error::invalid("privileges", format!("'{raw}' is not a privilege.")))?;
                        if !p.grantable_on(securable.kind) {
                            return Err(Error::invalid(
                                "privileges",
                                format!("{p} cannot be granted on a {}.", securable.kind.label()),
                            ));
                        }
                        Ok(p.api_name().to_string())
                    })
                    .collect()
            };
            rows.push(serde_json::json!({
                "principal": principal,
                "add": parse(&c.add)?,
                "remove": parse(&c.remove)?,
            }));
        }
        self.authorize(actor, Operation::ManageGrants, securable.target()).await?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE} {OBJECT}
             IF !$obj {{ THROW $not_found }};
             FOR $c IN $changes {{
                 IF !(SELECT VALUE id FROM user WHERE username_lc = $c.principal LIMIT 1)[0]
                     AND !(SELECT VALUE id FROM principal_group WHERE name_lc = $c.principal LIMIT 1)[0] {{
                     THROW $no_principal + $c.principal + \"'.\";
                 }};
                 FOR $p IN $c.add {{
                     IF !(SELECT VALUE id FROM privilege_grant WHERE securable = $obj AND principal = $c.principal
                         AND privilege = $p LIMIT 1)[0] {{
                         CREATE privilege_grant SET securable = $obj, principal = $c.principal, privilege = $p,
                             granted_at = time::now(), granted_by = $who.by;
                     }};
                 }};
                 DELETE privilege_grant WHERE securable = $obj AND principal = $c.principal AND privilege IN $c.remove;
                 fn::audit('grants.updated', $type, $full_name, 'allowed',
                     'to ' + $c.principal + ': +' + <string> $c.add + ' -' + <string> $c.remove, $who);
             }};
             fn::emit('grant.changed', {{ securable_type: $type, full_name: $full_name, version: NONE,
                 catalog: $cat, schema: $sch, model: $mdl }}, {{ changes: $changes }}, $who);
             RETURN (SELECT principal, privilege FROM privilege_grant WHERE securable = $obj ORDER BY principal, privilege);
             COMMIT TRANSACTION;"
        );
        let mut res = self
            .write(
                || {
                    self.securable_query(&sql, securable)
                        .bind(("changes", rows.clone()))
                        .bind(("who", who(actor)))
                        .bind(("type", securable.kind.api_name()))
                        .bind(("full_name", securable.target().full_name()))
                        .bind(("not_found", throwable(&not_found(securable))))
                        .bind((
                            "no_principal",
                            throwable(&Error::not_found("There is no user, service principal or group named '")),
                        ))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let rows: Vec<GrantRow> = crate::services::db::returned(&mut res)?;
        Ok(group_by_principal(rows))
    }

    /// Every privilege `principal` holds on a securable and where it comes from: granted there
    /// or inherited from a parent, to the principal or one of its groups, or by ownership.
    pub async fn effective_permissions(
        &self,
        actor: &Actor,
        securable: &Securable,
        principal: &str,
    ) -> Result<Vec<EffectivePrivilege>> {
        self.authorize(actor, securable.read_op(), securable.target()).await?;
        let principal = principal.trim().to_lowercase();
        // Someone else's privileges (another user's, or a group's the caller is not in) are for
        // those who manage the object's grants: readers cannot probe who exists or holds what.
        if !self.principal_names(actor).await?.contains(&principal) {
            self.authorize(actor, Operation::ManageGrants, securable.target()).await?;
        }
        let sql = format!(
            "{RESOLVE} {OBJECT}
             LET $user = (SELECT VALUE id FROM user WHERE username_lc = $who_lc LIMIT 1)[0];
             LET $group = (SELECT VALUE id FROM principal_group WHERE name_lc = $who_lc LIMIT 1)[0];
             LET $names = IF $user THEN array::concat([$who_lc], (SELECT VALUE group.name_lc FROM group_member WHERE user = $user))
                 ELSE IF $group THEN [$who_lc] ELSE [] END;
             RETURN {{
                 found: $obj != NONE AND ($user != NONE OR $group != NONE),
                 path: $path,
                 names: $names,
                 owners: [metastore:root.owner, $cat.owner, $sch.owner, $mdl.owner][0..($depth + 1)],
                 grants: (SELECT securable, principal, privilege FROM privilege_grant
                     WHERE securable IN $path[WHERE $this != NONE] AND principal IN $names)
             }};"
        );
        let row: Option<EffectiveRow> =
            self.answer(self.securable_query(&sql, securable).bind(("who_lc", principal.clone()))).await?;
        let row = row.ok_or_else(|| Error::internal("effective permissions returned nothing"))?;
        if !row.found {
            return Err(Error::not_found(format!(
                "There is no {} '{}', or no principal named '{principal}'.",
                securable.kind.label(),
                securable.target().full_name()
            )));
        }
        Ok(effective(securable, &row))
    }

    /// Makes `new_owner` (a user, service principal or group) the owner of a securable.
    pub async fn transfer_ownership(&self, actor: &Actor, securable: &Securable, new_owner: &str) -> Result<()> {
        if securable.kind == SecurableType::Metastore {
            return Err(Error::invalid("securable_type", "The metastore is owned by the administrators."));
        }
        self.authorize(actor, Operation::TransferOwnership, securable.target()).await?;
        let owner = new_owner.trim().to_string();
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE} {OBJECT}
             IF !$obj {{ THROW $not_found }};
             LET $name = (SELECT VALUE username FROM user WHERE username_lc = $owner_lc LIMIT 1)[0]
                 ?? (SELECT VALUE name FROM principal_group WHERE name_lc = $owner_lc LIMIT 1)[0];
             IF !$name {{ THROW $no_principal }};
             LET $before = $obj.owner;
             UPDATE $obj SET owner = $name;
             fn::audit('ownership.transferred', $type, $full_name, 'allowed', $before + ' → ' + $name, $who);
             IF $depth = 3 {{ fn::activity($obj, NONE, 'registered_model.owner_changed', NONE, $before, $name, $who) }};
             COMMIT TRANSACTION;"
        );
        self.write(
            || {
                self.securable_query(&sql, securable)
                    .bind(("owner_lc", owner.to_lowercase()))
                    .bind(("who", who(actor)))
                    .bind(("type", securable.kind.api_name()))
                    .bind(("full_name", securable.target().full_name()))
                    .bind(("not_found", throwable(&not_found(securable))))
                    .bind((
                        "no_principal",
                        throwable(&Error::not_found(format!(
                            "There is no user, service principal or group named '{owner}'."
                        ))),
                    ))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }

    pub(crate) fn securable_query(&self, sql: &str, securable: &Securable) -> crate::services::db::Query<'_> {
        let (c, s, m) = securable.folded();
        self.q(sql).bind(("c", c)).bind(("s", s)).bind(("m", m)).bind(("depth", securable.kind.depth() as i64))
    }

    /// The caller's own principal names, for the UI ("you and your groups").
    pub async fn my_principal_names(&self, actor: &Actor) -> Result<Vec<String>> {
        // An array answer is read as its rows: Vec, not Option<Vec>.
        self.answer(bind_principal(self.q(&format!("{NAMES} RETURN $names;")), actor)).await
    }
}

fn not_found(securable: &Securable) -> Error {
    let t = securable.target();
    Error::not_found(format!("{} '{}' does not exist.", capitalized(securable.kind.label()), t.full_name()))
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

fn group_by_principal(rows: Vec<GrantRow>) -> Vec<PrivilegeAssignment> {
    let mut out: Vec<PrivilegeAssignment> = Vec::new();
    for r in rows {
        match out.last_mut() {
            Some(last) if last.principal == r.principal => last.privileges.push(r.privilege),
            _ => out.push(PrivilegeAssignment { principal: r.principal, privileges: vec![r.privilege] }),
        }
    }
    out
}

/// The names along the securable's path, top down (index = depth).
fn path_names(securable: &Securable) -> Vec<(SecurableType, String)> {
    let full = securable.target().full_name();
    let parts: Vec<&str> = full.split('.').collect();
    let mut out = vec![(SecurableType::Metastore, "metastore".to_string())];
    for (d, kind) in [SecurableType::Catalog, SecurableType::Schema, SecurableType::Model].into_iter().enumerate() {
        if d < securable.kind.depth() {
            out.push((kind, parts[..=d].join(".")));
        }
    }
    out
}

fn effective(securable: &Securable, row: &EffectiveRow) -> Vec<EffectivePrivilege> {
    let names = path_names(securable);
    let depth = securable.kind.depth();
    let origin = |d: usize| -> (Option<String>, Option<String>) {
        if d == depth { (None, None) } else { (Some(names[d].0.api_name().to_string()), Some(names[d].1.clone())) }
    };
    let mut out = Vec::new();
    for (d, owner) in row.owners.iter().enumerate() {
        if let Some(owner) = owner.as_ref().filter(|o| d > 0 && row.names.contains(&o.to_lowercase())) {
            let (t, n) = origin(d);
            out.push(EffectivePrivilege {
                privilege: "OWNERSHIP".into(),
                inherited_from_type: t,
                inherited_from_name: n,
                granted_to: owner.clone(),
            });
        }
    }
    for g in &row.grants {
        let Some(d) = row.path.iter().position(|id| id.as_ref() == Some(&g.securable)) else { continue };
        let Some(p) = Privilege::parse(&g.privilege) else { continue };
        let (t, n) = origin(d);
        out.push(EffectivePrivilege {
            privilege: p.api_name().to_string(),
            inherited_from_type: t,
            inherited_from_name: n,
            granted_to: g.principal.clone(),
        });
    }
    out.sort_by(|a, b| a.privilege.cmp(&b.privilege).then(a.inherited_from_name.cmp(&b.inherited_from_name)));
    out
}

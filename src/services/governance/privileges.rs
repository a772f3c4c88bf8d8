//! Unity Catalog's privileges, and the one table saying what each operation requires.
//!
//! Pure data and logic (no store): the services check every call against [`RULES`], the UI uses
//! the same table to disable what a user may not do and to say why, and the docs render it.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// What privileges are granted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SecurableType {
    Metastore,
    Catalog,
    Schema,
    Model,
}

impl SecurableType {
    /// The name in Unity Catalog's REST paths (`registered_model`).
    pub fn api_name(self) -> &'static str {
        match self {
            SecurableType::Metastore => "metastore",
            SecurableType::Catalog => "catalog",
            SecurableType::Schema => "schema",
            SecurableType::Model => "registered_model",
        }
    }

    /// For people: "catalog", "schema", "model".
    pub fn label(self) -> &'static str {
        match self {
            SecurableType::Metastore => "metastore",
            SecurableType::Catalog => "catalog",
            SecurableType::Schema => "schema",
            SecurableType::Model => "model",
        }
    }

    /// A securable type as REST paths spell it; `function` is a model, as in Databricks.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "metastore" => Some(SecurableType::Metastore),
            "catalog" => Some(SecurableType::Catalog),
            "schema" => Some(SecurableType::Schema),
            "registered_model" | "model" | "function" => Some(SecurableType::Model),
            _ => None,
        }
    }

    /// The levels from the top down to this one (the metastore is not part of a path).
    pub fn depth(self) -> usize {
        match self {
            SecurableType::Metastore => 0,
            SecurableType::Catalog => 1,
            SecurableType::Schema => 2,
            SecurableType::Model => 3,
        }
    }
}

/// A Unity Catalog privilege.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Privilege {
    CreateCatalog,
    UseCatalog,
    UseSchema,
    CreateSchema,
    CreateModel,
    CreateModelVersion,
    Execute,
    ApplyTag,
    ReportChecks,
    Browse,
    Manage,
    AllPrivileges,
}

impl Privilege {
    pub const ALL: [Privilege; 12] = [
        Privilege::CreateCatalog,
        Privilege::UseCatalog,
        Privilege::UseSchema,
        Privilege::CreateSchema,
        Privilege::CreateModel,
        Privilege::CreateModelVersion,
        Privilege::Execute,
        Privilege::ApplyTag,
        Privilege::ReportChecks,
        Privilege::Browse,
        Privilege::Manage,
        Privilege::AllPrivileges,
    ];

    /// As people read it: `USE CATALOG`.
    pub fn label(self) -> &'static str {
        match self {
            Privilege::CreateCatalog => "CREATE CATALOG",
            Privilege::UseCatalog => "USE CATALOG",
            Privilege::UseSchema => "USE SCHEMA",
            Privilege::CreateSchema => "CREATE SCHEMA",
            Privilege::CreateModel => "CREATE MODEL",
            Privilege::CreateModelVersion => "CREATE MODEL VERSION",
            Privilege::Execute => "EXECUTE",
            Privilege::ApplyTag => "APPLY TAG",
            Privilege::ReportChecks => "REPORT CHECKS",
            Privilege::Browse => "BROWSE",
            Privilege::Manage => "MANAGE",
            Privilege::AllPrivileges => "ALL PRIVILEGES",
        }
    }

    /// As the REST API and the store spell it: `USE_CATALOG`.
    pub fn api_name(self) -> &'static str {
        match self {
            Privilege::CreateCatalog => "CREATE_CATALOG",
            Privilege::UseCatalog => "USE_CATALOG",
            Privilege::UseSchema => "USE_SCHEMA",
            Privilege::CreateSchema => "CREATE_SCHEMA",
            Privilege::CreateModel => "CREATE_MODEL",
            Privilege::CreateModelVersion => "CREATE_MODEL_VERSION",
            Privilege::Execute => "EXECUTE",
            Privilege::ApplyTag => "APPLY_TAG",
            Privilege::ReportChecks => "REPORT_CHECKS",
            Privilege::Browse => "BROWSE",
            Privilege::Manage => "MANAGE",
            Privilege::AllPrivileges => "ALL_PRIVILEGES",
        }
    }

    /// `USE_CATALOG`, `use catalog` or `USE CATALOG`.
    pub fn parse(raw: &str) -> Option<Self> {
        let norm = raw.trim().to_ascii_uppercase().replace(' ', "_");
        Privilege::ALL.into_iter().find(|p| p.api_name() == norm)
    }

    /// Where this privilege may be granted (Unity Catalog's rules): on its own level and on the
    /// parents it is inherited from.
    pub fn grantable_on(self, on: SecurableType) -> bool {
        use SecurableType::*;
        match self {
            Privilege::CreateCatalog => on == Metastore,
            Privilege::UseCatalog | Privilege::CreateSchema | Privilege::Browse => on == Catalog,
            Privilege::UseSchema | Privilege::CreateModel => matches!(on, Catalog | Schema),
            Privilege::CreateModelVersion | Privilege::Execute | Privilege::ApplyTag | Privilege::ReportChecks => {
                matches!(on, Catalog | Schema | Model)
            }
            Privilege::Manage | Privilege::AllPrivileges => true,
        }
    }
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The principals holding privileges directly on a securable (Unity Catalog's
/// `privilege_assignments`); privileges as the API spells them (`USE_CATALOG`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrivilegeAssignment {
    pub principal: String,
    pub privileges: Vec<String>,
}

/// One entry of a grants update: privileges to add and to remove for one principal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PermissionsChange {
    pub principal: String,
    #[serde(default)]
    pub add: Vec<String>,
    #[serde(default)]
    pub remove: Vec<String>,
}

/// A privilege a principal holds on a securable, and where it comes from: granted on a parent
/// (`inherited_from_*`, both empty when granted on the securable itself), to `granted_to` (the
/// principal, or one of its groups). `OWNERSHIP` stands for owning the object or a parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EffectivePrivilege {
    pub privilege: String,
    pub inherited_from_type: Option<String>,
    pub inherited_from_name: Option<String>,
    pub granted_to: String,
}

/// Everything a caller can ask the services to do, each with its row in [`RULES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Operation {
    ListCatalogs,
    CreateCatalog,
    GetCatalog,
    UpdateCatalog,
    DeleteCatalog,
    ListSchemas,
    CreateSchema,
    GetSchema,
    UpdateSchema,
    DeleteSchema,
    ListModels,
    CreateModel,
    GetModel,
    UpdateModel,
    RenameModel,
    DeleteModel,
    CreateVersion,
    GetVersion,
    UpdateVersion,
    DeleteVersion,
    TransitionStage,
    SetAlias,
    DeleteAlias,
    SetTag,
    DeleteTag,
    Comment,
    ManageGrants,
    TransferOwnership,
    RequestAliasChange,
    DecideAliasChange,
    ProtectAliases,
    ManageWebhooks,
    ManageSigningKeys,
    AttachSignature,
    ReportCheck,
}

impl Operation {
    pub const ALL: [Operation; 35] = [
        Operation::ListCatalogs,
        Operation::CreateCatalog,
        Operation::GetCatalog,
        Operation::UpdateCatalog,
        Operation::DeleteCatalog,
        Operation::ListSchemas,
        Operation::CreateSchema,
        Operation::GetSchema,
        Operation::UpdateSchema,
        Operation::DeleteSchema,
        Operation::ListModels,
        Operation::CreateModel,
        Operation::GetModel,
        Operation::UpdateModel,
        Operation::RenameModel,
        Operation::DeleteModel,
        Operation::CreateVersion,
        Operation::GetVersion,
        Operation::UpdateVersion,
        Operation::DeleteVersion,
        Operation::TransitionStage,
        Operation::SetAlias,
        Operation::DeleteAlias,
        Operation::SetTag,
        Operation::DeleteTag,
        Operation::Comment,
        Operation::ManageGrants,
        Operation::TransferOwnership,
        Operation::RequestAliasChange,
        Operation::DecideAliasChange,
        Operation::ProtectAliases,
        Operation::ManageWebhooks,
        Operation::ManageSigningKeys,
        Operation::AttachSignature,
        Operation::ReportCheck,
    ];

    /// Operations on an object of any level (catalog, schema or model; some on the metastore),
    /// checked where they act rather than at their rule's level.
    pub fn on_any_level(self) -> bool {
        matches!(
            self,
            Operation::ManageGrants
                | Operation::TransferOwnership
                | Operation::ProtectAliases
                | Operation::ManageWebhooks
                | Operation::ManageSigningKeys
        )
    }

    /// The rule for this operation.
    pub fn rule(self) -> &'static Rule {
        RULES.iter().find(|r| r.op == self).expect("every operation has a rule (tested)")
    }
}

/// What an operation requires. Every operation below the metastore also needs USE CATALOG on its
/// catalog, and below the catalog USE SCHEMA on its schema (or inherited from the catalog); the
/// owner of an object, and of its parents, holds every privilege on it; admins may do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub op: Operation,
    /// What the operation acts on (or, for creations and lists, in).
    pub on: SecurableType,
    /// Any one of these privileges on `on`, held directly or inherited from a parent. Empty: the
    /// path's USE privileges are enough.
    pub any_of: &'static [Privilege],
    /// What it does, for docs and reasons ("set an alias").
    pub what: &'static str,
}

use Operation as O;
use Privilege as P;
use SecurableType as S;

const MANAGE: &[Privilege] = &[P::Manage];

/// The required privileges of every operation, as Unity Catalog does them.
pub const RULES: &[Rule] = &[
    Rule { op: O::ListCatalogs, on: S::Metastore, any_of: &[], what: "list catalogs" },
    Rule { op: O::CreateCatalog, on: S::Metastore, any_of: &[P::CreateCatalog], what: "create a catalog" },
    Rule { op: O::GetCatalog, on: S::Catalog, any_of: &[], what: "open a catalog" },
    Rule { op: O::UpdateCatalog, on: S::Catalog, any_of: MANAGE, what: "edit a catalog" },
    Rule { op: O::DeleteCatalog, on: S::Catalog, any_of: MANAGE, what: "delete a catalog" },
    Rule { op: O::ListSchemas, on: S::Catalog, any_of: &[], what: "list schemas" },
    Rule { op: O::CreateSchema, on: S::Catalog, any_of: &[P::CreateSchema], what: "create a schema" },
    Rule { op: O::GetSchema, on: S::Schema, any_of: &[], what: "open a schema" },
    Rule { op: O::UpdateSchema, on: S::Schema, any_of: MANAGE, what: "edit a schema" },
    Rule { op: O::DeleteSchema, on: S::Schema, any_of: MANAGE, what: "delete a schema" },
    Rule { op: O::ListModels, on: S::Schema, any_of: &[], what: "list models" },
    Rule { op: O::CreateModel, on: S::Schema, any_of: &[P::CreateModel], what: "create a model" },
    Rule { op: O::GetModel, on: S::Model, any_of: &[P::Execute], what: "read a model" },
    Rule { op: O::UpdateModel, on: S::Model, any_of: MANAGE, what: "edit a model's description" },
    Rule { op: O::RenameModel, on: S::Model, any_of: MANAGE, what: "rename a model" },
    Rule { op: O::DeleteModel, on: S::Model, any_of: MANAGE, what: "delete a model" },
    Rule { op: O::CreateVersion, on: S::Model, any_of: &[P::CreateModelVersion], what: "register a version" },
    Rule { op: O::GetVersion, on: S::Model, any_of: &[P::Execute], what: "read a version" },
    Rule { op: O::UpdateVersion, on: S::Model, any_of: MANAGE, what: "edit a version's description" },
    Rule { op: O::DeleteVersion, on: S::Model, any_of: MANAGE, what: "delete a version" },
    Rule { op: O::TransitionStage, on: S::Model, any_of: MANAGE, what: "move a version to a stage" },
    Rule { op: O::SetAlias, on: S::Model, any_of: MANAGE, what: "set an alias" },
    Rule { op: O::DeleteAlias, on: S::Model, any_of: MANAGE, what: "remove an alias" },
    Rule { op: O::SetTag, on: S::Model, any_of: &[P::ApplyTag], what: "set a tag" },
    Rule { op: O::DeleteTag, on: S::Model, any_of: &[P::ApplyTag], what: "remove a tag" },
    Rule { op: O::Comment, on: S::Model, any_of: &[P::Execute], what: "comment" },
    Rule { op: O::ManageGrants, on: S::Model, any_of: MANAGE, what: "grant and revoke privileges" },
    Rule { op: O::TransferOwnership, on: S::Model, any_of: MANAGE, what: "transfer ownership" },
    Rule { op: O::RequestAliasChange, on: S::Model, any_of: &[P::Execute], what: "request an alias change" },
    Rule { op: O::DecideAliasChange, on: S::Model, any_of: MANAGE, what: "approve or reject an alias change" },
    Rule { op: O::ProtectAliases, on: S::Model, any_of: MANAGE, what: "protect aliases" },
    Rule { op: O::ManageWebhooks, on: S::Model, any_of: MANAGE, what: "manage webhooks" },
    Rule { op: O::ManageSigningKeys, on: S::Model, any_of: MANAGE, what: "trust or revoke signing keys" },
    Rule {
        op: O::AttachSignature,
        on: S::Model,
        any_of: &[P::CreateModelVersion, P::Manage],
        what: "attach a signature to a version",
    },
    Rule {
        op: O::ReportCheck,
        on: S::Model,
        any_of: &[P::ReportChecks, P::Manage],
        what: "report a deployment check on a version",
    },
];

/// The rule table as Markdown, for the docs (`docs/privileges.md` holds it; a test keeps them equal).
pub fn rules_markdown() -> String {
    let mut out =
        String::from("| operation | on | requires (held there or inherited from a parent) |\n|---|---|---|\n");
    for r in RULES {
        let needs = if r.any_of.is_empty() {
            "nothing beyond the path".to_string()
        } else {
            r.any_of.iter().map(|p| p.label()).collect::<Vec<_>>().join(" or ")
        };
        out.push_str(&format!("| {} | {} | {needs} |\n", r.what, r.on.label()));
    }
    out
}

/// Privileges that let a holder see an object in lists (beyond the USE privileges of its path).
pub const REVEALING: [Privilege; 8] = [
    Privilege::Execute,
    Privilege::ApplyTag,
    Privilege::ReportChecks,
    Privilege::CreateModelVersion,
    Privilege::Manage,
    Privilege::Browse,
    Privilege::AllPrivileges,
    Privilege::CreateModel,
];

/// What one caller holds along one path: per level (catalog, schema, model), the privileges
/// granted there to the caller or the caller's groups, and whether the caller owns that object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holdings {
    pub admin: bool,
    /// Index 0: the metastore; 1 catalog; 2 schema; 3 model.
    pub granted: [BTreeSet<Privilege>; 4],
    pub owns: [bool; 4],
}

impl Holdings {
    /// Whether `privilege` applies at `level`: granted there or on a parent (ALL PRIVILEGES
    /// includes every privilege but MANAGE, as in Unity Catalog), or an owner there or above.
    /// Admins hold everything.
    pub fn has(&self, privilege: Privilege, level: SecurableType) -> bool {
        if self.admin {
            return true;
        }
        let all = privilege != Privilege::Manage;
        (0..=level.depth()).any(|d| {
            self.owns[d]
                || self.granted[d].contains(&privilege)
                || (all && self.granted[d].contains(&Privilege::AllPrivileges))
        })
    }

    /// Whether the caller sees every child of the object at `level` in lists: an owner there
    /// or above, or holding there (directly or inherited) a privilege that reaches the children.
    pub fn reveals_children(&self, level: SecurableType) -> bool {
        self.admin
            || (1..=level.depth()).any(|d| self.owns[d])
            || REVEALING.iter().any(|p| self.has(*p, level))
            || (level == SecurableType::Catalog && self.has(Privilege::UseSchema, level))
    }

    /// Why `op` on a securable of type `on` (the rule's level may be below it, for the grant
    /// operations) is refused, or `None` when it is allowed.
    pub fn denial(&self, op: Operation, on: SecurableType) -> Option<String> {
        if self.admin {
            return None;
        }
        let rule = op.rule();
        let level = if op.on_any_level() { on } else { rule.on };
        if level.depth() >= 1 && !self.has(Privilege::UseCatalog, SecurableType::Catalog) {
            return Some(format!("You need USE CATALOG on the catalog to {}.", rule.what));
        }
        if level.depth() >= 2 && !self.has(Privilege::UseSchema, SecurableType::Schema) {
            return Some(format!("You need USE SCHEMA on the schema to {}.", rule.what));
        }
        if rule.any_of.is_empty() || rule.any_of.iter().any(|p| self.has(*p, level)) {
            return None;
        }
        let needed: Vec<&str> = rule.any_of.iter().map(|p| p.label()).collect();
        Some(format!("You need {} on the {} (or to own it) to {}.", needed.join(" or "), level.label(), rule.what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_exactly_one_rule() {
        for op in Operation::ALL {
            assert_eq!(RULES.iter().filter(|r| r.op == op).count(), 1, "{op:?}");
        }
        assert_eq!(RULES.len(), Operation::ALL.len());
    }

    #[test]
    fn the_docs_show_the_rule_table_in_force() {
        let doc = include_str!("../../../docs/privileges.md");
        assert!(
            doc.contains(&rules_markdown()),
            "docs/privileges.md is stale; paste privileges::rules_markdown() into it"
        );
    }

    #[test]
    fn privileges_parse_in_both_spellings() {
        for p in Privilege::ALL {
            assert_eq!(Privilege::parse(p.api_name()), Some(p));
            assert_eq!(Privilege::parse(&p.label().to_lowercase()), Some(p));
        }
        assert_eq!(Privilege::parse("SELECT"), None);
        assert_eq!(SecurableType::parse("function"), Some(SecurableType::Model));
        assert!(!Privilege::UseCatalog.grantable_on(SecurableType::Schema));
        assert!(Privilege::Execute.grantable_on(SecurableType::Catalog));
    }

    #[test]
    fn grants_on_parents_are_inherited() {
        let mut h = Holdings::default();
        h.granted[1] = [Privilege::UseCatalog, Privilege::UseSchema].into();
        assert!(h.denial(Operation::GetModel, SecurableType::Model).unwrap().contains("EXECUTE"));
        h.granted[2].insert(Privilege::Execute);
        assert_eq!(h.denial(Operation::GetModel, SecurableType::Model), None);
        assert!(h.denial(Operation::SetAlias, SecurableType::Model).unwrap().contains("MANAGE"));
        h.owns[3] = true;
        assert_eq!(h.denial(Operation::SetAlias, SecurableType::Model), None);
        let mut h = Holdings::default();
        h.granted[3] = [Privilege::AllPrivileges].into();
        assert!(h.denial(Operation::GetModel, SecurableType::Model).unwrap().contains("USE CATALOG"));
    }
}

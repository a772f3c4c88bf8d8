//! MLflow's legacy stages (None, Staging, Production, Archived) and the registry-wide searches
//! MLflow clients make (filter grammar, order_by, page tokens).

use super::access::{Target, VISIBILITY_STATEMENTS, bind_visibility, visibility};
use super::models::model_not_found;
use super::paging::{offset, offset_page};
use super::rows::{MODEL_FIELDS, ModelRow, RESOLVE, VERSION_FIELDS, VersionRow};
use super::versions::version_not_found;
use super::{Quiver, returned, thrown_not_found, who};
use crate::error::{Error, Result};
use crate::filter::{self, Entity, Expr};
use crate::names::ModelPath;
use crate::privileges::Operation;
use crate::store::internal;
use crate::types::{Actor, ModelVersion, Page, RegisteredModel};

pub const STAGES: [&str; 4] = ["None", "Staging", "Production", "Archived"];

/// A stage name, matched case-insensitively ("staging" → "Staging").
pub fn parse_stage(raw: &str) -> Result<&'static str> {
    STAGES.iter().find(|s| s.eq_ignore_ascii_case(raw.trim())).copied().ok_or_else(|| {
        Error::invalid(
            "stage",
            format!("Invalid Model Version stage: {raw}. Value must be one of None, Staging, Production, Archived."),
        )
    })
}

/// One `order_by` entry: `name`, `creation_timestamp`, `last_updated_timestamp` (and for versions
/// `version_number`), then `ASC` or `DESC`.
fn order_clause(raw: &str, entity: Entity) -> Result<String> {
    let (key, dir) = super::paging::order_entry(raw)?;
    let field = match (key, entity) {
        // Names order case-insensitively, as Quiver compares them.
        ("name", _) => "full_name_lc",
        ("creation_timestamp", _) => "created_at",
        ("last_updated_timestamp", _) => "updated_at",
        // Versions are indexed by 0 - number (newest first walks forwards).
        ("version_number", Entity::Versions) => {
            return Ok(format!("version_desc {}", if dir == "ASC" { "DESC" } else { "ASC" }));
        }
        _ => return Err(Error::invalid("order_by", format!("Quiver cannot order by '{key}'."))),
    };
    Ok(format!("{field} {dir}"))
}

fn order_by(list: &[String], entity: Entity) -> Result<String> {
    let mut clauses =
        list.iter().filter(|s| !s.trim().is_empty()).map(|s| order_clause(s, entity)).collect::<Result<Vec<_>>>()?;
    // Ties are broken by name, then (versions) by number, newest first: unique, so pages never
    // overlap, and the order of the indexes `model_full_name` and `version_full_name`.
    clauses.push("full_name_lc ASC".into());
    if entity == Entity::Versions {
        clauses.push("version_desc ASC".into());
    }
    let mut seen = std::collections::HashSet::new();
    clauses.retain(|c| seen.insert(c.split(' ').next().unwrap_or("").to_string()));
    Ok(clauses.join(", "))
}

impl Quiver {
    /// Moves a version to a stage; with `archive_existing`, the other versions in that stage
    /// (Staging or Production) move to Archived, in the same transaction.
    pub async fn transition_stage(
        &self,
        actor: &Actor,
        path: &ModelPath,
        version: i64,
        stage: &str,
        archive_existing: bool,
    ) -> Result<ModelVersion> {
        self.authorize(actor, Operation::TransitionStage, Target::Model(path)).await?;
        let stage = parse_stage(stage)?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             LET $id = (SELECT VALUE id FROM model_version WHERE model = $mdl AND version = $version LIMIT 1)[0];
             IF !$id {{ THROW $no_version }};
             LET $before = $id.current_stage;
             IF $archive AND $stage IN ['Staging', 'Production'] {{
                 FOR $other IN (SELECT id, version FROM model_version WHERE model = $mdl AND current_stage = $stage AND version != $version) {{
                     UPDATE $other.id SET current_stage = 'Archived', updated_at = time::now(), updated_by = $who.by;
                     fn::activity($mdl, $other.version, 'model_version.stage_transitioned', NONE, $stage, 'Archived', $who);
                 }};
             }};
             IF $before != $stage {{
                 UPDATE $id SET current_stage = $stage, updated_at = time::now(), updated_by = $who.by;
                 fn::activity($mdl, $version, 'model_version.stage_transitioned', NONE, $before, $stage, $who);
             }};
             RETURN (SELECT {VERSION_FIELDS} FROM ONLY $id);
             COMMIT TRANSACTION;"
        );
        let mut res = self
            .write_content(
                || {
                    self.path_query(&sql, path)
                        .bind(("version", version))
                        .bind(("stage", stage))
                        .bind(("archive", archive_existing))
                        .bind(("who", who(actor)))
                        .bind(("no_model", thrown_not_found(&model_not_found(path))))
                        .bind(("no_version", thrown_not_found(&version_not_found(path, version))))
                },
                super::no_unique,
            )
            .await?;
        let row: Option<VersionRow> = returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("transition returned nothing"))?.into())
    }

    /// The newest version in each of `stages` (all four when empty), in stage order: one
    /// indexed lookup (model, stage, version) per stage, in one round trip.
    pub async fn latest_versions(
        &self,
        actor: &Actor,
        path: &ModelPath,
        stages: &[String],
    ) -> Result<Vec<ModelVersion>> {
        self.authorize(actor, Operation::GetModel, Target::Model(path)).await?;
        let stages: Vec<&'static str> = if stages.is_empty() {
            STAGES.to_vec()
        } else {
            stages.iter().map(|s| parse_stage(s)).collect::<Result<Vec<_>>>()?
        };
        let key = format!("latest|{}|{}", super::models::path_key(path), stages.join(","));
        self.cached(super::cache::Class::Content, key, || async {
            let mdl = self.resolve_model(path).await?;
            let sql: String = (0..stages.len())
                .map(|i| {
                    format!(
                        "SELECT {VERSION_FIELDS} FROM model_version WHERE model = $mdl AND current_stage = $stage{i} \
                         ORDER BY version_desc LIMIT 1;"
                    )
                })
                .collect();
            let mut query = self.q(&sql).bind(("mdl", mdl));
            for (i, s) in stages.iter().enumerate() {
                query = query.bind((format!("stage{i}"), *s));
            }
            let mut res = self.read(query).await?;
            let mut out = Vec::new();
            for i in 0..stages.len() {
                let row: Option<VersionRow> = res.take(i).map_err(internal)?;
                out.extend(row.map(ModelVersion::from));
            }
            Ok(out)
        })
        .await
    }

    /// Models matching an MLflow filter, in `order_by` order, `limit` at a time.
    pub async fn search_registered_models(
        &self,
        actor: &Actor,
        filter: Option<&Expr>,
        order: &[String],
        limit: i64,
        page_token: Option<&str>,
    ) -> Result<Page<RegisteredModel>> {
        let key = search_key("models", actor, filter, order, limit, page_token);
        self.cached(super::cache::Class::Content, key, || async {
            let rows: Vec<ModelRow> = self.filtered(actor, Entity::Models, filter, order, limit, page_token).await?;
            Ok(offset_page(rows, limit, offset(page_token)?))
        })
        .await
    }

    /// Versions matching an MLflow filter, in `order_by` order, `limit` at a time.
    pub async fn search_model_versions(
        &self,
        actor: &Actor,
        filter: Option<&Expr>,
        order: &[String],
        limit: i64,
        page_token: Option<&str>,
    ) -> Result<Page<ModelVersion>> {
        let key = search_key("versions", actor, filter, order, limit, page_token);
        self.cached(super::cache::Class::Content, key, || async {
            let rows: Vec<VersionRow> =
                self.filtered(actor, Entity::Versions, filter, order, limit, page_token).await?;
            Ok(offset_page(rows, limit, offset(page_token)?))
        })
        .await
    }

    /// One page (plus one row, to tell whether more follow) of models or versions matching `filter`.
    async fn filtered<R: surrealdb::types::SurrealValue>(
        &self,
        actor: &Actor,
        entity: Entity,
        filter: Option<&Expr>,
        order: &[String],
        limit: i64,
        page_token: Option<&str>,
    ) -> Result<Vec<R>> {
        let start = offset(page_token)?;
        let (fields, table) = match entity {
            Entity::Models => (MODEL_FIELDS, "registered_model"),
            Entity::Versions => (VERSION_FIELDS, "model_version"),
            Entity::Runs | Entity::Experiments | Entity::LoggedModels => {
                return Err(Error::invalid("filter", "This search takes filters of models and versions only."));
            }
        };
        let mut params = Vec::new();
        let cond = filter.map(|f| filter::to_surql(f, entity, &mut params)).unwrap_or_else(|| "true".into());
        // Only what the caller may see.
        let admin = actor.principal.admin;
        let vis = visibility();
        let (lets, visible, skipped) = match (admin, entity) {
            (true, _) => (String::new(), "true", 0),
            (false, Entity::Models) => (vis.lets, vis.models, VISIBILITY_STATEMENTS),
            (false, _) => (vis.lets, vis.versions, VISIBILITY_STATEMENTS),
        };
        let sql = format!(
            "{lets} SELECT {fields} FROM {table} WHERE {cond} AND {visible} ORDER BY {} LIMIT $limit START $start;",
            order_by(order, entity)?
        );
        let mut query = self.q(&sql).bind(("limit", limit + 1)).bind(("start", start));
        for p in params {
            query = query.bind(p);
        }
        let mut res = self.read(if admin { query } else { bind_visibility(query, actor) }).await?;
        res.take(skipped).map_err(internal)
    }
}

/// A search's key in the read cache: what it asks and who asks (answers differ by privileges).
fn search_key(
    what: &str,
    actor: &Actor,
    filter: Option<&Expr>,
    order: &[String],
    limit: i64,
    token: Option<&str>,
) -> String {
    let who = if actor.principal.admin { "*" } else { actor.principal.user_id.as_str() };
    format!("search|{what}|{who}|{filter:?}|{order:?}|{limit}|{}", token.unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_and_order_by() {
        assert_eq!(parse_stage("staging").unwrap(), "Staging");
        assert!(parse_stage("Canary").unwrap_err().message.contains("must be one of None, Staging"));
        assert_eq!(order_by(&["name DESC".into()], Entity::Models).unwrap(), "full_name_lc DESC");
        assert_eq!(order_by(&[], Entity::Models).unwrap(), "full_name_lc ASC");
        assert_eq!(
            order_by(&["version_number DESC".into()], Entity::Versions).unwrap(),
            "version_desc ASC, full_name_lc ASC"
        );
        assert_eq!(
            order_by(&["creation_timestamp DESC".into()], Entity::Versions).unwrap(),
            "created_at DESC, full_name_lc ASC, version_desc ASC"
        );
        assert!(order_by(&["nope".into()], Entity::Models).is_err());
        assert!(order_by(&["name sideways".into()], Entity::Models).is_err());
    }
}

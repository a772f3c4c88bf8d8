//! The registry-wide searches MLflow clients make (`search_registered_models`,
//! `search_model_versions`): MLflow's filter grammar compiled to SurrealQL, `order_by`, and
//! page tokens, narrowed to what the caller may see.

use crate::error::{Error, Result};
use crate::filter::{self, Entity, Expr};
use crate::services::Quiver;
use crate::services::governance::Actor;
use crate::services::governance::access::{bind_visibility, visibility};
use crate::services::paging::{Page, offset, offset_page};
use crate::services::registry::rows::{MODEL_FIELDS, ModelRow, VERSION_FIELDS, VersionRow};
use crate::services::registry::{ModelVersion, RegisteredModel};

/// One `order_by` entry: `name`, `creation_timestamp`, `last_updated_timestamp` (and for versions
/// `version_number`), then `ASC` or `DESC`.
fn order_clause(raw: &str, entity: Entity) -> Result<String> {
    let (key, dir) = crate::services::paging::order_entry(raw)?;
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
        self.cached(crate::services::cache::Class::Content, key, || async {
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
        self.cached(crate::services::cache::Class::Content, key, || async {
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
        let (lets, visible) = match (admin, entity) {
            (true, _) => (String::new(), "true"),
            (false, Entity::Models) => (vis.lets, vis.models),
            (false, _) => (vis.lets, vis.versions),
        };
        let sql = format!(
            "{lets} SELECT {fields} FROM {table} WHERE {cond} AND {visible} ORDER BY {} LIMIT $limit START $start;",
            order_by(order, entity)?
        );
        let mut query = self.q(&sql).bind(("limit", limit + 1)).bind(("start", start));
        for p in params {
            query = query.bind(p);
        }
        // The SELECT is the last statement, after the visibility rules' LETs.
        self.answer(if admin { query } else { bind_visibility(query, actor) }).await
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
    fn order_by_is_checked_and_made_unique() {
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

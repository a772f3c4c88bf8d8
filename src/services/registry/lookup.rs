//! Finding catalogs, schemas and models by name, and the errors that name what is missing.
//!
//! [`RESOLVE`] turns the folded names `$c`, `$s`, `$m` into record ids in one round trip; the
//! `*_not_found` functions are the one wording of each missing object, on every surface.

use surrealdb::types::{RecordId, SurrealValue};

use crate::error::{Error, Result};
use crate::names::{ModelPath, Name};
use crate::services::Quiver;
use crate::services::db::throwable;

/// Ids of a catalog, schema and model, resolved from names in one round trip. Each is NONE
/// when that part (or a parent) does not exist.
#[derive(Debug, Clone, SurrealValue)]
pub struct Resolved {
    pub catalog: Option<RecordId>,
    pub schema: Option<RecordId>,
    pub model: Option<RecordId>,
}

/// SurrealQL that resolves `$c`, `$s`, `$m` (folded names) into `$cat`, `$sch`, `$mdl`: three
/// statements. A model is found with one index lookup of its folded full name (names hold no
/// dots, so the full name is unambiguous), and its catalog and schema are read from it; the
/// catalog and schema are looked up by name only when there is no such model.
pub const RESOLVE: &str = "
LET $mdl = IF $m THEN (SELECT VALUE id FROM registered_model WHERE full_name_lc = $c + '.' + $s + '.' + $m LIMIT 1)[0] ELSE NONE END;
LET $cat = IF $mdl THEN $mdl.catalog ELSE (SELECT VALUE id FROM catalog WHERE name_lc = $c LIMIT 1)[0] END;
LET $sch = IF $mdl THEN $mdl.schema ELSE IF $cat THEN (SELECT VALUE id FROM catalog_schema WHERE catalog = $cat AND name_lc = $s LIMIT 1)[0] ELSE NONE END;
";

impl Quiver {
    /// Binds `$c`, `$s`, `$m` for [`RESOLVE`].
    pub(crate) fn path_query(&self, sql: &str, path: &ModelPath) -> crate::services::db::Query<'_> {
        self.q(sql)
            .bind(("c", path.catalog.folded()))
            .bind(("s", path.schema.folded()))
            .bind(("m", path.model.folded()))
    }

    /// THROW values for a missing catalog or schema of `path`.
    pub(crate) fn missing_parents(&self, path: &ModelPath) -> (String, String) {
        (throwable(&catalog_not_found(&path.catalog)), throwable(&schema_not_found(&path.catalog, &path.schema)))
    }

    /// Resolves a model path into record ids; a missing part is an error that names it.
    pub(crate) async fn resolve_model(&self, path: &ModelPath) -> Result<surrealdb::types::RecordId> {
        let sql = format!("{RESOLVE} ({{ catalog: $cat, schema: $sch, model: $mdl }});");
        let r: Option<Resolved> = self.answer(self.path_query(&sql, path)).await?;
        let r = r.ok_or_else(|| Error::internal("resolve returned nothing"))?;
        match (r.catalog, r.schema, r.model) {
            (None, _, _) => Err(catalog_not_found(&path.catalog)),
            (_, None, _) => Err(schema_not_found(&path.catalog, &path.schema)),
            (_, _, None) => Err(model_not_found(path)),
            (_, _, Some(id)) => Ok(id),
        }
    }
}

/// A model's key in the read cache: its folded full name.
pub(crate) fn path_key(path: &ModelPath) -> String {
    format!("{}.{}.{}", path.catalog.folded(), path.schema.folded(), path.model.folded())
}

/// Which parts of the path [`RESOLVE`] found, named `found` in a query's answer next to
/// `value`, what the query read there: `RETURN { found: {FOUND_MODEL}, value: (SELECT …) }`.
/// Read with [`Quiver::located`].
pub(crate) const FOUND_MODEL: &str = "{ catalog: $cat != NONE, schema: $sch != NONE, model: $mdl != NONE }";

#[derive(Debug, Clone, SurrealValue)]
struct Parts {
    catalog: bool,
    schema: bool,
    model: bool,
}

/// A query's answer: the parts of its path that exist, and what it read there.
#[derive(Debug, Clone, SurrealValue)]
struct Located<T: SurrealValue> {
    found: Parts,
    value: T,
}

impl Quiver {
    /// Runs a read ending in `RETURN { found: {FOUND_MODEL}, value: … }` and returns `value`
    /// when the path's catalog and schema exist, and with `need_model` its model too; otherwise
    /// the error naming the first part that is missing.
    pub(crate) async fn located<T: SurrealValue>(
        &self,
        query: crate::services::db::Query<'_>,
        path: &ModelPath,
        need_model: bool,
    ) -> Result<T> {
        let answer: Option<Located<T>> = self.answer(query).await?;
        let Located { found, value } = answer.ok_or_else(|| Error::internal("a located read answered nothing"))?;
        if !found.catalog {
            return Err(catalog_not_found(&path.catalog));
        }
        if !found.schema {
            return Err(schema_not_found(&path.catalog, &path.schema));
        }
        if need_model && !found.model {
            return Err(model_not_found(path));
        }
        Ok(value)
    }
}

pub(crate) fn model_not_found(path: &ModelPath) -> Error {
    Error::not_found(format!("Model '{path}' does not exist."))
}

pub(crate) fn catalog_not_found(name: &Name) -> Error {
    Error::not_found(format!("Catalog '{name}' does not exist."))
}

pub(crate) fn schema_not_found(catalog: &Name, name: &Name) -> Error {
    Error::not_found(format!("Schema '{catalog}.{name}' does not exist."))
}

pub(crate) fn version_not_found(path: &ModelPath, version: i64) -> Error {
    Error::not_found(format!("Model '{path}' has no version {version}."))
}

//! Moving a store: `quiver export` writes an embedded store (schema and records) to a SurrealQL
//! file, `quiver import` loads it into an empty store, typically on a SurrealDB server.

use std::path::Path;

use super::{Db, StoreConfig, connect_as, first_error, internal, open};
use crate::error::{Error, ErrorKind, Result};

/// Writes the store at `config` (brought up to this build's schema first) to `file`.
pub async fn export(config: &StoreConfig, file: &Path) -> Result<()> {
    if !(config.url.starts_with("surrealkv://") || config.url.starts_with("mem://")) {
        return Err(Error::new(
            ErrorKind::FailedPrecondition,
            "quiver export reads embedded stores; export a SurrealDB server with its own `surreal export`",
        ));
    }
    let db = open(config).await?;
    db.export(file.to_path_buf())
        .await
        .map_err(|e| Error::internal(format!("cannot export to {}: {e}", file.display())))
}

/// Loads `file` (written by [`export`]) into the store at `config`, which must hold no Quiver
/// data yet; then checks the schema as a starting server would.
pub async fn import(config: &StoreConfig, file: &Path) -> Result<()> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("cannot read {}: {e}", file.display())))?;
    let db: Db = connect_as(config).await?;
    let mut res = db.query("RETURN { version: meta:schema.schema_version };").await.map_err(internal)?;
    use surrealdb::types::SurrealValue;
    #[derive(SurrealValue)]
    struct Found {
        version: Option<i64>,
    }
    let found: Option<Found> = res.take(0).map_err(internal)?;
    if let Some(v) = found.and_then(|f| f.version) {
        return Err(Error::new(
            ErrorKind::FailedPrecondition,
            format!("the target store already holds Quiver data (schema version {v}); import into an empty database"),
        ));
    }
    let res = db.query(text).await.map_err(|e| Error::internal(format!("cannot import {}: {e}", file.display())))?;
    first_error(res).map_err(|e| Error::internal(format!("cannot import {}: {e}", file.display())))?;
    drop(db);
    open(config).await.map(|_| ())
}

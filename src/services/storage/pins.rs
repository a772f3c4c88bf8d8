//! What was approved is what runs: once a version is READY, the files it resolves to change
//! through no surface, for nobody (administrators included). A version's folder (`files_root`,
//! recorded at registration) pins every path at or below it, and a folder above it cannot be
//! deleted either. Deleting the last version that holds a folder unpins it and keeps the files:
//! they are the run's or the logged model's artifacts, which MLflow keeps when a version goes.

use surrealdb::types::{RecordId, SurrealValue};

use crate::error::{Error, Result};
use crate::services::Quiver;
use crate::services::storage::paths::with_ancestors;

/// A READY version holding a path.
#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct Holder {
    pub id: RecordId,
    pub model: RecordId,
    pub full_name: String,
    pub version: i64,
    pub files_root: String,
}

impl Holder {
    /// The path relative to the holder's folder (`.` for the folder, or the file, itself).
    pub(crate) fn relative<'a>(&self, path: &'a str) -> &'a str {
        match path.strip_prefix(&self.files_root) {
            Some("") => ".",
            Some(rest) => rest.trim_start_matches('/'),
            None => path,
        }
    }
}

const HOLDER_FIELDS: &str = "id, model, full_name, version, files_root";

impl Quiver {
    /// The READY version whose files include `path` (canonical), if any.
    pub(crate) async fn version_holding(&self, path: &str) -> Result<Option<Holder>> {
        let sql = format!(
            "SELECT {HOLDER_FIELDS} FROM model_version WHERE files_root IN $ancestors AND status = 'READY'
                 ORDER BY files_root LIMIT 1;"
        );
        self.answer(self.q(&sql).bind(("ancestors", with_ancestors(path)))).await
    }

    /// Refuses a write or delete of `path` (canonical) when a READY version holds it, or, for a
    /// folder, anything below it.
    pub(crate) async fn refuse_if_pinned(&self, path: &str) -> Result<()> {
        let (lo, hi) = if path.is_empty() {
            (String::new(), "\u{10ffff}".to_string())
        } else {
            (format!("{path}/"), format!("{path}0"))
        };
        let sql = format!(
            "LET $at = (SELECT {HOLDER_FIELDS} FROM model_version WHERE files_root IN $ancestors AND status = 'READY'
                 LIMIT 1)[0];
             RETURN $at ?? (SELECT {HOLDER_FIELDS} FROM model_version WHERE files_root > $lo AND files_root < $hi
                 AND status = 'READY' LIMIT 1)[0];"
        );
        let query = self.q(&sql).bind(("ancestors", with_ancestors(path))).bind(("lo", lo)).bind(("hi", hi));
        match self.answer::<Option<Holder>>(query).await? {
            None => Ok(()),
            Some(h) => Err(Error::precondition(format!(
                "'{path}' holds the files of {} version {}, which is registered: what a version points to \
                 cannot change or be deleted. Log the new files elsewhere and register them as a new version.",
                h.full_name, h.version
            ))),
        }
    }
}

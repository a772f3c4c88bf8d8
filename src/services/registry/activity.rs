//! The activity of a model and its versions: the audit entries every change to them writes, in
//! its transaction, naming the model.

use crate::error::Result;
use crate::names::ModelPath;
use crate::services::db::bind_cursor;
use crate::services::governance::Actor;
use crate::services::governance::access::Target;
use crate::services::governance::privileges::Operation;
use crate::services::paging::{Page, PageRequest};
use crate::services::registry::Activity;
use crate::services::registry::lookup::{FOUND_MODEL, RESOLVE};
use crate::services::registry::rows::{ACTIVITY_FIELDS, ActivityRow};
use crate::services::{Quiver, paging};
use crate::store::key_of;

impl Quiver {
    /// What happened to a model and its versions (or, with `version`, to that version), newest first.
    pub async fn list_activity(
        &self,
        actor: &Actor,
        path: &ModelPath,
        version: Option<i64>,
        page: &PageRequest,
    ) -> Result<Page<Activity>> {
        self.authorize(actor, Operation::GetModel, Target::Model(path)).await?;
        let limit = paging::limit(page)?;
        let cursor = paging::newest_cursor(page)?;
        let of_version = if version.is_some() { "AND version = $version" } else { "" };
        let sql = format!(
            "{RESOLVE}
             RETURN {{
                 found: {FOUND_MODEL},
                 value: (SELECT {ACTIVITY_FIELDS} FROM audit WHERE model = $mdl {of_version}
                     AND (at_desc > $at_desc OR (at_desc = $at_desc AND id > $key)) ORDER BY at_desc, id LIMIT $limit),
             }};"
        );
        let query = self.path_query(&sql, path).bind(("version", version)).bind(("limit", limit + 1));
        let rows: Vec<ActivityRow> = self.located(bind_cursor(query, "audit", cursor), path, true).await?;
        Ok(paging::page(rows, limit, |r| paging::newest_token(r.at_desc, &key_of(&r.id)), Into::into))
    }
}

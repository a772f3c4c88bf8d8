//! The activity of a model and its versions: the audit entries every change to them writes, in
//! its transaction, naming the model.

use super::access::Target;
use super::models::{FOUND_MODEL, check_model_found};
use super::rows::{ACTIVITY_FIELDS, ActivityRow, RESOLVE};
use super::{Quiver, bind_cursor, paging};
use crate::error::Result;
use crate::names::ModelPath;
use crate::privileges::Operation;
use crate::store::{internal, key_of};
use crate::types::{Activity, Actor, Page, PageRequest};

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
            "{RESOLVE} {FOUND_MODEL}
             SELECT {ACTIVITY_FIELDS} FROM audit WHERE model = $mdl {of_version}
                 AND (at_desc > $at_desc OR (at_desc = $at_desc AND id > $key)) ORDER BY at_desc, id LIMIT $limit;"
        );
        let query = self.path_query(&sql, path).bind(("version", version)).bind(("limit", limit + 1));
        let mut res = self.read(bind_cursor(query, "audit", cursor)).await?;
        check_model_found(&mut res, 3, path)?;
        let rows: Vec<ActivityRow> = res.take(4).map_err(internal)?;
        Ok(paging::page(rows, limit, |r| paging::newest_token(r.at_desc, &key_of(&r.id)), Into::into))
    }
}

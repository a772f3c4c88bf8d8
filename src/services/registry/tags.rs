//! Key/value tags on models and versions.

use crate::error::{Error, Result};
use crate::names::{ModelPath, check_tag, check_tag_key};
use crate::services::Quiver;
use crate::services::db::{returned, throwable, who};
use crate::services::governance::Actor;
use crate::services::governance::access::Target;
use crate::services::governance::privileges::Operation;
use crate::services::registry::Tag;
use crate::services::registry::lookup::{RESOLVE, model_not_found, version_not_found};
use crate::services::registry::rows::TagRow;

/// Where a tag goes: on the model, or on one of its versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagTarget {
    Model,
    Version(i64),
}

impl TagTarget {
    /// SurrealQL that sets `$target` to the tagged record; THROWs when the version is missing.
    fn resolve(self) -> &'static str {
        match self {
            TagTarget::Model => "LET $target = $mdl;",
            TagTarget::Version(_) => {
                "LET $target = (SELECT VALUE id FROM model_version WHERE model = $mdl AND version = $version LIMIT 1)[0];
                 IF !$target { THROW $no_version };"
            }
        }
    }

    fn table(self) -> &'static str {
        match self {
            TagTarget::Model => "model_tag",
            TagTarget::Version(_) => "version_tag",
        }
    }

    /// The field of the tag table pointing at the tagged record.
    fn link(self) -> &'static str {
        match self {
            TagTarget::Model => "model",
            TagTarget::Version(_) => "version",
        }
    }

    fn event(self) -> &'static str {
        match self {
            TagTarget::Model => "registered_model_tag",
            TagTarget::Version(_) => "model_version_tag",
        }
    }

    /// SurrealQL that copies the target's tags onto its record (reads take them from there).
    fn sync(self) -> &'static str {
        match self {
            TagTarget::Model => "fn::sync_model_tags($mdl);",
            TagTarget::Version(_) => "fn::sync_version_tags($target);",
        }
    }

    fn version(self) -> Option<i64> {
        match self {
            TagTarget::Model => None,
            TagTarget::Version(n) => Some(n),
        }
    }
}

impl Quiver {
    /// Sets (creates or overwrites) a tag; returns all tags of the target.
    pub async fn set_tag(
        &self,
        actor: &Actor,
        path: &ModelPath,
        target: TagTarget,
        key: &str,
        value: &str,
    ) -> Result<Vec<Tag>> {
        check_tag(key, value)?;
        self.authorize(actor, Operation::SetTag, Target::Model(path)).await?;
        let (table, link, event) = (target.table(), target.link(), target.event());
        let extra = match target {
            TagTarget::Model => "",
            TagTarget::Version(_) => ", model = $mdl",
        };
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             {resolve}
             LET $before = (SELECT VALUE value FROM {table} WHERE {link} = $target AND key = $key LIMIT 1)[0];
             IF $before = NONE {{
                 CREATE {table} SET {link} = $target, key = $key, value = $value{extra};
             }} ELSE IF $before != $value {{
                 UPDATE {table} SET value = $value WHERE {link} = $target AND key = $key;
             }};
             IF $before != $value {{
                 {sync}
                 fn::activity($mdl, $version, '{event}.set', $key, $before, $value, $who);
             }};
             RETURN (SELECT key, value FROM {table} WHERE {link} = $target ORDER BY key);
             COMMIT TRANSACTION;",
            resolve = target.resolve(),
            sync = target.sync(),
        );
        let mut res = self
            .write_content(
                || {
                    self.tag_query(&sql, actor, path, target)
                        .bind(("key", key.to_string()))
                        .bind(("value", value.to_string()))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let tags = tags_returned(&mut res)?;
        if let TagTarget::Version(n) = target {
            // A required tag may be what an approved request waits for.
            self.settle_requests(path, n).await;
        }
        Ok(tags)
    }

    /// Removes a tag; returns the remaining tags of the target.
    pub async fn delete_tag(&self, actor: &Actor, path: &ModelPath, target: TagTarget, key: &str) -> Result<Vec<Tag>> {
        check_tag_key(key)?;
        self.authorize(actor, Operation::DeleteTag, Target::Model(path)).await?;
        let (table, link, event) = (target.table(), target.link(), target.event());
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             {resolve}
             LET $before = (SELECT VALUE value FROM {table} WHERE {link} = $target AND key = $key LIMIT 1)[0];
             IF $before = NONE {{ THROW $no_tag }};
             DELETE {table} WHERE {link} = $target AND key = $key;
             {sync}
             fn::activity($mdl, $version, '{event}.deleted', $key, $before, NONE, $who);
             RETURN (SELECT key, value FROM {table} WHERE {link} = $target ORDER BY key);
             COMMIT TRANSACTION;",
            resolve = target.resolve(),
            sync = target.sync(),
        );
        let on = match target {
            TagTarget::Model => format!("Model '{path}'"),
            TagTarget::Version(n) => format!("Version {n} of '{path}'"),
        };
        let no_tag = throwable(&Error::not_found(format!("{on} has no tag '{key}'.")));
        let mut res = self
            .write_content(
                || {
                    self.tag_query(&sql, actor, path, target)
                        .bind(("key", key.to_string()))
                        .bind(("no_tag", no_tag.clone()))
                },
                crate::services::db::no_unique,
            )
            .await?;
        tags_returned(&mut res)
    }

    fn tag_query(
        &self,
        sql: &str,
        actor: &Actor,
        path: &ModelPath,
        target: TagTarget,
    ) -> crate::services::db::Query<'_> {
        let version = target.version();
        self.path_query(sql, path)
            .bind(("version", version))
            .bind(("who", who(actor)))
            .bind(("no_model", throwable(&model_not_found(path))))
            .bind(("no_version", throwable(&version_not_found(path, version.unwrap_or_default()))))
    }
}

fn tags_returned(res: &mut surrealdb::IndexedResults) -> Result<Vec<Tag>> {
    let rows: Vec<TagRow> = returned(res)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

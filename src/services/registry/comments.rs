//! Markdown comment threads on models and versions.

use surrealdb::types::RecordId;

use crate::error::{Error, Result};
use crate::names::ModelPath;
use crate::services::db::{bind_time_cursor, returned, throwable, who};
use crate::services::governance::Actor;
use crate::services::governance::access::Target;
use crate::services::governance::privileges::Operation;
use crate::services::paging::{Page, PageRequest};
use crate::services::registry::Comment;
use crate::services::registry::lookup::{FOUND_MODEL, RESOLVE, model_not_found, version_not_found};
use crate::services::registry::rows::{COMMENT_FIELDS, CommentRow};
use crate::services::{Quiver, paging};

/// Longest comment, in characters.
pub const MAX_COMMENT_LEN: usize = 20_000;

fn check_body(body: &str) -> Result<&str> {
    let body = body.trim();
    if body.is_empty() {
        return Err(Error::invalid("body", "Write something first: the comment is empty."));
    }
    let len = body.chars().count();
    if len > MAX_COMMENT_LEN {
        return Err(Error::invalid(
            "body",
            format!("A comment must be at most {MAX_COMMENT_LEN} characters long (it has {len})."),
        ));
    }
    Ok(body)
}

impl Quiver {
    /// Adds a comment to the model's thread, or to one version's thread.
    pub async fn add_comment(
        &self,
        actor: &Actor,
        path: &ModelPath,
        version: Option<i64>,
        body: &str,
    ) -> Result<Comment> {
        self.authorize(actor, Operation::Comment, Target::Model(path)).await?;
        let body = check_body(body)?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             IF $version != NONE AND !(SELECT VALUE id FROM model_version WHERE model = $mdl AND version = $version LIMIT 1)[0] {{
                 THROW $no_version
             }};
             LET $id = (CREATE ONLY comment SET model = $mdl, version = $version, author = $who.by, body = $body,
                 created_at = time::now() RETURN VALUE id);
             fn::activity($mdl, $version, 'comment.created', <string> record::id($id), NONE, $body, $who);
             RETURN (SELECT {COMMENT_FIELDS} FROM ONLY $id);
             COMMIT TRANSACTION;"
        );
        let no_model = throwable(&model_not_found(path));
        let no_version = throwable(&version_not_found(path, version.unwrap_or_default()));
        let mut res = self
            .write_content(
                || {
                    self.path_query(&sql, path)
                        .bind(("version", version))
                        .bind(("body", body.to_string()))
                        .bind(("who", who(actor)))
                        .bind(("no_model", no_model.clone()))
                        .bind(("no_version", no_version.clone()))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let row: Option<CommentRow> = returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("CREATE returned nothing"))?.into())
    }

    /// Changes the text of a comment. Only its author may.
    pub async fn edit_comment(&self, actor: &Actor, path: &ModelPath, id: &str, body: &str) -> Result<Comment> {
        self.authorize(actor, Operation::Comment, Target::Model(path)).await?;
        let body = check_body(body)?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             LET $c = (SELECT author, body, version, model FROM $id)[0];
             IF !$c OR $c.model != $mdl {{ THROW $no_comment }};
             IF $c.author != $who.by {{ THROW $not_author }};
             IF $c.body != $body {{
                 UPDATE $id SET body = $body, edited_at = time::now();
                 fn::activity($mdl, $c.version, 'comment.edited', <string> record::id($id), $c.body, $body, $who);
             }};
             RETURN (SELECT {COMMENT_FIELDS} FROM ONLY $id);
             COMMIT TRANSACTION;"
        );
        let not_author = throwable(&Error::permission_denied("Only its author may edit a comment."));
        let mut res = self
            .write_content(
                || {
                    self.comment_query(&sql, actor, path, id)
                        .bind(("body", body.to_string()))
                        .bind(("not_author", not_author.clone()))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let row: Option<CommentRow> = returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("UPDATE returned nothing"))?.into())
    }

    /// Deletes a comment: its author may, and administrators may delete any.
    pub async fn delete_comment(&self, actor: &Actor, path: &ModelPath, id: &str) -> Result<()> {
        self.authorize(actor, Operation::Comment, Target::Model(path)).await?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             LET $c = (SELECT author, body, version, model FROM $id)[0];
             IF !$c OR $c.model != $mdl {{ THROW $no_comment }};
             IF $c.author != $who.by AND !$admin {{ THROW $not_author }};
             DELETE $id;
             fn::activity($mdl, $c.version, 'comment.deleted', <string> record::id($id), $c.body, NONE, $who);
             COMMIT TRANSACTION;"
        );
        let not_author =
            throwable(&Error::permission_denied("Only its author or an administrator may delete a comment."));
        self.write_content(
            || {
                self.comment_query(&sql, actor, path, id)
                    .bind(("admin", actor.principal.admin))
                    .bind(("not_author", not_author.clone()))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }

    /// The thread of a model (`version` None) or of one version, oldest first.
    pub async fn list_comments(
        &self,
        actor: &Actor,
        path: &ModelPath,
        version: Option<i64>,
        page: &PageRequest,
    ) -> Result<Page<Comment>> {
        self.authorize(actor, Operation::GetModel, Target::Model(path)).await?;
        let limit = paging::limit(page)?;
        let cursor = paging::time_cursor(page)?;
        let sql = format!(
            "{RESOLVE}
             RETURN {{
                 found: {FOUND_MODEL},
                 value: (SELECT {COMMENT_FIELDS} FROM comment WHERE model = $mdl AND version = $version
                     AND (created_at > $at OR (created_at = $at AND id > $key)) ORDER BY created_at, id LIMIT $limit),
             }};"
        );
        let query = self.path_query(&sql, path).bind(("version", version)).bind(("limit", limit + 1));
        let rows: Vec<CommentRow> = self.located(bind_time_cursor(query, "comment", cursor), path, true).await?;
        Ok(paging::page(rows, limit, |r| paging::time_token(&r.created_at, &crate::store::key_of(&r.id)), Into::into))
    }

    fn comment_query(&self, sql: &str, actor: &Actor, path: &ModelPath, id: &str) -> crate::services::db::Query<'_> {
        let no_comment = throwable(&Error::not_found(format!("Model '{path}' has no comment '{id}'.")));
        self.path_query(sql, path)
            .bind(("id", RecordId::new("comment", id)))
            .bind(("who", who(actor)))
            .bind(("no_model", throwable(&model_not_found(path))))
            .bind(("no_comment", no_comment))
    }
}

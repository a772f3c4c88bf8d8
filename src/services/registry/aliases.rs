//! Aliases (`@Champion`): set, move, remove, resolve, and their history.

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::names::{Alias, ModelPath, VersionRef};
use crate::services::db::{bind_cursor, returned, throwable, who};
use crate::services::governance::Actor;
use crate::services::governance::access::Target;
use crate::services::governance::privileges::Operation;
use crate::services::paging::{Page, PageRequest};
use crate::services::registry::lookup::{FOUND_MODEL, RESOLVE, model_not_found, version_not_found};
use crate::services::registry::rows::{ALIAS_EVENT_FIELDS, AliasEventRow, VERSION_FIELDS, VersionRow};
use crate::services::registry::{AliasEvent, AliasRef, AliasesAt, ModelVersion};
use crate::services::{Quiver, paging};

/// Points alias `$alias` (`$alias_lc`) of `$mdl` at `$version`, recording the move for `$via`
/// (`{by, source, request_id}`, and `approval` when a request moved it). The version must exist.
pub(crate) const SET_ALIAS: &str = "
    LET $prev = (SELECT VALUE version FROM model_alias WHERE model = $mdl AND alias_lc = $alias_lc LIMIT 1)[0];
    IF $prev = NONE {
        CREATE model_alias SET model = $mdl, alias = $alias, alias_lc = $alias_lc, version = $version,
            updated_at = time::now(), updated_by = $via.by;
        fn::alias_event($mdl, $alias, NONE, $version, NONE, $via);
        fn::sync_aliases($mdl, [$version]);
        fn::activity($mdl, $version, 'model_version_alias.created', $alias, NONE, <string> $version, $via);
    } ELSE IF $prev != $version {
        UPDATE model_alias SET alias = $alias, version = $version, updated_at = time::now(), updated_by = $via.by
            WHERE model = $mdl AND alias_lc = $alias_lc;
        fn::alias_event($mdl, $alias, $prev, $version, NONE, $via);
        fn::sync_aliases($mdl, [$prev, $version]);
        fn::activity($mdl, $version, 'model_version_alias.moved', $alias, <string> $prev, <string> $version, $via);
    };";

/// Removes alias `$alias_lc` of `$mdl` for `$via`; THROWs `$no_alias` when it is not set.
pub(crate) const REMOVE_ALIAS: &str = "
    LET $row = (SELECT alias, version FROM model_alias WHERE model = $mdl AND alias_lc = $alias_lc LIMIT 1)[0];
    IF !$row { THROW $no_alias };
    DELETE model_alias WHERE model = $mdl AND alias_lc = $alias_lc;
    fn::alias_event($mdl, $row.alias, $row.version, NONE, NONE, $via);
    fn::sync_aliases($mdl, [$row.version]);
    fn::activity($mdl, $row.version, 'model_version_alias.deleted', $row.alias, <string> $row.version, NONE, $via);";

/// Why a direct change of a protected alias is refused, and what to do instead.
pub(crate) fn protected_message(path: &ModelPath, alias: &Alias) -> String {
    format!(
        "@{alias} of {path} is protected: it changes only through an approved request. Request the change on \
         the model's Approvals tab or with POST /api/quiver/v1/approval-requests.",
        alias = alias.as_str()
    )
}

impl Quiver {
    /// Points `alias` at `version`, creating the alias or moving it from another version. The
    /// alias row, its history entry and the activity entry are written in one transaction;
    /// setting an alias to the version it already names changes nothing.
    pub async fn set_alias(&self, actor: &Actor, path: &ModelPath, alias: &str, version: i64) -> Result<ModelVersion> {
        self.authorize(actor, Operation::SetAlias, Target::Model(path)).await?;
        let alias = Alias::parse(alias)?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             IF !(SELECT VALUE id FROM model_version WHERE model = $mdl AND version = $version LIMIT 1)[0] {{ THROW $no_version }};
             IF fn::alias_policy($mdl, $alias_lc) {{ THROW $protected }};
             LET $via = $who;
             {SET_ALIAS}
             RETURN (SELECT {VERSION_FIELDS} FROM model_version WHERE model = $mdl AND version = $version LIMIT 1)[0];
             COMMIT TRANSACTION;"
        );
        let no_model = throwable(&model_not_found(path));
        let no_version = throwable(&version_not_found(path, version));
        let protected = throwable(&Error::permission_denied(&protected_message(path, &alias)));
        let mut res = self
            .write_content(
                || {
                    self.path_query(&sql, path)
                        .bind(("alias", alias.as_str().to_string()))
                        .bind(("alias_lc", alias.folded()))
                        .bind(("version", version))
                        .bind(("who", who(actor)))
                        .bind(("no_model", no_model.clone()))
                        .bind(("no_version", no_version.clone()))
                        .bind(("protected", protected.clone()))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let row: Option<VersionRow> = returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("alias target vanished"))?.into())
    }

    /// Removes an alias; the removal is recorded in its history.
    pub async fn delete_alias(&self, actor: &Actor, path: &ModelPath, alias: &str) -> Result<()> {
        self.authorize(actor, Operation::DeleteAlias, Target::Model(path)).await?;
        let alias = Alias::parse(alias)?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             IF fn::alias_policy($mdl, $alias_lc) {{ THROW $protected }};
             LET $via = $who;
             {REMOVE_ALIAS}
             COMMIT TRANSACTION;"
        );
        let no_model = throwable(&model_not_found(path));
        let no_alias = throwable(&alias_not_found(path, &alias));
        let protected = throwable(&Error::permission_denied(&protected_message(path, &alias)));
        self.write_content(
            || {
                self.path_query(&sql, path)
                    .bind(("alias_lc", alias.folded()))
                    .bind(("protected", protected.clone()))
                    .bind(("who", who(actor)))
                    .bind(("no_model", no_model.clone()))
                    .bind(("no_alias", no_alias.clone()))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }

    /// The version an alias names.
    pub async fn get_version_by_alias(&self, actor: &Actor, path: &ModelPath, alias: &str) -> Result<ModelVersion> {
        self.authorize(actor, Operation::GetVersion, Target::Model(path)).await?;
        let alias = Alias::parse(alias)?;
        self.cached(crate::services::cache::Class::Content, format!("alias|{}|{}", crate::services::registry::lookup::path_key(path), alias.folded()), || async {
            let sql = format!(
                "{RESOLVE}
                 LET $v = (SELECT VALUE version FROM model_alias WHERE model = $mdl AND alias_lc = $alias_lc LIMIT 1)[0];
                 RETURN {{
                     found: {FOUND_MODEL},
                     value: (SELECT {VERSION_FIELDS} FROM model_version WHERE model = $mdl AND version = $v LIMIT 1)[0],
                 }};"
            );
            let query = self.path_query(&sql, path).bind(("alias_lc", alias.folded()));
            let row: Option<VersionRow> = self.located(query, path, true).await?;
            row.map(Into::into).ok_or_else(|| alias_not_found(path, &alias))
        })
        .await
    }

    /// A version named by number or alias.
    pub async fn get_version_ref(&self, actor: &Actor, path: &ModelPath, at: &VersionRef) -> Result<ModelVersion> {
        match at {
            VersionRef::Number(n) => self.get_version(actor, path, *n).await,
            VersionRef::Alias(a) => self.get_version_by_alias(actor, path, a.as_str()).await,
        }
    }

    /// Every move of the model's aliases (or of one alias), newest first.
    pub async fn alias_history(
        &self,
        actor: &Actor,
        path: &ModelPath,
        alias: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<AliasEvent>> {
        self.authorize(actor, Operation::GetModel, Target::Model(path)).await?;
        let alias = alias.map(Alias::parse).transpose()?;
        let limit = paging::limit(page)?;
        let cursor = paging::newest_cursor(page)?;
        let filter = if alias.is_some() { "AND alias_lc = $alias_lc" } else { "" };
        let sql = format!(
            "{RESOLVE}
             RETURN {{
                 found: {FOUND_MODEL},
                 value: (SELECT {ALIAS_EVENT_FIELDS} FROM alias_event WHERE model = $mdl {filter}
                     AND (at_desc > $at_desc OR (at_desc = $at_desc AND id > $key)) ORDER BY at_desc, id LIMIT $limit),
             }};"
        );
        let query = self
            .path_query(&sql, path)
            .bind(("alias_lc", alias.as_ref().map(Alias::folded)))
            .bind(("limit", limit + 1));
        let rows: Vec<AliasEventRow> = self.located(bind_cursor(query, "alias_event", cursor), path, true).await?;
        Ok(paging::page(rows, limit, |r| paging::newest_token(r.at_desc, &crate::store::key_of(&r.id)), Into::into))
    }

    /// The model's aliases as they were at `at`: for each alias, the newest move at or before
    /// that time. Answered from the history in one query.
    pub async fn aliases_at(&self, actor: &Actor, path: &ModelPath, at: DateTime<Utc>) -> Result<AliasesAt> {
        self.authorize(actor, Operation::GetModel, Target::Model(path)).await?;
        let sql = format!(
            "{RESOLVE}
             RETURN {{
                 found: {FOUND_MODEL},
                 value: (SELECT {ALIAS_EVENT_FIELDS} FROM alias_event WHERE model = $mdl AND at_desc >= $when_desc
                     ORDER BY at_desc, id),
             }};"
        );
        let query = self.path_query(&sql, path).bind(("when_desc", paging::desc_nanos(&at)));
        let rows: Vec<AliasEventRow> = self.located(query, path, true).await?;
        let mut seen = std::collections::HashSet::new();
        let mut aliases: Vec<AliasRef> = rows
            .into_iter()
            .filter(|r| seen.insert(r.alias_lc.clone()))
            .filter_map(|r| r.to_version.map(|version| AliasRef { alias: r.alias, version }))
            .collect();
        aliases.sort_by_key(|a| a.alias.to_ascii_lowercase());
        Ok(AliasesAt { at, aliases })
    }
}

pub(crate) fn alias_not_found(path: &ModelPath, alias: &Alias) -> Error {
    Error::not_found(format!("Model '{path}' has no alias '{alias}'."))
}

use surrealdb::types::SurrealValue;

use crate::error::{Error, Result};
use crate::names::{ModelPath, Name, NameKind, check_tag};
use crate::services::db::{returned, throwable, who};
use crate::services::governance::Actor;
use crate::services::governance::access::{IN_SCOPE, SCOPE, Target, bind_scope};
use crate::services::governance::policies::{REFUSE_PROTECTED, holds_protected};
use crate::services::governance::privileges::{Operation, SecurableType};
use crate::services::paging::{Page, PageRequest};
use crate::services::registry::lookup::{
    FOUND_MODEL, RESOLVE, catalog_not_found, model_not_found, path_key, schema_not_found,
};
use crate::services::registry::rows::{MODEL_FIELDS, ModelRow};
use crate::services::registry::{ModelFilter, RegisteredModel, Tag, check_description};
use crate::services::{Quiver, paging};

/// Longest filter string accepted for model lists.
const MAX_FILTER_LEN: usize = 255;

impl Quiver {
    pub async fn create_model(
        &self,
        actor: &Actor,
        catalog: &str,
        schema: &str,
        name: &str,
        description: &str,
    ) -> Result<RegisteredModel> {
        self.create_model_tagged(actor, &ModelPath::new(catalog, schema, name)?, description, &[]).await
    }

    /// Creates a model with its first tags, in one transaction.
    pub async fn create_model_tagged(
        &self,
        actor: &Actor,
        path: &ModelPath,
        description: &str,
        tags: &[Tag],
    ) -> Result<RegisteredModel> {
        check_description(description)?;
        for t in tags {
            check_tag(&t.key, &t.value)?;
        }
        self.authorize(actor, Operation::CreateModel, Target::Schema(&path.catalog, &path.schema)).await?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$cat {{ THROW $no_catalog }};
             IF !$sch {{ THROW $no_schema }};
             LET $full = $cat.name + '.' + $sch.name + '.' + $name;
             LET $id = (CREATE ONLY registered_model SET catalog = $cat, schema = $sch, name = $name, name_lc = $m,
                 full_name = $full, full_name_lc = string::lowercase($full),
                 description = $description, owner = $actor, last_version = 0, tags = $tags, created_at = time::now(),
                 created_by = $actor, updated_at = time::now(), updated_by = $actor RETURN VALUE id);
             fn::activity_data($id, NONE, 'registered_model.created', $name, NONE, NONE,
                 {{ subject: $name, description: $description, tags: $tags }}, $who);
             FOR $t IN $tags {{
                 CREATE model_tag SET model = $id, key = $t.key, value = $t.value;
                 fn::activity($id, NONE, 'registered_model_tag.set', $t.key, NONE, $t.value, $who);
             }};
             RETURN (SELECT {MODEL_FIELDS} FROM ONLY $id);
             COMMIT TRANSACTION;"
        );
        let (no_catalog, no_schema) = self.missing_parents(path);
        let tags: Vec<serde_json::Value> =
            dedup_tags(tags).into_iter().map(|t| serde_json::json!({ "key": t.key, "value": t.value })).collect();
        let mut res = self
            .write(
                || {
                    self.path_query(&sql, path)
                        .bind(("name", path.model.as_str().to_string()))
                        .bind(("description", description.to_string()))
                        .bind(("actor", actor.principal.username.clone()))
                        .bind(("who", who(actor)))
                        .bind(("tags", tags.clone()))
                        .bind(("no_catalog", no_catalog.clone()))
                        .bind(("no_schema", no_schema.clone()))
                },
                |_| {
                    Error::already_exists(
                        "name",
                        format!(
                            "Schema '{}.{}' already has a model named '{}'.",
                            path.catalog, path.schema, path.model
                        ),
                    )
                },
            )
            .await?;
        let row: Option<ModelRow> = returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("CREATE returned nothing"))?.into())
    }

    pub async fn get_model(&self, actor: &Actor, path: &ModelPath) -> Result<RegisteredModel> {
        self.authorize(actor, Operation::GetModel, Target::Model(path)).await?;
        self.cached(crate::services::cache::Class::Content, format!("model|{}", path_key(path)), || async {
            let sql = format!(
                "{RESOLVE}
                 RETURN {{ found: {FOUND_MODEL}, value: IF $mdl THEN (SELECT {MODEL_FIELDS} FROM ONLY $mdl) ELSE NONE END }};"
            );
            let row: Option<ModelRow> = self.located(self.path_query(&sql, path), path, false).await?;
            row.map(Into::into).ok_or_else(|| model_not_found(path))
        })
        .await
    }

    /// Models of a schema sorted by name, narrowed by `filter` (name substring, tag) and to what
    /// the caller may see.
    pub async fn list_models(
        &self,
        actor: &Actor,
        catalog: &str,
        schema: &str,
        filter: &ModelFilter,
        page: &PageRequest,
    ) -> Result<Page<RegisteredModel>> {
        let catalog = Name::parse(NameKind::Catalog, catalog)?;
        let schema = Name::parse(NameKind::Schema, schema)?;
        let limit = paging::limit(page)?;
        let after = paging::after_name(page)?;
        let name = filter.name.as_deref().map(str::trim).unwrap_or("").to_lowercase();
        if name.chars().count() > MAX_FILTER_LEN {
            return Err(Error::invalid("filter", format!("The filter must be at most {MAX_FILTER_LEN} characters.")));
        }
        if let Some(key) = &filter.tag_key {
            check_tag(key, filter.tag_value.as_deref().unwrap_or(""))?;
        }
        let target = Target::Schema(&catalog, &schema);
        let holdings = self.holdings(actor, target).await?;
        self.check(actor, &holdings, Operation::ListModels, target).await?;
        let everything = holdings.reveals_children(SecurableType::Schema);
        let by_tag = if filter.tag_key.is_some() { "AND id IN $tagged" } else { "" };
        let sql = format!(
            "{SCOPE}
             LET $cat = (SELECT VALUE id FROM catalog WHERE name_lc = $c LIMIT 1)[0];
             LET $sch = IF $cat THEN (SELECT VALUE id FROM catalog_schema WHERE catalog = $cat AND name_lc = $s LIMIT 1)[0] ELSE NONE END;
             LET $tagged = IF $tag_key THEN (SELECT VALUE model FROM model_tag WHERE key = $tag_key
                 AND ($tag_value = NONE OR value = $tag_value)) ELSE [] END;
             RETURN {{
                 catalog: $cat != NONE,
                 schema: $sch != NONE,
                 rows: (SELECT {MODEL_FIELDS} FROM registered_model
                     WHERE schema = $sch AND name_lc > $after AND ($filter = '' OR string::contains(name_lc, $filter))
                         {by_tag} AND {IN_SCOPE}
                     ORDER BY name_lc LIMIT $limit),
             }};"
        );
        let query = self
            .q(&sql)
            .bind(("c", catalog.folded()))
            .bind(("s", schema.folded()))
            .bind(("after", after))
            .bind(("filter", name))
            .bind(("tag_key", filter.tag_key.clone()))
            .bind(("tag_value", filter.tag_value.clone()))
            .bind(("limit", limit + 1));
        match self.answer::<Option<ModelsListed>>(bind_scope(query, actor, everything)).await? {
            Some(ModelsListed { catalog: false, .. }) | None => Err(catalog_not_found(&catalog)),
            Some(ModelsListed { schema: false, .. }) => Err(schema_not_found(&catalog, &schema)),
            Some(ModelsListed { rows, .. }) => {
                Ok(paging::page(rows, limit, |r| paging::name_token(&r.name_lc), Into::into))
            }
        }
    }

    pub async fn update_model(&self, actor: &Actor, path: &ModelPath, description: &str) -> Result<RegisteredModel> {
        self.authorize(actor, Operation::UpdateModel, Target::Model(path)).await?;
        check_description(description)?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             LET $before = $mdl.description;
             IF $before != $description {{
                 UPDATE $mdl SET description = $description, updated_at = time::now(), updated_by = $actor;
                 fn::activity($mdl, NONE, 'registered_model.description_updated', NONE, $before, $description, $who);
             }};
             RETURN (SELECT {MODEL_FIELDS} FROM ONLY $mdl);
             COMMIT TRANSACTION;"
        );
        let no_model = throwable(&model_not_found(path));
        let mut res = self
            .write_content(
                || {
                    self.path_query(&sql, path)
                        .bind(("description", description.to_string()))
                        .bind(("actor", actor.principal.username.clone()))
                        .bind(("who", who(actor)))
                        .bind(("no_model", no_model.clone()))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let row: Option<ModelRow> = returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("UPDATE returned nothing"))?.into())
    }

    /// Renames a model within its schema. Everything hangs off the model's id, so versions,
    /// aliases, tags, comments, grants and history follow without being touched.
    pub async fn rename_model(&self, actor: &Actor, path: &ModelPath, new_name: &str) -> Result<RegisteredModel> {
        self.authorize(actor, Operation::RenameModel, Target::Model(path)).await?;
        let new_name = Name::parse(NameKind::Model, new_name)?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             LET $before = $mdl.name;
             IF $before != $new_name {{
                 LET $full = $mdl.catalog.name + '.' + $mdl.schema.name + '.' + $new_name;
                 UPDATE $mdl SET name = $new_name, name_lc = $new_lc, full_name = $full,
                     full_name_lc = string::lowercase($full), updated_at = time::now(), updated_by = $who.by;
                 UPDATE model_version SET full_name = $full, full_name_lc = string::lowercase($full) WHERE model = $mdl;
                 fn::activity($mdl, NONE, 'registered_model.renamed', NONE, $before, $new_name, $who);
             }};
             RETURN (SELECT {MODEL_FIELDS} FROM ONLY $mdl);
             COMMIT TRANSACTION;"
        );
        let no_model = throwable(&model_not_found(path));
        let mut res = self
            .write(
                || {
                    self.path_query(&sql, path)
                        .bind(("new_name", new_name.as_str().to_string()))
                        .bind(("new_lc", new_name.folded()))
                        .bind(("who", who(actor)))
                        .bind(("no_model", no_model.clone()))
                },
                |_| {
                    Error::already_exists(
                        "name",
                        format!("Schema '{}.{}' already has a model named '{new_name}'.", path.catalog, path.schema),
                    )
                },
            )
            .await?;
        let row: Option<ModelRow> = returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("rename returned nothing"))?.into())
    }

    /// Deletes a model with its versions, aliases, tags and comments in one transaction. Its
    /// history (alias moves, activity) is kept, ending with the deletion.
    pub async fn delete_model(&self, actor: &Actor, path: &ModelPath) -> Result<()> {
        self.authorize(actor, Operation::DeleteModel, Target::Model(path)).await?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             LET $m = $mdl;
             LET $doomed = [$m];
             {REFUSE_PROTECTED}
             fn::stale_requests((SELECT * FROM approval_request WHERE model = $m AND state = 'pending'),
                 'The model was deleted.', $who);
             FOR $a IN (SELECT alias, version FROM model_alias WHERE model = $m) {{
                 fn::alias_event($m, $a.alias, $a.version, NONE, 'the model was deleted', $who);
             }};
             {PURGE_MODEL}
             fn::activity($m, NONE, 'registered_model.deleted', $m.name, NONE, NONE, $who);
             DELETE $m;
             COMMIT TRANSACTION;"
        );
        let no_model = throwable(&model_not_found(path));
        let protected = holds_protected(&format!("Model '{path}'"));
        self.write(
            || {
                self.path_query(&sql, path)
                    .bind(("who", who(actor)))
                    .bind(("no_model", no_model.clone()))
                    .bind(("protected", protected.clone()))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }
}

/// What `list_models` reads: whether the catalog and schema exist, and a page of models.
#[derive(Debug, Clone, SurrealValue)]
struct ModelsListed {
    catalog: bool,
    schema: bool,
    rows: Vec<ModelRow>,
}

/// The last value of each key wins, as when the tags are set one after the other.
pub(crate) fn dedup_tags(tags: &[Tag]) -> Vec<Tag> {
    let mut out: Vec<Tag> = Vec::with_capacity(tags.len());
    for t in tags {
        match out.iter_mut().find(|o| o.key == t.key) {
            Some(o) => o.value = t.value.clone(),
            None => out.push(t.clone()),
        }
    }
    out
}

/// Deletes everything that belongs to model `$m` except its history (`alias_event`, the audit entries),
/// which outlives it. Used inside the transactions that delete models.
pub(crate) const PURGE_MODEL: &str = "DELETE version_tag WHERE model = $m; \
     LET $gone = (SELECT VALUE id FROM model_version WHERE model = $m); \
     DELETE version_file WHERE version IN $gone; DELETE version_signature WHERE version IN $gone; \
     DELETE version_check WHERE model = $m; \
     DELETE model_version WHERE model = $m; \
     DELETE model_tag WHERE model = $m; DELETE model_alias WHERE model = $m; DELETE comment WHERE model = $m;";

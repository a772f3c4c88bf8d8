use surrealdb::types::SurrealValue;

use crate::error::{Error, Result};
use crate::names::{Name, NameKind};
use crate::services::db::{returned, throwable};
use crate::services::governance::Actor;
use crate::services::governance::access::{IN_SCOPE, SCOPE, Target, bind_scope};
use crate::services::governance::policies::REFUSE_PROTECTED;
use crate::services::governance::privileges::{Operation, SecurableType};
use crate::services::paging::{Page, PageRequest};
use crate::services::registry::lookup::{catalog_not_found, schema_not_found};
use crate::services::registry::models::PURGE_MODEL;
use crate::services::registry::rows::{SCHEMA_FIELDS, SchemaRow};
use crate::services::registry::{Schema, check_description};
use crate::services::{Quiver, paging};

impl Quiver {
    pub async fn create_schema(&self, actor: &Actor, catalog: &str, name: &str, description: &str) -> Result<Schema> {
        let catalog = Name::parse(NameKind::Catalog, catalog)?;
        let name = Name::parse(NameKind::Schema, name)?;
        self.authorize(actor, Operation::CreateSchema, Target::Catalog(&catalog)).await?;
        check_description(description)?;
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $cat = (SELECT VALUE id FROM catalog WHERE name_lc = $c LIMIT 1)[0];
             IF !$cat {{ THROW $no_catalog }};
             LET $id = (CREATE ONLY catalog_schema SET catalog = $cat, name = $name, name_lc = $name_lc,
                 description = $description, owner = $actor, created_at = time::now(), created_by = $actor,
                 updated_at = time::now(), updated_by = $actor RETURN VALUE id);
             fn::audit('schema.created', 'schema', $cat.name + '.' + $name, 'allowed', NONE, $who);
             RETURN (SELECT {SCHEMA_FIELDS} FROM ONLY $id);
             COMMIT TRANSACTION;"
        );
        let no_catalog = throwable(&catalog_not_found(&catalog));
        let mut res = self
            .write(
                || {
                    self.q(&sql)
                        .bind(("c", catalog.folded()))
                        .bind(("name", name.as_str().to_string()))
                        .bind(("name_lc", name.folded()))
                        .bind(("description", description.to_string()))
                        .bind(("actor", actor.principal.username.clone()))
                        .bind(("who", crate::services::db::who(actor)))
                        .bind(("no_catalog", no_catalog.clone()))
                },
                |_| Error::already_exists("name", format!("Catalog '{catalog}' already has a schema named '{name}'.")),
            )
            .await?;
        let row: Option<SchemaRow> = returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("CREATE returned nothing"))?.into())
    }

    pub async fn get_schema(&self, actor: &Actor, catalog: &str, name: &str) -> Result<Schema> {
        let catalog = Name::parse(NameKind::Catalog, catalog)?;
        let name = Name::parse(NameKind::Schema, name)?;
        self.authorize(actor, Operation::GetSchema, Target::Schema(&catalog, &name)).await?;
        let sql = format!(
            "LET $cat = (SELECT VALUE id FROM catalog WHERE name_lc = $c LIMIT 1)[0];
             RETURN {{
                 catalog: $cat != NONE,
                 schema: (SELECT {SCHEMA_FIELDS} FROM catalog_schema WHERE catalog = $cat AND name_lc = $s LIMIT 1)[0],
             }};"
        );
        let found: Option<SchemaFound> =
            self.answer(self.q(&sql).bind(("c", catalog.folded())).bind(("s", name.folded()))).await?;
        match found {
            Some(SchemaFound { catalog: true, schema: Some(row) }) => Ok(row.into()),
            Some(SchemaFound { catalog: true, schema: None }) => Err(schema_not_found(&catalog, &name)),
            _ => Err(catalog_not_found(&catalog)),
        }
    }

    /// Schemas of a catalog sorted by name (case-insensitive), a page at a time: all of them for
    /// callers holding a privilege on the catalog that reaches its schemas, else those the caller
    /// holds a privilege on or owns.
    pub async fn list_schemas(&self, actor: &Actor, catalog: &str, page: &PageRequest) -> Result<Page<Schema>> {
        let catalog = Name::parse(NameKind::Catalog, catalog)?;
        let limit = paging::limit(page)?;
        let after = paging::after_name(page)?;
        let target = Target::Catalog(&catalog);
        let holdings = self.holdings(actor, target).await?;
        self.check(actor, &holdings, Operation::ListSchemas, target).await?;
        let everything = holdings.reveals_children(SecurableType::Catalog);
        let sql = format!(
            "{SCOPE}
             LET $cat = (SELECT VALUE id FROM catalog WHERE name_lc = $c LIMIT 1)[0];
             RETURN {{
                 catalog: $cat != NONE,
                 rows: (SELECT {SCHEMA_FIELDS} FROM catalog_schema WHERE catalog = $cat AND name_lc > $after
                     AND {IN_SCOPE} ORDER BY name_lc LIMIT $limit),
             }};"
        );
        let query = self.q(&sql).bind(("c", catalog.folded())).bind(("after", after)).bind(("limit", limit + 1));
        let listed: Option<SchemasListed> = self.answer(bind_scope(query, actor, everything)).await?;
        match listed {
            Some(SchemasListed { catalog: true, rows }) => {
                Ok(paging::page(rows, limit, |r| paging::name_token(&r.name_lc), Into::into))
            }
            _ => Err(catalog_not_found(&catalog)),
        }
    }

    pub async fn update_schema(&self, actor: &Actor, catalog: &str, name: &str, description: &str) -> Result<Schema> {
        let catalog = Name::parse(NameKind::Catalog, catalog)?;
        let name = Name::parse(NameKind::Schema, name)?;
        self.authorize(actor, Operation::UpdateSchema, Target::Schema(&catalog, &name)).await?;
        check_description(description)?;
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $cat = (SELECT VALUE id FROM catalog WHERE name_lc = $c LIMIT 1)[0];
             IF !$cat {{ THROW $no_catalog }};
             LET $sch = (SELECT VALUE id FROM catalog_schema WHERE catalog = $cat AND name_lc = $s LIMIT 1)[0];
             IF !$sch {{ THROW $no_schema }};
             UPDATE $sch SET description = $description, updated_at = time::now(), updated_by = $actor;
             fn::audit('schema.updated', 'schema', $cat.name + '.' + $sch.name, 'allowed', NONE, $who);
             RETURN (SELECT {SCHEMA_FIELDS} FROM ONLY $sch);
             COMMIT TRANSACTION;"
        );
        let no_catalog = throwable(&catalog_not_found(&catalog));
        let no_schema = throwable(&schema_not_found(&catalog, &name));
        let mut res = self
            .write(
                || {
                    self.q(&sql)
                        .bind(("c", catalog.folded()))
                        .bind(("s", name.folded()))
                        .bind(("description", description.to_string()))
                        .bind(("actor", actor.principal.username.clone()))
                        .bind(("who", crate::services::db::who(actor)))
                        .bind(("no_catalog", no_catalog.clone()))
                        .bind(("no_schema", no_schema.clone()))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let row: Option<SchemaRow> = returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("UPDATE returned nothing"))?.into())
    }

    /// Deletes a schema; one holding models only with `cascade`, which removes them and their
    /// versions in the same transaction.
    pub async fn delete_schema(&self, actor: &Actor, catalog: &str, name: &str, cascade: bool) -> Result<()> {
        let catalog = Name::parse(NameKind::Catalog, catalog)?;
        let name = Name::parse(NameKind::Schema, name)?;
        self.authorize(actor, Operation::DeleteSchema, Target::Schema(&catalog, &name)).await?;
        let sql = format!(
            "BEGIN TRANSACTION;
            LET $cat = (SELECT VALUE id FROM catalog WHERE name_lc = $c LIMIT 1)[0];
            IF !$cat {{ THROW $no_catalog }};
            LET $sch = (SELECT VALUE id FROM catalog_schema WHERE catalog = $cat AND name_lc = $s LIMIT 1)[0];
            IF !$sch {{ THROW $no_schema }};
            IF !$cascade AND array::len((SELECT VALUE id FROM registered_model WHERE schema = $sch LIMIT 1)) > 0 {{ THROW $not_empty }};
            LET $doomed = (SELECT VALUE id FROM registered_model WHERE schema = $sch);
            {REFUSE_PROTECTED}
            FOR $m IN $doomed {{ {PURGE_MODEL} }};
            DELETE registered_model WHERE schema = $sch;
            fn::audit('schema.deleted', 'schema', $cat.name + '.' + $sch.name, 'allowed', IF $cascade THEN 'with everything inside' ELSE NONE END, $who);
            DELETE $sch;
            COMMIT TRANSACTION;"
        );
        let no_catalog = throwable(&catalog_not_found(&catalog));
        let no_schema = throwable(&schema_not_found(&catalog, &name));
        let not_empty = throwable(&Error::precondition(&format!(
            "Schema '{catalog}.{name}' is not empty. Delete its models first, or confirm deleting everything inside it."
        )));
        let protected = crate::services::governance::policies::holds_protected(&format!("Schema '{catalog}.{name}'"));
        self.write(
            || {
                self.q(&sql)
                    .bind(("c", catalog.folded()))
                    .bind(("s", name.folded()))
                    .bind(("cascade", cascade))
                    .bind(("who", crate::services::db::who(actor)))
                    .bind(("no_catalog", no_catalog.clone()))
                    .bind(("no_schema", no_schema.clone()))
                    .bind(("not_empty", not_empty.clone()))
                    .bind(("protected", protected.clone()))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }
}

impl Quiver {
    /// Creates the catalog and the schema when they do not exist yet (for MLflow clients, which
    /// expect `register_model("prod.ml_team.m")` to just work), as `create_catalog` and
    /// `create_schema` do: checked against the rule table (CREATE CATALOG, CREATE SCHEMA) and
    /// audited. A caller who may not create them gets nothing from this step, so what they are
    /// told next (by the registration itself) does not depend on whether they exist.
    pub async fn ensure_schema(&self, actor: &Actor, catalog: &str, name: &str) -> Result<()> {
        let catalog = Name::parse(NameKind::Catalog, catalog)?;
        let name = Name::parse(NameKind::Schema, name)?;
        #[derive(SurrealValue)]
        struct Found {
            catalog: bool,
            schema: bool,
        }
        let found: Option<Found> = self
            .answer(
                self.q("LET $cat = (SELECT VALUE id FROM catalog WHERE name_lc = $c LIMIT 1)[0];
                        RETURN {
                            catalog: $cat != NONE,
                            schema: $cat != NONE AND (SELECT VALUE id FROM catalog_schema
                                WHERE catalog = $cat AND name_lc = $s LIMIT 1)[0] != NONE,
                        };")
                    .bind(("c", catalog.folded()))
                    .bind(("s", name.folded())),
            )
            .await?;
        let found = found.ok_or_else(|| Error::internal("the namespace query answered nothing"))?;
        // Created concurrently by another request: it exists now, which is what was asked.
        let done = |r: Result<()>| match r {
            Err(e) if !e.is(crate::error::ErrorKind::AlreadyExists) => Err(e),
            _ => Ok(()),
        };
        if !found.catalog {
            if !self.allows(actor, Operation::CreateCatalog, Target::Metastore).await? {
                return Ok(());
            }
            done(self.create_catalog(actor, catalog.as_str(), "").await.map(|_| ()))?;
        }
        if !found.schema {
            if !self.allows(actor, Operation::CreateSchema, Target::Catalog(&catalog)).await? {
                return Ok(());
            }
            done(self.create_schema(actor, catalog.as_str(), name.as_str(), "").await.map(|_| ()))?;
        }
        Ok(())
    }
}

/// What `get_schema` reads: whether the catalog exists, and the schema.
#[derive(Debug, SurrealValue)]
struct SchemaFound {
    catalog: bool,
    schema: Option<SchemaRow>,
}

/// What `list_schemas` reads: whether the catalog exists, and a page of its schemas.
#[derive(Debug, SurrealValue)]
struct SchemasListed {
    catalog: bool,
    rows: Vec<SchemaRow>,
}

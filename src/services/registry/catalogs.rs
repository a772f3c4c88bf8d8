use crate::error::{Error, Result};
use crate::names::{Name, NameKind};
use crate::services::db::throwable;
use crate::services::governance::Actor;
use crate::services::governance::access::{IN_SCOPE, SCOPE, Target, bind_scope};
use crate::services::governance::policies::REFUSE_PROTECTED;
use crate::services::governance::privileges::Operation;
use crate::services::paging::{Page, PageRequest};
use crate::services::registry::lookup::catalog_not_found;
use crate::services::registry::models::PURGE_MODEL;
use crate::services::registry::rows::{CatalogRow, OBJECT_FIELDS};
use crate::services::registry::{Catalog, check_description};
use crate::services::{Quiver, paging};

impl Quiver {
    pub async fn create_catalog(&self, actor: &Actor, name: &str, description: &str) -> Result<Catalog> {
        let name = Name::parse(NameKind::Catalog, name)?;
        self.authorize(actor, Operation::CreateCatalog, Target::Metastore).await?;
        check_description(description)?;
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $row = (CREATE ONLY catalog SET name = $name, name_lc = $name_lc, description = $description,
                 owner = $actor, created_at = time::now(), created_by = $actor, updated_at = time::now(),
                 updated_by = $actor RETURN {OBJECT_FIELDS});
             fn::audit('catalog.created', 'catalog', $name, 'allowed', NONE, $who);
             RETURN $row;
             COMMIT TRANSACTION;"
        );
        let mut res = self
            .write(
                || {
                    self.q(&sql)
                        .bind(("name", name.as_str().to_string()))
                        .bind(("name_lc", name.folded()))
                        .bind(("description", description.to_string()))
                        .bind(("actor", actor.principal.username.clone()))
                        .bind(("who", crate::services::db::who(actor)))
                },
                |_| Error::already_exists("name", format!("A catalog named '{name}' already exists.")),
            )
            .await?;
        let row: Option<CatalogRow> = crate::services::db::returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("CREATE returned nothing"))?.into())
    }

    pub async fn get_catalog(&self, actor: &Actor, name: &str) -> Result<Catalog> {
        let name = Name::parse(NameKind::Catalog, name)?;
        self.authorize(actor, Operation::GetCatalog, Target::Catalog(&name)).await?;
        let sql = format!("SELECT {OBJECT_FIELDS} FROM catalog WHERE name_lc = $name_lc LIMIT 1");
        let row: Option<CatalogRow> = self.answer(self.q(&sql).bind(("name_lc", name.folded()))).await?;
        row.map(Into::into).ok_or_else(|| catalog_not_found(&name))
    }

    /// Catalogs sorted by name (case-insensitive), a page at a time: those the caller holds a
    /// privilege on or owns (admins: all).
    pub async fn list_catalogs(&self, actor: &Actor, page: &PageRequest) -> Result<Page<Catalog>> {
        let limit = paging::limit(page)?;
        let after = paging::after_name(page)?;
        self.authorize(actor, Operation::ListCatalogs, Target::Metastore).await?;
        let sql = format!(
            "{SCOPE} SELECT {OBJECT_FIELDS} FROM catalog WHERE name_lc > $after AND {IN_SCOPE} ORDER BY name_lc LIMIT $limit"
        );
        let query = self.q(&sql).bind(("after", after)).bind(("limit", limit + 1));
        let rows: Vec<CatalogRow> = self.answer(bind_scope(query, actor, actor.principal.admin)).await?;
        Ok(paging::page(rows, limit, |r| paging::name_token(&r.name_lc), Into::into))
    }

    pub async fn update_catalog(&self, actor: &Actor, name: &str, description: &str) -> Result<Catalog> {
        let name = Name::parse(NameKind::Catalog, name)?;
        self.authorize(actor, Operation::UpdateCatalog, Target::Catalog(&name)).await?;
        check_description(description)?;
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $rows = (UPDATE catalog SET description = $description, updated_at = time::now(), updated_by = $actor
                 WHERE name_lc = $name_lc RETURN {OBJECT_FIELDS});
             IF $rows {{ fn::audit('catalog.updated', 'catalog', $rows[0].name, 'allowed', NONE, $who) }};
             RETURN $rows;
             COMMIT TRANSACTION;"
        );
        let mut res = self
            .write(
                || {
                    self.q(&sql)
                        .bind(("name_lc", name.folded()))
                        .bind(("description", description.to_string()))
                        .bind(("actor", actor.principal.username.clone()))
                        .bind(("who", crate::services::db::who(actor)))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let rows: Vec<CatalogRow> = crate::services::db::returned(&mut res)?;
        rows.into_iter().next().map(Into::into).ok_or_else(|| catalog_not_found(&name))
    }

    /// Deletes a catalog. One that holds schemas is refused unless `cascade` is set, which
    /// removes its schemas, models and versions in the same transaction.
    pub async fn delete_catalog(&self, actor: &Actor, name: &str, cascade: bool) -> Result<()> {
        let name = Name::parse(NameKind::Catalog, name)?;
        self.authorize(actor, Operation::DeleteCatalog, Target::Catalog(&name)).await?;
        let sql = format!(
            "BEGIN TRANSACTION;
            LET $cat = (SELECT VALUE id FROM catalog WHERE name_lc = $name_lc LIMIT 1)[0];
            IF !$cat {{ THROW $not_found }};
            IF !$cascade AND array::len((SELECT VALUE id FROM catalog_schema WHERE catalog = $cat LIMIT 1)) > 0 {{ THROW $not_empty }};
            LET $doomed = (SELECT VALUE id FROM registered_model WHERE catalog = $cat);
            {REFUSE_PROTECTED}
            FOR $m IN $doomed {{ {PURGE_MODEL} }};
            DELETE registered_model WHERE catalog = $cat;
            DELETE catalog_schema WHERE catalog = $cat;
            fn::audit('catalog.deleted', 'catalog', $cat.name, 'allowed', IF $cascade THEN 'with everything inside' ELSE NONE END, $who);
            DELETE $cat;
            COMMIT TRANSACTION;"
        );
        let not_found = throwable(&catalog_not_found(&name));
        let not_empty = throwable(&Error::precondition(&format!(
            "Catalog '{name}' is not empty. Delete its schemas first, or confirm deleting everything inside it."
        )));
        let protected = crate::services::governance::policies::holds_protected(&format!("Catalog '{name}'"));
        self.write(
            || {
                self.q(&sql)
                    .bind(("name_lc", name.folded()))
                    .bind(("cascade", cascade))
                    .bind(("who", crate::services::db::who(actor)))
                    .bind(("not_found", not_found.clone()))
                    .bind(("not_empty", not_empty.clone()))
                    .bind(("protected", protected.clone()))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }
}

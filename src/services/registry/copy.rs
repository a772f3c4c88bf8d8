//! Copying a version to another model (promotion across catalogs: staging → prod).

use crate::error::{Error, Result};
use crate::names::ModelPath;
use crate::services::Quiver;
use crate::services::db::{returned, throwable, who};
use crate::services::governance::Actor;
use crate::services::governance::access::Target;
use crate::services::governance::privileges::Operation;
use crate::services::registry::ModelVersion;
use crate::services::registry::lookup::{model_not_found, version_not_found};
use crate::services::registry::rows::{VERSION_FIELDS, VersionRow};

impl Quiver {
    /// Copies version `version` of `from` into model `to` as its next version: same artifacts
    /// (source), run, signature, description and tags, and a note of where it came from. With
    /// `create_target`, a missing target model is created (its catalog and schema must exist).
    /// Everything happens in one transaction.
    pub async fn copy_version(
        &self,
        actor: &Actor,
        from: &ModelPath,
        version: i64,
        to: &ModelPath,
        create_target: bool,
    ) -> Result<ModelVersion> {
        self.authorize(actor, Operation::GetVersion, Target::Model(from)).await?;
        if create_target && !actor.principal.admin && self.resolve_model(to).await.is_err() {
            // The copier creates the target model, and owns it.
            self.authorize(actor, Operation::CreateModel, Target::Schema(&to.catalog, &to.schema)).await?;
        } else {
            self.authorize(actor, Operation::CreateVersion, Target::Model(to)).await?;
        }
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $src_cat = (SELECT VALUE id FROM catalog WHERE name_lc = $fc LIMIT 1)[0];
             LET $src_sch = IF $src_cat THEN (SELECT VALUE id FROM catalog_schema WHERE catalog = $src_cat AND name_lc = $fs LIMIT 1)[0] ELSE NONE END;
             LET $src_mdl = IF $src_sch THEN (SELECT VALUE id FROM registered_model WHERE schema = $src_sch AND name_lc = $fm LIMIT 1)[0] ELSE NONE END;
             IF !$src_mdl {{ THROW $no_source_model }};
             LET $src = (SELECT * FROM model_version WHERE model = $src_mdl AND version = $version LIMIT 1)[0];
             IF !$src {{ THROW $no_source_version }};
             LET $cat = (SELECT VALUE id FROM catalog WHERE name_lc = $c LIMIT 1)[0];
             IF !$cat {{ THROW $no_catalog }};
             LET $sch = (SELECT VALUE id FROM catalog_schema WHERE catalog = $cat AND name_lc = $s LIMIT 1)[0];
             IF !$sch {{ THROW $no_schema }};
             LET $found = (SELECT VALUE id FROM registered_model WHERE schema = $sch AND name_lc = $m LIMIT 1)[0];
             IF !$found AND !$create {{ THROW $no_model }};
             LET $full = $cat.name + '.' + $sch.name + '.' + $name;
             LET $mdl = IF $found THEN $found ELSE (CREATE ONLY registered_model SET catalog = $cat, schema = $sch,
                 name = $name, name_lc = $m, full_name = $full, full_name_lc = string::lowercase($full),
                 description = '', owner = $who.by, last_version = 0,
                 created_at = time::now(), created_by = $who.by, updated_at = time::now(), updated_by = $who.by
                 RETURN VALUE id) END;
             IF !$found {{ fn::activity($mdl, NONE, 'registered_model.created', $name, NONE, NONE, $who) }};
             LET $v = (UPDATE ONLY $mdl SET last_version += 1, updated_at = time::now(), updated_by = $who.by
                 RETURN VALUE last_version);
             LET $id = (CREATE ONLY model_version SET model = $mdl, version = $v, source = $src.source,
                 run_id = $src.run_id, run_link = $src.run_link, description = $src.description, status = $src.status,
                 signature_inputs = $src.signature_inputs, signature_outputs = $src.signature_outputs,
                 model_id = $src.model_id, copied_from = $copied_from, tags = $src.tags, full_name = $mdl.full_name,
                 full_name_lc = $mdl.full_name_lc, version_desc = 0 - $v, created_at = time::now(),
                 created_by = $who.by, updated_at = time::now(), updated_by = $who.by,
                 files_root = $src.files_root, digest = $src.digest, file_count = $src.file_count,
                 total_size = $src.total_size RETURN VALUE id);
             FOR $t IN (SELECT key, value FROM version_tag WHERE version = $src.id) {{
                 CREATE version_tag SET model = $mdl, version = $id, key = $t.key, value = $t.value;
             }};
             -- The copy points to the same files: it keeps their manifest and signature.
             FOR $f IN (SELECT path, size, sha256 FROM version_file WHERE version = $src.id) {{
                 CREATE version_file SET version = $id, path = $f.path, size = $f.size, sha256 = $f.sha256;
             }};
             FOR $s IN (SELECT bundle, origin FROM version_signature WHERE version = $src.id) {{
                 CREATE version_signature SET version = $id, bundle = $s.bundle, origin = $s.origin,
                     attached_at = time::now(), attached_by = $who.by;
             }};
             fn::activity($mdl, $v, 'model_version.created', $copied_from, NONE, NONE, $who);
             fn::activity($src_mdl, $version, 'model_version.copied', $to_name + ' v' + <string> $v, NONE, NONE, $who);
             RETURN (SELECT {VERSION_FIELDS} FROM ONLY $id);
             COMMIT TRANSACTION;"
        );
        let (no_catalog, no_schema) = self.missing_parents(to);
        let no_model = throwable(&Error::not_found(format!(
            "Model '{to}' does not exist. Create it first, or ask for it to be created with the copy."
        )));
        let copied_from = format!("copied from {from} v{version}");
        let mut res = self
            .write(
                || {
                    self.path_query(&sql, to)
                        .bind(("fc", from.catalog.folded()))
                        .bind(("fs", from.schema.folded()))
                        .bind(("fm", from.model.folded()))
                        .bind(("version", version))
                        .bind(("name", to.model.as_str().to_string()))
                        .bind(("to_name", to.to_string()))
                        .bind(("create", create_target))
                        .bind(("copied_from", copied_from.clone()))
                        .bind(("who", who(actor)))
                        .bind(("no_source_model", throwable(&model_not_found(from))))
                        .bind(("no_source_version", throwable(&version_not_found(from, version))))
                        .bind(("no_catalog", no_catalog.clone()))
                        .bind(("no_schema", no_schema.clone()))
                        .bind(("no_model", no_model.clone()))
                },
                // A concurrent copy created the target model first: report it plainly.
                |_| Error::already_exists("name", format!("Model '{to}' was created meanwhile; copy again.")),
            )
            .await?;
        let row: Option<VersionRow> = returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("copy returned nothing"))?.into())
    }
}

use crate::error::{Error, Result};
use crate::names::ModelPath;
use crate::services::db::{returned, throwable, who};
use crate::services::governance::Actor;
use crate::services::governance::access::Target;
use crate::services::governance::privileges::Operation;
use crate::services::paging::{Page, PageRequest};
use crate::services::registry::lookup::{FOUND_MODEL, RESOLVE, model_not_found, version_not_found};
use crate::services::registry::rows::{VERSION_FIELDS, VersionRow};
use crate::services::registry::version_queue::Registration;
use crate::services::registry::{ModelVersion, Signature, Tag, VersionStatus, check_description};
use crate::services::storage::manifest::RegisteredFiles;
use crate::services::{Quiver, paging};

/// What it takes to register a version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewVersion {
    /// Where the artifacts are (a URI such as `runs:/…`, `models:/m-…`, `s3://…`).
    pub source: String,
    pub run_id: Option<String>,
    pub run_link: Option<String>,
    pub description: String,
    /// MLflow's JSON column/tensor specs.
    pub signature_inputs: Option<String>,
    pub signature_outputs: Option<String>,
    /// READY when omitted.
    pub status: Option<VersionStatus>,
    /// The MLflow logged model (`m-…`) the version comes from.
    pub model_id: Option<String>,
    pub tags: Vec<Tag>,
}

const MAX_SOURCE_LEN: usize = 4096;
const MAX_SIGNATURE_LEN: usize = 1_000_000;

impl NewVersion {
    fn validate(&self) -> Result<()> {
        let source = self.source.trim();
        if source.is_empty() {
            return Err(Error::invalid("source", "The source is required: the URI of the version's artifacts."));
        }
        if source.len() > MAX_SOURCE_LEN {
            return Err(Error::invalid("source", format!("The source must be at most {MAX_SOURCE_LEN} characters.")));
        }
        if source.chars().any(char::is_control) {
            return Err(Error::invalid("source", "The source must not contain control characters."));
        }
        if let Some(run_id) = &self.run_id {
            if run_id.len() > 256 || !run_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(Error::invalid("run_id", "A run id has at most 256 letters, digits, '-' or '_'."));
            }
        }
        if let Some(link) = &self.run_link {
            let lower = link.to_ascii_lowercase();
            if !(lower.starts_with("https://") || lower.starts_with("http://")) || link.len() > MAX_SOURCE_LEN {
                return Err(Error::invalid("run_link", "The run link must be an http:// or https:// URL."));
            }
        }
        check_description(&self.description)?;
        for t in &self.tags {
            crate::names::check_tag(&t.key, &t.value)?;
        }
        if let Some(id) = &self.model_id {
            if id.len() > 256 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(Error::invalid("model_id", "A model id has at most 256 letters, digits, '-' or '_'."));
            }
        }
        for (field, json) in
            [("signature_inputs", &self.signature_inputs), ("signature_outputs", &self.signature_outputs)]
        {
            if let Some(json) = json {
                if json.len() > MAX_SIGNATURE_LEN {
                    return Err(Error::invalid(field, "The signature is too large."));
                }
                Signature::fields(json)
                    .map_err(|e| Error::invalid(field, format!("The signature is invalid: {e}.")))?;
            }
        }
        Ok(())
    }
}

impl Quiver {
    /// Registers a new version with the next number of the model. Concurrent registrations on
    /// one model get distinct, gap-free numbers: the model's counter is incremented in the same
    /// transaction, and a conflicting transaction is retried. Concurrent registrations share
    /// transactions (see `version_batch`); each still succeeds or fails on its own.
    pub async fn create_version(&self, actor: &Actor, path: &ModelPath, new: NewVersion) -> Result<ModelVersion> {
        let mut new = new;
        // The digest tag is computed, never taken: a client copying a version's tags sends it back.
        new.tags.retain(|t| !t.key.eq_ignore_ascii_case(crate::names::DIGEST_TAG));
        new.validate()?;
        self.authorize(actor, Operation::CreateVersion, Target::Model(path)).await?;
        // The source is checked in the form it is stored and read in.
        new.source = new.source.trim().to_string();
        self.require_source_readable(actor, new.model_id.as_deref(), new.run_id.as_deref(), &new.source).await?;
        if new.signature_inputs.is_none() && new.signature_outputs.is_none() {
            if let Some((inputs, outputs)) = self.logged_signature(actor, new.model_id.as_deref(), &new.source).await {
                (new.signature_inputs, new.signature_outputs) = (inputs, outputs);
            }
        }
        let status = new.status.unwrap_or(VersionStatus::Ready);
        // What the version's files are, recorded as it becomes READY.
        let files = match status {
            VersionStatus::Ready => self.registration_files(actor, new.model_id.as_deref(), &new.source).await?,
            _ => RegisteredFiles::default(),
        };
        // Registered through the queue that lets concurrent registrations share a transaction.
        let name = crate::services::registry::lookup::path_key(path);
        let registration = Registration {
            mid: self.known_model_id(&name),
            name,
            source: new.source,
            run_id: new.run_id,
            run_link: new.run_link,
            description: new.description,
            status: status.as_str().to_string(),
            sig_in: new.signature_inputs,
            sig_out: new.signature_outputs,
            model_id: new.model_id,
            tags: crate::services::registry::models::dedup_tags(&new.tags)
                .into_iter()
                .map(|t| serde_json::json!({ "key": t.key, "value": t.value }))
                .collect(),
            files_root: files.root,
            digest: files.digest,
            files: files.files,
            signature: files.signature,
            actor: actor.principal.username.clone(),
            who: who(actor),
        };
        Ok(self.register_version(path, registration).await?.row.into())
    }

    pub async fn get_version(&self, actor: &Actor, path: &ModelPath, version: i64) -> Result<ModelVersion> {
        self.authorize(actor, Operation::GetVersion, Target::Model(path)).await?;
        self.cached(
            crate::services::cache::Class::Content,
            format!("version|{}|{version}", crate::services::registry::lookup::path_key(path)),
            || async {
                let sql = format!(
                    "{RESOLVE}
                     RETURN {{
                         found: {FOUND_MODEL},
                         value: (SELECT {VERSION_FIELDS} FROM model_version WHERE model = $mdl AND version = $version LIMIT 1)[0],
                     }};"
                );
                let row: Option<VersionRow> =
                    self.located(self.path_query(&sql, path).bind(("version", version)), path, true).await?;
                row.map(Into::into).ok_or_else(|| version_not_found(path, version))
            },
        )
        .await
    }

    /// Versions of a model, newest first, a page at a time.
    pub async fn list_versions(
        &self,
        actor: &Actor,
        path: &ModelPath,
        page: &PageRequest,
    ) -> Result<Page<ModelVersion>> {
        self.authorize(actor, Operation::GetModel, Target::Model(path)).await?;
        let limit = paging::limit(page)?;
        let below = paging::below_number(page)?;
        let sql = format!(
            "{RESOLVE}
             RETURN {{
                 found: {FOUND_MODEL},
                 value: (SELECT {VERSION_FIELDS} FROM model_version WHERE model = $mdl AND version_desc > $below_desc
                     ORDER BY version_desc LIMIT $limit),
             }};"
        );
        let query = self.path_query(&sql, path).bind(("below_desc", -below)).bind(("limit", limit + 1));
        let rows: Vec<VersionRow> = self.located(query, path, true).await?;
        Ok(paging::page(rows, limit, |r| paging::number_token(r.version), Into::into))
    }

    pub async fn update_version(
        &self,
        actor: &Actor,
        path: &ModelPath,
        version: i64,
        description: &str,
    ) -> Result<ModelVersion> {
        self.authorize(actor, Operation::UpdateVersion, Target::Model(path)).await?;
        check_description(description)?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             LET $id = (SELECT VALUE id FROM model_version WHERE model = $mdl AND version = $version LIMIT 1)[0];
             IF !$id {{ THROW $no_version }};
             LET $before = $id.description;
             IF $before != $description {{
                 UPDATE $id SET description = $description, updated_at = time::now(), updated_by = $actor;
                 fn::activity($mdl, $version, 'model_version.description_updated', NONE, $before, $description, $who);
             }};
             RETURN (SELECT {VERSION_FIELDS} FROM ONLY $id);
             COMMIT TRANSACTION;"
        );
        let no_model = throwable(&model_not_found(path));
        let no_version = throwable(&version_not_found(path, version));
        let mut res = self
            .write_content(
                || {
                    self.path_query(&sql, path)
                        .bind(("version", version))
                        .bind(("description", description.to_string()))
                        .bind(("actor", actor.principal.username.clone()))
                        .bind(("who", who(actor)))
                        .bind(("no_model", no_model.clone()))
                        .bind(("no_version", no_version.clone()))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let row: Option<VersionRow> = returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("UPDATE returned nothing"))?.into())
    }

    /// Deletes one version with its tags and comments. Aliases naming it are removed, and each
    /// removal is recorded in the alias history. Its number is not reused.
    pub async fn delete_version(&self, actor: &Actor, path: &ModelPath, version: i64) -> Result<()> {
        self.authorize(actor, Operation::DeleteVersion, Target::Model(path)).await?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             LET $id = (SELECT VALUE id FROM model_version WHERE model = $mdl AND version = $version LIMIT 1)[0];
             IF !$id {{ THROW $no_version }};
             LET $guarded = (SELECT VALUE alias FROM model_alias WHERE model = $mdl AND version = $version)
                 [WHERE fn::alias_policy($mdl, string::lowercase($this)) != NONE];
             IF $guarded {{ THROW $protected + array::join($guarded.map(|$a| '@' + $a), ', ') + '.' }};
             fn::stale_requests((SELECT * FROM approval_request WHERE model = $mdl AND version = $version
                 AND state = 'pending'), 'Version ' + <string> $version + ' was deleted.', $who);
             FOR $a IN (SELECT alias FROM model_alias WHERE model = $mdl AND version = $version) {{
                 fn::alias_event($mdl, $a.alias, $version, NONE, $reason, $who);
                 fn::activity($mdl, $version, 'model_version_alias.deleted', $a.alias, <string> $version, NONE, $who);
             }};
             DELETE model_alias WHERE model = $mdl AND version = $version;
             fn::sync_aliases($mdl, []);
             DELETE version_tag WHERE version = $id;
             DELETE version_file WHERE version = $id;
             DELETE version_signature WHERE version = $id;
             DELETE version_check WHERE version = $id;
             DELETE comment WHERE model = $mdl AND version = $version;
             DELETE $id;
             fn::activity($mdl, $version, 'model_version.deleted', NONE, NONE, NONE, $who);
             COMMIT TRANSACTION;"
        );
        let no_model = throwable(&model_not_found(path));
        let no_version = throwable(&version_not_found(path, version));
        let reason = format!("version {version} was deleted");
        let protected = throwable(&Error::permission_denied(&format!(
            "Version {version} of {path} holds protected aliases, which change only through approved requests: "
        )));
        self.write_content(
            || {
                self.path_query(&sql, path)
                    .bind(("version", version))
                    .bind(("reason", reason.clone()))
                    .bind(("protected", protected.clone()))
                    .bind(("who", who(actor)))
                    .bind(("no_model", no_model.clone()))
                    .bind(("no_version", no_version.clone()))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::error::ErrorKind;
    use crate::names::ModelPath;
    use crate::services::Quiver;
    use crate::services::paging::PageRequest;
    use crate::services::registry::NewVersion;
    use crate::test_support::{actor, registry};

    fn path(s: &str) -> ModelPath {
        ModelPath::parse_full(s).unwrap()
    }

    fn version(source: &str) -> NewVersion {
        NewVersion { source: source.into(), ..Default::default() }
    }

    async fn seed(q: &Quiver) {
        let a = actor("alice");
        q.create_catalog(&a, "prod", "Production models").await.unwrap();
        q.create_schema(&a, "prod", "ml_team", "").await.unwrap();
        q.create_model(&a, "prod", "ml_team", "fraud", "Detects fraud").await.unwrap();
    }

    #[tokio::test]
    async fn a_failed_transaction_leaves_nothing_behind() {
        // Without the read cache: every read below asks the store.
        let q = registry().await.handle_with(crate::ServiceConfig::default());
        let db = q.store().clone();
        seed(&q).await;
        let a = actor("alice");
        // Plant a row that holds version 1, as if written behind Quiver's back. Registering a version
        // bumps the model's counter to 1 and then collides on the unique (model, version) index: the
        // whole transaction must roll back, counter included.
        db.query(
            "CREATE model_version SET model = (SELECT VALUE id FROM registered_model)[0], version = 1,
                  source = 'planted', description = '', status = 'READY', created_at = time::now(),
                  created_by = 'x', updated_at = time::now(), updated_by = 'x'",
        )
        .await
        .unwrap()
        .check()
        .unwrap();
        let e = q.create_version(&a, &path("prod.ml_team.fraud"), version("s3://x")).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Internal);
        let model = q.get_model(&a, &path("prod.ml_team.fraud")).await.unwrap();
        assert_eq!(model.latest_version, 0, "the counter increment was rolled back");
        assert_eq!(model.updated.by, "alice", "the model row was not touched");
        let versions = q.list_versions(&a, &path("prod.ml_team.fraud"), &PageRequest::default()).await.unwrap();
        assert_eq!(versions.items.iter().map(|v| v.source.as_str()).collect::<Vec<_>>(), ["planted"]);

        // A THROW halfway through a cascade delete leaves every record in place.
        let e = q.delete_catalog(&a, "prod", false).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::FailedPrecondition);
        assert_eq!(q.get_model(&a, &path("prod.ml_team.fraud")).await.unwrap().id, model.id);
    }
}

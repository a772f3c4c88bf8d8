//! Rows as SurrealDB returns them, and their conversion into the shared types.

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use crate::services::registry::{
    Activity, AliasEvent, AliasRef, Catalog, Comment, ModelVersion, RegisteredModel, Schema, Signature, Stamp, Tag,
    VersionStatus,
};
use crate::store::key_of;

/// The projection shared by catalog, schema and model queries.
pub const OBJECT_FIELDS: &str = "id, name, name_lc, description, owner, created_at, created_by, updated_at, updated_by";

#[derive(Debug, Clone, SurrealValue)]
pub struct CatalogRow {
    pub id: RecordId,
    pub name: String,
    pub name_lc: String,
    pub description: String,
    pub owner: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl From<CatalogRow> for Catalog {
    fn from(r: CatalogRow) -> Self {
        Catalog {
            id: key_of(&r.id),
            name: r.name,
            description: r.description,
            owner: r.owner,
            created: Stamp { at: r.created_at, by: r.created_by },
            updated: Stamp { at: r.updated_at, by: r.updated_by },
        }
    }
}

/// `SELECT` projection for schemas.
pub const SCHEMA_FIELDS: &str = "id, name, name_lc, description, owner, created_at, created_by, updated_at, updated_by, catalog.name AS catalog_name";

#[derive(Debug, Clone, SurrealValue)]
pub struct SchemaRow {
    pub id: RecordId,
    pub catalog_name: String,
    pub name: String,
    pub name_lc: String,
    pub description: String,
    pub owner: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl From<SchemaRow> for Schema {
    fn from(r: SchemaRow) -> Self {
        Schema {
            id: key_of(&r.id),
            catalog_name: r.catalog_name,
            name: r.name,
            description: r.description,
            owner: r.owner,
            created: Stamp { at: r.created_at, by: r.created_by },
            updated: Stamp { at: r.updated_at, by: r.updated_by },
        }
    }
}

/// `SELECT` projection for registered models: one record (aliases and tags are copied onto it).
pub const MODEL_FIELDS: &str = "id, name, name_lc, full_name, description, owner, last_version, created_at, created_by, \
     updated_at, updated_by, aliases, tags";

#[derive(Debug, Clone, SurrealValue)]
pub struct ModelRow {
    pub id: RecordId,
    /// `catalog.schema.model`; names contain no dots, so it splits back into its parts.
    pub full_name: String,
    pub name: String,
    pub name_lc: String,
    pub description: String,
    pub owner: String,
    pub last_version: i64,
    pub aliases: Vec<AliasRow>,
    pub tags: Vec<TagRow>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl From<ModelRow> for RegisteredModel {
    fn from(r: ModelRow) -> Self {
        let (catalog_name, schema_name, _) = split_full_name(&r.full_name);
        RegisteredModel {
            id: key_of(&r.id),
            catalog_name,
            schema_name,
            name: r.name,
            description: r.description,
            owner: r.owner,
            latest_version: r.last_version,
            aliases: sorted_aliases(r.aliases),
            tags: sorted_tags(r.tags),
            created: Stamp { at: r.created_at, by: r.created_by },
            updated: Stamp { at: r.updated_at, by: r.updated_by },
        }
    }
}

/// The catalog, schema and model names of a `catalog.schema.model` full name.
fn split_full_name(full: &str) -> (String, String, String) {
    let mut parts = full.splitn(3, '.').map(str::to_string);
    let mut next = || parts.next().unwrap_or_default();
    (next(), next(), next())
}

fn sorted_aliases(rows: Vec<AliasRow>) -> Vec<AliasRef> {
    let mut out: Vec<AliasRef> = rows.into_iter().map(|a| AliasRef { alias: a.alias, version: a.version }).collect();
    out.sort_by_key(|a| a.alias.to_ascii_lowercase());
    out
}

pub(crate) fn sorted_tags(rows: Vec<TagRow>) -> Vec<Tag> {
    let mut out: Vec<Tag> = rows.into_iter().map(Into::into).collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// `SELECT` projection for model versions: one record (aliases, tags and the model's full name
/// are copied onto it).
pub const VERSION_FIELDS: &str = "id, version, source, run_id, run_link, description, status, signature_inputs, \
     signature_outputs, created_at, created_by, updated_at, updated_by, full_name, copied_from, current_stage, \
     model_id, aliases, tags, digest";

#[derive(Debug, Clone, SurrealValue)]
pub struct VersionRow {
    pub id: RecordId,
    pub full_name: String,
    pub version: i64,
    pub source: String,
    pub run_id: Option<String>,
    pub run_link: Option<String>,
    pub description: String,
    pub status: String,
    pub signature_inputs: Option<String>,
    pub signature_outputs: Option<String>,
    pub copied_from: Option<String>,
    pub current_stage: String,
    pub model_id: Option<String>,
    pub aliases: Vec<String>,
    pub tags: Vec<TagRow>,
    pub digest: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl From<VersionRow> for ModelVersion {
    fn from(r: VersionRow) -> Self {
        let signature = match (r.signature_inputs, r.signature_outputs) {
            (None, None) => None,
            (i, o) => {
                Some(Signature { inputs: i.unwrap_or_else(|| "[]".into()), outputs: o.unwrap_or_else(|| "[]".into()) })
            }
        };
        let (catalog_name, schema_name, model_name) = split_full_name(&r.full_name);
        ModelVersion {
            id: key_of(&r.id),
            catalog_name,
            schema_name,
            model_name,
            version: r.version,
            source: r.source,
            run_id: r.run_id,
            run_link: r.run_link,
            description: r.description,
            // The schema asserts the three values; anything else would be a bug in Quiver.
            status: VersionStatus::parse(&r.status).unwrap_or(VersionStatus::FailedRegistration),
            signature,
            aliases: {
                let mut a = r.aliases;
                a.sort_by_key(|x| x.to_ascii_lowercase());
                a
            },
            tags: sorted_tags(r.tags),
            copied_from: r.copied_from,
            stage: r.current_stage,
            model_id: r.model_id,
            digest: r.digest,
            created: Stamp { at: r.created_at, by: r.created_by },
            updated: Stamp { at: r.updated_at, by: r.updated_by },
        }
    }
}

#[derive(Debug, Clone, SurrealValue)]
pub struct AliasRow {
    pub alias: String,
    pub version: i64,
}

#[derive(Debug, Clone, SurrealValue)]
pub struct TagRow {
    pub key: String,
    pub value: String,
}

impl From<TagRow> for Tag {
    fn from(r: TagRow) -> Self {
        Tag { key: r.key, value: r.value }
    }
}

/// `SELECT` projection for alias history.
pub const ALIAS_EVENT_FIELDS: &str =
    "id, alias, alias_lc, from_version, to_version, reason, at, at_desc, by, source, request_id, approval";

#[derive(Debug, Clone, SurrealValue)]
pub struct AliasEventRow {
    pub id: RecordId,
    pub alias: String,
    pub alias_lc: String,
    pub from_version: Option<i64>,
    pub to_version: Option<i64>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
    pub at_desc: i64,
    pub by: String,
    pub source: String,
    pub request_id: String,
    pub approval: Option<RecordId>,
}

impl From<AliasEventRow> for AliasEvent {
    fn from(r: AliasEventRow) -> Self {
        AliasEvent {
            id: key_of(&r.id),
            alias: r.alias,
            from_version: r.from_version,
            to_version: r.to_version,
            reason: r.reason,
            at: r.at,
            by: r.by,
            source: r.source,
            request_id: r.request_id,
            approval: r.approval.as_ref().map(key_of),
        }
    }
}

/// An activity entry is the audit entry of a change to a model (its detail is the subject).
pub const ACTIVITY_FIELDS: &str =
    "id, version, action, detail AS subject, before, after, at, at_desc, principal AS by, source, request_id";

#[derive(Debug, Clone, SurrealValue)]
pub struct ActivityRow {
    pub id: RecordId,
    pub version: Option<i64>,
    pub action: String,
    pub subject: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub at: DateTime<Utc>,
    pub at_desc: i64,
    pub by: String,
    pub source: String,
    pub request_id: String,
}

impl From<ActivityRow> for Activity {
    fn from(r: ActivityRow) -> Self {
        Activity {
            id: key_of(&r.id),
            version: r.version,
            action: r.action,
            subject: r.subject,
            before: r.before,
            after: r.after,
            at: r.at,
            by: r.by,
            source: r.source,
            request_id: r.request_id,
        }
    }
}

pub const COMMENT_FIELDS: &str = "id, version, author, body, created_at, edited_at";

#[derive(Debug, Clone, SurrealValue)]
pub struct CommentRow {
    pub id: RecordId,
    pub version: Option<i64>,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
}

impl From<CommentRow> for Comment {
    fn from(r: CommentRow) -> Self {
        Comment {
            id: key_of(&r.id),
            version: r.version,
            author: r.author,
            body_html: crate::markdown::render(&r.body),
            body: r.body,
            created_at: r.created_at,
            edited_at: r.edited_at,
        }
    }
}

impl crate::services::cache::Weigh for crate::services::registry::RegisteredModel {
    fn weight(&self) -> usize {
        crate::services::cache::encoded_len(self)
    }
}

impl crate::services::cache::Weigh for crate::services::registry::ModelVersion {
    fn weight(&self) -> usize {
        crate::services::cache::encoded_len(self)
    }
}

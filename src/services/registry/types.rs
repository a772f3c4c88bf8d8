//! Catalogs, schemas, models, versions and what hangs off them, as the services return them.
//! Shared with the browser (WASM) build, so plain serde only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who changed something and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stamp {
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Catalog {
    pub id: String,
    pub name: String,
    pub description: String,
    pub owner: String,
    pub created: Stamp,
    pub updated: Stamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub id: String,
    pub catalog_name: String,
    pub name: String,
    pub description: String,
    pub owner: String,
    pub created: Stamp,
    pub updated: Stamp,
}

impl Schema {
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.catalog_name, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisteredModel {
    pub id: String,
    pub catalog_name: String,
    pub schema_name: String,
    pub name: String,
    pub description: String,
    pub owner: String,
    /// Highest version number ever allocated (0 when none); numbers are never reused.
    pub latest_version: i64,
    /// Aliases sorted by name, each with the version it names.
    pub aliases: Vec<AliasRef>,
    pub tags: Vec<Tag>,
    pub created: Stamp,
    pub updated: Stamp,
}

impl RegisteredModel {
    pub fn full_name(&self) -> String {
        format!("{}.{}.{}", self.catalog_name, self.schema_name, self.name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VersionStatus {
    PendingRegistration,
    Ready,
    FailedRegistration,
}

impl VersionStatus {
    pub const ALL: [VersionStatus; 3] =
        [VersionStatus::PendingRegistration, VersionStatus::Ready, VersionStatus::FailedRegistration];

    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::PendingRegistration => "PENDING_REGISTRATION",
            VersionStatus::Ready => "READY",
            VersionStatus::FailedRegistration => "FAILED_REGISTRATION",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Words for people: "Ready", "Pending registration", ...
    pub fn label(self) -> &'static str {
        match self {
            VersionStatus::PendingRegistration => "Pending registration",
            VersionStatus::Ready => "Ready",
            VersionStatus::FailedRegistration => "Failed registration",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersion {
    pub id: String,
    pub catalog_name: String,
    pub schema_name: String,
    pub model_name: String,
    pub version: i64,
    pub source: String,
    pub run_id: Option<String>,
    pub run_link: Option<String>,
    pub description: String,
    pub status: VersionStatus,
    /// The model signature: MLflow's JSON column/tensor specs for inputs and outputs.
    pub signature: Option<Signature>,
    /// Aliases naming this version.
    pub aliases: Vec<String>,
    pub tags: Vec<Tag>,
    /// Set on a copy: the version it was copied from ("staging.ml_team.fraud v3").
    pub copied_from: Option<String>,
    /// MLflow's legacy stage: None, Staging, Production or Archived.
    pub stage: String,
    /// The MLflow logged model (`m-…`) the version was registered from.
    pub model_id: Option<String>,
    /// The root digest of its files as registered (OpenSSF model-signing's, hex SHA-256), when
    /// Quiver stores them.
    pub digest: Option<String>,
    pub created: Stamp,
    pub updated: Stamp,
}

impl ModelVersion {
    pub fn model_full_name(&self) -> String {
        format!("{}.{}.{}", self.catalog_name, self.schema_name, self.model_name)
    }
}

/// A model signature as MLflow writes it: two JSON arrays of column or tensor specs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub inputs: String,
    pub outputs: String,
}

/// One row of a signature table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureField {
    pub name: String,
    pub kind: String,
    pub required: bool,
}

impl Signature {
    /// Parses one side (inputs or outputs) into table rows. Column specs look like
    /// `{"name": "x", "type": "double", "required": true}`; tensor specs like
    /// `{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}`.
    pub fn fields(json: &str) -> Result<Vec<SignatureField>, String> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("not valid JSON: {e}"))?;
        let items = value.as_array().ok_or_else(|| "expected a JSON array of column specs".to_string())?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let obj = item.as_object().ok_or_else(|| format!("entry {} is not an object", i + 1))?;
                let ty = obj.get("type").and_then(|t| t.as_str()).unwrap_or("");
                let kind = if ty == "tensor" {
                    let spec = obj.get("tensor-spec");
                    let dtype = spec.and_then(|s| s.get("dtype")).and_then(|d| d.as_str()).unwrap_or("?");
                    let shape = spec.and_then(|s| s.get("shape")).map(|s| s.to_string()).unwrap_or_default();
                    format!("tensor {dtype} {shape}")
                } else if ty.is_empty() {
                    return Err(format!("entry {} has no \"type\"", i + 1));
                } else {
                    ty.to_string()
                };
                Ok(SignatureField {
                    name: obj.get("name").and_then(|n| n.as_str()).unwrap_or("").to_string(),
                    kind,
                    required: obj.get("required").and_then(|r| r.as_bool()).unwrap_or(true),
                })
            })
            .collect()
    }
}

/// What a schema's model list keeps: names containing `name` (case-insensitive) and models
/// tagged `tag_key` (with `tag_value`, when given).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelFilter {
    pub name: Option<String>,
    pub tag_key: Option<String>,
    pub tag_value: Option<String>,
}

/// An alias and the version it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasRef {
    pub alias: String,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// One move of an alias: set (`from` none), moved, or removed (`to` none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AliasEvent {
    pub id: String,
    pub alias: String,
    pub from_version: Option<i64>,
    pub to_version: Option<i64>,
    /// Why it moved when Quiver moved it (e.g. "version 3 was deleted").
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
    pub by: String,
    pub source: String,
    pub request_id: String,
    /// The approval request that moved it, when one did.
    #[serde(default)]
    pub approval: Option<String>,
}

/// The aliases of a model as they were at a point in time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AliasesAt {
    pub at: DateTime<Utc>,
    pub aliases: Vec<AliasRef>,
}

/// A markdown comment on a model or one of its versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub id: String,
    pub version: Option<i64>,
    pub author: String,
    /// The markdown as written.
    pub body: String,
    /// The markdown rendered and sanitized on the server.
    pub body_html: String,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
}

/// One change to a model or a version, as the Activity tabs show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub id: String,
    /// The version concerned, if any.
    pub version: Option<i64>,
    /// What happened, in the `entity.action` style of MLflow's webhooks: `model_version_alias.moved`.
    pub action: String,
    /// What the change was about: an alias, a tag key, a comment, a name.
    pub subject: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub at: DateTime<Utc>,
    pub by: String,
    pub source: String,
    pub request_id: String,
}

impl Activity {
    /// A sentence for people: "moved alias Champion from v1 to v2".
    pub fn summary(&self) -> String {
        let subject = self.subject.as_deref().unwrap_or("");
        let v = |s: &Option<String>| s.clone().unwrap_or_default();
        match self.action.as_str() {
            "registered_model.created" => "created the model".into(),
            "registered_model.renamed" => format!("renamed the model from {} to {}", v(&self.before), v(&self.after)),
            "registered_model.description_updated" => "updated the model's description".into(),
            "registered_model_tag.set" => format!("set tag {subject} = {}", v(&self.after)),
            "registered_model_tag.deleted" => format!("removed tag {subject}"),
            "model_version.created" => match &self.subject {
                Some(from) => format!("created version {} ({from})", self.version.unwrap_or_default()),
                None => format!("created version {}", self.version.unwrap_or_default()),
            },
            "model_version.copied" => format!("copied version {} to {subject}", self.version.unwrap_or_default()),
            "model_version.deleted" => format!("deleted version {}", self.version.unwrap_or_default()),
            "model_version.description_updated" => {
                format!("updated the description of version {}", self.version.unwrap_or_default())
            }
            "model_version_tag.set" => {
                format!("set tag {subject} = {} on version {}", v(&self.after), self.version.unwrap_or_default())
            }
            "model_version_tag.deleted" => {
                format!("removed tag {subject} from version {}", self.version.unwrap_or_default())
            }
            "model_version_alias.created" => format!("set alias {subject} to v{}", v(&self.after)),
            "model_version_alias.moved" => {
                format!("moved alias {subject} from v{} to v{}", v(&self.before), v(&self.after))
            }
            "model_version_alias.deleted" => format!("removed alias {subject} from v{}", v(&self.before)),
            "comment.created" => match self.version {
                Some(n) => format!("commented on version {n}"),
                None => "commented".into(),
            },
            "comment.edited" => "edited a comment".into(),
            "comment.deleted" => "deleted a comment".into(),
            "model_version.stage_transitioned" => format!(
                "moved version {} from stage {} to {}",
                self.version.unwrap_or_default(),
                v(&self.before),
                v(&self.after)
            ),
            "model_version_check.updated" => {
                let n = self.version.unwrap_or_default();
                match (self.before.as_deref(), v(&self.after)) {
                    (None, after) => {
                        format!("reported check \"{subject}\" on version {n}: {}", after.replace('_', " "))
                    }
                    (Some(b), after) => format!(
                        "reported check \"{subject}\" on version {n}: {} (was {})",
                        after.replace('_', " "),
                        b.replace('_', " ")
                    ),
                }
            }
            "model_version.signature_attached" => {
                format!("attached a signature to version {}", self.version.unwrap_or_default())
            }
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_columns_and_tensors_become_rows() {
        let cols = r#"[{"type": "double", "name": "sepal length (cm)", "required": true},
                       {"type": "string", "name": "note", "required": false}]"#;
        let rows = Signature::fields(cols).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].name, "sepal length (cm)");
        assert_eq!(rows[0].kind, "double");
        assert!(!rows[1].required);
        let tensor = r#"[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]"#;
        assert_eq!(Signature::fields(tensor).unwrap()[0].kind, "tensor int64 [-1]");
    }

    #[test]
    fn signature_errors_say_what_is_wrong() {
        assert!(Signature::fields("{").unwrap_err().contains("not valid JSON"));
        assert!(Signature::fields("{}").unwrap_err().contains("JSON array"));
        assert!(Signature::fields("[1]").unwrap_err().contains("entry 1 is not an object"));
        assert!(Signature::fields(r#"[{"name":"a"}]"#).unwrap_err().contains("no \"type\""));
    }

    #[test]
    fn status_round_trips() {
        for s in VersionStatus::ALL {
            assert_eq!(VersionStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(VersionStatus::parse("nope"), None);
    }
}

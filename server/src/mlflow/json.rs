//! Quiver's objects in MLflow's JSON shapes (protobuf JSON: snake_case, int64 as numbers,
//! version numbers as strings, timestamps in milliseconds).

use quiver::names::MlflowNames;
use quiver::services::registry::{ModelVersion, RegisteredModel, Tag};
use serde_json::{Value, json};

pub fn tags(tags: &[Tag]) -> Value {
    Value::Array(tags.iter().map(|t| json!({ "key": t.key, "value": t.value })).collect())
}

/// The name to answer with: the one the client sent, or for listings the short name of models in
/// the default schema and the full name of the others.
pub fn model_name(names: &MlflowNames, m: &RegisteredModel, sent: Option<&str>) -> String {
    match sent {
        Some(sent) => sent.to_string(),
        None if names.in_default(&m.catalog_name, &m.schema_name) => m.name.clone(),
        None => m.full_name(),
    }
}

pub fn model(m: &RegisteredModel, names: &MlflowNames, sent: Option<&str>, latest: &[ModelVersion]) -> Value {
    let name = model_name(names, m, sent);
    let mut v = json!({
        "name": name,
        "creation_timestamp": m.created.at.timestamp_millis(),
        "last_updated_timestamp": m.updated.at.timestamp_millis(),
        "user_id": m.owner,
        "description": m.description,
    });
    if !latest.is_empty() {
        v["latest_versions"] = Value::Array(latest.iter().map(|mv| version(mv, &name)).collect());
    }
    if !m.tags.is_empty() {
        v["tags"] = tags(&m.tags);
    }
    if !m.aliases.is_empty() {
        v["aliases"] = Value::Array(
            m.aliases.iter().map(|a| json!({ "alias": a.alias, "version": a.version.to_string() })).collect(),
        );
    }
    v
}

/// A model version under the model name the caller uses (`name`).
pub fn version(v: &ModelVersion, name: &str) -> Value {
    let mut out = json!({
        "name": name,
        "version": v.version.to_string(),
        "creation_timestamp": v.created.at.timestamp_millis(),
        "last_updated_timestamp": v.updated.at.timestamp_millis(),
        "user_id": v.created.by,
        "current_stage": v.stage,
        "description": v.description,
        "source": v.source,
        "status": v.status.as_str(),
        "run_link": v.run_link.clone().unwrap_or_default(),
    });
    if let Some(run_id) = &v.run_id {
        out["run_id"] = json!(run_id);
    }
    if let Some(model_id) = &v.model_id {
        out["model_id"] = json!(model_id);
    }
    // MLflow has no digest field: clients read it as a tag.
    let mut all_tags = v.tags.clone();
    if let Some(digest) = &v.digest {
        all_tags.push(Tag { key: quiver::names::DIGEST_TAG.into(), value: digest.clone() });
    }
    if !all_tags.is_empty() {
        out["tags"] = tags(&all_tags);
    }
    if !v.aliases.is_empty() {
        out["aliases"] = json!(v.aliases);
    }
    out
}

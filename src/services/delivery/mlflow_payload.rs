//! Deliveries in MLflow's format, for webhooks created through MLflow's API: the body MLflow's
//! server sends (`{entity, action, timestamp, data}`, entity and action lowercase, versions as
//! strings), so receivers written for MLflow work against Quiver unchanged.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

/// The event type as MLflow names it: an alias set again is `created` there, not `moved`.
pub fn kind(kind: &str) -> &str {
    if kind == "model_version_alias.moved" { "model_version_alias.created" } else { kind }
}

/// The body of one event. `raw` is the event's stored data (`{subject, before, after}` and, for
/// created models and versions, what they were created with).
pub fn body(kind_: &str, at: DateTime<Utc>, full_name: &str, version: Option<i64>, raw: &Value) -> String {
    let kind = kind(kind_);
    let (entity, action) = kind.split_once('.').unwrap_or((kind, ""));
    json!({
        "entity": entity,
        "action": action,
        // As MLflow writes it: microseconds and "+00:00".
        "timestamp": at.to_rfc3339_opts(SecondsFormat::Micros, false),
        "data": data(kind, full_name, version, raw),
    })
    .to_string()
}

/// What "test" sends, as MLflow does: an example of the webhook's first event.
pub fn example(events: &[String]) -> String {
    let first = events.iter().find(|e| *e != "*").map_or("registered_model.created", String::as_str);
    let raw = json!({
        "subject": if first.starts_with("model_version_alias") { "example_alias" } else { "example_key" },
        "after": "example_value",
        "source": "models:/m-example",
        "tags": [],
    });
    body(first, Utc::now(), "example_model", Some(1), &raw)
}

fn data(kind: &str, name: &str, version: Option<i64>, raw: &Value) -> Value {
    let field = |k: &str| raw.get(k).cloned().unwrap_or(Value::Null);
    let version = version.map_or(Value::Null, |v| Value::String(v.to_string()));
    let description = match field("description") {
        Value::String(d) if !d.is_empty() => Value::String(d),
        _ => Value::Null,
    };
    match kind {
        "registered_model.created" => json!({ "name": name, "tags": tags(&field("tags")), "description": description }),
        "model_version.created" => json!({
            "name": name, "version": version, "source": field("source"), "run_id": field("run_id"),
            "tags": tags(&field("tags")), "description": description,
        }),
        "registered_model_tag.set" => json!({ "name": name, "key": field("subject"), "value": field("after") }),
        "registered_model_tag.deleted" => json!({ "name": name, "key": field("subject") }),
        "model_version_tag.set" => {
            json!({ "name": name, "version": version, "key": field("subject"), "value": field("after") })
        }
        "model_version_tag.deleted" => json!({ "name": name, "version": version, "key": field("subject") }),
        "model_version_alias.created" => json!({ "name": name, "alias": field("subject"), "version": version }),
        "model_version_alias.deleted" => json!({ "name": name, "alias": field("subject") }),
        // Quiver's own events (renames, deletions, approvals…): the name and version, and what
        // the event carries.
        _ => {
            let mut out = Map::new();
            out.insert("name".into(), json!(name));
            if !version.is_null() {
                out.insert("version".into(), version);
            }
            if let Value::Object(extra) = raw {
                for (k, v) in extra {
                    out.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            Value::Object(out)
        }
    }
}

/// `[{key, value}]` → `{key: value}`.
fn tags(list: &Value) -> Value {
    let map: Map<String, Value> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| Some((t.get("key")?.as_str()?.to_string(), t.get("value").cloned().unwrap_or(Value::Null))))
        .collect();
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_event_reads_as_mlflow_sends_it() {
        let at = DateTime::parse_from_rfc3339("2026-11-24T05:00:50.356728Z").unwrap().with_timezone(&Utc);
        let raw = json!({ "source": "models:/m-1", "run_id": "r1", "description": "",
            "tags": [{ "key": "team", "value": "fraud" }] });
        let body: Value =
            serde_json::from_str(&body("model_version.created", at, "prod.ml.fraud", Some(3), &raw)).unwrap();
        assert_eq!(
            body,
            json!({ "entity": "model_version", "action": "created", "timestamp": "2026-11-24T05:00:50.356728+00:00",
                "data": { "name": "prod.ml.fraud", "version": "3", "source": "models:/m-1", "run_id": "r1",
                    "tags": { "team": "fraud" }, "description": null } })
        );
    }

    #[test]
    fn a_moved_alias_is_created_again() {
        let raw = json!({ "subject": "Champion", "before": "1", "after": "2" });
        let body: Value =
            serde_json::from_str(&body("model_version_alias.moved", Utc::now(), "prod.ml.fraud", Some(2), &raw))
                .unwrap();
        assert_eq!((body["entity"].as_str(), body["action"].as_str()), (Some("model_version_alias"), Some("created")));
        assert_eq!(body["data"], json!({ "name": "prod.ml.fraud", "alias": "Champion", "version": "2" }));
    }
}

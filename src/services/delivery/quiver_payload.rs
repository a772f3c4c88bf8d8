//! Deliveries in Quiver's own format, for webhooks created in Quiver (the UI or its REST API):
//! `{id, type, timestamp, actor, object, data}`, signed per Standard Webhooks.

use chrono::Utc;
use serde_json::{Value, json};

use crate::services::delivery::events::EventRow;
use crate::services::delivery::{TEST_EVENT, Webhook};
use crate::services::governance::Actor;
use crate::store::key_of;

/// What "send test event" sends a webhook in Quiver's format.
pub(crate) fn test_body(webhook: &Webhook, event_id: &str, actor: &Actor) -> String {
    json!({
        "id": event_id,
        "type": TEST_EVENT,
        "timestamp": Utc::now(),
        "actor": actor.principal.username,
        "object": { "type": webhook.scope.kind, "full_name": webhook.scope.full_name, "version": null },
        "data": { "message": "A test event from Quiver: the webhook works.", "webhook_id": webhook.id },
    })
    .to_string()
}

/// The JSON a webhook in Quiver's format receives for an event: `{id, type, timestamp, actor,
/// object, data}`.
pub(crate) fn body(e: &EventRow) -> String {
    json!({
        "id": key_of(&e.id),
        "type": e.kind,
        "timestamp": e.at,
        "actor": e.actor,
        "object": { "type": e.securable_type, "full_name": e.full_name, "version": e.version },
        "data": data(&e.kind, &e.data),
    })
    .to_string()
}

/// Named fields for the activity-based events (stored as `{subject, before, after}`); events
/// with their own data pass it through.
fn data(kind: &str, raw: &Value) -> Value {
    let s = |k: &str| raw.get(k).cloned().unwrap_or(Value::Null);
    let n = |k: &str| {
        raw.get(k).and_then(Value::as_str).and_then(|v| v.parse::<i64>().ok()).map_or(Value::Null, Value::from)
    };
    match kind {
        "registered_model.created" | "registered_model.deleted" => json!({ "name": s("subject") }),
        "registered_model.renamed" => json!({ "previous_name": s("before"), "name": s("after") }),
        "model_version.created" => json!({ "copied_from": s("subject") }),
        "model_version.deleted" => json!({}),
        "model_version_alias.created" | "model_version_alias.moved" | "model_version_alias.deleted" => {
            json!({ "alias": s("subject"), "previous_version": n("before"), "version": n("after") })
        }
        "registered_model_tag.set" | "model_version_tag.set" => {
            json!({ "key": s("subject"), "value": s("after"), "previous_value": s("before") })
        }
        "registered_model_tag.deleted" | "model_version_tag.deleted" => {
            json!({ "key": s("subject"), "previous_value": s("before") })
        }
        "registered_model.description_updated" | "model_version.description_updated" => {
            json!({ "description": s("after"), "previous_description": s("before") })
        }
        "comment.created" => json!({ "comment_id": s("subject"), "body": s("after") }),
        _ => raw.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_events_carry_numbers() {
        let d = data("model_version_alias.moved", &json!({"subject": "Champion", "before": "1", "after": "2"}));
        assert_eq!(d, json!({"alias": "Champion", "previous_version": 1, "version": 2}));
    }
}

//! MLflow's webhook API (`/api/2.0/mlflow/webhooks`, MLflow 3.3+), mapped onto Quiver's
//! webhooks: the same records, delivery log and signing. MLflow names events
//! `{entity: "MODEL_VERSION", action: "CREATED"}`; Quiver's `model_version.created`. Webhooks
//! created here listen to the whole registry (administrators, as in MLflow) and keep the
//! secret the caller chose. They are delivered as MLflow delivers: its body
//! (`{entity, action, timestamp, data}`) and its `X-MLflow-*` headers, alongside the Standard
//! Webhooks `webhook-*` headers carrying the same id, timestamp and signature.

use app::AppState;
use axum::Router;
use axum::extract::Path;
use axum::routing::{get, post};
use quiver::error::Error;
use quiver::services::delivery::{EVENT_TYPES, NewWebhook, Webhook, WebhookFormat, WebhookUpdate};
use quiver::services::paging::PageRequest;
use serde_json::{Value, json};

use super::{Args, MlResult, ok};

pub fn routes() -> Router<AppState> {
    let base = "/api/2.0/mlflow/webhooks";
    Router::new()
        .route(base, post(create).get(list))
        .route(&format!("{base}/{{id}}"), get(read).patch(update).delete(remove))
        .route(&format!("{base}/{{id}}/test"), post(test))
}

/// MLflow's entities, which Quiver's event names start with.
const ENTITIES: [&str; 4] = ["registered_model", "model_version", "model_version_tag", "model_version_alias"];

/// `{entity, action}` → `model_version.created`.
fn event_name(v: &Value) -> Result<String, Error> {
    let bad = || Error::invalid("events", format!("{v} is not an event ({{\"entity\": …, \"action\": …}})."));
    let entity = v.get("entity").and_then(Value::as_str).ok_or_else(bad)?.to_ascii_lowercase();
    let action = v.get("action").and_then(Value::as_str).ok_or_else(bad)?.to_ascii_lowercase();
    let name = format!("{entity}.{action}");
    if !EVENT_TYPES.contains(&name.as_str()) {
        return Err(Error::invalid("events", format!("Invalid event: {name}.")));
    }
    Ok(name)
}

/// The events MLflow clients can read back (others are left out: the client rejects unknown ones).
fn mlflow_events(events: &[String]) -> Vec<Value> {
    let all: Vec<&str> = if events.iter().any(|e| e == "*") {
        EVENT_TYPES.to_vec()
    } else {
        events.iter().map(String::as_str).collect()
    };
    all.into_iter()
        .filter_map(|e| e.split_once('.'))
        .filter(|(entity, action)| ENTITIES.contains(entity) && matches!(*action, "created" | "deleted" | "set"))
        .map(|(entity, action)| json!({ "entity": entity.to_uppercase(), "action": action.to_uppercase() }))
        .collect()
}

fn to_mlflow(w: &Webhook) -> Value {
    let mut out = json!({
        "webhook_id": w.id,
        "name": w.name,
        "url": w.url,
        "events": mlflow_events(&w.events),
        "status": if w.active { "ACTIVE" } else { "DISABLED" },
        "creation_timestamp": w.created_at.timestamp_millis(),
        "last_updated_timestamp": w.updated_at.timestamp_millis(),
    });
    if !w.description.is_empty() {
        out["description"] = json!(w.description);
    }
    out
}

fn events_of(a: &Args) -> Result<Option<Vec<String>>, super::MlError> {
    match a.map.get("events") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(list)) if list.is_empty() => Ok(None),
        Some(Value::Array(list)) => {
            list.iter().map(event_name).collect::<Result<Vec<_>, _>>().map(Some).map_err(|e| a.err(e))
        }
        Some(_) => Err(a.err(Error::invalid("events", "'events' must be a list."))),
    }
}

fn active_of(a: &Args) -> Result<Option<bool>, super::MlError> {
    match a.opt_str("status")?.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("") => Ok(None),
        Some("ACTIVE") => Ok(Some(true)),
        Some("DISABLED") => Ok(Some(false)),
        Some(other) => Err(a.err(Error::invalid("status", format!("'{other}' is not ACTIVE or DISABLED.")))),
    }
}

async fn create(a: Args) -> MlResult {
    let new = NewWebhook {
        name: a.str("name")?,
        url: a.str("url")?,
        description: a.opt_str("description")?.unwrap_or_default(),
        events: events_of(&a)?.ok_or_else(|| a.err(Error::invalid("events", "Give at least one event.")))?,
        scope: None,
        active: active_of(&a)?,
        secret: a.opt_str("secret")?,
        format: WebhookFormat::Mlflow,
    };
    let created = a.ctx.state.quiver.create_webhook(&a.ctx.actor, &new).await?;
    ok(json!({ "webhook": to_mlflow(&created.webhook) }))
}

async fn list(a: Args) -> MlResult {
    let max = a.opt_i64("max_results")?.unwrap_or(100);
    if !(1..=1000).contains(&max) {
        return Err(a.err(Error::invalid("max_results", "max_results must be between 1 and 1000.")));
    }
    let page = PageRequest { max_results: Some(max as u32), page_token: a.opt_str("page_token")? };
    let found = a.ctx.state.quiver.list_webhooks(&a.ctx.actor, &page).await?;
    let webhooks: Vec<Value> =
        found.items.iter().filter(|w| !mlflow_events(&w.events).is_empty()).map(to_mlflow).collect();
    let mut out = json!({ "webhooks": webhooks });
    if let Some(token) = found.next_page_token {
        out["next_page_token"] = json!(token);
    }
    ok(out)
}

async fn read(Path(id): Path<String>, a: Args) -> MlResult {
    let w = a.ctx.state.quiver.get_webhook(&a.ctx.actor, &id).await?;
    ok(json!({ "webhook": to_mlflow(&w) }))
}

async fn update(Path(id): Path<String>, a: Args) -> MlResult {
    let change = WebhookUpdate {
        name: a.opt_str("name")?,
        url: a.opt_str("url")?,
        description: a.opt_str("description")?,
        events: events_of(&a)?,
        active: active_of(&a)?,
        secret: a.opt_str("secret")?,
    };
    let w = a.ctx.state.quiver.update_webhook(&a.ctx.actor, &id, &change).await?;
    ok(json!({ "webhook": to_mlflow(&w) }))
}

async fn remove(Path(id): Path<String>, a: Args) -> MlResult {
    a.ctx.state.quiver.delete_webhook(&a.ctx.actor, &id).await?;
    ok(json!({}))
}

async fn test(Path(id): Path<String>, a: Args) -> MlResult {
    let r = a.ctx.state.quiver.test_webhook(&a.ctx.actor, &id).await?;
    let mut result = json!({ "success": r.success });
    if let Some(status) = r.status {
        result["response_status"] = json!(status);
        result["response_body"] = json!(r.response);
    }
    if let Some(error) = r.error {
        result["error_message"] = json!(format!("Failed to test webhook: {error}"));
    }
    ok(json!({ "result": result }))
}

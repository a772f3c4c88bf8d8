//! Webhooks: the event types, and what a webhook and its deliveries look like. Shared with the
//! browser build.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Every event type a webhook may subscribe to (MLflow's `entity.action` names).
pub const EVENT_TYPES: [&str; 23] = [
    "registered_model.created",
    "registered_model.renamed",
    "registered_model.deleted",
    "model_version.created",
    "model_version.deleted",
    "model_version.integrity_failed",
    "model_version_alias.created",
    "model_version_alias.moved",
    "model_version_alias.deleted",
    "registered_model_tag.set",
    "registered_model_tag.deleted",
    "model_version_tag.set",
    "model_version_tag.deleted",
    "registered_model.description_updated",
    "model_version.description_updated",
    "model_version_check.updated",
    "comment.created",
    "approval_request.created",
    "approval_request.approved",
    "approval_request.rejected",
    "approval_request.cancelled",
    "approval_request.stale",
    "grant.changed",
];

/// The type of the event "send test event" sends.
pub const TEST_EVENT: &str = "webhook.test";

/// What a webhook listens to: the whole registry, or a catalog, schema or model and what is in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookScope {
    /// `registry`, `catalog`, `schema` or `registered_model`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Empty for the registry.
    #[serde(default)]
    pub full_name: String,
}

impl WebhookScope {
    pub fn registry() -> Self {
        WebhookScope { kind: "registry".into(), full_name: String::new() }
    }

    pub fn label(&self) -> String {
        if self.kind == "registry" { "the whole registry".into() } else { format!("{} {}", self.kind, self.full_name) }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: String,
    pub name: String,
    pub url: String,
    pub description: String,
    /// Event types, or `["*"]` for all of them.
    pub events: Vec<String>,
    pub scope: WebhookScope,
    pub active: bool,
    /// How its deliveries look.
    #[serde(default)]
    pub format: WebhookFormat,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    /// Failed attempts since the last delivered one.
    pub consecutive_failures: i64,
    /// Failing repeatedly: flagged for admins.
    pub failing: bool,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_failure_at: Option<DateTime<Utc>>,
}

/// A new webhook, as callers send it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewWebhook {
    /// A name for people; the URL's host when empty.
    #[serde(default)]
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// Event types, or `["*"]`.
    pub events: Vec<String>,
    /// Omitted: the whole registry (administrators only).
    #[serde(default)]
    pub scope: Option<WebhookScope>,
    /// Defaults to true.
    #[serde(default)]
    pub active: Option<bool>,
    /// Only through MLflow's API, which lets the caller choose the secret.
    #[serde(skip)]
    pub secret: Option<String>,
    /// MLflow's for webhooks created through MLflow's API, so its receivers understand them.
    #[serde(skip)]
    pub format: WebhookFormat,
}

/// What deliveries look like.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// Quiver's event (`{id, type, timestamp, actor, object, data}`), signed per Standard
    /// Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
    #[default]
    Standard,
    /// MLflow's (`{entity, action, timestamp, data}`, `X-MLflow-Delivery-Id`,
    /// `X-MLflow-Timestamp`, `X-MLflow-Signature`), with the Standard Webhooks headers as well.
    Mlflow,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Standard => "standard",
            WebhookFormat::Mlflow => "mlflow",
        }
    }

    /// What a receiver gets, in a few words.
    pub fn label(self) -> &'static str {
        match self {
            WebhookFormat::Standard => "Quiver event, Standard Webhooks headers",
            WebhookFormat::Mlflow => "MLflow's payload and X-MLflow-* headers (created through MLflow's API)",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "mlflow" { WebhookFormat::Mlflow } else { WebhookFormat::Standard }
    }
}

/// A change to a webhook; fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookUpdate {
    pub name: Option<String>,
    pub url: Option<String>,
    pub description: Option<String>,
    pub events: Option<Vec<String>>,
    pub active: Option<bool>,
    /// Only through MLflow's API.
    #[serde(skip)]
    pub secret: Option<String>,
}

/// A webhook just created, with its secret: shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    /// `whsec_…` (Standard Webhooks): receivers verify signatures with it.
    pub secret: String,
}

/// One event on its way to one webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: String,
    /// The event id, sent as `webhook-id` (the same on every attempt).
    pub event_id: String,
    pub event_type: String,
    /// pending, succeeded or failed.
    pub state: String,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    /// When the next attempt is due (pending deliveries).
    pub next_at: Option<DateTime<Utc>>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
    pub body: String,
    pub attempt_log: Vec<DeliveryAttempt>,
}

/// One try at delivering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryAttempt {
    pub attempt: i64,
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status (none: no answer).
    pub status: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
    /// The first bytes of the receiver's answer.
    pub response: String,
}

/// What sending a test event got back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestResult {
    pub success: bool,
    pub status: Option<i64>,
    pub response: String,
    pub error: Option<String>,
    pub latency_ms: i64,
    pub delivery_id: String,
}

/// Whether an event type (or `*`) is one webhooks may ask for.
pub fn is_event_type(name: &str) -> bool {
    name == "*" || EVENT_TYPES.contains(&name)
}

//! The events changes leave behind: `event` rows written in the transaction of the change (see
//! `store/journal.rs`), read by the outbox and turned into payloads.

use chrono::{DateTime, Utc};
use serde_json::Value;
use surrealdb::types::{RecordId, SurrealValue};

/// An event as the outbox reads it.
#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct EventRow {
    pub(crate) id: RecordId,
    #[surreal(rename = "type")]
    pub(crate) kind: String,
    pub(crate) at: DateTime<Utc>,
    pub(crate) actor: String,
    pub(crate) securable_type: String,
    pub(crate) full_name: String,
    pub(crate) version: Option<i64>,
    pub(crate) catalog: Option<RecordId>,
    pub(crate) schema: Option<RecordId>,
    pub(crate) model: Option<RecordId>,
    pub(crate) data: Value,
}

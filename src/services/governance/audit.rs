//! The audit log: every governed change (written in its transaction) and every refusal.

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use crate::error::Result;
use crate::services::db::bind_cursor;
use crate::services::governance::access::require_admin;
use crate::services::governance::{Actor, AuditEntry, AuditFilter};
use crate::services::paging::{Page, PageRequest};
use crate::services::{Quiver, paging};
use crate::store::key_of;

const AUDIT_FIELDS: &str =
    "id, at, at_desc, principal, action, securable_type, securable, outcome, detail, source, request_id";

#[derive(Debug, Clone, SurrealValue)]
struct AuditRow {
    id: RecordId,
    at: DateTime<Utc>,
    at_desc: i64,
    principal: String,
    action: String,
    securable_type: String,
    securable: String,
    outcome: String,
    detail: Option<String>,
    source: String,
    request_id: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: key_of(&r.id),
            at: r.at,
            principal: r.principal,
            action: r.action,
            securable_type: r.securable_type,
            securable: r.securable,
            outcome: r.outcome,
            detail: r.detail,
            source: r.source,
            request_id: r.request_id,
        }
    }
}

impl Quiver {
    /// Audit entries, newest first, narrowed by `filter` (administrators only). A principal
    /// filter walks that principal's index; the others test each entry.
    pub async fn list_audit(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>> {
        require_admin(actor, "read the audit log")?;
        let limit = paging::limit(page)?;
        let cursor = paging::newest_cursor(page)?;
        let mut conds = vec!["(at_desc > $at_desc OR (at_desc = $at_desc AND id > $key))".to_string()];
        if filter.principal.is_some() {
            conds.push("principal = $principal".into());
        }
        if filter.action.is_some() {
            conds.push("string::starts_with(action, $action)".into());
        }
        if filter.securable.is_some() {
            conds.push("string::starts_with(string::lowercase(securable), $securable)".into());
        }
        if filter.outcome.is_some() {
            conds.push("outcome = $outcome".into());
        }
        if filter.from.is_some() {
            conds.push("at >= $from".into());
        }
        if filter.to.is_some() {
            conds.push("at < $to".into());
        }
        let sql = format!(
            "SELECT {AUDIT_FIELDS} FROM audit WHERE {} ORDER BY at_desc, id LIMIT $limit;",
            conds.join(" AND ")
        );
        let query = self
            .q(&sql)
            .bind(("principal", filter.principal.clone()))
            .bind(("action", filter.action.clone()))
            .bind(("securable", filter.securable.as_deref().map(str::to_lowercase)))
            .bind(("outcome", filter.outcome.clone()))
            .bind(("from", filter.from))
            .bind(("to", filter.to))
            .bind(("limit", limit + 1));
        let rows: Vec<AuditRow> = self.answer(bind_cursor(query, "audit", cursor)).await?;
        Ok(paging::page(rows, limit, |r| paging::newest_token(r.at_desc, &key_of(&r.id)), Into::into))
    }
}

//! Webhooks: register, change, remove, and read their delivery logs. Owners (and MANAGE
//! holders) manage webhooks on their catalogs, schemas and models; the whole registry is for
//! administrators. Delivery itself is in `outbox.rs` and `transport.rs`.

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use crate::error::{Error, Result};
use crate::services::db::{bind_cursor, returned, throwable, who};
use crate::services::delivery::{
    CreatedWebhook, Delivery, DeliveryAttempt, NewWebhook, Webhook, WebhookFormat, WebhookScope, WebhookUpdate,
    is_event_type, outbound, signing,
};
use crate::services::governance::Actor;
use crate::services::governance::access::{NAMES, bind_principal};
use crate::services::governance::grants::{OBJECT, Securable};
use crate::services::governance::privileges::{Operation, SecurableType};
use crate::services::paging::{Page, PageRequest};
use crate::services::registry::lookup::RESOLVE;
use crate::services::{Quiver, paging};
use crate::store::key_of;

const MAX_NAME: usize = 100;
const MAX_DESCRIPTION: usize = 2_000;
const MAX_URL: usize = 2_000;

/// The scope as a type and full name, whatever the scope record's table.
const SCOPE_NAME: &str = "IF scope = NONE THEN 'registry' ELSE IF record::tb(scope) = 'catalog' THEN 'catalog' \
     ELSE IF record::tb(scope) = 'catalog_schema' THEN 'schema' ELSE 'registered_model' END AS scope_type, \
     IF scope = NONE THEN '' ELSE IF record::tb(scope) = 'catalog' THEN scope.name \
     ELSE IF record::tb(scope) = 'catalog_schema' THEN scope.catalog.name + '.' + scope.name \
     ELSE scope.full_name END AS scope_name";

fn webhook_fields() -> String {
    format!(
        "id, name, url, description, events, {SCOPE_NAME}, active, format, created_at, created_by, updated_at, \
         consecutive_failures, failing, last_success_at, last_failure_at"
    )
}

#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct WebhookRow {
    pub(crate) id: RecordId,
    name: String,
    pub(crate) url: String,
    description: String,
    events: Vec<String>,
    scope_type: String,
    scope_name: Option<String>,
    active: bool,
    format: String,
    created_at: DateTime<Utc>,
    created_by: String,
    updated_at: DateTime<Utc>,
    consecutive_failures: i64,
    failing: bool,
    last_success_at: Option<DateTime<Utc>>,
    last_failure_at: Option<DateTime<Utc>>,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Self {
        Webhook {
            id: key_of(&r.id),
            name: r.name,
            url: r.url,
            description: r.description,
            events: r.events,
            scope: WebhookScope { kind: r.scope_type, full_name: r.scope_name.unwrap_or_else(|| "(deleted)".into()) },
            active: r.active,
            format: WebhookFormat::parse(&r.format),
            created_at: r.created_at,
            created_by: r.created_by,
            updated_at: r.updated_at,
            consecutive_failures: r.consecutive_failures,
            failing: r.failing,
            last_success_at: r.last_success_at,
            last_failure_at: r.last_failure_at,
        }
    }
}

#[derive(Debug, Clone, SurrealValue)]
struct DeliveryRow {
    id: RecordId,
    event: String,
    event_type: String,
    state: String,
    attempts: i64,
    created_at: DateTime<Utc>,
    at_desc: i64,
    next_at: DateTime<Utc>,
    last_status: Option<i64>,
    last_error: Option<String>,
    finished_at: Option<DateTime<Utc>>,
    body: String,
}

#[derive(Debug, Clone, SurrealValue)]
struct AttemptRow {
    delivery: RecordId,
    attempt: i64,
    at: DateTime<Utc>,
    status: Option<i64>,
    latency_ms: i64,
    error: Option<String>,
    response: String,
}

const DELIVERY_FIELDS: &str = "id, event, event_type, state, attempts, created_at, at_desc, next_at, last_status, \
     last_error, finished_at, body";

pub(crate) fn webhook_not_found(id: &str) -> Error {
    Error::not_found(format!("There is no webhook '{id}'."))
}

/// Webhook ids are record keys: letters, digits, `-`.
pub(crate) fn webhook_id(id: &str) -> Result<RecordId> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(webhook_not_found(id));
    }
    Ok(RecordId::new("webhook", id.to_string()))
}

/// The securable a scope names (the metastore for the whole registry).
fn scope_securable(scope: &WebhookScope) -> Result<Securable> {
    let kind = match scope.kind.to_ascii_lowercase().as_str() {
        "registry" | "metastore" | "" => SecurableType::Metastore,
        other => SecurableType::parse(other).ok_or_else(|| {
            Error::invalid("scope", "The scope type is registry, catalog, schema or registered_model.")
        })?,
    };
    Securable::parse(kind, scope.full_name.trim())
}

fn check_events(events: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for e in events {
        let e = e.trim();
        if !is_event_type(e) {
            return Err(Error::invalid("events", format!("'{e}' is not an event type (see the list, or use \"*\").")));
        }
        if !out.iter().any(|o| o == e) {
            out.push(e.to_string());
        }
    }
    if out.is_empty() {
        return Err(Error::invalid("events", "Choose at least one event type, or \"*\" for all."));
    }
    if out.iter().any(|e| e == "*") {
        out = vec!["*".into()];
    }
    Ok(out)
}

fn check_len(field: &str, value: &str, max: usize) -> Result<()> {
    if value.chars().count() > max {
        return Err(Error::invalid(field, format!("At most {max} characters.")));
    }
    Ok(())
}

impl Quiver {
    /// Registers a webhook; its secret is returned this once (stored encrypted).
    pub async fn create_webhook(&self, actor: &Actor, new: &NewWebhook) -> Result<CreatedWebhook> {
        let scope = new.scope.clone().unwrap_or_else(WebhookScope::registry);
        let securable = scope_securable(&scope)?;
        self.authorize(actor, Operation::ManageWebhooks, securable.target()).await?;
        check_len("url", &new.url, MAX_URL)?;
        let url = outbound::check_url(&new.url, self.config().webhook_allow_private)?;
        let events = check_events(&new.events)?;
        let name = if new.name.trim().is_empty() {
            url.host_str().unwrap_or("webhook").to_string()
        } else {
            new.name.trim().to_string()
        };
        check_len("name", &name, MAX_NAME)?;
        check_len("description", &new.description, MAX_DESCRIPTION)?;
        let secret = match new.secret.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => s.to_string(),
            None => signing::new_secret(),
        };
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE} {OBJECT}
             IF $depth > 0 AND !$obj {{ THROW $not_found }};
             LET $now = time::now();
             LET $id = (CREATE ONLY webhook SET name = $name, url = $url, description = $description, events = $events,
                 scope = IF $depth = 0 THEN NONE ELSE $obj END, active = $active, secret = $secret, format = $format,
                 created_at = $now, created_by = $who.by, updated_at = $now, updated_by = $who.by RETURN VALUE id);
             fn::audit('webhook.created', 'webhook', $name, 'allowed', $scope_label, $who);
             RETURN (SELECT {fields} FROM ONLY $id);
             COMMIT TRANSACTION;",
            fields = webhook_fields()
        );
        let sealed = self.sealer().seal(&secret);
        // `write`, not `write_content`: whether any webhook is active is cached with access
        // (`webhooks_active`), and this may change it.
        let mut res = self
            .write(
                || {
                    self.securable_query(&sql, &securable)
                        .bind(("name", name.clone()))
                        .bind(("url", url.to_string()))
                        .bind(("description", new.description.trim().to_string()))
                        .bind(("events", events.clone()))
                        .bind(("active", new.active.unwrap_or(true)))
                        .bind(("secret", sealed.clone()))
                        .bind(("format", new.format.as_str()))
                        .bind(("scope_label", scope.label()))
                        .bind(("who", who(actor)))
                        .bind(("not_found", throwable(&scope_not_found(&securable))))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let row: Option<WebhookRow> = returned(&mut res)?;
        let webhook = row.ok_or_else(|| Error::internal("CREATE returned nothing"))?.into();
        Ok(CreatedWebhook { webhook, secret })
    }

    /// Reads a webhook after checking the caller may manage webhooks on its scope.
    pub async fn get_webhook(&self, actor: &Actor, id: &str) -> Result<Webhook> {
        let rid = webhook_id(id)?;
        let sql = format!("SELECT {} FROM ONLY $id;", webhook_fields());
        let row: Option<WebhookRow> = self.answer(self.q(&sql).bind(("id", rid))).await?;
        let webhook: Webhook = row.ok_or_else(|| webhook_not_found(id))?.into();
        let scope = scope_securable(&webhook.scope);
        let allowed = match &scope {
            Ok(s) => self.holdings(actor, s.target()).await?.denial(Operation::ManageWebhooks, s.kind).is_none(),
            // Its scope was deleted: administrators only.
            Err(_) => actor.principal.admin,
        };
        if !allowed && !actor.principal.admin {
            // Not theirs to see: as if it did not exist.
            return Err(webhook_not_found(id));
        }
        Ok(webhook)
    }

    /// The webhooks the caller may manage, oldest first.
    pub async fn list_webhooks(&self, actor: &Actor, page: &PageRequest) -> Result<Page<Webhook>> {
        if actor.principal.user_id.is_empty() && !actor.principal.admin {
            return Err(Error::permission_denied("Sign in first."));
        }
        let limit = paging::limit(page)?;
        let mut cursor = paging::time_cursor(page)?;
        // For others than admins the query narrows the list to webhooks on what the caller
        // manages or owns; each is then held to the rule changing it needs (which also asks for
        // the USE path above its scope), so the list shows exactly what the caller may manage.
        let (lets, cond) = if actor.principal.admin {
            (String::new(), "true")
        } else {
            (
                format!(
                    "{NAMES}
                     LET $m = array::union((SELECT VALUE securable FROM privilege_grant WHERE principal IN $names
                         AND privilege = 'MANAGE'), array::union(
                         (SELECT VALUE id FROM catalog WHERE string::lowercase(owner) IN $names),
                         (SELECT VALUE id FROM catalog_schema WHERE string::lowercase(owner) IN $names)));"
                ),
                "(metastore:root IN $m OR (scope != NONE AND (scope IN $m OR scope.catalog IN $m OR scope.schema IN $m \
                 OR string::lowercase(scope.owner) IN $names)))",
            )
        };
        let sql = format!(
            "{lets} SELECT {fields} FROM webhook WHERE {cond} AND (created_at > $at OR (created_at = $at AND id > $key))
             ORDER BY created_at, id LIMIT $limit;",
            fields = webhook_fields()
        );
        let mut kept: Vec<WebhookRow> = Vec::new();
        loop {
            let query = bind_principal(self.q(&sql), actor).bind(("limit", limit + 1));
            let rows: Vec<WebhookRow> =
                self.answer(crate::services::db::bind_time_cursor(query, "webhook", cursor)).await?;
            let exhausted = rows.len() as i64 <= limit;
            cursor = rows.last().map(|r| paging::TimeCursor { at: r.created_at, key: key_of(&r.id) });
            for row in rows {
                if actor.principal.admin || self.may_manage(actor, &row.clone().into()).await? {
                    kept.push(row);
                }
            }
            if exhausted || kept.len() as i64 > limit {
                break;
            }
        }
        Ok(paging::page(kept, limit, |r| paging::time_token(&r.created_at, &key_of(&r.id)), Into::into))
    }

    /// Whether the caller may change `webhook`: [`Quiver::check_manage`] without the audit entry
    /// a refusal writes.
    async fn may_manage(&self, actor: &Actor, webhook: &Webhook) -> Result<bool> {
        let Ok(scope) = scope_securable(&webhook.scope) else {
            return Ok(actor.principal.admin);
        };
        let target = scope.target();
        let holdings = self.holdings(actor, target).await?;
        Ok(holdings.denial(Operation::ManageWebhooks, target.kind()).is_none())
    }

    /// Changes a webhook; fields left out stay.
    pub async fn update_webhook(&self, actor: &Actor, id: &str, change: &WebhookUpdate) -> Result<Webhook> {
        let current = self.get_webhook(actor, id).await?;
        self.check_manage(actor, &current).await?;
        let url = match &change.url {
            Some(u) => {
                check_len("url", u, MAX_URL)?;
                Some(outbound::check_url(u, self.config().webhook_allow_private)?.to_string())
            }
            None => None,
        };
        let events = change.events.as_deref().map(check_events).transpose()?;
        let name = change.name.as_deref().map(str::trim).map(str::to_string);
        if let Some(n) = &name {
            if n.is_empty() {
                return Err(Error::invalid("name", "The name cannot be empty."));
            }
            check_len("name", n, MAX_NAME)?;
        }
        if let Some(d) = &change.description {
            check_len("description", d, MAX_DESCRIPTION)?;
        }
        let secret = change.secret.as_deref().map(|s| self.sealer().seal(s.trim()));
        let sql = format!(
            "BEGIN TRANSACTION;
             IF !(SELECT VALUE id FROM ONLY $id) {{ THROW $not_found }};
             UPDATE $id SET name = $name ?? name, url = $url ?? url, description = $description ?? description,
                 events = $events ?? events, active = $active ?? active, secret = $secret ?? secret,
                 consecutive_failures = IF $active = true THEN 0 ELSE consecutive_failures END,
                 failing = IF $active = true OR $url != NONE THEN false ELSE failing END,
                 updated_at = time::now(), updated_by = $who.by;
             fn::audit('webhook.updated', 'webhook', (SELECT VALUE name FROM ONLY $id), 'allowed', $detail, $who);
             RETURN (SELECT {fields} FROM ONLY $id);
             COMMIT TRANSACTION;",
            fields = webhook_fields()
        );
        let detail = changed_fields(change);
        // May enable or disable it: see `create_webhook`.
        let mut res = self
            .write(
                || {
                    self.q(&sql)
                        .bind(("id", RecordId::new("webhook", current.id.clone())))
                        .bind(("name", name.clone()))
                        .bind(("url", url.clone()))
                        .bind(("description", change.description.as_deref().map(|d| d.trim().to_string())))
                        .bind(("events", events.clone()))
                        .bind(("active", change.active))
                        .bind(("secret", secret.clone()))
                        .bind(("detail", detail.clone()))
                        .bind(("who", who(actor)))
                        .bind(("not_found", throwable(&webhook_not_found(id))))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let row: Option<WebhookRow> = returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("UPDATE returned nothing"))?.into())
    }

    /// Whether any webhook is active, from the cache when answers are kept; `None` when the
    /// store must be asked.
    /// Creating, changing and removing webhooks end the cached answer.
    pub(crate) async fn webhooks_active(&self) -> Result<Option<bool>> {
        if !self.inner.cache.enabled() {
            return Ok(None);
        }
        let active = self
            .cached(crate::services::cache::Class::Access, "webhooks|active".into(), || async {
                let active: Option<bool> = self
                    .answer(
                        self.q("RETURN array::len((SELECT VALUE id FROM webhook WHERE active = true LIMIT 1)) > 0;"),
                    )
                    .await?;
                Ok(active.unwrap_or(true))
            })
            .await?;
        Ok(Some(active))
    }

    /// Removes a webhook with its deliveries and their log.
    pub async fn delete_webhook(&self, actor: &Actor, id: &str) -> Result<()> {
        let current = self.get_webhook(actor, id).await?;
        self.check_manage(actor, &current).await?;
        let sql = "BEGIN TRANSACTION;
             LET $name = (SELECT VALUE name FROM ONLY $id);
             IF !$name { THROW $not_found };
             DELETE delivery_attempt WHERE webhook = $id;
             DELETE delivery WHERE webhook = $id;
             DELETE $id;
             fn::audit('webhook.deleted', 'webhook', $name, 'allowed', NONE, $who);
             COMMIT TRANSACTION;";
        // May leave none active: see `create_webhook`.
        self.write(
            || {
                self.q(sql)
                    .bind(("id", RecordId::new("webhook", current.id.clone())))
                    .bind(("who", who(actor)))
                    .bind(("not_found", throwable(&webhook_not_found(id))))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }

    /// A webhook's deliveries, newest first, each with its attempts.
    pub async fn list_deliveries(&self, actor: &Actor, id: &str, page: &PageRequest) -> Result<Page<Delivery>> {
        let webhook = self.get_webhook(actor, id).await?;
        let limit = paging::limit(page)?;
        let cursor = paging::newest_cursor(page)?;
        let sql = format!(
            "LET $rows = (SELECT {DELIVERY_FIELDS} FROM delivery WHERE webhook = $w
                 AND (at_desc > $at_desc OR (at_desc = $at_desc AND id > $key)) ORDER BY at_desc, id LIMIT $limit);
             RETURN {{
                 rows: $rows,
                 attempts: (SELECT delivery, attempt, at, status, latency_ms, error, response FROM delivery_attempt
                     WHERE delivery IN $rows.id ORDER BY attempt),
             }};"
        );
        let query = self.q(&sql).bind(("w", RecordId::new("webhook", webhook.id))).bind(("limit", limit + 1));
        let page: Option<DeliveryPage> = self.answer(bind_cursor(query, "delivery", cursor)).await?;
        let DeliveryPage { rows, mut attempts } =
            page.ok_or_else(|| Error::internal("the delivery log query answered nothing"))?;
        if !actor.principal.admin {
            // What a receiver answered may come from an internal service: administrators only.
            attempts.iter_mut().for_each(|a| a.response.clear());
        }
        Ok(paging::page(
            rows,
            limit,
            |r| paging::newest_token(r.at_desc, &key_of(&r.id)),
            |r| delivery_of(r, &attempts),
        ))
    }

    /// Sends a delivery again: it becomes due now, whatever its state.
    pub async fn redeliver(&self, actor: &Actor, id: &str, delivery_id: &str) -> Result<Delivery> {
        let webhook = self.get_webhook(actor, id).await?;
        self.check_manage(actor, &webhook).await?;
        let not_found = Error::not_found(format!("Webhook '{id}' has no delivery '{delivery_id}'."));
        if delivery_id.is_empty() || !delivery_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(not_found);
        }
        let sql = format!(
            "BEGIN TRANSACTION;
             IF (SELECT VALUE webhook FROM ONLY $d) != $w {{ THROW $not_found }};
             UPDATE $d SET state = 'pending', next_at = time::now(), lease_owner = NONE, lease_until = NONE,
                 finished_at = NONE;
             fn::audit('webhook.redelivered', 'webhook', (SELECT VALUE name FROM ONLY $w), 'allowed',
                 (SELECT VALUE event FROM ONLY $d), $who);
             RETURN (SELECT {DELIVERY_FIELDS} FROM ONLY $d);
             COMMIT TRANSACTION;"
        );
        let mut res = self
            .write_content(
                || {
                    self.q(&sql)
                        .bind(("d", RecordId::new("delivery", delivery_id.to_string())))
                        .bind(("w", RecordId::new("webhook", webhook.id.clone())))
                        .bind(("who", who(actor)))
                        .bind(("not_found", throwable(&not_found)))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let row: Option<DeliveryRow> = returned(&mut res)?;
        self.wake_dispatcher();
        Ok(delivery_of(row.ok_or_else(|| Error::internal("UPDATE returned nothing"))?, &[]))
    }

    /// Changing a webhook needs the same right as seeing it; kept apart so the rule reads plainly.
    pub(crate) async fn check_manage(&self, actor: &Actor, webhook: &Webhook) -> Result<()> {
        match scope_securable(&webhook.scope) {
            Ok(s) => self.authorize(actor, Operation::ManageWebhooks, s.target()).await,
            Err(_) => {
                crate::services::governance::access::require_admin(actor, "change a webhook whose scope was deleted")
            }
        }
    }
}

fn scope_not_found(securable: &Securable) -> Error {
    Error::not_found(format!("There is no {} '{}'.", securable.kind.label(), securable.target().full_name()))
}

fn changed_fields(change: &WebhookUpdate) -> String {
    let mut fields = Vec::new();
    for (set, name) in [
        (change.name.is_some(), "name"),
        (change.url.is_some(), "url"),
        (change.description.is_some(), "description"),
        (change.events.is_some(), "events"),
        (change.secret.is_some(), "secret"),
    ] {
        if set {
            fields.push(name.to_string());
        }
    }
    if let Some(a) = change.active {
        fields.push(if a { "enabled".into() } else { "disabled".into() });
    }
    fields.join(", ")
}

fn delivery_of(r: DeliveryRow, attempts: &[AttemptRow]) -> Delivery {
    Delivery {
        attempt_log: attempts
            .iter()
            .filter(|a| a.delivery == r.id)
            .map(|a| DeliveryAttempt {
                attempt: a.attempt,
                at: a.at,
                status: a.status,
                latency_ms: a.latency_ms,
                error: a.error.clone(),
                response: a.response.clone(),
            })
            .collect(),
        id: key_of(&r.id),
        event_id: r.event,
        event_type: r.event_type,
        next_at: (r.state == "pending").then_some(r.next_at),
        state: r.state,
        attempts: r.attempts,
        created_at: r.created_at,
        last_status: r.last_status,
        last_error: r.last_error,
        finished_at: r.finished_at,
        body: r.body,
    }
}

/// A page of a webhook's deliveries and the attempts of each.
#[derive(Debug, Clone, SurrealValue)]
struct DeliveryPage {
    rows: Vec<DeliveryRow>,
    attempts: Vec<AttemptRow>,
}

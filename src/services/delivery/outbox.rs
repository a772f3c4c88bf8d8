//! The webhook outbox. Changes write `event` rows in their own transaction; the dispatcher (a
//! background worker of the server) calls these in a loop: fan events out to the matching
//! webhooks as `delivery` rows, claim due deliveries under a lease (several Quiver processes on
//! one store never send the same attempt twice), send them signed, record each attempt.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use crate::error::Result;
use crate::sealer::Sealer;
use crate::services::Quiver;
use crate::services::delivery::events::EventRow;
use crate::services::delivery::transport::{AttemptOutcome, DeliveryJob, failed_before_sending};
use crate::services::delivery::{WebhookFormat, mlflow_payload, quiver_payload};
use crate::store::{self, internal, key_of};

#[derive(Debug, Clone, SurrealValue)]
struct HookRow {
    id: RecordId,
    events: Vec<String>,
    scope: Option<RecordId>,
    format: String,
}

/// What a round of fanning out reads: new events, and the webhooks that may want them.
#[derive(Debug, Clone, SurrealValue)]
struct Pending {
    events: Vec<EventRow>,
    hooks: Vec<HookRow>,
}

#[derive(Debug, Clone, SurrealValue)]
struct NewDelivery {
    webhook: RecordId,
    event: String,
    event_type: String,
    body: String,
}

#[derive(Debug, Clone, SurrealValue)]
struct ClaimedRow {
    id: RecordId,
    webhook: RecordId,
    event: String,
    event_type: String,
    body: String,
    attempts: i64,
}

#[derive(Debug, Clone, SurrealValue)]
struct TargetRow {
    id: RecordId,
    url: String,
    secret: String,
    active: bool,
    format: String,
}

impl Quiver {
    pub(crate) fn sealer(&self) -> &Sealer {
        &self.config().sealer
    }

    /// Wakes the dispatcher (after a write that may have produced events or due deliveries).
    pub fn wake_dispatcher(&self) {
        self.inner.wakeup.notify_one();
    }

    /// What the dispatcher waits on between rounds.
    pub fn dispatcher_wakeup(&self) -> Arc<tokio::sync::Notify> {
        self.inner.wakeup.clone()
    }

    /// Turns up to `limit` new events into deliveries for the active webhooks that want them,
    /// in one transaction. Returns how many events it handled.
    pub async fn fan_out_events(&self, limit: i64) -> Result<usize> {
        let sql = "RETURN {
                 events: (SELECT id, type, at, actor, securable_type, full_name, version, catalog, schema, model, data
                     FROM event WHERE fanned = false ORDER BY at LIMIT $limit),
                 hooks: (SELECT id, events, scope, format FROM webhook WHERE active = true),
             };";
        let pending: Option<Pending> = self.answer(self.q(sql).bind(("limit", limit))).await?;
        let Some(Pending { events, hooks }) = pending.filter(|p| !p.events.is_empty()) else { return Ok(0) };
        let mut rows = Vec::new();
        for e in &events {
            // Each body is built once per event, and only when a webhook in its format wants it.
            let (mut standard, mut mlflow) = (None, None);
            for h in hooks.iter().filter(|h| wants(h, e)) {
                let body = match WebhookFormat::parse(&h.format) {
                    WebhookFormat::Standard => standard.get_or_insert_with(|| quiver_payload::body(e)).clone(),
                    WebhookFormat::Mlflow => mlflow
                        .get_or_insert_with(|| mlflow_payload::body(&e.kind, e.at, &e.full_name, e.version, &e.data))
                        .clone(),
                };
                rows.push(NewDelivery {
                    webhook: h.id.clone(),
                    event: key_of(&e.id),
                    event_type: e.kind.clone(),
                    body,
                });
            }
        }
        let ids: Vec<RecordId> = events.iter().map(|e| e.id.clone()).collect();
        let sql = "BEGIN TRANSACTION;
             LET $now = time::now();
             FOR $d IN $rows {
                 CREATE delivery SET webhook = $d.webhook, event = $d.event, event_type = $d.event_type, body = $d.body,
                     created_at = $now, at_desc = 0 - time::nano($now), state = 'pending', attempts = 0, next_at = $now;
             };
             UPDATE $ids SET fanned = true;
             COMMIT TRANSACTION;";
        let result = store::run_retrying(|| {
            std::future::IntoFuture::into_future(self.q(sql).bind(("rows", rows.clone())).bind(("ids", ids.clone())))
        })
        .await;
        match result {
            Ok(_) => Ok(events.len()),
            // Another dispatcher fanned these out first.
            Err(e) if matches!(store::recognise(&e), store::Recognised::Unique(_)) => Ok(0),
            Err(e) => Err(internal(e)),
        }
    }

    /// Gives back the leases `owner` holds on deliveries it has not finished (a stopping
    /// process), so another process sends them at once instead of after the lease runs out.
    pub async fn release_leases(&self, owner: &str) -> Result<usize> {
        let mut res = self
            .write_content(
                || {
                    self.q("UPDATE delivery SET lease_owner = NONE, lease_until = NONE
                            WHERE lease_owner = $owner AND state = 'pending' RETURN id")
                        .bind(("owner", owner.to_string()))
                },
                crate::services::db::no_unique,
            )
            .await?;
        Ok(res.take::<Vec<RecordId>>(0).map_err(internal)?.len())
    }

    /// What the outbox holds: events not yet fanned out, and deliveries still to be sent.
    pub async fn outbox_backlog(&self) -> Result<(i64, i64)> {
        #[derive(SurrealValue)]
        struct Backlog {
            events: i64,
            deliveries: i64,
        }
        let b: Option<Backlog> = self
            .answer(self.q("RETURN {
                    events: count(SELECT id FROM event WHERE fanned = false),
                    deliveries: count(SELECT id FROM delivery WHERE state = 'pending')
                };"))
            .await?;
        Ok(b.map(|b| (b.events, b.deliveries)).unwrap_or_default())
    }

    /// Takes the lease of up to `limit` due deliveries for `owner`, for `lease`.
    pub async fn claim_deliveries(&self, owner: &str, limit: i64, lease: Duration) -> Result<Vec<DeliveryJob>> {
        let due: Vec<RecordId> = self
            .answer(
                self.q("SELECT VALUE id FROM delivery WHERE state = 'pending' AND next_at <= time::now()
                         AND (lease_until = NONE OR lease_until < time::now()) ORDER BY next_at LIMIT $limit;")
                    .bind(("limit", limit)),
            )
            .await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        // One statement (its own transaction) per delivery: losing a race loses only that one.
        let claim = "UPDATE $d SET lease_owner = $owner, lease_until = time::now() + $lease
             WHERE state = 'pending' AND next_at <= time::now() AND (lease_until = NONE OR lease_until < time::now())
             RETURN id, webhook, event, event_type, body, attempts;";
        let mut claimed: Vec<ClaimedRow> = Vec::new();
        let lease = surrealdb::types::Duration::from(lease);
        let results = futures::future::join_all(due.into_iter().map(|d| {
            std::future::IntoFuture::into_future(
                self.q(claim).bind(("d", d)).bind(("owner", owner.to_string())).bind(("lease", lease)),
            )
        }))
        .await;
        for r in results {
            match r.and_then(store::first_error) {
                Ok(mut r) => claimed.extend(r.take::<Vec<ClaimedRow>>(0).unwrap_or_default()),
                Err(e) => tracing::debug!(error = %e, "another dispatcher took a delivery"),
            }
        }
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let hook_ids: Vec<RecordId> = claimed.iter().map(|c| c.webhook.clone()).collect();
        let targets: Vec<TargetRow> =
            self.answer(self.q("SELECT id, url, secret, active, format FROM $ids;").bind(("ids", hook_ids))).await?;
        let targets: HashMap<RecordId, TargetRow> = targets.into_iter().map(|t| (t.id.clone(), t)).collect();
        let mut jobs = Vec::new();
        for c in claimed {
            let job = |t: &TargetRow, secret: String| DeliveryJob {
                delivery: key_of(&c.id),
                webhook: key_of(&c.webhook),
                url: t.url.clone(),
                secret,
                event_id: c.event.clone(),
                event_type: c.event_type.clone(),
                body: c.body.clone(),
                attempt: c.attempts + 1,
                format: WebhookFormat::parse(&t.format),
            };
            match targets.get(&c.webhook) {
                Some(t) if t.active => match self.sealer().open(&t.secret) {
                    Ok(secret) => jobs.push(job(t, secret)),
                    Err(e) => {
                        let outcome = failed_before_sending(format!("the webhook's secret cannot be read: {e}"));
                        self.record_attempt(owner, &job(t, String::new()), &outcome, None).await?;
                    }
                },
                Some(t) => {
                    let outcome = failed_before_sending("the webhook is disabled".into());
                    self.record_attempt(owner, &job(t, String::new()), &outcome, None).await?;
                }
                None => {} // The webhook was deleted with its deliveries.
            }
        }
        Ok(jobs)
    }

    /// Records an attempt and what follows: succeeded, due again at `retry_at`, or failed for
    /// good (`retry_at` none). Updates the webhook's health; `flag_after` failed attempts in a
    /// row (or a delivery given up on) flag it as failing.
    pub async fn record_attempt(
        &self,
        owner: &str,
        job: &DeliveryJob,
        outcome: &AttemptOutcome,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let sql = "BEGIN TRANSACTION;
             CREATE delivery_attempt SET delivery = $d, webhook = $w, attempt = $n, at = time::now(), status = $status,
                 latency_ms = $ms, error = $error, response = $response, dispatcher = $owner;
             UPDATE $d SET attempts = $n, last_status = $status, last_error = $error,
                 state = IF $ok THEN 'succeeded' ELSE IF $retry_at = NONE THEN 'failed' ELSE 'pending' END,
                 next_at = $retry_at ?? next_at,
                 finished_at = IF $ok OR $retry_at = NONE THEN time::now() ELSE NONE END,
                 lease_owner = NONE, lease_until = NONE
                 WHERE lease_owner = $owner;
             IF $ok {
                 UPDATE $w SET consecutive_failures = 0, failing = false, last_success_at = time::now();
             } ELSE {
                 UPDATE $w SET failing = failing OR $retry_at = NONE OR consecutive_failures + 1 >= $flag_after,
                     last_failure_at = time::now(), consecutive_failures += 1;
             };
             COMMIT TRANSACTION;";
        let ok = outcome.succeeded();
        self.write_content(
            || {
                self.q(sql)
                    .bind(("d", RecordId::new("delivery", job.delivery.clone())))
                    .bind(("w", RecordId::new("webhook", job.webhook.clone())))
                    .bind(("n", job.attempt))
                    .bind(("status", outcome.status.map(i64::from)))
                    .bind(("ms", outcome.latency_ms))
                    .bind(("error", outcome.error.clone()))
                    .bind(("response", outcome.response.clone()))
                    .bind(("owner", owner.to_string()))
                    .bind(("ok", ok))
                    .bind(("retry_at", if ok { None } else { retry_at }))
                    .bind(("flag_after", self.config().webhook_flag_after))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }

    /// Deletes delivered events and finished deliveries older than `age`.
    pub async fn prune_outbox(&self, age: Duration) -> Result<()> {
        let sql = "LET $before = time::now() - $age;
             DELETE event WHERE fanned = true AND at < $before;
             LET $old = (SELECT VALUE id FROM delivery WHERE state IN ['succeeded', 'failed'] AND finished_at < $before);
             DELETE delivery_attempt WHERE delivery IN $old;
             DELETE $old;";
        self.read(self.q(sql).bind(("age", surrealdb::types::Duration::from(age)))).await?;
        Ok(())
    }
}

/// Whether a webhook wants an event: its type, and its scope holds the object.
fn wants(h: &HookRow, e: &EventRow) -> bool {
    // MLflow has no "moved": setting an alias that exists is another `created` there.
    let kind = match WebhookFormat::parse(&h.format) {
        WebhookFormat::Mlflow => mlflow_payload::kind(&e.kind),
        WebhookFormat::Standard => e.kind.as_str(),
    };
    let type_ok = h.events.iter().any(|t| t == "*" || t == kind);
    let scope_ok = match &h.scope {
        None => true,
        Some(s) => [&e.catalog, &e.schema, &e.model].into_iter().any(|p| p.as_ref() == Some(s)),
    };
    type_ok && scope_ok
}

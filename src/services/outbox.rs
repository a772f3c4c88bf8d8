//! The webhook outbox. Changes write `event` rows in their own transaction; the dispatcher (a
//! background worker of the server) calls these in a loop: fan events out to the matching
//! webhooks as `delivery` rows, claim due deliveries under a lease (several Quiver processes on
//! one store never send the same attempt twice), send them signed, record each attempt.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;
use surrealdb::types::{RecordId, SurrealValue};

use super::Quiver;
use super::webhooks::{webhook_id, webhook_not_found};
use super::{mlflow_payload, quiver_payload};
use crate::error::Result;
use crate::sealer::Sealer;
use crate::store::{self, internal, key_of};
use crate::types::Actor;
use crate::webhooks::{TEST_EVENT, TestResult, WebhookFormat, outbound, signing};

/// How much of a receiver's answer the delivery log keeps.
const RESPONSE_EXCERPT: usize = 1024;

/// One delivery a dispatcher holds the lease of, ready to send.
#[derive(Debug, Clone)]
pub struct DeliveryJob {
    /// Record keys of the delivery and its webhook.
    pub delivery: String,
    pub webhook: String,
    pub url: String,
    pub secret: String,
    /// Sent as `webhook-id`: the same on every attempt.
    pub event_id: String,
    pub event_type: String,
    pub body: String,
    /// The number of this attempt (1 for the first).
    pub attempt: i64,
    /// Which headers go with it.
    pub format: WebhookFormat,
}

/// What one attempt got.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptOutcome {
    pub status: Option<u16>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub response: String,
    /// Trying again cannot help (refused by the outbound policy).
    pub permanent: bool,
}

impl AttemptOutcome {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// 408, 429, 5xx and no answer at all (timeouts, refused connections) are worth another try;
    /// other answers are the receiver's final word.
    pub fn retryable(&self) -> bool {
        !self.permanent && self.status.is_none_or(|s| s == 408 || s == 429 || s >= 500)
    }
}

#[derive(Debug, Clone, SurrealValue)]
pub(super) struct EventRow {
    pub(super) id: RecordId,
    #[surreal(rename = "type")]
    pub(super) kind: String,
    pub(super) at: DateTime<Utc>,
    pub(super) actor: String,
    pub(super) securable_type: String,
    pub(super) full_name: String,
    pub(super) version: Option<i64>,
    pub(super) catalog: Option<RecordId>,
    pub(super) schema: Option<RecordId>,
    pub(super) model: Option<RecordId>,
    pub(super) data: Value,
}

#[derive(Debug, Clone, SurrealValue)]
struct HookRow {
    id: RecordId,
    events: Vec<String>,
    scope: Option<RecordId>,
    format: String,
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
    pub(super) fn sealer(&self) -> &Sealer {
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
        let sql = "SELECT id, type, at, actor, securable_type, full_name, version, catalog, schema, model, data
                 FROM event WHERE fanned = false ORDER BY at LIMIT $limit;
             SELECT id, events, scope, format FROM webhook WHERE active = true;";
        let mut res = self.read(self.q(sql).bind(("limit", limit))).await?;
        let events: Vec<EventRow> = res.take(0).map_err(internal)?;
        if events.is_empty() {
            return Ok(0);
        }
        let hooks: Vec<HookRow> = res.take(1).map_err(internal)?;
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
            Err(e) if store::unique_violation(&e).is_some() => Ok(0),
            Err(e) => Err(internal(e)),
        }
    }

    /// Takes the lease of up to `limit` due deliveries for `owner`, for `lease`.
    pub async fn claim_deliveries(&self, owner: &str, limit: i64, lease: Duration) -> Result<Vec<DeliveryJob>> {
        let mut res = self
            .read(
                self.q("SELECT VALUE id FROM delivery WHERE state = 'pending' AND next_at <= time::now()
                         AND (lease_until = NONE OR lease_until < time::now()) ORDER BY next_at LIMIT $limit;")
                    .bind(("limit", limit)),
            )
            .await?;
        let due: Vec<RecordId> = res.take(0).map_err(internal)?;
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
        let mut res =
            self.read(self.q("SELECT id, url, secret, active, format FROM $ids;").bind(("ids", hook_ids))).await?;
        let targets: HashMap<RecordId, TargetRow> =
            res.take::<Vec<TargetRow>>(0).map_err(internal)?.into_iter().map(|t| (t.id.clone(), t)).collect();
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

    /// Sends one attempt, signed per Standard Webhooks (and, for MLflow's format, with the same
    /// values in MLflow's `X-MLflow-*` headers).
    pub async fn send_delivery(&self, job: &DeliveryJob) -> AttemptOutcome {
        if let Err(e) = outbound::check_url(&job.url, self.config().webhook_allow_private) {
            return AttemptOutcome { permanent: true, ..failed_before_sending(e.message) };
        }
        let timestamp = Utc::now().timestamp();
        let signature = match job.format {
            WebhookFormat::Standard => signing::signature(&job.secret, &job.event_id, timestamp, job.body.as_bytes()),
            WebhookFormat::Mlflow => {
                signing::signature_with_key(job.secret.as_bytes(), &job.event_id, timestamp, job.body.as_bytes())
            }
        };
        let started = Instant::now();
        let mut request = self
            .inner
            .http
            .post(&job.url)
            .header("content-type", "application/json")
            .header("webhook-id", &job.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", &signature);
        if job.format == WebhookFormat::Mlflow {
            request = request
                .header("X-MLflow-Delivery-Id", &job.event_id)
                .header("X-MLflow-Timestamp", timestamp.to_string())
                .header("X-MLflow-Signature", &signature);
        }
        let sent = request.body(job.body.clone()).send().await;
        let mut outcome = match sent {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let mut excerpt = Vec::new();
                while excerpt.len() < RESPONSE_EXCERPT {
                    match resp.chunk().await {
                        Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                        _ => break,
                    }
                }
                excerpt.truncate(RESPONSE_EXCERPT);
                AttemptOutcome {
                    status: Some(status),
                    latency_ms: 0,
                    error: None,
                    response: String::from_utf8_lossy(&excerpt).into_owned(),
                    permanent: false,
                }
            }
            Err(e) => AttemptOutcome {
                status: None,
                latency_ms: 0,
                error: Some(describe(&e)),
                response: String::new(),
                permanent: false,
            },
        };
        outcome.latency_ms = started.elapsed().as_millis() as i64;
        outcome
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
            super::no_unique,
        )
        .await?;
        Ok(())
    }

    /// Sends a `webhook.test` event to a webhook now and says what came back (also in its log).
    pub async fn test_webhook(&self, actor: &Actor, id: &str) -> Result<TestResult> {
        let webhook = self.get_webhook(actor, id).await?;
        self.check_manage(actor, &webhook).await?;
        let owner = format!("test:{}", actor.request_id);
        let event_id = format!("test{}", uuid_like());
        let body = match webhook.format {
            WebhookFormat::Mlflow => mlflow_payload::example(&webhook.events),
            WebhookFormat::Standard => quiver_payload::test_body(&webhook, &event_id, actor),
        };
        let sql = "BEGIN TRANSACTION;
             LET $now = time::now();
             LET $row = (CREATE ONLY delivery SET webhook = $w, event = $event, event_type = $type, body = $body,
                 created_at = $now, at_desc = 0 - time::nano($now), state = 'pending', attempts = 0, next_at = $now,
                 lease_owner = $owner, lease_until = $now + 5m);
             RETURN { delivery: $row.id, url: $w.url, secret: $w.secret };
             COMMIT TRANSACTION;";
        let wid = webhook_id(&webhook.id)?;
        let mut res = self
            .write_content(
                || {
                    self.q(sql)
                        .bind(("w", wid.clone()))
                        .bind(("event", event_id.clone()))
                        .bind(("type", TEST_EVENT))
                        .bind(("body", body.clone()))
                        .bind(("owner", owner.clone()))
                },
                super::no_unique,
            )
            .await?;
        let row: Option<TestRow> = super::returned(&mut res)?;
        let row = row.ok_or_else(|| webhook_not_found(id))?;
        let job = DeliveryJob {
            delivery: key_of(&row.delivery),
            webhook: key_of(&wid),
            url: row.url,
            secret: self.sealer().open(&row.secret)?,
            event_id,
            event_type: TEST_EVENT.into(),
            body,
            attempt: 1,
            format: webhook.format,
        };
        let outcome = self.send_delivery(&job).await;
        self.record_attempt(&owner, &job, &outcome, None).await?;
        Ok(TestResult {
            success: outcome.succeeded(),
            status: outcome.status.map(i64::from),
            response: outcome.response,
            error: outcome.error,
            latency_ms: outcome.latency_ms,
            delivery_id: key_of(&row.delivery),
        })
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

#[derive(Debug, Clone, SurrealValue)]
struct TestRow {
    delivery: RecordId,
    url: String,
    secret: String,
}

fn failed_before_sending(error: String) -> AttemptOutcome {
    AttemptOutcome { status: None, latency_ms: 0, error: Some(error), response: String::new(), permanent: true }
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..20).map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.gen_range(0..36)])).collect()
}

/// What went wrong with a request, in a line (no internals beyond the cause).
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        let mut source = std::error::Error::source(e);
        let mut cause = String::from("could not connect");
        while let Some(s) = source {
            if s.to_string().contains("outbound policy") {
                cause = s.to_string();
            }
            source = s.source();
        }
        cause
    } else if e.is_redirect() {
        "redirects are not followed".into()
    } else {
        "the request failed".into()
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

/// Resolves webhook hosts and refuses addresses the outbound policy forbids, so a name that
/// resolves to a metadata or (without the switch) private address is never connected to.
#[derive(Debug, Clone)]
pub(super) struct PolicyResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                addrs.iter().copied().filter(|a| outbound::refusal(a.ip(), allow_private).is_none()).collect();
            if allowed.is_empty() {
                let why = addrs
                    .first()
                    .and_then(|a| outbound::refusal(a.ip(), allow_private))
                    .unwrap_or("the name does not resolve");
                return Err(format!("refused by the outbound policy: {host}: {why}").into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client deliveries go out with: no redirects, bounded time, the policy resolver.
pub(super) fn http_client(allow_private: bool, timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .dns_resolver(Arc::new(PolicyResolver { allow_private }))
        .user_agent(concat!("Quiver-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the webhook HTTP client builds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_only_what_may_work_later() {
        let with = |status: Option<u16>| AttemptOutcome {
            status,
            latency_ms: 1,
            error: None,
            response: String::new(),
            permanent: false,
        };
        assert!(with(Some(200)).succeeded() && with(Some(204)).succeeded());
        for s in [None, Some(500), Some(503), Some(429), Some(408)] {
            assert!(with(s).retryable(), "{s:?}");
        }
        for s in [Some(400), Some(401), Some(404), Some(410)] {
            assert!(!with(s).retryable(), "{s:?}");
        }
        assert!(!failed_before_sending("refused".into()).retryable());
    }
}

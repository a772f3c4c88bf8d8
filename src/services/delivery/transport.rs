//! Sending deliveries: one signed attempt over HTTP (Standard Webhooks headers, and MLflow's for
//! its format), what the receiver answered, and test events sent on request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use surrealdb::types::{RecordId, SurrealValue};

use crate::error::Result;
use crate::services::Quiver;
use crate::services::delivery::outbound::{self, PolicyResolver};
use crate::services::delivery::webhooks::{webhook_id, webhook_not_found};
use crate::services::delivery::{TEST_EVENT, TestResult, WebhookFormat, mlflow_payload, quiver_payload, signing};
use crate::services::governance::Actor;
use crate::store::key_of;

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

impl Quiver {
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
            .webhook_client()
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

    /// The HTTP client deliveries go out with, made on first use from the settings.
    fn webhook_client(&self) -> &reqwest::Client {
        self.inner.http.get_or_init(|| http_client(self.config().webhook_allow_private, self.config().webhook_timeout))
    }

    /// Sends a `webhook.test` event to a webhook now and says what came back (also in its log);
    /// the receiver's answer itself only to administrators.
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
                crate::services::db::no_unique,
            )
            .await?;
        let row: Option<TestRow> = crate::services::db::returned(&mut res)?;
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
            // The receiver's answer may come from an internal service: administrators only.
            response: if actor.principal.admin { outcome.response } else { String::new() },
            error: outcome.error,
            latency_ms: outcome.latency_ms,
            delivery_id: key_of(&row.delivery),
        })
    }
}

#[derive(Debug, Clone, SurrealValue)]
struct TestRow {
    delivery: RecordId,
    url: String,
    secret: String,
}

pub(crate) fn failed_before_sending(error: String) -> AttemptOutcome {
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

/// The HTTP client deliveries go out with: no redirects, bounded time, the policy resolver.
pub(crate) fn http_client(allow_private: bool, timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        // A proxy from the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY) would resolve the host
        // itself, past the address policy: webhooks always connect directly.
        .no_proxy()
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

    /// A proxy from the environment would resolve webhook hosts itself, past the address policy:
    /// deliveries connect directly even when one is configured.
    #[tokio::test]
    async fn deliveries_ignore_proxies_from_the_environment() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
        // SAFETY: no other test of this binary reads these variables.
        unsafe {
            for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY"] {
                std::env::set_var(var, &proxy_url);
            }
        }
        let client = http_client(true, Duration::from_secs(5));
        unsafe {
            for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY"] {
                std::env::remove_var(var);
            }
        }
        let url = format!("http://{}/hook", receiver.local_addr().unwrap());
        let serve = tokio::spawn(async move {
            let (mut socket, _) = receiver.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            socket.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n").await.unwrap();
        });
        let proxied = tokio::spawn(async move { proxy.accept().await.is_ok() });
        let status = client.post(&url).body("{}").send().await.expect("delivered directly").status();
        assert_eq!(status.as_u16(), 204);
        serve.await.unwrap();
        assert!(!proxied.is_finished(), "nothing went through the proxy");
        proxied.abort();
    }
}

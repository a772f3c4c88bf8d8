//! The webhook dispatcher: a background worker that fans new events out to webhooks, claims due
//! deliveries under a lease, sends them (a few at a time) and schedules retries with
//! exponential backoff and jitter. Everything it knows lives in the store, so it picks up where
//! it stopped after a restart, and several Quiver processes on one store share the work.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use quiver::Quiver;
use quiver::services::delivery::{AttemptOutcome, DeliveryJob};
use rand::Rng;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// Names this process in leases and the delivery log.
    pub id: String,
    /// The waits between attempts: after the first failure the first entry, and so on; when
    /// they run out the delivery has failed.
    pub retry_schedule: Vec<Duration>,
    /// Up to this fraction of each wait is added or taken at random, so receivers coming back
    /// are not hit by every retry at once.
    pub jitter: f64,
    /// How long a claimed delivery stays with this process (longer than an attempt can take).
    pub lease: Duration,
    /// How often to look for due work when nothing wakes the dispatcher.
    pub poll: Duration,
    /// After a wake-up, wait this long before the round, so a burst of writes (each of which
    /// rings) costs one round, not one per write.
    pub coalesce: Duration,
    /// Deliveries sent at the same time.
    pub concurrency: usize,
    /// Delivered events and finished deliveries are kept this long.
    pub retention: Duration,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        DispatcherConfig {
            id: format!("{}-{}", hostname(), uuid::Uuid::new_v4().simple()),
            // ~13 hours in all: 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 8 h.
            retry_schedule: [30, 120, 600, 1800, 3600, 3 * 3600, 8 * 3600].map(Duration::from_secs).to_vec(),
            jitter: 0.2,
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(2),
            coalesce: Duration::from_millis(20),
            concurrency: 8,
            retention: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "quiver".into())
}

/// Starts the dispatcher; it runs until the returned task is aborted or the process ends.
pub fn spawn(quiver: Quiver, config: DispatcherConfig) -> JoinHandle<()> {
    spawn_until(quiver, config, CancellationToken::new())
}

/// Starts the dispatcher until `stop` is cancelled: then it claims nothing more, lets the
/// deliveries being sent finish (and records them), and gives back the leases it still holds.
pub fn spawn_until(quiver: Quiver, config: DispatcherConfig, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(run(quiver, config, stop))
}

async fn run(quiver: Quiver, config: DispatcherConfig, stop: CancellationToken) {
    let config = Arc::new(config);
    let slots = Arc::new(Semaphore::new(config.concurrency));
    let wakeup = quiver.dispatcher_wakeup();
    let mut last_prune = std::time::Instant::now();
    tracing::info!(id = %config.id, "webhook dispatcher started");
    while !stop.is_cancelled() {
        if let Err(e) = round(&quiver, &config, &slots).await {
            tracing::warn!(error = %e.message, "webhook dispatcher round failed");
        }
        if last_prune.elapsed() > Duration::from_secs(3600) {
            last_prune = std::time::Instant::now();
            if let Err(e) = quiver.prune_outbox(config.retention).await {
                tracing::warn!(error = %e.message, "could not prune the webhook outbox");
            }
        }
        tokio::select! {
            _ = stop.cancelled() => break,
            woken = tokio::time::timeout(config.poll, wakeup.notified()) => {
                if woken.is_ok() {
                    tokio::time::sleep(config.coalesce).await;
                }
            }
        }
    }
    // Every slot back means every delivery in flight was sent and recorded (bounded: an
    // attempt has its own timeout, and the lease outlives it anyway).
    let all = config.concurrency as u32;
    if tokio::time::timeout(config.lease, slots.acquire_many(all)).await.is_err() {
        // Giving their leases back could have another process send them a second time.
        tracing::warn!("deliveries still in flight at shutdown; their leases run out and another process retries");
        return;
    }
    match quiver.release_leases(&config.id).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(n, "gave back delivery leases"),
        Err(e) => tracing::warn!(error = %e.message, "could not give back delivery leases"),
    }
    tracing::info!(id = %config.id, "webhook dispatcher stopped");
}

/// Fans out what is new and starts sending what is due, as far as free slots allow.
async fn round(quiver: &Quiver, config: &Arc<DispatcherConfig>, slots: &Arc<Semaphore>) -> quiver::error::Result<()> {
    while quiver.fan_out_events(200).await? == 200 {}
    let free = slots.available_permits() as i64;
    if free == 0 {
        return Ok(());
    }
    for job in quiver.claim_deliveries(&config.id, free, config.lease).await? {
        let Ok(permit) = slots.clone().acquire_owned().await else { return Ok(()) };
        let (quiver, config) = (quiver.clone(), config.clone());
        tokio::spawn(async move {
            deliver(&quiver, &config, job).await;
            drop(permit);
            // A slot is free again: look for more at once.
            quiver.wake_dispatcher();
        });
    }
    Ok(())
}

async fn deliver(quiver: &Quiver, config: &DispatcherConfig, job: DeliveryJob) {
    let outcome = quiver.send_delivery(&job).await;
    let retry_at = next_attempt(config, &job, &outcome);
    let result = if outcome.succeeded() {
        "succeeded"
    } else if retry_at.is_some() {
        "retrying"
    } else {
        "failed"
    };
    metrics::counter!("quiver_webhook_deliveries_total", "outcome" => result).increment(1);
    if !outcome.succeeded() {
        tracing::info!(
            webhook = %job.webhook, event = %job.event_id, attempt = job.attempt,
            status = ?outcome.status, error = ?outcome.error, retry = retry_at.is_some(),
            "webhook delivery failed"
        );
    }
    if let Err(e) = quiver.record_attempt(&config.id, &job, &outcome, retry_at).await {
        // The lease runs out and the delivery is tried again: at least once, never lost.
        tracing::warn!(error = %e.message, "could not record a delivery attempt");
    }
}

/// When to try again, or `None` when this was the last try.
fn next_attempt(
    config: &DispatcherConfig,
    job: &DeliveryJob,
    outcome: &AttemptOutcome,
) -> Option<chrono::DateTime<Utc>> {
    if outcome.succeeded() || !outcome.retryable() {
        return None;
    }
    let wait = *config.retry_schedule.get(job.attempt as usize - 1)?;
    let spread = wait.as_secs_f64() * config.jitter;
    let jittered = wait.as_secs_f64() + rand::thread_rng().gen_range(-spread..=spread);
    let wait = Duration::from_secs_f64(jittered.max(0.0));
    Some(Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(attempt: i64) -> DeliveryJob {
        DeliveryJob {
            delivery: "d".into(),
            webhook: "w".into(),
            url: String::new(),
            secret: String::new(),
            event_id: "e".into(),
            event_type: "t".into(),
            body: String::new(),
            attempt,
            format: Default::default(),
        }
    }

    fn outcome(status: Option<u16>) -> AttemptOutcome {
        AttemptOutcome { status, latency_ms: 1, error: None, response: String::new(), permanent: false }
    }

    #[test]
    fn backs_off_within_the_jitter_and_stops_when_the_schedule_ends() {
        let config = DispatcherConfig::default();
        for attempt in 1..=7 {
            let at = next_attempt(&config, &job(attempt), &outcome(Some(503))).expect("retried");
            let wait = (at - Utc::now()).num_milliseconds() as f64 / 1000.0;
            let base = config.retry_schedule[attempt as usize - 1].as_secs_f64();
            assert!(wait >= base * 0.79 && wait <= base * 1.21, "attempt {attempt}: {wait} s vs {base} s");
        }
        assert!(next_attempt(&config, &job(8), &outcome(Some(503))).is_none(), "the schedule is bounded");
        assert!(next_attempt(&config, &job(1), &outcome(Some(400))).is_none(), "4xx is final");
        assert!(next_attempt(&config, &job(1), &outcome(None)).is_some(), "no answer is retried");
    }
}

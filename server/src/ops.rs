//! What operators and their tools ask of a running process: `/healthz` (the process is up),
//! `/readyz` (it can serve: the store answers with the current schema, and it is not shutting
//! down), and Prometheus metrics at `/metrics`. These routes sit outside the sign-in layer;
//! `/metrics` checks its own bearer token (`--metrics-token`) or an administrator's token.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use quiver::Quiver;

/// Shared by the probes, the metrics endpoint and the shutdown sequence.
#[derive(Clone)]
pub struct Ops {
    quiver: Quiver,
    /// Set when shutdown begins: `/readyz` answers 503 so load balancers stop sending requests.
    draining: Arc<AtomicBool>,
    /// SHA-256 of the token Prometheus presents, when one is configured.
    metrics_token: Option<[u8; 32]>,
}

impl Ops {
    pub fn new(quiver: Quiver, metrics_token: Option<String>) -> Self {
        let metrics_token = metrics_token.filter(|t| !t.trim().is_empty()).map(|t| digest(t.trim()));
        Ops { quiver, draining: Arc::new(AtomicBool::new(false)), metrics_token }
    }

    /// From now on `/readyz` says this process is going away.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/healthz", get(|| async { (StatusCode::OK, "ok\n") }))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics))
            .with_state(self.clone())
    }
}

fn digest(token: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).into()
}

async fn readyz(State(ops): State<Ops>) -> Response {
    if ops.draining.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    match ops.quiver.ready(Duration::from_secs(2)).await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e.message, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "the store is not reachable or its schema is not current\n")
                .into_response()
        }
    }
}

async fn metrics(State(ops): State<Ops>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(bearer) = bearer else {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "Present the metrics token (--metrics-token) or an administrator's access token as a bearer token.\n",
        )
            .into_response();
    };
    let allowed = match ops.metrics_token {
        Some(expected) if subtle::ConstantTimeEq::ct_eq(&digest(bearer)[..], &expected[..]).into() => true,
        _ => ops.quiver.authenticate_token(bearer).await.is_ok_and(|p| p.admin),
    };
    if !allowed {
        return (StatusCode::FORBIDDEN, "This token may not read metrics.\n").into_response();
    }
    // Gauges read from the store at scrape time, so every process reports the same backlog.
    if let Ok((events, deliveries)) = ops.quiver.outbox_backlog().await {
        metrics::gauge!("quiver_outbox_events_pending").set(events as f64);
        metrics::gauge!("quiver_outbox_deliveries_pending").set(deliveries as f64);
    }
    if let Ok(sessions) = ops.quiver.active_sessions().await {
        metrics::gauge!("quiver_sessions_active").set(sessions as f64);
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], recorder().render()).into_response()
}

/// The process's Prometheus recorder (installed on first use; one per process).
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        const SECONDS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
        let recorder = PrometheusBuilder::new().set_buckets(SECONDS).expect("buckets are not empty").build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
        }
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            })
            .ok();
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_histogram!(
        "quiver_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "HTTP requests by method, route and status"
    );
    metrics::describe_histogram!(
        "quiver_db_query_seconds",
        metrics::Unit::Seconds,
        "SurrealDB queries (reads; writes including their retries)"
    );
    metrics::describe_counter!("quiver_read_cache_total", "Read cache lookups by result (hit, miss)");
    metrics::describe_counter!("quiver_webhook_deliveries_total", "Webhook delivery attempts by outcome");
    metrics::describe_gauge!("quiver_outbox_events_pending", "Events not yet fanned out to webhooks");
    metrics::describe_gauge!("quiver_outbox_deliveries_pending", "Webhook deliveries not yet sent or retrying");
    metrics::describe_gauge!("quiver_sessions_active", "Browser sessions that have not expired");
}

/// Records each request's duration by method, route (the pattern, not the path, so the number
/// of series stays bounded) and status.
pub async fn record(req: Request, next: Next) -> Response {
    let started = Instant::now();
    // Only the standard methods by name: any token is a valid method, and each would be a
    // new series that never goes away.
    let method = match *req.method() {
        Method::GET | Method::HEAD | Method::POST | Method::PUT | Method::PATCH | Method::DELETE | Method::OPTIONS => {
            req.method().as_str().to_owned()
        }
        _ => "OTHER".to_owned(),
    };
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let response = next.run(req).await;
    let route = route.unwrap_or_else(|| "other".into());
    let status = response.status().as_u16().to_string();
    metrics::histogram!("quiver_http_request_duration_seconds", "method" => method, "route" => route, "status" => status)
        .record(started.elapsed().as_secs_f64());
    response
}

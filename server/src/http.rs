//! The HTTP application: Leptos pages and server functions, the REST API, static assets, and
//! the authentication layer in front of all of them.

use std::net::SocketAddr;
use std::sync::Arc;

use app::{App, AppState, shell};
use axum::Router;
use axum::serve::ListenerExt;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use quiver::Quiver;

use axum::http::{HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::config::ServeArgs;

/// Everything the router needs besides the registry.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub site_root: String,
    pub addr: SocketAddr,
    pub session_ttl_secs: u64,
    pub secure_cookies: bool,
    pub proxy_trust: quiver::auth::ProxyTrust,
    pub mlflow: crate::mlflow::MlflowConfig,
    /// The bearer token Prometheus presents at /metrics (administrators' tokens also work).
    pub metrics_token: Option<String>,
}

/// Lifetime of the session cookie: the server-side session expires earlier when idle.
const COOKIE_MAX_AGE_SECS: u64 = 7 * 24 * 3600;

/// Builds the whole application router on top of `quiver`.
pub fn router(quiver: Quiver, config: &HttpConfig) -> Router {
    let ops = crate::ops::Ops::new(quiver.clone(), config.metrics_token.clone());
    router_with(quiver, config, &ops)
}

/// The application router with the probes and metrics of `ops` (which the shutdown drains).
pub fn router_with(quiver: Quiver, config: &HttpConfig, ops: &crate::ops::Ops) -> Router {
    crate::ops::recorder();
    let mut options = get_configuration(None).map(|c| c.leptos_options).unwrap_or_else(|_| {
        LeptosOptions::builder().output_name("quiver").site_root("target/site").site_pkg_dir("pkg").build()
    });
    options.output_name = Arc::from("quiver");
    options.site_root = Arc::from(config.site_root.as_str());
    options.site_addr = config.addr;
    let state = AppState {
        leptos_options: options,
        quiver,
        session_ttl_secs: COOKIE_MAX_AGE_SECS.max(config.session_ttl_secs),
        secure_cookies: config.secure_cookies,
        proxy_trust: config.proxy_trust.clone(),
    };
    let routes = generate_route_list(App);
    // The built assets are served here rather than by Leptos' fallback handler, which can give a
    // file the status of a page rendered concurrently on the same thread (a 404 page made the
    // WASM answer 404 and the page never became interactive). `no-cache`: names do not change
    // between builds, so browsers revalidate (and get 304 Not Modified).
    let pkg = tower::ServiceBuilder::new()
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-cache"),
        ))
        .service(
            tower_http::services::ServeDir::new(std::path::Path::new(&config.site_root).join("pkg"))
                .precompressed_br()
                .precompressed_gzip(),
        );
    // The script that adds the page's anti-forgery token to the app's requests (see `csrf`).
    let csrf_js = tower::ServiceBuilder::new()
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-cache"),
        ))
        .service(tower_http::services::ServeFile::new(std::path::Path::new(&config.site_root).join("csrf.js")));
    Router::new()
        .nest_service("/pkg", pkg)
        .route_service("/csrf.js", csrf_js)
        .nest("/api/quiver/v1", crate::rest::router())
        .nest("/api/2.1/unity-catalog", crate::uc::router())
        .route("/api/openapi.json", axum::routing::get(crate::openapi::serve))
        .merge(crate::mlflow::router(config.mlflow.clone()))
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(page_policy))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::auth::authenticate))
        .with_state(state)
        // Probes and metrics: outside sign-in (/metrics checks its own token).
        .merge(ops.router())
        .layer(axum::middleware::from_fn(crate::ops::record))
        // Each request's method, path, status and time, logged in its `request` span.
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::DEBUG))
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::DEBUG)),
        )
        .layer(axum::middleware::from_fn(crate::request::identify))
        // Headers every response carries: no sniffing types, no framing, no leaking paths in
        // referrers to other sites.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(NOT_A_PAGE_CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
}

/// Draws the nonce of a page's inline scripts (the shell hands it to Leptos, see `app::CspNonce`)
/// and sends the page's Content-Security-Policy naming it: scripts only from Quiver and those
/// inline ones (plus compiling the app's WASM); images from Quiver or data the page holds (no
/// remote tracking pixels in descriptions); never framed.
async fn page_policy(mut req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    req.extensions_mut().insert(app::CspNonce(nonce.clone()));
    let mut response = next.run(req).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        // `cargo leptos watch` reloads the page over a WebSocket on another port.
        let live_reload = if std::env::var_os("LEPTOS_WATCH").is_some() { " ws: wss:" } else { "" };
        let csp = format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; connect-src 'self'{live_reload}; object-src 'none'; base-uri 'self'; \
             form-action 'self'; frame-ancestors 'none'"
        );
        if let Ok(value) = HeaderValue::from_str(&csp) {
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    response
}

/// The Content-Security-Policy of everything that is not a page (JSON, files): nothing may run,
/// load or frame it. Pages set their own (with the nonce of their inline scripts, `app::shell`).
const NOT_A_PAGE_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `quiver serve`: opens the store, creates the first admin if needed, and serves until
/// interrupted.
pub async fn serve(args: ServeArgs) -> Result<(), String> {
    std::fs::create_dir_all(&args.data_dir)
        .map_err(|e| format!("cannot create the data directory {}: {e}", args.data_dir.display()))?;
    let quiver = Quiver::open(&args.store.to_config(), args.service_config()?).await.map_err(|e| e.message)?;
    quiver.pin_secret_key().await.map_err(|e| e.message)?;
    if let Some(password) = quiver.bootstrap_admin(args.admin_password.clone()).await.map_err(|e| e.message)? {
        println!(
            "\nCreated the administrator account.\n  username: admin\n  password: {password}\nThis password is shown once. Change it with `quiver user reset-password --username admin`.\n"
        );
    }
    let site_root = args.site_root.to_string_lossy().to_string();
    if !args.site_root.join("pkg").join("quiver.wasm").exists() {
        tracing::warn!(
            site_root,
            "web assets not found: pages render but stay static. Build them with `cargo leptos build` from the repository root, or pass --site-root"
        );
    }
    let names = quiver.config().mlflow_names.clone();
    quiver
        .ensure_schema(
            &quiver::services::system_actor(quiver::services::governance::Source::Cli),
            names.default_catalog.as_str(),
            names.default_schema.as_str(),
        )
        .await
        .map_err(|e| format!("cannot create the default schema {}: {}", args.mlflow_default_schema, e.message))?;
    let artifact_root = quiver.artifact_root().to_path_buf();
    std::fs::create_dir_all(&artifact_root)
        .map_err(|e| format!("cannot create the artifact directory {}: {e}", artifact_root.display()))?;
    let config = HttpConfig {
        site_root,
        addr: args.addr,
        session_ttl_secs: args.session_ttl_secs,
        secure_cookies: args.secure_cookies,
        proxy_trust: args.proxy_trust()?,
        mlflow: crate::mlflow::MlflowConfig { create_namespaces: args.mlflow_create_namespaces },
        metrics_token: args.metrics_token.clone(),
    };
    spawn_session_cleanup(quiver.clone());
    if args.scrub_interval_secs > 0 {
        spawn_scrub(quiver.clone(), std::time::Duration::from_secs(args.scrub_interval_secs));
    }
    let stop_dispatcher = tokio_util::sync::CancellationToken::new();
    let dispatcher = (!args.no_dispatcher).then(|| {
        crate::dispatcher::spawn_until(
            quiver.clone(),
            crate::dispatcher::DispatcherConfig::default(),
            stop_dispatcher.clone(),
        )
    });
    let ops = crate::ops::Ops::new(quiver.clone(), args.metrics_token.clone());
    let app = router_with(quiver, &config, &ops);
    let listener =
        tokio::net::TcpListener::bind(args.addr).await.map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!("Quiver is listening on http://{local}");
    println!("Quiver is listening on http://{local}");
    let delay = std::time::Duration::from_secs(args.shutdown_delay_secs);
    let shutdown = async move {
        shutdown_signal().await;
        // Whatever hangs (a store that went away first), the process ends this long after.
        std::thread::spawn(move || {
            std::thread::sleep(delay + SHUTDOWN_GRACE);
            eprintln!("error: still stopping {} s after the signal; exiting", (delay + SHUTDOWN_GRACE).as_secs());
            std::process::exit(1);
        });
        // Not ready any more: load balancers stop sending new requests during the delay, then
        // the listener closes and the requests in flight finish.
        ops.drain();
        if !delay.is_zero() {
            tracing::info!(seconds = delay.as_secs(), "draining before closing the listener");
            tokio::time::sleep(delay).await;
        }
    };
    let served = serve_until(listener, app, shutdown).await;
    // The deliveries being sent finish and are recorded; the ones claimed but not started are
    // given back to the other processes.
    stop_dispatcher.cancel();
    if let Some(dispatcher) = dispatcher {
        if tokio::time::timeout(SHUTDOWN_GRACE / 2, dispatcher).await.is_err() {
            tracing::warn!("the webhook dispatcher did not stop in time; its leases run out instead");
        }
    }
    tracing::info!("stopped");
    served
}

/// How long stopping may take after the drain delay: requests in flight finish, deliveries
/// being sent are recorded, leases are given back. Past it the process exits anyway.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// Serves `app` on `listener` with TCP_NODELAY on every accepted socket until Ctrl-C/SIGTERM.
pub async fn serve_on(listener: tokio::net::TcpListener, app: Router) -> Result<(), String> {
    serve_until(listener, app, shutdown_signal()).await
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
async fn serve_until(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!("cannot set TCP_NODELAY: {e}");
        }
    });
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| e.to_string())
}

/// Re-checks every registered version's stored files at `every` (the first time after one
/// interval, not at start). What no longer matches is audited and raised as an event.
fn spawn_scrub(quiver: Quiver, every: std::time::Duration) {
    tokio::spawn(async move {
        let actor = quiver::services::system_actor(quiver::services::governance::Source::Cli);
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        let me = uuid::Uuid::new_v4().to_string();
        loop {
            ticks.tick().await;
            // One process per interval re-reads the files, not every process on a shared store.
            match quiver.take_turn("scrub", &me, every).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!("scrub: cannot tell whose turn it is: {}", e.message);
                    continue;
                }
            }
            match quiver.verify_versions(&actor, None).await {
                Ok(r) if r.failures.is_empty() => {
                    tracing::info!(files = r.files, versions = r.versions, "scrub: every file matches")
                }
                Ok(r) => tracing::warn!(
                    failures = r.failures.len(),
                    files = r.files,
                    "scrub: registered files no longer match"
                ),
                Err(e) => tracing::warn!("scrub failed: {}", e.message),
            }
        }
    });
}

/// Deletes expired sessions once an hour.
fn spawn_session_cleanup(quiver: Quiver) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match quiver.purge_expired_sessions().await {
                Ok(0) => {}
                Ok(n) => tracing::info!("deleted {n} expired sessions"),
                Err(e) => tracing::warn!("could not delete expired sessions: {}", e.message),
            }
            let _ = quiver.purge_sign_in_failures().await;
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

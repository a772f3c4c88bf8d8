//! The service layer: the only way into the registry. UI server functions, REST handlers and
//! the CLI all call these methods with the acting principal.

mod access;
mod accounts;
mod activity;
mod aliases;
mod approvals;
mod artifact_access;
mod artifacts;
mod audit;
mod cache;
mod catalogs;
mod comments;
mod copy;
mod datasets;
mod experiment_access;
mod experiments;
mod grants;
mod lineage;
mod logged_models;
mod mlflow_payload;
mod models;
mod outbox;
mod paging;
mod policies;
mod principals;
mod quiver_payload;
mod rows;
mod schemas;
mod search;
mod stages;
mod tags;
mod tokens;
mod tracking;
mod tracking_search;
mod version_batch;
mod versions;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

pub use access::Target;
pub use accounts::LoginSession;
pub use artifacts::resolve_artifact_path;
pub use grants::Securable;
pub use lineage::MAX_CHART_POINTS;
pub use logged_models::{DatasetRef, MAX_LOGGED_MODELS_PER_SEARCH};
pub use outbox::{AttemptOutcome, DeliveryJob};
pub use tags::TagTarget;
pub use tracking_search::{MAX_RUNS_PER_SEARCH, RunSearch};
pub use version_batch::RegistrationCounts;
pub use versions::NewVersion;

use crate::auth::LoginThrottle;
use crate::error::{Error, Result};
use crate::store::{self, Db, StoreConfig};
use crate::types::{Actor, Principal, Source};

/// Tunables of the service layer.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// A browser session ends after this long without activity.
    pub session_idle: Duration,
    /// ... and after this long in any case.
    pub session_max: Duration,
    pub login_max_failures: u32,
    pub login_window: Duration,
    pub login_lockout: Duration,
    /// Where `mlflow-artifacts:/…` files live.
    pub artifact_root: std::path::PathBuf,
    /// `catalog.schema` of one-part model names (MLflow clients' `iris`).
    pub default_schema: String,
    /// How many models a search reads in name order before it asks an index for candidates.
    pub search_walk_budget: i64,
    /// Keep hot reads in memory (only ever on for an embedded store, see `services/cache.rs`).
    pub read_cache: bool,
    /// Encrypts webhook secrets at rest (the key lives outside the store).
    pub sealer: crate::sealer::Sealer,
    /// Let webhooks reach private and loopback addresses (never link-local or metadata ones).
    pub webhook_allow_private: bool,
    /// How long one delivery attempt may take.
    pub webhook_timeout: Duration,
    /// Failed attempts in a row after which a webhook is flagged as failing.
    pub webhook_flag_after: i64,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            session_idle: Duration::from_secs(12 * 3600),
            session_max: Duration::from_secs(7 * 24 * 3600),
            login_max_failures: 5,
            login_window: Duration::from_secs(15 * 60),
            login_lockout: Duration::from_secs(5 * 60),
            artifact_root: std::path::PathBuf::from("data/artifacts"),
            default_schema: "main.default".into(),
            search_walk_budget: 2000,
            read_cache: true,
            sealer: crate::sealer::Sealer::random(),
            webhook_allow_private: false,
            webhook_timeout: Duration::from_secs(10),
            webhook_flag_after: 5,
        }
    }
}

/// Handle to the registry. Cheap to clone.
#[derive(Clone)]
pub struct Quiver {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    config: ServiceConfig,
    throttle: LoginThrottle,
    basic_cache: crate::auth::BasicCache,
    cache: cache::ReadCache,
    /// Deliveries go out through this client (outbound policy, no redirects, timeouts).
    http: reqwest::Client,
    /// Rings after writes: the webhook dispatcher wakes up for new events.
    wakeup: Arc<tokio::sync::Notify>,
    /// Version registrations waiting to share a transaction.
    versions: version_batch::VersionQueue,
}

impl Quiver {
    /// Opens the store described by `store` and returns the services on top of it.
    pub async fn open(store: &StoreConfig, config: ServiceConfig) -> Result<Self> {
        // The read cache is coherent only when this process is the store's one writer.
        let embedded = store.url.starts_with("surrealkv://") || store.url.starts_with("mem://");
        Ok(Self::build(store::open(store).await?, config, embedded))
    }

    /// Services on an open store, without the read cache (another handle may write to it).
    pub fn with_db(db: Db, config: ServiceConfig) -> Self {
        Self::build(db, config, false)
    }

    fn build(db: Db, config: ServiceConfig, cache: bool) -> Self {
        let throttle = LoginThrottle::new(config.login_max_failures, config.login_window, config.login_lockout);
        let cache = cache::ReadCache::new(cache && config.read_cache);
        let http = outbox::http_client(config.webhook_allow_private, config.webhook_timeout);
        let wakeup = Arc::new(tokio::sync::Notify::new());
        let versions = Default::default();
        Quiver {
            inner: Arc::new(Inner {
                db,
                config,
                throttle,
                basic_cache: Default::default(),
                cache,
                http,
                wakeup,
                versions,
            }),
        }
    }

    /// `load`'s answer, from the read cache when no write happened since it was read.
    async fn cached<T, F, Fut>(&self, class: cache::Class, key: String, load: F) -> Result<T>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        if let Some(hit) = self.inner.cache.get::<T>(&key) {
            return Ok(hit);
        }
        let generation = self.inner.cache.generation(class);
        let value = load().await?;
        self.inner.cache.put(class, key, generation, value.clone());
        Ok(value)
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The store, to open more handles with other settings ([`Quiver::with_db`]).
    pub fn store(&self) -> &Db {
        &self.inner.db
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.inner.config
    }
}

/// The actor for work done by Quiver itself or by an operator at the command line.
pub fn system_actor(source: Source) -> Actor {
    Actor {
        principal: Principal { user_id: String::new(), username: "system".into(), admin: true },
        source,
        request_id: String::new(),
    }
}

/// Deny by default: only administrators pass.
fn require_admin(actor: &Actor, what: &str) -> Result<()> {
    if actor.principal.admin {
        Ok(())
    } else {
        Err(Error::permission_denied(format!("Only administrators may {what}.")))
    }
}

/// Descriptions are free text up to a bound.
const MAX_DESCRIPTION_LEN: usize = 100_000;

fn check_description(description: &str) -> Result<()> {
    if description.len() > MAX_DESCRIPTION_LEN {
        return Err(Error::invalid(
            "description",
            format!("The description must be at most {MAX_DESCRIPTION_LEN} bytes."),
        ));
    }
    Ok(())
}

type Query<'a> = surrealdb::method::Query<'a, surrealdb::engine::any::Any>;

impl Quiver {
    /// A query on the store; values go in with `.bind(..)`, never into the text.
    fn q(&self, sql: &str) -> Query<'_> {
        self.db().query(sql.to_string())
    }

    /// Runs a read and returns its results, or an internal error (logged, not shown).
    async fn read(&self, query: Query<'_>) -> Result<surrealdb::IndexedResults> {
        let res = query.await.map_err(store::internal)?;
        store::first_error(res).map_err(store::internal)
    }

    /// A write that only keeps records tidy (last-used times, sliding expiry). A concurrent
    /// request may win the race for the same record, which is fine: failures are logged, not
    /// returned, so the caller's request goes on.
    async fn bookkeeping(&self, query: Query<'_>, what: &str) {
        if let Err(e) = query.await.and_then(store::first_error) {
            tracing::debug!(error = %e, "skipped updating the {what}");
        }
    }

    /// Runs a write, retrying on transaction conflicts. Domain conditions raised with `THROW`
    /// (see [`thrown_not_found`]) become their errors; a unique-index collision becomes
    /// `on_unique(index name)`.
    async fn write<'a>(
        &'a self,
        build: impl Fn() -> Query<'a>,
        on_unique: impl Fn(&str) -> Error,
    ) -> Result<surrealdb::IndexedResults> {
        self.write_changing(cache::Changed::Everything, build, on_unique).await
    }

    /// [`Quiver::write`] for a change to the registry's content only (see [`cache::Changed`]):
    /// cached tokens and privileges stay valid.
    async fn write_content<'a>(
        &'a self,
        build: impl Fn() -> Query<'a>,
        on_unique: impl Fn(&str) -> Error,
    ) -> Result<surrealdb::IndexedResults> {
        self.write_changing(cache::Changed::Content, build, on_unique).await
    }

    async fn write_changing<'a>(
        &'a self,
        changed: cache::Changed,
        build: impl Fn() -> Query<'a>,
        on_unique: impl Fn(&str) -> Error,
    ) -> Result<surrealdb::IndexedResults> {
        let result = store::run_retrying(|| std::future::IntoFuture::into_future(build())).await;
        // Whatever happened, cached reads from before this write are no longer served.
        self.inner.cache.invalidate(changed);
        if result.is_ok() {
            self.inner.wakeup.notify_one();
        }
        result.map_err(|e| write_error(e, on_unique))
    }
}

/// For writes that touch no unique index: a collision there would be a bug in Quiver.
fn no_unique(index: &str) -> Error {
    Error::internal(format!("unexpected unique violation on {index}"))
}

const THROWN_NOT_FOUND: &str = "QV:NOT_FOUND:";
const THROWN_PRECONDITION: &str = "QV:PRECONDITION:";
const THROWN_DENIED: &str = "QV:DENIED:";
const THROWN_EXISTS: &str = "QV:EXISTS:";

/// The value to `THROW` from SurrealQL for a missing object (bound as a parameter).
fn thrown_not_found(e: &Error) -> String {
    format!("{THROWN_NOT_FOUND}{}", e.message)
}

/// The value to `THROW` from SurrealQL when the state forbids the change.
fn thrown_precondition(message: &str) -> String {
    format!("{THROWN_PRECONDITION}{message}")
}

/// The value to `THROW` when the name is taken (the error keeps its field).
fn thrown_exists(e: &Error) -> String {
    format!("{THROWN_EXISTS}{}:{}", e.field.as_deref().unwrap_or(""), e.message)
}

/// The value to `THROW` when the caller may not make the change.
fn thrown_denied(message: &str) -> String {
    format!("{THROWN_DENIED}{message}")
}

fn write_error(e: surrealdb::Error, on_unique: impl Fn(&str) -> Error) -> Error {
    if let Some(t) = store::thrown(&e) {
        if let Some(m) = t.strip_prefix(THROWN_NOT_FOUND) {
            return Error::not_found(m);
        }
        if let Some(m) = t.strip_prefix(THROWN_PRECONDITION) {
            return Error::precondition(m);
        }
        if let Some(m) = t.strip_prefix(THROWN_DENIED) {
            return Error::permission_denied(m);
        }
        if let Some((field, m)) = t.strip_prefix(THROWN_EXISTS).and_then(|r| r.split_once(':')) {
            return Error::already_exists(field, m);
        }
    }
    if let Some(index) = store::unique_violation(&e) {
        return on_unique(&index);
    }
    Error::internal(e)
}

/// Takes the value of the `RETURN` that ends a `BEGIN … RETURN …; COMMIT` block.
fn returned<T: surrealdb::types::SurrealValue>(res: &mut surrealdb::IndexedResults) -> Result<Option<T>> {
    let n = res.num_statements();
    if n < 2 {
        return Err(Error::internal("transaction returned no rows"));
    }
    res.take(n - 2).map_err(store::internal)
}

/// Takes the rows of the `RETURN` that ends a `BEGIN … RETURN …; COMMIT` block.
fn returned_rows<T: surrealdb::types::SurrealValue>(res: &mut surrealdb::IndexedResults) -> Result<Vec<T>> {
    let n = res.num_statements();
    if n < 2 {
        return Err(Error::internal("transaction returned no rows"));
    }
    res.take(n - 2).map_err(store::internal)
}

/// `$who` for the history functions (`fn::activity`, `fn::alias_event`): who acted, through
/// which surface, in which request.
fn who(actor: &Actor) -> serde_json::Value {
    let source = match actor.source {
        Source::Ui => "ui",
        Source::Rest => "rest",
        Source::Cli => "cli",
    };
    serde_json::json!({ "by": actor.principal.username, "source": source, "request_id": actor.request_id })
}

/// Binds `$at` and `$key`, the keyset position of a list sorted oldest first by (time, id) in
/// `table`; without a cursor, before the first item.
fn bind_time_cursor<'a>(query: Query<'a>, table: &str, cursor: Option<paging::TimeCursor>) -> Query<'a> {
    let (at, key) = cursor.map(|c| (c.at, c.key)).unwrap_or((chrono::DateTime::<chrono::Utc>::MIN_UTC, String::new()));
    query.bind(("at", at)).bind(("key", surrealdb::types::RecordId::new(table, key)))
}

/// Binds `$at_desc` and `$key`, the keyset position of a list sorted newest first by
/// (`at_desc`, id) in `table`; without a cursor, before the first item.
fn bind_cursor<'a>(query: Query<'a>, table: &str, cursor: Option<paging::NewestCursor>) -> Query<'a> {
    let (at_desc, key) = cursor.map(|c| (c.at_desc, c.key)).unwrap_or((i64::MIN, String::new()));
    query.bind(("at_desc", at_desc)).bind(("key", surrealdb::types::RecordId::new(table, key)))
}

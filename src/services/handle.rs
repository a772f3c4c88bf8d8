//! The `Quiver` handle every surface holds: the store, the settings, and the shared state of
//! the services (read cache, login throttle, webhook client, version writers). Cheap to clone.

use std::sync::Arc;
use std::time::Duration;

use super::cache;
use crate::auth::LoginThrottle;
use crate::error::Result;
use crate::names::MlflowNames;
use crate::services::governance::{Actor, Principal, Source};
use crate::services::registry::version_queue::VersionQueue;
use crate::services::storage::{ArtifactStore, LocalDisk};
use crate::store::{self, Db, StoreConfig};

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
    /// Largest artifact file accepted, in bytes.
    pub max_artifact_bytes: u64,
    /// Artifact bytes one experiment may store (0: no quota).
    pub experiment_quota_bytes: u64,
    /// Artifact bytes one user may store, across experiments (0: no quota).
    pub user_quota_bytes: u64,
    /// Where one-part model names (MLflow clients' `iris`) live: `main.default` by default.
    pub mlflow_names: MlflowNames,
    /// How many models a search reads in name order before it asks an index for candidates.
    pub search_walk_budget: i64,
    /// Keep hot reads in memory (see `services/cache.rs`; on a shared store kept coherent with
    /// the other processes' writes, see `services/coherence.rs`).
    pub read_cache: bool,
    /// What the read cache may hold, in bytes (its entries weighed, see `cache::Weigh`).
    pub read_cache_bytes: usize,
    /// Encrypts webhook secrets at rest (the key lives outside the store).
    pub sealer: crate::sealer::Sealer,
    /// Let webhooks reach private and loopback addresses (never link-local or metadata ones).
    pub webhook_allow_private: bool,
    /// How long one delivery attempt may take.
    pub webhook_timeout: Duration,
    /// Failed attempts in a row after which a webhook is flagged as failing.
    pub webhook_flag_after: i64,
    /// How long a query (a write with its retries) may wait for the store before the request
    /// fails as unavailable (503) instead of hanging while a SurrealDB server is away.
    pub query_timeout: Duration,
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
            max_artifact_bytes: 5 * 1024 * 1024 * 1024,
            experiment_quota_bytes: 0,
            user_quota_bytes: 0,
            mlflow_names: MlflowNames::default(),
            search_walk_budget: 2000,
            read_cache: true,
            read_cache_bytes: cache::DEFAULT_MAX_BYTES,
            sealer: crate::sealer::Sealer::random(),
            webhook_allow_private: false,
            webhook_timeout: Duration::from_secs(10),
            webhook_flag_after: 5,
            query_timeout: Duration::from_secs(30),
        }
    }
}

/// Handle to the registry. Cheap to clone.
#[derive(Clone)]
pub struct Quiver {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) db: Db,
    pub(super) config: ServiceConfig,
    pub(super) throttle: LoginThrottle,
    pub(super) basic_cache: crate::auth::BasicCache,
    pub(super) cache: cache::ReadCache,
    /// Deliveries go out through this client (outbound policy, no redirects, timeouts).
    pub(super) http: std::sync::OnceLock<reqwest::Client>,
    /// Rings after writes: the webhook dispatcher wakes up for new events.
    pub(super) wakeup: Arc<tokio::sync::Notify>,
    /// Version registrations waiting to share a transaction.
    pub(super) versions: VersionQueue,
    /// Where artifact files live.
    pub(super) artifacts: Arc<dyn ArtifactStore>,
    /// Other Quiver processes may share the store (a SurrealDB server): what one process
    /// remembers in memory (HTTP Basic checks, sign-in failures, the read cache) is checked
    /// against the store.
    pub(super) shared: std::sync::atomic::AtomicBool,
    /// This process's writes published to, and the others' read from, the store.
    pub(super) coherence: super::coherence::Coherence,
}

impl Quiver {
    /// Opens the store described by `store` and returns the services on top of it.
    pub async fn open(store: &StoreConfig, config: ServiceConfig) -> Result<Self> {
        // Alone on an embedded store; on a server, other processes may write too.
        let embedded = store.url.starts_with("surrealkv://") || store.url.starts_with("mem://");
        let quiver = Self::build(store::open(store).await?, config, embedded);
        if let Err(e) = quiver.forget_gone_processes().await {
            tracing::warn!(error = %e.message, "could not remove the cache generations of processes gone for a week");
        }
        Ok(quiver)
    }

    /// Whether other Quiver processes may share this store.
    pub fn is_shared(&self) -> bool {
        self.inner.shared.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Whether this process should run the periodic job `job` now: on a shared store one
    /// process per `every` takes the turn (a lease in `meta`), so N processes do not all re-read
    /// every stored file; alone, always.
    pub async fn take_turn(&self, job: &str, holder: &str, every: std::time::Duration) -> Result<bool> {
        if !self.is_shared() {
            return Ok(true);
        }
        store::take_turn(&self.inner.db, job, holder, every).await
    }

    /// Refuses to serve when this process's secret key is not the one the store's secrets are
    /// sealed with (the first server to start on a store records its key's fingerprint).
    pub async fn pin_secret_key(&self) -> Result<()> {
        store::pin_sealer(&self.inner.db, self.config().sealer.fingerprint()).await
    }

    /// Ready to serve: the store answers, within `timeout`, with the schema this build writes.
    pub async fn ready(&self, timeout: std::time::Duration) -> Result<()> {
        let check = async {
            let version: Option<i64> = self.answer(self.q("RETURN meta:schema.schema_version")).await?;
            match version {
                Some(v) if v == store::SCHEMA_VERSION => Ok(()),
                other => Err(crate::error::Error::new(
                    crate::error::ErrorKind::FailedPrecondition,
                    format!("the store's schema is {other:?}, this Quiver writes {}", store::SCHEMA_VERSION),
                )),
            }
        };
        tokio::time::timeout(timeout, check)
            .await
            .map_err(|_| crate::error::Error::internal("the store did not answer in time"))?
    }

    /// Another handle on the same store with other settings, as a second Quiver process on a
    /// shared store has (its own read cache, its writes not passing through this one). Both
    /// handles treat the store as shared from now on.
    pub fn handle_with(&self, config: ServiceConfig) -> Self {
        self.inner.shared.store(true, std::sync::atomic::Ordering::Release);
        Self::build(self.inner.db.clone(), config, false)
    }

    fn build(db: Db, config: ServiceConfig, alone: bool) -> Self {
        let throttle = LoginThrottle::new(config.login_max_failures, config.login_window, config.login_lockout);
        let cache = cache::ReadCache::new(config.read_cache, config.read_cache_bytes);
        let wakeup = Arc::new(tokio::sync::Notify::new());
        let versions = Default::default();
        let artifacts: Arc<dyn ArtifactStore> = Arc::new(LocalDisk::new(config.artifact_root.clone()));
        Quiver {
            inner: Arc::new(Inner {
                db,
                config,
                throttle,
                basic_cache: Default::default(),
                cache,
                http: Default::default(),
                wakeup,
                versions,
                artifacts,
                shared: std::sync::atomic::AtomicBool::new(!alone),
                coherence: super::coherence::Coherence::new(),
            }),
        }
    }

    /// `load`'s answer, from the read cache when no write happened since it was read (on any
    /// process sharing the store).
    pub(super) async fn cached<T, F, Fut>(&self, class: cache::Class, key: String, load: F) -> Result<T>
    where
        T: Clone + Send + Sync + cache::Weigh + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        self.cache_current().await?;
        if let Some(hit) = self.inner.cache.get::<T>(&key) {
            metrics::counter!("quiver_read_cache_total", "result" => "hit").increment(1);
            return Ok(hit);
        }
        if self.inner.cache.enabled() {
            metrics::counter!("quiver_read_cache_total", "result" => "miss").increment(1);
        }
        let generation = self.inner.cache.generation(class);
        let value = load().await?;
        let weight = value.weight();
        self.inner.cache.put(class, key, generation, value.clone(), weight);
        Ok(value)
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The raw store, for tests and benchmarks that set up or inspect what the services cannot
    /// (old schema versions, raw statement costs). Everything else goes through the services.
    #[cfg(any(test, feature = "test-util"))]
    pub fn store(&self) -> &Db {
        &self.inner.db
    }

    /// Reads answered from this process's read cache so far.
    pub fn read_cache_hits(&self) -> u64 {
        self.inner.cache.hits()
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

//! The SurrealDB store: connection, schema, and the few helpers every query needs. Only the
//! core reaches it: every other caller goes through the services ([`crate::Quiver`]).

use std::future::IntoFuture;
use std::time::Duration;

use sha2::Digest;

use surrealdb::engine::any::{self, Any};
use surrealdb::opt::auth::{Database, Namespace, Root};
use surrealdb::types::{QueryError, RecordId, RecordIdKey, SurrealValue, ToSql};
use surrealdb::{IndexedResults, Surreal};

use crate::error::{Error, Result};

pub(crate) use errors::{Recognised, recognise, throwable};

mod errors;
pub(crate) mod journal;
mod transfer;
pub use transfer::{export, import};
#[cfg(test)]
mod upgrade_tests;

pub(crate) type Db = Surreal<Any>;

/// The schema version this build writes. Bumped with every schema change.
pub const SCHEMA_VERSION: i64 = 17;
const SCHEMA: &str = include_str!("schema.surql");

/// Where the store lives and how to reach it.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `surrealkv://PATH`, `mem://` or `ws://HOST:PORT`.
    pub url: String,
    pub user: Option<String>,
    pub pass: Option<String>,
    /// Which kind of SurrealDB user `user` is: a database user by default (least privilege:
    /// it can reach Quiver's database only), or a namespace or root user.
    pub auth_level: AuthLevel,
    pub namespace: String,
    pub database: String,
    /// For `wss://`: CA certificates (PEM) to trust besides the public roots.
    pub ca_file: Option<std::path::PathBuf>,
}

/// The level a remote SurrealDB user is defined at (`DEFINE USER … ON DATABASE|NAMESPACE|ROOT`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AuthLevel {
    #[default]
    Database,
    Namespace,
    Root,
}

impl AuthLevel {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "database" | "db" => Some(AuthLevel::Database),
            "namespace" | "ns" => Some(AuthLevel::Namespace),
            "root" => Some(AuthLevel::Root),
            _ => None,
        }
    }
}

impl StoreConfig {
    pub fn memory() -> Self {
        StoreConfig {
            url: "mem://".into(),
            user: None,
            pass: None,
            auth_level: AuthLevel::Database,
            namespace: "quiver".into(),
            database: "quiver".into(),
            ca_file: None,
        }
    }
}

/// Opens the store and brings its schema up to date.
pub(crate) async fn open(config: &StoreConfig) -> Result<Db> {
    if let Some(path) = config.url.strip_prefix("surrealkv://") {
        if let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::internal(format!("cannot create {}: {e}", parent.display())))?;
        }
    }
    let db = connect_as(config).await?;
    migrate(&db).await?;
    Ok(db)
}

/// Connects and signs in, without touching the schema.
pub(crate) async fn connect_as(config: &StoreConfig) -> Result<Db> {
    let db = match &config.ca_file {
        Some(ca) if config.url.starts_with("wss://") => connect_tls(&config.url, ca).await?,
        Some(_) => {
            return Err(Error::new(
                crate::error::ErrorKind::InvalidArgument,
                format!("--db-ca-file is for wss:// servers; {} is not one", config.url),
            ));
        }
        None => connect(&config.url).await?,
    };
    if let (Some(user), Some(pass)) = (&config.user, &config.pass) {
        let (username, password) = (user.clone(), pass.clone());
        let (namespace, database) = (config.namespace.clone(), config.database.clone());
        let signed_in = match config.auth_level {
            AuthLevel::Database => db.signin(Database { namespace, database, username, password }).await.map(|_| ()),
            AuthLevel::Namespace => db.signin(Namespace { namespace, username, password }).await.map(|_| ()),
            AuthLevel::Root => db.signin(Root { username, password }).await.map(|_| ()),
        };
        // Said to the operator starting Quiver (not to API callers): which user, at which level.
        signed_in.map_err(|e| {
            Error::new(
                crate::error::ErrorKind::FailedPrecondition,
                format!("cannot sign in to {} as the {:?} user {user}: {e}", config.url, config.auth_level),
            )
        })?;
    }
    db.use_ns(config.namespace.as_str()).use_db(config.database.as_str()).await.map_err(internal)?;
    Ok(db)
}

/// Connects, waiting up to two seconds for an embedded store that a process (or a dropped
/// handle in this one) is still releasing.
async fn connect(url: &str) -> Result<Db> {
    install_tls_provider();
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    loop {
        match any::connect(url).await {
            Ok(db) => return Ok(db),
            Err(e) if recognise(&e) == Recognised::Locked => {
                if std::time::Instant::now() >= deadline {
                    return Err(Error::new(
                        crate::error::ErrorKind::FailedPrecondition,
                        format!("the store at {url} is in use by another process"),
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => return Err(Error::internal(format!("cannot open the store at {url}: {e}"))),
        }
    }
}

/// Picks rustls's cryptography for the process. Both of its providers are in the build (the
/// HTTP client brings `ring`, SurrealDB's client `aws-lc-rs`), so rustls cannot choose one by
/// itself and a `wss://` connection would panic without this. Idempotent.
fn install_tls_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Connects to a `wss://` server whose certificate chains to a CA in `ca_file` (PEM) or to one
/// of the public roots.
async fn connect_tls(url: &str, ca_file: &std::path::Path) -> Result<Db> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let unreadable = |e: &dyn std::fmt::Display| {
        Error::new(
            crate::error::ErrorKind::InvalidArgument,
            format!("cannot read the CA certificates in {}: {e}", ca_file.display()),
        )
    };
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let mut added = 0;
    for cert in CertificateDer::pem_file_iter(ca_file).map_err(|e| unreadable(&e))? {
        roots.add(cert.map_err(|e| unreadable(&e))?).map_err(|e| unreadable(&e))?;
        added += 1;
    }
    if added == 0 {
        return Err(unreadable(&"no certificate in it"));
    }
    install_tls_provider();
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let config = surrealdb::opt::Config::new().rustls(tls);
    any::connect((url.to_string(), config))
        .await
        .map_err(|e| Error::internal(format!("cannot open the store at {url}: {e}")))
}

/// How long a process may hold the migration lock before others take over (it crashed).
const MIGRATION_LEASE: Duration = Duration::from_secs(120);
/// How long a starting process waits for another one's migration at most.
const MIGRATION_WAIT: Duration = Duration::from_secs(600);

/// Brings the schema up to date unless the store was written by a newer Quiver. Several
/// processes starting together on one server take turns: one holds a lease on `meta:migration`
/// and migrates, the others wait until the version is current (or the lease runs out).
async fn migrate(db: &Db) -> Result<()> {
    let holder = hex::encode(rand::random::<[u8; 16]>());
    let schema = rendered_schema();
    let hash = hex::encode(sha2::Sha256::digest(schema.as_bytes()));
    let deadline = std::time::Instant::now() + MIGRATION_WAIT;
    let mut waited = false;
    prepare_meta(db).await?;
    loop {
        let state = migration_state(db, &holder, &hash).await?;
        if let Some(v) = state.version.filter(|v| *v > SCHEMA_VERSION) {
            return Err(Error::internal(format!(
                "the store has schema version {v}, newer than this Quiver understands ({SCHEMA_VERSION}); upgrade Quiver"
            )));
        }
        if state.current {
            return Ok(());
        }
        if state.holder.as_deref() == Some(holder.as_str()) {
            let applied = apply_schema(db, &schema, &hash, state.version, &holder).await;
            let released =
                db.query("DELETE meta:migration WHERE holder = $holder").bind(("holder", holder.clone())).await;
            applied?;
            released.map_err(internal)?;
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            return Err(Error::new(
                crate::error::ErrorKind::FailedPrecondition,
                format!(
                    "another Quiver process ({}) has been upgrading the store's schema for over {} s",
                    state.holder.unwrap_or_default(),
                    MIGRATION_WAIT.as_secs()
                ),
            ));
        }
        if !waited {
            tracing::info!(other = ?state.holder, "another Quiver process is upgrading the schema; waiting");
            waited = true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The schema this build applies, with the functions Rust renders spliced in.
fn rendered_schema() -> String {
    SCHEMA.replace("\n-- @journal\n", &format!("\n{}\n", journal::functions()))
}

#[derive(SurrealValue)]
struct MigrationState {
    version: Option<i64>,
    /// The store has this build's version and exactly this build's schema text.
    current: bool,
    holder: Option<String>,
}

/// The `meta` table the migration lease and the key fingerprint live in (once per start).
async fn prepare_meta(db: &Db) -> Result<()> {
    run_retrying(|| async {
        db.query(
            "DEFINE TABLE IF NOT EXISTS meta SCHEMAFULL;
             DEFINE FIELD OVERWRITE schema_version ON meta TYPE option<int>;
             DEFINE FIELD IF NOT EXISTS schema_hash ON meta TYPE option<string>;
             DEFINE FIELD IF NOT EXISTS migrations ON meta TYPE option<int>;
             DEFINE FIELD IF NOT EXISTS holder ON meta TYPE option<string>;
             DEFINE FIELD IF NOT EXISTS lease_until ON meta TYPE option<datetime>;
             DEFINE FIELD IF NOT EXISTS sealer ON meta TYPE option<string>;",
        )
        .await
    })
    .await
    .map(|_| ())
    .map_err(internal)
}

/// The schema version, whether the store's schema is this build's, and who holds the migration
/// lease, taking the lease when the schema is not current and the lease is free or has run out
/// (in one transaction, so two processes cannot both take it).
async fn migration_state(db: &Db, holder: &str, hash: &str) -> Result<MigrationState> {
    let attempt = || {
        db.query(
            "BEGIN TRANSACTION;
             LET $version = meta:schema.schema_version;
             LET $current = $version = $ours AND meta:schema.schema_hash = $hash;
             IF !$current AND (meta:migration.lease_until = NONE OR meta:migration.lease_until < time::now()) {
                 UPSERT meta:migration SET holder = $holder, lease_until = time::now() + $lease;
             };
             RETURN { version: $version, current: $current, holder: meta:migration.holder };
             COMMIT TRANSACTION;",
        )
        .bind(("holder", holder.to_string()))
        .bind(("ours", SCHEMA_VERSION))
        .bind(("hash", hash.to_string()))
        .bind(("lease", surrealdb::types::Duration::from(MIGRATION_LEASE)))
    };
    let mut res = run_retrying(|| async { attempt().await }).await.map_err(internal)?;
    returned::<Option<MigrationState>>(&mut res)?.ok_or_else(|| internal("no migration state"))
}

/// Applies the schema (every part idempotent) in the transactions its `-- @commit` lines
/// separate; the version and the schema's hash are written with the last, so an interrupted
/// upgrade runs again. Each part renews the lease first, and one that finds the lease taken by
/// another process (this one took too long) stops.
async fn apply_schema(db: &Db, schema: &str, hash: &str, current: Option<i64>, holder: &str) -> Result<()> {
    let parts: Vec<&str> = schema.split("\n-- @commit\n").collect();
    for (i, part) in parts.iter().enumerate() {
        let stamp = if i + 1 == parts.len() {
            "UPSERT meta:schema SET schema_version = $version, schema_hash = $hash,
                 migrations = (meta:schema.migrations ?? 0) + 1;"
        } else {
            ""
        };
        let sql = format!(
            "BEGIN TRANSACTION;
             IF meta:migration.holder != $holder {{ THROW 'another process took over the schema upgrade' }};
             UPDATE meta:migration SET lease_until = time::now() + $lease;
             {part}
             {stamp}
             COMMIT TRANSACTION;"
        );
        // Every part is idempotent, so a conflict (another process defining `meta`, an old
        // build still writing) is retried like any write.
        run_retrying(|| {
            db.query(sql.clone())
                .bind(("version", SCHEMA_VERSION))
                .bind(("hash", hash.to_string()))
                .bind(("holder", holder.to_string()))
                .bind(("lease", surrealdb::types::Duration::from(MIGRATION_LEASE)))
                .bind(("from_version", current.unwrap_or(0)))
                .into_future()
        })
        .await
        .map_err(|e| Error::internal(format!("cannot apply the schema: {e}")))?;
    }
    Ok(())
}

/// Takes the turn of the periodic job `job` for `holder` when no other process took it within
/// the last `every` (slightly less, so a process's own next tick finds it free).
pub(crate) async fn take_turn(db: &Db, job: &str, holder: &str, every: Duration) -> Result<bool> {
    let lease = every.mul_f64(0.9);
    let mut res = run_retrying(|| async {
        db.query(
            "BEGIN TRANSACTION;
             LET $turn = type::record('meta', 'turn_' + $job);
             IF $turn.lease_until = NONE OR $turn.lease_until < time::now() {
                 UPSERT $turn SET holder = $holder, lease_until = time::now() + $lease;
             };
             RETURN { holder: $turn.holder };
             COMMIT TRANSACTION;",
        )
        .bind(("job", job.to_string()))
        .bind(("holder", holder.to_string()))
        .bind(("lease", surrealdb::types::Duration::from(lease)))
        .await
    })
    .await
    .map_err(internal)?;
    #[derive(SurrealValue)]
    struct Turn {
        holder: Option<String>,
    }
    let turn = returned::<Option<Turn>>(&mut res)?.and_then(|t| t.holder);
    Ok(turn.as_deref() == Some(holder))
}

/// Records the fingerprint of the key that seals stored secrets the first time a server starts
/// on the store, and refuses another: every process on one store must hold the same key, or
/// one would mark the deliveries of webhooks the other created as failed.
pub(crate) async fn pin_sealer(db: &Db, fingerprint: &str) -> Result<()> {
    let mut res = run_retrying(|| async {
        db.query(
            "BEGIN TRANSACTION;
             IF meta:sealer.sealer = NONE {
                 -- A store from before the pin: the key its stored secrets were sealed with.
                 LET $sealed = (SELECT VALUE secret FROM webhook LIMIT 1)[0];
                 UPSERT meta:sealer SET sealer = IF $sealed THEN string::split($sealed, ':')[1] ELSE $fingerprint END;
             };
             RETURN { sealer: meta:sealer.sealer };
             COMMIT TRANSACTION;",
        )
        .bind(("fingerprint", fingerprint.to_string()))
        .await
    })
    .await
    .map_err(internal)?;
    #[derive(SurrealValue)]
    struct Pinned {
        sealer: Option<String>,
    }
    let pinned = returned::<Option<Pinned>>(&mut res)?.and_then(|p| p.sealer);
    match pinned {
        Some(p) if p != fingerprint => Err(Error::new(
            crate::error::ErrorKind::FailedPrecondition,
            format!(
                "this store's secrets are sealed with the key {p}, but this process holds the key {fingerprint}: \
                 every Quiver process on one store needs the same --secret-key-file (copy it from the first)"
            ),
        )),
        _ => Ok(()),
    }
}

/// The answer of a transaction: the value of the `RETURN` that ends its `BEGIN … RETURN …;
/// COMMIT` block (a row, rows, or an object naming each part).
pub(crate) fn returned<R>(res: &mut IndexedResults) -> Result<R>
where
    R: SurrealValue,
    usize: surrealdb::opt::QueryResult<R>,
{
    let n = res.num_statements();
    if n < 2 {
        return Err(Error::internal("transaction returned no rows"));
    }
    res.take(n - 2).map_err(internal)
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Error {
    Error::internal(e)
}

/// The error that caused a failed query: inside a transaction the other statements report
/// "not executed"/"cancelled", which says nothing, so the real cause is picked out.
pub(crate) fn first_error(mut res: IndexedResults) -> std::result::Result<IndexedResults, surrealdb::Error> {
    let mut errors: Vec<_> = res.take_errors().into_iter().collect();
    if errors.is_empty() {
        return Ok(res);
    }
    errors.sort_by_key(|(i, _)| *i);
    let pick = errors
        .iter()
        .position(|(_, e)| !matches!(e.query_details(), Some(QueryError::NotExecuted) | Some(QueryError::Cancelled)))
        .unwrap_or(0);
    Err(errors.swap_remove(pick).1)
}

/// Runs a query with retries on transaction conflicts (exponential backoff with jitter).
pub(crate) async fn run_retrying<F, Fut>(mut attempt: F) -> std::result::Result<IndexedResults, surrealdb::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<IndexedResults, surrealdb::Error>>,
{
    use rand::Rng;
    let mut delay = Duration::from_millis(1);
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await.and_then(first_error) {
            Err(e) if recognise(&e) == Recognised::Retryable && tries < 200 => {
                let jitter = rand::thread_rng().gen_range(0..=delay.as_micros() as u64);
                tokio::time::sleep(delay + Duration::from_micros(jitter)).await;
                delay = (delay * 2).min(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// The key part of a record id, as Quiver shows ids.
pub(crate) fn key_of(id: &RecordId) -> String {
    match &id.key {
        RecordIdKey::String(s) => s.clone(),
        RecordIdKey::Number(n) => n.to_string(),
        other => other.to_sql(),
    }
}

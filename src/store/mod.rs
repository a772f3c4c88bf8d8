//! The SurrealDB store: connection, schema, and the few helpers every query needs. Only the
//! core reaches it: every other caller goes through the services ([`crate::Quiver`]).

use std::time::Duration;

use surrealdb::engine::any::{self, Any};
use surrealdb::opt::auth::{Database, Namespace, Root};
use surrealdb::types::{QueryError, RecordId, RecordIdKey, SurrealValue, ToSql};
use surrealdb::{IndexedResults, Surreal};

use crate::error::{Error, Result};

pub(crate) use errors::{Recognised, recognise, throwable};

mod errors;
pub(crate) mod journal;
#[cfg(test)]
mod upgrade_tests;

pub(crate) type Db = Surreal<Any>;

/// The schema version this build writes. Bumped with every schema change.
pub const SCHEMA_VERSION: i64 = 15;
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
    let db = connect(&config.url).await?;
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
    migrate(&db).await?;
    Ok(db)
}

/// Connects, waiting up to two seconds for an embedded store that a process (or a dropped
/// handle in this one) is still releasing.
async fn connect(url: &str) -> Result<Db> {
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

/// Applies the schema (idempotent) unless the store was written by a newer Quiver.
async fn migrate(db: &Db) -> Result<()> {
    let mut res = db
        .query(
            "DEFINE TABLE IF NOT EXISTS meta SCHEMAFULL;
             DEFINE FIELD IF NOT EXISTS schema_version ON meta TYPE int;
             RETURN { version: (SELECT VALUE schema_version FROM meta:schema)[0] };",
        )
        .await
        .map_err(internal)?;
    #[derive(SurrealValue)]
    struct Meta {
        version: Option<i64>,
    }
    let last = res.num_statements() - 1;
    let current: Option<i64> = res.take::<Option<Meta>>(last).map_err(internal)?.and_then(|m| m.version);
    if let Some(v) = current.filter(|v| *v > SCHEMA_VERSION) {
        return Err(Error::internal(format!(
            "the store has schema version {v}, newer than this Quiver understands ({SCHEMA_VERSION}); upgrade Quiver"
        )));
    }
    // The schema is applied in the transactions its `-- @commit` lines separate; the version is
    // written with the last, so an interrupted upgrade runs again (every part is idempotent).
    let schema = SCHEMA.replace("\n-- @journal\n", &format!("\n{}\n", journal::functions()));
    let parts: Vec<&str> = schema.split("\n-- @commit\n").collect();
    for (i, part) in parts.iter().enumerate() {
        let stamp = if i + 1 == parts.len() { "UPSERT meta:schema SET schema_version = $version;" } else { "" };
        let res = db
            .query(format!("BEGIN TRANSACTION;\n{part}\n{stamp}\nCOMMIT TRANSACTION;"))
            .bind(("version", SCHEMA_VERSION))
            .bind(("from_version", current.unwrap_or(0)))
            .await
            .map_err(internal)?;
        first_error(res).map_err(|e| Error::internal(format!("cannot apply the schema: {e}")))?;
    }
    Ok(())
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

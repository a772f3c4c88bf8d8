//! The plumbing every service query goes through: bound-parameter queries, reads, writes with
//! retries on transaction conflicts (and cache invalidation), the errors SurrealQL throws, and
//! the few bindings many queries share (who acted, keyset cursors).

use std::future::IntoFuture;

use super::{Quiver, cache, paging};
use crate::error::{Error, Result};
use crate::services::governance::{Actor, Source};
pub(crate) use crate::store::throwable;
use crate::store::{self, Recognised};

pub(crate) type Query<'a> = surrealdb::method::Query<'a, surrealdb::engine::any::Any>;

impl Quiver {
    /// A query on the store; values go in with `.bind(..)`, never into the text.
    pub(crate) fn q(&self, sql: &str) -> Query<'_> {
        self.db().query(sql.to_string())
    }

    /// Runs a read and returns its results, or an internal error (logged, not shown).
    pub(crate) async fn read(&self, query: Query<'_>) -> Result<surrealdb::IndexedResults> {
        let started = std::time::Instant::now();
        let res = tokio::time::timeout(self.config().query_timeout, query.into_future()).await;
        metrics::histogram!("quiver_db_query_seconds", "kind" => "read").record(started.elapsed().as_secs_f64());
        let res = res.map_err(|_| unavailable())?.map_err(|e| match store::recognise(&e) {
            Recognised::Unavailable => unavailable(),
            _ => store::internal(e),
        })?;
        store::first_error(res).map_err(store::internal)
    }

    /// Runs a read and decodes its answer: the value of its last statement, which is the one
    /// `RETURN {…}` naming each part the caller reads (or a single `SELECT`); `LET`s before it
    /// compute the parts. Positions of other statements never matter, so a shared fragment may
    /// gain statements without moving anything.
    pub(crate) async fn answer<R>(&self, query: Query<'_>) -> Result<R>
    where
        R: surrealdb::types::SurrealValue,
        usize: surrealdb::opt::QueryResult<R>,
    {
        let mut res = self.read(query).await?;
        let last = res.num_statements().checked_sub(1).ok_or_else(|| Error::internal("a query without statements"))?;
        res.take(last).map_err(store::internal)
    }

    /// A write that only keeps records tidy (last-used times, sliding expiry). A concurrent
    /// request may win the race for the same record, which is fine: failures are logged, not
    /// returned, so the caller's request goes on.
    pub(crate) async fn bookkeeping(&self, query: Query<'_>, what: &str) {
        match tokio::time::timeout(self.config().query_timeout, query.into_future()).await {
            Ok(res) => {
                if let Err(e) = res.and_then(store::first_error) {
                    tracing::debug!(error = %e, "skipped updating the {what}");
                }
            }
            Err(_) => tracing::warn!("the store did not answer in time; skipped updating the {what}"),
        }
    }

    /// Runs a write, retrying on transaction conflicts. Domain conditions raised with `THROW`
    /// (see [`throwable`]) become their errors; a unique-index collision becomes
    /// `on_unique(index name)`.
    pub(crate) async fn write<'a>(
        &'a self,
        build: impl Fn() -> Query<'a>,
        on_unique: impl Fn(&str) -> Error,
    ) -> Result<surrealdb::IndexedResults> {
        self.write_changing(cache::Changed::Everything, build, on_unique).await
    }

    /// [`Quiver::write`] for a change to the registry's content only (see [`cache::Changed`]):
    /// cached tokens and privileges stay valid.
    pub(crate) async fn write_content<'a>(
        &'a self,
        build: impl Fn() -> Query<'a>,
        on_unique: impl Fn(&str) -> Error,
    ) -> Result<surrealdb::IndexedResults> {
        self.write_changing(cache::Changed::Content, build, on_unique).await
    }

    pub(crate) async fn write_changing<'a>(
        &'a self,
        changed: cache::Changed,
        build: impl Fn() -> Query<'a>,
        on_unique: impl Fn(&str) -> Error,
    ) -> Result<surrealdb::IndexedResults> {
        let started = std::time::Instant::now();
        let result = tokio::time::timeout(
            self.config().query_timeout,
            store::run_retrying(|| std::future::IntoFuture::into_future(build())),
        )
        .await;
        metrics::histogram!("quiver_db_query_seconds", "kind" => "write").record(started.elapsed().as_secs_f64());
        let Ok(result) = result else {
            // Whether it was applied is unknown: cached reads are dropped as for any write.
            self.inner.cache.invalidate(changed);
            let _ = self.publish_write(changed).await;
            return Err(unavailable());
        };
        // Whatever happened, cached reads from before this write are no longer served.
        self.inner.cache.invalidate(changed);
        if result.is_ok() {
            // ... here, and (before the caller hears of it) on the other processes.
            self.publish_write(changed).await?;
            self.inner.wakeup.notify_one();
        }
        result.map_err(|e| write_error(e, on_unique))
    }
}

/// The store did not answer within the query timeout.
fn unavailable() -> Error {
    tracing::warn!("the store did not answer within the query timeout");
    Error::new(crate::error::ErrorKind::Unavailable, "The database is not answering right now. Try again shortly.")
}

/// For writes that touch no unique index: a collision there would be a bug in Quiver.
pub(crate) fn no_unique(index: &str) -> Error {
    Error::internal(format!("unexpected unique violation on {index}"))
}

/// The error a failed write stands for: a domain error its statements threw, `on_unique` for a
/// collision with a unique index, or an internal error (logged).
pub(crate) fn write_error(e: surrealdb::Error, on_unique: impl Fn(&str) -> Error) -> Error {
    match store::recognise(&e) {
        Recognised::Domain(error) => error,
        Recognised::Unique(index) => on_unique(&index),
        Recognised::Unavailable => unavailable(),
        _ => Error::internal(e),
    }
}

pub(crate) use crate::store::returned;

/// `$who` for the history functions (`fn::activity`, `fn::alias_event`): who acted, through
/// which surface, in which request.
pub(crate) fn who(actor: &Actor) -> serde_json::Value {
    let source = match actor.source {
        Source::Ui => "ui",
        Source::Rest => "rest",
        Source::Cli => "cli",
    };
    serde_json::json!({ "by": actor.principal.username, "source": source, "request_id": actor.request_id })
}

/// Binds `$at` and `$key`, the keyset position of a list sorted oldest first by (time, id) in
/// `table`; without a cursor, before the first item.
pub(crate) fn bind_time_cursor<'a>(query: Query<'a>, table: &str, cursor: Option<paging::TimeCursor>) -> Query<'a> {
    let (at, key) = cursor.map(|c| (c.at, c.key)).unwrap_or((chrono::DateTime::<chrono::Utc>::MIN_UTC, String::new()));
    query.bind(("at", at)).bind(("key", surrealdb::types::RecordId::new(table, key)))
}

/// Binds `$at_desc` and `$key`, the keyset position of a list sorted newest first by
/// (`at_desc`, id) in `table`; without a cursor, before the first item.
pub(crate) fn bind_cursor<'a>(query: Query<'a>, table: &str, cursor: Option<paging::NewestCursor>) -> Query<'a> {
    let (at_desc, key) = cursor.map(|c| (c.at_desc, c.key)).unwrap_or((i64::MIN, String::new()));
    query.bind(("at_desc", at_desc)).bind(("key", surrealdb::types::RecordId::new(table, key)))
}

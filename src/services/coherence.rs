//! The read cache kept coherent across Quiver processes that share a store (a SurrealDB server).
//!
//! Each process keeps a generation record, `cache_gen:<process>`: how many writes (and how many
//! access writes) it has made. A write bumps it after it commits and before it returns, so once
//! a write has returned on any process its record says so. Before a cached read, a process reads
//! every other process's record (one small query) and, when one moved, ends what its cache holds
//! (the content entries, or all of them for an access write), exactly as its own writes do.
//!
//! One check serves a whole request (the server runs each request in [`in_request`]), and
//! concurrent checks are shared: a caller waits for a check that *started after it arrived*,
//! which sees every write returned before that, so nothing stale is served and a busy process
//! asks the store once per round trip rather than once per read. Only this process writes its
//! record, and its bumps are published one at a time (coalesced), so they never conflict.
//!
//! Records of processes gone for a week are removed at start; a removal moves the records' sum
//! like any write and only ends cached entries once.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use surrealdb::types::SurrealValue;

use super::{Quiver, cache};
use crate::error::Result;

tokio::task_local! {
    /// The processes (their `Coherence`, by address) whose generations were checked in this
    /// request already.
    static CHECKED: std::cell::RefCell<Vec<usize>>;
}

/// Runs `request` as one request: the generation check done by its first cached read serves the
/// reads after it. Reads outside any request (background jobs, tests) check every time.
pub async fn in_request<F: std::future::Future>(request: F) -> F::Output {
    CHECKED.scope(Default::default(), request).await
}

/// The generation check and publication state of one process.
pub(super) struct Coherence {
    /// This process's generation record key.
    me: String,
    /// Writes made (content and access) and the last counts published to the store.
    wrote: (AtomicU64, AtomicU64),
    publish: tokio::sync::Mutex<(u64, u64)>,
    /// Checks started, and the number of the last one completed.
    started: AtomicU64,
    completed: AtomicU64,
    check: tokio::sync::Mutex<()>,
    /// The other processes' generations as last seen (fingerprints of content and access).
    seen: Mutex<Option<(u64, u64)>>,
}

#[derive(SurrealValue)]
struct Generation {
    key: String,
    content: i64,
    access: i64,
}

impl Coherence {
    pub(super) fn new() -> Self {
        Coherence {
            me: hex::encode(rand::random::<[u8; 16]>()),
            wrote: (AtomicU64::new(0), AtomicU64::new(0)),
            publish: tokio::sync::Mutex::new((0, 0)),
            started: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            check: tokio::sync::Mutex::new(()),
            seen: Mutex::new(None),
        }
    }

    fn address(&self) -> usize {
        self as *const Self as usize
    }
}

impl Quiver {
    fn coherent(&self) -> bool {
        self.is_shared() && self.inner.cache.enabled()
    }

    /// Makes the read cache current with every write that returned on another process before
    /// this call (or this request) began.
    pub(super) async fn cache_current(&self) -> Result<()> {
        if !self.coherent() {
            return Ok(());
        }
        let c = &self.inner.coherence;
        let done_in_request = CHECKED.try_with(|checked| checked.borrow().contains(&c.address())).unwrap_or(false);
        if done_in_request {
            return Ok(());
        }
        let arrived = c.started.load(Ordering::Acquire);
        let _turn = c.check.lock().await;
        // A check that started after this call arrived has seen every write it must see.
        if c.completed.load(Ordering::Acquire) <= arrived {
            let number = c.started.fetch_add(1, Ordering::AcqRel) + 1;
            self.check_generations().await?;
            c.completed.store(number, Ordering::Release);
        }
        let _ = CHECKED.try_with(|checked| checked.borrow_mut().push(c.address()));
        Ok(())
    }

    async fn check_generations(&self) -> Result<()> {
        let c = &self.inner.coherence;
        let rows: Vec<Generation> =
            self.answer(self.q("SELECT record::id(id) AS key, content, access FROM cache_gen")).await?;
        let (mut content, mut access) = (DefaultHasher::new(), DefaultHasher::new());
        for row in rows.iter().filter(|r| r.key != c.me) {
            (&row.key, row.content).hash(&mut content);
            (&row.key, row.access).hash(&mut access);
        }
        let now = (content.finish(), access.finish());
        let before = c.seen.lock().unwrap_or_else(|e| e.into_inner()).replace(now);
        match before {
            Some(b) if b == now => {}
            Some(b) if b.1 == now.1 => self.inner.cache.invalidate(cache::Changed::Content),
            _ => self.inner.cache.invalidate(cache::Changed::Everything),
        }
        Ok(())
    }

    /// Records a write in this process's generation record, so every other process stops
    /// serving what it may have changed. Returns once the record says so.
    pub(super) async fn publish_write(&self, changed: cache::Changed) -> Result<()> {
        // Published even when this process keeps no cache: the others may.
        if !self.is_shared() {
            return Ok(());
        }
        let c = &self.inner.coherence;
        let content = c.wrote.0.fetch_add(1, Ordering::AcqRel) + 1;
        let access = match changed {
            cache::Changed::Everything => c.wrote.1.fetch_add(1, Ordering::AcqRel) + 1,
            cache::Changed::Content => c.wrote.1.load(Ordering::Acquire),
        };
        let mut published = c.publish.lock().await;
        if published.0 >= content && published.1 >= access {
            return Ok(()); // published with a later write's counts meanwhile
        }
        let now = (c.wrote.0.load(Ordering::Acquire), c.wrote.1.load(Ordering::Acquire));
        let publish = || {
            self.q("UPSERT type::record('cache_gen', $me) SET content = $writes, access = $access_writes, at = time::now()")
                .bind(("me", c.me.clone()))
                .bind(("writes", now.0 as i64))
                .bind(("access_writes", now.1 as i64))
        };
        // Only this process writes its record; a conflict (another process removing records of
        // processes gone for a week) is worth one more try.
        if self.read(publish()).await.is_err() {
            self.read(publish()).await?;
        }
        *published = now;
        Ok(())
    }

    /// Removes the generation records of processes that have not written for a week.
    pub(crate) async fn forget_gone_processes(&self) -> Result<()> {
        if !self.is_shared() {
            return Ok(());
        }
        self.read(self.q("DELETE cache_gen WHERE at < time::now() - 7d")).await.map(|_| ())
    }
}

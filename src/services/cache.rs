//! A read-through cache for the hottest reads (a model, a version, an alias, latest versions,
//! a caller's holdings, a token's principal).
//!
//! Coherence is by generation: every write through the service layer bumps a generation when it
//! finishes, and an entry is served only while the generation it was read under is current.
//! A read takes the generation *before* it queries, so a write that commits meanwhile makes the
//! entry dead on arrival. There are two generations: content (every write bumps it) and access
//! (only writes that may change who can do what bump it), so registering a version does not
//! send every following request back to the store for its token and privileges. On a store
//! other processes write to as well, their writes end entries the same way (see `coherence`).

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Memory the cache may hold by default (`--read-cache-size`): what its entries weigh.
pub const DEFAULT_MAX_BYTES: usize = 256 << 20;
/// What keeping any entry costs besides its value: the key, the map slot, the `Arc`.
const ENTRY_OVERHEAD: usize = 96;

/// What a cached value costs in memory, roughly: the length of its JSON encoding, a fair proxy
/// for the heap it holds (its strings and lists), counted without building the text.
pub trait Weigh {
    fn weight(&self) -> usize;
}

/// The length of `value`'s JSON encoding.
pub fn encoded_len<T: serde::Serialize + ?Sized>(value: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

impl Weigh for bool {
    fn weight(&self) -> usize {
        1
    }
}

impl Weigh for surrealdb::types::RecordId {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>() + 64
    }
}

impl<T: serde::Serialize> Weigh for Vec<T> {
    fn weight(&self) -> usize {
        encoded_len(self)
    }
}

impl<T: serde::Serialize> Weigh for crate::services::paging::Page<T> {
    fn weight(&self) -> usize {
        encoded_len(self)
    }
}

/// What a cached read depends on, and so which writes end it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The registry's content: models, versions, aliases, tags, stages.
    Content,
    /// Who may do what: tokens, principals and groups, the objects' owners and grants.
    Access,
}

/// What a write may have changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    /// Content only (a version, an alias, a tag, a description, a comment): no token,
    /// principal, membership, owner or grant, and no catalog, schema or model came or went.
    Content,
    /// Anything, access included. The default for every write.
    Everything,
}

/// A value, the generation of its class it was read under, and what it weighs.
type Entry = (Class, u64, Arc<dyn Any + Send + Sync>, usize);

pub struct ReadCache {
    enabled: bool,
    content: AtomicU64,
    access: AtomicU64,
    /// What the cache may hold; an entry over an eighth of it is not kept at all (a search page
    /// of thousands of versions is cheaper to read again than to pin in memory).
    max_bytes: usize,
    entries: Mutex<Entries>,
    /// Answers served from memory.
    hits: AtomicU64,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Entry>,
    bytes: usize,
}

impl ReadCache {
    pub fn new(enabled: bool, max_bytes: usize) -> Self {
        ReadCache {
            enabled,
            content: AtomicU64::new(0),
            access: AtomicU64::new(0),
            max_bytes,
            entries: Mutex::new(Entries::default()),
            hits: AtomicU64::new(0),
        }
    }

    fn counter(&self, class: Class) -> &AtomicU64 {
        match class {
            Class::Content => &self.content,
            Class::Access => &self.access,
        }
    }

    /// Whether answers are kept (embedded stores only).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The current generation of `class`, to read under.
    pub fn generation(&self, class: Class) -> u64 {
        self.counter(class).load(Ordering::Acquire)
    }

    /// Makes stale every entry that `changed` may have touched; called after each write.
    pub fn invalidate(&self, changed: Changed) {
        if self.enabled {
            self.content.fetch_add(1, Ordering::AcqRel);
            if changed == Changed::Everything {
                self.access.fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    pub fn get<T: Clone + 'static>(&self, key: &str) -> Option<T> {
        if !self.enabled {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (class, generation, value, _) = entries.map.get(key)?;
        if *generation != self.generation(*class) {
            return None;
        }
        let value = value.downcast_ref::<T>().cloned();
        if value.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        value
    }

    /// Keeps `value` (weighing `weight` bytes), read under `generation` of `class`, unless a
    /// write has ended it since or it is too big to be worth keeping.
    pub fn put<T: Send + Sync + 'static>(&self, class: Class, key: String, generation: u64, value: T, weight: usize) {
        let weight = weight + key.len() + ENTRY_OVERHEAD;
        if !self.enabled || generation != self.generation(class) || weight > self.max_bytes / 8 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.bytes + weight > self.max_bytes {
            // Stale entries go first; when the live ones fill it, start over.
            entries.map.retain(|_, (c, g, _, _)| *g == self.generation(*c));
            entries.bytes = entries.map.values().map(|e| e.3).sum();
            if entries.bytes + weight > self.max_bytes {
                entries.map.clear();
                entries.bytes = 0;
            }
        }
        if let Some(old) = entries.map.insert(key, (class, generation, Arc::new(value), weight)) {
            entries.bytes -= old.3;
        }
        entries.bytes += weight;
    }

    /// Answers served from memory so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// What the entries weigh now.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_die_with_the_next_write() {
        let c = ReadCache::new(true, DEFAULT_MAX_BYTES);
        let g = c.generation(Class::Content);
        c.put(Class::Content, "a".into(), g, 1_i64, 8);
        assert_eq!(c.get::<i64>("a"), Some(1));
        assert_eq!(c.get::<String>("a"), None, "wrong type is a miss");
        c.invalidate(Changed::Content);
        assert_eq!(c.get::<i64>("a"), None);
        // Read before a write, kept after it: never served.
        let before = c.generation(Class::Content);
        c.invalidate(Changed::Content);
        c.put(Class::Content, "b".into(), before, 2_i64, 8);
        assert_eq!(c.get::<i64>("b"), None);
        let off = ReadCache::new(false, DEFAULT_MAX_BYTES);
        off.put(Class::Content, "a".into(), off.generation(Class::Content), 1_i64, 8);
        assert_eq!(off.get::<i64>("a"), None);
    }

    #[test]
    fn access_entries_outlive_content_writes_but_not_access_writes() {
        let c = ReadCache::new(true, DEFAULT_MAX_BYTES);
        c.put(Class::Access, "token".into(), c.generation(Class::Access), 7_i64, 8);
        c.put(Class::Content, "model".into(), c.generation(Class::Content), 8_i64, 8);
        c.invalidate(Changed::Content);
        assert_eq!(c.get::<i64>("token"), Some(7), "a new version does not end a token");
        assert_eq!(c.get::<i64>("model"), None);
        c.put(Class::Content, "model".into(), c.generation(Class::Content), 9_i64, 8);
        c.invalidate(Changed::Everything);
        assert_eq!(c.get::<i64>("token"), None, "a grant or a deletion ends everything");
        assert_eq!(c.get::<i64>("model"), None);
        // Read before an access write, kept after it: never served.
        let before = c.generation(Class::Access);
        c.invalidate(Changed::Everything);
        c.put(Class::Access, "late".into(), before, 1_i64, 8);
        assert_eq!(c.get::<i64>("late"), None);
    }

    #[test]
    fn the_cache_holds_bytes_not_entries() {
        let c = ReadCache::new(true, 64 * 1024);
        let g = c.generation(Class::Content);
        let page: Vec<String> = (0..2000).map(|i| format!("version {i} of a model with a long name")).collect();
        let weight = page.weight();
        assert!(weight > 64 * 1024 / 8);
        c.put(Class::Content, "big".into(), g, page, weight);
        assert_eq!(c.get::<Vec<String>>("big"), None, "an entry over an eighth of the cache is not kept");
        for i in 0..1000 {
            let v = format!("entry {i}").repeat(10);
            let w = v.len();
            c.put(Class::Content, format!("k{i}"), g, v, w);
            assert!(c.bytes() <= 64 * 1024, "{} bytes after {i} entries", c.bytes());
        }
        assert!(c.get::<String>("k999").is_some(), "the newest entry is there");
        assert_eq!(encoded_len(&vec!["ab".to_string()]), 6);
    }
}

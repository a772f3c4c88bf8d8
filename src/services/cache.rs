//! A read-through cache for the hottest reads (a model, a version, an alias, latest versions,
//! a caller's holdings, a token's principal).
//!
//! Coherence is by generation: every write through the service layer bumps a generation when it
//! finishes, and an entry is served only while the generation it was read under is current.
//! A read takes the generation *before* it queries, so a write that commits meanwhile makes the
//! entry dead on arrival. There are two generations: content (every write bumps it) and access
//! (only writes that may change who can do what bump it), so registering a version does not
//! send every following request back to the store for its token and privileges. Only one process may write to the store for this to hold, so the
//! cache is on for embedded stores (`surrealkv://`, `mem://`) and off for a shared server.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Entries kept before the cache starts over (each is one small record).
const MAX_ENTRIES: usize = 100_000;

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

type Entry = (Class, u64, Arc<dyn Any + Send + Sync>);

pub struct ReadCache {
    enabled: bool,
    content: AtomicU64,
    access: AtomicU64,
    entries: Mutex<HashMap<String, Entry>>,
}

impl ReadCache {
    pub fn new(enabled: bool) -> Self {
        ReadCache {
            enabled,
            content: AtomicU64::new(0),
            access: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
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
        let (class, generation, value) = entries.get(key)?;
        if *generation != self.generation(*class) {
            return None;
        }
        value.downcast_ref::<T>().cloned()
    }

    /// Keeps `value`, read under `generation` of `class`, unless a write has ended it since.
    pub fn put<T: Send + Sync + 'static>(&self, class: Class, key: String, generation: u64, value: T) {
        if !self.enabled || generation != self.generation(class) {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            // Stale entries go first; when all are live, start over.
            entries.retain(|_, (c, g, _)| *g == self.generation(*c));
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (class, generation, Arc::new(value)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_die_with_the_next_write() {
        let c = ReadCache::new(true);
        let g = c.generation(Class::Content);
        c.put(Class::Content, "a".into(), g, 1_i64);
        assert_eq!(c.get::<i64>("a"), Some(1));
        assert_eq!(c.get::<String>("a"), None, "wrong type is a miss");
        c.invalidate(Changed::Content);
        assert_eq!(c.get::<i64>("a"), None);
        // Read before a write, kept after it: never served.
        let before = c.generation(Class::Content);
        c.invalidate(Changed::Content);
        c.put(Class::Content, "b".into(), before, 2_i64);
        assert_eq!(c.get::<i64>("b"), None);
        let off = ReadCache::new(false);
        off.put(Class::Content, "a".into(), off.generation(Class::Content), 1_i64);
        assert_eq!(off.get::<i64>("a"), None);
    }

    #[test]
    fn access_entries_outlive_content_writes_but_not_access_writes() {
        let c = ReadCache::new(true);
        c.put(Class::Access, "token".into(), c.generation(Class::Access), 7_i64);
        c.put(Class::Content, "model".into(), c.generation(Class::Content), 8_i64);
        c.invalidate(Changed::Content);
        assert_eq!(c.get::<i64>("token"), Some(7), "a new version does not end a token");
        assert_eq!(c.get::<i64>("model"), None);
        c.put(Class::Content, "model".into(), c.generation(Class::Content), 9_i64);
        c.invalidate(Changed::Everything);
        assert_eq!(c.get::<i64>("token"), None, "a grant or a deletion ends everything");
        assert_eq!(c.get::<i64>("model"), None);
        // Read before an access write, kept after it: never served.
        let before = c.generation(Class::Access);
        c.invalidate(Changed::Everything);
        c.put(Class::Access, "late".into(), before, 1_i64);
        assert_eq!(c.get::<i64>("late"), None);
    }
}

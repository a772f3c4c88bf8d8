//! A read-through cache for the hottest reads (a model, a version, an alias, latest versions,
//! a caller's holdings, a token's principal).
//!
//! Coherence is by generation: every write through the service layer bumps the generation when
//! it finishes, and an entry is served only while the generation it was read under is current.
//! A read takes the generation *before* it queries, so a write that commits meanwhile makes the
//! entry dead on arrival. Only one process may write to the store for this to hold, so the
//! cache is on for embedded stores (`surrealkv://`, `mem://`) and off for a shared server.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Entries kept before the cache starts over (each is one small record).
const MAX_ENTRIES: usize = 100_000;

type Entry = (u64, Arc<dyn Any + Send + Sync>);

pub struct ReadCache {
    enabled: bool,
    generation: AtomicU64,
    entries: Mutex<HashMap<String, Entry>>,
}

impl ReadCache {
    pub fn new(enabled: bool) -> Self {
        ReadCache { enabled, generation: AtomicU64::new(0), entries: Mutex::new(HashMap::new()) }
    }

    /// The current generation, to read under.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Makes every entry stale; called after each write.
    pub fn invalidate(&self) {
        if self.enabled {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
    }

    pub fn get<T: Clone + 'static>(&self, key: &str) -> Option<T> {
        if !self.enabled {
            return None;
        }
        let current = self.generation();
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (generation, value) = entries.get(key)?;
        if *generation != current {
            return None;
        }
        value.downcast_ref::<T>().cloned()
    }

    /// Keeps `value`, read under `generation`, unless a write has happened since.
    pub fn put<T: Send + Sync + 'static>(&self, key: String, generation: u64, value: T) {
        if !self.enabled || generation != self.generation() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            // Stale entries go first; when all are live, start over.
            entries.retain(|_, (g, _)| *g == generation);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (generation, Arc::new(value)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_die_with_the_next_write() {
        let c = ReadCache::new(true);
        let g = c.generation();
        c.put("a".into(), g, 1_i64);
        assert_eq!(c.get::<i64>("a"), Some(1));
        assert_eq!(c.get::<String>("a"), None, "wrong type is a miss");
        c.invalidate();
        assert_eq!(c.get::<i64>("a"), None);
        // Read before a write, kept after it: never served.
        let before = c.generation();
        c.invalidate();
        c.put("b".into(), before, 2_i64);
        assert_eq!(c.get::<i64>("b"), None);
        let off = ReadCache::new(false);
        off.put("a".into(), off.generation(), 1_i64);
        assert_eq!(off.get::<i64>("a"), None);
    }
}

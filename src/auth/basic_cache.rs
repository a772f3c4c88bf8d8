//! A short-lived memory of successful HTTP Basic checks, so argon2 (tens of milliseconds by
//! design) does not run on every API request. Keys are salted SHA-256 hashes of the
//! credentials, with a salt drawn when the process starts; the password itself is never kept.
//! Parallel requests with the same credentials that miss the cache wait on one check (single
//! flight), so a burst of clients costs one argon2 run and at most one throttled attempt.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::services::governance::Principal;

/// One check that requests with the same credentials share.
pub type Flight = Arc<tokio::sync::OnceCell<Result<Principal>>>;

/// How long a successful check is remembered. A changed password or disabled account takes
/// effect at once (the cache is cleared), other changes within this time.
pub const BASIC_CACHE_TTL: Duration = Duration::from_secs(60);
const MAX_ENTRIES: usize = 10_000;

pub struct BasicCache {
    salt: [u8; 32],
    /// The principal, the password hash it was checked against (processes sharing a store
    /// compare it with the stored one on every hit), and when.
    entries: Mutex<HashMap<[u8; 32], (Principal, String, Instant)>>,
    flights: Mutex<HashMap<[u8; 32], Flight>>,
}

impl Default for BasicCache {
    fn default() -> Self {
        BasicCache { salt: rand::random(), entries: Mutex::new(HashMap::new()), flights: Mutex::new(HashMap::new()) }
    }
}

impl BasicCache {
    pub fn key(&self, username: &str, password: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.salt);
        h.update(username.trim().to_lowercase().as_bytes());
        h.update([0u8]);
        h.update(password.as_bytes());
        h.finalize().into()
    }

    pub fn get(&self, key: &[u8; 32]) -> Option<(Principal, String)> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(key).filter(|(_, _, at)| at.elapsed() < BASIC_CACHE_TTL).map(|(p, h, _)| (p.clone(), h.clone()))
    }

    pub fn put(&self, key: [u8; 32], principal: Principal, password_hash: String) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (_, _, at)| at.elapsed() < BASIC_CACHE_TTL);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (principal, password_hash, Instant::now()));
    }

    /// The check in flight for `key`, joined, or a new one.
    pub fn flight(&self, key: &[u8; 32]) -> Flight {
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        flights.entry(*key).or_default().clone()
    }

    /// The check for `key` is done (its result, if a success, is in the cache by now): later
    /// requests start their own.
    pub fn land(&self, key: &[u8; 32], flight: &Flight) {
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        if flights.get(key).is_some_and(|f| Arc::ptr_eq(f, flight)) {
            flights.remove(key);
        }
    }

    /// Forgets one remembered check (its account changed on another process).
    pub fn forget(&self, key: &[u8; 32]) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }

    /// Forgets everything (after a password change or an account being disabled).
    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// A joined flight, landed when dropped (the check finished, or the request went away).
pub struct Landing<'a> {
    cache: &'a BasicCache,
    key: [u8; 32],
    flight: Flight,
}

impl<'a> Landing<'a> {
    pub fn new(cache: &'a BasicCache, key: [u8; 32]) -> Self {
        let flight = cache.flight(&key);
        Landing { cache, key, flight }
    }
}

impl std::ops::Deref for Landing<'_> {
    type Target = tokio::sync::OnceCell<Result<Principal>>;
    fn deref(&self) -> &Self::Target {
        &self.flight
    }
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        self.cache.land(&self.key, &self.flight);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_by_salted_credentials() {
        let cache = BasicCache::default();
        let p = Principal { user_id: "u1".into(), username: "alice".into(), admin: false };
        let key = cache.key("Alice", "pw");
        assert_eq!(key, cache.key("alice", "pw"), "usernames compare case-insensitively");
        assert_ne!(key, cache.key("alice", "pw2"));
        assert_ne!(key, BasicCache::default().key("alice", "pw"), "salted per process");
        cache.put(key, p.clone(), "hash".into());
        assert_eq!(cache.get(&key), Some((p, "hash".into())));
        cache.clear();
        assert_eq!(cache.get(&key), None);
    }

    #[test]
    fn a_flight_is_landed_however_its_request_ends() {
        let cache = BasicCache::default();
        let key = cache.key("alice", "pw");
        let first = Landing::new(&cache, key);
        let second = Landing::new(&cache, key);
        assert!(Arc::ptr_eq(&first.flight, &second.flight), "requests with the same credentials share one check");
        drop(first);
        drop(second);
        assert!(cache.flights.lock().unwrap().is_empty(), "a request that went away leaves nothing behind");
    }
}

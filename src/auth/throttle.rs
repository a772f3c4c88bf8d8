//! Login throttling: after repeated failures for one username or one client address, further
//! attempts are refused for a while. Keys are whatever was typed, so throttling an unknown
//! username looks exactly like throttling a real one (no user enumeration).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Entry {
    failures: u32,
    window_start: Instant,
    locked_until: Option<Instant>,
}

#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: u32,
    window: Duration,
    lockout: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

/// Entries kept at most; beyond this the oldest windows are dropped first.
const MAX_ENTRIES: usize = 100_000;

impl LoginThrottle {
    pub fn new(max_failures: u32, window: Duration, lockout: Duration) -> Self {
        LoginThrottle { max_failures, window, lockout, entries: Mutex::new(HashMap::new()) }
    }

    /// `Err(retry_after)` while any of `keys` is locked out.
    pub fn check(&self, keys: &[String]) -> Result<(), Duration> {
        let now = Instant::now();
        let entries = self.entries.lock().expect("throttle lock");
        let wait = keys
            .iter()
            .filter_map(|k| entries.get(k)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max();
        match wait {
            Some(w) => Err(w),
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, keys: &[String]) {
        let now = Instant::now();
        let mut entries = self.entries.lock().expect("throttle lock");
        if entries.len() >= MAX_ENTRIES {
            let window = self.window;
            entries
                .retain(|_, e| now.duration_since(e.window_start) < window || e.locked_until.is_some_and(|u| u > now));
        }
        for key in keys {
            let e = entries.entry(key.clone()).or_insert(Entry { failures: 0, window_start: now, locked_until: None });
            if now.duration_since(e.window_start) > self.window {
                e.failures = 0;
                e.window_start = now;
            }
            e.failures += 1;
            if e.failures >= self.max_failures {
                e.locked_until = Some(now + self.lockout);
                e.failures = 0;
                e.window_start = now;
            }
        }
    }

    pub fn record_success(&self, keys: &[String]) {
        let mut entries = self.entries.lock().expect("throttle lock");
        for key in keys {
            entries.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_and_unlocks_later() {
        let t = LoginThrottle::new(3, Duration::from_secs(60), Duration::from_millis(50));
        let keys = vec!["user:alice".to_string()];
        for _ in 0..2 {
            t.record_failure(&keys);
            assert!(t.check(&keys).is_ok());
        }
        t.record_failure(&keys);
        assert!(t.check(&keys).is_err());
        assert!(t.check(&["user:bob".to_string()]).is_ok(), "other keys unaffected");
        std::thread::sleep(Duration::from_millis(60));
        assert!(t.check(&keys).is_ok());
    }

    #[test]
    fn success_clears_failures() {
        let t = LoginThrottle::new(2, Duration::from_secs(60), Duration::from_secs(60));
        let keys = vec!["ip:127.0.0.1".to_string()];
        t.record_failure(&keys);
        t.record_success(&keys);
        t.record_failure(&keys);
        assert!(t.check(&keys).is_ok());
    }
}

//! Login throttling. Every attempt is counted before the password is checked, under one lock,
//! so parallel guesses cannot slip past the limit; a success gives its attempt back. Keys are
//! whatever was typed, so throttling an unknown username looks exactly like throttling a real
//! one (no user enumeration).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Entry {
    attempts: u32,
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

/// Entries kept at most; beyond this, expired windows and then unlocked entries are dropped.
const MAX_ENTRIES: usize = 100_000;
/// Longest key kept (usernames are cut to this).
const MAX_KEY_LEN: usize = 300;

/// The throttle key of a typed username.
pub fn user_key(username: &str) -> String {
    let folded = username.trim().to_lowercase();
    format!("user:{}", folded.chars().take(MAX_KEY_LEN).collect::<String>())
}

/// The throttle key of a client address.
pub fn client_key(client: &str) -> String {
    format!("client:{}", client.chars().take(MAX_KEY_LEN).collect::<String>())
}

impl LoginThrottle {
    pub fn new(max_failures: u32, window: Duration, lockout: Duration) -> Self {
        LoginThrottle { max_failures, window, lockout, entries: Mutex::new(HashMap::new()) }
    }

    /// Counts an attempt for every key. `Err(retry_after)` when any key is locked out or this
    /// attempt goes over the limit (which locks it).
    pub fn attempt(&self, keys: &[String]) -> Result<(), Duration> {
        let now = Instant::now();
        let mut entries = self.entries.lock().expect("throttle lock");
        if entries.len() >= MAX_ENTRIES {
            self.evict(&mut entries, now);
        }
        let locked = keys
            .iter()
            .filter_map(|k| entries.get(k)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max();
        if let Some(wait) = locked {
            return Err(wait);
        }
        let mut over = false;
        for key in keys {
            let e = entries.entry(key.clone()).or_insert(Entry { attempts: 0, window_start: now, locked_until: None });
            if now.duration_since(e.window_start) > self.window || e.locked_until.is_some() {
                *e = Entry { attempts: 0, window_start: now, locked_until: None };
            }
            e.attempts += 1;
            if e.attempts > self.max_failures {
                e.locked_until = Some(now + self.lockout);
                over = true;
            }
        }
        if over { Err(self.lockout) } else { Ok(()) }
    }

    /// The attempt succeeded: the user's failures are forgotten and the client's attempt is
    /// given back (its earlier failures still count).
    pub fn succeeded(&self, user_key: &str, client_key: &str) {
        let mut entries = self.entries.lock().expect("throttle lock");
        entries.remove(user_key);
        if let Some(e) = entries.get_mut(client_key) {
            e.attempts = e.attempts.saturating_sub(1);
        }
    }

    fn evict(&self, entries: &mut HashMap<String, Entry>, now: Instant) {
        let window = self.window;
        entries.retain(|_, e| now.duration_since(e.window_start) <= window || e.locked_until.is_some_and(|u| u > now));
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, e| e.locked_until.is_some_and(|u| u > now));
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attempt_over_the_limit_is_refused_and_locks() {
        let t = LoginThrottle::new(3, Duration::from_secs(60), Duration::from_millis(80));
        let keys = vec![user_key("Alice"), client_key("10.0.0.1")];
        for _ in 0..3 {
            assert!(t.attempt(&keys).is_ok());
        }
        assert!(t.attempt(&keys).is_err(), "fourth attempt in the window is refused");
        assert!(t.attempt(&keys).is_err(), "and stays refused while locked");
        assert!(t.attempt(&[user_key("bob"), client_key("10.0.0.2")]).is_ok(), "other keys unaffected");
        std::thread::sleep(Duration::from_millis(90));
        assert!(t.attempt(&keys).is_ok(), "the lock ends");
    }

    #[test]
    fn parallel_attempts_cannot_exceed_the_limit() {
        let t = std::sync::Arc::new(LoginThrottle::new(5, Duration::from_secs(60), Duration::from_secs(60)));
        let allowed: usize = (0..50)
            .map(|_| {
                let t = t.clone();
                std::thread::spawn(move || t.attempt(&[user_key("admin"), client_key("1.2.3.4")]).is_ok())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap() as usize)
            .sum();
        assert_eq!(allowed, 5);
    }

    #[test]
    fn success_clears_the_user_but_not_the_clients_failures() {
        let t = LoginThrottle::new(3, Duration::from_secs(60), Duration::from_secs(60));
        let (u, c) = (user_key("alice"), client_key("ip"));
        t.attempt(&[u.clone(), c.clone()]).unwrap();
        t.attempt(&[u.clone(), c.clone()]).unwrap();
        t.attempt(&[u.clone(), c.clone()]).unwrap();
        t.succeeded(&u, &c);
        // The client still has two failures: one more try, then spraying other users is refused.
        assert!(t.attempt(&[user_key("bob"), c.clone()]).is_ok());
        assert!(t.attempt(&[user_key("carol"), c.clone()]).is_err());
    }

    #[test]
    fn long_usernames_make_bounded_keys() {
        assert!(user_key(&"x".repeat(10_000)).len() <= MAX_KEY_LEN + 5);
    }
}

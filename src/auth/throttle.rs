//! Sign-in throttling. Only failures count against the limit, but an attempt reserves its place
//! before the password is checked (under one lock), so parallel guesses cannot slip past it: while
//! checks are in flight, the failures they may become are counted. A success gives its place back.
//!
//! Failures are counted per client address (every username tried from there) and per username
//! from that address, never per username alone: someone guessing `admin`'s password from their
//! address locks out their address, not the administrator. Only a caller whose address is
//! unknown is throttled per username. Keys are whatever was typed, so throttling an unknown
//! username looks exactly like throttling a real one (no user enumeration). IPv6 clients are
//! counted per /64 (one host usually holds a whole /64).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Entry {
    failures: u32,
    in_flight: u32,
    window_start: Instant,
    locked_until: Option<Instant>,
}

impl Entry {
    fn live_lock(&self, now: Instant) -> Option<Duration> {
        self.locked_until.filter(|u| *u > now).map(|u| u - now)
    }
}

#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: u32,
    window: Duration,
    lockout: Duration,
    entries: Mutex<HashMap<String, Entry>>,
    max_entries: usize,
}

/// Entries kept at most. When full, finished windows and then idle, unlocked entries are
/// dropped; live lockouts never are (new keys are refused instead until room frees up).
const MAX_ENTRIES: usize = 100_000;
/// Longest key kept (usernames are cut to this).
const MAX_KEY_LEN: usize = 300;

/// The keys an attempt by `username` from `client` counts against.
pub fn attempt_keys(username: &str, client: &str) -> Vec<String> {
    let user: String = username.trim().to_lowercase().chars().take(MAX_KEY_LEN).collect();
    let client = client_key(client);
    if client.is_empty() { vec![format!("user:{user}")] } else { vec![format!("{client}|user:{user}"), client] }
}

/// The throttle key of a client address (an IPv6 address by its /64); empty when unknown.
fn client_key(client: &str) -> String {
    let client = client.trim();
    if client.is_empty() {
        return String::new();
    }
    match client.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("client:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(IpAddr::V6(v6)) => format!("client:{}", v6.to_ipv4_mapped().map(|v| v.to_string()).unwrap_or_default()),
        Ok(ip) => format!("client:{ip}"),
        Err(_) => format!("client:{}", client.chars().take(MAX_KEY_LEN).collect::<String>()),
    }
}

/// Why an attempt may not go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub retry_after: Duration,
    /// Not (only) failures: too many checks at once, which the caller is told as such.
    pub busy: bool,
}

/// What a finished check did to the throttle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed,
    /// This failure reached the limit: the keys are locked for the lockout time.
    LockedOut,
}

/// A reserved attempt. Finish it with the check's result; dropped unfinished (the request was
/// cancelled), it gives its place back without counting.
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    keys: Vec<String>,
    open: bool,
}

impl Attempt<'_> {
    pub fn finish(mut self, ok: bool) -> Outcome {
        self.open = false;
        self.throttle.finish(&self.keys, ok)
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if self.open {
            let mut entries = self.throttle.entries.lock().unwrap_or_else(|p| p.into_inner());
            for key in &self.keys {
                if let Some(e) = entries.get_mut(key) {
                    e.in_flight = e.in_flight.saturating_sub(1);
                }
            }
        }
    }
}

impl LoginThrottle {
    pub fn new(max_failures: u32, window: Duration, lockout: Duration) -> Self {
        Self::with_capacity(max_failures, window, lockout, MAX_ENTRIES)
    }

    fn with_capacity(max_failures: u32, window: Duration, lockout: Duration, max_entries: usize) -> Self {
        LoginThrottle {
            max_failures: max_failures.max(1),
            window,
            lockout,
            entries: Mutex::new(HashMap::new()),
            max_entries,
        }
    }

    /// Reserves an attempt on every key, or says how long to wait: while a key is locked, or
    /// while its failures and the checks in flight already reach the limit.
    pub fn begin(&self, keys: Vec<String>) -> Result<Attempt<'_>, Refused> {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (mut wait, mut locked) = (None::<Duration>, false);
        for key in &keys {
            if let Some(e) = entries.get_mut(key) {
                if let Some(w) = e.live_lock(now) {
                    wait = wait.max(Some(w));
                    locked = true;
                    continue;
                }
                if e.locked_until.is_some() || now.duration_since(e.window_start) > self.window {
                    *e = Entry { failures: 0, in_flight: e.in_flight, window_start: now, locked_until: None };
                }
                if e.failures + e.in_flight >= self.max_failures {
                    // Checks in flight may still fail; try again once they are done.
                    wait = wait.max(Some(Duration::from_secs(1)));
                }
            }
        }
        if let Some(retry_after) = wait {
            return Err(Refused { retry_after, busy: !locked });
        }
        let missing = keys.iter().filter(|k| !entries.contains_key(*k)).count();
        if entries.len() + missing > self.max_entries {
            self.evict(&mut entries, now);
            if entries.len() + missing > self.max_entries {
                // Full of live lockouts and checks in flight: refuse rather than forget a lockout.
                return Err(Refused { retry_after: self.lockout.min(Duration::from_secs(60)), busy: true });
            }
        }
        for key in &keys {
            let e = entries.entry(key.clone()).or_insert(Entry {
                failures: 0,
                in_flight: 0,
                window_start: now,
                locked_until: None,
            });
            e.in_flight += 1;
        }
        drop(entries);
        Ok(Attempt { throttle: self, keys, open: true })
    }

    fn finish(&self, keys: &[String], ok: bool) -> Outcome {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let mut outcome = if ok { Outcome::Succeeded } else { Outcome::Failed };
        for (i, key) in keys.iter().enumerate() {
            let Some(e) = entries.get_mut(key) else { continue };
            e.in_flight = e.in_flight.saturating_sub(1);
            if ok {
                // The user-from-this-address key is forgiven; the address keeps its failures
                // (one success does not license spraying other usernames).
                if i == 0 && keys.len() > 1 && e.in_flight == 0 {
                    entries.remove(key);
                }
                continue;
            }
            e.failures += 1;
            if e.failures >= self.max_failures && e.live_lock(now).is_none() {
                e.locked_until = Some(now + self.lockout);
                outcome = Outcome::LockedOut;
            }
        }
        outcome
    }

    fn evict(&self, entries: &mut HashMap<String, Entry>, now: Instant) {
        let window = self.window;
        let idle = |e: &Entry| e.in_flight == 0 && e.live_lock(now).is_none();
        entries.retain(|_, e| !(idle(e) && now.duration_since(e.window_start) > window));
        if entries.len() >= self.max_entries {
            entries.retain(|_, e| !idle(e));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(t: &LoginThrottle, user: &str, client: &str) -> Result<Outcome, Refused> {
        Ok(t.begin(attempt_keys(user, client))?.finish(false))
    }

    #[test]
    fn the_failure_reaching_the_limit_locks_and_the_next_attempt_is_refused() {
        let t = LoginThrottle::new(3, Duration::from_secs(60), Duration::from_millis(80));
        assert_eq!(fail(&t, "Alice", "10.0.0.1"), Ok(Outcome::Failed));
        assert_eq!(fail(&t, "alice", "10.0.0.1"), Ok(Outcome::Failed));
        assert_eq!(fail(&t, "alice", "10.0.0.1"), Ok(Outcome::LockedOut));
        assert!(t.begin(attempt_keys("alice", "10.0.0.1")).is_err(), "refused while locked");
        assert!(t.begin(attempt_keys("bob", "10.0.0.1")).is_err(), "the whole address is paused");
        assert!(t.begin(attempt_keys("bob", "10.0.0.2")).is_ok(), "other addresses unaffected");
        std::thread::sleep(Duration::from_millis(90));
        assert!(t.begin(attempt_keys("alice", "10.0.0.1")).is_ok(), "the lock ends");
    }

    #[test]
    fn guessing_admins_password_locks_the_guesser_not_admin() {
        let t = LoginThrottle::new(3, Duration::from_secs(60), Duration::from_secs(60));
        for _ in 0..3 {
            fail(&t, "admin", "203.0.113.9").unwrap();
        }
        assert!(t.begin(attempt_keys("admin", "203.0.113.9")).is_err());
        let attempt = t.begin(attempt_keys("admin", "198.51.100.4")).expect("admin signs in from elsewhere");
        assert_eq!(attempt.finish(true), Outcome::Succeeded);
    }

    #[test]
    fn only_failures_count_and_successes_never_lock() {
        let t = LoginThrottle::new(3, Duration::from_secs(60), Duration::from_secs(60));
        for _ in 0..50 {
            t.begin(attempt_keys("alice", "10.0.0.1")).unwrap().finish(true);
        }
        assert_eq!(fail(&t, "alice", "10.0.0.1"), Ok(Outcome::Failed));
    }

    #[test]
    fn parallel_guesses_cannot_exceed_the_limit() {
        let t = std::sync::Arc::new(LoginThrottle::new(5, Duration::from_secs(60), Duration::from_secs(60)));
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(50));
        let allowed: usize = (0..50)
            .map(|_| {
                let (t, barrier) = (t.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let attempt = t.begin(attempt_keys("admin", "1.2.3.4"));
                    barrier.wait();
                    attempt.map(|a| a.finish(false)).is_ok()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap() as usize)
            .sum();
        assert_eq!(allowed, 5);
    }

    #[test]
    fn checks_in_flight_are_told_apart_from_a_lockout() {
        let t = LoginThrottle::new(2, Duration::from_secs(60), Duration::from_secs(60));
        let (_a, _b) = (t.begin(attempt_keys("a", "ip")).unwrap(), t.begin(attempt_keys("b", "ip")).unwrap());
        let busy = t.begin(attempt_keys("c", "ip")).err().expect("the address's places are taken");
        assert!(busy.busy && busy.retry_after <= Duration::from_secs(1));
        drop((_a, _b));
        fail(&t, "a", "ip").unwrap();
        fail(&t, "a", "ip").unwrap();
        assert!(!t.begin(attempt_keys("a", "ip")).err().expect("locked").busy);
    }

    #[test]
    fn a_cancelled_check_gives_its_place_back() {
        let t = LoginThrottle::new(1, Duration::from_secs(60), Duration::from_secs(60));
        drop(t.begin(attempt_keys("alice", "10.0.0.1")).unwrap());
        assert!(t.begin(attempt_keys("alice", "10.0.0.1")).is_ok());
    }

    #[test]
    fn success_forgives_the_user_but_not_the_addresss_failures() {
        let t = LoginThrottle::new(3, Duration::from_secs(60), Duration::from_secs(60));
        fail(&t, "alice", "ip").unwrap();
        fail(&t, "alice", "ip").unwrap();
        t.begin(attempt_keys("alice", "ip")).unwrap().finish(true);
        // The address still has two failures: one more, and spraying other users is paused.
        assert_eq!(fail(&t, "bob", "ip"), Ok(Outcome::LockedOut));
        assert!(t.begin(attempt_keys("carol", "ip")).is_err());
    }

    #[test]
    fn without_an_address_the_username_is_throttled() {
        assert_eq!(attempt_keys("Admin", ""), vec!["user:admin".to_string()]);
        let t = LoginThrottle::new(2, Duration::from_secs(60), Duration::from_secs(60));
        fail(&t, "admin", "").unwrap();
        fail(&t, "admin", "").unwrap();
        assert!(t.begin(attempt_keys("admin", "")).is_err());
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        assert_eq!(attempt_keys("a", "2001:db8:1:2:3:4:5:6")[1], attempt_keys("a", "2001:db8:1:2:ffff::1")[1]);
        assert_ne!(attempt_keys("a", "2001:db8:1:2::1")[1], attempt_keys("a", "2001:db8:1:3::1")[1]);
        assert_eq!(attempt_keys("a", "::ffff:10.0.0.1")[1], attempt_keys("a", "10.0.0.1")[1]);
    }

    #[test]
    fn when_full_live_lockouts_are_kept_and_new_keys_wait() {
        let t = LoginThrottle::with_capacity(1, Duration::from_secs(60), Duration::from_secs(60), 4);
        fail(&t, "a", "10.0.0.1").unwrap();
        fail(&t, "b", "10.0.0.2").unwrap();
        assert_eq!(t.len(), 4);
        assert!(t.begin(attempt_keys("c", "10.0.0.3")).is_err(), "no room without dropping a lockout");
        assert!(t.begin(attempt_keys("a", "10.0.0.1")).is_err(), "the lockouts are still there");
        assert!(t.begin(attempt_keys("b", "10.0.0.2")).is_err());
        // Idle, unlocked entries make room.
        let t = LoginThrottle::with_capacity(5, Duration::from_secs(60), Duration::from_secs(60), 4);
        fail(&t, "a", "10.0.0.1").unwrap();
        fail(&t, "b", "10.0.0.2").unwrap();
        assert!(t.begin(attempt_keys("c", "10.0.0.3")).is_ok());
    }

    #[test]
    fn long_usernames_make_bounded_keys() {
        assert!(attempt_keys(&"x".repeat(10_000), "")[0].len() <= MAX_KEY_LEN + 5);
    }
}

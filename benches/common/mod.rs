//! Timing helpers shared by the benchmarks: bounded one-at-a-time measurement and a Markdown
//! table of its results.

#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

use quiver::services::governance::{Actor, Principal, Source};
use quiver::store::StoreConfig;

pub const WARMUP_CALLS: usize = 2;
pub const MAX_CALLS: usize = 200;
pub const MAX_TIME: Duration = Duration::from_secs(20);

/// splitmix64: a deterministic spread of model numbers over names, tags and aliases.
pub fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub struct Stats {
    calls: usize,
    p50: Duration,
    p99: Duration,
    mean: Duration,
    per_sec: f64,
}

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Times `op` (after a short warm-up) one call at a time, within the call and time bounds.
pub async fn measure<F, Fut>(mut op: F) -> Stats
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    for i in 0..WARMUP_CALLS {
        op(usize::MAX - i).await;
    }
    let mut samples = Vec::new();
    let started = Instant::now();
    while samples.len() < MAX_CALLS && started.elapsed() < MAX_TIME {
        let t = Instant::now();
        op(samples.len()).await;
        samples.push(t.elapsed());
    }
    let total: Duration = samples.iter().sum();
    samples.sort();
    Stats {
        calls: samples.len(),
        p50: percentile(&samples, 50.0),
        p99: percentile(&samples, 99.0),
        mean: total / samples.len() as u32,
        per_sec: samples.len() as f64 / total.as_secs_f64(),
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

pub fn row(what: &str, hits: &str, s: &Stats) {
    println!(
        "| {what:<44} | {hits:>6} | {:>5} | {:>8} | {:>8} | {:>8} | {:>8.1} |",
        s.calls,
        ms(s.p50),
        ms(s.p99),
        ms(s.mean),
        s.per_sec
    );
}

pub fn table_head() {
    println!(
        "| {:<44} | {:>6} | {:>5} | {:>8} | {:>8} | {:>8} | {:>8} |",
        "operation", "hits", "calls", "p50 ms", "p99 ms", "mean ms", "calls/s"
    );
    println!("|{:-<46}|{:->8}|{:->7}|{:->10}|{:->10}|{:->10}|{:->10}|", "", ":", ":", ":", ":", ":", ":");
}

/// An administrator, so privileges never narrow what is measured.
pub fn actor() -> Actor {
    Actor {
        principal: Principal { user_id: String::new(), username: "bench".into(), admin: true },
        source: Source::Cli,
        request_id: "bench".into(),
    }
}

/// A number from the environment variable `name`, else `default`.
pub fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name).ok().map(|v| v.parse().unwrap_or_else(|_| panic!("{name} must be a number"))).unwrap_or(default)
}

/// An embedded SurrealKV store in `dir`.
pub fn store_in(dir: &std::path::Path) -> StoreConfig {
    StoreConfig {
        url: format!("surrealkv://{}", dir.join("store").display()),
        database: "bench".into(),
        ..StoreConfig::memory()
    }
}

//! What the read cache costs in memory with many versions: loads `QUIVER_BENCH_VERSIONS`
//! versions (default 100,000) of one model straight into an embedded store, then runs MLflow
//! version searches with large pages (each a new cache key) and prints the process's resident
//! memory before and after, for the cache bounded by bytes (`--read-cache-size`, default
//! 256 MiB) and bounded by nothing but its entry count as it used to be.
//!
//! `QUIVER_BENCH_CACHE=bytes|unbounded cargo bench --profile dev -p quiver --features server,test-util --bench cache_memory`

mod common;

use std::time::Instant;

use common::{actor, env_count};
use quiver::filter::Entity;
use quiver::{Quiver, ServiceConfig};

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

async fn run(versions: usize, cache_bytes: usize, label: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = ServiceConfig { read_cache_bytes: cache_bytes, ..ServiceConfig::default() };
    let q = Quiver::open(&common::store_in(dir.path()), config).await.expect("open");
    let a = actor();
    q.create_catalog(&a, "prod", "").await.unwrap();
    q.create_schema(&a, "prod", "ml", "").await.unwrap();
    q.create_model(&a, "prod", "ml", "m", "").await.unwrap();
    let started = Instant::now();
    for start in (1..=versions).step_by(5_000) {
        let end = (start + 4_999).min(versions) as i64;
        q.store()
            .query(
                "LET $m = (SELECT VALUE id FROM registered_model WHERE name = 'm' LIMIT 1)[0];
                 FOR $n IN $start..=$end {
                     CREATE model_version SET model = $m, version = $n, source = 'runs:/r' + <string> $n + '/model',
                         status = 'READY', created_at = time::now(), created_by = 'bench', updated_at = time::now(),
                         updated_by = 'bench', full_name = 'prod.ml.m', full_name_lc = 'prod.ml.m', version_desc = 0 - $n;
                 };",
            )
            .bind(("start", start as i64))
            .bind(("end", end))
            .await
            .expect("load versions")
            .check()
            .expect("versions loaded");
    }
    eprintln!("{label}: loaded {versions} versions in {:.0} s", started.elapsed().as_secs_f64());
    let filter = quiver::filter::parse("name = 'prod.ml.m'", Entity::Versions).expect("filter");
    let before = rss_mib();
    let mut returned = 0usize;
    let searches = env_count("QUIVER_BENCH_SEARCHES", 40);
    let size = env_count("QUIVER_BENCH_PAGE", 20_000);
    for i in 0..searches {
        // A new key each time (as many clients paging with their own sizes would make).
        let limit = (size + i) as i64;
        let page = q
            .search_model_versions(&a, filter.as_ref(), &["version_number DESC".to_string()], limit, None)
            .await
            .expect("search");
        returned += page.items.len();
    }
    let after = rss_mib();
    println!(
        "| {label:<34} | {versions:>9} | {searches:>3} × ~{size} | {before:>8.0} | {after:>8.0} | {:>+8.0} |",
        after - before
    );
    assert!(returned > 0);
}

/// One cache setting per process (memory an allocator has used is not given back):
/// `QUIVER_BENCH_CACHE=bytes` (default) or `unbounded`.
#[tokio::main]
async fn main() {
    let versions = env_count("QUIVER_BENCH_VERSIONS", 100_000);
    println!(
        "| cache                              |  versions | searches        | RSS before MiB | after MiB | growth MiB |"
    );
    println!("|------------------------------------|----------:|-----------------|---------:|---------:|---------:|");
    match std::env::var("QUIVER_BENCH_CACHE").as_deref() {
        Ok("unbounded") => run(versions, usize::MAX / 16, "bytes unbounded (the old entry cap)").await,
        _ => run(versions, 256 << 20, "bounded by bytes (256 MiB, default)").await,
    }
}

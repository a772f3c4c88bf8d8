//! Write-path cost, decomposed: the service's `create_version` one at a time and 16 at once, and
//! the pieces it is made of as raw SurrealQL on the same store (a bare transaction, one CREATE,
//! the activity function), so a change to the write path can be measured where it costs.
//!
//! The store is the real embedded SurrealDB on disk (SurrealKV, synced commits) in a temporary
//! directory. Each measurement runs a bounded number of calls.
//!
//! Run: `cargo bench -p quiver -p app -p quiver-server --features quiver/server,app/ssr --bench writes`

use std::time::{Duration, Instant};

use quiver::names::ModelPath;
use quiver::services::governance::{Actor, Principal, Source};
use quiver::services::registry::NewVersion;
use quiver::store::StoreConfig;
use quiver::{Quiver, ServiceConfig};

const MODELS: usize = 200;
const SEQUENTIAL: usize = 1000;
const CONCURRENT_TASKS: usize = 16;
const CONCURRENT_EACH: usize = 200;

fn actor() -> Actor {
    Actor {
        principal: Principal { user_id: String::new(), username: "bench".into(), admin: true },
        source: Source::Cli,
        request_id: "bench".into(),
    }
}

fn path(n: usize) -> ModelPath {
    ModelPath::new("prod", "ml_team", &format!("model_{}", n % MODELS)).expect("valid name")
}

fn report(what: &str, calls: usize, took: Duration, mut samples: Vec<Duration>) {
    samples.sort();
    let p = |q: f64| samples[((q * samples.len() as f64) as usize).min(samples.len() - 1)].as_secs_f64() * 1000.0;
    println!(
        "| {what:<48} | {calls:>5} | {:>8.0} | {:>6.2} | {:>6.2} |",
        calls as f64 / took.as_secs_f64(),
        p(0.5),
        p(0.99)
    );
}

async fn sequential<F, Fut>(what: &str, calls: usize, mut op: F)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(calls);
    let started = Instant::now();
    for i in 0..calls {
        let t = Instant::now();
        op(i).await;
        samples.push(t.elapsed());
    }
    report(what, calls, started.elapsed(), samples);
}

/// `CONCURRENT_TASKS` tasks, each calling `op(quiver, task, call)` `CONCURRENT_EACH` times.
async fn concurrent<F, Fut>(what: &str, q: &Quiver, op: F)
where
    F: Fn(Quiver, usize, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..CONCURRENT_TASKS {
        let (q, op) = (q.clone(), op.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(CONCURRENT_EACH);
            for i in 0..CONCURRENT_EACH {
                let s = Instant::now();
                op(q.clone(), t, i).await;
                samples.push(s.elapsed());
            }
            samples
        }));
    }
    let mut samples = Vec::new();
    for t in tasks {
        samples.extend(t.await.expect("task"));
    }
    report(what, samples.len(), started.elapsed(), samples);
}

async fn raw(q: &Quiver, sql: &str) {
    q.store().query(sql.to_string()).await.expect("query").check().expect("statement");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        StoreConfig { url: format!("surrealkv://{}", dir.path().join("db").display()), ..StoreConfig::memory() };
    let config = ServiceConfig { artifact_root: dir.path().join("artifacts"), ..ServiceConfig::default() };
    let q = Quiver::open(&store, config).await.expect("open store");
    let a = actor();
    q.create_catalog(&a, "prod", "").await.expect("catalog");
    q.create_schema(&a, "prod", "ml_team", "").await.expect("schema");
    for n in 0..MODELS {
        q.create_model(&a, "prod", "ml_team", &format!("model_{n}"), "").await.expect("model");
    }
    println!("| write | calls | per s | p50 ms | p99 ms |");
    println!("|---|--:|--:|--:|--:|");

    sequential("raw: empty transaction", SEQUENTIAL, |_| raw(&q, "BEGIN; RETURN 1; COMMIT;")).await;
    sequential("raw: one CREATE in a transaction (no schema)", SEQUENTIAL, |_| {
        raw(&q, "BEGIN; CREATE scratch SET a = 1, b = 'x'; COMMIT;")
    })
    .await;
    sequential("raw: fn::audit", SEQUENTIAL, |_| {
        raw(
            &q,
            "BEGIN; fn::audit('bench', 'model_version', 'prod.ml_team.model_0 v1', 'allowed', NONE,
            { by: 'bench', source: 'cli', request_id: 'r' }); COMMIT;",
        )
    })
    .await;
    sequential("raw: fn::activity", SEQUENTIAL, |_| {
        raw(&q, "BEGIN; LET $m = (SELECT VALUE id FROM registered_model WHERE name_lc = 'model_0' LIMIT 1)[0];
            fn::activity($m, 1, 'model_version.created', NONE, NONE, NONE, { by: 'bench', source: 'cli', request_id: 'r' });
            COMMIT;")
    })
    .await;

    // `QUIVER_BENCH_SQL=FILE`: more raw experiments, each after a `-- name` line.
    if let Ok(file) = std::env::var("QUIVER_BENCH_SQL") {
        let text = std::fs::read_to_string(&file).expect("read QUIVER_BENCH_SQL");
        for part in text.split("\n-- ").filter(|p| !p.trim().is_empty()) {
            let (name, sql) = part.trim_start_matches("-- ").split_once('\n').expect("-- name, then SQL");
            if let Some(name) = name.trim().strip_prefix("show ") {
                // Prints what the statements return (an EXPLAIN, say) instead of timing them.
                let res = q.store().query(sql.to_string()).await.expect("query");
                println!("{name}: {res:#?}");
                continue;
            }
            sequential(&format!("raw: {}", name.trim()), SEQUENTIAL, |_| raw(&q, sql)).await;
        }
    }

    // The store's own ceiling with 16 writers: the cheapest write there is (one schemaless
    // record, no index), so no write of Quiver's can be faster than this under concurrency.
    concurrent("raw: one CREATE (no schema), 16 at once", &q, |q, _, _| async move {
        raw(&q, "BEGIN; CREATE scratch SET a = 1, b = 'x' RETURN NONE; COMMIT;").await
    })
    .await;

    sequential("service: create_version, one at a time", SEQUENTIAL, |i| {
        let q = &q;
        let a = &a;
        async move {
            let v = NewVersion { source: format!("s3://bucket/{i}"), ..Default::default() };
            q.create_version(a, &path(i), v).await.expect("create version");
        }
    })
    .await;

    let before = q.registration_counts();
    concurrent("service: create_version, 16 at once", &q, |q, t, i| async move {
        let v = NewVersion { source: format!("s3://bucket/{t}/{i}"), ..Default::default() };
        q.create_version(&actor(), &path(t * 7919 + i), v).await.expect("create version");
    })
    .await;
    let after = q.registration_counts();
    let (n, txns) = (after.registrations - before.registrations, after.transactions - before.transactions);
    println!("\n16 at once: {n} registrations in {txns} transactions ({:.1} each)", n as f64 / txns.max(1) as f64);
}

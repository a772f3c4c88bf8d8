//! Run search latency on a large experiment (MLflow's `search_runs`, the experiment page).
//!
//! Logs `QUIVER_BENCH_RUNS` (default 10 000) runs, each with three params, two or three metrics
//! and a tag, into one experiment (and a tenth as many into another) through the service layer,
//! on the real embedded SurrealDB (SurrealKV on disk, in a temporary directory). Then times pages
//! of 50 for the searches a notebook or the experiment page makes, one call at a time, each at
//! most 200 calls or 20 s.
//!
//! Run: `cargo bench -p quiver -p app -p quiver-server --features quiver/server,app/ssr --bench runs`

use std::time::Instant;

use common::{MAX_CALLS, MAX_TIME, actor, env_count, measure, mix, row, store_in, table_head};
use quiver::filter::{Entity, RunOrder, parse, run_order};
use quiver::services::governance::{Actor, Principal};
use quiver::services::registry::Tag;
use quiver::services::tracking::{ExperimentGrantChange, ExperimentLevel, Metric, RunBatch, RunSearch};
use quiver::{Quiver, ServiceConfig};

mod common;

const DEFAULT_RUNS: usize = 10_000;
const LOADERS: usize = 8;
const PAGE: i64 = 50;
const MODELS: [&str; 3] = ["gbm", "linear", "tree"];

/// Run `n`: its params, metrics (a tenth have no `acc`) and tag, spread by `mix`.
fn batch(n: usize) -> RunBatch {
    let h = mix(n as u64);
    let tag = |k: &str, v: String| Tag { key: k.into(), value: v };
    let metric = |k: &str, value: f64| Metric::new(k, value, n as i64, 0);
    let acc = 0.5 + (h % 5_000) as f64 / 10_000.0;
    let mut metrics = vec![metric("loss", 1.0 - acc), metric("f1", acc - 0.01)];
    if h % 10 != 0 {
        metrics.push(metric("acc", acc));
    }
    RunBatch {
        metrics,
        params: vec![
            tag("model", MODELS[(h >> 20) as usize % 3].into()),
            tag("max_depth", ((h >> 24) % 10 + 1).to_string()),
            tag("learning_rate", format!("0.{}", (h >> 28) % 9 + 1)),
        ],
        tags: vec![tag("team", if h % 4 == 0 { "risk" } else { "growth" }.into())],
    }
}

async fn load(q: &Quiver, experiment: &str, from: usize, count: usize) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for l in 0..LOADERS {
        let (q, experiment) = (q.clone(), experiment.to_string());
        tasks.push(tokio::spawn(async move {
            let a = actor();
            for n in (from + l..from + count).step_by(LOADERS) {
                let run =
                    q.create_run(&a, &experiment, None, Some(1_700_000_000_000 + n as i64), &[]).await.expect("run");
                q.log_batch(&a, &run.run_id, &batch(n)).await.expect("log batch");
            }
        }));
    }
    for t in tasks {
        t.await.expect("loader");
    }
    let took = started.elapsed().as_secs_f64();
    println!("logged {count} runs into experiment {experiment} in {took:.1} s: {:.0} runs/s", count as f64 / took);
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let runs: usize = env_count("QUIVER_BENCH_RUNS", DEFAULT_RUNS);
    assert!(runs >= 1_000, "QUIVER_BENCH_RUNS must be at least 1000");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store_in(dir.path());
    let q = Quiver::open(&store, ServiceConfig::default()).await.expect("open store");
    let a = actor();
    let big = q.create_experiment(&a, "sweep", None, &[]).await.expect("experiment");
    let small = q.create_experiment(&a, "other", None, &[]).await.expect("experiment");
    load(&q, &big, 0, runs).await;
    load(&q, &small, runs, runs / 10).await;

    let searches: [(&str, &str, &[&str]); 6] = [
        ("newest first", "", &[]),
        ("best acc first", "", &["metrics.acc DESC"]),
        ("acc > 0.95 (~9%)", "metrics.acc > 0.95", &[]),
        ("gbm, depth 3, by acc", "params.model = 'gbm' AND params.max_depth = '3'", &["metrics.acc DESC"]),
        ("team risk OR loss < 0.02", "tags.team = 'risk' OR metrics.loss < 0.02", &["params.learning_rate"]),
        ("no match", "metrics.acc > 2", &[]),
    ];
    println!();
    println!("{runs} runs in the searched experiment; pages of {PAGE}; each at most {MAX_CALLS} calls or {MAX_TIME:?}");
    println!();
    table_head();
    let ids = [big.clone()];
    for (label, filter, order) in searches {
        let expr = parse(filter, Entity::Runs).expect("filter");
        let order: Vec<RunOrder> = order.iter().map(|o| run_order(o).expect("order")).collect();
        let search = RunSearch { filter: expr.as_ref(), order: &order, limit: PAGE, ..Default::default() };
        let hits = q.search_runs(&a, &ids, &search).await.expect("search").items.len();
        let s = measure(|_| async {
            q.search_runs(&a, &ids, &search).await.expect("search");
        })
        .await;
        row(&format!("{label}: `{filter}`"), &hits.to_string(), &s);
    }
    // The small experiment: found through the experiment index, not by reading every run.
    let other = [small.clone()];
    let search = RunSearch { limit: PAGE, ..Default::default() };
    let s = measure(|_| async {
        q.search_runs(&a, &other, &search).await.expect("search");
    })
    .await;
    row(&format!("newest first, the other experiment ({} runs)", runs / 10), "50", &s);
    // Deep pages: the 20th page of the newest-first list, by token.
    let mut token = None;
    for _ in 0..19 {
        let search = RunSearch { limit: PAGE, page_token: token.as_deref(), ..Default::default() };
        token = q.search_runs(&a, &ids, &search).await.expect("search").next_page_token;
    }
    let search = RunSearch { limit: PAGE, page_token: token.as_deref(), ..Default::default() };
    let s = measure(|_| async {
        q.search_runs(&a, &ids, &search).await.expect("search");
    })
    .await;
    row("newest first, page 20 (offset 950)", "50", &s);
    let some = q.search_runs(&a, &ids, &RunSearch { limit: PAGE, ..Default::default() }).await.expect("search");
    let s = measure(|i| {
        let id = some.items[i % some.items.len()].run_id.clone();
        let (q, a) = (&q, &a);
        async move {
            q.get_run(a, &id).await.expect("get run");
        }
    })
    .await;
    row("get_run", "1", &s);

    // A user who is not an administrator, with CAN_READ on the experiment: each call checks the
    // level, read once per run and user and then kept until an access change.
    let reader = q.create_user(&a, "reader", "correct horse battery", false).await.expect("user");
    let read = ExperimentGrantChange { principal: "reader".into(), level: Some(ExperimentLevel::Read) };
    q.update_experiment_permissions(&a, &big, &[read], false).await.expect("grant");
    let r = Actor { principal: Principal { user_id: reader.id, username: reader.username, admin: false }, ..actor() };
    let s = measure(|i| {
        let id = some.items[i % some.items.len()].run_id.clone();
        let (q, r) = (&q, &r);
        async move {
            q.get_run(r, &id).await.expect("get run");
        }
    })
    .await;
    row("get_run as a user with CAN_READ (level cached)", "1", &s);
    // Each call a run the user has not read before: the level is read from the store.
    let fresh = q.search_runs(&a, &ids, &RunSearch { limit: MAX_CALLS as i64, ..Default::default() }).await;
    let fresh = fresh.expect("search").items;
    let s = measure(|i| {
        let id = fresh[i % fresh.len()].run_id.clone();
        let (q, r) = (&q, &r);
        async move {
            q.get_run(r, &id).await.expect("get run");
        }
    })
    .await;
    row("get_run as that user, first read of each run", "1", &s);
    let search = RunSearch { limit: PAGE, ..Default::default() };
    let s = measure(|_| async {
        q.search_runs(&r, &ids, &search).await.expect("search");
    })
    .await;
    row("newest first, as that user", "50", &s);
}

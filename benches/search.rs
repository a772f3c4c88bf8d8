//! Search and model-page latency on a large registry.
//!
//! Loads `QUIVER_BENCH_MODELS` (default 100 000) models through the service layer into the real
//! embedded SurrealDB (SurrealKV on disk, in a temporary directory), then times `search_models`
//! for typical queries and the reads behind a model page. Every operation runs at most
//! [`MAX_CALLS`] times or for [`MAX_TIME`], whichever comes first, one call at a time.
//!
//! `QUIVER_BENCH_DIR=PATH` keeps the store in PATH instead of a temporary directory, and a later
//! run with the same model count measures that store again without loading it.
//!
//! Run: `cargo bench -p quiver -p app -p quiver-server --features quiver/server,app/ssr --bench search`

use std::path::PathBuf;
use std::time::Instant;

use common::{MAX_CALLS, MAX_TIME, actor, env_count, measure, mix, row, store_in, table_head};
use quiver::names::ModelPath;
use quiver::services::paging::PageRequest;
use quiver::services::registry::{NewVersion, TagTarget};
use quiver::{Quiver, ServiceConfig};

mod common;

const DEFAULT_MODELS: usize = 100_000;
const CATALOGS: usize = 4;
const SCHEMAS: usize = 10;
const LOADERS: usize = 8;
const PAGE: u32 = 50;

/// Model names are `<first>_<second>_model_<n>`; no word contains another word of either list,
/// so a word as a query matches exactly the models named with it.
const FIRST: [&str; 10] =
    ["fraud", "churn", "credit", "sales", "risk", "price", "demand", "ranking", "vision", "speech"];
const SECOND: [&str; 8] =
    ["detector", "forecast", "scorer", "classifier", "regressor", "embedder", "tagger", "encoder"];
/// About 1% of the models carry `team=<one of these>`.
const TEAMS: [&str; 4] = ["trust", "growth", "payments", "platform"];

/// What model `n` looks like.
struct Spec {
    catalog: String,
    schema: String,
    name: String,
    team: Option<&'static str>,
    /// Has version 1 and the alias `Champion` on it.
    champion: bool,
}

fn spec(n: usize) -> Spec {
    let h = mix(n as u64);
    Spec {
        catalog: format!("catalog{}", n % CATALOGS),
        schema: format!("schema{}", (n / CATALOGS) % SCHEMAS),
        name: format!("{}_{}_model_{n}", FIRST[(h % 10) as usize], SECOND[((h >> 8) % 8) as usize]),
        team: ((h >> 16) % 100 == 0).then(|| TEAMS[((h >> 24) % 4) as usize]),
        champion: (h >> 32) % 500 == 0,
    }
}

impl Spec {
    fn path(&self) -> ModelPath {
        ModelPath::new(&self.catalog, &self.schema, &self.name).expect("valid bench name")
    }
}

fn page(token: Option<String>) -> PageRequest {
    PageRequest { max_results: Some(PAGE), page_token: token }
}

async fn load(q: &Quiver, models: usize) {
    let a = actor();
    for c in 0..CATALOGS {
        let catalog = format!("catalog{c}");
        q.create_catalog(&a, &catalog, "").await.expect("create catalog");
        for s in 0..SCHEMAS {
            q.create_schema(&a, &catalog, &format!("schema{s}"), "").await.expect("create schema");
        }
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..LOADERS {
        let q = q.clone();
        tasks.push(tokio::spawn(async move {
            let a = actor();
            for n in (t..models).step_by(LOADERS) {
                let s = spec(n);
                let path = s.path();
                q.create_model(&a, &s.catalog, &s.schema, &s.name, "").await.expect("create model");
                if let Some(team) = s.team {
                    q.set_tag(&a, &path, TagTarget::Model, "team", team).await.expect("set tag");
                }
                if s.champion {
                    let v = NewVersion { source: format!("runs:/r{n}/model"), ..Default::default() };
                    q.create_version(&a, &path, v).await.expect("create version");
                    q.set_alias(&a, &path, "Champion", 1).await.expect("set alias");
                }
                if t == 0 && n % 10_000 < LOADERS {
                    eprintln!("  ~{n} models loaded, {:.0} s", started.elapsed().as_secs_f64());
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("loader task");
    }
    let took = started.elapsed();
    println!(
        "loaded {models} models ({LOADERS} concurrent loaders) in {:.1} s: {:.0} models/s",
        took.as_secs_f64(),
        models as f64 / took.as_secs_f64()
    );
}

/// How many models a query should find, from the specs.
fn expected(models: usize, names: &[&str], team: Option<&str>, champion: bool) -> usize {
    (0..models)
        .map(spec)
        .filter(|s| names.iter().all(|f| s.name.contains(f)))
        .filter(|s| team.is_none_or(|t| s.team == Some(t)))
        .filter(|s| !champion || s.champion)
        .count()
}

/// Checks the first page of `query` against the expected count (and all pages when few).
async fn check(q: &Quiver, query: &str, names: &[&str], want: usize) {
    let a = actor();
    let first = q.search_models(&a, query, &page(None)).await.expect("search");
    assert_eq!(first.items.len(), want.min(PAGE as usize), "first page of {query:?}");
    assert_eq!(first.next_page_token.is_some(), want > PAGE as usize, "more pages of {query:?}");
    for m in &first.items {
        assert!(names.iter().all(|f| m.name.contains(f)), "{query:?} found {}", m.full_name());
    }
    if want <= 2_000 {
        let (mut seen, mut token) = (Vec::new(), None);
        loop {
            let p = q
                .search_models(&a, query, &PageRequest { max_results: Some(1000), page_token: token })
                .await
                .expect("search");
            seen.extend(p.items.into_iter().map(|m| m.full_name()));
            token = p.next_page_token;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(seen.len(), want, "all hits of {query:?}");
        let distinct: std::collections::BTreeSet<_> = seen.iter().collect();
        assert_eq!(distinct.len(), want, "hits of {query:?} are distinct");
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let models: usize = env_count("QUIVER_BENCH_MODELS", DEFAULT_MODELS);
    assert!(models >= 100, "QUIVER_BENCH_MODELS must be at least 100");

    let (_temp, dir) = match std::env::var_os("QUIVER_BENCH_DIR") {
        Some(d) => (None, PathBuf::from(d)),
        None => {
            let t = tempfile::tempdir().expect("temp dir");
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    let store = store_in(&dir);
    println!("store: {}", store.url);
    let marker = dir.join(format!("loaded-{models}"));
    assert!(
        marker.exists() || !dir.join("store").exists(),
        "{} holds a store that is not a complete load of {models} models; remove it",
        dir.display()
    );
    let q = Quiver::open(&store, ServiceConfig::default()).await.expect("open store");
    if marker.exists() {
        println!("reusing the {models} models loaded earlier");
    } else {
        load(&q, models).await;
        std::fs::write(&marker, "").expect("write marker");
    }

    // Queries and the number of models each should find.
    let rare = format!("model_{}", models / 10 - 1);
    let common = "churn";
    let team = "trust";
    let queries: Vec<(String, String, usize, Vec<&str>)> = vec![
        ("name, rare".into(), rare.clone(), expected(models, &[&rare], None, false), vec![rare.as_str()]),
        ("name, common".into(), common.into(), expected(models, &[common], None, false), vec![common]),
        ("tag".into(), format!("team={team}"), expected(models, &[], Some(team), false), vec![]),
        ("alias".into(), "@Champion".into(), expected(models, &[], None, true), vec![]),
        (
            "tag + name".into(),
            format!("team={team} {common}"),
            expected(models, &[common], Some(team), false),
            vec![common],
        ),
    ];
    let a = actor();
    for (_, query, want, names) in &queries {
        check(&q, query, names, *want).await;
    }

    println!();
    println!("{models} models; pages of {PAGE}; each operation at most {MAX_CALLS} calls or {MAX_TIME:?}");
    println!();
    table_head();
    for (label, query, want, _) in &queries {
        let s = measure(|_| async {
            q.search_models(&a, query, &page(None)).await.expect("search");
        })
        .await;
        row(&format!("search {label}: `{query}`"), &want.to_string(), &s);
    }

    // Page 2 of the common query, through the token of page 1.
    let first = q.search_models(&a, common, &page(None)).await.expect("search");
    let token = first.next_page_token.expect("the common query has a second page");
    let s = measure(|_| {
        let token = token.clone();
        let (q, a) = (&q, &a);
        async move {
            let p = q.search_models(a, common, &page(Some(token))).await.expect("search page 2");
            assert_eq!(p.items.len(), PAGE as usize);
        }
    })
    .await;
    let want = queries[1].2;
    row(&format!("search name, common, page 2: `{common}`"), &want.to_string(), &s);

    // A model page: the model, its versions and its activity, for random models.
    let pick = |i: usize| spec((mix(i as u64 ^ 0xA5A5) % models as u64) as usize).path();
    let s = measure(|i| {
        let path = pick(i);
        let (q, a) = (&q, &a);
        async move {
            q.get_model(a, &path).await.expect("get model");
            q.list_versions(a, &path, &page(None)).await.expect("list versions");
            q.list_activity(a, &path, None, &page(None)).await.expect("list activity");
        }
    })
    .await;
    row("model page (model + versions + activity)", "-", &s);
    // Its parts, to tell which one costs what.
    let s = measure(|i| {
        let path = pick(i);
        let (q, a) = (&q, &a);
        async move {
            q.list_versions(a, &path, &page(None)).await.expect("list versions");
        }
    })
    .await;
    row("  list_versions", "-", &s);
    let s = measure(|i| {
        let path = pick(i);
        let (q, a) = (&q, &a);
        async move {
            q.list_activity(a, &path, None, &page(None)).await.expect("list activity");
        }
    })
    .await;
    row("  list_activity", "-", &s);
    let s = measure(|i| {
        let path = pick(i);
        let (q, a) = (&q, &a);
        async move {
            q.get_model(a, &path).await.expect("get model");
        }
    })
    .await;
    row("get_model", "-", &s);
}

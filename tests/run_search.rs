//! MLflow's run search on the real embedded store: filters over metrics, params, tags and
//! attributes; ordering with missing values last; pages; deleted runs; and the copies a search
//! reads staying in step with every change to a run.

mod common;

use common::actor;
use quiver::Quiver;
use quiver::error::ErrorKind;
use quiver::filter::{Entity, RunOrder, parse, run_order};
use quiver::services::governance::Actor;
use quiver::services::registry::Tag;
use quiver::services::tracking::{Metric, RunBatch, RunSearch, RunView};

fn tag(key: &str, value: &str) -> Tag {
    Tag { key: key.into(), value: value.into() }
}

/// Runs `a` … `e` in a fresh experiment, started in that order, with:
/// acc 0.9 / 0.7 / 0.95 / — / 0.7; depth '3' / '5' / '3' / '8' / —; team tag on a, b, d.
async fn fixture() -> (Quiver, Actor, String, Vec<String>) {
    let q = common::registry().await;
    let a = actor("alice");
    let exp = q.create_experiment(&a, "churn", None, &[]).await.unwrap();
    let specs: [(&str, Option<f64>, Option<&str>, Option<&str>); 5] = [
        ("a", Some(0.9), Some("3"), Some("risk")),
        ("b", Some(0.7), Some("5"), Some("growth")),
        ("c", Some(0.95), Some("3"), None),
        ("d", None, Some("8"), Some("risk")),
        ("e", Some(0.7), None, None),
    ];
    let mut ids = Vec::new();
    for (i, (name, acc, depth, team)) in specs.into_iter().enumerate() {
        let start = 1_000 * (i as i64 + 1);
        let run = q.create_run(&a, &exp, Some(name), Some(start), &[]).await.unwrap();
        let batch = RunBatch {
            metrics: acc.map(|v| Metric::new("acc", v, start, 0)).into_iter().collect(),
            params: depth.map(|d| tag("max_depth", d)).into_iter().collect(),
            tags: team.map(|t| tag("team", t)).into_iter().collect(),
        };
        q.log_batch(&a, &run.run_id, &batch).await.unwrap();
        ids.push(run.run_id);
    }
    (q, a, exp, ids)
}

async fn names(q: &Quiver, a: &Actor, exp: &str, filter: &str, order: &[&str]) -> Vec<String> {
    let filter = parse(filter, Entity::Runs).unwrap_or_else(|e| panic!("{filter}: {e:?}"));
    let order: Vec<RunOrder> = order.iter().map(|o| run_order(o).unwrap()).collect();
    let search = RunSearch { filter: filter.as_ref(), order: &order, limit: 100, ..Default::default() };
    let page = q.search_runs(a, &[exp.to_string()], &search).await.unwrap();
    page.items.into_iter().map(|r| r.run_name).collect()
}

#[tokio::test]
async fn filters_compare_metrics_params_tags_and_attributes() {
    let (q, a, exp, ids) = fixture().await;
    // Newest first by default.
    assert_eq!(names(&q, &a, &exp, "", &[]).await, ["e", "d", "c", "b", "a"]);
    for (filter, expected) in [
        ("metrics.acc > 0.8", &["c", "a"][..]),
        ("metrics.acc >= 0.7 AND metrics.acc <= 0.9", &["e", "b", "a"]),
        ("metrics.acc = 0.7", &["e", "b"]),
        // A run without the metric matches no comparison, != included (as in MLflow).
        ("metrics.acc != 0.7", &["c", "a"]),
        ("metrics.`acc` < 1e0", &["e", "c", "b", "a"]),
        ("params.max_depth = '3'", &["c", "a"]),
        ("params.max_depth IN ('5', '8')", &["d", "b"]),
        ("params.max_depth != '3'", &["d", "b"]),
        ("tags.team = 'risk'", &["d", "a"]),
        ("tags.team LIKE 'gr%'", &["b"]),
        ("tags.team ILIKE 'RISK'", &["d", "a"]),
        ("attributes.run_name IN ('a', 'e')", &["e", "a"]),
        ("run_name LIKE '_'", &["e", "d", "c", "b", "a"]),
        ("attributes.start_time > 3000", &["e", "d"]),
        ("attributes.status = 'RUNNING'", &["e", "d", "c", "b", "a"]),
        ("attributes.end_time > 0", &[]),
        // Beyond MLflow: OR and parentheses.
        ("tags.team = 'growth' OR (metrics.acc > 0.9 AND params.max_depth = '3')", &["c", "b"]),
    ] {
        assert_eq!(names(&q, &a, &exp, filter, &[]).await, expected, "{filter}");
    }
    let by_id = format!("attributes.run_id = '{}'", ids[1]);
    assert_eq!(names(&q, &a, &exp, &by_id, &[]).await, ["b"]);
    // Values are bound, never spliced into the query.
    assert!(names(&q, &a, &exp, "params.max_depth = \"3' OR true OR '\"", &[]).await.is_empty());
}

#[tokio::test]
async fn order_by_puts_runs_without_the_value_last_either_way() {
    let (q, a, exp, _) = fixture().await;
    // Ties (b and e at 0.7) fall back to the newest start.
    assert_eq!(names(&q, &a, &exp, "", &["metrics.acc DESC"]).await, ["c", "a", "e", "b", "d"]);
    assert_eq!(names(&q, &a, &exp, "", &["metrics.acc"]).await, ["e", "b", "a", "c", "d"]);
    assert_eq!(names(&q, &a, &exp, "", &["params.max_depth DESC", "start_time"]).await, ["d", "b", "a", "c", "e"]);
    assert_eq!(names(&q, &a, &exp, "", &["tags.team", "metrics.acc DESC"]).await, ["b", "a", "d", "c", "e"]);
    assert_eq!(names(&q, &a, &exp, "", &["attributes.run_name DESC"]).await, ["e", "d", "c", "b", "a"]);
    assert_eq!(names(&q, &a, &exp, "metrics.acc < 0.9", &["start_time ASC"]).await, ["b", "e"]);
}

#[tokio::test]
async fn pages_cover_every_run_once() {
    let (q, a, exp, _) = fixture().await;
    let order = [run_order("metrics.acc DESC").unwrap()];
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10 {
        let search = RunSearch { order: &order, limit: 2, page_token: token.as_deref(), ..Default::default() };
        let page = q.search_runs(&a, &[exp.clone()], &search).await.unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.into_iter().map(|r| r.run_name));
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, ["c", "a", "e", "b", "d"]);
    let bad = RunSearch { limit: 2, page_token: Some("nonsense"), ..Default::default() };
    assert!(q.search_runs(&a, &[exp.clone()], &bad).await.unwrap_err().is(ErrorKind::InvalidArgument));
    let too_many = RunSearch { limit: 50_001, ..Default::default() };
    assert!(q.search_runs(&a, &[exp], &too_many).await.unwrap_err().is(ErrorKind::InvalidArgument));
}

#[tokio::test]
async fn searches_span_experiments_and_skip_deleted_runs_unless_asked() {
    let (q, a, exp, ids) = fixture().await;
    let other = q.create_experiment(&a, "fraud", None, &[]).await.unwrap();
    q.create_run(&a, &other, Some("f"), Some(9_000), &[]).await.unwrap();
    let search = |view| RunSearch { view, limit: 100, ..Default::default() };
    let ids_of = |page: quiver::services::paging::Page<quiver::services::tracking::Run>| -> Vec<String> {
        page.items.into_iter().map(|r| r.run_name).collect()
    };
    let both = q.search_runs(&a, &[exp.clone(), other.clone()], &search(RunView::ActiveOnly)).await.unwrap();
    assert_eq!(ids_of(both), ["f", "e", "d", "c", "b", "a"]);
    // An unknown experiment has no runs; an id that is no number is refused.
    assert!(q.search_runs(&a, &["999".into()], &search(RunView::All)).await.unwrap().items.is_empty());
    assert!(q.search_runs(&a, &["x".into()], &search(RunView::All)).await.unwrap_err().is(ErrorKind::InvalidArgument));

    q.set_run_deleted(&a, &ids[1], true).await.unwrap();
    let one = [exp.clone()];
    assert_eq!(ids_of(q.search_runs(&a, &one, &search(RunView::ActiveOnly)).await.unwrap()), ["e", "d", "c", "a"]);
    assert_eq!(ids_of(q.search_runs(&a, &one, &search(RunView::DeletedOnly)).await.unwrap()), ["b"]);
    assert_eq!(q.search_runs(&a, &one, &search(RunView::All)).await.unwrap().items.len(), 5);
    // A deleted run can still be read, and restored.
    assert_eq!(q.get_run(&a, &ids[1]).await.unwrap().lifecycle_stage, "deleted");
    q.set_run_deleted(&a, &ids[1], false).await.unwrap();
    assert_eq!(q.get_run(&a, &ids[1]).await.unwrap().lifecycle_stage, "active");
    assert!(q.search_runs(&a, &one, &search(RunView::DeletedOnly)).await.unwrap().items.is_empty());
    let missing = q.set_run_deleted(&a, "0123", true).await.unwrap_err();
    assert!(missing.is(ErrorKind::NotFound), "{missing:?}");
}

#[tokio::test]
async fn what_a_search_reads_follows_every_change_to_a_run() {
    let (q, a, exp, ids) = fixture().await;
    // A later step replaces the latest value; an earlier one does not.
    let point = |value, step| Metric::new("acc", value, 10, step);
    q.log_batch(&a, &ids[0], &RunBatch { metrics: vec![point(0.5, 3)], ..Default::default() }).await.unwrap();
    q.log_batch(&a, &ids[2], &RunBatch { metrics: vec![point(0.1, -1)], ..Default::default() }).await.unwrap();
    assert_eq!(names(&q, &a, &exp, "metrics.acc > 0.8", &[]).await, ["c"]);
    // Tags: set, replaced, deleted; the run's name.
    q.log_batch(&a, &ids[2], &RunBatch { tags: vec![tag("team", "growth")], ..Default::default() }).await.unwrap();
    assert_eq!(names(&q, &a, &exp, "tags.team = 'growth'", &[]).await, ["c", "b"]);
    q.delete_run_tag(&a, &ids[1], "team").await.unwrap();
    assert_eq!(names(&q, &a, &exp, "tags.team = 'growth'", &[]).await, ["c"]);
    q.update_run(&a, &ids[4], Some("FINISHED"), Some(9_000), Some("renamed")).await.unwrap();
    assert_eq!(
        names(&q, &a, &exp, "tags.`mlflow.runName` = 'renamed' AND status = 'FINISHED'", &[]).await,
        ["renamed"]
    );
    assert_eq!(names(&q, &a, &exp, "end_time >= 9000", &[]).await, ["renamed"]);
    // Params and the latest metrics come back with each run, as get_run gives them.
    let search = RunSearch { limit: 100, ..Default::default() };
    let page = q.search_runs(&a, &[exp], &search).await.unwrap();
    for run in page.items {
        assert_eq!(run, q.get_run(&a, &run.run_id).await.unwrap());
    }
}

#[tokio::test]
async fn experiments_are_searched_by_name_ordered_and_paged() {
    let q = common::registry().await;
    let a = actor("alice");
    for name in ["churn-a", "churn-b", "fraud", "Churn-c"] {
        q.create_experiment(&a, name, None, &[]).await.unwrap();
    }
    let find = |filter: &'static str, order: &'static [&'static str]| {
        let q = q.clone();
        let a = a.clone();
        async move {
            let filter = parse(filter, Entity::Experiments).unwrap();
            let order: Vec<String> = order.iter().map(|o| o.to_string()).collect();
            let page = q.search_experiments(&a, filter.as_ref(), &order, RunView::ActiveOnly, 100, None).await.unwrap();
            page.items.into_iter().map(|e| e.name).collect::<Vec<_>>()
        }
    };
    // Newest first; names compared as MLflow does, case and all.
    assert_eq!(find("", &[]).await, ["Churn-c", "fraud", "churn-b", "churn-a", "Default"]);
    assert_eq!(find("name LIKE 'churn%'", &[]).await, ["churn-b", "churn-a"]);
    assert_eq!(find("name ILIKE 'churn%'", &["name ASC"]).await, ["Churn-c", "churn-a", "churn-b"]);
    assert_eq!(find("attributes.name = 'fraud' OR name = 'Default'", &["experiment_id"]).await, ["Default", "fraud"]);
    assert_eq!(find("name != 'fraud'", &["creation_time DESC"]).await.len(), 4);

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..5 {
        let page = q.search_experiments(&a, None, &[], RunView::ActiveOnly, 2, token.as_deref()).await.unwrap();
        seen.extend(page.items.into_iter().map(|e| e.name));
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, ["Churn-c", "fraud", "churn-b", "churn-a", "Default"]);
    let bad = q.search_experiments(&a, None, &["size".into()], RunView::ActiveOnly, 2, None).await.unwrap_err();
    assert!(bad.is(ErrorKind::InvalidArgument) && bad.message.contains("cannot be ordered by 'size'"), "{bad:?}");
}

#[tokio::test]
async fn a_deleted_experiment_hides_with_its_runs_until_restored() {
    let (q, a, exp, ids) = fixture().await;
    // A run deleted on its own before stays deleted when the experiment comes back.
    q.set_run_deleted(&a, &ids[0], true).await.unwrap();
    q.set_experiment_deleted(&a, &exp, true).await.unwrap();
    let active = |view| RunSearch { view, limit: 100, ..Default::default() };
    assert!(q.search_runs(&a, &[exp.clone()], &active(RunView::ActiveOnly)).await.unwrap().items.is_empty());
    assert_eq!(q.search_runs(&a, &[exp.clone()], &active(RunView::DeletedOnly)).await.unwrap().items.len(), 5);
    let listed = q.search_experiments(&a, None, &[], RunView::ActiveOnly, 100, None).await.unwrap();
    assert_eq!(listed.items.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["Default"]);
    assert_eq!(q.get_experiment(&a, &exp).await.unwrap().lifecycle_stage, "deleted");
    // No new runs in it; its name stays taken.
    let refused = q.create_run(&a, &exp, None, None, &[]).await.unwrap_err();
    assert!(refused.is(ErrorKind::FailedPrecondition) && refused.message.contains("is deleted"), "{refused:?}");
    assert!(q.create_experiment(&a, "churn", None, &[]).await.unwrap_err().is(ErrorKind::AlreadyExists));

    q.set_experiment_deleted(&a, &exp, false).await.unwrap();
    assert_eq!(names(&q, &a, &exp, "", &[]).await, ["e", "d", "c", "b"]);
    assert_eq!(q.get_run(&a, &ids[0]).await.unwrap().lifecycle_stage, "deleted");

    // Renamed; a taken name is refused; the Default experiment stays.
    q.rename_experiment(&a, &exp, "churn-v2").await.unwrap();
    assert_eq!(q.get_experiment(&a, &exp).await.unwrap().name, "churn-v2");
    assert!(q.rename_experiment(&a, &exp, "Default").await.unwrap_err().is(ErrorKind::AlreadyExists));
    assert!(q.set_experiment_deleted(&a, "0", true).await.unwrap_err().is(ErrorKind::InvalidArgument));
    assert!(q.set_experiment_deleted(&a, "999", true).await.unwrap_err().is(ErrorKind::NotFound));
}

//! MLflow 3's logged models as a model-centric workflow uses them: metrics logged with a
//! `model_id` kept on the model, and search_logged_models filtering and ordering by them, by
//! params, tags and attributes, a page at a time.

mod common;

use common::actor;
use quiver::error::ErrorKind;
use quiver::filter::{Entity, ModelOrder, model_order, parse};
use quiver::services::registry::Tag;
use quiver::services::tracking::{DatasetRef, Metric, RunBatch};
use serde_json::json;

fn tag(key: &str, value: &str) -> Tag {
    Tag { key: key.into(), value: value.into() }
}

fn scored(key: &str, value: f64, timestamp: i64, model_id: &str, dataset: Option<&str>) -> Metric {
    Metric {
        model_id: Some(model_id.into()),
        dataset_name: dataset.map(str::to_string),
        dataset_digest: dataset.map(|_| "d1".to_string()),
        ..Metric::new(key, value, timestamp, 0)
    }
}

#[tokio::test]
async fn the_best_logged_model_is_found_by_its_metrics() {
    let q = common::registry().await;
    let a = actor("alice");
    let exp = q.create_experiment(&a, "churn", None, &[]).await.unwrap();
    let mut ids = Vec::new();
    // Three models, each from its own run: C, accuracy on eval, and a later re-scoring of the
    // first one (its latest value is what ordering uses).
    for (i, (c, acc)) in [("0.01", 0.87), ("1.0", 0.97), ("100.0", 0.95)].into_iter().enumerate() {
        let run = q.create_run(&a, &exp, None, Some(1_000 + i as i64), &[]).await.unwrap();
        let kind = if i == 2 { "tree" } else { "linear" };
        let lm = q
            .create_logged_model(
                &a,
                &exp,
                &format!("lr-{c}"),
                Some(&run.run_id),
                None,
                &[tag("C", c)],
                &[tag("kind", kind)],
            )
            .await
            .unwrap();
        let batch =
            RunBatch { metrics: vec![scored("accuracy", acc, 10, &lm.model_id, Some("eval"))], ..Default::default() };
        q.log_batch(&a, &run.run_id, &batch).await.unwrap();
        // The value is the run's too.
        assert_eq!(q.get_run(&a, &run.run_id).await.unwrap().metrics[0].value, acc);
        ids.push((lm.model_id, run.run_id));
    }
    let rescore = RunBatch { metrics: vec![scored("accuracy", 0.99, 20, &ids[0].0, None)], ..Default::default() };
    q.log_batch(&a, &ids[0].1, &rescore).await.unwrap();
    // A retried call and an older value change nothing: the model keeps the latest per dataset.
    q.log_batch(&a, &ids[0].1, &rescore).await.unwrap();
    let older = RunBatch { metrics: vec![scored("accuracy", 0.5, 5, &ids[0].0, Some("eval"))], ..Default::default() };
    q.log_batch(&a, &ids[0].1, &older).await.unwrap();
    let first = q.get_logged_model(&a, &ids[0].0).await.unwrap();
    let values: Vec<(f64, Option<&str>, &str)> =
        first.metrics.iter().map(|m| (m.value, m.dataset_name.as_deref(), m.run_id.as_str())).collect();
    assert_eq!(values, [(0.87, Some("eval"), ids[0].1.as_str()), (0.99, None, ids[0].1.as_str())]);

    let search = async |filter: &str, order: &[ModelOrder], limit: i64, token: Option<&str>| {
        let f = parse(filter, Entity::LoggedModels).unwrap();
        let exps = std::slice::from_ref(&exp);
        let page = q.search_logged_models(&a, exps, f.as_ref(), &[], order, limit, token).await.unwrap();
        (page.items.into_iter().map(|m| m.name).collect::<Vec<_>>(), page.next_page_token)
    };
    let by = |v: serde_json::Value| vec![model_order(&v).unwrap()];
    // The latest value on any dataset may match a metric filter: lr-0.01 matches
    // through its re-scoring.
    let (names, _) =
        search("metrics.accuracy > 0.96", &by(json!({"field_name": "metrics.accuracy", "ascending": false})), 10, None)
            .await;
    assert_eq!(names, ["lr-0.01", "lr-1.0"]);
    // On the eval dataset alone, the latest values order them differently.
    let on_eval = by(json!({"field_name": "metrics.accuracy", "ascending": false, "dataset_name": "eval"}));
    assert_eq!(search("", &on_eval, 10, None).await.0, ["lr-1.0", "lr-100.0", "lr-0.01"]);
    // Params, tags and attributes; beyond MLflow, OR and parentheses.
    assert_eq!(search("params.C = '100.0'", &[], 10, None).await.0, ["lr-100.0"]);
    assert_eq!(search("tags.kind = 'linear' AND name LIKE 'lr-1%'", &[], 10, None).await.0, ["lr-1.0"]);
    assert_eq!(
        search("tags.kind = 'tree' OR (params.C = '0.01')", &by(json!({"field_name": "name"})), 10, None).await.0,
        ["lr-0.01", "lr-100.0"]
    );
    let run = &ids[1].1;
    assert_eq!(search(&format!("source_run_id = '{run}'"), &[], 10, None).await.0, ["lr-1.0"]);
    assert_eq!(search("creation_timestamp > 0 AND status = 'LOGGED_MODEL_PENDING'", &[], 10, None).await.0.len(), 3);
    // Newest first by default, a page of two at a time.
    let (page, token) = search("", &[], 2, None).await;
    assert_eq!(page, ["lr-100.0", "lr-1.0"]);
    let (rest, last) = search("", &[], 2, token.as_deref()).await;
    assert_eq!((rest, last), (vec!["lr-0.01".to_string()], None));

    // Scoped to a dataset (MLflow's `datasets`): only models measured on it, and only those
    // values count. lr-0.01's 0.99 was measured on no dataset.
    let scoped = async |filter: &str, datasets: &[DatasetRef]| {
        let f = parse(filter, Entity::LoggedModels).unwrap();
        let exps = std::slice::from_ref(&exp);
        let page = q.search_logged_models(&a, exps, f.as_ref(), datasets, &[], 10, None).await;
        page.map(|p| p.items.into_iter().map(|m| m.name).collect::<Vec<_>>())
    };
    let eval = |digest: Option<&str>| vec![DatasetRef { name: "eval".into(), digest: digest.map(str::to_string) }];
    assert_eq!(scoped("metrics.accuracy > 0.96", &eval(None)).await.unwrap(), ["lr-1.0"]);
    assert_eq!(scoped("", &eval(Some("d1"))).await.unwrap(), ["lr-100.0", "lr-1.0", "lr-0.01"]);
    assert!(scoped("", &eval(Some("other"))).await.unwrap().is_empty());
    let blank = [DatasetRef { name: " ".into(), digest: None }];
    assert_eq!(scoped("", &blank).await.unwrap_err().field.as_deref(), Some("datasets"));

    // Tags set and deleted later are searched as they are now.
    q.set_logged_model_tags(&a, &ids[2].0, &[tag("kind", "forest")]).await.unwrap();
    assert_eq!(search("tags.kind = 'forest'", &[], 10, None).await.0, ["lr-100.0"]);
    q.delete_logged_model_tag(&a, &ids[2].0, "kind").await.unwrap();
    assert!(search("tags.kind = 'forest'", &[], 10, None).await.0.is_empty());
    assert!(q.get_logged_model(&a, &ids[2].0).await.unwrap().tags.is_empty());
    let e = q.delete_logged_model_tag(&a, &ids[2].0, "kind").await.unwrap_err();
    assert!(e.is(ErrorKind::NotFound) && e.message.contains("no tag 'kind'"), "{e:?}");

    // Params past log_model's first hundred arrive later, and are searched too.
    let more: Vec<Tag> = (0..150).map(|i| tag(&format!("p{i}"), &i.to_string())).collect();
    q.log_logged_model_params(&a, &ids[2].0, &more).await.unwrap();
    assert_eq!(q.get_logged_model(&a, &ids[2].0).await.unwrap().params.len(), 151);
    assert_eq!(search("params.p149 = '149'", &[], 10, None).await.0, ["lr-100.0"]);
}

#[tokio::test]
async fn a_metric_for_an_unknown_model_refuses_its_whole_batch() {
    let q = common::registry().await;
    let a = actor("alice");
    let exp = q.create_experiment(&a, "churn", None, &[]).await.unwrap();
    let run = q.create_run(&a, &exp, None, None, &[]).await.unwrap();
    let missing = "m-0123456789abcdef0123456789abcdef";
    let batch = RunBatch {
        metrics: vec![Metric::new("loss", 0.5, 1, 0), scored("accuracy", 0.9, 1, missing, None)],
        ..Default::default()
    };
    let e = q.log_batch(&a, &run.run_id, &batch).await.unwrap_err();
    assert!(e.is(ErrorKind::NotFound) && e.message.contains(missing), "{e:?}");
    assert!(q.get_run(&a, &run.run_id).await.unwrap().metrics.is_empty(), "nothing of the batch was kept");
    let bad = RunBatch { metrics: vec![scored("accuracy", 0.9, 1, "model-7", None)], ..Default::default() };
    let e = q.log_batch(&a, &run.run_id, &bad).await.unwrap_err();
    assert!(e.is(ErrorKind::InvalidArgument) && e.message.contains("names no logged model"), "{e:?}");

    // Bad searches say why.
    let exps = std::slice::from_ref(&exp);
    let e = q.search_logged_models(&a, exps, None, &[], &[], 0, None).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("max_results"));
    let e = parse("attributes.run_name = 'x'", Entity::LoggedModels).unwrap_err();
    assert!(e.message.contains("unknown attribute 'run_name'; the attributes are model_id, name"), "{}", e.message);
    let e = parse("metrics.acc > 'high'", Entity::LoggedModels).unwrap_err();
    assert!(e.message.contains("must be compared with an unquoted number"), "{}", e.message);
}

//! The datasets runs use (MLflow's runs/log-inputs): stored once per experiment, read back with
//! the run (and its search results), deduplicated as MLflow does, and refused when malformed.

mod common;

use common::actor;
use quiver::error::ErrorKind;
use quiver::services::registry::Tag;
use quiver::services::tracking::{Dataset, DatasetInput, RunSearch};

fn input(name: &str, digest: &str, context: &str) -> DatasetInput {
    DatasetInput {
        tags: vec![Tag { key: "mlflow.data.context".into(), value: context.into() }],
        dataset: Dataset {
            name: name.into(),
            digest: digest.into(),
            source_type: "local".into(),
            source: format!(r#"{{"uri": "/data/{name}.csv"}}"#),
            schema: Some(r#"{"mlflow_colspec": [{"type": "double", "name": "x", "required": true}]}"#.into()),
            profile: Some(r#"{"num_rows": 150, "num_elements": 150}"#.into()),
        },
    }
}

fn seen(run: &quiver::services::tracking::Run) -> Vec<(String, String, Option<String>)> {
    run.inputs
        .iter()
        .map(|i| (i.dataset.name.clone(), i.dataset.digest.clone(), i.context().map(str::to_string)))
        .collect()
}

const MODEL: &str = "m-0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn a_run_lists_the_datasets_it_used_in_the_order_logged() {
    let q = common::registry().await;
    let a = actor("alice");
    let exp = q.create_experiment(&a, "churn", None, &[]).await.unwrap();
    let run = q.create_run(&a, &exp, None, None, &[]).await.unwrap();
    assert!(run.inputs.is_empty());
    q.log_inputs(
        &a,
        &run.run_id,
        &[input("train", "aaaa", "training"), input("eval", "bbbb", "eval")],
        &[MODEL.into()],
    )
    .await
    .unwrap();
    // Logged again, with another context: MLflow keeps the first logging, and so does Quiver;
    // within one call a repeated dataset counts once too.
    q.log_inputs(&a, &run.run_id, &[input("train", "aaaa", "other"), input("train", "aaaa", "x")], &[MODEL.into()])
        .await
        .unwrap();
    let got = q.get_run(&a, &run.run_id).await.unwrap();
    let want = [
        ("train".to_string(), "aaaa".to_string(), Some("training".to_string())),
        ("eval".into(), "bbbb".into(), Some("eval".into())),
    ];
    assert_eq!(seen(&got), want);
    assert_eq!(got.model_inputs, [MODEL]);
    let d = &got.inputs[0].dataset;
    assert_eq!((d.rows(), d.location().as_deref(), d.columns().len()), (Some(150), Some("/data/train.csv"), 1));

    // A search returns the same inputs with each run.
    let page = q.search_runs(&a, std::slice::from_ref(&exp), &RunSearch::default()).await.unwrap();
    assert_eq!(seen(&page.items[0]), want);
    let bare = q.create_run(&a, &exp, None, None, &[]).await.unwrap();

    // MLflow's `datasets.*` filters: a run matches when one of its datasets does; a run without
    // datasets matches none of them, `!=` included.
    let found = async |filter: &str| {
        let f = quiver::filter::parse(filter, quiver::filter::Entity::Runs).unwrap();
        let search = RunSearch { filter: f.as_ref(), ..Default::default() };
        let page = q.search_runs(&a, std::slice::from_ref(&exp), &search).await.unwrap();
        page.items.into_iter().map(|r| r.run_id).collect::<Vec<_>>()
    };
    let only = vec![run.run_id.clone()];
    assert_eq!(found("datasets.name = 'eval'").await, only);
    assert_eq!(found("datasets.digest IN ('aaaa', 'zzzz')").await, only);
    assert_eq!(found("datasets.context = 'training' AND datasets.name LIKE 'tr%'").await, only);
    assert_eq!(found("datasets.name != 'eval'").await, only, "its other dataset is not eval");
    assert!(found("datasets.context = 'other'").await.is_empty(), "the first logging's tags stay");
    assert_eq!(
        found("datasets.name = 'eval' OR attributes.run_id = '{}'".replace("{}", &bare.run_id).as_str()).await.len(),
        2
    );

    // A new version of the data (another digest) is another dataset; the old one stays listed.
    q.log_inputs(&a, &run.run_id, &[input("train", "cccc", "training")], &[]).await.unwrap();
    let names: Vec<_> = seen(&q.get_run(&a, &run.run_id).await.unwrap()).into_iter().map(|s| s.1).collect();
    assert_eq!(names, ["aaaa", "bbbb", "cccc"]);

    // Another run of the experiment logging the same data shares the dataset but has its own tags.
    let second = q.create_run(&a, &exp, None, None, &[]).await.unwrap();
    q.log_inputs(&a, &second.run_id, &[input("train", "aaaa", "eval")], &[]).await.unwrap();
    let second = q.get_run(&a, &second.run_id).await.unwrap();
    assert_eq!(seen(&second), [("train".to_string(), "aaaa".to_string(), Some("eval".to_string()))]);
    assert_eq!(seen(&q.get_run(&a, &run.run_id).await.unwrap())[0].2.as_deref(), Some("training"));
}

#[tokio::test]
async fn malformed_inputs_are_refused_whole() {
    let q = common::registry().await;
    let a = actor("alice");
    let exp = q.create_experiment(&a, "churn", None, &[]).await.unwrap();
    let run = q.create_run(&a, &exp, None, None, &[]).await.unwrap();
    let with = |f: fn(&mut DatasetInput)| {
        let mut bad = input("train", "aaaa", "training");
        f(&mut bad);
        vec![input("ok", "ffff", "eval"), bad]
    };
    let cases: Vec<(Vec<DatasetInput>, Vec<String>, &str)> = vec![
        (with(|d| d.dataset.digest = "d".repeat(37)), vec![], "digest"),
        (with(|d| d.dataset.name = "n".repeat(501)), vec![], "name"),
        (with(|d| d.dataset.name = " ".into()), vec![], "datasets"),
        (with(|d| d.tags[0].value = "v".repeat(501)), vec![], "value"),
        (with(|d| d.dataset.source_type = String::new()), vec![], "datasets"),
        (vec![], vec!["not-a-model".into()], "models"),
    ];
    for (datasets, models, field) in cases {
        let e = q.log_inputs(&a, &run.run_id, &datasets, &models).await.unwrap_err();
        assert!(e.is(ErrorKind::InvalidArgument) && e.field.as_deref() == Some(field), "{field}: {e:?}");
    }
    // Nothing of a refused call was kept, not even its valid part.
    assert!(q.get_run(&a, &run.run_id).await.unwrap().inputs.is_empty());

    let e = q.log_inputs(&a, "0000", &[input("train", "aaaa", "training")], &[]).await.unwrap_err();
    assert!(e.is(ErrorKind::NotFound), "{e:?}");
    q.set_run_deleted(&a, &run.run_id, true).await.unwrap();
    let e = q.log_inputs(&a, &run.run_id, &[input("train", "aaaa", "training")], &[]).await.unwrap_err();
    assert!(e.is(ErrorKind::FailedPrecondition) && e.message.contains("deleted"), "{e:?}");
}

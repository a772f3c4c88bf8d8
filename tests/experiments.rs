//! Experiment tags (MLflow's set_experiment_tag; `mlflow.note.content` is the description): set,
//! replaced, deleted, searched, and refused where MLflow refuses them.

mod common;

use common::actor;
use quiver::error::ErrorKind;
use quiver::filter::{Entity, parse};
use quiver::services::registry::Tag;
use quiver::services::tracking::RunView;

fn tag(key: &str, value: &str) -> Tag {
    Tag { key: key.into(), value: value.into() }
}

fn pairs(tags: &[Tag]) -> Vec<(&str, &str)> {
    tags.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect()
}

#[tokio::test]
async fn experiment_tags_are_set_replaced_and_deleted() {
    let q = common::registry().await;
    let a = actor("alice");
    let id = q.create_experiment(&a, "churn", None, &[tag("team", "growth"), tag("team", "risk")]).await.unwrap();
    // A key given twice at creation keeps its last value.
    assert_eq!(pairs(&q.get_experiment(&a, &id).await.unwrap().tags), [("team", "risk")]);

    q.set_experiment_tag(&a, &id, "mlflow.note.content", "Weekly **churn** model").await.unwrap();
    q.set_experiment_tag(&a, &id, "team", "growth").await.unwrap();
    let e = q.get_experiment_by_name(&a, "churn").await.unwrap();
    assert_eq!(pairs(&e.tags), [("mlflow.note.content", "Weekly **churn** model"), ("team", "growth")]);
    assert_eq!(e.description(), Some("Weekly **churn** model"));
    assert!(e.last_update_time >= e.creation_time);

    q.delete_experiment_tag(&a, &id, "team").await.unwrap();
    assert_eq!(
        pairs(&q.get_experiment(&a, &id).await.unwrap().tags),
        [("mlflow.note.content", "Weekly **churn** model")]
    );
    // Deleting a tag the experiment does not have is an error, as in MLflow.
    let e = q.delete_experiment_tag(&a, &id, "team").await.unwrap_err();
    assert!(e.is(ErrorKind::NotFound) && e.message.contains("no tag 'team'"), "{e:?}");
    // So are a missing experiment and a bad key; nothing changes.
    assert!(q.set_experiment_tag(&a, "999", "k", "v").await.unwrap_err().is(ErrorKind::NotFound));
    for key in ["", "../up", "/abs", &"k".repeat(251)] {
        let e = q.set_experiment_tag(&a, &id, key, "v").await.unwrap_err();
        assert!(e.is(ErrorKind::InvalidArgument) && e.field.as_deref() == Some("key"), "{key}: {e:?}");
    }
    let e = q.set_experiment_tag(&a, &id, "long", &"v".repeat(20_001)).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("value"));
    q.set_experiment_tag(&a, &id, "long", &"v".repeat(20_000)).await.unwrap();
    assert_eq!(q.get_experiment(&a, &id).await.unwrap().tags.len(), 2);
}

#[tokio::test]
async fn a_deleted_experiment_keeps_its_tags_unchanged() {
    let q = common::registry().await;
    let a = actor("alice");
    let id = q.create_experiment(&a, "churn", None, &[tag("team", "growth")]).await.unwrap();
    q.set_experiment_deleted(&a, &id, true).await.unwrap();
    for e in [
        q.set_experiment_tag(&a, &id, "team", "risk").await.unwrap_err(),
        q.delete_experiment_tag(&a, &id, "team").await.unwrap_err(),
    ] {
        assert!(e.is(ErrorKind::FailedPrecondition) && e.message.contains("restore it"), "{e:?}");
    }
    q.set_experiment_deleted(&a, &id, false).await.unwrap();
    assert_eq!(pairs(&q.get_experiment(&a, &id).await.unwrap().tags), [("team", "growth")]);
}

#[tokio::test]
async fn an_experiment_holds_a_bounded_number_of_tags() {
    let q = common::registry().await;
    let a = actor("alice");
    let many: Vec<Tag> = (0..201).map(|i| tag(&format!("k{i}"), "v")).collect();
    let e = q.create_experiment(&a, "churn", None, &many).await.unwrap_err();
    assert!(e.is(ErrorKind::InvalidArgument) && e.message.contains("at most 200 tags"), "{e:?}");
    let id = q.create_experiment(&a, "churn", None, &many[..200]).await.unwrap();
    let e = q.set_experiment_tag(&a, &id, "one-more", "v").await.unwrap_err();
    assert!(e.message.contains("at most 200 tags"), "{e:?}");
    // Replacing an existing key is still allowed at the limit.
    q.set_experiment_tag(&a, &id, "k7", "changed").await.unwrap();
    let tags = q.get_experiment(&a, &id).await.unwrap().tags;
    assert_eq!((tags.len(), tags.iter().find(|t| t.key == "k7").map(|t| t.value.as_str())), (200, Some("changed")));
}

#[tokio::test]
async fn experiments_are_searched_by_their_tags() {
    let q = common::registry().await;
    let a = actor("alice");
    q.create_experiment(&a, "churn", None, &[tag("team", "growth"), tag("tier", "1")]).await.unwrap();
    q.create_experiment(&a, "fraud", None, &[tag("team", "risk")]).await.unwrap();
    q.create_experiment(&a, "scratch", None, &[]).await.unwrap();
    let names = async |filter: &str| -> Vec<String> {
        let f = parse(filter, Entity::Experiments).unwrap();
        let order = vec!["name".to_string()];
        let page = q.search_experiments(&a, f.as_ref(), &order, RunView::ActiveOnly, 100, None).await.unwrap();
        page.items.into_iter().map(|e| e.name).collect()
    };
    assert_eq!(names("tags.team = 'growth'").await, ["churn"]);
    assert_eq!(names("tags.team LIKE '%r%'").await, ["churn", "fraud"]);
    assert_eq!(names("tags.team ILIKE 'RISK'").await, ["fraud"]);
    // As in MLflow, an experiment without the tag matches no comparison, `!=` included.
    assert_eq!(names("tags.team != 'growth'").await, ["fraud"]);
    assert_eq!(names("tags.team IN ('risk', 'growth') AND name != 'fraud'").await, ["churn"]);
    assert_eq!(names("tags.`tier` = '1' OR name = 'scratch'").await, ["churn", "scratch"]);
    assert_eq!(names("tags.missing = 'x'").await, Vec::<String>::new());
}

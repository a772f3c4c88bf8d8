//! Filters of runs (MLflow's search_runs) and experiments: what they read and how they fail.

use Entity::{Experiments, Models, Runs};

use super::tests::{cmp, list, message, ok, s, tag};
use super::*;

#[test]
fn run_filters_read_mlflow_search_runs_syntax() {
    let metric = |k: &str| Field::Metric(k.into());
    assert_eq!(ok("metrics.acc > 0.9", Runs), cmp(metric("acc"), Op::Gt, Value::Num(0.9)));
    assert_eq!(ok("metric.`val loss` <= -1.5e-3", Runs), cmp(metric("val loss"), Op::Le, Value::Num(-1.5e-3)));
    assert_eq!(ok("metrics.a.b=2", Runs), cmp(metric("a.b"), Op::Eq, Value::Num(2.0)));
    assert_eq!(ok("params.max_depth = '3'", Runs), cmp(Field::Param("max_depth".into()), Op::Eq, s("3")));
    assert_eq!(ok("parameter.lr IN ('a')", Runs), cmp(Field::Param("lr".into()), Op::In, list(&["a"])));
    assert_eq!(ok("tags.mlflow.user = 'x'", Runs), cmp(tag("mlflow.user"), Op::Eq, s("x")));
    assert_eq!(ok("attributes.status != 'FAILED'", Runs), cmp(Field::Attr(RunAttr::Status), Op::Ne, s("FAILED")));
    assert_eq!(ok("run_name LIKE 'x%'", Runs), cmp(Field::Attr(RunAttr::RunName), Op::Like, s("x%")));
    assert_eq!(ok("attr.created >= 1700", Runs), cmp(Field::Attr(RunAttr::StartTime), Op::Ge, Value::Int(1700)));
    assert_eq!(ok("run.run_uuid = 'ab'", Runs), cmp(Field::Attr(RunAttr::RunId), Op::Eq, s("ab")));
    assert_eq!(ok("datasets.context = 'train'", Runs), cmp(Field::Dataset(DatasetAttr::Context), Op::Eq, s("train")));
    assert_eq!(ok("dataset.NAME IN ('a')", Runs), cmp(Field::Dataset(DatasetAttr::Name), Op::In, list(&["a"])));
    // A number may only follow a comparison: elsewhere digits are words, as in tag keys.
    assert_eq!(ok("tags.v1.2 = 'x'", Runs), cmp(tag("v1.2"), Op::Eq, s("x")));
}

#[test]
fn run_filter_errors_say_what_is_wrong() {
    for (input, expected) in [
        (
            "metrics.acc > '0.9'",
            "position 15: metrics.acc must be compared with an unquoted number, found the string '0.9'",
        ),
        ("metrics.acc > 1e999", "position 15: metrics.acc must be compared with a number, found '1e999'"),
        ("metrics.acc LIKE 'x'", "position 13: metrics.acc can be compared only with =, !=, <, <=, > or >="),
        ("params.x > '1'", "position 10: '>' applies only to metrics, start_time and end_time"),
        ("start_time > 1.5", "position 14: attributes.start_time must be compared with an integer, found '1.5'"),
        ("datasets.x = 'y'", "position 10: unknown dataset field 'x'; the fields are name, digest and context"),
        ("datasets.name > 'y'", "position 15: '>' applies only to metrics"),
        ("attributes.size = 'y'", "position 12: unknown attribute 'size'; the attributes are run_id, run_name"),
        ("loss < 1", "position 1: unknown field 'loss'; the fields are metrics.<key>, params.<key>"),
        ("metrics. > 1", "position 10: expected a metric key after 'metrics.', found '>'"),
        ("metrics.acc > ", "position 15: expected a number after '>'"),
    ] {
        let got = message(input, Runs);
        assert!(got.contains(expected), "{input:?}: {got}");
    }
    // Registry filters keep their own fields.
    assert!(message("metrics.acc > 1", Models).contains("unknown field prefix 'metrics'"));
}

#[test]
fn experiment_filters_take_names_and_tags() {
    assert_eq!(ok("name = 'churn'", Experiments), cmp(Field::Name, Op::Eq, s("churn")));
    assert_eq!(ok("attributes.name LIKE 'c%'", Experiments), cmp(Field::Name, Op::Like, s("c%")));
    assert_eq!(ok("tags.team = 'x'", Experiments), cmp(Field::Tag("team".into()), Op::Eq, s("x")));
    assert_eq!(
        ok("tag.`mlflow.note.content` LIKE '%x'", Experiments),
        cmp(Field::Tag("mlflow.note.content".into()), Op::Like, s("%x"))
    );
    assert!(message("params.a = 'x'", Experiments).contains("position 1: experiments are searched by name and tags"));
    assert!(message("tags = 'x'", Experiments).contains("position 1: expected '.' and a tag key"));
    assert!(message("creation_time > 5", Experiments).contains("not by 'creation_time'"));
}

#[test]
fn logged_model_filters_read_mlflow_3_syntax() {
    use Entity::LoggedModels;
    let attr = |a| Field::ModelAttr(a);
    assert_eq!(
        ok("metrics.accuracy >= 0.9", LoggedModels),
        cmp(Field::Metric("accuracy".into()), Op::Ge, Value::Num(0.9))
    );
    assert_eq!(ok("params.C = '1.0'", LoggedModels), cmp(Field::Param("C".into()), Op::Eq, s("1.0")));
    assert_eq!(ok("name LIKE 'lr-%'", LoggedModels), cmp(attr(ModelAttr::Name), Op::Like, s("lr-%")));
    assert_eq!(ok("attributes.model_type = 'x'", LoggedModels), cmp(attr(ModelAttr::ModelType), Op::Eq, s("x")));
    assert_eq!(
        ok("creation_time > 5", LoggedModels),
        cmp(attr(ModelAttr::CreationTime), Op::Gt, Value::Int(5)),
        "MLflow's alias of creation_timestamp"
    );
    assert!(message("run.status = 'x'", LoggedModels).contains("unknown field prefix 'run'"));
    assert!(message("start_time > 5", LoggedModels).contains("unknown field 'start_time'"));
    assert!(message("name > 'a'", LoggedModels).contains("applies only to metrics, creation_timestamp"));
}

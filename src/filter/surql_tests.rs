//! Compilation of filters to SurrealQL: LIKE patterns, conditions and their bound parameters.

use Entity::{Models, Versions};

use super::tests::{cmp, list, ok, s, tag};
use super::*;

#[test]
fn like_patterns_become_anchored_regexes() {
    let cases = [
        ("abc", false, "(?s)^abc$"),
        ("a%", false, "(?s)^a.*$"),
        ("%%a%%%", false, "(?s)^.*a.*$"),
        ("a_c", true, "(?is)^a.c$"),
        ("1.0+(x)|[y]{z}^$", false, r"(?s)^1\.0\+\(x\)\|\[y\]\{z\}\^\$$"),
        (r"a\b*c?#&-~", false, r"(?s)^a\\b\*c\?\#\&\-\~$"),
        ("s3://b/p", false, r"(?s)^s3:\/\/b\/p$"),
        ("ünï 😀", true, "(?is)^ünï 😀$"),
        ("", false, "(?s)^$"),
    ];
    for (pattern, ci, want) in cases {
        assert_eq!(like_to_regex(pattern, ci), want, "{pattern}");
    }
}

fn compile(input: &str, entity: Entity) -> (String, Vec<(String, serde_json::Value)>) {
    let mut params = Vec::new();
    let sql = to_surql(&ok(input, entity), entity, &mut params);
    (sql, params)
}

fn names(params: &[(String, serde_json::Value)]) -> Vec<&str> {
    params.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn compiles_models_filters_with_bound_parameters() {
    let (sql, params) = compile("name ILIKE '%Fraud%' AND tags.`mlflow.prompt.is_prompt` != 'true'", Models);
    assert_eq!(
        sql,
        "(string::matches(full_name, $f0) AND \
         tags[WHERE key = $f1 AND value = $f2] = [])"
    );
    assert_eq!(names(&params), ["f0", "f1", "f2"]);
    assert_eq!(params[0].1, serde_json::json!("(?is)^.*Fraud.*$"));
    assert_eq!(params[1].1, serde_json::json!("mlflow.prompt.is_prompt"));
    assert_eq!(params[2].1, serde_json::json!("true"));

    let (sql, params) = compile("name = 'Prod.ML.Fraud' OR name IN ('A.b.C') OR name NOT IN ('x.y.z')", Models);
    assert_eq!(sql, "(full_name_lc = $f0 OR full_name_lc IN $f1 OR full_name_lc NOT IN $f2)");
    assert_eq!(params[0].1, serde_json::json!("prod.ml.fraud"));
    assert_eq!(params[1].1, serde_json::json!(["a.b.c"]));

    let (sql, params) = compile("tags.team LIKE 'r%' OR tags.team IN ('a', 'b') OR tags.team NOT IN ('c')", Models);
    assert_eq!(
        sql,
        "(tags[WHERE key = $f0 AND string::matches(value, $f1)] != [] OR \
         tags[WHERE key = $f2 AND value IN $f3] != [] OR \
         tags[WHERE key = $f4 AND value IN $f5] = [])"
    );
    assert_eq!(params[1].1, serde_json::json!("(?s)^r.*$"));
    assert_eq!(params[3].1, serde_json::json!(["a", "b"]));
}

#[test]
fn compiles_versions_filters_with_bound_parameters() {
    let (sql, params) =
        compile("name = 'a.b.c' AND (version_number >= 2 OR run_id != 'r1') AND tags.stage = 'prod'", Versions);
    assert_eq!(
        sql,
        "(full_name_lc = $f0 AND (version >= $f1 OR (run_id != NONE AND run_id != $f2)) AND \
         tags[WHERE key = $f3 AND value = $f4] != [])"
    );
    assert_eq!(params[1].1, serde_json::json!(2));

    let (sql, _) = compile(
        "run_id IN ('a') OR run_id NOT IN ('b') OR run_id LIKE 'c%' OR source_path ILIKE 'S3%' OR name LIKE 'a%'",
        Versions,
    );
    assert_eq!(
        sql,
        "(run_id IN $f0 OR (run_id != NONE AND run_id NOT IN $f1) OR (run_id != NONE AND string::matches(run_id, $f2)) \
         OR string::matches(source, $f3) OR string::matches(full_name, $f4))"
    );
}

#[test]
fn compilation_continues_the_parameter_numbering_and_never_panics_on_odd_trees() {
    let mut params = vec![("f0".to_string(), serde_json::json!(1)), ("f1".to_string(), serde_json::json!(2))];
    assert_eq!(to_surql(&ok("name = 'a'", Models), Models, &mut params), "full_name_lc = $f2");
    let odd = [
        Expr::And(vec![]),
        Expr::Or(vec![]),
        cmp(Field::RunId, Op::Eq, s("x")),
        cmp(Field::VersionNumber, Op::Like, Value::Int(1)),
        cmp(tag("k"), Op::Like, Value::Int(1)),
        cmp(Field::Name, Op::ILike, list(&["a"])),
    ];
    let mut params = Vec::new();
    let out: Vec<String> = odd.iter().map(|e| to_surql(e, Models, &mut params)).collect();
    assert_eq!(out, ["true", "false", "false", "false", "false", "false"]);
    assert!(params.is_empty(), "unused parameters: {params:?}");
}

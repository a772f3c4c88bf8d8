//! Compilation of a parsed filter to a SurrealQL condition with bound parameters only.

use super::{Entity, Expr, Field, Op, Value};

// ---------------------------------------------------------------------------------------------
// Compilation to SurrealQL

/// A LIKE pattern as an anchored regex: `%` is any run of characters, `_` any one character,
/// everything else is literal (no escape character, as in MLflow). `(?s)` lets `%` and `_` match
/// newlines; `(?i)` is added for ILIKE. `/` is escaped too, because SurrealDB turns `\/` into `/`
/// before compiling a regex.
pub fn like_to_regex(pattern: &str, case_insensitive: bool) -> String {
    let mut re = String::with_capacity(pattern.len() + 12);
    re.push_str(if case_insensitive { "(?is)^" } else { "(?s)^" });
    let mut last_percent = false;
    for c in pattern.chars() {
        match c {
            '%' if last_percent => continue,
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' | '#' | '&' | '-'
            | '~' | '/' => {
                re.push('\\');
                re.push(c);
            }
            c => re.push(c),
        }
        last_percent = c == '%';
    }
    re.push('$');
    re
}

fn bind(params: &mut Vec<(String, serde_json::Value)>, value: serde_json::Value) -> String {
    let name = format!("f{}", params.len());
    let placeholder = format!("${name}");
    params.push((name, value));
    placeholder
}

fn json_of(value: &Value, lowercase: bool) -> serde_json::Value {
    let fold = |s: &str| if lowercase { s.to_ascii_lowercase() } else { s.to_string() };
    match value {
        Value::Str(s) => serde_json::Value::String(fold(s)),
        Value::Int(n) => serde_json::Value::from(*n),
        Value::Num(n) => serde_json::Value::from(*n),
        Value::List(items) => items.iter().map(|s| serde_json::Value::String(fold(s))).collect(),
    }
}

/// Appends parameters to `params` (names `f0`, `f1`, …, numbered from `params.len()`) and returns
/// a boolean SurrealQL expression over `registered_model` ([`Entity::Models`]) or `model_version`
/// ([`Entity::Versions`]) rows. No value is ever written into the returned text.
///
/// `name` =, !=, IN and NOT IN compare case-insensitively (as Quiver compares names), against
/// `full_name_lc`; LIKE is case-sensitive and ILIKE not, both against `full_name`. A tag `!=` or
/// `NOT IN` also matches rows without that tag, as MLflow's `mlflow.prompt.is_prompt` filter needs;
/// `run_id` `!=`, `NOT IN` and LIKE never match versions without a run.
pub fn to_surql(expr: &Expr, entity: Entity, params: &mut Vec<(String, serde_json::Value)>) -> String {
    compile(expr, entity, None, params)
}

/// [`to_surql`] for logged models whose metrics count only when `metric_scope` (a condition over
/// one metric entry, e.g. `dataset_name = $d0`) holds for them: MLflow's `datasets` argument.
pub fn to_surql_scoped(
    expr: &Expr,
    entity: Entity,
    metric_scope: &str,
    params: &mut Vec<(String, serde_json::Value)>,
) -> String {
    compile(expr, entity, Some(metric_scope), params)
}

fn compile(expr: &Expr, entity: Entity, scope: Option<&str>, params: &mut Vec<(String, serde_json::Value)>) -> String {
    let group = |items: &[Expr], sep: &str, params: &mut Vec<_>| {
        let parts: Vec<String> = items.iter().map(|e| compile(e, entity, scope, params)).collect();
        format!("({})", parts.join(sep))
    };
    match expr {
        Expr::And(items) if items.is_empty() => "true".into(),
        Expr::Or(items) if items.is_empty() => "false".into(),
        Expr::And(items) => group(items, " AND ", params),
        Expr::Or(items) => group(items, " OR ", params),
        Expr::Cmp { field, op, value } => compare(field, *op, value, entity, scope, params),
    }
}

fn compare(
    field: &Field,
    op: Op,
    value: &Value,
    entity: Entity,
    scope: Option<&str>,
    params: &mut Vec<(String, serde_json::Value)>,
) -> String {
    let is_like = matches!(op, Op::Like | Op::ILike);
    let pattern = |params: &mut Vec<_>| match value {
        Value::Str(p) => Some(bind(params, like_to_regex(p, op == Op::ILike).into())),
        _ => None,
    };
    // `column op $param`, or the regex match for LIKE / ILIKE.
    let simple = |column: &str, lowercase: bool, params: &mut Vec<_>| {
        if is_like {
            pattern(params).map(|p| format!("string::matches({column}, {p})"))
        } else {
            Some(format!("{column} {} {}", op.as_str(), bind(params, json_of(value, lowercase))))
        }
    };
    let versions = entity == Entity::Versions;
    // A run's copy of its metrics, params or tags: the condition holds when one entry with the
    // key matches (a run without the key matches nothing, as in MLflow, even for != and NOT IN).
    // `also`: a further condition on the entry (a logged model's metrics on given datasets).
    let entry = |column: &str, key: &str, also: &str, params: &mut Vec<_>| {
        let key = bind(params, key.into());
        let cond = if is_like {
            pattern(params).map(|p| format!("string::matches(`value`, {p})"))
        } else {
            Some(format!("`value` {} {}", op.as_str(), bind(params, json_of(value, false))))
        };
        if cond.is_none() {
            params.pop();
        }
        cond.map(|cond| format!("{column}[WHERE key = {key} AND {cond}{also}] != []"))
    };
    let out = match field {
        // Runs and experiments: a missing tag matches nothing, `!=` and `NOT IN` included (MLflow).
        Field::Tag(key) if matches!(entity, Entity::Runs | Entity::Experiments | Entity::LoggedModels) => {
            entry("tags", key, "", params)
        }
        // A logged model keeps the latest value per dataset: any of them may match.
        Field::Metric(key) if entity == Entity::Runs => entry("metrics", key, "", params),
        Field::Metric(key) if entity == Entity::LoggedModels => {
            entry("metrics", key, &scope.map(|s| format!(" AND ({s})")).unwrap_or_default(), params)
        }
        Field::Param(key) if matches!(entity, Entity::Runs | Entity::LoggedModels) => entry("params", key, "", params),
        // The run's copy of its datasets: one of them must match. A run that logged none has
        // no copy (NONE), and must match nothing, `!=` included.
        Field::Dataset(a) if entity == Entity::Runs => {
            simple(a.name(), false, params).map(|cond| format!("(datasets ?? [])[WHERE {cond}] != []"))
        }
        Field::ModelAttr(a) if entity == Entity::LoggedModels => {
            let cond = simple(a.column(), false, params);
            // A model without a source run matches no comparison of it.
            if *a == super::ModelAttr::SourceRunId {
                cond.map(|c| format!("(source_run_id != NONE AND {c})"))
            } else {
                cond
            }
        }
        Field::Attr(a) if entity == Entity::Runs => {
            let column = super::runs::attr_column(*a);
            let cond = simple(column, false, params);
            // A running run has no end time: nothing about it matches.
            if *a == super::RunAttr::EndTime { cond.map(|c| format!("({column} != NONE AND {c})")) } else { cond }
        }
        Field::Tag(key) => {
            let negated = matches!(op, Op::Ne | Op::NotIn);
            let key = bind(params, key.clone().into());
            let positive = match op {
                Op::Ne => Op::Eq,
                Op::NotIn => Op::In,
                other => other,
            };
            let cond = if is_like {
                pattern(params).map(|p| format!("string::matches(value, {p})"))
            } else {
                Some(format!("value {} {}", positive.as_str(), bind(params, json_of(value, false))))
            };
            if cond.is_none() {
                params.pop(); // the key's parameter: nothing refers to it
            }
            // The row's own copy of its tags: no lookup per row.
            cond.map(|cond| {
                let test = if negated { "=" } else { "!=" };
                format!("tags[WHERE key = {key} AND {cond}] {test} []")
            })
        }
        // MLflow compares experiment names as they are, case and all.
        Field::Name if entity == Entity::Experiments => simple("name", false, params),
        // Versions carry their model's full name too.
        Field::Name if is_like => simple("full_name", false, params),
        Field::Name => simple("full_name_lc", true, params),
        Field::VersionNumber if versions && !is_like => simple("version", false, params),
        Field::SourcePath if versions => simple("source", false, params),
        Field::RunId if versions => simple("run_id", false, params).map(|cond| {
            // `=` and `IN` are false already for a version without a run; keep the other
            // comparisons from matching it too (in MLflow a missing value matches nothing).
            if matches!(op, Op::Eq | Op::In) { cond } else { format!("(run_id != NONE AND {cond})") }
        }),
        _ => None,
    };
    out.unwrap_or_else(|| "false".into())
}

//! Ordering runs (MLflow's `search_runs` `order_by`): parsed once, compiled to SurrealQL with the
//! keys bound as parameters. Runs without the sorted value come last in either direction, as in
//! MLflow; ties fall back to the newest start, then the run id.

use super::RunAttr;
use crate::error::Error;

/// What runs are ordered by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunSortKey {
    Metric(String),
    Param(String),
    Tag(String),
    Attr(RunAttr),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOrder {
    pub key: RunSortKey,
    pub descending: bool,
}

impl RunOrder {
    /// The `order_by` string of this order, as [`run_order`] reads it.
    pub fn to_order_string(&self) -> String {
        let key = match &self.key {
            RunSortKey::Metric(k) => format!("metrics.`{k}`"),
            RunSortKey::Param(k) => format!("params.`{k}`"),
            RunSortKey::Tag(k) => format!("tags.`{k}`"),
            RunSortKey::Attr(a) => format!("attributes.{}", a.name()),
        };
        format!("{key} {}", if self.descending { "DESC" } else { "ASC" })
    }
}

fn bad(message: impl Into<String>) -> Error {
    Error::invalid("order_by", message.into())
}

/// Reads one `order_by` entry: `metrics.rmse DESC`, ``params.`max depth` ``, `start_time`,
/// `attributes.run_name ASC`. Keys may be `backticked` or "double-quoted".
pub fn run_order(raw: &str) -> Result<RunOrder, Error> {
    let text = raw.trim();
    let (ident, descending) = match text.rsplit_once(char::is_whitespace) {
        Some((head, dir)) if dir.eq_ignore_ascii_case("DESC") => (head.trim_end(), true),
        Some((head, dir)) if dir.eq_ignore_ascii_case("ASC") => (head.trim_end(), false),
        _ => (text, false),
    };
    if ident.is_empty() {
        return Err(bad(format!("'{raw}' names nothing to order by.")));
    }
    let unquote = |k: &str| -> Result<String, Error> {
        let k = k.trim();
        let inner = ['`', '"'].iter().find_map(|&q| k.strip_prefix(q).and_then(|r| r.strip_suffix(q))).unwrap_or(k);
        if inner.is_empty() || inner.contains(char::is_control) {
            return Err(bad(format!("'{raw}' has no valid key to order by.")));
        }
        if inner.len() == k.len() && inner.contains(char::is_whitespace) {
            return Err(bad(format!(
                "'{raw}' is not of the form 'key [ASC|DESC]'; quote keys with spaces in backticks."
            )));
        }
        Ok(inner.to_string())
    };
    let attr = |name: &str| {
        RunAttr::parse(name).ok_or_else(|| {
            let names: Vec<&str> = RunAttr::ALL.iter().map(|a| a.name()).collect();
            bad(format!("Runs cannot be ordered by '{name}'; the attributes are {}.", names.join(", ")))
        })
    };
    let key = match ident.split_once('.') {
        None => RunSortKey::Attr(attr(&unquote(ident)?)?),
        Some((prefix, key)) => match prefix.to_ascii_lowercase().as_str() {
            "metric" | "metrics" => RunSortKey::Metric(unquote(key)?),
            "param" | "params" | "parameter" | "parameters" => RunSortKey::Param(unquote(key)?),
            "tag" | "tags" => RunSortKey::Tag(unquote(key)?),
            "attribute" | "attributes" | "attr" | "run" => RunSortKey::Attr(attr(&unquote(key)?)?),
            _ => {
                return Err(bad(format!(
                    "'{prefix}' is not something runs are ordered by; use metrics.<key>, params.<key>, tags.<key> or attributes.<name>."
                )));
            }
        },
    };
    Ok(RunOrder { key, descending })
}

/// The column of a run attribute in the `run` table.
pub(super) fn attr_column(a: RunAttr) -> &'static str {
    match a {
        RunAttr::RunId => "run_id",
        RunAttr::RunName => "name",
        RunAttr::Status => "status",
        RunAttr::UserId => "user_id",
        RunAttr::ArtifactUri => "artifact_uri",
        RunAttr::StartTime => "start_time",
        RunAttr::EndTime => "end_time",
    }
}

/// For `orders`: the extra projections (`…, <expr> AS o0, <expr> = NONE AS m0`) and the ORDER BY
/// list. Keys are bound as parameters `o0`, `o1`, … appended to `params`.
pub fn run_order_surql(orders: &[RunOrder], params: &mut Vec<(String, serde_json::Value)>) -> (String, String) {
    let mut fields = String::new();
    let mut order = Vec::new();
    for (i, o) in orders.iter().enumerate() {
        let mut keyed = |column: &str, key: &str| {
            let name = format!("o{}", params.len());
            params.push((name.clone(), key.into()));
            format!("{column}[WHERE key = ${name}][0].`value`")
        };
        let expr = match &o.key {
            RunSortKey::Metric(k) => keyed("metrics", k),
            RunSortKey::Param(k) => keyed("params", k),
            RunSortKey::Tag(k) => keyed("tags", k),
            RunSortKey::Attr(a) => attr_column(*a).to_string(),
        };
        fields.push_str(&format!(", {expr} AS o{i}, ({expr}) = NONE AS m{i}"));
        order.push(format!("m{i} ASC, o{i} {}", if o.descending { "DESC" } else { "ASC" }));
    }
    if !orders.iter().any(|o| o.key == RunSortKey::Attr(RunAttr::StartTime)) {
        order.push("start_time DESC".into());
    }
    order.push("run_id ASC".into());
    (fields, order.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(raw: &str) -> (RunSortKey, bool) {
        let o = run_order(raw).unwrap();
        (o.key, o.descending)
    }

    #[test]
    fn order_by_entries_read_as_mlflow_writes_them() {
        assert_eq!(key("metrics.rmse DESC"), (RunSortKey::Metric("rmse".into()), true));
        assert_eq!(key("metrics.`val loss`"), (RunSortKey::Metric("val loss".into()), false));
        assert_eq!(key("metric.\"a.b\" asc"), (RunSortKey::Metric("a.b".into()), false));
        assert_eq!(key("params.max_depth"), (RunSortKey::Param("max_depth".into()), false));
        assert_eq!(key("tags.mlflow.user DESC"), (RunSortKey::Tag("mlflow.user".into()), true));
        assert_eq!(key("start_time DESC"), (RunSortKey::Attr(RunAttr::StartTime), true));
        assert_eq!(key("attributes.run_name"), (RunSortKey::Attr(RunAttr::RunName), false));
        assert_eq!(key("attribute.created"), (RunSortKey::Attr(RunAttr::StartTime), false));
        for o in ["metrics.rmse DESC", "params.`a b` ASC", "attributes.end_time DESC"] {
            let parsed = run_order(o).unwrap();
            assert_eq!(run_order(&parsed.to_order_string()).unwrap(), parsed);
        }
    }

    #[test]
    fn bad_order_by_entries_say_why() {
        for (raw, says) in [
            ("", "names nothing"),
            ("nope", "cannot be ordered by 'nope'"),
            ("datasets.x", "'datasets' is not something"),
            ("metrics.", "no valid key"),
            ("metrics.val loss", "quote keys with spaces"),
            ("attributes.size DESC", "cannot be ordered by 'size'"),
        ] {
            let e = run_order(raw).unwrap_err();
            assert!(e.message.contains(says), "{raw}: {}", e.message);
        }
    }

    #[test]
    fn sorting_binds_keys_and_puts_missing_values_last() {
        let mut params = Vec::new();
        let orders = [run_order("metrics.acc DESC").unwrap(), run_order("params.depth").unwrap()];
        let (fields, order) = run_order_surql(&orders, &mut params);
        assert_eq!(params, vec![("o0".to_string(), "acc".into()), ("o1".to_string(), "depth".into())]);
        assert!(!fields.contains("acc") && fields.contains("metrics[WHERE key = $o0]"), "{fields}");
        assert_eq!(order, "m0 ASC, o0 DESC, m1 ASC, o1 ASC, start_time DESC, run_id ASC");
        let (_, order) = run_order_surql(&[run_order("start_time").unwrap()], &mut Vec::new());
        assert_eq!(order, "m0 ASC, o0 ASC, run_id ASC");
    }
}

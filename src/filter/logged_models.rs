//! Logged models (MLflow 3's `search_logged_models`): their attributes in a filter, and
//! `order_by`, whose entries are objects (`{"field_name": "metrics.accuracy", "ascending": false}`),
//! compiled to SurrealQL with every key bound. Models without the sorted value come last; ties
//! go to the newest, then the model id.

use crate::error::Error;

/// A logged model's own fields, `attributes.<name>` (or the bare name) in its filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelAttr {
    ModelId,
    Name,
    Status,
    SourceRunId,
    ModelType,
    CreationTime,
    LastUpdatedTime,
}

impl ModelAttr {
    pub const ALL: [ModelAttr; 7] = [
        ModelAttr::ModelId,
        ModelAttr::Name,
        ModelAttr::Status,
        ModelAttr::SourceRunId,
        ModelAttr::ModelType,
        ModelAttr::CreationTime,
        ModelAttr::LastUpdatedTime,
    ];

    /// The name MLflow gives it.
    pub fn name(self) -> &'static str {
        match self {
            ModelAttr::ModelId => "model_id",
            ModelAttr::Name => "name",
            ModelAttr::Status => "status",
            ModelAttr::SourceRunId => "source_run_id",
            ModelAttr::ModelType => "model_type",
            ModelAttr::CreationTime => "creation_timestamp",
            ModelAttr::LastUpdatedTime => "last_updated_timestamp",
        }
    }

    /// The attribute named `name` (MLflow's spellings, any case, `_ms` suffixes and
    /// `creation_time` included).
    pub fn parse(name: &str) -> Option<ModelAttr> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "creation_time" | "creation_timestamp_ms" => Some(ModelAttr::CreationTime),
            "last_updated_timestamp_ms" | "last_update_time" => Some(ModelAttr::LastUpdatedTime),
            _ => ModelAttr::ALL.into_iter().find(|a| a.name() == lower),
        }
    }

    /// Compared with numbers (epoch milliseconds) rather than strings.
    pub fn is_time(self) -> bool {
        matches!(self, ModelAttr::CreationTime | ModelAttr::LastUpdatedTime)
    }

    /// Its column in the `logged_model` table.
    pub fn column(self) -> &'static str {
        match self {
            ModelAttr::ModelId => "model_id",
            ModelAttr::Name => "name",
            ModelAttr::Status => "status",
            ModelAttr::SourceRunId => "source_run_id",
            ModelAttr::ModelType => "model_type",
            ModelAttr::CreationTime => "created_at",
            ModelAttr::LastUpdatedTime => "updated_at",
        }
    }
}

/// What logged models are ordered by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSortKey {
    Attr(ModelAttr),
    /// The latest value of a metric (by timestamp, then step), on one dataset when named.
    Metric {
        key: String,
        dataset_name: Option<String>,
        dataset_digest: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelOrder {
    pub key: ModelSortKey,
    pub descending: bool,
}

fn bad(message: impl Into<String>) -> Error {
    Error::invalid("order_by", message.into())
}

/// Reads one `order_by` entry as MLflow sends it: `field_name` (`metrics.<key>` or an attribute),
/// `ascending` (true when absent), and for metrics `dataset_name` / `dataset_digest`.
pub fn model_order(entry: &serde_json::Value) -> Result<ModelOrder, Error> {
    let text = |k: &str| entry.get(k).and_then(serde_json::Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let field = text("field_name").ok_or_else(|| bad("Each order_by entry needs a 'field_name'."))?;
    let descending = match entry.get("ascending") {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(b)) => !b,
        Some(_) => return Err(bad("'ascending' must be true or false.")),
    };
    let key = match field.split_once('.') {
        Some((prefix, key)) if prefix.eq_ignore_ascii_case("metrics") || prefix.eq_ignore_ascii_case("metric") => {
            let key = key.trim_matches('`');
            if key.is_empty() {
                return Err(bad(format!("'{field}' names no metric.")));
            }
            ModelSortKey::Metric {
                key: key.to_string(),
                dataset_name: text("dataset_name").map(str::to_string),
                dataset_digest: text("dataset_digest").map(str::to_string),
            }
        }
        Some((prefix, name))
            if prefix.eq_ignore_ascii_case("attributes") || prefix.eq_ignore_ascii_case("attribute") =>
        {
            ModelSortKey::Attr(attr(name)?)
        }
        Some(_) => {
            return Err(bad(format!(
                "Invalid order by field name: {field}. Only metrics.<key> and attributes are supported."
            )));
        }
        None => ModelSortKey::Attr(attr(field)?),
    };
    Ok(ModelOrder { key, descending })
}

fn attr(name: &str) -> Result<ModelAttr, Error> {
    ModelAttr::parse(name).ok_or_else(|| {
        let names: Vec<&str> = ModelAttr::ALL.iter().map(|a| a.name()).collect();
        bad(format!("Invalid order by field name: {name}; the attributes are {}.", names.join(", ")))
    })
}

/// For `orders`: the extra projections (`…, <expr> AS o0, <expr> = NONE AS m0`) and the ORDER BY
/// list. Keys are bound as parameters `o0`, `o1`, … appended to `params`. A metric's latest value
/// is the one with the greatest timestamp, then step (MLflow's order).
pub fn model_order_surql(orders: &[ModelOrder], params: &mut Vec<(String, serde_json::Value)>) -> (String, String) {
    let mut fields = String::new();
    let mut order = Vec::new();
    let mut bind = |value: &str| {
        let name = format!("o{}", params.len());
        params.push((name.clone(), value.into()));
        format!("${name}")
    };
    for (i, o) in orders.iter().enumerate() {
        let expr = match &o.key {
            ModelSortKey::Attr(a) => a.column().to_string(),
            ModelSortKey::Metric { key, dataset_name, dataset_digest } => {
                let mut cond = format!("key = {}", bind(key));
                if let Some(n) = dataset_name {
                    cond.push_str(&format!(" AND dataset_name = {}", bind(n)));
                }
                if let Some(d) = dataset_digest {
                    cond.push_str(&format!(" AND dataset_digest = {}", bind(d)));
                }
                format!(
                    "(SELECT `value`, timestamp, step FROM $parent.metrics WHERE {cond} \
                     ORDER BY timestamp DESC, step DESC LIMIT 1)[0].`value`"
                )
            }
        };
        fields.push_str(&format!(", {expr} AS o{i}, ({expr}) = NONE AS m{i}"));
        order.push(format!("m{i} ASC, o{i} {}", if o.descending { "DESC" } else { "ASC" }));
    }
    if !orders.iter().any(|o| o.key == ModelSortKey::Attr(ModelAttr::CreationTime)) {
        order.push("created_at DESC".into());
    }
    if !orders.iter().any(|o| o.key == ModelSortKey::Attr(ModelAttr::ModelId)) {
        order.push("model_id ASC".into());
    }
    (fields, order.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn order_by_entries_read_as_the_mlflow_client_sends_them() {
        let o = model_order(&json!({"field_name": "metrics.accuracy", "ascending": false, "dataset_name": "eval"}))
            .unwrap();
        let want =
            ModelSortKey::Metric { key: "accuracy".into(), dataset_name: Some("eval".into()), dataset_digest: None };
        assert_eq!((o.key, o.descending), (want, true));
        let o = model_order(&json!({"field_name": "creation_timestamp"})).unwrap();
        assert_eq!((o.key, o.descending), (ModelSortKey::Attr(ModelAttr::CreationTime), false));
        assert_eq!(
            model_order(&json!({"field_name": "attributes.name"})).unwrap().key,
            ModelSortKey::Attr(ModelAttr::Name)
        );
        for (entry, says) in [
            (json!({}), "needs a 'field_name'"),
            (json!({"field_name": "params.x"}), "Only metrics"),
            (json!({"field_name": "size"}), "Invalid order by field name: size"),
            (json!({"field_name": "metrics."}), "names no metric"),
            (json!({"field_name": "name", "ascending": "no"}), "true or false"),
        ] {
            let e = model_order(&entry).unwrap_err();
            assert!(e.message.contains(says), "{entry}: {}", e.message);
        }
    }

    #[test]
    fn sorting_binds_keys_and_adds_the_tie_breakers() {
        let mut params = Vec::new();
        let orders =
            [model_order(&json!({"field_name": "metrics.acc", "ascending": false, "dataset_digest": "d1"})).unwrap()];
        let (fields, order) = model_order_surql(&orders, &mut params);
        assert_eq!(params, vec![("o0".to_string(), "acc".into()), ("o1".to_string(), "d1".into())]);
        assert!(fields.contains("WHERE key = $o0 AND dataset_digest = $o1") && !fields.contains("acc"), "{fields}");
        assert_eq!(order, "m0 ASC, o0 DESC, created_at DESC, model_id ASC");
        let (_, order) =
            model_order_surql(&[model_order(&json!({"field_name": "model_id"})).unwrap()], &mut Vec::new());
        assert_eq!(order, "m0 ASC, o0 ASC, created_at DESC");
    }
}

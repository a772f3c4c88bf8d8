//! Search filters: MLflow's filter grammar, extended with `OR` and parentheses, parsed into an
//! [`Expr`] and compiled to a SurrealQL condition whose values are all bound parameters.
//!
//! ```text
//! filter  := or
//! or      := and ("OR" and)*            -- AND binds tighter than OR
//! and     := primary ("AND" primary)*
//! primary := "(" or ")" | field op value
//! field   := name | version_number | run_id | source_path   (bare or `backticked`)
//!          | (tag|tags) "." key         key: word("." word)* | `backticked` | 'quoted'
//! op      := = | != | LIKE | ILIKE | IN | NOT IN | < | <= | > | >=   (keywords in any case)
//! value   := 'string' | "string" | number | "(" string ("," string)* [","] ")"
//! ```
//!
//! Runs ([`Entity::Runs`], MLflow's `search_runs`) have their own fields instead:
//! `metrics.<key>` (compared with numbers), `params.<key>`, `tags.<key>`, and
//! `attributes.<name>` (or the bare name): `run_id`, `run_name`, `status`, `user_id`,
//! `artifact_uri`, `start_time`, `end_time` (times in epoch milliseconds), and
//! `datasets.<name|digest|context>` (a run matches when one of its datasets does). The prefixes take
//! MLflow's spellings (`metric`, `param`, `parameter(s)`, `tag`, `attribute`, `attr`, `run`).
//!
//! Logged models ([`Entity::LoggedModels`], MLflow 3's `search_logged_models`) take the same
//! prefixes, with their own attributes: `model_id`, `name`, `status`, `source_run_id`,
//! `model_type`, `creation_timestamp`, `last_updated_timestamp`; a metric matches when its latest
//! value on any dataset does (MLflow looks at every value logged; Quiver keeps the latest).
//!
//! Strings accept `\'`, `\"`, `\\` and a doubled quote as escapes; any other backslash is kept.
//! An empty (or blank) filter is no filter.

use std::fmt;

mod logged_models;
mod parse;
mod runs;
mod surql;
#[cfg(test)]
mod surql_tests;
#[cfg(all(test, feature = "server"))]
mod surreal_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tracking_tests;

pub use logged_models::{ModelAttr, ModelOrder, ModelSortKey, model_order, model_order_surql};
pub use parse::parse;
pub use runs::{RunOrder, RunSortKey, run_order, run_order_surql};
pub use surql::{like_to_regex, to_surql, to_surql_scoped};

/// Longest filter accepted, in characters.
pub const MAX_FILTER_LEN: usize = 4096;
/// Deepest nesting of parentheses accepted.
pub const MAX_DEPTH: usize = 32;
/// Most conditions (comparisons) one filter may hold.
pub const MAX_CLAUSES: usize = 100;

/// What a filter searches: its fields and the rows its compiled condition runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// `registered_model` rows; fields `name` and tags.
    Models,
    /// `model_version` rows; fields `name`, `version_number`, `run_id`, `source_path` and tags.
    Versions,
    /// `run` rows; metrics, params, tags and attributes.
    Runs,
    /// `experiment` rows; `name` (or `attributes.name`), compared as MLflow does: case-sensitively.
    Experiments,
    /// `logged_model` rows; metrics, params, tags and attributes.
    LoggedModels,
}

/// A run's own fields, `attributes.<name>` in a run filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunAttr {
    RunId,
    RunName,
    Status,
    UserId,
    ArtifactUri,
    StartTime,
    EndTime,
}

impl RunAttr {
    pub const ALL: [RunAttr; 7] = [
        RunAttr::RunId,
        RunAttr::RunName,
        RunAttr::Status,
        RunAttr::UserId,
        RunAttr::ArtifactUri,
        RunAttr::StartTime,
        RunAttr::EndTime,
    ];

    /// The name MLflow gives it.
    pub fn name(self) -> &'static str {
        match self {
            RunAttr::RunId => "run_id",
            RunAttr::RunName => "run_name",
            RunAttr::Status => "status",
            RunAttr::UserId => "user_id",
            RunAttr::ArtifactUri => "artifact_uri",
            RunAttr::StartTime => "start_time",
            RunAttr::EndTime => "end_time",
        }
    }

    /// The attribute named `name` (MLflow's spellings, any case; `created` is the start time).
    pub fn parse(name: &str) -> Option<RunAttr> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "run_uuid" => Some(RunAttr::RunId),
            "created" => Some(RunAttr::StartTime),
            _ => RunAttr::ALL.into_iter().find(|a| a.name() == lower),
        }
    }

    /// Compared with numbers (epoch milliseconds) rather than strings.
    pub fn is_time(self) -> bool {
        matches!(self, RunAttr::StartTime | RunAttr::EndTime)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// The model's full name, `catalog.schema.model`.
    Name,
    Tag(String),
    VersionNumber,
    RunId,
    SourcePath,
    /// A run's latest value of a metric.
    Metric(String),
    /// A run's param.
    Param(String),
    Attr(RunAttr),
    /// A logged model's attribute.
    ModelAttr(ModelAttr),
    /// What a run's datasets are matched on: `datasets.name`, `.digest` or `.context`.
    Dataset(DatasetAttr),
}

/// A field of the datasets a run used (MLflow's `datasets.<name|digest|context>`): the run
/// matches when one of its datasets does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetAttr {
    Name,
    Digest,
    /// The role it played (`mlflow.data.context`: train, eval, …).
    Context,
}

impl DatasetAttr {
    pub const ALL: [DatasetAttr; 3] = [DatasetAttr::Name, DatasetAttr::Digest, DatasetAttr::Context];

    pub fn name(self) -> &'static str {
        match self {
            DatasetAttr::Name => "name",
            DatasetAttr::Digest => "digest",
            DatasetAttr::Context => "context",
        }
    }

    pub fn parse(name: &str) -> Option<DatasetAttr> {
        DatasetAttr::ALL.into_iter().find(|a| a.name().eq_ignore_ascii_case(name))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Like,
    ILike,
    In,
    NotIn,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A value in a filter. Numbers are finite (the parser refuses others).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Num(f64),
    List(Vec<String>),
}

/// A parsed filter. `And`/`Or` hold at least two items when they come from [`parse`]; a
/// parenthesised group stays a node of its own, so printing and parsing again gives the same tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Cmp { field: Field, op: Op, value: Value },
}

impl Field {
    fn label(&self) -> String {
        match self {
            Field::Tag(key) => format!("tags.{}", key_source(key)),
            Field::Name => "name".into(),
            Field::VersionNumber => "version_number".into(),
            Field::RunId => "run_id".into(),
            Field::SourcePath => "source_path".into(),
            Field::Metric(key) => format!("metrics.{}", key_source(key)),
            Field::Param(key) => format!("params.{}", key_source(key)),
            Field::Attr(a) => format!("attributes.{}", a.name()),
            Field::ModelAttr(a) => format!("attributes.{}", a.name()),
            Field::Dataset(a) => format!("datasets.{}", a.name()),
        }
    }

    /// Compared with numbers: `<`, `<=`, `>` and `>=` apply, LIKE and IN do not.
    fn is_numeric(&self) -> bool {
        match self {
            Field::VersionNumber | Field::Metric(_) => true,
            Field::Attr(a) => a.is_time(),
            Field::ModelAttr(a) => a.is_time(),
            _ => false,
        }
    }
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Like => "LIKE",
            Op::ILike => "ILIKE",
            Op::In => "IN",
            Op::NotIn => "NOT IN",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    fn is_numeric_only(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }
}

impl Entity {
    fn fields(self) -> &'static str {
        match self {
            Entity::Models => "name, tags.<key>",
            Entity::Versions => "name, version_number, run_id, source_path, tags.<key>",
            Entity::Runs => {
                "metrics.<key>, params.<key>, tags.<key>, attributes.<name>, datasets.<name|digest|context>"
            }
            Entity::Experiments => "name, tags.<key>",
            Entity::LoggedModels => "metrics.<key>, params.<key>, tags.<key>, attributes.<name>",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Entity::Models => "registered models",
            Entity::Versions => "model versions",
            Entity::Runs => "runs",
            Entity::Experiments => "experiments",
            Entity::LoggedModels => "logged models",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Printing: the filter string of an expression (parse(print(e)) == e)

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

/// How a tag key is written: bare when it is words joined by dots, else in backticks or quotes.
fn key_source(key: &str) -> String {
    if key.split('.').all(|seg| !seg.is_empty() && seg.chars().all(parse::is_word_char)) {
        key.to_string()
    } else if !key.contains('`') {
        format!("`{key}`")
    } else {
        quote(key)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(&quote(s)),
            Value::Int(n) => write!(f, "{n}"),
            Value::Num(n) => write!(f, "{n:?}"),
            Value::List(items) => write!(f, "({})", items.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ")),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, items: &[Expr], sep: &str, group_and: bool| {
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    f.write_str(sep)?;
                }
                match item {
                    Expr::Or(_) => write!(f, "({item})")?,
                    Expr::And(_) if group_and => write!(f, "({item})")?,
                    _ => write!(f, "{item}")?,
                }
            }
            Ok(())
        };
        match self {
            Expr::And(items) => join(f, items, " AND ", true),
            Expr::Or(items) => join(f, items, " OR ", false),
            Expr::Cmp { field, op, value } => write!(f, "{} {} {value}", field.label(), op.as_str()),
        }
    }
}

impl Expr {
    /// The filter string of this expression, in the grammar [`parse`] reads.
    pub fn to_filter_string(&self) -> String {
        self.to_string()
    }
}

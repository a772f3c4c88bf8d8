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
//! value   := 'string' | "string" | integer | "(" string ("," string)* [","] ")"
//! ```
//!
//! Strings accept `\'`, `\"`, `\\` and a doubled quote as escapes; any other backslash is kept.
//! An empty (or blank) filter is no filter.

use std::fmt;

mod parse;
mod surql;
#[cfg(test)]
mod surql_tests;
#[cfg(all(test, feature = "server"))]
mod surreal_tests;
#[cfg(test)]
mod tests;

pub use parse::parse;
pub use surql::{like_to_regex, to_surql};

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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// The model's full name, `catalog.schema.model`.
    Name,
    Tag(String),
    VersionNumber,
    RunId,
    SourcePath,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Int(i64),
    List(Vec<String>),
}

/// A parsed filter. `And`/`Or` hold at least two items when they come from [`parse`]; a
/// parenthesised group stays a node of its own, so printing and parsing again gives the same tree.
#[derive(Debug, Clone, PartialEq, Eq)]
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
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Entity::Models => "registered models",
            Entity::Versions => "model versions",
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

//! Names of securables, parsed once into types.
//!
//! Unity Catalog rules: letters, digits, `_` and `-`; 1..=255 characters; compared
//! case-insensitively and stored as typed. A parse error names the rule that was broken.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Longest name Quiver accepts, in characters.
pub const MAX_NAME_LEN: usize = 255;

/// What kind of object a name belongs to; used in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Catalog,
    Schema,
    Model,
    Username,
}

impl NameKind {
    pub fn label(self) -> &'static str {
        match self {
            NameKind::Catalog => "catalog name",
            NameKind::Schema => "schema name",
            NameKind::Model => "model name",
            NameKind::Username => "username",
        }
    }

    /// The form field that carries a name of this kind.
    pub fn field(self) -> &'static str {
        match self {
            NameKind::Catalog | NameKind::Schema | NameKind::Model => "name",
            NameKind::Username => "username",
        }
    }
}

/// A validated name of a catalog, schema, model or user.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    /// Checks `raw` against the naming rules; the error says which rule failed.
    pub fn parse(kind: NameKind, raw: &str) -> Result<Self, Error> {
        let invalid = |message: String| Error::invalid(kind.field(), message);
        if raw.is_empty() {
            return Err(invalid(format!("The {} must not be empty.", kind.label())));
        }
        let len = raw.chars().count();
        if len > MAX_NAME_LEN {
            return Err(invalid(format!(
                "The {} must be at most {MAX_NAME_LEN} characters long (it has {len}).",
                kind.label()
            )));
        }
        if let Some((pos, bad)) =
            raw.chars().enumerate().find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            let shown = match bad {
                ' ' => "a space".to_string(),
                '.' => "'.'".to_string(),
                c if c.is_control() => format!("the control character U+{:04X}", c as u32),
                c => format!("'{c}'"),
            };
            return Err(invalid(format!(
                "The {} may contain only letters, digits, '_' and '-'; {shown} at position {} is not allowed.",
                kind.label(),
                pos + 1
            )));
        }
        Ok(Name(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form used for uniqueness and lookups.
    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `catalog.schema.model`, each part a valid [`Name`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelPath {
    pub catalog: Name,
    pub schema: Name,
    pub model: Name,
}

impl ModelPath {
    pub fn new(catalog: &str, schema: &str, model: &str) -> Result<Self, Error> {
        Ok(ModelPath {
            catalog: Name::parse(NameKind::Catalog, catalog)?,
            schema: Name::parse(NameKind::Schema, schema)?,
            model: Name::parse(NameKind::Model, model)?,
        })
    }

    /// Parses a three-part full name such as `prod.ml_team.fraud`.
    pub fn parse_full(full: &str) -> Result<Self, Error> {
        let parts: Vec<&str> = full.split('.').collect();
        match parts.as_slice() {
            [c, s, m] => Self::new(c, s, m),
            _ => Err(Error::invalid(
                "name",
                format!("'{full}' is not a full model name: expected catalog.schema.model."),
            )),
        }
    }
}

impl fmt::Display for ModelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.catalog, self.schema, self.model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_letters_digits_underscore_dash() {
        for ok in ["a", "prod", "ml_team", "fraud-v2", "A1_b-2", &"x".repeat(255)] {
            assert_eq!(Name::parse(NameKind::Model, ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn keeps_case_and_folds_for_lookup() {
        let n = Name::parse(NameKind::Catalog, "Prod_EU").unwrap();
        assert_eq!(n.as_str(), "Prod_EU");
        assert_eq!(n.folded(), "prod_eu");
    }

    #[test]
    fn rejects_with_the_rule_that_was_broken() {
        let msg = |raw: &str| Name::parse(NameKind::Schema, raw).unwrap_err().to_string();
        assert!(msg("").contains("must not be empty"), "{}", msg(""));
        assert!(msg(&"y".repeat(256)).contains("at most 255"));
        assert!(msg("a.b").contains("'.' at position 2"), "{}", msg("a.b"));
        assert!(msg("my model").contains("a space at position 3"));
        assert!(msg("tab\there").contains("control character U+0009"));
        assert!(msg("naïve").contains("'ï' at position 3"));
        assert!(msg("a/b").contains("'/'"));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 255 ASCII characters are fine, 256 are not.
        assert!(Name::parse(NameKind::Model, &"a".repeat(255)).is_ok());
        assert!(Name::parse(NameKind::Model, &"a".repeat(256)).is_err());
    }

    #[test]
    fn full_names_need_three_valid_parts() {
        let p = ModelPath::parse_full("prod.ml_team.fraud").unwrap();
        assert_eq!(p.to_string(), "prod.ml_team.fraud");
        assert!(ModelPath::parse_full("prod.fraud").is_err());
        assert!(ModelPath::parse_full("a.b.c.d").is_err());
        let e = ModelPath::parse_full("prod.ml team.fraud").unwrap_err().to_string();
        assert!(e.contains("schema name"), "{e}");
    }
}

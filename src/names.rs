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

/// The name Quiver acts under (its own changes, what it creates on first start).
pub const SYSTEM: &str = "system";

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
        if kind == NameKind::Username && raw.eq_ignore_ascii_case(SYSTEM) {
            // Quiver itself owns what it creates (the `main` catalog, the Default experiment)
            // under this name: an account or group called so would own them too.
            return Err(invalid(format!("'{raw}' is reserved for Quiver itself. Choose another name.")));
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

/// An alias of a model version, such as `Champion`: letters, digits, `_` and `-`, at most 255
/// characters, compared case-insensitively. `latest` and `v<digits>` are reserved, as in MLflow
/// (they name versions already).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Alias(String);

impl Alias {
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let invalid = |message: String| Error::invalid("alias", message);
        if raw.is_empty() {
            return Err(invalid("The alias must not be empty.".into()));
        }
        let len = raw.chars().count();
        if len > MAX_NAME_LEN {
            return Err(invalid(format!("The alias must be at most {MAX_NAME_LEN} characters long (it has {len}).")));
        }
        if let Some((pos, bad)) =
            raw.chars().enumerate().find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(invalid(format!(
                "An alias may contain only letters, digits, '_' and '-'; '{}' at position {} is not allowed.",
                bad.escape_default(),
                pos + 1
            )));
        }
        let lower = raw.to_ascii_lowercase();
        let version_like = lower.len() > 1 && lower.starts_with('v') && lower[1..].bytes().all(|b| b.is_ascii_digit());
        if lower == "latest" || version_like {
            return Err(invalid(format!(
                "'{raw}' is reserved: 'latest' and 'v<number>' already name versions. Choose another alias."
            )));
        }
        Ok(Alias(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Alias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Longest tag key, in characters.
pub const MAX_TAG_KEY_LEN: usize = 250;
/// Longest tag value, in characters.
pub const MAX_TAG_VALUE_LEN: usize = 5000;

/// The version tag MLflow clients read a version's root digest from (Quiver's alone).
pub const DIGEST_TAG: &str = "quiver.digest";

/// Checks a tag. Keys follow MLflow's rule (letters, digits, `_`, `-`, `.`, space, `/`, `:`),
/// so every tag Quiver stores is one an MLflow client can send and search for.
pub fn check_tag(key: &str, value: &str) -> Result<(), Error> {
    check_tag_key(key)?;
    if key.eq_ignore_ascii_case(DIGEST_TAG) {
        return Err(Error::invalid(
            "key",
            format!("'{DIGEST_TAG}' is Quiver's: the root digest of a version's registered files, which no one sets."),
        ));
    }
    let len = value.chars().count();
    if len > MAX_TAG_VALUE_LEN {
        return Err(Error::invalid(
            "value",
            format!("A tag value must be at most {MAX_TAG_VALUE_LEN} characters long (it has {len})."),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Error::invalid("value", "A tag value must not contain control characters."));
    }
    Ok(())
}

pub fn check_tag_key(key: &str) -> Result<(), Error> {
    let invalid = |message: String| Error::invalid("key", message);
    if key.trim().is_empty() {
        return Err(invalid("The tag key must not be empty.".into()));
    }
    let len = key.chars().count();
    if len > MAX_TAG_KEY_LEN {
        return Err(invalid(format!("A tag key must be at most {MAX_TAG_KEY_LEN} characters long (it has {len}).")));
    }
    if let Some((pos, bad)) = key
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ' | '/' | ':')))
    {
        return Err(invalid(format!(
            "A tag key may contain only letters, digits, '_', '-', '.', ' ', '/' and ':'; '{}' at position {} is not allowed.",
            bad.escape_default(),
            pos + 1
        )));
    }
    if key != key.trim() {
        return Err(invalid("A tag key must not start or end with a space.".into()));
    }
    Ok(())
}

/// How a version is named: by number, or through an alias (`iris@Champion`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VersionRef {
    Number(i64),
    Alias(Alias),
}

impl VersionRef {
    /// `3`, `v3` or `@Champion`/`Champion`.
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let raw = raw.trim();
        let digits = raw.strip_prefix('v').unwrap_or(raw);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return match digits.parse::<i64>() {
                Ok(n) if n >= 1 => Ok(VersionRef::Number(n)),
                _ => Err(Error::invalid("version", format!("'{raw}' is not a version number."))),
            };
        }
        Ok(VersionRef::Alias(Alias::parse(raw.strip_prefix('@').unwrap_or(raw))?))
    }
}

impl fmt::Display for VersionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionRef::Number(n) => write!(f, "version {n}"),
            VersionRef::Alias(a) => write!(f, "@{a}"),
        }
    }
}

/// How MLflow clients' model names map to paths: three parts are `catalog.schema.model`; one
/// part names a model in the default catalog and schema (`main.default` unless configured
/// otherwise). Every surface resolves names through this one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MlflowNames {
    pub default_catalog: Name,
    pub default_schema: Name,
}

impl Default for MlflowNames {
    fn default() -> Self {
        MlflowNames::parse_default("main.default").expect("a valid default schema")
    }
}

impl MlflowNames {
    /// `main.default` → the default catalog and schema.
    pub fn parse_default(spec: &str) -> Result<Self, Error> {
        match spec.split_once('.') {
            Some((c, s)) => Ok(MlflowNames {
                default_catalog: Name::parse(NameKind::Catalog, c)?,
                default_schema: Name::parse(NameKind::Schema, s)?,
            }),
            None => Err(Error::invalid("default_schema", format!("'{spec}' is not of the form catalog.schema."))),
        }
    }

    /// The path a name sent by an MLflow client refers to.
    pub fn path(&self, name: &str) -> Result<ModelPath, Error> {
        let parts: Vec<&str> = name.split('.').collect();
        match parts.as_slice() {
            [m] => Ok(ModelPath {
                catalog: self.default_catalog.clone(),
                schema: self.default_schema.clone(),
                model: Name::parse(NameKind::Model, m)?,
            }),
            [c, s, m] => ModelPath::new(c, s, m),
            _ => Err(Error::invalid(
                "name",
                format!(
                    "'{name}' is not a model name: use catalog.schema.model, or one part for a model in {}.{}.",
                    self.default_catalog, self.default_schema
                ),
            )),
        }
    }

    /// Whether `name` has one part (lives in the default schema).
    pub fn is_short(name: &str) -> bool {
        !name.contains('.')
    }

    /// Whether `catalog.schema` is the default schema.
    pub fn in_default(&self, catalog: &str, schema: &str) -> bool {
        catalog.eq_ignore_ascii_case(self.default_catalog.as_str())
            && schema.eq_ignore_ascii_case(self.default_schema.as_str())
    }

    /// Qualifies a one-part name for filters: `iris` → `main.default.iris`.
    pub fn qualify(&self, name: &str) -> String {
        if Self::is_short(name) {
            format!("{}.{}.{name}", self.default_catalog, self.default_schema)
        } else {
            name.to_string()
        }
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
    fn the_system_name_is_reserved_for_principals_only() {
        let e = Name::parse(NameKind::Username, "System").unwrap_err();
        assert!(e.message.contains("reserved"), "{e}");
        assert!(Name::parse(NameKind::Username, "systems").is_ok());
        assert!(Name::parse(NameKind::Catalog, "system").is_ok());
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

    #[test]
    fn aliases_follow_mlflow_rules() {
        assert_eq!(Alias::parse("Champion").unwrap().folded(), "champion");
        assert!(Alias::parse("blue-green_2").is_ok());
        assert!(Alias::parse("v").is_ok(), "a lone v is not a version");
        for reserved in ["latest", "LATEST", "v1", "V42"] {
            let e = Alias::parse(reserved).unwrap_err();
            assert!(e.message.contains("reserved"), "{reserved}: {e}");
            assert_eq!(e.field.as_deref(), Some("alias"));
        }
        assert!(Alias::parse("").is_err());
        assert!(Alias::parse("a b").unwrap_err().message.contains("position 2"));
        assert!(Alias::parse(&"a".repeat(256)).is_err());
    }

    #[test]
    fn tags_are_bounded_and_keys_follow_mlflow() {
        assert!(check_tag("team", "risk").is_ok());
        assert!(check_tag("mlflow.source/type: x", "").is_ok());
        assert_eq!(check_tag("", "x").unwrap_err().field.as_deref(), Some("key"));
        assert!(check_tag(&"k".repeat(250), "v").is_ok());
        assert!(check_tag(&"k".repeat(251), "v").is_err());
        assert!(check_tag("k", &"v".repeat(5000)).is_ok());
        assert_eq!(check_tag("k", &"v".repeat(5001)).unwrap_err().field.as_deref(), Some("value"));
        assert!(check_tag("a=b", "v").unwrap_err().message.contains("'='"));
        assert!(check_tag(" lead", "v").is_err());
        assert!(check_tag("k", "bell\u{7}").is_err());
    }

    #[test]
    fn versions_are_named_by_number_or_alias() {
        assert_eq!(VersionRef::parse("3").unwrap(), VersionRef::Number(3));
        assert_eq!(VersionRef::parse("v12").unwrap(), VersionRef::Number(12));
        assert_eq!(VersionRef::parse("@Champion").unwrap(), VersionRef::Alias(Alias::parse("Champion").unwrap()));
        assert!(VersionRef::parse("0").is_err());
        assert!(VersionRef::parse("@latest").is_err());
    }

    #[test]
    fn one_and_three_part_mlflow_names() {
        let n = MlflowNames::parse_default("main.default").unwrap();
        assert_eq!(n, MlflowNames::default());
        assert_eq!(n.path("iris").unwrap().to_string(), "main.default.iris");
        assert_eq!(n.path("prod.ml_team.iris").unwrap().to_string(), "prod.ml_team.iris");
        assert!(n.path("a.b").unwrap_err().message.contains("catalog.schema.model"));
        assert!(n.path("a b").is_err());
        assert_eq!(n.qualify("iris"), "main.default.iris");
        assert_eq!(n.qualify("x.y.z"), "x.y.z");
        assert!(n.in_default("MAIN", "Default") && !n.in_default("main", "other"));
        assert!(MlflowNames::parse_default("main").is_err());
    }
}

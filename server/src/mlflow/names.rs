//! MLflow model names ↔ Quiver paths. Three parts are `catalog.schema.model`; one part names a
//! model in the default catalog and schema (`main.default` unless configured otherwise).

use quiver::error::Error;
use quiver::names::{ModelPath, Name, NameKind};
use quiver::types::RegisteredModel;

#[derive(Debug, Clone)]
pub struct Names {
    pub default_catalog: Name,
    pub default_schema: Name,
}

impl Names {
    /// `main.default` → the default catalog and schema.
    pub fn parse_default(spec: &str) -> Result<Self, Error> {
        match spec.split_once('.') {
            Some((c, s)) => Ok(Names {
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

    /// The name to answer with: the one the client sent, or for listings the short name of
    /// models in the default schema and the full name of the others.
    pub fn model_name(&self, m: &RegisteredModel, sent: Option<&str>) -> String {
        if let Some(sent) = sent {
            return sent.to_string();
        }
        if self.in_default(&m.catalog_name, &m.schema_name) { m.name.clone() } else { m.full_name() }
    }

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
    fn one_and_three_part_names() {
        let n = Names::parse_default("main.default").unwrap();
        assert_eq!(n.path("iris").unwrap().to_string(), "main.default.iris");
        assert_eq!(n.path("prod.ml_team.iris").unwrap().to_string(), "prod.ml_team.iris");
        assert!(n.path("a.b").unwrap_err().message.contains("catalog.schema.model"));
        assert!(n.path("a b").is_err());
        assert_eq!(n.qualify("iris"), "main.default.iris");
        assert_eq!(n.qualify("x.y.z"), "x.y.z");
    }
}

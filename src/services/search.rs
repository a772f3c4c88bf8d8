//! Finding models across catalogs by name, tag and alias.
//!
//! Every term narrows the result: `fraud` (name contains, case-insensitive), `team=risk` (tag),
//! `@Champion` (alias). Candidates always come from an index: the alias or tag index when the
//! query has such a term, otherwise the name n-gram index (see `schema.surql`); an exact check
//! then confirms each candidate.

use super::rows::{MODEL_FIELDS, ModelRow};
use super::{Quiver, paging};
use crate::error::{Error, Result};
use crate::names::{Alias, check_tag};
use crate::store::{internal, key_of};
use crate::types::{Actor, Page, PageRequest, RegisteredModel};

const MAX_QUERY_LEN: usize = 500;
const MAX_TERMS: usize = 8;
/// The longest piece the name index holds (its `ngram` maximum).
const MAX_GRAM: usize = 16;

/// A parsed search query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Lowercased fragments the name must contain.
    pub names: Vec<String>,
    pub tags: Vec<(String, String)>,
    /// Folded alias names.
    pub aliases: Vec<String>,
}

impl SearchQuery {
    pub fn parse(raw: &str) -> Result<Self> {
        let invalid = |m: String| Error::invalid("q", m);
        if raw.chars().count() > MAX_QUERY_LEN {
            return Err(invalid(format!("A search must be at most {MAX_QUERY_LEN} characters long.")));
        }
        let terms: Vec<&str> = raw.split_whitespace().collect();
        if terms.is_empty() {
            return Err(invalid("Type part of a model name, a tag as key=value, or an alias as @Champion.".into()));
        }
        if terms.len() > MAX_TERMS {
            return Err(invalid(format!("A search may combine at most {MAX_TERMS} terms.")));
        }
        let mut q = SearchQuery::default();
        for term in terms {
            if let Some(alias) = term.strip_prefix('@') {
                q.aliases.push(Alias::parse(alias).map_err(|e| invalid(e.message))?.folded());
            } else if let Some((key, value)) = term.split_once('=') {
                check_tag(key, value).map_err(|e| invalid(e.message))?;
                q.tags.push((key.to_string(), value.to_string()));
            } else {
                q.names.push(term.to_lowercase());
            }
        }
        Ok(q)
    }
}

/// The full-text query for a name fragment: the index's tokenizer splits names where the kind
/// of character changes (letters, digits, punctuation) and holds pieces of at most
/// [`MAX_GRAM`] characters, so each run is cut to that length. The exact `string::contains`
/// check does the rest.
fn index_terms(fragment: &str) -> String {
    fn class(c: char) -> u8 {
        if c.is_alphabetic() {
            0
        } else if c.is_numeric() {
            1
        } else {
            2
        }
    }
    let mut runs: Vec<String> = Vec::new();
    let mut last = None;
    for c in fragment.chars() {
        let k = class(c);
        if last != Some(k) {
            runs.push(String::new());
            last = Some(k);
        }
        let run = runs.last_mut().expect("pushed above");
        if run.chars().count() < MAX_GRAM {
            run.push(c);
        }
    }
    runs.join(" ")
}

impl Quiver {
    /// Models matching every term of `query`, across catalogs, sorted by name.
    pub async fn search_models(
        &self,
        _actor: &Actor,
        query: &str,
        page: &PageRequest,
    ) -> Result<Page<RegisteredModel>> {
        let q = SearchQuery::parse(query)?;
        let limit = paging::limit(page)?;
        let (after_name, after_key) = paging::after_name_key(page)?;
        let mut lets = String::new();
        let mut conds = vec!["(name_lc > $after_name OR (name_lc = $after_name AND id > $after_id))".to_string()];
        let mut sets = Vec::new();
        for i in 0..q.tags.len() {
            lets.push_str(&format!(
                "LET $tag{i} = (SELECT VALUE model FROM model_tag WHERE key = $tag_key{i} AND value = $tag_value{i});\n"
            ));
            sets.push(format!("$tag{i}"));
        }
        for i in 0..q.aliases.len() {
            lets.push_str(&format!(
                "LET $alias{i} = (SELECT VALUE model FROM model_alias WHERE alias_lc = $alias_lc{i});\n"
            ));
            sets.push(format!("$alias{i}"));
        }
        let from = match sets.split_first() {
            Some((first, rest)) => {
                conds.extend(rest.iter().map(|s| format!("id IN {s}")));
                format!("array::distinct({first})")
            }
            None => {
                // No tag or alias: the name index supplies the candidates.
                conds.push("name @@ $grams".into());
                "registered_model".to_string()
            }
        };
        for i in 0..q.names.len() {
            conds.push(format!("string::contains(name_lc, $name{i})"));
        }
        let sql = format!(
            "{lets}SELECT {MODEL_FIELDS} FROM {from} WHERE {} ORDER BY name_lc, id LIMIT $limit;",
            conds.join(" AND ")
        );
        let longest = q.names.iter().max_by_key(|n| n.len()).cloned().unwrap_or_default();
        let mut query = self
            .q(&sql)
            .bind(("after_name", after_name))
            .bind(("after_id", surrealdb::types::RecordId::new("registered_model", after_key)))
            .bind(("grams", index_terms(&longest)))
            .bind(("limit", limit + 1));
        for (i, (key, value)) in q.tags.iter().enumerate() {
            query = query.bind((format!("tag_key{i}"), key.clone())).bind((format!("tag_value{i}"), value.clone()));
        }
        for (i, alias) in q.aliases.iter().enumerate() {
            query = query.bind((format!("alias_lc{i}"), alias.clone()));
        }
        for (i, name) in q.names.iter().enumerate() {
            query = query.bind((format!("name{i}"), name.clone()));
        }
        let mut res = self.read(query).await?;
        let rows: Vec<ModelRow> = res.take(q.tags.len() + q.aliases.len()).map_err(internal)?;
        Ok(paging::page(rows, limit, |r| paging::name_key_token(&r.name_lc, &key_of(&r.id)), Into::into))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_names_tags_and_aliases() {
        let q = SearchQuery::parse("  Fraud team=risk @Champion  det ").unwrap();
        assert_eq!(q.names, vec!["fraud", "det"]);
        assert_eq!(q.tags, vec![("team".to_string(), "risk".to_string())]);
        assert_eq!(q.aliases, vec!["champion"]);
    }

    #[test]
    fn bad_queries_say_why() {
        assert_eq!(SearchQuery::parse("   ").unwrap_err().field.as_deref(), Some("q"));
        assert!(SearchQuery::parse("@latest").unwrap_err().message.contains("reserved"));
        assert_eq!(SearchQuery::parse("a=b=c").unwrap().tags, vec![("a".to_string(), "b=c".to_string())]);
        assert!(SearchQuery::parse("=b").is_err());
        assert!(SearchQuery::parse(&"x ".repeat(9)).unwrap_err().message.contains("at most 8"));
    }

    #[test]
    fn index_terms_follow_the_tokenizer() {
        assert_eq!(index_terms("model_4242"), "model _ 4242");
        assert_eq!(index_terms("abcdefghijklmnopqrstuvwxyz"), "abcdefghijklmnop");
        assert_eq!(index_terms("a-_b"), "a -_ b");
    }
}

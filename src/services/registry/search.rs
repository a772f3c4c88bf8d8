//! Finding models across catalogs by name, tag and alias.
//!
//! Every term narrows the result: `fraud` (name contains, case-insensitive), `team=risk` (tag),
//! `@Champion` (alias). Candidates come from an index: the name order for terms many models
//! match, else the alias or tag index, or the name n-gram index (see `schema.surql`); an exact
//! check then confirms each candidate.

use crate::error::{Error, Result};
use crate::names::{Alias, check_tag};
use crate::services::governance::Actor;
use crate::services::governance::access::{bind_visibility, visibility};
use crate::services::paging::{Page, PageRequest};
use crate::services::registry::RegisteredModel;
use crate::services::registry::rows::{MODEL_FIELDS, ModelRow};
use crate::services::{Quiver, paging};
use crate::store::key_of;

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
/// [`MAX_GRAM`] characters, so each run of letters or digits is cut to that length. The exact
/// `string::contains` check does the rest.
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
    // Punctuation is in nearly every name (`_`, `-`): asking the index for it only slows the
    // lookup down, and the exact check tests it anyway.
    runs.retain(|r| r.chars().next().is_some_and(|c| class(c) != 2));
    runs.join(" ")
}

impl Quiver {
    /// Models matching every term of `query`, across catalogs, sorted by name.
    ///
    /// One query, two plans: first walk the name index from the page's start, testing each model
    /// itself (its name, and the tags and aliases copied onto it), at most `search_walk_budget`
    /// models (a common fragment fills its page within the first few hundred);
    /// when that leaves the page short, the candidates come from an index instead (the alias or
    /// tag index, else the name n-gram index), then are sorted by name.
    pub async fn search_models(&self, actor: &Actor, query: &str, page: &PageRequest) -> Result<Page<RegisteredModel>> {
        let q = SearchQuery::parse(query)?;
        let limit = paging::limit(page)?;
        let (after_name, after_key) = paging::after_name_key(page)?;
        let cursor = "name_lc >= $after_name AND (name_lc > $after_name OR id > $after_id)";
        // The tests each model passes, on the record itself.
        let mut own = Vec::new();
        // The same tests through the alias and tag indexes: sets of model ids.
        let mut sets = Vec::new();
        for i in 0..q.tags.len() {
            own.push(format!("tags[WHERE key = $tag_key{i} AND value = $tag_value{i}] != []"));
            sets.push(format!("(SELECT VALUE model FROM model_tag WHERE key = $tag_key{i} AND value = $tag_value{i})"));
        }
        for i in 0..q.aliases.len() {
            own.push(format!("aliases[WHERE string::lowercase(alias) = $alias_lc{i}] != []"));
            sets.push(format!("(SELECT VALUE model FROM model_alias WHERE alias_lc = $alias_lc{i})"));
        }
        for i in 0..q.names.len() {
            own.push(format!("string::contains(name_lc, $name{i})"));
        }
        // Only what the caller may see.
        let admin = actor.principal.admin;
        let vis = visibility();
        let lets = if admin { String::new() } else { vis.lets };
        if !admin {
            own.push(vis.models.to_string());
        }
        let grams = index_terms(q.names.iter().max_by_key(|n| n.len()).map(String::as_str).unwrap_or(""));
        let candidates = match sets.split_first() {
            Some((first, rest)) => {
                let mut conds = vec![cursor.to_string()];
                conds.extend(rest.iter().map(|s| format!("id IN {s}")));
                conds.extend((0..q.names.len()).map(|i| format!("string::contains(name_lc, $name{i})")));
                if !admin {
                    conds.push(vis.models.to_string());
                }
                format!("SELECT VALUE id FROM array::distinct({first}) WHERE {}", conds.join(" AND "))
            }
            None => {
                // No tag or alias: the name index supplies the candidates (or, for a fragment of
                // punctuation only, which the index does not hold, the whole name order).
                let gram = if grams.is_empty() { "" } else { "name @@ $grams AND " };
                format!("SELECT VALUE id FROM registered_model WHERE {gram}{cursor} AND {}", own.join(" AND "))
            }
        };
        let sql = format!(
            "{lets}
             LET $scan = (SELECT id, name_lc, tags, aliases, catalog, schema, owner FROM registered_model WHERE {cursor}
                 ORDER BY name_lc, id LIMIT $budget);
             LET $walked = (SELECT VALUE id FROM $scan WHERE {own} LIMIT $limit);
             LET $ids = IF count($walked) >= $limit OR count($scan) < $budget THEN $walked
                 ELSE ({candidates} ORDER BY name_lc, id LIMIT $limit) END;
             SELECT {MODEL_FIELDS} FROM $ids ORDER BY name_lc, id;",
            own = own.join(" AND "),
        );
        let mut query = self
            .q(&sql)
            .bind(("after_name", after_name))
            .bind(("after_id", surrealdb::types::RecordId::new("registered_model", after_key)))
            .bind(("grams", grams))
            .bind(("budget", self.config().search_walk_budget.max(1)))
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
        let rows: Vec<ModelRow> = self.answer(if admin { query } else { bind_visibility(query, actor) }).await?;
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
        assert_eq!(index_terms("model_4242"), "model 4242");
        assert_eq!(index_terms("abcdefghijklmnopqrstuvwxyz"), "abcdefghijklmnop");
        assert_eq!(index_terms("a-_b"), "a b");
        assert_eq!(index_terms("_-"), "");
    }
}

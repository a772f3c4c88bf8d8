//! What a SurrealDB error means to Quiver. Where SurrealDB says it only in its message text, the
//! text is read here and nowhere else; the tests below pin it for the SurrealDB in Cargo.lock.

use surrealdb::types::QueryError;

use crate::error::{Error, ErrorKind};

/// Separates a thrown domain error's kind and field (JSON) from its message.
const THROWN_SEPARATOR: char = '\u{1f}';

/// A SurrealDB error, as Quiver acts on it.
#[derive(Debug, Clone, PartialEq)]
pub enum Recognised {
    /// A domain error a query raised with `THROW` (see [`throwable`]).
    Domain(Error),
    /// A write collided with the named unique index.
    Unique(String),
    /// A write-write conflict between concurrent transactions: safe to run again.
    Retryable,
    /// An embedded store's files are held by another process (or a handle still closing).
    Locked,
    /// The connection to a SurrealDB server is down (the client reconnects by itself).
    Unavailable,
    /// Anything else: a bug or an outage, logged and answered as an internal error.
    Other,
}

/// The one reading of SurrealDB's errors.
pub fn recognise(e: &surrealdb::Error) -> Recognised {
    if matches!(e.query_details(), Some(QueryError::TransactionConflict)) {
        return Recognised::Retryable;
    }
    if e.is_connection() {
        return Recognised::Unavailable;
    }
    let message = e.message();
    if e.is_thrown() {
        let text = message.strip_prefix("An error occurred: ").unwrap_or(message);
        return thrown_error(text).map(Recognised::Domain).unwrap_or(Recognised::Other);
    }
    if let Some(rest) = message.strip_prefix("Database index `")
        && rest.contains("already contains")
    {
        return Recognised::Unique(rest.split('`').next().unwrap_or_default().to_string());
    }
    if message.contains("can be retried") {
        return Recognised::Retryable;
    }
    if message.contains("already locked") {
        return Recognised::Locked;
    }
    Recognised::Other
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Head {
    kind: ErrorKind,
    field: Option<String>,
}

/// The value a SurrealQL `THROW` raises for a domain error, bound as a parameter. Its message may
/// be extended in SurrealQL (`THROW $closed + $r.state + '.'`); it comes back as the same
/// [`Error`], kind and field included.
pub fn throwable(e: &Error) -> String {
    let head = serde_json::to_string(&Head { kind: e.kind, field: e.field.clone() }).unwrap_or_default();
    format!("{head}{THROWN_SEPARATOR}{}", e.message)
}

fn thrown_error(text: &str) -> Option<Error> {
    let (head, message) = text.split_once(THROWN_SEPARATOR)?;
    let head: Head = serde_json::from_str(head).ok()?;
    Some(Error { kind: head.kind, message: message.to_string(), field: head.field })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{StoreConfig, first_error, open};

    async fn failing(db: &surrealdb::Surreal<surrealdb::engine::any::Any>, sql: &str, error: &str) -> surrealdb::Error {
        let res = db.query(sql).bind(("e", error.to_string())).await.expect("sent");
        first_error(res).expect_err("the statement fails")
    }

    #[tokio::test]
    async fn surrealdb_errors_are_read_as_this_version_words_them() {
        let db = open(&StoreConfig::memory()).await.unwrap();
        // A thrown domain error comes back whole, with what SurrealQL appended to its message.
        let missing = Error::invalid("version", "Model 'a.b.c' has no version ");
        let e = failing(&db, "THROW $e + '7.';", &throwable(&missing)).await;
        assert_eq!(recognise(&e), Recognised::Domain(Error::invalid("version", "Model 'a.b.c' has no version 7.")));
        // A THROW that is not Quiver's is not taken for a domain error.
        assert_eq!(recognise(&failing(&db, "THROW 'boom';", "").await), Recognised::Other);
        // A unique index names itself.
        let e = failing(
            &db,
            "DEFINE TABLE t SCHEMALESS; DEFINE INDEX t_name ON t FIELDS name UNIQUE;
             CREATE t SET name = 'x'; CREATE t SET name = 'x';",
            "",
        )
        .await;
        assert_eq!(recognise(&e), Recognised::Unique("t_name".into()));
        // Conflicts as the key-value layer words them, and as structured details.
        let conflict = surrealdb::Error::internal(
            "Transaction conflict: Write conflict. This transaction can be retried".to_string(),
        );
        assert_eq!(recognise(&conflict), Recognised::Retryable);
        let conflict = surrealdb::Error::query("conflict".to_string(), QueryError::TransactionConflict);
        assert_eq!(recognise(&conflict), Recognised::Retryable);
        assert_eq!(recognise(&failing(&db, "RETURN <int> 'not a number';", "").await), Recognised::Other);
    }

    #[tokio::test]
    async fn a_held_store_is_recognised_as_locked() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("surrealkv://{}", dir.path().join("db").display());
        let _first = surrealdb::engine::any::connect(url.as_str()).await.unwrap();
        let e = surrealdb::engine::any::connect(url.as_str()).await.expect_err("the files are held");
        assert_eq!(recognise(&e), Recognised::Locked);
    }
}

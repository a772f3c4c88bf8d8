//! The registry: catalogs → schemas → registered models → versions, and what hangs off them.
//!
//! - `catalogs`, `schemas`, `models`: the namespace and its models (create, read, rename,
//!   delete with everything inside); `lookup` resolves names into records and names what is
//!   missing; `rows` are the records as SurrealDB returns them.
//! - `versions` and `version_batch`: registering versions (concurrent registrations share
//!   transactions), reading, updating and deleting them.
//! - `aliases` (`@Champion`, with history), `tags`, `stages` (MLflow's legacy stages),
//!   `copy` (a version into another model), `comments`, `activity` (a model's change feed).
//! - `compare`: two versions side by side (shared rows for every surface).
//! - `search` (names, tags and aliases across catalogs) and `mlflow_search` (the
//!   registry-wide searches MLflow clients make).

pub(crate) mod compare;
mod types;
pub use compare::*;
pub use types::*;

#[cfg(feature = "server")]
pub(crate) mod activity;
#[cfg(feature = "server")]
pub(crate) mod aliases;
#[cfg(feature = "server")]
pub(crate) mod catalogs;
#[cfg(feature = "server")]
pub(crate) mod comments;
#[cfg(feature = "server")]
pub(crate) mod copy;
#[cfg(feature = "server")]
pub(crate) mod lookup;
#[cfg(feature = "server")]
pub(crate) mod mlflow_search;
#[cfg(feature = "server")]
pub(crate) mod models;
#[cfg(feature = "server")]
pub(crate) mod rows;
#[cfg(feature = "server")]
pub(crate) mod schemas;
#[cfg(feature = "server")]
pub(crate) mod search;
#[cfg(feature = "server")]
pub(crate) mod stages;
#[cfg(feature = "server")]
pub(crate) mod tags;
#[cfg(feature = "server")]
pub(crate) mod version_batch;
#[cfg(feature = "server")]
pub(crate) mod version_queue;
#[cfg(feature = "server")]
pub(crate) mod versions;

#[cfg(feature = "server")]
pub use tags::TagTarget;
#[cfg(feature = "server")]
pub use version_queue::RegistrationCounts;
#[cfg(feature = "server")]
pub use versions::NewVersion;

#[cfg(feature = "server")]
use crate::error::{Error, Result};

/// Descriptions are free text up to a bound.
#[cfg(feature = "server")]
const MAX_DESCRIPTION_LEN: usize = 100_000;

#[cfg(feature = "server")]
pub(crate) fn check_description(description: &str) -> Result<()> {
    if description.len() > MAX_DESCRIPTION_LEN {
        return Err(Error::invalid(
            "description",
            format!("The description must be at most {MAX_DESCRIPTION_LEN} bytes."),
        ));
    }
    Ok(())
}

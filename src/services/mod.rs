//! The service layer: the only way into the registry. UI server functions, REST handlers and
//! the CLI all call these methods with the acting principal; only they check privileges, write
//! audit entries and emit events.
//!
//! Grouped by subdomain, each folder opening with what it owns:
//! - [`registry`]: catalogs, schemas, models, versions (and their shared transactions), aliases,
//!   tags, legacy stages, search, copy, comments, activity.
//! - [`tracking`]: MLflow experiments, runs, their search, datasets, logged models, lineage, and
//!   who may use an experiment.
//! - [`governance`]: the privilege rule table and its checks, grants, protected aliases and
//!   approval requests, audit, principals, accounts, tokens.
//! - [`delivery`]: events, the webhook outbox, payload formats, the HTTP transport and the
//!   outbound address policy.
//! - [`storage`]: artifact files behind a store trait (local disk today), who may read and write
//!   them, and what a version's files are.
//!
//! Shared pieces: [`paging`] (pages and their tokens), and on the server `handle` (the
//! [`Quiver`] handle), `db` (query, transaction and retry plumbing), `cache` (the read cache) and `coherence` (the
//! read cache kept current with other processes' writes on a shared store).
//! Each subdomain's data types sit in its `types.rs` and are built for the browser too; the
//! rest is server-only.

pub mod delivery;
pub mod governance;
pub mod paging;
pub mod registry;
pub mod storage;
pub mod tracking;

#[cfg(feature = "server")]
mod cache;
#[cfg(feature = "server")]
mod coherence;
#[cfg(feature = "server")]
pub(crate) mod db;
#[cfg(feature = "server")]
mod handle;

#[cfg(feature = "server")]
pub use coherence::in_request;
#[cfg(feature = "server")]
pub use handle::{Quiver, ServiceConfig, system_actor};

//! The queue in front of the version writers (`version_batch.rs`): what a registration carries,
//! what it returns, and the counters the writers keep. Data only, so the [`Quiver`] handle can
//! hold the queue without depending on the writers.
//!
//! [`Quiver`]: crate::services::Quiver

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use surrealdb::types::{RecordId, SurrealValue};
use tokio::sync::{mpsc, oneshot};

use crate::error::Result;
use crate::names::ModelPath;
use crate::services::registry::rows::VersionRow;

/// One registration as the shared statement reads it (`$r`); values only, bound as a parameter.
#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct Registration {
    /// `catalog.schema.model`, folded as `full_name_lc` is.
    pub name: String,
    /// The model's record id when known from an earlier registration (checked against `name`).
    pub mid: Option<RecordId>,
    pub source: String,
    pub run_id: Option<String>,
    pub run_link: Option<String>,
    pub description: String,
    pub status: String,
    pub sig_in: Option<String>,
    pub sig_out: Option<String>,
    pub model_id: Option<String>,
    pub tags: Vec<serde_json::Value>,
    /// The version's files as registered (READY versions whose files Quiver stores).
    pub files_root: Option<String>,
    pub digest: Option<String>,
    pub files: Vec<FileRow>,
    /// A `model.sig` found among the files (a Sigstore bundle), kept as the version's signature.
    pub signature: Option<String>,
    pub actor: String,
    pub who: serde_json::Value,
}

/// One registered file as the shared statement writes it.
#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct FileRow {
    pub path: String,
    pub size: i64,
    pub sha256: String,
}

/// What registering a version returns: the version, and its model's record id for the next one.
#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct Registered {
    pub row: VersionRow,
    pub model: RecordId,
}

pub(crate) struct Job {
    pub(crate) registration: Registration,
    pub(crate) path: ModelPath,
    pub(crate) reply: oneshot::Sender<Result<Registered>>,
    /// The caller's span (its request id): what a writer logs for this registration is
    /// printed in it.
    pub(crate) span: tracing::Span,
}

/// The queue in front of the writers, started on first use.
#[derive(Default)]
pub(crate) struct VersionQueue {
    pub(crate) sender: OnceLock<mpsc::UnboundedSender<Job>>,
    /// Registrations written, and the transactions that wrote them.
    pub(crate) registrations: AtomicU64,
    pub(crate) transactions: AtomicU64,
    /// Registrations asked for and not yet answered, and the recent most of them at once: how
    /// many a writer may expect to gather.
    pub(crate) in_flight: AtomicUsize,
    pub(crate) peak: AtomicUsize,
}

/// Counts a registration as in flight until it is answered (or its caller gives up).
pub(crate) struct InFlight<'a>(&'a VersionQueue);

impl<'a> InFlight<'a> {
    pub(crate) fn new(queue: &'a VersionQueue) -> Self {
        let now = queue.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        queue.peak.fetch_max(now, Ordering::AcqRel);
        InFlight(queue)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How registrations shared transactions since the registry was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationCounts {
    pub registrations: u64,
    pub transactions: u64,
}

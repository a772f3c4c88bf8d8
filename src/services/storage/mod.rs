//! Storage: the files behind `mlflow-artifacts:/…` URIs and model versions.
//!
//! - `store`: the [`ArtifactStore`] trait and `local`, its local-disk implementation.
//! - `paths`: artifact paths, checked and in canonical form.
//! - `access`: who may read and write which files (the caller's experiment level, or a
//!   version they may read); every service method here takes the actor and authorizes.
//! - `files`: the service methods (list, download, upload, delete) and where a version's
//!   files are; `mlmodel`: the signature in a logged model's `MLmodel` file.

mod types;
pub use types::*;

#[cfg(feature = "server")]
pub(crate) mod access;
#[cfg(feature = "server")]
pub(crate) mod files;
#[cfg(feature = "server")]
mod local;
#[cfg(feature = "server")]
pub(crate) mod mlmodel;
#[cfg(feature = "server")]
pub(crate) mod paths;
#[cfg(feature = "server")]
mod store;

#[cfg(feature = "server")]
pub use files::ArtifactDownload;
#[cfg(feature = "server")]
pub use local::LocalDisk;
#[cfg(feature = "server")]
pub use paths::resolve_artifact_path;
#[cfg(feature = "server")]
pub use store::{ArtifactStore, ByteStream};

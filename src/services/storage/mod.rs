//! Storage: the files behind `mlflow-artifacts:/…` URIs and model versions.
//!
//! - `store`: the [`ArtifactStore`] trait and `local`, its local-disk implementation.
//! - `paths`: artifact paths, checked and in canonical form.
//! - `access`: who may read and write which files (the caller's experiment level, or a
//!   version they may read); every service method here takes the actor and authorizes.
//! - `files`: the service methods (list, download, upload, delete) and where a version's
//!   files are; `mlmodel`: the signature in a logged model's `MLmodel` file.
//! - `manifest`: what a version's files are when it is registered (paths, sizes, SHA-256, the
//!   root digest OpenSSF model-signing computes); `pins`: no surface changes them afterwards;
//!   `integrity`: checking stored files against their manifest (downloads, verify, scrub);
//!   `signatures`: model-signing bundles checked against the keys trusted for the model.
//! - `quotas`: what each experiment and user stores, and the quotas uploads must fit in.

mod types;
pub use types::*;

#[cfg(feature = "server")]
pub(crate) mod access;
#[cfg(feature = "server")]
pub(crate) mod files;
#[cfg(feature = "server")]
pub(crate) mod integrity;
#[cfg(feature = "server")]
mod local;
#[cfg(feature = "server")]
pub(crate) mod manifest;
#[cfg(feature = "server")]
pub(crate) mod mlmodel;
#[cfg(feature = "server")]
pub(crate) mod paths;
#[cfg(feature = "server")]
pub(crate) mod pins;
#[cfg(feature = "server")]
pub(crate) mod quotas;
#[cfg(feature = "server")]
pub(crate) mod signatures;
#[cfg(feature = "server")]
mod store;

#[cfg(feature = "server")]
pub use files::ArtifactDownload;
#[cfg(feature = "server")]
pub use integrity::{IntegrityFailure, VerifyReport};
#[cfg(feature = "server")]
pub use local::LocalDisk;
#[cfg(feature = "server")]
pub use paths::resolve_artifact_path;
#[cfg(feature = "server")]
pub use store::{ArtifactStore, ByteStream};

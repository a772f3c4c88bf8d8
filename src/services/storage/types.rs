//! Artifact listings as the services return them (shared with the browser build).

use serde::{Deserialize, Serialize};

/// A file or folder in an artifact store, relative to the folder listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactEntry {
    pub path: String,
    pub is_dir: bool,
    pub size: Option<u64>,
}

/// Where a version's artifacts are and, when Quiver stores them, its files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionFiles {
    /// `mlflow-artifacts:/…`, or the source itself when the files live elsewhere (`s3://…`).
    pub uri: String,
    /// The path below the artifact root to download files from (None: stored elsewhere).
    pub root: Option<String>,
    /// Every file below the version's folder (paths relative to it), at most a few hundred.
    pub files: Vec<ArtifactEntry>,
}

//! Artifact listings as the services return them (shared with the browser build).

use serde::{Deserialize, Serialize};

/// A file or folder in an artifact store, relative to the folder listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArtifactEntry {
    pub path: String,
    pub is_dir: bool,
    pub size: Option<u64>,
}

/// Where a version's artifacts are and, when Quiver stores them, its files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionFiles {
    /// `mlflow-artifacts:/…`, or the source itself when the files live elsewhere (`s3://…`).
    pub uri: String,
    /// The path below the artifact root to download files from (None: stored elsewhere).
    pub root: Option<String>,
    /// Every file below the version's folder (paths relative to it), at most a few hundred.
    pub files: Vec<ArtifactEntry>,
    /// The root digest of the files as registered (OpenSSF model-signing's, hex SHA-256); none
    /// for files stored elsewhere and for versions registered before Quiver recorded them.
    pub digest: Option<String>,
    /// The files as registered, in the order their digest is computed.
    pub manifest: Vec<VersionFile>,
    /// What the version's signature says about those files.
    pub signature: SignatureCheck,
}

/// One file of a version as it was registered: its path below the version's folder, its size
/// and the SHA-256 of its bytes (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionFile {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// What a version's signature says about its registered files, checked against the keys trusted
/// for the model (on it, its schema or its catalog).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SignatureCheck {
    /// No signature is attached.
    Unsigned,
    /// Signed by a trusted key, over exactly the registered files.
    Verified { key: String, scope: String },
    /// A trusted key signed other files than the registered ones.
    Mismatch { key: String, scope: String, detail: String },
    /// A signature no key trusted for the model verifies.
    Untrusted { detail: String },
    /// Not a signature Quiver can check: `detail` says why.
    Invalid { detail: String },
}

impl SignatureCheck {
    pub fn is_verified(&self) -> bool {
        matches!(self, SignatureCheck::Verified { .. })
    }

    /// One line for people: "Signed by release-2026 ✓", "Signature does not match the files ✗"…
    pub fn summary(&self) -> String {
        match self {
            SignatureCheck::Unsigned => "Unsigned".into(),
            SignatureCheck::Verified { key, .. } => format!("Signed by {key} ✓"),
            SignatureCheck::Mismatch { key, .. } => format!("Signature by {key} does not match the files ✗"),
            SignatureCheck::Untrusted { .. } => "Signed by a key not trusted here ✗".into(),
            SignatureCheck::Invalid { .. } => "Signature cannot be checked ✗".into(),
        }
    }
}

/// Artifact storage in use, with the quotas (0: none), for administrators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArtifactUsage {
    pub experiment_quota_bytes: u64,
    pub user_quota_bytes: u64,
    /// The experiments storing the most, largest first (named by id).
    pub experiments: Vec<UsageRow>,
    /// The users storing the most, largest first.
    pub users: Vec<UsageRow>,
}

/// What one experiment or user stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageRow {
    pub name: String,
    pub bytes: u64,
    pub files: u64,
}

/// `n` bytes as people say them (`1.5 KiB`, `5.0 GiB`).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} bytes") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bytes_read_as_people_say_them() {
        assert_eq!(super::human_bytes(512), "512 bytes");
        assert_eq!(super::human_bytes(1536), "1.5 KiB");
        assert_eq!(super::human_bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}

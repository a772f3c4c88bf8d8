//! What a version's files are, recorded when it is registered: each file's path, size and
//! SHA-256, and one root digest over them computed as OpenSSF model-signing computes it (so the
//! digest a signer sees locally is the one Quiver shows). Files are hashed while they stream from
//! the store, on blocking threads, so a multi-GB model neither fills memory nor stalls requests.

use std::cmp::Ordering;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::services::Quiver;
use crate::services::registry::version_queue::FileRow;
use crate::services::storage::VersionFile;
use crate::services::storage::paths::stored_root;

/// The signature file `model_signing sign` writes into a model's folder.
pub const SIGNATURE_FILE: &str = "model.sig";

/// Top-level names model-signing leaves out of its digest: git's metadata and the signature.
const UNSIGNED_AT_TOP: [&str; 5] = [".git", ".gitattributes", ".github", ".gitignore", SIGNATURE_FILE];

/// Most files one version records.
pub const MAX_FILES: usize = 10_000;

/// A version's files as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Manifest {
    /// The folder (or single file) below the artifact store's root.
    pub root: String,
    /// In signing order.
    pub files: Vec<VersionFile>,
    pub digest: String,
}

/// Whether model-signing leaves `path` (relative to the model's folder) out of what it signs.
pub(crate) fn unsigned_by_default(path: &str) -> bool {
    path.split('/').next().is_some_and(|top| UNSIGNED_AT_TOP.contains(&top))
}

/// The order model-signing lists files in: by path component, each compared by code point
/// (`tokenizer/vocab.txt` before `tokenizer-extra.txt`).
pub(crate) fn signing_order(a: &str, b: &str) -> Ordering {
    a.split('/').cmp(b.split('/'))
}

/// The root digest of `files`: SHA-256 over the raw SHA-256 digests of the files a signer signs,
/// in signing order (hex).
pub(crate) fn root_digest<'a>(files: impl IntoIterator<Item = &'a VersionFile>) -> Result<String> {
    let mut signed: Vec<&VersionFile> = files.into_iter().collect();
    signed.sort_by(|a, b| signing_order(&a.path, &b.path));
    let mut hasher = Sha256::new();
    for f in signed {
        let raw =
            hex::decode(&f.sha256).map_err(|_| Error::internal(format!("a stored digest is not hex: {}", f.path)))?;
        hasher.update(raw);
    }
    Ok(hex::encode(hasher.finalize()))
}

impl Quiver {
    /// Walks and hashes the files below `root` (a folder or one file in the artifact store). A
    /// missing folder has no files; a single file is listed as `.`, as model-signing names it.
    pub(crate) async fn record_manifest(&self, root: &str) -> Result<Manifest> {
        let store = self.artifact_store();
        let mut files = Vec::new();
        let mut pending = vec![String::new()];
        let mut any_entry = false;
        while let Some(dir) = pending.pop() {
            let here = if dir.is_empty() { root.to_string() } else { format!("{root}/{dir}") };
            for entry in store.list(&here).await? {
                any_entry = true;
                let rel = if dir.is_empty() { entry.path.clone() } else { format!("{dir}/{}", entry.path) };
                if entry.is_dir {
                    pending.push(rel);
                    continue;
                }
                if files.len() >= MAX_FILES {
                    return Err(Error::precondition(format!(
                        "The version's folder holds more than {MAX_FILES} files; Quiver records at most that many."
                    )));
                }
                let (size, sha256) = store.hash(&format!("{root}/{rel}")).await?;
                files.push(VersionFile { path: rel, size, sha256 });
            }
        }
        if !any_entry {
            // Not a folder: a single file, or nothing there at all.
            match store.hash(root).await {
                Ok((size, sha256)) => files.push(VersionFile { path: ".".into(), size, sha256 }),
                Err(e) if e.is(crate::error::ErrorKind::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        files.sort_by(|a, b| signing_order(&a.path, &b.path));
        let digest = root_digest(files.iter().filter(|f| !unsigned_by_default(&f.path)))?;
        Ok(Manifest { root: root.to_string(), files, digest })
    }
}

/// What a registration records of a version's files.
#[derive(Debug, Clone, Default)]
pub(crate) struct RegisteredFiles {
    pub root: Option<String>,
    pub digest: Option<String>,
    pub files: Vec<FileRow>,
    pub signature: Option<String>,
}

/// Largest signature file read (a Sigstore bundle is a few KiB).
const MAX_SIGNATURE_BYTES: u64 = 1 << 20;

impl Quiver {
    /// The files a version registered from `source` (and the logged model `model_id`) resolves
    /// to, when Quiver stores them: hashed now, with the `model.sig` among them if there is one.
    /// Files elsewhere (`s3://…`), or a source Quiver cannot resolve, record nothing.
    pub(crate) async fn registration_files(
        &self,
        actor: &crate::services::governance::Actor,
        model_id: Option<&str>,
        source: &str,
    ) -> Result<RegisteredFiles> {
        let Ok(uri) = self.artifact_uri_of(actor, model_id.map(str::to_string), source.to_string()).await else {
            return Ok(RegisteredFiles::default());
        };
        // A path the store would refuse (`mlflow-artifacts:/../x`) holds no files Quiver could serve.
        let Some(root) = stored_root(&uri).ok().flatten() else { return Ok(RegisteredFiles::default()) };
        let manifest = self.record_manifest(&root).await?;
        let signature = if manifest.files.iter().any(|f| f.path == SIGNATURE_FILE) {
            let bytes =
                self.artifact_store().read_small(&format!("{root}/{SIGNATURE_FILE}"), MAX_SIGNATURE_BYTES).await?;
            bytes.and_then(|b| String::from_utf8(b).ok())
        } else {
            None
        };
        Ok(RegisteredFiles {
            root: Some(manifest.root),
            digest: Some(manifest.digest),
            files: manifest
                .files
                .into_iter()
                .map(|f| FileRow { path: f.path, size: f.size as i64, sha256: f.sha256 })
                .collect(),
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, sha256: &str) -> VersionFile {
        VersionFile { path: path.into(), size: 1, sha256: sha256.into() }
    }

    /// The sample signed with model-signing 1.1.1: three files and their root digest.
    #[test]
    fn the_root_digest_is_model_signings() {
        let files = [
            file("weights.bin", "785b0751fc2c53dc14a4ce3d800e69ef9ce1009eb327ccf458afe09c242c26c9"),
            file("config.json", "9b831899b1bc0a535a484c7c989d5150cc4e2f32376dcdc5e62e37d7086232d7"),
            file("tokenizer/vocab.txt", "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"),
        ];
        assert_eq!(root_digest(&files).unwrap(), "29fbd830ef6790cf7e5bdf64eef7f5af1264ef800d6d875a1e780bb26e4205ed");
        // No files: the digest of nothing.
        assert_eq!(root_digest(&[]).unwrap(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn files_sort_by_component_and_git_metadata_and_the_signature_are_unsigned() {
        let mut names = vec!["tokenizer-extra.txt", "tokenizer/vocab.txt", "B.txt", "empty.bin"];
        names.sort_by(|a, b| signing_order(a, b));
        assert_eq!(names, ["B.txt", "empty.bin", "tokenizer/vocab.txt", "tokenizer-extra.txt"]);
        for unsigned in [".git/HEAD", ".gitignore", "model.sig", ".github/x.yml"] {
            assert!(unsigned_by_default(unsigned), "{unsigned}");
        }
        for signed in ["sub/.gitignore", "sub/model.sig", "MLmodel", ".env"] {
            assert!(!unsigned_by_default(signed), "{signed}");
        }
    }
}

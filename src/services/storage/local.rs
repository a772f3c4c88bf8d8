//! The artifact store on local disk: a directory tree under one root. Uploads are streamed to a
//! temporary file beside the target and moved into place once complete.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::error::{Error, Result};
use crate::services::storage::paths::resolve_artifact_path;
use crate::services::storage::{ArtifactEntry, ArtifactStore, ByteStream};

/// Marks a file being uploaded (`<name>.part-<random>`); such files are never listed.
const PART: &str = ".part-";
/// Read and sent in chunks of this size.
const CHUNK: usize = 64 * 1024;
/// Hashed in chunks of this size.
const HASH_CHUNK: usize = 1024 * 1024;

/// Artifacts in a directory on this machine.
#[derive(Debug, Clone)]
pub struct LocalDisk {
    root: PathBuf,
}

impl LocalDisk {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalDisk { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn resolve(&self, relative: &str) -> Result<PathBuf> {
        resolve_artifact_path(&self.root, relative)
    }
}

#[async_trait]
impl ArtifactStore for LocalDisk {
    async fn list(&self, dir: &str) -> Result<Vec<ArtifactEntry>> {
        let dir = self.resolve(dir)?;
        let mut out = Vec::new();
        if let Ok(mut entries) = tokio::fs::read_dir(&dir).await {
            while let Ok(Some(entry)) = entries.next_entry().await {
                let name = entry.file_name().to_string_lossy().to_string();
                if name.contains(PART) {
                    continue;
                }
                if let Ok(m) = entry.metadata().await {
                    out.push(ArtifactEntry { path: name, is_dir: m.is_dir(), size: (!m.is_dir()).then_some(m.len()) });
                }
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    async fn open(&self, path: &str) -> Result<(u64, ByteStream)> {
        let file_path = self.resolve(path)?;
        let missing = || Error::not_found(format!("Artifact '{path}' does not exist."));
        let file = tokio::fs::File::open(&file_path).await.map_err(|_| missing())?;
        let meta = file.metadata().await.map_err(|_| missing())?;
        if meta.is_dir() {
            return Err(missing());
        }
        Ok((meta.len(), tokio_util::io::ReaderStream::with_capacity(file, CHUNK).boxed()))
    }

    async fn put(&self, path: &str, body: ByteStream, max: u64) -> Result<u64> {
        let target = self.resolve(path)?;
        if target == self.root {
            return Err(Error::invalid("path", "An artifact path is required."));
        }
        let parent = target.parent().ok_or_else(|| Error::invalid("path", "An artifact path is required."))?;
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| Error::internal(format!("cannot create {parent:?}: {e}")))?;
        let name = target.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let temp = target.with_file_name(format!("{name}{PART}{:016x}", rand::random::<u64>()));
        let written = match write_stream(body, &temp, max).await {
            Ok(n) => n,
            Err(e) => {
                let _ = tokio::fs::remove_file(&temp).await;
                return Err(e);
            }
        };
        if let Err(e) = tokio::fs::rename(&temp, &target).await {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(Error::internal(format!("cannot move the upload into place: {e}")));
        }
        Ok(written)
    }

    async fn hash(&self, path: &str) -> Result<(u64, String)> {
        let file = self.resolve(path)?;
        let shown = path.to_string();
        // Hashing is CPU work on large files: on a blocking thread, a buffer at a time.
        tokio::task::spawn_blocking(move || hash_file(&file, &shown))
            .await
            .map_err(|e| Error::internal(format!("hashing stopped: {e}")))?
    }

    async fn delete(&self, path: &str) -> Result<()> {
        let target = self.resolve(path)?;
        let done = match tokio::fs::metadata(&target).await {
            Ok(m) if m.is_dir() => tokio::fs::remove_dir_all(&target).await,
            Ok(_) => tokio::fs::remove_file(&target).await,
            Err(_) => Ok(()),
        };
        done.map_err(|e| Error::internal(format!("cannot delete {target:?}: {e}")))
    }

    async fn read_small(&self, path: &str, max: u64) -> Result<Option<Vec<u8>>> {
        let file = self.resolve(path)?;
        let Ok(meta) = tokio::fs::metadata(&file).await else { return Ok(None) };
        if meta.is_dir() {
            return Ok(None);
        }
        if meta.len() > max {
            return Err(Error::invalid("path", format!("'{path}' is larger than {max} bytes.")));
        }
        Ok(tokio::fs::read(&file).await.ok())
    }
}

/// The size and SHA-256 of a file, read in chunks (memory stays bounded whatever its size).
fn hash_file(file: &Path, shown: &str) -> Result<(u64, String)> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let missing = || Error::not_found(format!("Artifact '{shown}' does not exist."));
    let mut f = std::fs::File::open(file).map_err(|_| missing())?;
    if f.metadata().map_err(|_| missing())?.is_dir() {
        return Err(missing());
    }
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; HASH_CHUNK];
    let mut size: u64 = 0;
    loop {
        let n = f.read(&mut buffer).map_err(|e| Error::internal(format!("cannot read {file:?}: {e}")))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((size, hex::encode(hasher.finalize())))
}

/// Writes the stream to `temp`, refusing it once it passes `max` bytes.
async fn write_stream(mut body: ByteStream, temp: &Path, max: u64) -> Result<u64> {
    let mut file =
        tokio::fs::File::create(temp).await.map_err(|e| Error::internal(format!("cannot create {temp:?}: {e}")))?;
    let mut written: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| Error::invalid("body", format!("The upload was interrupted: {e}")))?;
        written += chunk.len() as u64;
        if written > max {
            return Err(Error::invalid("body", format!("The artifact is larger than the limit of {max} bytes.")));
        }
        file.write_all(&chunk).await.map_err(|e| Error::internal(format!("cannot write {temp:?}: {e}")))?;
    }
    file.flush().await.map_err(|e| Error::internal(format!("cannot write {temp:?}: {e}")))?;
    file.sync_all().await.map_err(|e| Error::internal(format!("cannot write {temp:?}: {e}")))?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(chunks: Vec<std::io::Result<&'static [u8]>>) -> ByteStream {
        futures::stream::iter(chunks.into_iter().map(|c| c.map(bytes::Bytes::from_static))).boxed()
    }

    async fn read_all(store: &LocalDisk, path: &str) -> Vec<u8> {
        let (size, mut body) = store.open(path).await.unwrap();
        let mut out = Vec::new();
        while let Some(chunk) = body.next().await {
            out.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(size as usize, out.len());
        out
    }

    #[tokio::test]
    async fn uploads_land_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDisk::new(dir.path());
        assert_eq!(store.put("1/r/artifacts/model.pkl", stream(vec![Ok(b"ab"), Ok(b"cd")]), 10).await.unwrap(), 4);
        assert_eq!(read_all(&store, "1/r/artifacts/model.pkl").await, b"abcd");

        // Too large: refused, and the earlier file is untouched; no partial file is listed.
        let e = store.put("1/r/artifacts/model.pkl", stream(vec![Ok(b"0123456789x")]), 10).await.unwrap_err();
        assert!(e.message.contains("larger than the limit"), "{e:?}");
        // Interrupted: the same.
        let broken = stream(vec![Ok(b"zz"), Err(std::io::Error::other("connection reset"))]);
        let e = store.put("1/r/artifacts/model.pkl", broken, 10).await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some("body"));
        assert_eq!(read_all(&store, "1/r/artifacts/model.pkl").await, b"abcd");
        assert_eq!(
            store.hash("1/r/artifacts/model.pkl").await.unwrap(),
            (4, "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589".to_string())
        );
        assert!(store.hash("1/r/artifacts").await.unwrap_err().is(crate::error::ErrorKind::NotFound));
        let listed = store.list("1/r/artifacts").await.unwrap();
        assert_eq!(listed.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(), ["model.pkl"]);
        assert_eq!(listed[0].size, Some(4));
    }

    #[tokio::test]
    async fn paths_never_leave_the_root_and_folders_are_not_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDisk::new(dir.path().join("root"));
        assert!(store.put("../outside", stream(vec![Ok(b"x")]), 10).await.is_err());
        assert!(!dir.path().join("outside").exists());
        assert!(store.put("", stream(vec![Ok(b"x")]), 10).await.is_err());
        store.put("a/b/c.txt", stream(vec![Ok(b"x")]), 10).await.unwrap();
        assert!(store.open("a/b").await.is_err());
        assert!(store.open("a/b/missing").await.err().expect("missing").message.contains("does not exist"));
        assert_eq!(store.read_small("a/b/c.txt", 1).await.unwrap(), Some(b"x".to_vec()));
        assert!(store.read_small("a/b/c.txt", 0).await.is_err());
        assert_eq!(store.read_small("a/b/none.txt", 10).await.unwrap(), None);
        store.delete("a").await.unwrap();
        assert!(store.list("a").await.unwrap().is_empty());
        store.delete("a").await.unwrap();
    }
}

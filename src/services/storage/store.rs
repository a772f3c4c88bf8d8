//! Where artifact files live, behind one trait: local disk today ([`super::LocalDisk`]), an
//! object store later. Paths are relative to the store's root, `/`-separated; the store refuses
//! any that would leave it. Authorization is not the store's business: the service methods in
//! `files.rs` check the caller before they touch it.

use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::error::Result;
use crate::services::storage::ArtifactEntry;

/// A file's bytes, as they are read or as they arrive, a chunk at a time.
pub type ByteStream = BoxStream<'static, std::io::Result<bytes::Bytes>>;

#[async_trait]
pub trait ArtifactStore: Send + Sync {
    /// The entries of a folder, sorted by name; none when it does not exist. Uploads still in
    /// progress are not listed.
    async fn list(&self, dir: &str) -> Result<Vec<ArtifactEntry>>;

    /// A file's size and its bytes; `NotFound` when there is no such file (a folder is none).
    async fn open(&self, path: &str) -> Result<(u64, ByteStream)>;

    /// Stores `body` at `path`, whole or not at all: an interrupted or oversized upload (more
    /// than `max` bytes) leaves nothing under the name. Returns the bytes written.
    async fn put(&self, path: &str, body: ByteStream, max: u64) -> Result<u64>;

    /// A file's size and the SHA-256 of its bytes (hex), read as a stream; `NotFound` when there
    /// is no such file.
    async fn hash(&self, path: &str) -> Result<(u64, String)>;

    /// Deletes a file, or a folder with everything in it; nothing when it does not exist.
    async fn delete(&self, path: &str) -> Result<()>;

    /// A small file read whole: `None` when it does not exist, an error when it is larger than
    /// `max` bytes.
    async fn read_small(&self, path: &str, max: u64) -> Result<Option<Vec<u8>>>;
}

//! The on-disk cache of verified package blobs, shared by every registry
//! and every process of a user.
//!
//! Blobs are content-addressed (`blobs/sha256/<hex>`, stored as published:
//! zstd-compressed), so an entry never goes stale and needs no TTL. Every
//! read is checked against the snapshot's size and sha256 as a download is;
//! an entry that fails (a damaged disk, another program's edit) is removed
//! and counted, and the caller fetches the blob again. Writes go to a
//! temporary file in the same directory and are renamed into place, so two
//! processes sharing the cache see a whole blob or none.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::client::verify_blob;
use crate::error::{Error, ErrorKind};
use crate::metadata::PackageEntry;
use crate::source::read_capped;

/// Counters of one [`BlobCache`] handle; each lookup counts exactly once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered from the cache with a verified blob.
    pub hits: u64,
    /// Lookups that found nothing usable (absent, or discarded below).
    pub misses: u64,
    /// Entries found damaged and removed (each also counted as a miss).
    pub discarded: u64,
    /// Blobs written.
    pub stored: u64,
}

/// A directory of verified blobs.
#[derive(Debug)]
pub struct BlobCache {
    blobs: PathBuf,
    hits: AtomicU64,
    misses: AtomicU64,
    discarded: AtomicU64,
    stored: AtomicU64,
}

impl BlobCache {
    /// Opens (creating) the cache under `dir`.
    pub fn open(dir: impl AsRef<Path>) -> Result<BlobCache, Error> {
        let blobs = dir.as_ref().join("blobs").join("sha256");
        fs::create_dir_all(&blobs).map_err(|e| Error::Cache {
            path: blobs.clone(),
            kind: ErrorKind::Io(e),
        })?;
        Ok(BlobCache {
            blobs,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            discarded: AtomicU64::new(0),
            stored: AtomicU64::new(0),
        })
    }

    /// Where the cache lives by default: `STENCIL_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/stencil`, else `~/.cache/stencil`; `None` when
    /// none of those is set.
    pub fn default_dir() -> Option<PathBuf> {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        if let Some(dir) = var("STENCIL_CACHE_DIR") {
            return Some(PathBuf::from(dir));
        }
        if let Some(dir) = var("XDG_CACHE_HOME") {
            return Some(PathBuf::from(dir).join("stencil"));
        }
        var("HOME").map(|home| PathBuf::from(home).join(".cache").join("stencil"))
    }

    fn path_of(&self, entry: &PackageEntry) -> PathBuf {
        self.blobs.join(entry.sha256.to_ascii_lowercase())
    }

    /// The blob of `entry`, if cached and it still has the snapshot's size
    /// and sha256; a damaged entry is removed.
    pub fn get(&self, entry: &PackageEntry) -> Option<Vec<u8>> {
        let path = self.path_of(entry);
        let verified = fs::File::open(&path)
            .ok()
            .and_then(|file| read_capped(file, entry.size).ok())
            .filter(|blob| verify_blob(blob, entry).is_ok());
        match verified {
            Some(blob) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                Some(blob)
            }
            None => {
                if path.exists() {
                    // Removing may race another process doing the same.
                    let _ = fs::remove_file(&path);
                    self.discarded.fetch_add(1, Ordering::Relaxed);
                }
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Stores a blob already verified against `entry`: written to a
    /// temporary file, then renamed into place.
    pub fn put(&self, entry: &PackageEntry, blob: &[u8]) -> Result<(), Error> {
        let fail = |e: io::Error| Error::Cache {
            path: self.path_of(entry),
            kind: ErrorKind::Io(e),
        };
        let mut temp = tempfile::NamedTempFile::new_in(&self.blobs).map_err(fail)?;
        temp.write_all(blob).map_err(fail)?;
        temp.as_file().sync_all().map_err(fail)?;
        temp.persist(self.path_of(entry))
            .map_err(|e| fail(e.error))?;
        self.stored.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The counters so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            discarded: self.discarded.load(Ordering::Relaxed),
            stored: self.stored.load(Ordering::Relaxed),
        }
    }
}

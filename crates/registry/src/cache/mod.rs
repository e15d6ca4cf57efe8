//! The client's cache of verified packages, in two tiers, shared by every
//! registry:
//!
//! * L1, in memory ([`memory`]): decoded packages, least recently used
//!   evicted first, bounded by bytes; per handle (so per process).
//! * L2, on disk ([`disk`]): the blobs as published (`blobs/sha256/<hex>`,
//!   zstd-compressed already, so stored as they are), shared by every
//!   process of a user, bounded by bytes with least-recently-used eviction.
//!
//! Blobs are content-addressed, so an entry never goes stale and needs no
//! TTL. Every disk read is checked against the snapshot's size and sha256
//! as a download is; an entry that fails (a damaged disk, another
//! program's edit) is removed and counted, and the caller fetches the blob
//! again. Writes go to a temporary file in the same directory and are
//! renamed into place, so two processes sharing the cache see a whole blob
//! or none.

mod disk;
mod memory;
mod stats;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use self::disk::{DiskUsage, Pruned};
pub use self::stats::{CacheStats, TierStats};
use crate::error::Error;
use crate::metadata::PackageEntry;
use crate::package::Package;

/// The bounds of a [`BlobCache`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    /// Bytes of decoded packages held in memory (L1); 0 turns L1 off.
    pub memory_bytes: u64,
    /// Bytes of blobs kept on disk (L2) before the least recently used are
    /// evicted; `u64::MAX` for no bound.
    pub disk_bytes: u64,
}

impl CacheConfig {
    /// 32 MiB in memory: every package of a large install, without
    /// holding a process's memory hostage.
    pub const DEFAULT_MEMORY_BYTES: u64 = 32 * 1024 * 1024;
    /// 500 MB on disk.
    pub const DEFAULT_DISK_BYTES: u64 = 500 * 1000 * 1000;
    /// Both defaults.
    pub const DEFAULT: CacheConfig = CacheConfig {
        memory_bytes: CacheConfig::DEFAULT_MEMORY_BYTES,
        disk_bytes: CacheConfig::DEFAULT_DISK_BYTES,
    };
}

impl Default for CacheConfig {
    fn default() -> CacheConfig {
        CacheConfig::DEFAULT
    }
}

/// A handle on a cache directory of verified blobs (L2), with an in-memory
/// tier of verified packages (L1) in front of it for
/// [`Registry::fetch_package_cached`](crate::Registry::fetch_package_cached).
///
/// # Example
///
/// ```
/// use stencil_registry::{BlobCache, CacheConfig};
///
/// let dir = tempfile::tempdir()?;
/// let config = CacheConfig { disk_bytes: 10 * 1024 * 1024, ..CacheConfig::DEFAULT };
/// let cache = BlobCache::open_with(dir.path(), &config)?;
/// assert_eq!(cache.usage()?.entries, 0);
/// assert_eq!(cache.stats().hits, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct BlobCache {
    dir: PathBuf,
    memory: memory::MemoryTier,
    disk: disk::DiskTier,
}

impl BlobCache {
    /// Opens (creating) the cache under `dir` with [`CacheConfig::DEFAULT`].
    pub fn open(dir: impl AsRef<Path>) -> Result<BlobCache, Error> {
        BlobCache::open_with(dir, &CacheConfig::DEFAULT)
    }

    /// Opens (creating) the cache under `dir` with these bounds. Nothing
    /// is scanned until the first write.
    pub fn open_with(dir: impl AsRef<Path>, config: &CacheConfig) -> Result<BlobCache, Error> {
        let dir = dir.as_ref().to_path_buf();
        Ok(BlobCache {
            disk: disk::DiskTier::open(&dir, config.disk_bytes)?,
            memory: memory::MemoryTier::new(config.memory_bytes),
            dir,
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

    /// The directory this handle opened.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The bounds this handle keeps.
    pub fn config(&self) -> CacheConfig {
        CacheConfig {
            memory_bytes: self.memory.bound(),
            disk_bytes: self.disk.bound(),
        }
    }

    /// The blob of `entry` from disk (L2 only), if cached and it still has
    /// the snapshot's size and sha256; a damaged entry is removed. A hit
    /// makes the entry the most recently used.
    ///
    /// Cost: one open, one read of the blob, one sha256 over it, one
    /// timestamp update.
    pub fn get(&self, entry: &PackageEntry) -> Option<Vec<u8>> {
        self.disk.get(entry)
    }

    /// Stores a blob already verified against `entry` on disk: written to
    /// a temporary file, then renamed into place; then, if the directory
    /// has grown past its bound, the least recently used entries are
    /// evicted down to 90 % of it.
    pub fn put(&self, entry: &PackageEntry, blob: &[u8]) -> Result<(), Error> {
        self.disk.put(entry, blob)
    }

    /// L1: the package verified earlier for `entry`, if still held.
    pub(crate) fn memory_get(&self, entry: &PackageEntry) -> Option<Arc<Package>> {
        self.memory.get(entry)
    }

    /// L1: holds a package just verified against `entry`.
    pub(crate) fn memory_put(&self, entry: &PackageEntry, package: Arc<Package>) {
        self.memory.put(entry, package);
    }

    /// Packages held in memory now, and the bytes charged for them.
    pub fn memory_usage(&self) -> (usize, u64) {
        (self.memory.len(), self.memory.bytes())
    }

    /// What the directory holds now (one scan; includes what other
    /// processes wrote).
    pub fn usage(&self) -> Result<DiskUsage, Error> {
        self.disk.usage()
    }

    /// Evicts the least recently used entries until at most `max_bytes`
    /// are left (and removes temporary files a dead writer left behind).
    /// Safe while other processes use the directory.
    pub fn prune(&self, max_bytes: u64) -> Result<Pruned, Error> {
        let pruned = self.disk.prune_to(max_bytes)?;
        stats::Counters::add(&self.disk.counters.evictions, pruned.removed);
        Ok(pruned)
    }

    /// Removes every entry, on disk and in memory (not counted as
    /// evictions). A blob being written by another process at that moment
    /// may still land afterwards.
    pub fn clear(&self) -> Result<Pruned, Error> {
        self.memory.clear();
        self.disk.prune_to(0)
    }

    /// The counters of this handle so far (see [`CacheStats`]).
    pub fn stats(&self) -> CacheStats {
        CacheStats::new(
            self.memory.counters.snapshot(),
            self.disk.counters.snapshot(),
        )
    }
}

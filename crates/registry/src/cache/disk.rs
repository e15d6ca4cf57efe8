//! L2: verified blobs on disk, content-addressed, shared by every process
//! of a user, bounded by bytes with least-recently-used eviction.
//!
//! Recency is the file's modification time, set to "now" on every hit:
//! access times are unreliable (`noatime`, `relatime`), and a timestamp
//! on the file itself is what another process sharing the directory sees
//! without any lock or index file to keep consistent. Every step tolerates
//! a file vanishing under it (another process evicting or clearing): a
//! vanished entry is a miss, a vanished eviction victim is not counted.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use super::stats::Counters;
use crate::client::verify_blob;
use crate::error::{Error, ErrorKind};
use crate::metadata::PackageEntry;
use crate::source::read_capped;

/// Temporary files are named so that they are never mistaken for entries.
const TEMP_PREFIX: &str = ".tmp-";

/// A temporary file older than this was left by a process that died
/// mid-write; pruning removes it.
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// What a cache directory holds, as a scan found it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiskUsage {
    /// Cached blobs.
    pub entries: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Temporary files of writes in progress (or of writers that died).
    pub temp_files: u64,
}

/// What [`BlobCache::prune`](crate::BlobCache::prune) or
/// [`BlobCache::clear`](crate::BlobCache::clear) removed, and what is left.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Entries removed by this call (an entry another process removed
    /// first is not counted).
    pub removed: u64,
    /// Their bytes.
    pub freed_bytes: u64,
    /// Temporary files removed.
    pub temp_files_removed: u64,
    /// What is left.
    pub remaining: DiskUsage,
}

struct Found {
    path: PathBuf,
    len: u64,
    modified: SystemTime,
}

/// The disk tier of one cache handle.
#[derive(Debug)]
pub(crate) struct DiskTier {
    blobs: PathBuf,
    bound: u64,
    /// This handle's idea of the directory's size: scanned at the first
    /// write, then grown by its own writes. When it crosses the bound the
    /// directory is scanned again and pruned, so the bound holds for
    /// everything any process wrote, checked at least that often.
    estimate: Mutex<Option<u64>>,
    /// One prune at a time per handle; other writers skip, not wait.
    pruning: Mutex<()>,
    pub counters: Counters,
}

/// 64 lowercase hex digits: a sha256 as the snapshot spells it.
fn is_digest(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl DiskTier {
    pub fn open(dir: &Path, bound: u64) -> Result<DiskTier, Error> {
        let blobs = dir.join("blobs").join("sha256");
        fs::create_dir_all(&blobs).map_err(|e| Error::Cache {
            path: blobs.clone(),
            kind: ErrorKind::Io(e),
        })?;
        Ok(DiskTier {
            blobs,
            bound,
            estimate: Mutex::new(None),
            pruning: Mutex::new(()),
            counters: Counters::default(),
        })
    }

    pub fn bound(&self) -> u64 {
        self.bound
    }

    fn path_of(&self, entry: &PackageEntry) -> Option<PathBuf> {
        // The snapshot's parser already insists on this; an entry built by
        // hand must not name a path outside the cache.
        is_digest(&entry.sha256).then(|| self.blobs.join(&entry.sha256))
    }

    fn fail(&self, path: Option<PathBuf>, e: io::Error) -> Error {
        Error::Cache {
            path: path.unwrap_or_else(|| self.blobs.clone()),
            kind: ErrorKind::Io(e),
        }
    }

    /// The blob of `entry` if cached and it still has the snapshot's size
    /// and sha256; a damaged entry is removed and counted.
    pub fn get(&self, entry: &PackageEntry) -> Option<Vec<u8>> {
        let Some(path) = self.path_of(entry) else {
            Counters::add(&self.counters.misses, 1);
            return None;
        };
        let Ok(file) = fs::File::open(&path) else {
            // Absent, or evicted by another process a moment ago.
            Counters::add(&self.counters.misses, 1);
            return None;
        };
        let verified = read_capped(&file, entry.size)
            .ok()
            .filter(|blob| verify_blob(blob, entry).is_ok());
        match verified {
            Some(blob) => {
                // Best effort: the entry becomes the most recently used.
                // Windows wants a handle with write access for this; a
                // read-only cache still answers, it only ages.
                let now = SystemTime::now();
                if file.set_modified(now).is_err()
                    && let Ok(writable) = fs::OpenOptions::new().write(true).open(&path)
                {
                    let _ = writable.set_modified(now);
                }
                Counters::add(&self.counters.hits, 1);
                Some(blob)
            }
            None => {
                drop(file);
                // Another process may remove it at the same time, or have
                // already replaced it with a whole copy; either way the
                // caller fetches and writes it again.
                if fs::remove_file(&path).is_ok() {
                    Counters::add(&self.counters.corrupt, 1);
                }
                Counters::add(&self.counters.misses, 1);
                None
            }
        }
    }

    /// Stores a blob already verified against `entry`: written to a
    /// temporary file in the same directory, synced, then renamed into
    /// place, so a reader in any process sees the whole blob or none.
    /// Then prunes if the directory has grown past the bound.
    pub fn put(&self, entry: &PackageEntry, blob: &[u8]) -> Result<(), Error> {
        let path = self.path_of(entry).ok_or_else(|| Error::Cache {
            path: self.blobs.clone(),
            kind: ErrorKind::Malformed(format!("`{}` is not a sha256", entry.sha256)),
        })?;
        let fail = |e| self.fail(Some(path.clone()), e);
        let mut temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(&self.blobs)
            .map_err(fail)?;
        temp.write_all(blob).map_err(fail)?;
        temp.as_file().sync_all().map_err(fail)?;
        temp.persist(&path).map_err(|e| fail(e.error))?;
        Counters::add(&self.counters.stored, 1);
        self.grew(blob.len() as u64)
    }

    fn grew(&self, added: u64) -> Result<(), Error> {
        if self.bound == u64::MAX {
            return Ok(());
        }
        let over = {
            let mut estimate = self.estimate.lock().unwrap_or_else(PoisonError::into_inner);
            let now = match *estimate {
                Some(bytes) => bytes.saturating_add(added),
                None => self.usage()?.bytes,
            };
            *estimate = Some(now);
            now > self.bound
        };
        if over {
            // Another thread of this handle is pruning already.
            let Ok(_pruning) = self.pruning.try_lock() else {
                return Ok(());
            };
            // Down to 90 %, so that a full cache is not rescanned on every
            // write.
            let pruned = self.prune_to(self.bound - self.bound / 10)?;
            Counters::add(&self.counters.evictions, pruned.removed);
            *self.estimate.lock().unwrap_or_else(PoisonError::into_inner) =
                Some(pruned.remaining.bytes);
        }
        Ok(())
    }

    fn scan(&self) -> Result<(Vec<Found>, Vec<Found>), Error> {
        let mut entries = Vec::new();
        let mut temps = Vec::new();
        let dir = fs::read_dir(&self.blobs).map_err(|e| self.fail(None, e))?;
        for item in dir {
            let item = item.map_err(|e| self.fail(None, e))?;
            let name = item.file_name();
            let Some(name) = name.to_str() else { continue };
            let is_entry = is_digest(name);
            if !is_entry && !name.starts_with(TEMP_PREFIX) {
                continue;
            }
            // Vanished between the listing and the stat: skip it.
            let Ok(meta) = item.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let found = Found {
                path: item.path(),
                len: meta.len(),
                modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            };
            if is_entry {
                entries.push(found);
            } else {
                temps.push(found);
            }
        }
        Ok((entries, temps))
    }

    /// What the directory holds now.
    pub fn usage(&self) -> Result<DiskUsage, Error> {
        let (entries, temps) = self.scan()?;
        Ok(DiskUsage {
            entries: entries.len() as u64,
            bytes: entries.iter().map(|f| f.len).sum(),
            temp_files: temps.len() as u64,
        })
    }

    /// Removes the least recently used entries until at most `target`
    /// bytes are left, and temporary files of dead writers.
    pub fn prune_to(&self, target: u64) -> Result<Pruned, Error> {
        let (mut entries, temps) = self.scan()?;
        let mut pruned = Pruned::default();
        let now = SystemTime::now();
        for temp in temps {
            let stale = now
                .duration_since(temp.modified)
                .is_ok_and(|age| age > STALE_TEMP);
            if stale && fs::remove_file(&temp.path).is_ok() {
                pruned.temp_files_removed += 1;
            } else {
                pruned.remaining.temp_files += 1;
            }
        }
        // Oldest first; equal times by name, so every process agrees.
        entries.sort_by(|a, b| a.modified.cmp(&b.modified).then(a.path.cmp(&b.path)));
        let mut bytes: u64 = entries.iter().map(|f| f.len).sum();
        let mut kept = entries.len() as u64;
        for victim in &entries {
            if bytes <= target {
                break;
            }
            // Gone already (another process pruned): it no longer counts
            // against the bound, but it is not ours to count as evicted.
            match fs::remove_file(&victim.path) {
                Ok(()) => {
                    pruned.removed += 1;
                    pruned.freed_bytes += victim.len;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(self.fail(Some(victim.path.clone()), e)),
            }
            bytes -= victim.len;
            kept -= 1;
        }
        pruned.remaining.entries = kept;
        pruned.remaining.bytes = bytes;
        Ok(pruned)
    }
}

//! L1: verified packages in memory, least recently used evicted first,
//! bounded by bytes.

use std::sync::{Arc, Mutex, PoisonError};

use lru::LruCache;

use super::stats::Counters;
use crate::metadata::PackageEntry;
use crate::package::Package;

/// What one cached package is charged beyond its decoded size: the
/// strings, vectors and LRU node around it (an estimate, so that many tiny
/// packages cannot exceed the bound by their overhead).
const ENTRY_OVERHEAD: u64 = 256;

struct Slot {
    package: Arc<Package>,
    unpacked_size: u64,
    cost: u64,
}

struct Inner {
    // Unbounded by count: the byte bound is enforced here, not by `lru`.
    lru: LruCache<String, Slot>,
    bytes: u64,
}

/// The memory tier of one cache handle; keyed by the blob's sha256, so
/// the same content is held once.
pub(crate) struct MemoryTier {
    bound: u64,
    inner: Mutex<Inner>,
    pub counters: Counters,
}

impl std::fmt::Debug for MemoryTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryTier")
            .field("bound", &self.bound)
            .field("bytes", &self.bytes())
            .finish_non_exhaustive()
    }
}

impl MemoryTier {
    pub fn new(bound: u64) -> MemoryTier {
        MemoryTier {
            bound,
            inner: Mutex::new(Inner {
                lru: LruCache::unbounded(),
                bytes: 0,
            }),
            counters: Counters::default(),
        }
    }

    pub fn bound(&self) -> u64 {
        self.bound
    }

    /// Whether this tier holds anything at all (a bound of 0 turns it off,
    /// and then it counts nothing).
    pub fn enabled(&self) -> bool {
        self.bound > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The map is consistent after every statement that changes it, so
        // a panic elsewhere while it was held leaves nothing half-done.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The package cached for `entry`, if the cached one was verified for
    /// the same blob, kind, name, version and decoded size.
    pub fn get(&self, entry: &PackageEntry) -> Option<Arc<Package>> {
        if !self.enabled() {
            return None;
        }
        let found = {
            let mut inner = self.lock();
            inner
                .lru
                .get(entry.sha256.as_str())
                .filter(|slot| {
                    slot.unpacked_size == entry.unpacked_size
                        && slot.package.version() == entry.version
                        && slot.package.kind() == entry.kind
                        && slot.package.name() == entry.name
                })
                .map(|slot| Arc::clone(&slot.package))
        };
        match found {
            Some(package) => {
                Counters::add(&self.counters.hits, 1);
                Some(package)
            }
            None => {
                Counters::add(&self.counters.misses, 1);
                None
            }
        }
    }

    /// Caches a package verified against `entry`, evicting the least
    /// recently used until the bound holds. A package larger than the
    /// whole bound is not cached.
    pub fn put(&self, entry: &PackageEntry, package: Arc<Package>) {
        let cost = entry.unpacked_size.saturating_add(ENTRY_OVERHEAD);
        if !self.enabled() || cost > self.bound {
            return;
        }
        let slot = Slot {
            package,
            unpacked_size: entry.unpacked_size,
            cost,
        };
        let mut evicted = 0;
        {
            let mut inner = self.lock();
            if let Some((_, old)) = inner.lru.push(entry.sha256.clone(), slot) {
                inner.bytes -= old.cost;
            }
            inner.bytes += cost;
            while inner.bytes > self.bound {
                let Some((_, old)) = inner.lru.pop_lru() else {
                    break;
                };
                inner.bytes -= old.cost;
                evicted += 1;
            }
        }
        Counters::add(&self.counters.evictions, evicted);
        Counters::add(&self.counters.stored, 1);
    }

    /// The bytes charged for what is held now.
    pub fn bytes(&self) -> u64 {
        self.lock().bytes
    }

    /// How many packages are held now.
    pub fn len(&self) -> usize {
        self.lock().lru.len()
    }

    /// Forgets everything held.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.lru.clear();
        inner.bytes = 0;
    }
}

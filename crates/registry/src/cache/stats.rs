//! The cache's counters: per tier, each lookup counted once, at the tier
//! that answered it.

use std::sync::atomic::{AtomicU64, Ordering};

/// What one tier of a [`BlobCache`](crate::BlobCache) handle has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TierStats {
    /// Lookups this tier answered.
    pub hits: u64,
    /// Lookups this tier could not answer (passed on to the next tier, or
    /// to the registry after the last one).
    pub misses: u64,
    /// Entries this handle removed to keep the tier within its bound.
    pub evictions: u64,
    /// Entries found damaged (wrong size or sha256) and removed; each is
    /// also one of the misses.
    pub corrupt: u64,
    /// Entries written.
    pub stored: u64,
}

/// Counters of one [`BlobCache`](crate::BlobCache) handle.
///
/// A lookup through the fetch path asks the memory tier (L1), and only on
/// a memory miss the disk tier (L2), and only on a disk miss the registry.
/// So no lookup is counted twice: an L1 hit is not an L2 lookup at all,
/// and `memory.misses == disk.hits + disk.misses` as long as every lookup
/// goes through L1 (a direct [`BlobCache::get`](crate::BlobCache::get)
/// asks the disk tier only). The top-level fields sum the tiers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered by any tier: `memory.hits + disk.hits`.
    pub hits: u64,
    /// Lookups no tier answered, so the caller fetched: `disk.misses`.
    pub misses: u64,
    /// Damaged disk entries removed: `disk.corrupt`.
    pub discarded: u64,
    /// Blobs written to disk: `disk.stored`.
    pub stored: u64,
    /// The in-memory tier of verified packages (L1).
    pub memory: TierStats,
    /// The on-disk tier of verified blobs (L2).
    pub disk: TierStats,
}

impl CacheStats {
    pub(crate) fn new(memory: TierStats, disk: TierStats) -> CacheStats {
        CacheStats {
            hits: memory.hits + disk.hits,
            misses: disk.misses,
            discarded: disk.corrupt,
            stored: disk.stored,
            memory,
            disk,
        }
    }
}

/// The live counters of one tier.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub evictions: AtomicU64,
    pub corrupt: AtomicU64,
    pub stored: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> TierStats {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        TierStats {
            hits: load(&self.hits),
            misses: load(&self.misses),
            evictions: load(&self.evictions),
            corrupt: load(&self.corrupt),
            stored: load(&self.stored),
        }
    }
}

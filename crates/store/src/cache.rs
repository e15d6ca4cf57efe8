//! The count cache: an LRU in front of every count that is not a column read.
//!
//! Freshness rules, each one a defect of the system this replaces:
//!
//! * Every mutation made through the catalogue calls [`CountCache::invalidate`]
//!   *after* its commit, so a count is never older than the last commit made
//!   through this catalogue. (Invalidating before the commit would let a
//!   reader refill the cache from the old state in between.)
//! * Fills carry the epoch seen *before* their query ran; a fill whose epoch
//!   is no longer current was computed before a commit and is refused. This
//!   matters once several connections share one cache (the PostgreSQL pool of
//!   a later backend); with one SQLite connection it costs one comparison.
//! * Entries expire after a TTL, which bounds staleness from writers in other
//!   processes, which cannot invalidate this cache.
//!
//! Everything is cleared on invalidation rather than per key: mutations are
//! rare next to reads, and a clear cannot miss a dependent count.

use std::borrow::Borrow;
use std::hash::Hash;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use lru::LruCache;

use crate::model::{Facets, TagCount};
use crate::queries::Filter;

struct Entry<V> {
    value: V,
    filled: Instant,
}

struct Maps {
    epoch: u64,
    collections: LruCache<String, Entry<u64>>,
    facets: LruCache<Filter, Entry<Arc<Facets>>>,
    tags: Option<Entry<Arc<Vec<TagCount>>>>,
}

/// The epoch a fill was computed at.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Epoch(u64);

pub(crate) struct CountCache {
    maps: Mutex<Maps>,
    ttl: Duration,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl CountCache {
    pub(crate) fn new(capacity: NonZeroUsize, ttl: Duration) -> Self {
        CountCache {
            maps: Mutex::new(Maps {
                epoch: 0,
                collections: LruCache::new(capacity),
                facets: LruCache::new(capacity),
                tags: None,
            }),
            ttl,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Maps> {
        // A panic while holding the lock cannot leave the maps half-updated
        // in a way that matters (worst case an entry is missing), so a
        // poisoned lock is used as is.
        self.maps.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fresh<V>(&self, entry: &Entry<V>) -> bool {
        // TTL zero means "never serve from the cache".
        !self.ttl.is_zero() && entry.filled.elapsed() < self.ttl
    }

    fn count(&self, hit: bool) {
        let counter = if hit { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn get_in<K, Q, V>(&self, map: &mut LruCache<K, Entry<V>>, key: &Q) -> Option<V>
    where
        K: Borrow<Q> + Hash + Eq,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        let value = match map.get(key) {
            Some(e) if self.fresh(e) => Some(e.value.clone()),
            Some(_) => {
                map.pop(key);
                None
            }
            None => None,
        };
        self.count(value.is_some());
        value
    }

    /// A cached collection count, or the epoch to fill it at.
    pub(crate) fn collection(&self, name: &str) -> Result<u64, Epoch> {
        let mut maps = self.lock();
        let epoch = Epoch(maps.epoch);
        self.get_in(&mut maps.collections, name).ok_or(epoch)
    }

    pub(crate) fn fill_collection(&self, epoch: Epoch, name: &str, value: u64) {
        let mut maps = self.lock();
        if maps.epoch == epoch.0 {
            let entry = Entry {
                value,
                filled: Instant::now(),
            };
            maps.collections.put(name.to_owned(), entry);
        }
    }

    pub(crate) fn facets(&self, filter: &Filter) -> Result<Arc<Facets>, Epoch> {
        let mut maps = self.lock();
        let epoch = Epoch(maps.epoch);
        self.get_in(&mut maps.facets, filter).ok_or(epoch)
    }

    pub(crate) fn fill_facets(&self, epoch: Epoch, filter: Filter, value: Arc<Facets>) {
        let mut maps = self.lock();
        if maps.epoch == epoch.0 {
            let entry = Entry {
                value,
                filled: Instant::now(),
            };
            maps.facets.put(filter, entry);
        }
    }

    pub(crate) fn tags(&self) -> Result<Arc<Vec<TagCount>>, Epoch> {
        let maps = self.lock();
        let epoch = Epoch(maps.epoch);
        let value = match &maps.tags {
            Some(e) if self.fresh(e) => Some(Arc::clone(&e.value)),
            _ => None,
        };
        self.count(value.is_some());
        value.ok_or(epoch)
    }

    pub(crate) fn fill_tags(&self, epoch: Epoch, value: Arc<Vec<TagCount>>) {
        let mut maps = self.lock();
        if maps.epoch == epoch.0 {
            maps.tags = Some(Entry {
                value,
                filled: Instant::now(),
            });
        }
    }

    /// Drops every entry and refuses fills computed before this call.
    pub(crate) fn invalidate(&self) {
        let mut maps = self.lock();
        maps.epoch += 1;
        maps.collections.clear();
        maps.facets.clear();
        maps.tags = None;
    }

    pub(crate) fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    pub(crate) fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(ttl: Duration) -> CountCache {
        CountCache::new(NonZeroUsize::new(2).unwrap(), ttl)
    }

    #[test]
    fn a_fill_computed_before_an_invalidation_is_refused() {
        let c = cache(Duration::from_secs(60));
        let epoch = c.collection("docs").unwrap_err();
        // A commit lands between the reader's query and its fill.
        c.invalidate();
        c.fill_collection(epoch, "docs", 41);
        let epoch = c.collection("docs").expect_err("stale fill was accepted");
        c.fill_collection(epoch, "docs", 42);
        assert_eq!(c.collection("docs").ok(), Some(42));
        assert_eq!((c.hits(), c.misses()), (1, 2));
    }

    #[test]
    fn entries_expire_after_the_ttl_and_ttl_zero_never_hits() {
        // Only "expired after sleeping past the TTL" depends on time, and it
        // cannot flake: elapsed time only grows.
        let c = cache(Duration::from_millis(5));
        let epoch = c.collection("a").unwrap_err();
        c.fill_collection(epoch, "a", 1);
        std::thread::sleep(Duration::from_millis(10));
        assert!(c.collection("a").is_err(), "expired entry served");

        let c = cache(Duration::from_secs(3600));
        let epoch = c.collection("a").unwrap_err();
        c.fill_collection(epoch, "a", 1);
        assert_eq!(c.collection("a").ok(), Some(1));

        let c = cache(Duration::ZERO);
        let epoch = c.collection("a").unwrap_err();
        c.fill_collection(epoch, "a", 1);
        assert!(c.collection("a").is_err(), "TTL 0 served from cache");
    }

    #[test]
    fn capacity_evicts_the_least_recently_used() {
        let c = cache(Duration::from_secs(60));
        for (name, v) in [("a", 1), ("b", 2)] {
            let e = c.collection(name).unwrap_err();
            c.fill_collection(e, name, v);
        }
        assert!(c.collection("a").is_ok()); // a is now most recent
        let e = c.collection("c").unwrap_err();
        c.fill_collection(e, "c", 3);
        assert!(c.collection("b").is_err(), "b should have been evicted");
        assert_eq!(c.collection("a").ok(), Some(1));
    }
}

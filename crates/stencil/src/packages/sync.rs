//! `registry sync`: refresh one registry and prefetch every package
//! version not yanked into the disk cache, for offline use later.

use jiff::Timestamp;
use stencil_registry::{BlobCache, Freshness};
use stencil_store::Catalog;

use super::PackageError;
use super::registries::open_registry_with;

/// What [`sync_registry`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncReport {
    /// The registry's snapshot version now.
    pub snapshot_version: u64,
    /// Package versions (not yanked) in the snapshot.
    pub packages: usize,
    /// Of those, already in the cache and still verified.
    pub already_cached: u64,
    /// Of those, downloaded now.
    pub downloaded: u64,
    /// Packages that failed, each message naming its package.
    pub failures: Vec<String>,
}

/// Revalidates registry `name` now, then fetches every package version not
/// yanked through `cache` on up to `concurrency` threads. A package that
/// fails is reported; the others are still cached.
pub fn sync_registry(
    catalog: &Catalog,
    name: &str,
    cache: &BlobCache,
    concurrency: usize,
    now: Timestamp,
) -> Result<SyncReport, PackageError> {
    let open = open_registry_with(catalog, name, false, &Freshness::FORCE, now)?;
    let entries: Vec<_> = open
        .registry
        .snapshot()
        .packages
        .iter()
        .filter(|e| !e.yanked)
        .collect();
    let before = cache.stats();
    let results =
        open.registry
            .fetch_many(open.source.as_ref(), &entries, Some(cache), concurrency);
    let after = cache.stats();
    Ok(SyncReport {
        snapshot_version: open.registry.snapshot().version,
        packages: entries.len(),
        already_cached: after.hits - before.hits,
        downloaded: after.stored - before.stored,
        failures: results
            .into_iter()
            .filter_map(|r| r.err().map(|e| e.to_string()))
            .collect(),
    })
}

//! Fetching many packages at once: bounded threads, results in request
//! order, one result per package.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::cache::BlobCache;
use crate::client::Registry;
use crate::error::Error;
use crate::metadata::PackageEntry;
use crate::package::Package;
use crate::source::Source;

/// How many packages are fetched at once by default.
pub const DEFAULT_CONCURRENCY: usize = 8;

impl Registry {
    /// Fetches many packages on up to `concurrency` threads (at least one),
    /// through `cache` if given. The results are in the order of `entries`,
    /// one per entry: a failure is that package's (its error names it) and
    /// the others still complete — the caller decides whether one failure
    /// fails the whole (an install stores nothing unless all succeeded).
    pub fn fetch_many(
        &self,
        source: &dyn Source,
        entries: &[&PackageEntry],
        cache: Option<&BlobCache>,
        concurrency: usize,
    ) -> Vec<Result<Package, Error>> {
        let next = AtomicUsize::new(0);
        let workers = concurrency.max(1).min(entries.len());
        let mut done: Vec<(usize, Result<Package, Error>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(entry) = entries.get(i) else {
                                return mine;
                            };
                            mine.push((i, self.fetch_package_cached(source, entry, cache)));
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| match h.join() {
                    Ok(results) => results,
                    // A panic in a worker is a bug; surface it here.
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        });
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, result)| result).collect()
    }
}

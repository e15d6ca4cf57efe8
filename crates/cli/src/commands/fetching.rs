//! What the registry commands share: the disk cache, the fetch options
//! from `--refresh`/`--offline`, and the notes about where data came from.

use stencil::packages::FetchOptions;
use stencil::registry::{BlobCache, DEFAULT_CONCURRENCY, Freshness};

/// The user's disk cache of verified blobs, when a location is known and
/// can be created; without one, packages are fetched every time.
pub fn blob_cache() -> Option<BlobCache> {
    BlobCache::default_dir().and_then(|dir| BlobCache::open(dir).ok())
}

/// `--refresh` forces revalidation; otherwise the minimum interval applies.
pub fn options(cache: Option<&BlobCache>, refresh: bool, offline: bool) -> FetchOptions<'_> {
    FetchOptions {
        offline,
        freshness: if refresh {
            Freshness::FORCE
        } else {
            Freshness::DEFAULT
        },
        cache,
        concurrency: DEFAULT_CONCURRENCY,
    }
}

/// Says on stderr where data came from when it was not a fresh snapshot
/// (offline, or a network failure answered from the cache); the same notes
/// go into the `--json` document.
pub fn tell(notes: &[String]) {
    for note in notes {
        eprintln!("note: {note}");
    }
}

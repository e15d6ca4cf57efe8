//! A registry of one package of a chosen size and a warm cache of it, for
//! the package-cache benches (L1 hit, L2 hit, revalidation).

use std::path::Path;

use jiff::Timestamp;
use stencil::registry::{
    BlobCache, CacheConfig, DirSource, Limits, Package, PackageEntry, PackageFile, Publisher,
    Registry, SecretKey, TrustAnchor,
};

/// The signing key of every bench registry.
pub fn key() -> SecretKey {
    SecretKey::from_seed([11; 32])
}

/// What the client trusts.
pub fn anchor() -> TrustAnchor {
    TrustAnchor::Keys {
        keys: vec![key().public()],
        threshold: 1,
    }
}

/// Text-like content: words of pseudo-random letters, lines of ~60
/// characters, so zstd compresses it about as it compresses prose.
pub fn text(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let c = match state % 32 {
            0..=25 => b'a' + (state % 26) as u8,
            26..=30 => b' ',
            _ => b'\n',
        };
        out.push(c);
    }
    out
}

/// Publishes one `command` package `bench` of `len` bytes into `dir` and
/// returns the client's view of it.
pub fn publish(dir: &Path, len: usize) -> Registry {
    let now = Timestamp::now();
    let mut publisher = Publisher::open_or_create(dir, vec![key()], now).expect("registry");
    let package = Package::new("command", "bench")
        .expect("name")
        .file(PackageFile::new(".claude/commands/bench.md", text(len)).expect("file"))
        .expect("package");
    publisher.publish(&[package], now).expect("publish");
    Registry::bootstrap(
        "bench",
        &DirSource::new(dir),
        &anchor(),
        &Limits::DEFAULT,
        now,
    )
    .expect("bootstrap")
}

/// The one package's entry.
pub fn entry(registry: &Registry) -> PackageEntry {
    registry
        .snapshot()
        .latest("command", "bench")
        .expect("published")
        .clone()
}

/// A cache under `dir` holding the package: in memory and on disk, or
/// (with `memory: false`) on disk only, so every fetch is an L2 hit.
pub fn warm_cache(
    dir: &Path,
    registry: &Registry,
    source: &DirSource,
    entry: &PackageEntry,
    memory: bool,
) -> BlobCache {
    let config = CacheConfig {
        memory_bytes: if memory {
            CacheConfig::DEFAULT_MEMORY_BYTES
        } else {
            0
        },
        ..CacheConfig::DEFAULT
    };
    let cache = BlobCache::open_with(dir, &config).expect("cache");
    registry
        .fetch_package_cached(source, entry, Some(&cache))
        .expect("fetch");
    cache
}

//! The two-tier package cache, against real files and the loopback HTTP
//! server: counters that never count a lookup twice, eviction at each
//! tier's bound, a damaged entry detected and refetched, and two processes
//! sharing one directory.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::server::Server;
use common::{Fixture, t0};
use stencil_registry::{
    BlobCache, CacheConfig, DirSource, HttpConfig, HttpSource, Limits, Package, PackageEntry,
    PackageFile, Registry, Source, TierStats,
};

/// `n` packages of ~`len` bytes of pseudo-random letters each (so their
/// blobs have nearly equal sizes).
fn packages(n: usize, len: usize) -> Vec<Package> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|i| {
            let body: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    b'a' + (state % 26) as u8
                })
                .collect();
            let name = format!("p{i:02}");
            Package::new("command", &name)
                .unwrap()
                .file(PackageFile::new(&format!(".claude/commands/{name}.md"), body).unwrap())
                .unwrap()
        })
        .collect()
}

fn published(n: usize, len: usize) -> Fixture {
    let mut fixture = Fixture::new();
    fixture.publisher.publish(&packages(n, len), t0()).unwrap();
    fixture
}

fn entries(registry: &Registry, n: usize) -> Vec<&PackageEntry> {
    (0..n)
        .map(|i| {
            registry
                .snapshot()
                .latest("command", &format!("p{i:02}"))
                .unwrap()
        })
        .collect()
}

fn served(n: usize) -> (Fixture, Server, HttpSource, Registry) {
    let fixture = published(n, 2048);
    let server = Server::serve(fixture.path());
    let http = HttpSource::new(&server.url, &HttpConfig::default()).unwrap();
    let registry =
        Registry::bootstrap("team", &http, &fixture.anchor(), &Limits::DEFAULT, t0()).unwrap();
    (fixture, server, http, registry)
}

fn fetch_all(
    registry: &Registry,
    source: &dyn Source,
    entries: &[&PackageEntry],
    cache: &BlobCache,
) {
    for (result, entry) in registry
        .fetch_many(source, entries, Some(cache), 4)
        .into_iter()
        .zip(entries)
    {
        assert_eq!(result.unwrap().name(), entry.name);
    }
}

fn tier(hits: u64, misses: u64, evictions: u64, corrupt: u64, stored: u64) -> TierStats {
    TierStats {
        hits,
        misses,
        evictions,
        corrupt,
        stored,
    }
}

#[test]
fn each_lookup_is_counted_once_at_the_tier_that_answered() {
    let (_fixture, server, http, registry) = served(4);
    let entries = entries(&registry, 4);
    let blob_requests = || -> u64 { entries.iter().map(|e| server.hits(&e.blob_path())).sum() };
    let dir = tempfile::tempdir().unwrap();
    let cache = BlobCache::open(dir.path()).unwrap();

    // Cold: every lookup misses both tiers and becomes one fetch.
    fetch_all(&registry, &http, &entries, &cache);
    let stats = cache.stats();
    assert_eq!(stats.memory, tier(0, 4, 0, 0, 4));
    assert_eq!(stats.disk, tier(0, 4, 0, 0, 4));
    assert_eq!((stats.hits, stats.misses), (0, 4));
    assert_eq!(blob_requests(), 4);

    // Warm, same handle: L1 answers; L2 is not asked, so not counted.
    fetch_all(&registry, &http, &entries, &cache);
    let stats = cache.stats();
    assert_eq!(stats.memory, tier(4, 4, 0, 0, 4));
    assert_eq!(stats.disk, tier(0, 4, 0, 0, 4));
    assert_eq!((stats.hits, stats.misses), (4, 4));
    assert_eq!(blob_requests(), 4);

    // Another handle (another process): L1 misses, L2 answers.
    let other = BlobCache::open(dir.path()).unwrap();
    fetch_all(&registry, &http, &entries, &other);
    let stats = other.stats();
    assert_eq!(stats.memory, tier(0, 4, 0, 0, 4));
    assert_eq!(stats.disk, tier(4, 0, 0, 0, 0));
    assert_eq!((stats.hits, stats.misses, stats.stored), (4, 0, 0));
    assert_eq!(blob_requests(), 4);
    for stats in [cache.stats(), other.stats()] {
        assert_eq!(stats.memory.misses, stats.disk.hits + stats.disk.misses);
        assert_eq!(stats.hits, stats.memory.hits + stats.disk.hits);
    }
}

#[test]
fn the_disk_tier_evicts_the_least_recently_used_at_its_bound() {
    let fixture = published(4, 4096);
    let source = fixture.source();
    let registry = fixture.bootstrap().unwrap();
    let entries = entries(&registry, 4);
    let sizes: Vec<u64> = entries.iter().map(|e| e.size).collect();
    let smallest = *sizes.iter().min().unwrap();
    // Room for three blobs and half of one more.
    let bound = sizes[..3].iter().sum::<u64>() + smallest / 2;
    let dir = tempfile::tempdir().unwrap();
    let config = CacheConfig {
        memory_bytes: 0,
        disk_bytes: bound,
    };
    let cache = BlobCache::open_with(dir.path(), &config).unwrap();
    let pause = || std::thread::sleep(Duration::from_millis(30));
    for entry in &entries[..3] {
        registry
            .fetch_package_cached(&source, entry, Some(&cache))
            .unwrap();
        pause();
    }
    assert_eq!(cache.stats().disk.evictions, 0);
    // A read makes p00 the most recently used; p01 is now the oldest.
    assert!(cache.get(entries[0]).is_some());
    pause();
    registry
        .fetch_package_cached(&source, entries[3], Some(&cache))
        .unwrap();

    let stats = cache.stats();
    assert_eq!(stats.disk.evictions, 1);
    assert_eq!(stats.memory, TierStats::default(), "L1 is off");
    let usage = cache.usage().unwrap();
    assert_eq!(usage.entries, 3);
    assert!(usage.bytes <= bound, "{} > {bound}", usage.bytes);
    let held = |i: usize| dir.path().join(entries[i].blob_path()).exists();
    assert_eq!(
        (held(0), held(1), held(2), held(3)),
        (true, false, true, true)
    );

    // An explicit prune to one blob's worth keeps only the newest.
    let pruned = cache.prune(sizes[3]).unwrap();
    assert_eq!(pruned.removed, 2);
    assert_eq!(pruned.remaining.entries, 1);
    assert!(held(3));
    assert_eq!(cache.stats().disk.evictions, 3);
}

#[test]
fn the_memory_tier_evicts_the_least_recently_used_at_its_bound() {
    let fixture = published(3, 4096);
    let source = fixture.source();
    let registry = fixture.bootstrap().unwrap();
    let entries = entries(&registry, 3);
    let dir = tempfile::tempdir().unwrap();
    // Two decoded packages fit (each is charged its size plus overhead).
    let largest = entries.iter().map(|e| e.unpacked_size).max().unwrap();
    let config = CacheConfig {
        memory_bytes: 2 * (largest + 256) + 100,
        disk_bytes: u64::MAX,
    };
    let cache = BlobCache::open_with(dir.path(), &config).unwrap();
    for entry in &entries {
        registry
            .fetch_package_cached(&source, entry, Some(&cache))
            .unwrap();
    }
    let stats = cache.stats();
    assert_eq!(stats.memory.evictions, 1);
    assert_eq!(cache.memory_usage().0, 2);
    assert!(cache.memory_usage().1 <= config.memory_bytes);
    // p00 was the least recently used: gone from memory, still on disk.
    let package = registry
        .fetch_package_cached(&source, entries[0], Some(&cache))
        .unwrap();
    assert_eq!(package.name(), "p00");
    let stats = cache.stats();
    assert_eq!((stats.memory.hits, stats.disk.hits), (0, 1));
    // p02 is still in memory.
    registry
        .fetch_package_cached(&source, entries[2], Some(&cache))
        .unwrap();
    assert_eq!(cache.stats().memory.hits, 1);
}

#[test]
fn a_damaged_entry_is_detected_removed_counted_and_refetched() {
    let (_fixture, server, http, registry) = served(2);
    let entries = entries(&registry, 2);
    let dir = tempfile::tempdir().unwrap();
    fetch_all(
        &registry,
        &http,
        &entries,
        &BlobCache::open(dir.path()).unwrap(),
    );
    let path = |i: usize| dir.path().join(entries[i].blob_path());

    // One flipped byte (same size), one truncated file.
    let mut bytes = std::fs::read(path(0)).unwrap();
    bytes[10] ^= 0x01;
    std::fs::write(path(0), &bytes).unwrap();
    let bytes = std::fs::read(path(1)).unwrap();
    std::fs::write(path(1), &bytes[..bytes.len() / 2]).unwrap();

    let cache = BlobCache::open(dir.path()).unwrap();
    for (i, entry) in entries.iter().enumerate() {
        let before = server.hits(&entry.blob_path());
        let package = registry
            .fetch_package_cached(&http, entry, Some(&cache))
            .unwrap();
        assert_eq!(package.name(), entry.name);
        assert_eq!(
            server.hits(&entry.blob_path()),
            before + 1,
            "entry {i} refetched"
        );
        // Whole again on disk.
        assert_eq!(
            stencil_registry::sha256_hex(&std::fs::read(path(i)).unwrap()),
            entry.sha256
        );
    }
    let stats = cache.stats();
    assert_eq!(stats.disk, tier(0, 2, 0, 2, 2));
    assert_eq!((stats.misses, stats.discarded), (2, 2));
}

const CHILD_CACHE: &str = "STENCIL_CACHE_TEST_CHILD_CACHE";
const CHILD_REGISTRY: &str = "STENCIL_CACHE_TEST_CHILD_REGISTRY";
const CHILD_BOUND: &str = "STENCIL_CACHE_TEST_CHILD_BOUND";
const SHARED_PACKAGES: usize = 24;

/// One of the two processes of the test below: fetches every package
/// many times through a small shared cache (so the other process evicts
/// under it), checks every result, and prints its counters.
#[test]
#[ignore = "run as a child process by two_processes_share_one_cache_directory"]
fn cache_child_process() {
    let (Some(cache_dir), Some(registry_dir), Some(bound)) = (
        std::env::var_os(CHILD_CACHE),
        std::env::var_os(CHILD_REGISTRY),
        std::env::var(CHILD_BOUND).ok(),
    ) else {
        return;
    };
    let source = DirSource::new(Path::new(&registry_dir));
    let fixture_anchor = stencil_registry::TrustAnchor::Keys {
        keys: vec![common::key(1).public()],
        threshold: 1,
    };
    let registry =
        Registry::bootstrap("team", &source, &fixture_anchor, &Limits::DEFAULT, t0()).unwrap();
    let entries = entries(&registry, SHARED_PACKAGES);
    let config = CacheConfig {
        memory_bytes: 0,
        disk_bytes: bound.parse().unwrap(),
    };
    for _ in 0..15 {
        // A fresh handle each round, as a new process would have.
        let cache = BlobCache::open_with(Path::new(&cache_dir), &config).unwrap();
        fetch_all(&registry, &source, &entries, &cache);
        let s = cache.stats().disk;
        println!(
            "STATS {} {} {} {} {}",
            s.hits, s.misses, s.evictions, s.corrupt, s.stored
        );
    }
}

#[test]
fn two_processes_share_one_cache_directory() {
    let fixture = published(SHARED_PACKAGES, 4096);
    let registry = fixture.bootstrap().unwrap();
    let entries = entries(&registry, SHARED_PACKAGES);
    let total: u64 = entries.iter().map(|e| e.size).sum();
    // A third of the packages fit: both processes evict constantly.
    let bound = total / 3;
    let cache_dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(&exe)
                .args(["cache_child_process", "--exact", "--ignored", "--nocapture"])
                .args(["--test-threads", "1"])
                .env(CHILD_CACHE, cache_dir.path())
                .env(CHILD_REGISTRY, fixture.path())
                .env(CHILD_BOUND, bound.to_string())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut sums = [0u64; 5];
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "child failed:\n{stdout}");
        // The harness's own "test … " may precede the first line.
        let lines: Vec<&str> = stdout
            .lines()
            .filter_map(|l| l.split_once("STATS ").map(|(_, rest)| rest))
            .collect();
        assert_eq!(lines.len(), 15, "{stdout}");
        for line in lines {
            for (sum, n) in sums.iter_mut().zip(line.split_whitespace()) {
                *sum += n.parse::<u64>().unwrap();
            }
        }
    }
    let [hits, misses, evictions, corrupt, stored] = sums;
    // Every lookup was answered once: 2 processes × 15 rounds × 24.
    assert_eq!(hits + misses, 2 * 15 * SHARED_PACKAGES as u64);
    // Never a torn or half-written entry seen by the other process.
    assert_eq!(corrupt, 0);
    assert!(
        hits > 0 && evictions > 0,
        "hits {hits}, evictions {evictions}"
    );
    assert_eq!(stored, misses);

    // What is left is whole, and no temporary file was left behind.
    let cache = BlobCache::open(cache_dir.path()).unwrap();
    let usage = cache.usage().unwrap();
    assert_eq!(usage.temp_files, 0);
    assert!(usage.entries > 0);
    for entry in &entries {
        let _ = cache.get(entry);
    }
    assert_eq!(cache.stats().disk.corrupt, 0);
    assert_eq!(cache.stats().disk.hits, usage.entries);
}

#[test]
fn an_l1_hit_hands_out_the_verified_package_without_a_copy() {
    let fixture = published(1, 4096);
    let source = fixture.source();
    let registry = fixture.bootstrap().unwrap();
    let entry = entries(&registry, 1)[0];
    let dir = tempfile::tempdir().unwrap();
    let cache = BlobCache::open(dir.path()).unwrap();
    let first = registry
        .fetch_package_shared(&source, entry, Some(&cache))
        .unwrap();
    let again = registry
        .fetch_package_shared(&source, entry, Some(&cache))
        .unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &again));
    let owned = registry
        .fetch_package_cached(&source, entry, Some(&cache))
        .unwrap();
    assert_eq!(owned, *first);
    assert_eq!(owned.version(), entry.version);
    assert_eq!(cache.stats().memory.hits, 2);
}

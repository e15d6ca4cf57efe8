//! Many packages over HTTP: bounded parallel fetch in request order, one
//! failure per package, and the on-disk cache of verified blobs.

mod common;

use std::time::Duration;

use common::server::{Fault, Server};
use common::{Fixture, command, t0};
use stencil_registry::{
    BlobCache, ErrorKind, HttpConfig, HttpSource, Limits, PackageEntry, Registry, RetryPolicy,
};

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("p{i:02}")).collect()
}

/// A registry of `n` packages served over HTTP, bootstrapped.
fn served(n: usize) -> (Fixture, Server, HttpSource, Registry) {
    let mut fixture = Fixture::new();
    let packages: Vec<_> = names(n)
        .iter()
        .map(|name| command(name, &format!("{name}\n")))
        .collect();
    fixture.publisher.publish(&packages, t0()).unwrap();
    let server = Server::serve(fixture.path());
    let config = HttpConfig {
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            max_retry_after: Duration::ZERO,
        },
        ..HttpConfig::default()
    };
    let http = HttpSource::new(&server.url, &config).unwrap();
    let registry =
        Registry::bootstrap("team", &http, &fixture.anchor(), &Limits::DEFAULT, t0()).unwrap();
    (fixture, server, http, registry)
}

fn entries<'a>(registry: &'a Registry, names: &[String]) -> Vec<&'a PackageEntry> {
    names
        .iter()
        .map(|n| registry.snapshot().latest("command", n).unwrap())
        .collect()
}

#[test]
fn results_come_back_in_request_order_whatever_finishes_first() {
    let (_fixture, server, http, registry) = served(16);
    let wanted = names(16);
    let entries = entries(&registry, &wanted);
    // The first requested answer last: descending latencies.
    for (i, entry) in entries.iter().enumerate() {
        let ms = (16 - i as u64) * 5;
        server.fault(
            &entry.blob_path(),
            [Fault::Delay(Duration::from_millis(ms))],
        );
    }
    let results = registry.fetch_many(&http, &entries, None, 8);
    let got: Vec<String> = results
        .into_iter()
        .map(|r| r.unwrap().name().to_owned())
        .collect();
    assert_eq!(got, wanted);
}

#[test]
fn one_failure_per_package_and_the_others_complete() {
    let (fixture, server, http, registry) = served(6);
    let wanted = names(6);
    let entries = entries(&registry, &wanted);
    std::fs::remove_file(fixture.file(&entries[1].blob_path())).unwrap();
    server.fault(&entries[4].blob_path(), [Fault::Status(403)]);
    let results = registry.fetch_many(&http, &entries, None, 3);
    assert_eq!(results.len(), 6);
    for (i, result) in results.iter().enumerate() {
        match i {
            1 | 4 => {
                let err = result.as_ref().unwrap_err();
                assert!(
                    err.to_string().contains(&format!("command:p{i:02}@1")),
                    "{err}"
                );
                let expected_not_found = i == 1;
                assert_eq!(
                    matches!(err.kind(), ErrorKind::NotFound),
                    expected_not_found,
                    "{err}"
                );
            }
            _ => assert_eq!(result.as_ref().unwrap().name(), wanted[i]),
        }
    }
}

#[test]
fn cached_blobs_cost_no_request_and_a_damaged_entry_is_refetched() {
    let (_fixture, server, http, registry) = served(4);
    let wanted = names(4);
    let entries = entries(&registry, &wanted);
    let dir = tempfile::tempdir().unwrap();
    let cache = BlobCache::open(dir.path()).unwrap();

    for result in registry.fetch_many(&http, &entries, Some(&cache), 8) {
        result.unwrap();
    }
    let blob_hits =
        |server: &Server| -> u64 { entries.iter().map(|e| server.hits(&e.blob_path())).sum() };
    assert_eq!(blob_hits(&server), 4);
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses, stats.stored), (0, 4, 4));

    // A second handle, as another process would open it.
    let other = BlobCache::open(dir.path()).unwrap();
    for result in registry.fetch_many(&http, &entries, Some(&other), 8) {
        result.unwrap();
    }
    assert_eq!(blob_hits(&server), 4, "served from the cache");
    assert_eq!(other.stats().hits, 4);

    // Damage one entry: detected by digest, removed, fetched again.
    let damaged = dir.path().join(entries[2].blob_path());
    let mut bytes = std::fs::read(&damaged).unwrap();
    bytes[0] ^= 0xff;
    std::fs::write(&damaged, bytes).unwrap();
    let third = BlobCache::open(dir.path()).unwrap();
    let package = registry
        .fetch_package_cached(&http, entries[2], Some(&third))
        .unwrap();
    assert_eq!(package.name(), "p02");
    let stats = third.stats();
    assert_eq!(
        (stats.hits, stats.misses, stats.discarded, stats.stored),
        (0, 1, 1, 1)
    );
    assert_eq!(blob_hits(&server), 5);
    // And the entry is whole again.
    assert!(third.get(entries[2]).is_some());
}

#[test]
fn a_cut_off_blob_is_retried_not_reported_corrupt() {
    let (_fixture, server, http, registry) = served(1);
    let entry = registry.snapshot().latest("command", "p00").unwrap();
    server.fault(&entry.blob_path(), [Fault::Truncate(3)]);
    let package = registry.fetch_package(&http, entry).unwrap();
    assert_eq!(package.name(), "p00");
    assert_eq!(server.hits(&entry.blob_path()), 2);
}

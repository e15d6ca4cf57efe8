//! The package cache: an L1 hit, an L2 hit of a 100 KiB package, and a
//! revalidation answered 304 by the loopback server, each beside its floor
//! (criterion's `cache` bench measures the same, slower and more exactly).

#[path = "../../../../crates/registry/tests/common/server.rs"]
mod server;

use std::hint::black_box;
use std::time::Duration;

use jiff::Timestamp;
use stencil::registry::{
    DirSource, Freshness, HttpConfig, HttpSource, Limits, Registry, Revalidation,
};
use stencil_benches::cache_fixture::{anchor, entry, publish, warm_cache};
use stencil_benches::quick::{Figure, Row, median};

pub fn rows(budget: Duration, rows: &mut Vec<Row>) {
    for (label, len) in [("4 KiB", 4 * 1024), ("100 KiB", 100 * 1024)] {
        let registry_dir = tempfile::tempdir().expect("tempdir");
        let cache_dir = tempfile::tempdir().expect("tempdir");
        let registry = publish(registry_dir.path(), len);
        let source = DirSource::new(registry_dir.path());
        let entry = entry(&registry);
        let l1 = warm_cache(cache_dir.path(), &registry, &source, &entry, true);
        let package = registry.fetch_package(&source, &entry).expect("fetch");
        let t_shared = median(budget, || {
            black_box(
                registry
                    .fetch_package_shared(&source, black_box(&entry), Some(&l1))
                    .expect("hit"),
            );
        });
        let t_l1 = median(budget, || {
            black_box(
                registry
                    .fetch_package_cached(&source, black_box(&entry), Some(&l1))
                    .expect("hit"),
            );
        });
        let t_clone = median(budget, || {
            black_box(black_box(&package).clone());
        });
        rows.push(
            Row::new(
                format!("cache L1 hit, {label} package (fetch_package_shared)"),
                Figure::time(t_shared),
            )
            .against("Package::clone", Figure::time(t_clone))
            .target("≤ 1 µs", t_shared <= Duration::from_micros(1)),
        );
        rows.push(
            Row::new(
                format!("cache L1 hit, {label} package, owned copy (fetch_package_cached)"),
                Figure::time(t_l1),
            )
            .against("Package::clone (its floor)", Figure::time(t_clone)),
        );
        if len == 100 * 1024 {
            let l2_dir = tempfile::tempdir().expect("tempdir");
            let l2 = warm_cache(l2_dir.path(), &registry, &source, &entry, false);
            let t_l2 = median(budget, || {
                black_box(
                    registry
                        .fetch_package_cached(&source, black_box(&entry), Some(&l2))
                        .expect("hit"),
                );
            });
            let t_dir = median(budget, || {
                black_box(
                    registry
                        .fetch_package(&source, black_box(&entry))
                        .expect("fetch"),
                );
            });
            rows.push(
                Row::new(
                    format!("cache L2 hit, {label} package (read, sha256, unzstd, decode)"),
                    Figure::time(t_l2).note(format!("blob {} B", entry.size)),
                )
                .against(
                    "same fetch from a registry directory, no cache",
                    Figure::time(t_dir),
                )
                .target("≤ 1 ms", t_l2 <= Duration::from_millis(1)),
            );
        }
    }

    let registry_dir = tempfile::tempdir().expect("tempdir");
    publish(registry_dir.path(), 4 * 1024);
    let server = server::Server::serve(registry_dir.path());
    let http = HttpSource::new(&server.url, &HttpConfig::default()).expect("client");
    let now = Timestamp::now();
    let state = Registry::bootstrap("bench", &http, &anchor(), &Limits::DEFAULT, now)
        .expect("bootstrap")
        .state();
    let before = server.requests();
    let mut calls = 0u64;
    let t_304 = median(budget, || {
        let (_, how) = Registry::refresh(
            "bench",
            &http,
            &state,
            &Limits::DEFAULT,
            now,
            &Freshness::FORCE,
        )
        .expect("refresh");
        assert_eq!(how, Revalidation::NotModified);
        calls += 1;
    });
    // One request per revalidation, whatever the timing says.
    assert_eq!(server.requests() - before, calls);
    let t_200 = median(budget, || {
        black_box(Registry::update("bench", &http, &state, &Limits::DEFAULT, now).expect("update"));
    });
    rows.push(
        Row::new(
            "revalidate a snapshot over loopback HTTP, answered 304 (1 request)",
            Figure::time(t_304),
        )
        .against(
            "re-fetch and re-verify the snapshot (200)",
            Figure::time(t_200),
        ),
    );
}

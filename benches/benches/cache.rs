//! The package cache, each beside its floor in the same run:
//!
//! * `l1_hit_shared/{4k,100k}` — a package verified earlier by the same
//!   handle, handed out shared (goal ≤ 1 µs); `l1_hit/…` the owned copy,
//!   beside `Package::clone`, its floor.
//! * `l2_hit/100k` — a 100 KiB package from the disk tier: open, read,
//!   sha256, zstd decompression, decode (goal ≤ 1 ms), beside the same
//!   fetch from a registry directory without any cache.
//! * `revalidate` — one conditional request answered 304 by the loopback
//!   server, beside re-fetching and re-verifying the snapshot.

#[path = "../../crates/registry/tests/common/server.rs"]
mod server;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use stencil::registry::{
    DirSource, Freshness, HttpConfig, HttpSource, Limits, Registry, Revalidation,
};
use stencil_benches::cache_fixture::{anchor, entry, publish, warm_cache};

fn hits(c: &mut Criterion) {
    let mut group = c.benchmark_group("cache");
    for (label, len) in [("4k", 4 * 1024), ("100k", 100 * 1024)] {
        let registry_dir = tempfile::tempdir().expect("tempdir");
        let cache_dir = tempfile::tempdir().expect("tempdir");
        let registry = publish(registry_dir.path(), len);
        let source = DirSource::new(registry_dir.path());
        let entry = entry(&registry);
        let l1 = warm_cache(cache_dir.path(), &registry, &source, &entry, true);
        let package = registry.fetch_package(&source, &entry).expect("fetch");
        group.bench_function(format!("l1_hit/{label}"), |b| {
            b.iter(|| {
                black_box(
                    registry
                        .fetch_package_cached(&source, black_box(&entry), Some(&l1))
                        .expect("hit"),
                )
            })
        });
        group.bench_function(format!("l1_hit_shared/{label}"), |b| {
            b.iter(|| {
                black_box(
                    registry
                        .fetch_package_shared(&source, black_box(&entry), Some(&l1))
                        .expect("hit"),
                )
            })
        });
        group.bench_function(format!("package_clone/{label}"), |b| {
            b.iter(|| black_box(black_box(&package).clone()))
        });
        if len == 100 * 1024 {
            let l2_dir = tempfile::tempdir().expect("tempdir");
            let l2 = warm_cache(l2_dir.path(), &registry, &source, &entry, false);
            group.bench_function("l2_hit/100k", |b| {
                b.iter(|| {
                    black_box(
                        registry
                            .fetch_package_cached(&source, black_box(&entry), Some(&l2))
                            .expect("hit"),
                    )
                })
            });
            group.bench_function("uncached_dir_fetch/100k", |b| {
                b.iter(|| {
                    black_box(
                        registry
                            .fetch_package(&source, black_box(&entry))
                            .expect("fetch"),
                    )
                })
            });
        }
    }
    group.finish();
}

fn revalidate(c: &mut Criterion) {
    let registry_dir = tempfile::tempdir().expect("tempdir");
    publish(registry_dir.path(), 4 * 1024);
    let server = server::Server::serve(registry_dir.path());
    let http = HttpSource::new(&server.url, &HttpConfig::default()).expect("client");
    let now = Timestamp::now();
    let state = Registry::bootstrap("bench", &http, &anchor(), &Limits::DEFAULT, now)
        .expect("bootstrap")
        .state();
    let mut group = c.benchmark_group("cache");
    group.bench_function("revalidate_304", |b| {
        b.iter(|| {
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
        })
    });
    group.bench_function("refetch_snapshot_200", |b| {
        b.iter(|| {
            black_box(
                Registry::update("bench", &http, &state, &Limits::DEFAULT, now).expect("update"),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, hits, revalidate);
criterion_main!(benches);

//! Installing 32 packages of ~20 KiB from a loopback server that adds
//! 20 ms to every response: `fetch_many` with 8 threads against the
//! sequential baseline (1 thread), in the same run. Goal: ≥ 6×.

#[path = "../tests/common/server.rs"]
mod server;

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use stencil_registry::{
    HttpConfig, HttpSource, Limits, Package, PackageFile, Publisher, Registry, SecretKey,
    TrustAnchor,
};

const PACKAGES: usize = 32;
const LATENCY: Duration = Duration::from_millis(20);

fn fetch(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let key = SecretKey::from_seed([7; 32]);
    let public = key.public();
    let now = Timestamp::now();
    let mut publisher = Publisher::open_or_create(dir.path(), vec![key], now).unwrap();
    // ~20 KiB each after compression: pseudo-random bytes do not compress.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let packages: Vec<Package> = (0..PACKAGES)
        .map(|i| {
            let body: Vec<u8> = (0..20 * 1024)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    b'a' + (state % 26) as u8
                })
                .collect();
            Package::new("command", &format!("p{i:02}"))
                .unwrap()
                .file(PackageFile::new(&format!(".claude/commands/p{i:02}.md"), body).unwrap())
                .unwrap()
        })
        .collect();
    publisher.publish(&packages, now).unwrap();
    let server = server::Server::serve(dir.path());
    let http = HttpSource::new(&server.url, &HttpConfig::default()).unwrap();
    let anchor = TrustAnchor::Keys {
        keys: vec![public],
        threshold: 1,
    };
    let registry = Registry::bootstrap("bench", &http, &anchor, &Limits::DEFAULT, now).unwrap();
    let entries: Vec<_> = (0..PACKAGES)
        .map(|i| {
            registry
                .snapshot()
                .latest("command", &format!("p{i:02}"))
                .unwrap()
        })
        .collect();
    let delay_all = || {
        for entry in &entries {
            server.fault(&entry.blob_path(), [server::Fault::Delay(LATENCY)]);
        }
    };

    let mut group = c.benchmark_group("install_32x20KiB_20ms");
    group.sample_size(10);
    for (label, threads) in [("sequential", 1), ("parallel_8", 8)] {
        group.bench_function(label, |b| {
            b.iter(|| {
                delay_all();
                for result in registry.fetch_many(&http, &entries, None, threads) {
                    result.unwrap();
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, fetch);
criterion_main!(benches);

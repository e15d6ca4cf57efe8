//! The CLI-level install path (`stencil::packages::install_refs`: resolve,
//! parallel fetch, verify, map, one catalogue transaction) of 32 packages
//! of ~20 KiB from a loopback server adding 20 ms to every blob response:
//! 8 fetches at once against 1 (sequential), in the same run. Goal: ≥ 6×,
//! as for `fetch_many` alone (`crates/registry/benches/fetch.rs`).
//!
//! Each iteration installs into a fresh in-memory catalogue (created and
//! registry added in the unmeasured setup).

#[path = "../../crates/registry/tests/common/server.rs"]
mod server;

use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group};
use jiff::Timestamp;
use stencil::packages::{FetchOptions, PublishSelection, add_registry, install_refs, publish};
use stencil::registry::{SecretKey, TrustAnchor};
use stencil::store::{ArtifactKey, Catalog, NewArtifact};

const PACKAGES: usize = 32;
const LATENCY: Duration = Duration::from_millis(20);

fn install(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::from_seed([7; 32]);
    let now = Timestamp::now();
    let source = Catalog::open_in_memory().expect("catalogue");
    // ~20 KiB each after compression: pseudo-random letters compress little.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let keys: Vec<ArtifactKey> = (0..PACKAGES)
        .map(|i| ArtifactKey::new("command", format!("p{i:02}")).expect("key"))
        .collect();
    for k in &keys {
        let body: Vec<u8> = (0..24 * 1024)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                b'a' + (state % 26) as u8
            })
            .collect();
        source
            .put_artifact(
                &NewArtifact::new(k.clone())
                    .file(format!(".claude/commands/{}.md", k.name()), body),
            )
            .expect("put");
    }
    let registry = dir.path().join("registry");
    let selection = PublishSelection {
        artifacts: keys.clone(),
        ..PublishSelection::default()
    };
    let report = publish(
        &source,
        &registry,
        vec![SecretKey::from_seed([7; 32])],
        &selection,
        now,
    )
    .expect("publish");
    let blobs: Vec<String> = report.published.iter().map(|e| e.blob_path()).collect();
    let server = server::Server::serve(&registry);
    let anchor = TrustAnchor::Keys {
        keys: vec![key.public()],
        threshold: 1,
    };
    let refs: Vec<String> = keys.iter().map(|k| format!("bench/{k}")).collect();
    let setup = || {
        let catalog = Catalog::open_in_memory().expect("catalogue");
        add_registry(&catalog, "bench", &server.url, &anchor, now).expect("add");
        for blob in &blobs {
            server.fault(blob, [server::Fault::Delay(LATENCY)]);
        }
        catalog
    };
    let mut group = c.benchmark_group("install_refs_32x20KiB_20ms");
    group.sample_size(10);
    for (label, concurrency) in [("sequential", 1), ("parallel_8", 8)] {
        let options = FetchOptions {
            concurrency,
            ..FetchOptions::default()
        };
        group.bench_function(label, |b| {
            b.iter_batched(
                setup,
                |catalog| {
                    let summary = install_refs(&catalog, &refs, &options, now).expect("install");
                    assert_eq!(summary.packages.len(), PACKAGES);
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, install);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}

//! `stencil outdated` with 1,000 installed packages, against its floor in
//! the same run:
//!
//! * `outdated/1000` — `stencil::packages::outdated` on a catalogue file
//!   with 1,000 command packages installed from a `file://` registry, the
//!   snapshot inside its revalidation interval (a second run: no request);
//! * `floor/1000` — the two reads it cannot avoid: every installed
//!   artifact's source (one statement) and the stored snapshot, verified
//!   (`Registry::offline`).
//!
//! Goal: outdated ≤ 1.5× the floor (the comparison itself is free).

use criterion::{Criterion, criterion_group};
use stencil::packages::{FetchOptions, PROVENANCE_PREFIX, list_registries, outdated};
use stencil::registry::{Limits, Registry};
use stencil_benches::registry_data::installed;

fn outdated_bench(c: &mut Criterion) {
    let n = 1000;
    let setup = installed(n);
    let (catalog, now) = (&setup.catalog, setup.now);
    let options = FetchOptions::default();
    let report = outdated(catalog, &options, now).expect("outdated");
    assert_eq!(report.packages.len(), n);
    let mut group = c.benchmark_group("outdated");
    group.bench_function(format!("outdated/{n}"), |b| {
        b.iter(|| outdated(catalog, &options, now).expect("outdated"))
    });
    group.bench_function(format!("floor/{n}"), |b| {
        b.iter(|| {
            let sources = catalog
                .artifact_sources(PROVENANCE_PREFIX)
                .expect("sources");
            let record = list_registries(catalog).expect("records").remove(0);
            let view =
                Registry::offline("bench", &record.state, &Limits::DEFAULT, now).expect("snapshot");
            (sources.len(), view.0.snapshot().packages.len())
        })
    });
    group.finish();
}

criterion_group!(benches, outdated_bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}

//! The bulk-import bench shared by the SQLite and PostgreSQL catalogue
//! benches (`store`, `store_pg`): only how a fresh catalogue is opened
//! differs.

use criterion::{BatchSize, Criterion, Throughput};
use stencil::store::{Catalog, NewArtifact};
use stencil_benches::store_data;

/// Benches importing `batch` new artifacts in one call, into a fresh
/// catalogue per iteration from `open`, which also returns what must
/// outlive the catalogue (its directory or schema).
pub fn bench_import<G>(
    c: &mut Criterion,
    group: &str,
    name: &str,
    batch: usize,
    open: impl Fn() -> (Catalog, G),
) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.throughput(Throughput::Elements(batch as u64));
    g.bench_function(name, |b| {
        b.iter_batched(
            || {
                let (catalog, keep) = open();
                let items: Vec<NewArtifact> =
                    (0..batch).map(|i| store_data::artifact(i, batch)).collect();
                (catalog, items, keep)
            },
            |(catalog, items, keep)| {
                let report = catalog.import(items).expect("import");
                assert_eq!(report.created.len(), batch);
                (catalog, keep)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

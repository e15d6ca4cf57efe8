//! Importing a real-sized `.claude/` tree (issue 8: ~400 files / ~10 MB with
//! ~50 binaries must import in well under a second) with
//! `stencil::import::import_tree`.
//!
//! Cases, in the same run:
//! * `read_every_file_floor` — reading every file of the tree with a plain
//!   std recursion: the floor any import pays.
//! * `first_import_fresh_catalogue` — into a new catalogue file (opened
//!   outside the timing: the schema migration is not import work).
//! * `reimport_unchanged` — the same tree again: must write nothing.
//!
//! The tree is generated once in a temporary directory
//! (`stencil_benches::import_tree::generate`), never deleted and re-made
//! between samples (see the design notes on file creation after mass
//! deletes).
//!
//! A second group does the same for a marketplace the size of the largest
//! public one (issue 18: ~90 plugins, ~550 artifacts, ~1,200 files;
//! `stencil_benches::marketplace::generate`).
//!
//! Run: `cargo bench -p stencil-benches --bench import`
#![allow(missing_docs)]

use std::fs;
use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use stencil::import::{ImportOptions, TreeImportReport, import_tree};
use stencil::store::Catalog;
use stencil_benches::import_tree::{TreeSpec, generate};
use stencil_benches::marketplace::{self, MarketplaceSpec};

/// Reads every regular file under `dir` (symlinks not followed); returns
/// the bytes read.
fn read_all(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in fs::read_dir(dir).expect("read_dir") {
        let entry = entry.expect("entry");
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            total += read_all(&entry.path());
        } else if kind.is_file() {
            total += fs::read(entry.path()).expect("read").len() as u64;
        }
    }
    total
}

/// The three cases on `tree`, in one group: the read floor, a first import
/// into a fresh catalogue file, a re-import that must write nothing.
/// `check` asserts on each first import's report.
fn bench_tree(
    c: &mut Criterion,
    group_name: String,
    dir: &Path,
    tree: &Path,
    bytes: u64,
    check: impl Fn(&TreeImportReport),
) {
    let catalogues = dir.join("catalogues");
    fs::create_dir_all(&catalogues).expect("mkdir");
    let next = AtomicUsize::new(0);
    let options = ImportOptions::new();

    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));

    group.bench_function("read_every_file_floor", |b| {
        b.iter(|| assert_eq!(black_box(read_all(tree)), bytes))
    });
    group.bench_function("first_import_fresh_catalogue", |b| {
        b.iter_batched(
            || {
                let path = catalogues.join(format!("{}.db", next.fetch_add(1, Ordering::Relaxed)));
                Catalog::open(path).expect("catalogue")
            },
            |catalog| {
                check(&import_tree(&catalog, tree, &options).expect("imports"));
                // Returned so the catalogue is closed outside the timing.
                catalog
            },
            BatchSize::PerIteration,
        )
    });
    let catalog = Catalog::open(dir.join("reimport.db")).expect("catalogue");
    import_tree(&catalog, tree, &options).expect("first import");
    group.bench_function("reimport_unchanged", |b| {
        b.iter(|| {
            let report = import_tree(&catalog, tree, &options).expect("re-imports");
            assert!(report.wrote_nothing());
        })
    });
    group.finish();
}

fn import(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let tree = dir.path().join("tree");
    let stats = generate(&tree, TreeSpec::default()).expect("generate the tree");
    let name = format!(
        "import/tree_{}_files_{}_binaries_{:.1}_MiB",
        stats.files,
        stats.binaries,
        stats.bytes as f64 / (1024.0 * 1024.0)
    );
    bench_tree(c, name, dir.path(), &tree, stats.bytes, |report| {
        assert_eq!(report.files, stats.files)
    });
}

fn import_marketplace(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let tree = dir.path().join("marketplace");
    let stats = marketplace::generate(&tree, MarketplaceSpec::default()).expect("generate");
    let name = format!(
        "import/marketplace_{}_artifacts_{}_files_{:.1}_MiB",
        stats.artifacts,
        stats.files.files,
        stats.files.bytes as f64 / (1024.0 * 1024.0)
    );
    bench_tree(c, name, dir.path(), &tree, stats.files.bytes, |report| {
        assert_eq!(report.created.len(), stats.artifacts)
    });
}

criterion_group!(benches, import, import_marketplace);
criterion_main!(benches);

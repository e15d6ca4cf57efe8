//! stencil-deploy against its baselines, in the same run: 10, 1,000 and
//! 10,000 files of 1 KiB spread over about one directory per 20 files.
//!
//! * `naive` — write each file straight to its final path: no staging, no
//!   rollback, no safety. The floor.
//! * `tempcopy` — the original's approach: write everything into a fresh
//!   directory under the system temp dir, then copy each file into place.
//!   (Its final removal of the temp dir is left out: a mass delete on this
//!   machine's file system slows every later create, see below.)
//! * `deploy_none` / `deploy_batch` — `stencil::deploy::deploy` with
//!   durability `None` / `Batch`.
//!
//! Every iteration deploys into a fresh, empty root; nothing is deleted
//! until the whole run ends, because creating files here is ~30× slower for
//! minutes after a mass delete. For the same reason the file system drifts
//! during a run, so variants are measured in interleaved rounds (the second
//! round in reverse order; at 10,000 files only the naive/deploy_none pair
//! is repeated); compare medians across variants of one round and across
//! rounds, and read ratios rather than absolute times.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use stencil::deploy::{DeployOptions, DeployPlan, Durability, OverwritePolicy, deploy};
use stencil_benches::deploy_data::{corpus, naive, plan};

/// Where every tree of the run goes; removed when the run ends.
fn base() -> &'static Path {
    static BASE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    BASE.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("stencil-bench-deploy-")
            .tempdir()
            .expect("create the benchmark directory")
    })
    .path()
}

/// A new, not yet existing, root for one iteration.
fn fresh_root(kind: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    base().join(format!("{kind}-{}", N.fetch_add(1, Ordering::Relaxed)))
}

fn tempcopy_here(root: &Path, files: &[(String, Vec<u8>)]) {
    stencil_benches::deploy_data::tempcopy(&fresh_root("tmp"), root, files)
}

fn run_deploy(plan: &DeployPlan, durability: Durability) {
    let workers = std::env::var("STENCIL_BENCH_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(0);
    let options = DeployOptions::new()
        .overwrite(OverwritePolicy::Fail)
        .durability(durability)
        .workers(workers);
    let report = deploy(plan, &options).expect("deploy");
    assert_eq!(report.written.len(), plan.len());
}

fn variant(c: &mut Criterion, n: usize, round: &str, order: &[&str]) {
    let files = corpus(n);
    let mut group = c.benchmark_group(format!("deploy/{n}{round}"));
    group.throughput(Throughput::Elements(n as u64));
    match n {
        0..=99 => group.sample_size(50),
        100..=1999 => group
            .sample_size(10)
            .measurement_time(Duration::from_secs(2)),
        _ => group
            .sample_size(10)
            .measurement_time(Duration::from_secs(1))
            .sampling_mode(criterion::SamplingMode::Flat),
    };
    for &name in order {
        match name {
            "naive" => group.bench_function("naive", |b| {
                b.iter_batched(
                    || fresh_root("naive"),
                    |root| naive(&root, &files),
                    BatchSize::PerIteration,
                )
            }),
            "tempcopy" => group.bench_function("tempcopy", |b| {
                b.iter_batched(
                    || fresh_root("tempcopy"),
                    |root| tempcopy_here(&root, &files),
                    BatchSize::PerIteration,
                )
            }),
            "deploy_none" => group.bench_function("deploy_none", |b| {
                b.iter_batched(
                    || plan(&fresh_root("none"), &files),
                    |plan| run_deploy(&plan, Durability::None),
                    BatchSize::PerIteration,
                )
            }),
            _ => group.bench_function("deploy_batch", |b| {
                b.iter_batched(
                    || plan(&fresh_root("batch"), &files),
                    |plan| run_deploy(&plan, Durability::Batch),
                    BatchSize::PerIteration,
                )
            }),
        };
    }
    group.finish();
}

const ORDER: [&str; 4] = ["naive", "tempcopy", "deploy_none", "deploy_batch"];
const REVERSED: [&str; 4] = ["deploy_batch", "deploy_none", "tempcopy", "naive"];

fn small(c: &mut Criterion) {
    variant(c, 10, "", &ORDER);
}

fn medium(c: &mut Criterion) {
    variant(c, 1_000, "/round1", &ORDER);
    variant(c, 1_000, "/round2", &REVERSED);
}

fn large(c: &mut Criterion) {
    variant(c, 10_000, "/round1", &ORDER);
    // Each 10,000-file iteration leaves ~10,500 inodes that must all be
    // deleted at the end, slowly; the second round repeats only the pair
    // the throughput target compares.
    variant(c, 10_000, "/round2", &["deploy_none", "naive"]);
}

criterion_group!(benches, small, medium, large);

// `criterion_main!` plus the removal of every tree, once nothing is
// measured any more. A full run leaves about a million inodes, and deleting
// them takes many minutes here (online discard); with
// `STENCIL_BENCH_KEEP=1` they are left for the caller to remove later.
fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if std::env::var_os("STENCIL_BENCH_KEEP").is_some() {
        eprintln!("trees kept in {}", base().display());
        std::process::exit(0);
    }
    let _ = std::fs::remove_dir_all(base());
}

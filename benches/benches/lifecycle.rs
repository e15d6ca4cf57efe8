//! The lifecycle against its baselines, in the same run:
//!
//! * `status/10000` — `stencil::lifecycle::status` of a 10,000-file
//!   project (every file read and hashed, its record parsed), against
//!   `sha256_floor/10000`: reading and hashing the same files and nothing
//!   else. Goal: status ≤ 1.5× the floor.
//! * `update/1000` — `stencil::lifecycle::update` of a 1,000-file project
//!   where 100 files changed upstream and 10 were edited by the user (in
//!   other lines, so they merge), against `overwrite/1000`: redeploying the
//!   new revision with `--overwrite` into the same project (what a user had
//!   before `update`, losing the 10 edits).
//!
//! Each `update`/`overwrite` iteration runs on a fresh copy of the
//! prepared project (the copy is not measured). Nothing is deleted until
//! the run ends (mass deletes slow later creates on this file system).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group};
use sha2::{Digest, Sha256};
use stencil::deploy::{DeployOptions, OverwritePolicy};
use stencil::lifecycle::{UpdateOptions, status, update};
use stencil::store::{ArtifactKey, Catalog, NewArtifact, TemplateSpec};
use stencil::{TemplateDeployOptions, deploy_template};

fn base() -> &'static Path {
    static BASE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    BASE.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("stencil-bench-lifecycle-")
            .tempdir()
            .expect("create the benchmark directory")
    })
    .path()
}

fn fresh(kind: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    base().join(format!("{kind}-{}", N.fetch_add(1, Ordering::Relaxed)))
}

/// About 1 KiB of text per file, 20 files per directory.
fn content(i: usize, tail: &str) -> String {
    let mut s = format!("# file {i} of {{{{PROJECT_NAME}}}}\n");
    for line in 0..24 {
        s.push_str(&format!("line {line} of file {i}: some text here\n"));
    }
    s.push_str(tail);
    s
}

fn put(catalog: &Catalog, n: usize, changed_every: Option<usize>) {
    let mut a = NewArtifact::new(ArtifactKey::parse("skill:bench").unwrap());
    for i in 0..n {
        let changed = changed_every.is_some_and(|k| i % k == 0);
        a = a.file(
            format!("d{}/f{i}.md", i / 20),
            content(i, if changed { "tail v2\n" } else { "tail v1\n" }),
        );
    }
    catalog.put_artifact(&a).expect("put");
}

fn project(n: usize) -> (Catalog, PathBuf) {
    let catalog = Catalog::open_in_memory().expect("catalogue");
    put(&catalog, n, None);
    catalog
        .create_template(
            &TemplateSpec::new("t").entity(ArtifactKey::parse("skill:bench").unwrap(), true),
        )
        .expect("template");
    let root = fresh("project");
    deploy_template(
        &catalog,
        "t",
        &root,
        [("PROJECT_NAME", "bench")],
        &TemplateDeployOptions::new(),
    )
    .expect("deploy");
    (catalog, root)
}

fn files_of(root: &Path, n: usize) -> Vec<PathBuf> {
    (0..n)
        .map(|i| root.join(format!("d{}/f{i}.md", i / 20)))
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

fn status_bench(c: &mut Criterion) {
    let n = 10_000;
    let (_catalog, root) = project(n);
    let files = files_of(&root, n);
    let mut group = c.benchmark_group("lifecycle");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    for round in ["/round1", "/round2"] {
        group.bench_function(format!("sha256_floor/{n}{round}"), |b| {
            b.iter(|| {
                let mut x = 0u8;
                for f in &files {
                    let bytes = std::fs::read(f).expect("read");
                    x ^= Sha256::digest(&bytes)[0];
                }
                x
            })
        });
        group.bench_function(format!("status/{n}{round}"), |b| {
            b.iter(|| status(&root, None).expect("status"))
        });
    }
    group.finish();
}

fn update_bench(c: &mut Criterion) {
    let n = 1_000;
    let (catalog, prepared) = project(n);
    // 10 user edits at the head of files, 100 upstream changes at the tail:
    // files 0, 100, …, 900 are changed on both sides and merge.
    for i in (0..n).step_by(100) {
        let p = prepared.join(format!("d{}/f{i}.md", i / 20));
        let text = std::fs::read_to_string(&p).expect("read");
        std::fs::write(&p, text.replacen("# file", "# my file", 1)).expect("write");
    }
    put(&catalog, n, Some(10));
    let mut group = c.benchmark_group("lifecycle");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    let copy = || {
        let root = fresh("copy");
        copy_tree(&prepared, &root);
        root
    };
    for round in ["/round1", "/round2"] {
        group.bench_function(format!("update/{n}{round}"), |b| {
            b.iter_batched(
                copy,
                |root| {
                    let r = update(&catalog, &root, &UpdateOptions::new()).expect("update");
                    assert_eq!(r.conflicts, 0);
                    r
                },
                BatchSize::PerIteration,
            )
        });
        group.bench_function(format!("overwrite/{n}{round}"), |b| {
            let options = TemplateDeployOptions::new()
                .deploy_options(DeployOptions::new().overwrite(OverwritePolicy::Overwrite));
            b.iter_batched(
                copy,
                |root| {
                    deploy_template(&catalog, "t", &root, [("PROJECT_NAME", "bench")], &options)
                        .expect("redeploy")
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, status_bench, update_bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let _ = std::fs::remove_dir_all(base());
}

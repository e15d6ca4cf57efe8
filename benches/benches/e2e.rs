//! End to end: `deploy_template` of the original system's acceptance case
//! (10 entities; `{{PROJECT_NAME}}`×3, `{{AUTHOR}}`×2, `{{DATE}}`×2 per file)
//! from an on-disk catalogue into an empty directory. The original's target
//! was < 5 s p95; ours is p50 ≤ 3 ms.
//!
//! Baselines in the same run: rendering in memory only (`render_template`),
//! and writing the already-rendered files straight to their paths with
//! `create_dir_all` + `write` (no safety: the floor for the disk part).
//!
//! Run: `cargo bench -p stencil-benches --bench e2e`
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use stencil::deploy::{DeployOptions, Durability};
use stencil::{TemplateDeployOptions, deploy_template, render_template};
use stencil_benches::deploy_data::naive;
use stencil_benches::e2e_corpus::{TEMPLATE, VARS, acceptance_catalog, rendered};

fn e2e(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = acceptance_catalog(&dir.path().join("catalog.db")).expect("catalogue");
    let options = TemplateDeployOptions::new();
    let projects = dir.path().join("projects");
    let next = AtomicUsize::new(0);
    let fresh = || projects.join(next.fetch_add(1, Ordering::Relaxed).to_string());

    let mut group = c.benchmark_group("e2e/acceptance_10_entities");
    group.bench_function("render_template_in_memory", |b| {
        b.iter(|| black_box(render_template(&catalog, TEMPLATE, VARS, &options).expect("renders")))
    });
    let rendered = rendered(&catalog);
    group.bench_function("direct_write_floor", |b| {
        b.iter_batched(
            fresh,
            |root| naive(&root, &rendered),
            BatchSize::PerIteration,
        )
    });
    for (name, durability) in [("none", Durability::None), ("batch", Durability::Batch)] {
        let options = TemplateDeployOptions::new()
            .deploy_options(DeployOptions::new().durability(durability));
        group.bench_function(format!("stencil_deploy_template_durability_{name}"), |b| {
            b.iter_batched(
                fresh,
                |root| {
                    let report = deploy_template(&catalog, TEMPLATE, &root, VARS, &options)
                        .expect("deploys");
                    assert_eq!(report.deploy.written.len(), 10);
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, e2e);
criterion_main!(benches);

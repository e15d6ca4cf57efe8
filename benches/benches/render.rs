//! Render benchmarks: stencil's renderer beside `memcpy` (the physical
//! limit), the original's regex-per-variable loop and a plain
//! `AhoCorasick::replace_all`, on the corpora of `stencil_benches::render_corpus`.
//!
//! Run: `cargo bench -p stencil-benches --bench render`
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stencil::render::{RenderOptions, Renderer, VariableSpec};
use stencil_benches::render_corpus::{AcReplaceAll, RegexLoop, VARIABLES, code, markdown};

fn renderer() -> Renderer {
    let vars = VariableSpec::open()
        .validate(VARIABLES)
        .expect("corpus variables are valid");
    Renderer::new(&vars, RenderOptions::default()).expect("renderer builds")
}

fn corpora() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("markdown_64k_200ph", markdown(64 * 1024, 200)),
        ("markdown_1m_20ph", markdown(1024 * 1024, 20)),
        ("code_64k", code(64 * 1024)),
    ]
}

fn throughput(c: &mut Criterion) {
    let stencil = renderer();
    let regex = RegexLoop::new(&VARIABLES);
    let ac = AcReplaceAll::new(&VARIABLES);
    for (name, input) in corpora() {
        let mut group = c.benchmark_group(format!("render/{name}"));
        group.throughput(Throughput::Bytes(input.len() as u64));
        let mut buf = Vec::with_capacity(input.len() * 2);
        group.bench_function("memcpy", |b| {
            b.iter(|| {
                buf.clear();
                buf.extend_from_slice(black_box(&input));
                black_box(&buf);
            })
        });
        group.bench_function("stencil_render_into", |b| {
            b.iter(|| {
                buf.clear();
                stencil
                    .render_into("corpus", black_box(&input), &mut buf)
                    .expect("corpus renders");
                black_box(&buf);
            })
        });
        group.bench_function("stencil_render_into_fresh_vec", |b| {
            b.iter(|| {
                let mut v = Vec::new();
                stencil
                    .render_into("corpus", black_box(&input), &mut v)
                    .expect("corpus renders");
                black_box(v);
            })
        });
        group.bench_function("stencil_render_cow", |b| {
            b.iter(|| {
                black_box(
                    stencil
                        .render("corpus", black_box(&input))
                        .expect("renders"),
                )
            })
        });
        group.bench_function("aho_corasick_replace_all", |b| {
            b.iter(|| {
                buf.clear();
                ac.render_into(black_box(&input), &mut buf);
                black_box(&buf);
            })
        });
        group.bench_function("original_regex_loop", |b| {
            b.iter(|| black_box(regex.render(black_box(&input))))
        });
        group.finish();
    }
}

fn one_shot(c: &mut Criterion) {
    let input = markdown(64 * 1024, 200);
    let mut group = c.benchmark_group("render/one_shot_64k");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("stencil_build_and_render", |b| {
        b.iter(|| {
            let r = renderer();
            black_box(
                r.render("corpus", black_box(&input))
                    .expect("renders")
                    .len(),
            )
        })
    });
    group.bench_function("stencil_build_only", |b| b.iter(|| black_box(renderer())));
    group.bench_function("original_regex_loop_compile_and_render", |b| {
        b.iter(|| black_box(RegexLoop::new(&VARIABLES).render(black_box(&input))))
    });
    group.finish();
}

fn growth(c: &mut Criterion) {
    let stencil = renderer();
    let mut group = c.benchmark_group("render/growth");
    let mut buf = Vec::new();
    for kib in [4usize, 64, 1024, 16 * 1024] {
        let input = markdown(kib * 1024, kib * 3);
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(format!("stencil_{kib}KiB"), |b| {
            b.iter(|| {
                buf.clear();
                stencil
                    .render_into("corpus", black_box(&input), &mut buf)
                    .expect("renders");
                black_box(&buf);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, throughput, one_shot, growth);
criterion_main!(benches);

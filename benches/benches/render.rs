//! Render benchmarks: stencil's renderer beside `memcpy` (the physical
//! limit), the original's regex-per-variable loop, a plain
//! `AhoCorasick::replace_all` (the alternative design), and the peers a user
//! might pick instead (minijinja, upon; precompiled and one-shot).
//!
//! Run: `cargo bench -p stencil-benches --bench render`
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stencil::render::{RenderOptions, Renderer, VariableSpec};
use stencil_benches::name_lookup::{
    Anchored, ByLength, Hashed, Sorted, lookup_all, lookup_all_anchored, openings,
};
use stencil_benches::peers::{Compiled, Peer};
use stencil_benches::render_corpus::{
    AcReplaceAll, RegexLoop, VARIABLES, claude_tree, code, many_variables, markdown, markdown_over,
};

fn renderer() -> Renderer {
    let vars = VariableSpec::open()
        .validate(VARIABLES)
        .expect("corpus variables are valid");
    Renderer::new(&vars, RenderOptions::default()).expect("renderer builds")
}

type Corpus = (&'static str, Vec<(String, Vec<u8>)>);

fn corpora() -> Vec<Corpus> {
    let one = |name: &str, bytes| vec![(name.to_string(), bytes)];
    vec![
        ("markdown_64k_200ph", one("a.md", markdown(64 * 1024, 200))),
        ("markdown_1m_20ph", one("b.md", markdown(1024 * 1024, 20))),
        ("code_64k", one("c.rs", code(64 * 1024))),
        ("claude_tree", claude_tree()),
    ]
}

fn throughput(c: &mut Criterion) {
    let stencil = renderer();
    let regex = RegexLoop::new(&VARIABLES);
    let ac = AcReplaceAll::new(&VARIABLES);
    let vars: BTreeMap<&str, &str> = VARIABLES.into_iter().collect();
    for (name, files) in corpora() {
        let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
        let mut group = c.benchmark_group(format!("render/{name}"));
        group.throughput(Throughput::Bytes(bytes as u64));
        let mut buf = Vec::with_capacity(bytes * 2);
        group.bench_function("memcpy", |b| {
            b.iter(|| {
                buf.clear();
                for (_, input) in &files {
                    buf.extend_from_slice(black_box(input));
                }
                black_box(&buf);
            })
        });
        group.bench_function("stencil_render_into", |b| {
            b.iter(|| {
                buf.clear();
                for (path, input) in &files {
                    stencil
                        .render_into(path, black_box(input), &mut buf)
                        .expect("corpus renders");
                }
                black_box(&buf);
            })
        });
        group.bench_function("stencil_render_into_fresh_vec", |b| {
            b.iter(|| {
                let mut v = Vec::new();
                for (path, input) in &files {
                    stencil
                        .render_into(path, black_box(input), &mut v)
                        .expect("corpus renders");
                }
                black_box(v);
            })
        });
        group.bench_function("stencil_render_cow", |b| {
            b.iter(|| {
                for (path, input) in &files {
                    black_box(stencil.render(path, black_box(input)).expect("renders"));
                }
            })
        });
        group.bench_function("aho_corasick_replace_all", |b| {
            b.iter(|| {
                buf.clear();
                for (_, input) in &files {
                    ac.render_into(black_box(input), &mut buf);
                }
                black_box(&buf);
            })
        });
        group.bench_function("original_regex_loop", |b| {
            b.iter(|| {
                for (_, input) in &files {
                    black_box(regex.render(black_box(input)));
                }
            })
        });
        for peer in Peer::ALL {
            let sources: Vec<&str> = files
                .iter()
                .map(|(_, b)| std::str::from_utf8(b).expect("corpora are UTF-8"))
                .collect();
            let verdict = files
                .iter()
                .zip(&sources)
                .try_for_each(|((path, input), src)| {
                    let want = stencil.render(path, input).expect("renders");
                    peer.check(src, &vars, &want)
                });
            if let Err(reason) = verdict {
                eprintln!(
                    "render/{name}/{}: cannot render this corpus: {reason}",
                    peer.name()
                );
                continue;
            }
            let compiled: Vec<Compiled<'_>> = sources
                .iter()
                .map(|s| Compiled::new(peer, s).expect("checked above"))
                .collect();
            group.bench_function(format!("{}_precompiled", peer.name()), |b| {
                b.iter(|| {
                    for t in &compiled {
                        black_box(t.render(&vars).expect("checked above"));
                    }
                })
            });
            group.bench_function(format!("{}_one_shot", peer.name()), |b| {
                b.iter(|| {
                    for s in &sources {
                        black_box(peer.render_once(s, &vars).expect("checked above"));
                    }
                })
            });
        }
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

/// The variable-count axis: sizes of the variable set, and the text every
/// size renders (64 KiB, 2,260 placeholders: the case).
const VARIABLE_COUNTS: [usize; 4] = [10, 100, 1_000, 10_000];
const AXIS_SIZE: usize = 64 * 1024;
const AXIS_PLACEHOLDERS: usize = 2_260;

fn renderer_over(vars: &[(String, String)]) -> Renderer {
    let vars = VariableSpec::open()
        .validate(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .expect("generated names are valid");
    Renderer::new(&vars, RenderOptions::default()).expect("renderer builds")
}

/// The lookup candidates alone (`name_lookup`), over the `{{` positions of
/// the axis text, and what each costs to build.
fn lookup(c: &mut Criterion) {
    for n in VARIABLE_COUNTS {
        let vars = many_variables(n);
        let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
        let input = markdown_over(&vars, AXIS_SIZE, AXIS_PLACEHOLDERS);
        let at = openings(&input);
        let by_len = ByLength::new(&names);
        let sip = Hashed::<std::hash::RandomState>::new(&names);
        let fold = Hashed::<foldhash::fast::RandomState>::new(&names);
        let sorted = Sorted::new(&names);
        let dfa = Anchored::new(&names);
        let mut group = c.benchmark_group(format!("render/lookup/{n}"));
        group.throughput(Throughput::Elements(at.len() as u64));
        group.bench_function("by_length", |b| {
            b.iter(|| lookup_all(&by_len, black_box(&input), &at))
        });
        group.bench_function("hash_sip", |b| {
            b.iter(|| lookup_all(&sip, black_box(&input), &at))
        });
        group.bench_function("hash_foldhash", |b| {
            b.iter(|| lookup_all(&fold, black_box(&input), &at))
        });
        group.bench_function("sorted_binary_search", |b| {
            b.iter(|| lookup_all(&sorted, black_box(&input), &at))
        });
        group.bench_function("anchored_dfa", |b| {
            b.iter(|| lookup_all_anchored(&dfa, black_box(&input), &at))
        });
        group.finish();
        let mut group = c.benchmark_group(format!("render/lookup_build/{n}"));
        group.bench_function("by_length", |b| b.iter(|| ByLength::new(black_box(&names))));
        group.bench_function("hash_foldhash", |b| {
            b.iter(|| Hashed::<foldhash::fast::RandomState>::new(black_box(&names)))
        });
        group.bench_function("sorted_binary_search", |b| {
            b.iter(|| Sorted::new(black_box(&names)))
        });
        if n <= 1_000 {
            // 10,000 names take seconds per DFA: measured once by hand.
            group.bench_function("anchored_dfa", |b| {
                b.iter(|| Anchored::new(black_box(&names)))
            });
        }
        group.finish();
    }
}

/// The renderer at 10 to 10,000 variables on the same-shaped text, beside
/// memcpy, and what building it costs.
fn variables(c: &mut Criterion) {
    for n in VARIABLE_COUNTS {
        let vars = many_variables(n);
        let input = markdown_over(&vars, AXIS_SIZE, AXIS_PLACEHOLDERS);
        let stencil = renderer_over(&vars);
        let mut buf = Vec::with_capacity(input.len() * 2);
        let mut group = c.benchmark_group(format!("render/variables/{n}"));
        group.throughput(Throughput::Bytes(input.len() as u64));
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
                    .render_into("axis", black_box(&input), &mut buf)
                    .expect("renders");
                black_box(&buf);
            })
        });
        group.bench_function("stencil_build", |b| {
            b.iter(|| renderer_over(black_box(&vars)))
        });
        group.finish();
    }
}

criterion_group!(benches, throughput, one_shot, growth, lookup, variables);
criterion_main!(benches);

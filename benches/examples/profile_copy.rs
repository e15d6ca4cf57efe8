//! Renders corpus (b), 1 MiB of Markdown with 20 placeholders, or copies it
//! with memcpy, 50 times; for counting instructions and simulated cache
//! misses with callgrind, which are reproducible on a loaded machine where
//! timings are not:
//!
//! ```sh
//! cargo build --profile bench -p stencil-benches --example profile_copy
//! valgrind --tool=callgrind --cache-sim=yes target/release/examples/profile_copy render_into
//! ```
//!
//! Modes: `memcpy` (the limit), `render_into` (into a reused buffer),
//! `render` (a fresh buffer per call, as `render` returns it), `code`
//! (`render_into` of corpus (c), 64 KiB of brace-heavy code, 16 times per
//! pass, so as many bytes as the other modes); `a` (the same for corpus (a),
//! 64 KiB of Markdown with 200 placeholders); and `align`,
//! which instead times (wall clock, interleaved, medians) memcpy and
//! `render_into` with the input at a few offsets from a page boundary, to
//! see the 4 KiB-aliasing effect of page-aligned buffers.
#![allow(missing_docs)]

use std::hint::black_box;

use stencil::render::{RenderOptions, Renderer, VariableSpec};
use stencil_benches::render_corpus::{VARIABLES, code, markdown};

const PASSES: usize = 50;

fn main() {
    let mode = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "render_into".into());
    let vars = VariableSpec::open().validate(VARIABLES).expect("valid");
    let renderer = Renderer::new(&vars, RenderOptions::default()).expect("builds");
    let input = markdown(1024 * 1024, 20);
    let code = code(64 * 1024);
    let md_a = markdown(64 * 1024, 200);
    let mut out = Vec::with_capacity(input.len() * 2);
    if mode == "align" {
        align(&renderer, &input);
        return;
    }
    let mut bytes = 0;
    for _ in 0..PASSES {
        match mode.as_str() {
            "memcpy" => {
                out.clear();
                out.extend_from_slice(black_box(&input));
                bytes += out.len();
            }
            "render_into" => {
                out.clear();
                renderer
                    .render_into("b.md", black_box(&input), &mut out)
                    .expect("renders");
                bytes += out.len();
            }
            "code" => {
                // Corpus (c), 64 KiB of brace-heavy code, 16 times per pass:
                // the case where a `{` rarely starts a placeholder.
                for _ in 0..16 {
                    out.clear();
                    renderer
                        .render_into("c.rs", black_box(&code), &mut out)
                        .expect("renders");
                    bytes += out.len();
                }
            }
            "a" => {
                // Corpus (a), 64 KiB of Markdown with 200 placeholders, 16
                // times per pass, as `code`.
                for _ in 0..16 {
                    out.clear();
                    renderer
                        .render_into("a.md", black_box(&md_a), &mut out)
                        .expect("renders");
                    bytes += out.len();
                }
            }
            "render" => {
                bytes += renderer
                    .render("b.md", black_box(&input))
                    .expect("renders")
                    .len()
            }
            other => panic!("unknown mode {other}"),
        }
        black_box(&out);
    }
    eprintln!("{mode}: {bytes} bytes out");
}

/// Medians of 201 interleaved rounds: memcpy and `render_into`, input at
/// page offset 0 (as a fresh 1 MiB allocation has) and shifted.
fn align(renderer: &Renderer, input: &[u8]) {
    use std::time::{Duration, Instant};
    let mut backing = vec![0u8; input.len() + 8192];
    let base = backing.as_ptr() as usize % 4096;
    let mut out = Vec::with_capacity(input.len() * 2);
    let out_offset = out.as_ptr() as usize % 4096;
    for shift in [0usize, 64, 1024, 2048] {
        // Start the input `shift` bytes past the output's page offset.
        let start = (out_offset + shift + 4096 - base) % 4096;
        backing[start..start + input.len()].copy_from_slice(input);
        let src = &backing[start..start + input.len()];
        let (mut copy, mut render) = (Vec::new(), Vec::new());
        let (mut copy_fresh, mut render_fresh) = (Vec::new(), Vec::new());
        for _ in 0..201 {
            let t = Instant::now();
            out.clear();
            out.extend_from_slice(black_box(src));
            black_box(&out);
            copy.push(t.elapsed());
            let t = Instant::now();
            out.clear();
            renderer
                .render_into("b.md", black_box(src), &mut out)
                .expect("renders");
            black_box(&out);
            render.push(t.elapsed());
            // The same work into a fresh allocation each time: what
            // `render` (which returns an owned `Vec`) does.
            let t = Instant::now();
            black_box(black_box(src).to_vec());
            copy_fresh.push(t.elapsed());
            let t = Instant::now();
            black_box(renderer.render("b.md", black_box(src)).expect("renders"));
            render_fresh.push(t.elapsed());
        }
        let med = |v: &mut Vec<Duration>| {
            v.sort();
            v[v.len() / 2]
        };
        let (c, r) = (med(&mut copy), med(&mut render));
        let (cf, rf) = (med(&mut copy_fresh), med(&mut render_fresh));
        println!(
            "input {shift:>4} B past the output's page offset: warm buffer: memcpy {c:?}, \
             render_into {r:?}, ratio {:.2}; fresh Vec: to_vec {cf:?}, render {rf:?}, ratio {:.2}",
            c.as_secs_f64() / r.as_secs_f64(),
            cf.as_secs_f64() / rf.as_secs_f64()
        );
    }
}

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
//! `render` (a fresh buffer per call, as `render` returns it).
#![allow(missing_docs)]

use std::hint::black_box;

use stencil::render::{RenderOptions, Renderer, VariableSpec};
use stencil_benches::render_corpus::{VARIABLES, markdown};

const PASSES: usize = 50;

fn main() {
    let mode = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "render_into".into());
    let vars = VariableSpec::open().validate(VARIABLES).expect("valid");
    let renderer = Renderer::new(&vars, RenderOptions::default()).expect("builds");
    let input = markdown(1024 * 1024, 20);
    let mut out = Vec::with_capacity(input.len() * 2);
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

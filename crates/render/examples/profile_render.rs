//! Renders a 64 KiB Markdown file with 200 placeholders many times; run it
//! under `valgrind --tool=callgrind` to see where instructions go.
//!
//! Run: `cargo build --release -p stencil-render --example profile_render`

use std::hint::black_box;

use stencil_render::{RenderOptions, Renderer, VariableSpec};

fn main() -> Result<(), stencil_render::RenderError> {
    let names = [
        "PROJECT_NAME",
        "AUTHOR",
        "DATE",
        "PROJECT_DESCRIPTION",
        "ARCHITECTURE_DESCRIPTION",
        "LICENSE",
        "REPO_URL",
        "VERSION",
        "TEAM",
        "EMAIL",
    ];
    let vars = VariableSpec::open().validate(names.iter().map(|n| (*n, "some value here")))?;
    let renderer = Renderer::new(&vars, RenderOptions::default())?;
    let mut input = Vec::new();
    let mut i = 0;
    while input.len() < 64 * 1024 {
        input.extend_from_slice(b"The quick brown fox jumps over the lazy dog while the build runs. Every artifact is rendered once and placed atomically. See the docs folder for more. ");
        input.extend_from_slice(format!("{{{{{}}}}} ", names[i % names.len()]).as_bytes());
        i += 1;
    }
    let mut out = Vec::with_capacity(input.len() * 2);
    for _ in 0..200 {
        out.clear();
        renderer.render_into("a.md", black_box(&input), &mut out)?;
        black_box(&out);
    }
    eprintln!("{} placeholders per pass", i);
    Ok(())
}

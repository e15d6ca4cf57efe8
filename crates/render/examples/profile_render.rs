//! Renders a 64 KiB Markdown file with about 400 placeholders many times;
//! run it under `valgrind --tool=callgrind` to see where instructions go.
//!
//! Run: `cargo build --release -p stencil-render --example profile_render`,
//! then `valgrind --tool=callgrind target/release/examples/profile_render [N]`.
//! With `N`, the variable set has `N` names (ten of them used by the text,
//! the rest padding of mixed lengths), to count what a lookup costs in a
//! large set.

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
    let total: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(names.len());
    let padding =
        (names.len()..total).map(|i| (format!("PAD_{}_{i}", "X".repeat(i % 17)), "v".to_string()));
    let vars = VariableSpec::open().validate(
        names
            .iter()
            .map(|n| (n.to_string(), "some value here".to_string()))
            .chain(padding),
    )?;
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
    eprintln!("{i} placeholders per pass, {} variables", vars.len());
    Ok(())
}

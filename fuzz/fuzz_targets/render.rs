//! The renderer never panics and always agrees with the reference model.
//!
//! Input layout: byte 0 holds the options (bit 0 lenient, bit 1 render
//! binary), byte 1 selects which of eight names have a value, the rest is the
//! text to render.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use stencil_render::{BinaryPolicy, RenderError, RenderOptions, Renderer, VariableSpec};

#[path = "../../crates/render/tests/support/model.rs"]
mod reference;

const NAMES: [&str; 8] = ["A", "AB", "NAME", "_x1", "X", "a", "NS", "Z9"];
const VALUES: [&str; 8] = ["{{A}}", r"\1$1", "", "é\r\n", "{{\\A}}", "}}{{", "v", "{{X}}"];

fuzz_target!(|data: &[u8]| {
    let [flags, mask, input @ ..] = data else {
        return;
    };
    let lenient = flags & 1 == 1;
    let skip_binary = flags & 2 == 0;
    let vars: BTreeMap<String, String> = (0..8)
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| (NAMES[i].to_string(), VALUES[i].to_string()))
        .collect();
    let validated = VariableSpec::open().validate(vars.clone()).expect("names are valid");
    let mut options = RenderOptions::default();
    if lenient {
        options = options.lenient();
    }
    if !skip_binary {
        options = options.binary(BinaryPolicy::Render);
    }
    let renderer = Renderer::new(&validated, options).expect("eight names build");
    let got = renderer.render_with_summary("fuzz", input);
    match (reference::model(input, &vars, lenient, skip_binary), got) {
        (Ok((want, want_left)), Ok((out, summary))) => {
            assert_eq!(&*out, &want[..]);
            let left: reference::Left =
                summary.left.into_iter().map(|l| (l.name, l.line, l.column)).collect();
            assert_eq!(left, want_left);
        }
        (
            Err((line, column, name)),
            Err(RenderError::UnknownPlaceholder { line: l, column: c, placeholder, .. }),
        ) => assert_eq!((line, column, name), (l, c, placeholder)),
        (want, got) => panic!("model {want:?} but renderer {got:?}"),
    }
});

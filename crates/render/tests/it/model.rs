//! The renderer against a reference model: a plain byte loop written from
//! the grammar, compared on random inputs, values and options.

use std::collections::BTreeMap;

use crate::reference::{Left, model};

use proptest::prelude::*;
use stencil_render::{BinaryPolicy, RenderOptions, Renderer, VariableSpec};

const NAMES: &[&str] = &[
    "A",
    "AB",
    "NAME",
    "_x1",
    "PROJECT_NAME",
    "Z",
    "UNKNOWN",
    "a",
];

fn fragment() -> impl Strategy<Value = Vec<u8>> {
    let name = prop::sample::select(NAMES).prop_map(str::to_string);
    prop_oneof![
        name.clone()
            .prop_map(|n| format!("{{{{{n}}}}}").into_bytes()),
        name.clone()
            .prop_map(|n| format!("{{{{{{{n}}}}}}}").into_bytes()),
        name.clone()
            .prop_map(|n| format!("{{{{\\{n}}}}}").into_bytes()),
        name.clone()
            .prop_map(|n| format!("{{{{ {n} }}}}").into_bytes()),
        name.prop_map(|n| format!("{{{{{n}}}").into_bytes()),
        prop::sample::select(vec![
            &b"{{"[..],
            b"}}",
            b"{",
            b"}",
            b"\\",
            b"${{ github.ref }}",
            b"\r\n",
            b"\n",
            b"\xff",
            b"\xc3\xa9",
            b"\xef\xbb\xbf",
            b"\0",
            b"{{1X}}",
        ])
        .prop_map(<[u8]>::to_vec),
        prop::collection::vec(any::<u8>(), 0..8),
        "[a-z _.]{0,6}".prop_map(String::into_bytes),
    ]
}

fn input() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(fragment(), 0..24).prop_map(|f| f.concat())
}

fn value() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "{{A}}", "{{\\A}}", "\\1", "$1", "${0}", "\r\n", "é", "x", "", "}}", "{{",
        ]),
        0..5,
    )
    .prop_map(|v| v.concat())
}

fn variables() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map(
        prop::sample::select(&NAMES[..6]).prop_map(str::to_string),
        value(),
        0..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn renderer_matches_model(
        input in input(),
        vars in variables(),
        lenient: bool,
        skip_binary: bool,
    ) {
        let validated = VariableSpec::open().validate(vars.clone()).unwrap();
        let mut options = RenderOptions::default();
        if lenient {
            options = options.lenient();
        }
        if !skip_binary {
            options = options.binary(BinaryPolicy::Render);
        }
        let renderer = Renderer::new(&validated, options).unwrap();
        let got = renderer.render_with_summary("f", &input);
        match model(&input, &vars, lenient, skip_binary) {
            Ok((want, want_left)) => {
                let (out, summary) = got.unwrap();
                prop_assert_eq!(&*out, &want[..]);
                let left: Left = summary.left.into_iter().map(|l| (l.name, l.line, l.column)).collect();
                prop_assert_eq!(left, want_left);
                // render_into agrees with render.
                let mut buf = b"pre".to_vec();
                renderer.render_into("f", &input, &mut buf).unwrap();
                prop_assert_eq!(&buf[3..], &want[..]);
            }
            Err((line, column, name)) => {
                match got {
                    Err(stencil_render::RenderError::UnknownPlaceholder {
                        line: l, column: c, placeholder, ..
                    }) => {
                        prop_assert_eq!((l, c, placeholder), (line, column, name));
                    }
                    other => prop_assert!(false, "expected an unknown-placeholder error, got {:?}", other),
                }
            }
        }
    }
}

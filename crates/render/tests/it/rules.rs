//! One test (or more) per rule of the placeholder grammar.

use std::borrow::Cow;

use stencil_render::{BinaryPolicy, RenderError, RenderOptions, Renderer, VariableSpec};

fn renderer(vars: &[(&str, &str)], options: RenderOptions) -> Renderer {
    let vars = VariableSpec::open().validate(vars.iter().copied()).unwrap();
    Renderer::new(&vars, options).unwrap()
}

fn strict(vars: &[(&str, &str)]) -> Renderer {
    renderer(vars, RenderOptions::default())
}

fn render(r: &Renderer, input: &[u8]) -> Vec<u8> {
    r.render("t", input).unwrap().into_owned()
}

// Rule 1: a known NAME is replaced by its value's bytes, never rescanned.
#[test]
fn rule1_known_placeholder_is_replaced() {
    let r = strict(&[("NAME", "stencil"), ("N", "x")]);
    assert_eq!(render(&r, b"a {{NAME}} b {{N}}{{N}}"), b"a stencil b xx");
    assert_eq!(render(&r, b"{{NAME}}"), b"stencil");
}

#[test]
fn rule1_values_are_never_rescanned() {
    let r = strict(&[
        ("A", "{{B}}"),
        ("B", "{{A}}"),
        ("BS", r"C:\new\1 $1 ${0} \n"),
        ("ESC", r"{{\A}}"),
    ]);
    assert_eq!(render(&r, b"{{A}}|{{B}}"), b"{{B}}|{{A}}");
    assert_eq!(render(&r, b"{{BS}}"), br"C:\new\1 $1 ${0} \n");
    assert_eq!(render(&r, b"{{ESC}}"), br"{{\A}}");
}

#[test]
fn rule1_order_of_names_does_not_matter() {
    // The original applied one regex per variable in dictionary order, so
    // the result depended on it. Both orders must agree here.
    let ab = strict(&[("A", "{{B}}"), ("B", "b")]);
    let ba = strict(&[("B", "b"), ("A", "{{B}}")]);
    assert_eq!(render(&ab, b"{{A}}{{B}}"), b"{{B}}b");
    assert_eq!(render(&ba, b"{{A}}{{B}}"), b"{{B}}b");
}

#[test]
fn rule1_name_must_match_exactly() {
    let r = renderer(&[("AB", "x")], RenderOptions::default().lenient());
    assert_eq!(render(&r, b"{{A}} {{ABC}} {{AB}}"), b"{{A}} {{ABC}} x");
}

// Rule 2: everything that is not a placeholder passes through.
#[test]
fn rule2_foreign_syntax_passes_through() {
    let r = strict(&[("NAME", "v"), ("github", "no")]);
    for text in [
        &b"{{ NAME }}"[..],
        b"{{NAME }}",
        b"{{ NAME}}",
        b"${{ github.ref }}",
        b"{{ .Values.image.tag }}",
        b"{% if x %}{{ x | upper }}{% endif %}",
        b"{#id}",
        b"{{",
        b"}}",
        b"{{}}",
        b"{{NAME}",
        b"{NAME}}",
        b"{{NAME-1}}",
        b"{{1NAME}}",
        b"{{NAME.x}}",
        b"{{#each items}}{{/each}}",
        b"fn f() {{ let x = {{ 1 }}; }}",
        b"{{{{",
    ] {
        assert_eq!(render(&r, text), text, "{}", String::from_utf8_lossy(text));
        assert!(matches!(r.render("t", text).unwrap(), Cow::Borrowed(_)));
    }
}

#[test]
fn rule2_surrounding_braces_are_text() {
    let r = strict(&[("NS", "ns")]);
    assert_eq!(render(&r, b"{{{NS}}}"), b"{ns}");
    assert_eq!(render(&r, b"{{{{NS}}}}"), b"{{ns}}");
    assert_eq!(render(&r, b"f\"{{{NS}}}.x\""), b"f\"{ns}.x\"");
    assert_eq!(render(&r, b"{{NS}}}}"), b"ns}}");
}

// Rule 3: strict errors carry file, line and column; lenient leaves it.
#[test]
fn rule3_strict_unknown_is_an_error_with_position() {
    let r = strict(&[("KNOWN", "k")]);
    let err = r
        .render("docs/guide.md", b"line one\r\n{{KNOWN}} and {{MISSING}}\n")
        .unwrap_err();
    match &err {
        RenderError::UnknownPlaceholder {
            file,
            line,
            column,
            placeholder,
            declared,
            known,
        } => {
            assert_eq!(file, "docs/guide.md");
            assert_eq!((*line, *column), (2, 15));
            assert_eq!(placeholder, "MISSING");
            assert!(!declared);
            assert_eq!(known, &["KNOWN"]);
        }
        other => panic!("unexpected error {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.starts_with("docs/guide.md:2:15: unknown placeholder `{{MISSING}}`"),
        "{msg}"
    );
    assert!(msg.contains("known variables: `KNOWN`"), "{msg}");
    // The library states facts; what to do is the caller's to say.
    assert!(!msg.contains("leniently"), "{msg}");
}

#[test]
fn rule3_column_counts_characters_not_bytes() {
    let r = strict(&[]);
    let err = r
        .render("u.md", "héllo wörld {{X}}".as_bytes())
        .unwrap_err();
    assert!(matches!(
        err,
        RenderError::UnknownPlaceholder {
            line: 1,
            column: 13,
            ..
        }
    ));
    let err = r.render("f", b"\n\n\xff\xfe{{X}}").unwrap_err();
    assert!(matches!(
        err,
        RenderError::UnknownPlaceholder {
            line: 3,
            column: 3,
            ..
        }
    ));
}

#[test]
fn rule3_declared_but_unset_says_so() {
    let spec = VariableSpec::builder().optional("AUTHOR").build().unwrap();
    let vars = spec.validate(Vec::<(String, String)>::new()).unwrap();
    let r = Renderer::new(&vars, RenderOptions::default()).unwrap();
    let err = r.render("a", b"by {{AUTHOR}}").unwrap_err();
    assert!(matches!(
        err,
        RenderError::UnknownPlaceholder { declared: true, .. }
    ));
    assert!(
        err.to_string().contains("declared but has no value"),
        "{err}"
    );
}

#[test]
fn rule3_lenient_leaves_and_reports_every_unknown() {
    let r = renderer(&[("A", "a")], RenderOptions::default().lenient());
    let input = b"{{X}} {{A}}\n  {{Y}}{{X}}";
    let (out, summary) = r.render_with_summary("f", input).unwrap();
    assert_eq!(&*out, b"{{X}} a\n  {{Y}}{{X}}");
    assert_eq!(summary.replaced, 1);
    let left: Vec<(&str, usize, usize)> = summary
        .left
        .iter()
        .map(|l| (l.name.as_str(), l.line, l.column))
        .collect();
    assert_eq!(left, [("X", 1, 1), ("Y", 2, 3), ("X", 2, 8)]);
}

// Rule 4: `{{\NAME}}` writes a literal `{{NAME}}` for a known NAME.
#[test]
fn rule4_escape_writes_literal_placeholder() {
    let r = strict(&[("NAME", "v")]);
    let (out, summary) = r
        .render_with_summary("f", br"{{\NAME}} is {{NAME}}")
        .unwrap();
    assert_eq!(&*out, b"{{NAME}} is v");
    assert_eq!((summary.escaped, summary.replaced), (1, 1));
    // For a name without a value the backslash form is ordinary text
    // (LaTeX's `{{\LaTeX}}` stays), and strict mode does not object.
    assert_eq!(
        render(&r, br"{{\LaTeX}} {{\ NAME}} \{{NAME}}"),
        br"{{\LaTeX}} {{\ NAME}} \v"
    );
}

// Rule 5: bytes are preserved exactly.
#[test]
fn rule5_crlf_bom_trailing_newline_and_invalid_utf8_are_preserved() {
    let r = strict(&[("N", "é")]);
    let input = b"\xef\xbb\xbf{{N}}\r\nline\xff\xc3\r\n\r\nno newline {{N}}";
    let want = "\u{feff}é\r\nline".as_bytes().to_vec();
    let mut want = want;
    want.extend_from_slice(b"\xff\xc3\r\n\r\nno newline ");
    want.extend_from_slice("é".as_bytes());
    assert_eq!(render(&r, input), want);
    assert_eq!(render(&r, b"x\n"), b"x\n");
    assert_eq!(render(&r, b"x"), b"x");
    assert_eq!(render(&r, b""), b"");
}

#[test]
fn rule5_unchanged_input_is_borrowed() {
    let r = strict(&[("N", "v")]);
    let input = b"nothing to see {{ here }}";
    assert!(matches!(r.render("f", input).unwrap(), Cow::Borrowed(b) if b == input));
}

// Rule 6: binary input is passed through under Skip.
#[test]
fn rule6_binary_is_skipped_and_reported() {
    let r = strict(&[("N", "v")]);
    let mut input = b"\x89PNG\0\0{{N}} {{UNKNOWN}}".to_vec();
    input.extend(std::iter::repeat_n(b'x', 100));
    let (out, summary) = r.render_with_summary("logo.png", &input).unwrap();
    assert!(summary.binary);
    assert_eq!(&*out, &input[..]);
    assert!(matches!(out, Cow::Borrowed(_)));
    let mut buf = b"prefix".to_vec();
    let summary = r.render_into("logo.png", &input, &mut buf).unwrap();
    assert!(summary.binary);
    assert_eq!(&buf[6..], &input[..]);
}

#[test]
fn rule6_nul_after_sniff_window_is_text() {
    let r = strict(&[("N", "v")]);
    let mut input = vec![b'a'; stencil_render::BINARY_SNIFF_LEN];
    input.extend_from_slice(b"\0{{N}}");
    let (out, summary) = r.render_with_summary("f", &input).unwrap();
    assert!(!summary.binary);
    assert!(out.ends_with(b"\0v"));
}

#[test]
fn rule6_binary_can_be_forced() {
    let r = renderer(
        &[("N", "v")],
        RenderOptions::default().binary(BinaryPolicy::Render),
    );
    let (out, summary) = r.render_with_summary("f", b"\0{{N}}").unwrap();
    assert!(!summary.binary);
    assert_eq!(&*out, b"\0v");
}

#[test]
fn render_into_appends_and_leaves_nothing_on_error() {
    let r = strict(&[("N", "v")]);
    let mut buf = b"keep:".to_vec();
    r.render_into("a", b"{{N}}.", &mut buf).unwrap();
    assert_eq!(buf, b"keep:v.");
    let err = r.render_into("b", b"{{N}} then {{BAD}}", &mut buf);
    assert!(err.is_err());
    assert_eq!(buf, b"keep:v.");
}

#[test]
fn renderer_with_no_variables_works() {
    let r = strict(&[]);
    assert_eq!(render(&r, b"plain {{ x }}"), b"plain {{ x }}");
    assert!(r.render("f", b"{{X}}").is_err());
}

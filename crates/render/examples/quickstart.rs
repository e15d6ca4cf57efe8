//! Renders a small project file and shows what strict and lenient modes do.
//!
//! Run: `cargo run --release -p stencil-render --example quickstart`

use stencil_render::{RenderError, RenderOptions, Renderer, VariableSpec};

const TEMPLATE: &str = "\
# {{PROJECT_NAME}}

Maintained by {{AUTHOR}} since {{DATE}}.
Deploys on `${{ github.ref }}`; Helm values stay `{{ .Values.tag }}`.
A value is inserted verbatim, never rescanned: {{TRICKY}}
Write {{\\PROJECT_NAME}} to get the placeholder itself.
";

fn main() -> Result<(), RenderError> {
    let spec = VariableSpec::builder()
        .required("PROJECT_NAME")
        .optional("AUTHOR")
        // A computed default (the `stencil` facade passes today's date).
        .default_with("DATE", || "2026-12-01".to_string())
        .optional("TRICKY")
        .build()?;
    let vars = spec.validate([
        ("PROJECT_NAME", "rocket"),
        ("AUTHOR", "Ada"),
        ("TRICKY", r"{{AUTHOR}} C:\new\1 $1"),
    ])?;
    let renderer = Renderer::new(&vars, RenderOptions::default())?;

    println!("--- template ---\n{TEMPLATE}");
    let out = renderer.render("CLAUDE.md", TEMPLATE.as_bytes())?;
    println!(
        "--- rendered (strict) ---\n{}",
        String::from_utf8_lossy(&out)
    );

    let typo = "Hello {{PROJECT_NAME}}, see {{PROJEKT_NAME}}\n";
    match renderer.render("typo.md", typo.as_bytes()) {
        Ok(_) => println!("unexpected: the typo rendered"),
        Err(e) => println!("--- strict mode catches a typo ---\nerror: {e}\n"),
    }

    let lenient = Renderer::new(&vars, RenderOptions::default().lenient())?;
    let (out, summary) = lenient.render_with_summary("typo.md", typo.as_bytes())?;
    print!(
        "--- lenient mode leaves it ---\n{}",
        String::from_utf8_lossy(&out)
    );
    for left in &summary.left {
        println!(
            "left typo.md:{}:{} {{{{{}}}}}",
            left.line, left.column, left.name
        );
    }

    let err = spec.validate([("AUTHOR", "Ada")]).unwrap_err();
    println!("\n--- validation names what is wrong ---\nerror: {err}");
    Ok(())
}

//! `stencil render [FILE|-] --var K=V ... [--lenient]`

use std::io::{self, Read, Write};

use anyhow::{Context as _, Result, anyhow};
use serde::Serialize;
use stencil::render::{RenderError, RenderOptions, Renderer, VariableSpec};
use stencil::today;

use crate::args::RenderArgs;
use crate::context::Context;
use crate::failure::Explained;
use crate::output::Output;

/// The `--json` shape of `stencil render`.
#[derive(Debug, Serialize)]
struct RenderJson {
    file: String,
    content: String,
    replaced: usize,
    binary: bool,
    left: Vec<LeftJson>,
}

#[derive(Debug, Serialize)]
struct LeftJson {
    file: String,
    line: usize,
    column: usize,
    placeholder: String,
}

/// What `render` produced; printed by [`finish`].
pub enum Rendered {
    /// Raw bytes for stdout, and warnings for stderr.
    Bytes(Vec<u8>, Vec<String>),
    /// The `--json` document.
    Json(Output),
}

/// Runs `stencil render`.
pub fn run(ctx: &Context, args: &RenderArgs) -> Result<Rendered> {
    let (name, input) = match args.file.as_deref() {
        None => ("<stdin>".to_string(), read_stdin()?),
        Some(p) if p.as_os_str() == "-" => ("<stdin>".to_string(), read_stdin()?),
        Some(p) => (
            p.display().to_string(),
            std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
        ),
    };
    // Any name is allowed; DATE defaults to today as in a deploy.
    let spec = VariableSpec::builder()
        .allow_any(true)
        .default_with("DATE", today)
        .build()?;
    let vars = spec.validate(args.vars.iter().cloned())?;
    let options = if args.lenient {
        RenderOptions::new().lenient()
    } else {
        RenderOptions::new()
    };
    let renderer = Renderer::new(&vars, options)?;
    let (out, summary) = renderer
        .render_with_summary(&name, &input)
        .map_err(|e| match &e {
            RenderError::UnknownPlaceholder {
                file,
                line,
                column,
                placeholder,
                known,
                ..
            } => {
                let known = known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>();
                let message = format!(
                    "{file}:{line}:{column}: unknown placeholder `{{{{{placeholder}}}}}` (known: {}); \
                     to proceed, give it a value with --var {placeholder}=…, or use --lenient to \
                     leave unknown placeholders as they are",
                    known.join(", ")
                );
                Explained::render(message, e)
            }
            _ => anyhow::Error::new(e).context(format!("cannot render {name}")),
        })?;
    let left: Vec<LeftJson> = summary
        .left
        .iter()
        .map(|l| LeftJson {
            file: name.clone(),
            line: l.line,
            column: l.column,
            placeholder: format!("{{{{{}}}}}", l.name),
        })
        .collect();
    if ctx.json {
        let content = String::from_utf8(out.into_owned()).map_err(|_| {
            anyhow!("{name} does not render to valid UTF-8; render it without --json")
        })?;
        let json = RenderJson {
            file: name,
            content,
            replaced: summary.replaced,
            binary: summary.binary,
            left,
        };
        return Ok(Rendered::Json(Output::new(json, "")));
    }
    let warnings = left
        .iter()
        .map(|l| {
            format!(
                "{}:{}:{}: left {} as it is (--lenient)",
                l.file, l.line, l.column, l.placeholder
            )
        })
        .collect();
    Ok(Rendered::Bytes(out.into_owned(), warnings))
}

fn read_stdin() -> Result<Vec<u8>> {
    let mut input = Vec::new();
    io::stdin()
        .read_to_end(&mut input)
        .context("cannot read stdin")?;
    Ok(input)
}

/// Writes rendered bytes to stdout exactly as they are.
pub fn write_bytes(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

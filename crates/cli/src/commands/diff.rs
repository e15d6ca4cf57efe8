//! `stencil diff DIR [PATH…] [--upstream]`

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use stencil::lifecycle::{DiffOptions, DiffReport, FileDiff, diff, upstream_diff};

use crate::args::parse_pair;
use crate::context::Context;
use crate::output::Output;

/// `stencil diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The project directory.
    pub dir: PathBuf,
    /// Only these paths (a directory takes everything under it).
    pub paths: Vec<String>,
    /// The diff an update would apply (recorded base → the catalogue's new
    /// render) instead of the local edits (recorded base → disk).
    #[arg(long)]
    pub upstream: bool,
    /// Only this template's deployment.
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// A secret's value, so lines holding it compare equal. Repeatable.
    #[arg(long = "secret", value_name = "NAME=VALUE", value_parser = parse_pair)]
    pub secrets: Vec<(String, String)>,
}

#[derive(Debug, Serialize)]
struct DiffJson {
    files: Vec<EntryJson>,
}

#[derive(Debug, Serialize)]
struct EntryJson {
    template: String,
    path: String,
    /// `text`, `binary`, `deleted` or `not a file`.
    kind: &'static str,
    /// The unified diff (text only; lossy UTF-8).
    diff: Option<String>,
}

/// Runs `stencil diff`. Text mode writes the diff bytes as they are.
pub fn run(ctx: &Context, args: &DiffArgs) -> Result<Output> {
    let mut options = DiffOptions::new().paths(args.paths.iter().cloned());
    if let Some(t) = &args.template {
        options = options.template(t.clone());
    }
    for (k, v) in &args.secrets {
        options = options.secret(k.clone(), v.clone());
    }
    let report = if args.upstream {
        upstream_diff(&args.dir, &ctx.open_existing()?, &options)?
    } else {
        diff(&args.dir, &options)?
    };
    if !ctx.json {
        write_text(&report)?;
        return Ok(Output::new(serde_json::Value::Null, ""));
    }
    let files = report
        .entries
        .iter()
        .map(|e| {
            let (kind, diff) = match &e.diff {
                FileDiff::Text(d) => ("text", Some(String::from_utf8_lossy(d).into_owned())),
                FileDiff::Binary => ("binary", None),
                FileDiff::Deleted => ("deleted", None),
                FileDiff::NotAFile => ("not a file", None),
                _ => ("other", None),
            };
            EntryJson {
                template: e.template.clone(),
                path: e.path.clone(),
                kind,
                diff,
            }
        })
        .collect();
    Ok(Output::new(DiffJson { files }, ""))
}

fn write_text(report: &DiffReport) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for e in &report.entries {
        match &e.diff {
            FileDiff::Text(d) => out.write_all(d)?,
            FileDiff::Binary => writeln!(out, "binary file {}: differs", e.path)?,
            FileDiff::Deleted => writeln!(out, "deleted: {}", e.path)?,
            FileDiff::NotAFile => writeln!(out, "not a regular file any more: {}", e.path)?,
            _ => writeln!(out, "differs: {}", e.path)?,
        }
    }
    out.flush()?;
    Ok(())
}

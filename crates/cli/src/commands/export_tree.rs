//! `stencil export KEY DIR` and `stencil export --template NAME DIR`: an
//! artifact, or a template's artifacts, back out as a tree.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use stencil::deploy::{DeployOptions, OverwritePolicy, RelPath};
use stencil::export_tree::{export_artifact, export_template};
use stencil::store::ArtifactKey;

use crate::args::ExportArgs;
use crate::context::Context;
use crate::output::{Output, count, human_bytes};

/// Runs `stencil export`.
pub fn run(ctx: &Context, args: &ExportArgs) -> Result<Output> {
    let (what, dir) = match (&args.template, args.operands.as_slice()) {
        (Some(name), [dir]) => (What::Template(name), dir),
        (None, [key, dir]) => (What::Artifact(ArtifactKey::parse(key)?), dir),
        (Some(_), _) => {
            bail!("with --template give only the directory: stencil export --template NAME DIR")
        }
        (None, _) => bail!(
            "give the artifact and the directory: stencil export KEY DIR (or --template NAME DIR)"
        ),
    };
    let catalog = ctx.open_existing()?;
    let options = DeployOptions::new().overwrite(if args.overwrite {
        OverwritePolicy::Overwrite
    } else {
        OverwritePolicy::Fail
    });
    let dir_path = Path::new(dir);
    let (label, report) = match &what {
        What::Artifact(key) => (
            format!("artifact `{key}`"),
            export_artifact(&catalog, key, dir_path, &options),
        ),
        What::Template(name) => (
            format!("template `{name}`"),
            export_template(&catalog, name, dir_path, &options),
        ),
    };
    let report = report.with_context(|| format!("cannot export {label} into {dir}"))?;
    let paths = |v: &[RelPath]| v.iter().map(|p| p.as_str().to_string()).collect::<Vec<_>>();
    let written = paths(&report.written);
    let overwritten = paths(&report.overwritten);
    let mut human = format!(
        "exported {label} into {dir}: {} ({})",
        count(written.len() + overwritten.len(), "file"),
        human_bytes(report.bytes)
    );
    if !overwritten.is_empty() {
        human += &format!(", {} replaced", overwritten.len());
    }
    let json = serde_json::json!({
        "exported": match &what {
            What::Artifact(key) => serde_json::json!({ "artifact": key.to_string() }),
            What::Template(name) => serde_json::json!({ "template": name }),
        },
        "dir": dir,
        "written": written,
        "overwritten": overwritten,
        "bytes": report.bytes,
    });
    Ok(Output::new(json, human))
}

enum What<'a> {
    Artifact(ArtifactKey),
    Template(&'a String),
}

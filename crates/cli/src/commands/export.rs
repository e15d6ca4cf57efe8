//! `stencil export --template NAME --plugin DIR`: glue around
//! [`stencil::export_plugin`].

use anyhow::Result;
use serde::Serialize;
use stencil::{PluginExportOptions, export_plugin};

use crate::args::ExportArgs;
use crate::context::Context;
use crate::output::{Output, count, human_bytes};

/// The `--json` shape of `stencil export`.
#[derive(Debug, Serialize)]
struct ExportJson {
    template: String,
    plugin: String,
    dir: String,
    artifacts: usize,
    files: Vec<String>,
    bytes: u64,
}

/// Runs `stencil export`.
pub fn run(ctx: &Context, args: &ExportArgs) -> Result<Output> {
    let catalog = ctx.open_existing()?;
    let mut options = PluginExportOptions::new();
    if let Some(name) = &args.name {
        options = options.name(name);
    }
    if let Some(version) = &args.version {
        options = options.version(version);
    }
    if let Some(description) = &args.description {
        options = options.description(description);
    }
    let (Some(template), Some(plugin)) = (&args.template, &args.plugin) else {
        anyhow::bail!(
            "give the template and the plugin directory: stencil export --template NAME --plugin DIR"
        );
    };
    if !args.operands.is_empty() {
        anyhow::bail!(
            "with --plugin give no KEY or DIR: stencil export --template NAME --plugin DIR"
        );
    }
    let export = export_plugin(&catalog, template, plugin, &options)?;
    let json = ExportJson {
        template: template.clone(),
        plugin: export.name,
        dir: export.dir.display().to_string(),
        artifacts: export.artifacts,
        bytes: export.bytes,
        files: export.files,
    };
    let human = format!(
        "exported template `{}` as plugin `{}` to {}: {}, {} ({})\nImport it into another catalogue: stencil import {}\n",
        json.template,
        json.plugin,
        json.dir,
        count(json.artifacts, "artifact"),
        count(json.files.len(), "file"),
        human_bytes(json.bytes),
        json.dir
    );
    Ok(Output::new(&json, human))
}

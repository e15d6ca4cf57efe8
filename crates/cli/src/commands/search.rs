//! `stencil search [TEXT] [--registry NAME] [--type T]`

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use stencil::packages::{self, SearchQuery};

use crate::commands::fetching;
use crate::context::Context;
use crate::output::{Output, count};

/// `stencil search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Matched case-insensitively against package names and descriptions
    /// (every package when left out).
    pub text: Option<String>,
    /// Only this registry.
    #[arg(long, value_name = "NAME")]
    pub registry: Option<String>,
    /// Only this package type (`template`, `skill`, `command`, …).
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
    /// Revalidate the snapshots now.
    #[arg(long, conflicts_with = "offline")]
    pub refresh: bool,
    /// Use the stored snapshots only.
    #[arg(long)]
    pub offline: bool,
}

#[derive(Serialize)]
struct Hit {
    registry: String,
    kind: String,
    name: String,
    version: u64,
    description: String,
    installed: Option<u64>,
}

/// Runs `stencil search`.
pub fn run(ctx: &Context, args: &SearchArgs) -> Result<Output> {
    let catalog = ctx.open_existing()?;
    let options = fetching::options(None, args.refresh, args.offline);
    let query = SearchQuery {
        text: args.text.clone(),
        registry: args.registry.clone(),
        kind: args.kind.clone(),
    };
    let report = packages::search(&catalog, &query, &options, jiff::Timestamp::now())?;
    fetching::tell(&report.notes);
    let mut lines = Vec::new();
    let mut hits = Vec::new();
    for h in &report.hits {
        let installed = match h.installed {
            Some(v) if v == h.version => String::from("\tinstalled"),
            Some(v) => format!("\tinstalled @{v}"),
            None => String::new(),
        };
        lines.push(format!(
            "{}/{}:{}@{}\t{}{installed}",
            h.registry, h.kind, h.name, h.version, h.description
        ));
        hits.push(Hit {
            registry: h.registry.clone(),
            kind: h.kind.clone(),
            name: h.name.clone(),
            version: h.version,
            description: h.description.clone(),
            installed: h.installed,
        });
    }
    if lines.is_empty() {
        lines.push(String::from("no packages found"));
    } else {
        lines.push(count(hits.len(), "package"));
    }
    Ok(Output::new(
        serde_json::json!({ "packages": hits, "notes": report.notes }),
        lines.join("\n"),
    ))
}

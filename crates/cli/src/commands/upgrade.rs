//! `stencil upgrade [REF…] [--dry-run]`

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use stencil::packages;

use crate::commands::fetching;
use crate::commands::registry::installed_output;
use crate::context::Context;
use crate::output::Output;

/// `stencil upgrade`.
#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// `[REGISTRY/][TYPE:]NAME` of installed packages (every outdated one
    /// when none is given).
    #[arg(value_name = "REF")]
    pub refs: Vec<String>,
    /// Report what would move, fetch and store nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Revalidate the snapshots now.
    #[arg(long, conflicts_with = "offline")]
    pub refresh: bool,
    /// Use the stored snapshots and cached packages only.
    #[arg(long)]
    pub offline: bool,
}

#[derive(Serialize)]
struct Move {
    registry: String,
    package: String,
    from: u64,
    to: u64,
}

/// Runs `stencil upgrade`.
pub fn run(ctx: &Context, args: &UpgradeArgs) -> Result<Output> {
    let catalog = ctx.open_existing()?;
    let cache = fetching::blob_cache();
    let options = fetching::options(cache.as_ref(), args.refresh, args.offline);
    let report = packages::upgrade(
        &catalog,
        &args.refs,
        args.dry_run,
        &options,
        jiff::Timestamp::now(),
    )?;
    fetching::tell(&report.notes);
    let moves: Vec<Move> = report
        .upgrades
        .iter()
        .map(|u| Move {
            registry: u.registry.clone(),
            package: u.package.clone(),
            from: u.from,
            to: u.to,
        })
        .collect();
    let verb = if args.dry_run {
        "would upgrade"
    } else {
        "upgraded"
    };
    let mut lines: Vec<String> = moves
        .iter()
        .map(|m| {
            format!(
                "{verb} {}/{}: {} -> {}",
                m.registry, m.package, m.from, m.to
            )
        })
        .collect();
    if lines.is_empty() {
        lines.push(String::from("everything is current"));
    }
    let installed = match &report.applied {
        Some(summary) => {
            let (installed, details) = installed_output(summary);
            lines.extend(details);
            installed
        }
        None => Vec::new(),
    };
    Ok(Output::new(
        serde_json::json!({
            "upgrades": moves,
            "dry_run": args.dry_run,
            "installed": installed,
            "notes": report.notes,
        }),
        lines.join("\n"),
    ))
}

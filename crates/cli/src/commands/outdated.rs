//! `stencil outdated [--check]`

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use stencil::packages::{self, PackageState};

use crate::commands::fetching;
use crate::context::Context;
use crate::exit::NeedsAttention;
use crate::output::Output;

/// `stencil outdated`.
#[derive(Debug, Args)]
pub struct OutdatedArgs {
    /// Exit with 3 when any installed package is outdated (for CI).
    #[arg(long)]
    pub check: bool,
    /// Revalidate the snapshots now.
    #[arg(long, conflicts_with = "offline")]
    pub refresh: bool,
    /// Use the stored snapshots only.
    #[arg(long)]
    pub offline: bool,
}

#[derive(Serialize)]
struct Row {
    registry: String,
    package: String,
    installed: u64,
    latest: Option<u64>,
    state: PackageState,
    artifacts: Vec<String>,
}

/// Runs `stencil outdated`.
pub fn run(ctx: &Context, args: &OutdatedArgs) -> Result<Output> {
    let catalog = ctx.open_existing()?;
    let options = fetching::options(None, args.refresh, args.offline);
    let report = packages::outdated(&catalog, &options, jiff::Timestamp::now())?;
    fetching::tell(&report.notes);
    let rows: Vec<Row> = report
        .packages
        .iter()
        .map(|p| Row {
            registry: p.registry.clone(),
            package: format!("{}:{}", p.kind, p.name),
            installed: p.installed,
            latest: p.latest,
            state: p.state,
            artifacts: p.artifacts.iter().map(ToString::to_string).collect(),
        })
        .collect();
    let outdated = report.outdated().count();
    let mut lines: Vec<String> = rows
        .iter()
        .filter(|r| r.state != PackageState::Current)
        .map(|r| {
            let latest = r.latest.map_or(String::from("-"), |v| v.to_string());
            let state = match r.state {
                PackageState::Outdated => "outdated",
                PackageState::Yanked => "yanked (nothing newer)",
                PackageState::Missing => "missing from its registry",
                _ => "current",
            };
            format!(
                "{}/{}\t{} -> {latest}\t{state}",
                r.registry, r.package, r.installed
            )
        })
        .collect();
    lines.push(if outdated == 0 {
        format!("{} installed package(s), all current", rows.len())
    } else {
        format!(
            "{outdated} of {} installed package(s) outdated (`stencil upgrade` moves them)",
            rows.len()
        )
    });
    let output = Output::new(
        serde_json::json!({ "packages": rows, "outdated": outdated, "notes": report.notes }),
        lines.join("\n"),
    );
    if args.check && outdated > 0 {
        return Err(NeedsAttention(output).into());
    }
    Ok(output)
}

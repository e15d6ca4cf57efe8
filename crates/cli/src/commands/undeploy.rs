//! `stencil undeploy DIR [--template T] [--force] [--dry-run]`

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use stencil::lifecycle::{UndeployOptions, undeploy};

use crate::output::{Output, count};

/// `stencil undeploy`.
#[derive(Debug, Args)]
pub struct UndeployArgs {
    /// The project directory.
    pub dir: PathBuf,
    /// Which deployment (needed when the project holds several).
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// Remove modified files too.
    #[arg(long)]
    pub force: bool,
    /// Show what would be removed; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Serialize)]
struct UndeployJson {
    template: String,
    dry_run: bool,
    removed: Vec<String>,
    kept_modified: Vec<String>,
    kept_not_ours: Vec<String>,
    missing: Vec<String>,
    dirs_removed: Vec<String>,
}

/// Runs `stencil undeploy`.
pub fn run(args: &UndeployArgs) -> Result<Output> {
    let mut options = UndeployOptions::new()
        .force(args.force)
        .dry_run(args.dry_run);
    if let Some(t) = &args.template {
        options = options.template(t.clone());
    }
    let r = undeploy(&args.dir, &options)?;
    let json = UndeployJson {
        template: r.template,
        dry_run: r.dry_run,
        removed: r.removed,
        kept_modified: r.kept_modified,
        kept_not_ours: r.kept_not_ours,
        missing: r.missing,
        dirs_removed: r.dirs_removed,
    };
    let mut human = format!(
        "{} template \"{}\": {} removed, {} kept as modified, {} kept as not stencil's\n",
        if json.dry_run {
            "dry run of undeploying"
        } else {
            "undeployed"
        },
        json.template,
        count(json.removed.len(), "file"),
        json.kept_modified.len(),
        json.kept_not_ours.len(),
    );
    for p in &json.kept_modified {
        human += &format!("  kept (modified; --force removes it) {p}\n");
    }
    for p in &json.kept_not_ours {
        human += &format!("  kept (was there before the deploy)  {p}\n");
    }
    Ok(Output::new(json, human))
}

//! `stencil update DIR [--template T] [--var K=V]… [--secret K=V]…
//! [--conflict markers|rej|abort] [--restore] [--dry-run]`

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use stencil::deploy::{DeployOptions, Durability};
use stencil::lifecycle::{ConflictMode, UpdateAction, UpdateOptions, UpdateReport, update};

use crate::args::parse_pair;
use crate::context::Context;
use crate::exit::NeedsAttention;
use crate::output::Output;

/// `stencil update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The project directory.
    pub dir: PathBuf,
    /// Which deployment (needed when the project holds several).
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// Override a recorded variable, or give one the new revision requires. Repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_pair)]
    pub vars: Vec<(String, String)>,
    /// A secret's value: every secret the deployment used must be given
    /// again (they are never stored). Repeatable.
    #[arg(long = "secret", value_name = "NAME=VALUE", value_parser = parse_pair)]
    pub secrets: Vec<(String, String)>,
    /// What to do when both sides changed the same lines: `markers` (in the
    /// file), `rej` (the template's change beside it in FILE.rej), `abort`
    /// (write nothing at all).
    #[arg(long, value_name = "MODE", default_value = "markers", value_parser = parse_mode)]
    pub conflict: ConflictMode,
    /// Bring back files you deleted (they stay deleted otherwise).
    #[arg(long)]
    pub restore: bool,
    /// Show what would be done; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// fsync every file and directory before committing.
    #[arg(long)]
    pub durable: bool,
}

fn parse_mode(s: &str) -> Result<ConflictMode, String> {
    s.parse()
}

#[derive(Debug, Serialize)]
struct UpdateJson {
    template: String,
    from_revision: String,
    to_revision: String,
    dry_run: bool,
    aborted: bool,
    conflicts: usize,
    files: Vec<FileJson>,
    summary: String,
}

#[derive(Debug, Serialize)]
struct FileJson {
    path: String,
    action: &'static str,
}

/// Runs `stencil update`: exit 0 when applied cleanly, 3 when conflicts
/// were left (markers, rej) or aborted the update.
pub fn run(ctx: &Context, args: &UpdateArgs) -> Result<Output> {
    let catalog = ctx.open_existing()?;
    let durability = if args.durable {
        Durability::PerFile
    } else {
        Durability::None
    };
    let mut options = UpdateOptions::new()
        .conflict(args.conflict)
        .restore(args.restore)
        .dry_run(args.dry_run)
        .deploy_options(DeployOptions::new().durability(durability));
    if let Some(t) = &args.template {
        options = options.template(t.clone());
    }
    for (k, v) in &args.vars {
        options = options.var(k.clone(), v.clone());
    }
    for (k, v) in &args.secrets {
        options = options.secret(k.clone(), v.clone());
    }
    let report = update(&catalog, &args.dir, &options)?;
    let output = Output::new(to_json(&report), human(&report));
    if report.conflicts > 0 {
        return Err(NeedsAttention(output).into());
    }
    Ok(output)
}

fn action_word(action: UpdateAction) -> &'static str {
    match action {
        UpdateAction::Conflict(_) => "conflict",
        UpdateAction::Unchanged => "unchanged",
        UpdateAction::Updated => "updated",
        UpdateAction::KeptLocal => "kept",
        UpdateAction::RecordOnly => "record only",
        UpdateAction::Merged => "merged",
        UpdateAction::KeptDeleted => "kept deleted",
        UpdateAction::Restored => "restored",
        UpdateAction::Added => "added",
        UpdateAction::Adopted => "adopted",
        UpdateAction::Removed => "removed",
        UpdateAction::KeptRemoved => "kept removed",
        UpdateAction::Unmanaged => "unmanaged",
        _ => "other",
    }
}

fn to_json(report: &UpdateReport) -> UpdateJson {
    UpdateJson {
        template: report.template.clone(),
        from_revision: report.from_revision.clone(),
        to_revision: report.to_revision.clone(),
        dry_run: report.dry_run,
        aborted: report.aborted,
        conflicts: report.conflicts,
        files: report
            .files
            .iter()
            .map(|f| FileJson {
                path: f.path.clone(),
                action: action_word(f.action),
            })
            .collect(),
        summary: report.summary(),
    }
}

fn human(report: &UpdateReport) -> String {
    let mut out = format!("{}\n", report.summary());
    for f in report
        .files
        .iter()
        .filter(|f| f.action != UpdateAction::Unchanged)
    {
        out += &format!("  {:<40} {}\n", f.path, f.action.as_str());
    }
    if report.aborted {
        out +=
            "nothing was written: resolve the conflicts, or rerun with --conflict markers or rej\n";
    } else if report.conflicts > 0 {
        out += "resolve the conflicts above, then check with `stencil status`\n";
    }
    out
}

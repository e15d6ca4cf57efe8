//! `stencil status DIR [--check]`

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use stencil::lifecycle::{FileState, StatusReport, Upstream, status};

use crate::context::Context;
use crate::exit::NeedsAttention;
use crate::output::{Output, count};

/// `stencil status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The project directory.
    pub dir: PathBuf,
    /// Exit with 3 when any file is modified or deleted, or a template is
    /// outdated (for CI); 0 otherwise.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Serialize)]
struct StatusJson {
    project: String,
    clean: bool,
    deployments: Vec<DeploymentJson>,
}

#[derive(Debug, Serialize)]
struct DeploymentJson {
    template: String,
    revision: String,
    /// `current`, `outdated`, `gone` (not in the catalogue) or `not checked`.
    upstream: &'static str,
    upstream_revision: Option<String>,
    /// What an update would change upstream, by path.
    upstream_changes: Vec<ChangeJson>,
    upstream_note: Option<String>,
    files: Vec<FileJson>,
}

#[derive(Debug, Serialize)]
struct FileJson {
    path: String,
    state: &'static str,
}

#[derive(Debug, Serialize)]
struct ChangeJson {
    path: String,
    change: &'static str,
}

/// Runs `stencil status`.
pub fn run(ctx: &Context, args: &StatusArgs) -> Result<Output> {
    // The catalogue is optional: without one only the disk is compared.
    let catalog = (ctx.is_postgres() || ctx.catalog.exists())
        .then(|| ctx.open_existing())
        .transpose()?;
    let report = status(&args.dir, catalog.as_ref())?;
    let output = Output::new(to_json(&report), human(&report));
    if args.check && !report.is_clean() {
        return Err(NeedsAttention(output).into());
    }
    Ok(output)
}

fn to_json(report: &StatusReport) -> StatusJson {
    StatusJson {
        project: report.project.display().to_string(),
        clean: report.is_clean(),
        deployments: report
            .deployments
            .iter()
            .map(|d| {
                let (upstream, revision, changes, note) = match &d.upstream {
                    Upstream::NotChecked => ("not checked", None, Vec::new(), None),
                    Upstream::Current => ("current", None, Vec::new(), None),
                    Upstream::Gone => ("gone", None, Vec::new(), None),
                    Upstream::Outdated {
                        revision,
                        changes,
                        reason,
                    } => (
                        "outdated",
                        Some(revision.clone()),
                        changes
                            .iter()
                            .flatten()
                            .map(|(path, c)| ChangeJson {
                                path: path.clone(),
                                change: c.as_str(),
                            })
                            .collect(),
                        reason.clone(),
                    ),
                    _ => ("unknown", None, Vec::new(), None),
                };
                DeploymentJson {
                    template: d.template.clone(),
                    revision: d.revision.clone(),
                    upstream,
                    upstream_revision: revision,
                    upstream_changes: changes,
                    upstream_note: note,
                    files: d
                        .files
                        .iter()
                        .map(|f| FileJson {
                            path: f.path.clone(),
                            state: f.state.as_str(),
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

fn human(report: &StatusReport) -> String {
    let mut out = String::new();
    for d in &report.deployments {
        let unchanged = d
            .files
            .iter()
            .filter(|f| f.state == FileState::Unchanged)
            .count();
        out += &format!(
            "template \"{}\" ({}): {} unchanged",
            d.template,
            &d.revision[..d.revision.len().min(19)],
            count(unchanged, "file")
        );
        out += match &d.upstream {
            Upstream::NotChecked => ", catalogue not checked\n",
            Upstream::Current => ", up to date with the catalogue\n",
            Upstream::Gone => ", no longer in the catalogue\n",
            Upstream::Outdated { .. } => ", OUTDATED: the catalogue has a newer revision\n",
            _ => "\n",
        };
        for f in d.files.iter().filter(|f| f.state != FileState::Unchanged) {
            out += &format!("  {:<13} {}\n", f.state.as_str(), f.path);
        }
        if let Upstream::Outdated {
            changes, reason, ..
        } = &d.upstream
        {
            for (path, change) in changes.iter().flatten() {
                out += &format!("  upstream {:<8} {}\n", change.as_str(), path);
            }
            if let Some(reason) = reason {
                out += &format!("  (cannot tell which files change: {reason})\n");
            }
            out += "  run `stencil update` to bring it in (`stencil diff --upstream` shows it first)\n";
        }
    }
    out
}

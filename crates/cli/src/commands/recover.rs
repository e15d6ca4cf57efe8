//! `stencil recover DIR` and `stencil init`

use std::path::Path;

use anyhow::{Context as _, Result};
use serde::Serialize;
use stencil::deploy::{RelPath, recover};

use crate::context::Context;
use crate::output::{Output, count};

/// The `--json` shape of `stencil recover`.
#[derive(Debug, Serialize)]
struct RecoverJson {
    project: String,
    clean: bool,
    rolled_back: bool,
    staging_removed: bool,
    restored: Vec<String>,
    removed: Vec<String>,
    dirs_removed: Vec<String>,
}

/// Runs `stencil recover DIR`.
pub fn run(dir: &Path) -> Result<Output> {
    let report = recover(dir).with_context(|| format!("cannot recover {}", dir.display()))?;
    let paths = |v: &[RelPath]| v.iter().map(|p| p.as_str().to_string()).collect::<Vec<_>>();
    let json = RecoverJson {
        project: dir.display().to_string(),
        clean: report.is_clean(),
        rolled_back: report.rolled_back,
        staging_removed: report.staging_removed,
        restored: paths(&report.restored),
        removed: paths(&report.removed),
        dirs_removed: paths(&report.dirs_removed),
    };
    let human = if json.clean {
        format!(
            "nothing to recover in {}: no interrupted deploy found",
            json.project
        )
    } else if json.rolled_back {
        format!(
            "rolled back an interrupted deploy in {}: {} restored, {} removed, {} removed",
            json.project,
            count(json.restored.len(), "file"),
            count(json.removed.len(), "new file"),
            count(json.dirs_removed.len(), "new directory")
        )
    } else {
        format!(
            "removed the staging area of an interrupted deploy in {} (the files were already \
             complete or never placed)",
            json.project
        )
    };
    Ok(Output::new(&json, human))
}

/// Runs `stencil init`.
pub fn init(ctx: &Context) -> Result<Output> {
    // A PostgreSQL catalogue is created by opening it (its tables, if
    // missing); "already exists" is about the file.
    let existed = ctx.catalog.exists() || ctx.is_postgres();
    ctx.open_or_create()?;
    let path = ctx.catalog_display();
    let human = if existed {
        format!("catalogue {path} already exists; nothing changed")
    } else {
        format!("created catalogue {path}")
    };
    Ok(Output::new(
        serde_json::json!({ "catalog": path, "created": !existed }),
        human,
    ))
}

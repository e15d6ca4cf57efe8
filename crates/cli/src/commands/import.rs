//! `stencil import DIR [--collection NAME] [--verbatim GLOB]...`

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context as _, Result};
use serde::Serialize;
use stencil::store::{Catalog, Error as StoreError, ImportReport, NewArtifact};

use crate::args::ImportArgs;
use crate::context::Context;
use crate::import::{self, Skipped, Tree};
use crate::output::{Output, Style, count, human_bytes};

/// What an import did; the `--json` shape of `stencil import`.
#[derive(Debug, Serialize)]
pub struct ImportSummary {
    /// The imported directory.
    pub source: String,
    /// The root folders found in it.
    pub roots: Vec<String>,
    /// Regular files read.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
    /// Artifacts that did not exist.
    pub created: Vec<String>,
    /// Artifacts whose files, description or source changed (a new version).
    pub updated: Vec<String>,
    /// Artifacts already stored exactly so.
    pub unchanged: Vec<String>,
    /// Whether anything was written to the catalogue.
    pub changed: bool,
    /// Target paths stored verbatim (matched `--verbatim`, binary, or
    /// already marked in the catalogue).
    pub verbatim: Vec<String>,
    /// Symbolic links and special files that were not imported.
    pub skipped: Vec<Skipped>,
    /// The collection the artifacts were put into.
    pub collection: Option<CollectionSummary>,
}

/// The collection an import filled.
#[derive(Debug, Serialize)]
pub struct CollectionSummary {
    /// Its name.
    pub name: String,
    /// Whether this import created it.
    pub created: bool,
    /// Artifacts this import added to it.
    pub added: usize,
    /// Its size afterwards.
    pub artifact_count: u64,
}

/// Runs `stencil import`.
pub fn run(ctx: &Context, args: &ImportArgs) -> Result<Output> {
    let globs = import::verbatim_globs(&args.verbatim)?;
    // Read the whole tree before touching the catalogue: a bad tree leaves
    // no catalogue file behind.
    let tree = import::scan(&args.dir, &globs, &ctx.style)?;
    let summary = ctx.with_catalog(|catalog| {
        import_tree(
            catalog,
            &args.dir,
            tree,
            args.collection.as_deref(),
            &ctx.style,
        )
    })?;
    let human = human(&summary, &ctx.catalog);
    Ok(Output::new(&summary, human))
}

/// Stores a scanned tree in one transaction, keeping what the catalogue
/// knows that the tree cannot say (tags, verbatim marks), then fills the
/// collection.
pub fn import_tree(
    catalog: &Catalog,
    source: &Path,
    mut tree: Tree,
    collection: Option<&str>,
    style: &Style,
) -> Result<ImportSummary> {
    let mut verbatim: BTreeSet<String> = tree.verbatim.iter().cloned().collect();
    for artifact in &mut tree.artifacts {
        keep_catalogue_state(catalog, artifact, &mut verbatim)?;
    }
    // The collection is created first, so that a bad name fails before
    // anything is stored; it is removed again if the import fails.
    let created = match collection {
        None => false,
        Some(name) => match catalog.create_collection(name, "") {
            Ok(()) => true,
            Err(StoreError::AlreadyExists { .. }) => false,
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("cannot create collection `{name}`; nothing was imported")
                });
            }
        },
    };
    let bar = style.bar(tree.artifacts.len() as u64, "storing");
    let imported = catalog.import(std::mem::take(&mut tree.artifacts));
    bar.finish_and_clear();
    let report: ImportReport = match imported {
        Ok(report) => report,
        Err(e) => {
            if let (true, Some(name)) = (created, collection) {
                let _ = catalog.delete_collection(name);
            }
            return Err(e).with_context(|| {
                format!("cannot import {}; nothing was stored", source.display())
            });
        }
    };
    let keys: Vec<_> = report
        .created
        .iter()
        .chain(&report.updated)
        .chain(&report.unchanged)
        .cloned()
        .collect();
    let collection = match collection {
        None => None,
        Some(name) => {
            let added = catalog.add_to_collection(name, &keys).with_context(|| {
                format!("imported, but cannot add the artifacts to collection `{name}`")
            })?;
            let artifact_count = catalog.collection_artifact_count(name)?;
            Some(CollectionSummary {
                name: name.to_string(),
                created,
                added: added.changed.len(),
                artifact_count,
            })
        }
    };
    let strings = |v: &[stencil::store::ArtifactKey]| v.iter().map(|k| k.to_string()).collect();
    Ok(ImportSummary {
        source: source.display().to_string(),
        roots: tree.roots,
        files: tree.files,
        bytes: tree.bytes,
        changed: !report.created.is_empty() || !report.updated.is_empty(),
        created: strings(&report.created),
        updated: strings(&report.updated),
        unchanged: strings(&report.unchanged),
        verbatim: verbatim.into_iter().collect(),
        skipped: tree.skipped,
        collection,
    })
}

/// A re-import replaces an artifact's tags and file flags with what it
/// gives, so give what the catalogue already has: the user's tags, verbatim
/// marks set later, and a description when the tree has none.
fn keep_catalogue_state(
    catalog: &Catalog,
    artifact: &mut NewArtifact,
    verbatim: &mut BTreeSet<String>,
) -> Result<()> {
    let stored = match catalog.artifact(&artifact.key) {
        Ok(stored) => stored,
        Err(StoreError::NotFound { .. }) => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", artifact.key)),
    };
    artifact.tags = stored.tags;
    if artifact.description.is_empty() {
        artifact.description = stored.description;
    }
    for file in &mut artifact.files {
        if !file.verbatim
            && stored
                .files
                .iter()
                .any(|s| s.path == file.path && s.verbatim)
        {
            file.verbatim = true;
            verbatim.insert(file.path.clone());
        }
    }
    Ok(())
}

/// How many created or updated artifacts the text output names.
const LISTED: usize = 20;

fn human(s: &ImportSummary, catalog: &Path) -> String {
    let mut out = format!(
        "imported {} ({}) from {} into {}\n",
        count(s.files, "file"),
        human_bytes(s.bytes),
        s.source,
        catalog.display()
    );
    if s.changed {
        out += &format!(
            "  {} created, {} updated, {} unchanged\n",
            s.created.len(),
            s.updated.len(),
            s.unchanged.len()
        );
    } else {
        out += &format!(
            "  nothing changed: all {} already up to date\n",
            count(s.unchanged.len(), "artifact")
        );
    }
    // A big tree would bury the summary: list the first few of each kind.
    for (mark, keys) in [("+", &s.created), ("~", &s.updated)] {
        for key in keys.iter().take(LISTED) {
            out += &format!("  {mark} {key}\n");
        }
        if keys.len() > LISTED {
            out += &format!(
                "  {mark} … and {} more (--json lists all)\n",
                keys.len() - LISTED
            );
        }
    }
    if !s.verbatim.is_empty() {
        out += &format!("  {} stored verbatim\n", count(s.verbatim.len(), "file"));
    }
    for skip in &s.skipped {
        out += &format!("  skipped {} ({})\n", skip.path, skip.reason);
    }
    if let Some(c) = &s.collection {
        out += &format!(
            "  collection `{}`{}: {} added, {} in total\n",
            c.name,
            if c.created { " (new)" } else { "" },
            c.added,
            count(c.artifact_count as usize, "artifact")
        );
    }
    out
}

//! `stencil import DIR [--collection NAME] [--verbatim GLOB]...`: glue
//! around [`stencil::import`], which does the work.

use std::path::Path;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget};
use serde::Serialize;
use stencil::import::{
    self, ImportError, ImportEvent, ImportOptions, Layout, PluginImport, ScannedTree, Skipped,
    SkippedPlugin, TreeImportReport,
};
use stencil::store::Catalog;

use crate::args::ImportArgs;
use crate::context::Context;
use crate::failure::Explained;
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
    pub skipped: Vec<SkippedJson>,
    /// The collection the artifacts were put into.
    pub collection: Option<CollectionSummary>,
    /// `tree`, `plugin` or `marketplace`: how DIR was read.
    pub layout: &'static str,
    /// The plugins imported, each into the collection named after it.
    pub plugins: Vec<PluginJson>,
    /// Marketplace entries not imported, and why.
    pub skipped_plugins: Vec<SkippedPluginJson>,
    /// Artifacts whose files run code once deployed (hooks, MCP servers):
    /// review them before deploying.
    pub executable_content: Vec<String>,
}

/// A plugin an import stored.
#[derive(Debug, Serialize)]
pub struct PluginJson {
    /// Its name: its collection and the namespace of its artifacts.
    pub name: String,
    /// Its folder inside DIR (empty for a plugin root).
    pub path: String,
    /// Its version, as its manifest says.
    pub version: Option<String>,
    /// Its description.
    pub description: String,
    /// Its author.
    pub author: Option<String>,
    /// Its license.
    pub license: Option<String>,
    /// Its homepage (or repository).
    pub homepage: Option<String>,
    /// Its artifacts.
    pub artifacts: Vec<String>,
    /// Manifests for other assistants beside the one read.
    pub twins: Vec<String>,
    /// The collection named after it.
    pub collection: CollectionSummary,
}

/// A marketplace entry not imported.
#[derive(Debug, Serialize)]
pub struct SkippedPluginJson {
    /// The entry's name.
    pub name: String,
    /// Why, naming the file and field at fault.
    pub reason: String,
    /// It lives elsewhere (git, URL); stencil does not fetch.
    pub remote: bool,
}

/// Something not imported, and why.
#[derive(Debug, Serialize)]
pub struct SkippedJson {
    /// Its path inside the tree.
    pub path: String,
    /// `symlink` or `not a regular file`.
    pub reason: &'static str,
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
    /// Whether its description or metadata changed (a new plugin version).
    pub updated: bool,
}

impl From<TreeImportReport> for ImportSummary {
    fn from(r: TreeImportReport) -> ImportSummary {
        let strings = |v: &[stencil::store::ArtifactKey]| v.iter().map(|k| k.to_string()).collect();
        let collection = |c: stencil::import::CollectionImport| CollectionSummary {
            name: c.name,
            created: c.created,
            added: c.added,
            artifact_count: c.artifact_count,
            updated: c.updated,
        };
        ImportSummary {
            source: r.source.display().to_string(),
            changed: r.changed(),
            created: strings(&r.created),
            updated: strings(&r.updated),
            unchanged: strings(&r.unchanged),
            roots: r.roots,
            files: r.files,
            bytes: r.bytes,
            verbatim: r.verbatim,
            skipped: r.skipped.iter().map(skipped_json).collect(),
            collection: r.collection.map(collection),
            layout: r.layout.as_str(),
            plugins: r
                .plugins
                .into_iter()
                .map(|p: PluginImport| PluginJson {
                    artifacts: strings(&p.artifacts),
                    name: p.meta.name,
                    path: p.path,
                    version: p.meta.version,
                    description: p.meta.description,
                    author: p.meta.author,
                    license: p.meta.license,
                    homepage: p.meta.homepage,
                    twins: p.twins,
                    collection: collection(p.collection),
                })
                .collect(),
            skipped_plugins: r
                .skipped_plugins
                .into_iter()
                .map(|s: SkippedPlugin| SkippedPluginJson {
                    name: s.name,
                    reason: s.reason,
                    remote: s.remote,
                })
                .collect(),
            executable_content: strings(&r.executable),
        }
    }
}

fn skipped_json(s: &Skipped) -> SkippedJson {
    SkippedJson {
        path: s.path.clone(),
        reason: s.reason.as_str(),
    }
}

/// An import in two steps, drawing one progress bar: [`scan`](Self::scan)
/// before the catalogue is opened (a bad tree leaves no catalogue file
/// behind), then [`store`](Self::store).
pub struct Importer {
    options: ImportOptions,
    bar: ProgressBar,
}

impl Importer {
    /// Options from the command line, with a progress observer when the
    /// style allows one.
    pub fn new(
        verbatim: &[String],
        collection: Option<&str>,
        layout: Layout,
        style: &Style,
    ) -> Importer {
        let bar = style.bar(0, "reading");
        let mut options = ImportOptions::new().layout(layout);
        for glob in verbatim {
            options = options.verbatim(glob.clone());
        }
        if let Some(name) = collection {
            options = options.collection(name);
        }
        if style.progress {
            let (observer, style) = (bar.clone(), *style);
            options = options.observer(move |event: &ImportEvent<'_>| match event {
                ImportEvent::Found { files } => style.show(&observer, *files as u64),
                ImportEvent::Read { done, .. } => observer.set_position(*done as u64),
                ImportEvent::Storing { artifacts } => {
                    // Hidden while it changes from files read to artifacts
                    // stored, so no frame shows the old position over the
                    // new total (`41/2`); shown again with the new total.
                    observer.set_draw_target(ProgressDrawTarget::hidden());
                    observer.set_position(0);
                    observer.set_message("storing");
                    style.show(&observer, *artifacts as u64);
                }
                ImportEvent::Stored => {
                    if let Some(len) = observer.length() {
                        observer.set_position(len);
                    }
                }
                _ => {}
            });
        }
        Importer { options, bar }
    }

    /// Reads the tree; nothing is stored.
    pub fn scan(&self, dir: &Path) -> Result<ScannedTree> {
        import::scan_tree(dir, &self.options).map_err(|e| {
            self.bar.finish_and_clear();
            cli_error(e)
        })
    }

    /// Stores a scanned tree in one transaction, keeping the catalogue's
    /// tags and verbatim marks, then fills the collection.
    pub fn store(&self, catalog: &Catalog, tree: ScannedTree) -> Result<ImportSummary> {
        let report = import::import_scanned(catalog, tree, &self.options);
        self.bar.finish_and_clear();
        Ok(report.map_err(cli_error)?.into())
    }
}

/// The library's error, with the command line's names for its options.
fn cli_error(e: ImportError) -> anyhow::Error {
    match &e {
        ImportError::Glob { glob, reason } => {
            let message = format!("invalid --verbatim glob `{glob}`: {reason}");
            Explained::import(message, e)
        }
        _ => e.into(),
    }
}

/// Runs `stencil import`.
pub fn run(ctx: &Context, args: &ImportArgs) -> Result<Output> {
    let layout = match args.layout.as_deref() {
        None => Layout::Auto,
        Some(name) => name.parse()?,
    };
    let importer = Importer::new(
        &args.verbatim,
        args.collection.as_deref(),
        layout,
        &ctx.style,
    );
    // Read the whole tree before touching the catalogue: a bad tree leaves
    // no catalogue file behind.
    let tree = importer.scan(&args.dir)?;
    let summary = ctx.with_catalog(|catalog| importer.store(catalog, tree))?;
    let human = human(&summary, &ctx.catalog_display());
    Ok(Output::new(&summary, human))
}

/// `the artifact is already up to date`, `all 9 artifacts are …`.
fn up_to_date(n: usize) -> String {
    match n {
        0 => "no artifacts".to_string(),
        1 => "the artifact is already up to date".to_string(),
        n => format!("all {n} artifacts are already up to date"),
    }
}

/// How many created or updated artifacts the text output names.
const LISTED: usize = 20;

fn human(s: &ImportSummary, catalog: &str) -> String {
    let mut out = format!(
        "imported {} ({}) from {} into {}\n",
        count(s.files, "file"),
        human_bytes(s.bytes),
        s.source,
        catalog
    );
    if s.changed {
        out += &format!(
            "  {} created, {} updated, {} unchanged\n",
            s.created.len(),
            s.updated.len(),
            s.unchanged.len()
        );
    } else {
        out += &format!("  nothing changed: {}\n", up_to_date(s.unchanged.len()));
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
    for skip in s.skipped.iter().take(LISTED) {
        out += &format!("  skipped {} ({})\n", skip.path, skip.reason);
    }
    if s.skipped.len() > LISTED {
        out += &format!(
            "  skipped … and {} more (--json lists all)\n",
            s.skipped.len() - LISTED
        );
    }
    for p in &s.plugins {
        let c = &p.collection;
        out += &format!(
            "  plugin `{}`{}{}: collection `{}`{}, {}\n",
            p.name,
            p.version
                .as_deref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default(),
            if p.path.is_empty() {
                String::new()
            } else {
                format!(" ({})", p.path)
            },
            c.name,
            if c.created {
                " (new)"
            } else if c.updated {
                " (updated)"
            } else {
                ""
            },
            count(c.artifact_count as usize, "artifact")
        );
        if !p.twins.is_empty() {
            out += &format!("    also for other assistants: {}\n", p.twins.join(", "));
        }
    }
    for p in &s.skipped_plugins {
        out += &format!("  skipped plugin `{}`: {}\n", p.name, p.reason);
    }
    if !s.executable_content.is_empty() {
        out += &format!(
            "  executable content (runs on your machine once deployed; review with \
             `stencil artifact show KEY`): {}\n",
            s.executable_content.join(", ")
        );
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

//! What a scan found and what an import did.

use std::fmt;
use std::path::{Path, PathBuf};

use super::layout::Layout;
use super::manifest::PluginMeta;
use crate::store::{ArtifactKey, NewArtifact};

/// Why something in the tree was not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SkipReason {
    /// A symbolic link: never followed.
    Symlink,
    /// A FIFO, socket, device…
    NotRegularFile,
    /// A file of a plugin outside its component folders (`README.md`,
    /// `LICENSE`, tests…): it describes the package, not a project.
    NotAnArtifact,
    /// A plugin's metadata folder (`.claude-plugin/`, …) beyond the
    /// manifest that was read.
    PluginMetadata,
}

impl SkipReason {
    /// `symlink`, `not a regular file`, `not part of any artifact` or
    /// `plugin metadata`.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Symlink => "symlink",
            SkipReason::NotRegularFile => "not a regular file",
            SkipReason::NotAnArtifact => "not part of any artifact",
            SkipReason::PluginMetadata => "plugin metadata",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something in the tree that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its path inside the tree.
    pub path: String,
    /// Why.
    pub reason: SkipReason,
}

/// A tree read from disk and mapped to artifacts, not yet stored. Made by
/// [`scan_tree`](super::scan_tree), stored by
/// [`import_scanned`](super::import_scanned).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ScannedTree {
    /// The directory read.
    pub source: PathBuf,
    /// The artifacts, sorted by key.
    pub artifacts: Vec<NewArtifact>,
    /// Regular files read.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
    /// Target paths to store verbatim (binary, or matched a verbatim glob),
    /// sorted.
    pub verbatim: Vec<String>,
    /// What was not imported.
    pub skipped: Vec<Skipped>,
    /// The root folders found (`.claude`, …).
    pub roots: Vec<String>,
    /// The layout the directory was read in (never [`Layout::Auto`]).
    pub layout: Layout,
    /// The plugins read (a plugin root gives one, a marketplace one per
    /// local entry imported), by name.
    pub plugins: Vec<ScannedPlugin>,
    /// Marketplace entries not imported, in listing order.
    pub skipped_plugins: Vec<SkippedPlugin>,
}

impl ScannedTree {
    pub(super) fn empty(source: &Path, layout: Layout) -> ScannedTree {
        ScannedTree {
            source: source.to_path_buf(),
            artifacts: Vec::new(),
            files: 0,
            bytes: 0,
            verbatim: Vec::new(),
            skipped: Vec::new(),
            roots: Vec::new(),
            layout,
            plugins: Vec::new(),
            skipped_plugins: Vec::new(),
        }
    }
}

/// A plugin read from disk: the collection it becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScannedPlugin {
    /// What its manifest (and marketplace entry) says.
    pub meta: PluginMeta,
    /// Its folder inside the imported directory (`""` for a plugin root).
    pub path: String,
    /// Its artifacts, sorted.
    pub artifacts: Vec<ArtifactKey>,
    /// Manifests for other assistants beside the one read
    /// (`.codex-plugin/plugin.json`, …), paths inside the plugin.
    pub twins: Vec<String>,
}

/// A marketplace entry that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SkippedPlugin {
    /// The entry's name (`plugins[N]` when it has none).
    pub name: String,
    /// Why, naming the file and field where the entry is malformed.
    pub reason: String,
    /// The plugin lives elsewhere (a git repository, a URL…); stencil does
    /// not fetch it.
    pub remote: bool,
}

/// A plugin stored by an import, and its collection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PluginImport {
    /// What its manifest says.
    pub meta: PluginMeta,
    /// Its folder inside the imported directory.
    pub path: String,
    /// Its artifacts.
    pub artifacts: Vec<ArtifactKey>,
    /// Manifests for other assistants that were read past.
    pub twins: Vec<String>,
    /// The collection named after it.
    pub collection: CollectionImport,
}

/// The collection an import filled.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CollectionImport {
    /// Its name.
    pub name: String,
    /// Whether this import created it.
    pub created: bool,
    /// Artifacts this import added to it.
    pub added: usize,
    /// Its size afterwards.
    pub artifact_count: u64,
    /// Whether this import changed its description or metadata (a plugin
    /// re-imported at a new version).
    pub updated: bool,
}

/// What [`import_tree`](super::import_tree) did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TreeImportReport {
    /// The imported directory.
    pub source: PathBuf,
    /// The root folders found in it.
    pub roots: Vec<String>,
    /// Regular files read.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
    /// Artifacts that did not exist.
    pub created: Vec<ArtifactKey>,
    /// Artifacts whose files, description or source changed (a changed
    /// file makes a new version, see
    /// [`Catalog::versions`](crate::store::Catalog::versions)).
    pub updated: Vec<ArtifactKey>,
    /// Artifacts already stored exactly so.
    pub unchanged: Vec<ArtifactKey>,
    /// Target paths stored verbatim (matched a glob, binary, or already
    /// marked in the catalogue), sorted.
    pub verbatim: Vec<String>,
    /// Symbolic links and special files that were not imported.
    pub skipped: Vec<Skipped>,
    /// The collection filled, if one was asked for.
    pub collection: Option<CollectionImport>,
    /// The layout the directory was read in.
    pub layout: Layout,
    /// The plugins imported, each into its own collection.
    pub plugins: Vec<PluginImport>,
    /// Marketplace entries not imported, and why.
    pub skipped_plugins: Vec<SkippedPlugin>,
    /// Artifacts whose files run code on the user's machine (hooks, MCP
    /// servers; see [`is_executable_content`](crate::is_executable_content)):
    /// review them before deploying.
    pub executable: Vec<ArtifactKey>,
}

impl TreeImportReport {
    /// Whether any artifact was created or updated.
    pub fn changed(&self) -> bool {
        !self.created.is_empty() || !self.updated.is_empty()
    }

    /// True when the import wrote nothing at all to the catalogue: no
    /// artifact created or updated, no collection created or filled.
    pub fn wrote_nothing(&self) -> bool {
        let untouched = |c: &CollectionImport| !c.created && !c.updated && c.added == 0;
        !self.changed()
            && self.collection.as_ref().is_none_or(untouched)
            && self.plugins.iter().all(|p| untouched(&p.collection))
    }

    /// A one-line summary, e.g. `12 files: 3 created, 1 updated, 8
    /// unchanged` or `12 files: nothing written, all 9 artifacts are already
    /// up to date`.
    pub fn summary(&self) -> String {
        let files = plural(self.files, "file");
        let mut line = if self.wrote_nothing() {
            match self.unchanged.len() {
                0 => format!("{files}: nothing written, no artifacts"),
                1 => format!("{files}: nothing written, the artifact is already up to date"),
                n => format!("{files}: nothing written, all {n} artifacts are already up to date"),
            }
        } else {
            format!(
                "{files}: {} created, {} updated, {} unchanged",
                self.created.len(),
                self.updated.len(),
                self.unchanged.len()
            )
        };
        if !self.skipped.is_empty() {
            line += &format!(", {} skipped", self.skipped.len());
        }
        if !self.plugins.is_empty() || !self.skipped_plugins.is_empty() {
            line += &format!(", {}", plural(self.plugins.len(), "plugin"));
            if !self.skipped_plugins.is_empty() {
                line += &format!(" ({} skipped)", self.skipped_plugins.len());
            }
        }
        if !self.executable.is_empty() {
            line += &format!(
                ", {} with executable content",
                plural(self.executable.len(), "artifact")
            );
        }
        line
    }
}

fn plural(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("{n} {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

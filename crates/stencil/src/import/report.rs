//! What a scan found and what an import did.

use std::fmt;
use std::path::PathBuf;

use crate::store::{ArtifactKey, NewArtifact};

/// Why something in the tree was not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SkipReason {
    /// A symbolic link: never followed.
    Symlink,
    /// A FIFO, socket, device…
    NotRegularFile,
}

impl SkipReason {
    /// `symlink` or `not a regular file`.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Symlink => "symlink",
            SkipReason::NotRegularFile => "not a regular file",
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
}

impl TreeImportReport {
    /// Whether any artifact was created or updated.
    pub fn changed(&self) -> bool {
        !self.created.is_empty() || !self.updated.is_empty()
    }

    /// True when the import wrote nothing at all to the catalogue: no
    /// artifact created or updated, no collection created or filled.
    pub fn wrote_nothing(&self) -> bool {
        !self.changed()
            && self
                .collection
                .as_ref()
                .is_none_or(|c| !c.created && c.added == 0)
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

//! Importing a real assistant-config tree (`.claude/`, `.codex/`,
//! `.gemini/`, `.cursor/`) from disk into a [`Catalog`].
//!
//! The mapping, under each root folder:
//!
//! | path under the root        | artifact                                   |
//! |----------------------------|--------------------------------------------|
//! | `skills/<name>/**`         | one `skill:<name>` holding every file      |
//! | `commands/**/*.md`         | `command:<path without .md>`               |
//! | `agents/**/*.md`           | `agent:<path without .md>`                 |
//! | `rules/**`                 | `rule_file:<path without .md>`             |
//! | anything else              | `context_file:<target path>`               |
//!
//! Next to the root folders, the well-known context files in the imported
//! directory itself ([`TOP_LEVEL_CONTEXT`], e.g. `CLAUDE.md`) become
//! `context_file` artifacts too. Target paths keep their place: a file at
//! `DIR/.claude/rules/api.md` deploys to `.claude/rules/api.md`. The
//! description of a skill, command or agent comes from the `description:`
//! of its YAML front matter.
//!
//! Guarantees:
//!
//! * Symbolic links are never followed (they are listed in
//!   [`TreeImportReport::skipped`]), nor is anything that is not a regular
//!   file. A file or directory that cannot be read is an
//!   [`ImportError::Read`] naming it.
//! * Each file's executable bit is recorded; binary files (a NUL byte in the
//!   first 8 KiB) and files matching a verbatim glob are stored verbatim.
//! * The whole tree is read before the catalogue is touched, and every
//!   artifact is stored in one transaction: nothing is half-imported.
//! * Re-importing an unchanged tree writes nothing
//!   ([`TreeImportReport::wrote_nothing`]); a changed file gives its
//!   artifact — and only that artifact — a new version. Tags, verbatim marks
//!   and descriptions already in the catalogue survive re-imports.
//!
//! Cost: every file is read into memory once (the tree is held whole until
//! it is stored) and hashed once; a re-import also reads each stored
//! artifact once to carry its catalogue state over.
//!
//! # Example
//!
//! ```
//! use stencil::import::{ImportOptions, import_tree};
//! use stencil::store::{ArtifactKey, Catalog};
//!
//! let dir = tempfile::tempdir()?;
//! let root = dir.path().join(".claude");
//! std::fs::create_dir_all(root.join("skills/review/scripts"))?;
//! std::fs::write(root.join("skills/review/SKILL.md"), "---\ndescription: Review\n---\n# {{PROJECT_NAME}}\n")?;
//! std::fs::write(root.join("skills/review/scripts/gen.py"), "print(f\"{{{NS}}}\")\n")?;
//! std::fs::create_dir_all(root.join("rules"))?;
//! std::fs::write(root.join("rules/api.md"), "Be kind to {{PROJECT_NAME}}.\n")?;
//!
//! let catalog = Catalog::open_in_memory()?;
//! let options = ImportOptions::new().verbatim("*.py").collection("mine");
//! let report = import_tree(&catalog, dir.path(), &options)?;
//! assert_eq!(report.created.len(), 2);
//! assert_eq!(report.verbatim, [".claude/skills/review/scripts/gen.py"]);
//! let skill = catalog.artifact(&ArtifactKey::parse("skill:review")?)?;
//! assert_eq!(skill.description, "Review");
//!
//! // Nothing changed on disk: nothing is written.
//! let again = import_tree(&catalog, dir.path(), &options)?;
//! assert!(again.wrote_nothing());
//! println!("{}", again.summary());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::store::{self, ArtifactKey, Catalog, NewArtifact};

mod scan;

pub use self::scan::TOP_LEVEL_CONTEXT;

/// Everything an import can fail with. Each variant names the path (or
/// glob, or collection) and what went wrong; none leaves anything
/// half-imported. (Catalogue errors are boxed to keep this type small.)
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The given path is not a directory.
    #[error(
        "{} is not a directory; give a .claude/ (or .codex/, .gemini/, .cursor/) folder \
         or a directory holding one",
        path.display()
    )]
    NotADirectory {
        /// The path as given.
        path: PathBuf,
    },
    /// The directory neither is nor holds a known root folder.
    #[error(
        "{} neither is nor contains a .claude/, .codex/, .gemini/ or .cursor/ folder; \
         nothing to import",
        path.display()
    )]
    NoRoot {
        /// The directory as given.
        path: PathBuf,
    },
    /// A file or directory could not be read.
    #[error("cannot read {what} {}: {source}", path.display())]
    Read {
        /// `file` or `directory`.
        what: &'static str,
        /// The path on disk.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file name in the tree is not valid UTF-8, so it cannot become a
    /// target path.
    #[error("file name {} is not valid UTF-8; rename it or move it out of the tree", path.display())]
    NonUtf8Name {
        /// The path on disk.
        path: PathBuf,
    },
    /// A verbatim glob does not compile.
    #[error("invalid verbatim glob `{glob}`: {reason}")]
    Glob {
        /// The glob as given.
        glob: String,
        /// Why it was refused.
        reason: String,
    },
    /// Two files from different root folders map to the same artifact.
    #[error(
        "`{first}` and `{second}` both map to artifact `{artifact}`; import one root folder \
         at a time (e.g. `stencil import DIR/.claude`)"
    )]
    Collision {
        /// The artifact key.
        artifact: String,
        /// The first file (path inside the tree) that mapped to it.
        first: String,
        /// The file that collided with it.
        second: String,
    },
    /// A file's path does not make a valid artifact key or file path.
    #[error("cannot import {}: {source}", path.display())]
    Artifact {
        /// The path on disk.
        path: PathBuf,
        /// Why the catalogue refused it.
        source: Box<store::Error>,
    },
    /// The collection could not be created (a bad name, say); nothing was
    /// imported.
    #[error("cannot create collection `{name}`; nothing was imported: {source}")]
    Collection {
        /// The collection name.
        name: String,
        /// Why.
        source: Box<store::Error>,
    },
    /// Storing failed; the transaction was rolled back and nothing was stored.
    #[error("cannot import {}; nothing was stored: {source}", path.display())]
    Store {
        /// The imported directory.
        path: PathBuf,
        /// Why.
        source: Box<store::Error>,
    },
    /// The artifacts were stored, but adding them to the collection failed.
    /// Importing again (nothing else will change) completes the job.
    #[error(
        "imported {}, but cannot add the artifacts to collection `{name}` (import again to \
         retry): {source}",
        path.display()
    )]
    CollectionFill {
        /// The imported directory.
        path: PathBuf,
        /// The collection name.
        name: String,
        /// Why.
        source: Box<store::Error>,
    },
}

/// A progress event of an import.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum ImportEvent<'a> {
    /// The walk is done: this many regular files will be read.
    Found {
        /// Files to read.
        files: usize,
    },
    /// A file was read.
    Read {
        /// Files read so far.
        done: usize,
        /// Files to read.
        total: usize,
        /// Its path inside the tree.
        path: &'a str,
        /// Its size.
        bytes: u64,
    },
    /// The artifacts are being stored (one transaction).
    Storing {
        /// Artifacts to store.
        artifacts: usize,
    },
    /// The transaction committed (or wrote nothing).
    Stored,
}

/// Receives progress events. The library itself prints nothing.
///
/// Any `Fn(&ImportEvent) + Send + Sync` closure is an observer.
pub trait ImportObserver: Send + Sync {
    /// Called for each event; should return quickly.
    fn on_event(&self, event: &ImportEvent<'_>);
}

impl<F: Fn(&ImportEvent<'_>) + Send + Sync> ImportObserver for F {
    fn on_event(&self, event: &ImportEvent<'_>) {
        self(event)
    }
}

/// How to import a tree. Built by value:
///
/// ```
/// use stencil::import::{ImportEvent, ImportOptions};
///
/// let options = ImportOptions::new()
///     .verbatim("*.py")
///     .verbatim("**/templates/**")
///     .collection("team")
///     .observer(|event: &ImportEvent<'_>| { let _ = event; });
/// assert_eq!(options.verbatim_globs(), ["*.py", "**/templates/**"]);
/// assert_eq!(options.collection_name(), Some("team"));
/// ```
#[derive(Clone, Default)]
pub struct ImportOptions {
    verbatim: Vec<String>,
    collection: Option<String>,
    observer: Option<Arc<dyn ImportObserver>>,
}

impl ImportOptions {
    /// The defaults: no verbatim globs (binary files are verbatim anyway),
    /// no collection, no observer.
    pub fn new() -> ImportOptions {
        ImportOptions::default()
    }

    /// Store files matching `glob` verbatim (never rendered). Repeatable.
    ///
    /// [`globset`](https://docs.rs/globset) syntax, where `*` also matches
    /// `/` (`*.py` matches at any depth). It is matched against the path
    /// inside the imported directory and against the target path. A glob
    /// that does not compile makes [`scan_tree`] fail with
    /// [`ImportError::Glob`].
    pub fn verbatim(mut self, glob: impl Into<String>) -> ImportOptions {
        self.verbatim.push(glob.into());
        self
    }

    /// Put every imported artifact into this collection, created if needed.
    pub fn collection(mut self, name: impl Into<String>) -> ImportOptions {
        self.collection = Some(name.into());
        self
    }

    /// Receive progress events.
    pub fn observer(mut self, observer: impl ImportObserver + 'static) -> ImportOptions {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// The verbatim globs, as given.
    pub fn verbatim_globs(&self) -> &[String] {
        &self.verbatim
    }

    /// The collection, if any.
    pub fn collection_name(&self) -> Option<&str> {
        self.collection.as_deref()
    }

    fn emit(&self, event: ImportEvent<'_>) {
        if let Some(observer) = &self.observer {
            observer.on_event(&event);
        }
    }
}

impl fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportOptions")
            .field("verbatim", &self.verbatim)
            .field("collection", &self.collection)
            .field("observer", &self.observer.as_ref().map(|_| "…"))
            .finish()
    }
}

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
/// [`scan_tree`], stored by [`import_scanned`].
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

/// What [`import_tree`] did.
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
    /// file makes a new version, see [`Catalog::versions`]).
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
    /// unchanged` or `12 files: nothing written, all 9 artifacts already up
    /// to date`.
    pub fn summary(&self) -> String {
        let files = plural(self.files, "file");
        let mut line = if self.wrote_nothing() {
            format!(
                "{files}: nothing written, all {} already up to date",
                plural(self.unchanged.len(), "artifact")
            )
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

/// Reads the tree at `dir` and maps it to artifacts; nothing is stored.
///
/// `dir` is a root folder (`.claude/`, …) or a directory holding one or
/// more. Every regular file is read into memory. Use this, then
/// [`import_scanned`], to fail on a bad tree before opening (or creating)
/// a catalogue; [`import_tree`] does both.
pub fn scan_tree(
    dir: impl AsRef<Path>,
    options: &ImportOptions,
) -> Result<ScannedTree, ImportError> {
    scan::scan(dir.as_ref(), options)
}

/// Reads the tree at `dir` and stores it in `catalog`: [`scan_tree`]
/// followed by [`import_scanned`].
pub fn import_tree(
    catalog: &Catalog,
    dir: impl AsRef<Path>,
    options: &ImportOptions,
) -> Result<TreeImportReport, ImportError> {
    let tree = scan_tree(dir, options)?;
    import_scanned(catalog, tree, options)
}

/// Stores a scanned tree in one transaction, keeping what the catalogue
/// knows that the tree cannot say (tags, verbatim marks set later, a
/// description when the tree has none), then fills the collection of
/// `options`, if any.
///
/// The collection is created first, so that a bad name fails before
/// anything is stored; it is removed again if storing fails.
pub fn import_scanned(
    catalog: &Catalog,
    mut tree: ScannedTree,
    options: &ImportOptions,
) -> Result<TreeImportReport, ImportError> {
    let source = tree.source.clone();
    let store_error = |e| ImportError::Store {
        path: source.clone(),
        source: Box::new(e),
    };
    let mut verbatim: BTreeSet<String> = tree.verbatim.iter().cloned().collect();
    for artifact in &mut tree.artifacts {
        keep_catalogue_state(catalog, artifact, &mut verbatim).map_err(store_error)?;
    }
    let collection = options.collection_name();
    let created = match collection {
        None => false,
        Some(name) => match catalog.create_collection(name, "") {
            Ok(()) => true,
            Err(store::Error::AlreadyExists { .. }) => false,
            Err(source) => {
                return Err(ImportError::Collection {
                    name: name.to_string(),
                    source: Box::new(source),
                });
            }
        },
    };
    options.emit(ImportEvent::Storing {
        artifacts: tree.artifacts.len(),
    });
    let report = match catalog.import(std::mem::take(&mut tree.artifacts)) {
        Ok(report) => report,
        Err(e) => {
            if let (true, Some(name)) = (created, collection) {
                // Best effort: the collection was empty and ours.
                let _ = catalog.delete_collection(name);
            }
            return Err(store_error(e));
        }
    };
    options.emit(ImportEvent::Stored);
    let collection = match collection {
        None => None,
        Some(name) => {
            let fill_error = |e| ImportError::CollectionFill {
                path: tree.source.clone(),
                name: name.to_string(),
                source: Box::new(e),
            };
            let keys: Vec<ArtifactKey> = report
                .created
                .iter()
                .chain(&report.updated)
                .chain(&report.unchanged)
                .cloned()
                .collect();
            let added = catalog.add_to_collection(name, &keys).map_err(fill_error)?;
            let artifact_count = catalog
                .collection_artifact_count(name)
                .map_err(fill_error)?;
            Some(CollectionImport {
                name: name.to_string(),
                created,
                added: added.changed.len(),
                artifact_count,
            })
        }
    };
    Ok(TreeImportReport {
        source: tree.source,
        roots: tree.roots,
        files: tree.files,
        bytes: tree.bytes,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
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
) -> Result<(), store::Error> {
    let stored = match catalog.artifact(&artifact.key) {
        Ok(stored) => stored,
        Err(store::Error::NotFound { .. }) => return Ok(()),
        Err(e) => return Err(e),
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

//! What an import can fail with.

use std::path::PathBuf;

use crate::store;

/// Everything an import can fail with. Each variant names the path (or
/// glob, or collection) and what went wrong; none leaves anything
/// half-imported. (Catalogue errors are boxed to keep this type small.)
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The given path is not a directory.
    #[error(
        "{} is not a directory; give a .claude/ (or .codex/, .gemini/, .cursor/, .agents/) \
         folder or a directory holding one, a plugin or a marketplace",
        path.display()
    )]
    NotADirectory {
        /// The path as given.
        path: PathBuf,
    },
    /// The directory neither is nor holds a known root folder, and is no
    /// plugin or marketplace.
    #[error(
        "{} neither is nor contains a .claude/, .codex/, .gemini/, .cursor/ or .agents/ \
         folder, and has no .claude-plugin/plugin.json or marketplace.json; nothing to import",
        path.display()
    )]
    NoRoot {
        /// The directory as given.
        path: PathBuf,
    },
    /// A plugin or marketplace metadata file is malformed: invalid JSON, a
    /// missing or wrong field, a path escaping its root. Nothing was
    /// imported.
    #[error("{}{}: {reason}; nothing was imported", file.display(), if field.is_empty() { String::new() } else { format!(": field `{field}`") })]
    Metadata {
        /// The metadata file.
        file: PathBuf,
        /// The field at fault (`plugins[2].source`), or empty for the
        /// file as a whole.
        field: String,
        /// What is wrong with it.
        reason: String,
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

//! How to import a tree, and the progress events an import sends.

use std::fmt;
use std::sync::Arc;

use super::layout::Layout;

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
    layout: Layout,
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
    /// that does not compile makes [`scan_tree`](super::scan_tree) fail with
    /// [`ImportError::Glob`](super::ImportError::Glob).
    pub fn verbatim(mut self, glob: impl Into<String>) -> ImportOptions {
        self.verbatim.push(glob.into());
        self
    }

    /// Put every imported artifact into this collection, created if needed.
    pub fn collection(mut self, name: impl Into<String>) -> ImportOptions {
        self.collection = Some(name.into());
        self
    }

    /// Read the directory in this layout instead of deciding by its
    /// metadata files ([`Layout::Auto`], the default).
    pub fn layout(mut self, layout: Layout) -> ImportOptions {
        self.layout = layout;
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

    /// The layout asked for.
    pub fn layout_kind(&self) -> Layout {
        self.layout
    }

    pub(super) fn emit(&self, event: ImportEvent<'_>) {
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
            .field("layout", &self.layout)
            .field("observer", &self.observer.as_ref().map(|_| "…"))
            .finish()
    }
}

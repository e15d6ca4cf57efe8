//! Importing a real assistant-config tree (`.claude/`, `.codex/`,
//! `.gemini/`, `.cursor/`, `.agents/`), a Claude Code plugin or a plugin
//! marketplace from disk into a [`Catalog`].
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
//! # Plugins and marketplaces
//!
//! A directory with `.claude-plugin/plugin.json` (or a twin for another
//! assistant) is read as a Claude Code plugin, one with
//! `.claude-plugin/marketplace.json` as a marketplace of plugins ([`detect`];
//! [`ImportOptions::layout`] forces a [`Layout`]). Each plugin becomes one
//! collection named after it, carrying its [`PluginMeta`], and its
//! artifacts are namespaced by it — `agent:<plugin>/<name>` — so that
//! same-named files of different plugins both survive; plain trees keep
//! un-namespaced keys. Hooks and `.mcp.json` become `hook:<plugin>` and
//! `mcp:<plugin>`, stored verbatim and listed in
//! [`TreeImportReport::executable`]. Malformed metadata is an
//! [`ImportError::Metadata`] naming file and field, before anything is
//! stored; a bad marketplace entry is listed in
//! [`TreeImportReport::skipped_plugins`] and the others are imported.
//!
//! ```
//! use stencil::import::{ImportOptions, Layout, import_tree};
//! use stencil::store::{ArtifactKey, Catalog};
//!
//! let dir = tempfile::tempdir()?;
//! let plugin = dir.path().join("reviewer");
//! std::fs::create_dir_all(plugin.join(".claude-plugin"))?;
//! std::fs::write(
//!     plugin.join(".claude-plugin/plugin.json"),
//!     r#"{"name": "reviewer", "version": "1.0.0", "description": "Reviews"}"#,
//! )?;
//! std::fs::create_dir_all(plugin.join("agents"))?;
//! std::fs::write(plugin.join("agents/critic.md"), "Be precise.\n")?;
//!
//! let catalog = Catalog::open_in_memory()?;
//! let report = import_tree(&catalog, &plugin, &ImportOptions::new())?;
//! assert_eq!(report.layout, Layout::Plugin);
//! let agent = catalog.artifact(&ArtifactKey::parse("agent:reviewer/critic")?)?;
//! assert_eq!(agent.files[0].path, ".claude/agents/critic.md");
//! assert_eq!(catalog.collection("reviewer")?.meta.version.as_deref(), Some("1.0.0"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
//!   artifact is stored in one transaction: nothing is half-imported. A
//!   large file (over 1 MiB, or any once the scanned tree holds 16 MiB) is
//!   hashed while it is read and read again when it is stored
//!   ([`NewFile::sourced`](crate::store::NewFile::sourced)); if it changed
//!   or vanished in between, the import fails with
//!   [`ImportError::Store`] (`SourceChanged` / `SourceRead`) and stores
//!   nothing.
//! * Re-importing an unchanged tree writes nothing
//!   ([`TreeImportReport::wrote_nothing`]); a changed file gives its
//!   artifact — and only that artifact — a new version. Tags and verbatim
//!   marks already in the catalogue survive re-imports; the description is
//!   what the tree says now (a front matter that lost `description:` clears
//!   it).
//!
//! Cost: every file is read and hashed once; a small file is held until it
//! is stored, a large one is read a second time (in 64 KiB pieces) when it
//! is stored, unless the catalogue holds its content already. Memory is a
//! fixed budget (16 MiB of held files, SQLite's page cache, the read
//! buffers), not the template's size. A re-import also reads each stored
//! artifact's outline (flags, tags; no content) once to carry its
//! catalogue state over. The front matter (the description) of a large
//! main file is read from its first 64 KiB.
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

use std::path::Path;

use crate::store::Catalog;

mod error;
mod layout;
mod manifest;
mod marketplace;
mod options;
mod plugin;
mod report;
mod scan;
mod write;

pub use self::error::ImportError;
pub use self::layout::{Layout, UnknownLayout, detect};
pub(crate) use self::manifest::check_plugin_name;
pub use self::manifest::{MARKETPLACE_MANIFEST, PLUGIN_MANIFEST, PluginMeta, TWIN_MANIFESTS};
pub use self::options::{ImportEvent, ImportObserver, ImportOptions};
pub(crate) use self::plugin::ROOT_CONTEXT;
pub use self::report::{
    CollectionImport, PluginImport, ScannedPlugin, ScannedTree, SkipReason, Skipped, SkippedPlugin,
    TreeImportReport,
};
pub use self::scan::TOP_LEVEL_CONTEXT;
pub use self::write::import_scanned;

/// Reads the tree at `dir` and maps it to artifacts; nothing is stored.
///
/// `dir` is a root folder (`.claude/`, …) or a directory holding one or
/// more. Every regular file is read; small ones are held in memory, large
/// ones only hashed (sourced files, stored from disk by [`import_scanned`]:
/// keep the tree unchanged until then). Use this, then
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

//! Which layout a directory is in: a plain tree, a plugin, a marketplace.

use std::fmt;
use std::fs;
use std::path::Path;
use std::str::FromStr;

use super::manifest::{MARKETPLACE_MANIFEST, PLUGIN_MANIFEST, TWIN_MANIFESTS};

/// How to read the imported directory. [`Auto`](Layout::Auto) decides by
/// the metadata files present (see [`detect`]); the others force a reading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layout {
    /// Decide by the metadata files.
    #[default]
    Auto,
    /// Root folders (`.claude/`, `.codex/`, `.gemini/`, `.cursor/`,
    /// `.agents/`) and top-level context files; artifact keys are not
    /// namespaced.
    Tree,
    /// One plugin: `agents/`, `commands/`, `skills/`, `hooks/`, `.mcp.json`
    /// beside `.claude-plugin/plugin.json`; one collection, namespaced keys.
    Plugin,
    /// `.claude-plugin/marketplace.json` listing plugins; each local one is
    /// imported as a plugin.
    Marketplace,
}

impl Layout {
    /// `auto`, `tree`, `plugin` or `marketplace`.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Auto => "auto",
            Layout::Tree => "tree",
            Layout::Plugin => "plugin",
            Layout::Marketplace => "marketplace",
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a layout name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown layout `{0}`; expected auto, tree, plugin or marketplace")]
pub struct UnknownLayout(pub String);

impl FromStr for Layout {
    type Err = UnknownLayout;

    fn from_str(s: &str) -> Result<Layout, UnknownLayout> {
        Ok(match s {
            "auto" => Layout::Auto,
            "tree" => Layout::Tree,
            "plugin" => Layout::Plugin,
            "marketplace" => Layout::Marketplace,
            other => return Err(UnknownLayout(other.to_string())),
        })
    }
}

/// The layout `dir`'s metadata files show, in this order: a
/// `.claude-plugin/marketplace.json` makes a marketplace (even when a
/// `plugin.json` sits beside it: its plugins say what to import); a
/// `.claude-plugin/plugin.json`, or one of its twins
/// (`.codex-plugin/plugin.json`, `.cursor-plugin/plugin.json`), a plugin;
/// anything else a plain tree. A metadata file that is a symbolic link
/// still counts, so that reading it fails loudly instead of silently
/// importing the directory as something else.
pub fn detect(dir: &Path) -> Layout {
    let present = |rel: &str| fs::symlink_metadata(dir.join(rel)).is_ok();
    if present(MARKETPLACE_MANIFEST) {
        Layout::Marketplace
    } else if present(PLUGIN_MANIFEST) || TWIN_MANIFESTS.iter().any(|t| present(t)) {
        Layout::Plugin
    } else {
        Layout::Tree
    }
}

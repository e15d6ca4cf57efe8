//! The names stencil uses inside its state directory (`.stencil/`).

use std::path::{Path, PathBuf};

use crate::path::STATE_DIR;

/// Present from before the first placement until the commit point.
pub(super) const JOURNAL: &str = "deploy-journal";
/// The journal being written, renamed to [`JOURNAL`] once complete.
pub(super) const JOURNAL_TMP: &str = "deploy-journal.tmp";
/// Staged files: one flat directory per staging thread ("lane", so that
/// threads never contend for one directory's lock) — lane 0 is this
/// directory itself, lane `k` its subdirectory `lane<k>`. Slot `<i>` of a
/// lane holds entry `i`; after an exchange it holds the old file, which is
/// the backup. No mirror tree: creating directories is slow here.
pub(super) const STAGING: &str = "deploy-staging";

/// The path of `name` in the state directory of `root`, for messages.
pub(super) fn state_path(root: &Path, name: &str) -> PathBuf {
    root.join(STATE_DIR).join(name)
}

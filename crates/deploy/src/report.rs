//! What a deploy or a recovery did.

use std::path::PathBuf;
use std::time::Duration;

use crate::path::RelPath;

/// What a [`deploy`](crate::deploy) did (or, for a dry run, would do).
///
/// Every planned path appears in exactly one of `written`, `overwritten`
/// and `skipped`, each list in plan order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeployReport {
    /// The project root.
    pub root: PathBuf,
    /// Files that did not exist and now hold the planned content.
    pub written: Vec<RelPath>,
    /// Files that existed and now hold the planned content.
    pub overwritten: Vec<RelPath>,
    /// Files that existed and were left untouched by the skip policy.
    pub skipped: Vec<RelPath>,
    /// Directories created under the root, parents before children.
    pub dirs_created: Vec<RelPath>,
    /// Whether the root itself (and perhaps some of its ancestors) was
    /// created.
    pub root_created: bool,
    /// Bytes in the written and overwritten files.
    pub bytes: u64,
    /// Wall time of the whole call.
    pub elapsed: Duration,
    /// Whether this was a dry run (nothing was changed).
    pub dry_run: bool,
    /// What was found and repaired from an interrupted earlier deploy.
    pub recovered: Option<RecoveryReport>,
}

impl DeployReport {
    /// A report of nothing done yet.
    pub(crate) fn empty(root: PathBuf, dry_run: bool) -> DeployReport {
        DeployReport {
            root,
            written: Vec::new(),
            overwritten: Vec::new(),
            skipped: Vec::new(),
            dirs_created: Vec::new(),
            root_created: false,
            bytes: 0,
            elapsed: Duration::default(),
            dry_run,
            recovered: None,
        }
    }
}

/// What [`recover`](crate::recover) found and repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecoveryReport {
    /// A journal was found: a deploy was interrupted before its commit
    /// point and has been rolled back.
    pub rolled_back: bool,
    /// A staging area was found and removed. Without a journal this means a
    /// deploy was interrupted before placing anything, or after its commit
    /// point (its new files stay: the deploy is complete).
    pub staging_removed: bool,
    /// Files whose previous content was put back.
    pub restored: Vec<RelPath>,
    /// Files the interrupted deploy had created, now removed.
    pub removed: Vec<RelPath>,
    /// Directories the interrupted deploy had created, now removed.
    pub dirs_removed: Vec<RelPath>,
    /// Directories at and above the root that the interrupted deploy had
    /// created, as a count from the root upwards.
    pub root_dirs_created: usize,
}

impl RecoveryReport {
    /// Whether nothing was found to recover.
    pub fn is_clean(&self) -> bool {
        !self.rolled_back && !self.staging_removed
    }
}

//! Preflight: every planned path checked against the disk, reading only,
//! without following links — and the dry run, which is a preflight
//! reported.

use crate::sys::{AsFd, BorrowedFd, OwnedFd};
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use crate::error::DeployError;
use crate::options::{DeployEvent, DeployOptions, OverwritePolicy};
use crate::path::RelPath;
use crate::plan::{DeployPlan, Expect, PlanEntry};
use crate::report::DeployReport;
use crate::sys::{self, Errno, Fs};

use super::fail::{dir_error, io, under};

/// What preflight decided for one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// Nothing is at the path: place with no-replace.
    Create,
    /// A file (or link) is at the path: swap it out.
    Exchange,
    /// A file is at the path and the policy (or `KeepIfExists`) says skip.
    Skip,
    /// A removal entry: move the file at the path into the staging area.
    Remove,
}

pub(super) struct Preflight {
    pub(super) actions: Vec<Action>,
    /// For each removal entry, the inode number of the file to remove (0
    /// for other entries).
    pub(super) inos: Vec<u64>,
    /// Missing directories, parents first.
    pub(super) dirs: Vec<RelPath>,
}

/// Check every planned path against the disk, reading only. `root_fd` is
/// `None` when the root does not exist yet (a dry run).
pub(super) fn preflight(
    fs: Fs,
    root: &Path,
    root_fd: Option<BorrowedFd<'_>>,
    plan: &DeployPlan,
    policy: OverwritePolicy,
) -> Result<Preflight, DeployError> {
    let entries = plan.entries();
    let mut exists: HashMap<String, bool> = HashMap::new();
    exists.insert(String::new(), root_fd.is_some());
    for entry in entries {
        classify(
            fs,
            root,
            root_fd,
            entry.path(),
            entry.path().parent_str(),
            &mut exists,
        )?;
    }
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| {
        let (pa, pb) = (
            entries[a].path().parent_str(),
            entries[b].path().parent_str(),
        );
        pa.cmp(pb).then(a.cmp(&b))
    });
    let mut actions = vec![Action::Create; entries.len()];
    let mut inos = vec![0u64; entries.len()];
    let mut existing = Vec::new();
    let mut current: Option<(&str, OwnedFd)> = None;
    for i in order {
        let path = entries[i].path();
        let parent = path.parent_str();
        let (Some(root_fd), true) = (root_fd, exists.get(parent).copied().unwrap_or(false)) else {
            if matches!(entries[i].expect(), Expect::Content(_)) {
                return Err(changed(path, "it is gone"));
            }
            continue;
        };
        if current.as_ref().map(|c| c.0) != Some(parent) {
            let fd = fs
                .open_dir(root_fd, parent)
                .map_err(|e| dir_error(root_fd, root, path, parent, e))?;
            current = Some((parent, fd));
        }
        let Some((_, dir)) = &current else { continue };
        let entry = &entries[i];
        match sys::lstat(dir.as_fd(), path.file_name()) {
            Err(Errno::NOENT) if matches!(entry.expect(), Expect::Content(_)) => {
                return Err(changed(path, "it is gone"));
            }
            Err(Errno::NOENT) => {}
            Ok(meta) if meta.is_dir() => {
                return Err(DeployError::IsADirectory { path: path.clone() });
            }
            Ok(meta) if !matches!(entry.expect(), Expect::Policy) => {
                actions[i] = expected_action(dir.as_fd(), entry, meta.is_symlink())?;
                inos[i] = meta.ino;
            }
            Ok(_) => {
                actions[i] = match policy {
                    OverwritePolicy::Skip => Action::Skip,
                    OverwritePolicy::Overwrite => Action::Exchange,
                    OverwritePolicy::Fail => {
                        existing.push(i);
                        Action::Skip
                    }
                }
            }
            Err(e) => return Err(io("inspect", under(root, path.as_str()), e)),
        }
    }
    if !existing.is_empty() {
        existing.sort_unstable();
        return Err(DeployError::AlreadyExists {
            root: root.to_path_buf(),
            paths: existing
                .into_iter()
                .map(|i| entries[i].path().clone())
                .collect(),
        });
    }
    let mut dirs: Vec<&String> = exists
        .iter()
        .filter(|(dir, there)| !**there && !dir.is_empty())
        .map(|(dir, _)| dir)
        .collect();
    dirs.sort_by(|a, b| {
        let depth = |s: &str| s.bytes().filter(|&c| c == b'/').count();
        depth(a).cmp(&depth(b)).then(a.cmp(b))
    });
    Ok(Preflight {
        actions,
        inos,
        dirs: dirs.into_iter().map(|d| RelPath::from_normal(d)).collect(),
    })
}

/// The action for an entry with an expectation whose path holds a file
/// (or link): the expectation must hold, else nothing is done.
fn expected_action(
    dir: BorrowedFd<'_>,
    entry: &PlanEntry,
    is_link: bool,
) -> Result<Action, DeployError> {
    let path = entry.path();
    match entry.expect() {
        Expect::Absent => Err(changed(path, "a file appeared there")),
        Expect::KeepIfExists => Ok(Action::Skip),
        Expect::Content(expected) => {
            if is_link || !holds(dir, path.file_name(), expected) {
                return Err(changed(path, "its content is not what was planned on"));
            }
            Ok(if entry.is_removal() {
                Action::Remove
            } else {
                Action::Exchange
            })
        }
        Expect::Policy => Ok(Action::Exchange),
    }
}

/// Whether `dir/name` is a regular file (not reached through a link) with
/// exactly `expected` as content.
pub(super) fn holds(dir: BorrowedFd<'_>, name: &str, expected: &[u8]) -> bool {
    sys::read_file(dir, name).is_ok_and(|bytes| bytes == expected)
}

pub(super) fn changed(path: &RelPath, what: &'static str) -> DeployError {
    DeployError::Changed {
        path: path.clone(),
        what,
    }
}

/// Whether directory `dir` exists (as a real directory, reached without
/// links); memoised in `exists`, parents first.
fn classify(
    fs: Fs,
    root: &Path,
    root_fd: Option<BorrowedFd<'_>>,
    entry: &RelPath,
    dir: &str,
    exists: &mut HashMap<String, bool>,
) -> Result<bool, DeployError> {
    if let Some(&known) = exists.get(dir) {
        return Ok(known);
    }
    let parent = dir.rsplit_once('/').map_or("", |(p, _)| p);
    let there = match (classify(fs, root, root_fd, entry, parent, exists)?, root_fd) {
        (true, Some(root_fd)) => match fs.open_dir(root_fd, dir) {
            Ok(_) => true,
            Err(Errno::NOENT) => false,
            Err(e) => return Err(dir_error(root_fd, root, entry, dir, e)),
        },
        _ => false,
    };
    exists.insert(dir.to_owned(), there);
    Ok(there)
}

pub(super) fn dry_run(
    fs: Fs,
    plan: &DeployPlan,
    options: &DeployOptions,
    started: Instant,
) -> Result<DeployReport, DeployError> {
    let root = plan.root();
    let root_fd = match sys::open_root(root) {
        Ok(fd) => Some(fd),
        Err(Errno::NOENT) => None,
        Err(Errno::NOTDIR) => {
            return Err(DeployError::RootNotADirectory {
                path: root.to_path_buf(),
            });
        }
        Err(e) => return Err(io("open the project root", root.to_path_buf(), e)),
    };
    let pre = preflight(
        fs,
        root,
        root_fd.as_ref().map(AsFd::as_fd),
        plan,
        options.overwrite_policy(),
    )?;
    emit_planned(options, &pre);
    let mut report = DeployReport::empty(plan.root().to_path_buf(), true);
    report.root_created = root_fd.is_none();
    report.dirs_created = pre.dirs;
    for (entry, action) in plan.entries().iter().zip(&pre.actions) {
        let path = entry.path().clone();
        match action {
            Action::Create => report.written.push(path),
            Action::Exchange => report.overwritten.push(path),
            Action::Skip => report.skipped.push(path),
            Action::Remove => report.removed.push(path),
        }
        if matches!(action, Action::Create | Action::Exchange) {
            report.bytes += entry.contents().len() as u64;
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

pub(super) fn emit_planned(options: &DeployOptions, pre: &Preflight) {
    let to_skip = pre
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Skip))
        .count();
    options.emit(DeployEvent::Planned {
        files: pre.actions.len(),
        to_place: pre.actions.len() - to_skip,
        to_skip,
        dirs: pre.dirs.len(),
    });
}

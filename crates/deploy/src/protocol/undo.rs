//! Undo: put back what a deploy placed and remove the directories it
//! created — for a rollback in the same process, and for recovery of a
//! deploy that was killed (from its journal).

use crate::sys::{AsFd, BorrowedFd, OwnedFd};
use std::collections::HashMap;
use std::path::Path;

use crate::error::DeployError;
use crate::journal::Journal;
use crate::path::RelPath;
use crate::plan::PlanEntry;
use crate::report::RecoveryReport;
use crate::sys::{self, Errno, Fs};

use super::fail::io;
use super::stage::{clear_staging, open_lane};
use super::state::{COMMITTED, JOURNAL, JOURNAL_TMP, STAGING, state_path};

pub(super) enum Undone {
    Restored,
    Removed,
}

/// Undo a deploy in this process, newest first: every file in `placed`
/// (lane, slot = plan index, inode of our file; its path is the plan
/// entry's) and every directory in `created_dirs`. Returns what could not
/// be undone.
pub(super) fn undo_all(
    fs: Fs,
    root_fd: BorrowedFd<'_>,
    lanes: &[OwnedFd],
    entries: &[PlanEntry],
    placed: &[(usize, usize, u64)],
    created_dirs: &[RelPath],
) -> Vec<String> {
    let mut failures = Vec::new();
    for &(lane, index, ino) in placed.iter().rev() {
        let stage = lanes.get(lane).map(AsFd::as_fd);
        let Some(entry) = entries.get(index) else {
            failures.push(format!("no plan entry {index} to undo"));
            continue;
        };
        if let Err(failure) = undo_file(fs, root_fd, stage, index, ino, entry.path()) {
            failures.push(failure);
        }
    }
    for dir in created_dirs.iter().rev() {
        if let Err(failure) = remove_created_dir(fs, root_fd, dir) {
            failures.push(failure);
        }
    }
    failures
}

/// Undo the placement of one file, if it is still ours (identified by the
/// inode number of the staged file): put the old file back if the staging
/// area holds it, else remove ours. A path that holds someone else's file
/// is left alone.
pub(super) fn undo_file(
    fs: Fs,
    root_fd: BorrowedFd<'_>,
    stage: Option<BorrowedFd<'_>>,
    index: usize,
    ino: u64,
    path: &RelPath,
) -> Result<Option<Undone>, String> {
    let failed = |what: &str, e: Errno| format!("`{path}`: {what} ({})", std::io::Error::from(e));
    let dir = match fs.open_dir(root_fd, path.parent_str()) {
        Ok(dir) => dir,
        // The directory is gone, or another process moved it away and put a
        // link or a file in its place: our file is no longer at its path,
        // and reaching it would mean following that link.
        Err(Errno::NOENT | Errno::LOOP | Errno::NOTDIR) => return Ok(None),
        Err(e) => return Err(failed("cannot open its directory", e)),
    };
    let name = path.file_name();
    match sys::lstat(dir.as_fd(), name) {
        Ok(meta) if meta.ino == ino => {}
        Ok(_) | Err(Errno::NOENT) => return Ok(None),
        Err(e) => return Err(failed("cannot inspect it", e)),
    }
    if let Some(stage) = stage {
        let backup = format!("{index}.old");
        let slot = index.to_string();
        let from = if sys::lstat(stage, &backup).is_ok() {
            Some(backup)
        } else {
            match sys::lstat(stage, &slot) {
                Ok(meta) if meta.ino != ino => Some(slot),
                _ => None,
            }
        };
        if let Some(from) = from {
            fs.restore(stage, &from, dir.as_fd(), name)
                .map_err(|e| failed("cannot put the old file back", e))?;
            return Ok(Some(Undone::Restored));
        }
    }
    sys::unlink(dir.as_fd(), name).map_err(|e| failed("cannot remove it", e))?;
    Ok(Some(Undone::Removed))
}

/// Undo a removal: if the removed file (identified by its inode number) is
/// in the staging area, put it back at its path — never over a file that
/// appeared there since (that is reported as a failure, and the journal
/// kept). A removal that never happened needs nothing.
pub(super) fn undo_remove(
    fs: Fs,
    root_fd: BorrowedFd<'_>,
    stage: Option<BorrowedFd<'_>>,
    index: usize,
    ino: u64,
    path: &RelPath,
) -> Result<Option<Undone>, String> {
    let failed = |what: &str, e: Errno| format!("`{path}`: {what} ({})", std::io::Error::from(e));
    let Some(stage) = stage else { return Ok(None) };
    let backup = format!("{index}.old");
    match sys::lstat(stage, &backup) {
        Ok(meta) if meta.ino == ino => {}
        _ => return Ok(None),
    }
    let dir = fs
        .open_dir(root_fd, path.parent_str())
        .map_err(|e| failed("cannot open its directory to put the removed file back", e))?;
    fs.place_new(stage, &backup, dir.as_fd(), path.file_name())
        .map_err(|e| failed("cannot put the removed file back", e))?;
    Ok(Some(Undone::Restored))
}

/// Undo the removals of a deploy in this process, newest first.
pub(super) fn undo_removals(
    fs: Fs,
    root_fd: BorrowedFd<'_>,
    lanes: &[OwnedFd],
    removed: &[(usize, u64, RelPath)],
) -> Vec<String> {
    let stage = lanes.first().map(AsFd::as_fd);
    removed
        .iter()
        .rev()
        .filter_map(|(index, ino, path)| undo_remove(fs, root_fd, stage, *index, *ino, path).err())
        .collect()
}

/// Remove a directory the deploy created, if it is still an empty
/// directory. Returns whether it was removed.
pub(super) fn remove_created_dir(
    fs: Fs,
    root_fd: BorrowedFd<'_>,
    dir: &RelPath,
) -> Result<bool, String> {
    let parent = match fs.open_dir(root_fd, dir.parent_str()) {
        Ok(fd) => fd,
        // As in `undo_file`: moved out of reach by someone else.
        Err(Errno::NOENT | Errno::LOOP | Errno::NOTDIR) => return Ok(false),
        Err(e) => {
            return Err(format!(
                "`{dir}`: cannot open its parent ({})",
                std::io::Error::from(e)
            ));
        }
    };
    match sys::rmdir(parent.as_fd(), dir.file_name()) {
        Ok(()) => Ok(true),
        // Gone, or holding someone else's files, or replaced by a file or
        // link: not ours to remove.
        Err(Errno::NOENT | Errno::NOTEMPTY | Errno::EXIST | Errno::NOTDIR) => Ok(false),
        Err(e) => Err(format!(
            "`{dir}`: cannot remove the directory ({})",
            std::io::Error::from(e)
        )),
    }
}

/// Recovery with the lock held: roll back a deploy that left a journal,
/// then remove any staging area.
pub(super) fn recover_locked(
    fs: Fs,
    root_fd: BorrowedFd<'_>,
    root: &Path,
    state: BorrowedFd<'_>,
    workers: usize,
) -> Result<RecoveryReport, DeployError> {
    let mut report = RecoveryReport::default();
    let journal = match sys::read_file(state, JOURNAL) {
        Ok(bytes) => Some(
            Journal::decode(&bytes).map_err(|reason| DeployError::Journal {
                path: state_path(root, JOURNAL),
                reason,
            })?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            return Err(DeployError::Journal {
                path: state_path(root, JOURNAL),
                reason: "it is not a regular file".to_owned(),
            });
        }
        Err(e) => return Err(DeployError::io("read", state_path(root, JOURNAL), e)),
    };
    // A temporary journal was never renamed: nothing was placed after it.
    let _ = sys::unlink(state, JOURNAL_TMP);
    // A committed deploy killed before pruning: finish it (roll forward).
    // With a journal present, a stale one is only removed.
    if let Ok(bytes) = sys::read_file(state, COMMITTED) {
        if journal.is_none()
            && let Ok(committed) = Journal::decode(&bytes)
        {
            report.dirs_removed = prune_dirs(fs, root_fd, &committed.prune);
        }
        sys::unlink(state, COMMITTED).map_err(|e| io("remove", state_path(root, COMMITTED), e))?;
        report.finished_commit = true;
    }
    let stage = match fs.open_dir(state, STAGING) {
        Ok(fd) => Some(fd),
        Err(Errno::NOENT) => None,
        Err(Errno::LOOP | Errno::NOTDIR) => {
            return Err(DeployError::StateDir {
                path: state_path(root, STAGING),
            });
        }
        Err(e) => return Err(io("open", state_path(root, STAGING), e)),
    };
    if let Some(journal) = &journal {
        report.rolled_back = true;
        report.root_dirs_created = journal.root_created;
        let mut failures = Vec::new();
        let mut lanes: HashMap<usize, Option<OwnedFd>> = HashMap::new();
        for file in journal.files.iter().rev() {
            let lane = lanes.entry(file.lane).or_insert_with(|| {
                let stage = stage.as_ref()?;
                open_lane(fs, stage.as_fd(), file.lane).ok()
            });
            let lane = lane.as_ref().map(AsFd::as_fd);
            let undone = if file.remove {
                undo_remove(fs, root_fd, lane, file.index, file.ino, &file.path)
            } else {
                undo_file(fs, root_fd, lane, file.index, file.ino, &file.path)
            };
            match undone {
                Ok(Some(Undone::Restored)) => report.restored.push(file.path.clone()),
                Ok(Some(Undone::Removed)) => report.removed.push(file.path.clone()),
                Ok(None) => {}
                Err(failure) => failures.push(failure),
            }
        }
        for dir in journal.dirs.iter().rev() {
            match remove_created_dir(fs, root_fd, dir) {
                Ok(true) => report.dirs_removed.push(dir.clone()),
                Ok(false) => {}
                Err(failure) => failures.push(failure),
            }
        }
        if !failures.is_empty() {
            return Err(DeployError::RecoveryFailed {
                root: root.to_path_buf(),
                failures,
            });
        }
        report.restored.reverse();
        report.removed.reverse();
        report.dirs_removed.reverse();
        // The undo must be on disk before the journal that describes it goes.
        sys::syncfs(root_fd).map_err(|e| io("flush the file system of", root.into(), e))?;
    }
    if let Some(stage) = stage {
        clear_staging(fs, stage.as_fd(), workers)
            .map_err(|e| io("clear", state_path(root, STAGING), e))?;
        sys::rmdir(state, STAGING).map_err(|e| io("remove", state_path(root, STAGING), e))?;
        report.staging_removed = true;
    }
    if journal.is_some() {
        sys::unlink(state, JOURNAL).map_err(|e| io("remove", state_path(root, JOURNAL), e))?;
        let _ = sys::fsync(state);
    }
    Ok(report)
}

/// Removes each of `dirs` (deepest first) if it is an empty directory,
/// reached beneath the root without links. Best effort; returns those removed.
pub(super) fn prune_dirs(fs: Fs, root_fd: BorrowedFd<'_>, dirs: &[RelPath]) -> Vec<RelPath> {
    dirs.iter()
        .filter(|dir| matches!(remove_created_dir(fs, root_fd, dir), Ok(true)))
        .cloned()
        .collect()
}

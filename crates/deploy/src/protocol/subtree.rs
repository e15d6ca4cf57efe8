//! New subtrees: a directory the deploy creates whose parent already
//! exists is staged complete — its directories and its files — as
//! `.stencil/deploy-staging/tree<k>`, and put in place with one no-replace
//! rename. Each of its files then costs one directory-entry operation
//! (its creation in staging) instead of three (creation, rename, and the
//! directory created in place), and nothing is left to clear.
//!
//! The contract is the flat path's: the subtree's files and directories
//! are journaled like any other (lane 0, their plan index, their inode),
//! so rollback and recovery undo them path by path, by inode, before or
//! after the rename alike; a staged tree not yet renamed is removed with
//! the staging area. When the rename cannot be made without replacing —
//! something appeared at the subtree's path since preflight (a directory,
//! a file, a link), or the file system has no no-replace rename — the
//! subtree's files are moved into lane 0 and placed one by one as before
//! ([`flatten`]), so the policy and the link checks decide exactly as on
//! the flat path.

use crate::sys::{AsFd, BorrowedFd};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::error::DeployError;
#[cfg(feature = "failpoints")]
use crate::options::Step;
use crate::options::{DeployEvent, DeployOptions};
use crate::path::{RelPath, STATE_DIR};
use crate::plan::DeployPlan;
use crate::sys::{self, Errno, Fs};

#[cfg(feature = "failpoints")]
use super::fail::fire;
use super::fail::{crashed, io, under};
use super::preflight::{Action, Preflight};
use super::stage::stage_entry;
use super::state::{STAGING, state_path};

/// One new subtree.
pub(super) struct Tree {
    /// Its top directory (the parent of which exists).
    pub(super) top: RelPath,
    /// Its name in the staging area.
    pub(super) staged: String,
    /// Its directories, top first, parents before children: indices into
    /// the preflight's missing directories.
    pub(super) dirs: Vec<usize>,
    /// Its files: plan index, and the staged file's inode number once
    /// staged.
    pub(super) files: Vec<(usize, u64)>,
}

impl Tree {
    /// Where directory `dir` (one of this tree's) is in the staging area.
    fn staged_path(&self, dir: &str) -> String {
        format!("{}{}", self.staged, &dir[self.top.as_str().len()..])
    }
}

/// Split the entries to stage into those placed one by one (returned
/// first, in order) and the new subtrees, which take every entry created in
/// a directory that does not exist yet.
pub(super) fn split(
    plan: &DeployPlan,
    pre: &Preflight,
    to_stage: &[usize],
) -> (Vec<usize>, Vec<Tree>) {
    let mut trees: Vec<Tree> = Vec::new();
    let mut tree_of: HashMap<&str, usize> = HashMap::new();
    // Parents come before children in `pre.dirs`.
    for (d, dir) in pre.dirs.iter().enumerate() {
        let k = match tree_of.get(dir.parent_str()) {
            Some(&k) => k,
            None => {
                trees.push(Tree {
                    top: dir.clone(),
                    staged: format!("tree{}", trees.len()),
                    dirs: Vec::new(),
                    files: Vec::new(),
                });
                trees.len() - 1
            }
        };
        trees[k].dirs.push(d);
        tree_of.insert(dir.as_str(), k);
    }
    let entries = plan.entries();
    let mut flat = Vec::with_capacity(to_stage.len());
    for &index in to_stage {
        let parent = entries[index].path().parent_str();
        match tree_of.get(parent) {
            Some(&k) if pre.actions[index] == Action::Create => trees[k].files.push((index, 0)),
            _ => flat.push(index),
        }
    }
    (flat, trees)
}

/// Stage every tree in `stage`, spread over `workers` threads (whole trees
/// each). `done` counts staged files across both paths, for the events.
#[allow(clippy::too_many_arguments)]
pub(super) fn stage_trees(
    fs: Fs,
    plan: &DeployPlan,
    options: &DeployOptions,
    pre: &Preflight,
    stage: BorrowedFd<'_>,
    trees: &mut [Tree],
    workers: usize,
    sync: bool,
    done: &AtomicUsize,
    total: usize,
) -> Result<(), DeployError> {
    let root = plan.root();
    let stop = AtomicBool::new(false);
    let work = |trees: Vec<&mut Tree>| -> Result<(), DeployError> {
        for tree in trees {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            stage_tree(fs, plan, options, pre, stage, tree, sync, done, total)
                .inspect_err(|_| stop.store(true, Ordering::Relaxed))?;
        }
        Ok(())
    };
    let workers = workers.clamp(1, trees.len().max(1));
    let mut shares: Vec<Vec<&mut Tree>> = (0..workers).map(|_| Vec::new()).collect();
    for (k, tree) in trees.iter_mut().enumerate() {
        shares[k % workers].push(tree);
    }
    if workers == 1 {
        return shares.into_iter().try_for_each(work);
    }
    let results: Vec<Result<(), DeployError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .into_iter()
            .map(|share| scope.spawn(|| work(share)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io("stage files in", root.join(STATE_DIR), Errno::IO)))
            })
            .collect()
    });
    let mut first_error = None;
    for result in results {
        match result {
            Ok(()) => {}
            // Prefer a simulated crash over the errors it caused elsewhere.
            Err(e) if first_error.is_none() || crashed(&e) => first_error = Some(e),
            Err(_) => {}
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Stage one tree: each directory created once (with the plan's mode,
/// exactly), then filled with its files, each written once.
#[allow(clippy::too_many_arguments)]
fn stage_tree(
    fs: Fs,
    plan: &DeployPlan,
    options: &DeployOptions,
    pre: &Preflight,
    stage: BorrowedFd<'_>,
    tree: &mut Tree,
    sync: bool,
    done: &AtomicUsize,
    total: usize,
) -> Result<(), DeployError> {
    let root = plan.root();
    let entries = plan.entries();
    let mut files_in: HashMap<&str, Vec<usize>> = HashMap::new();
    for (pos, &(index, _)) in tree.files.iter().enumerate() {
        let parent = entries[index].path().parent_str();
        files_in.entry(parent).or_default().push(pos);
    }
    let staged_at = |what: String| state_path(root, STAGING).join(what);
    for &d in &tree.dirs {
        let dir = &pre.dirs[d];
        let here = tree.staged_path(dir.as_str());
        let made = if dir == &tree.top {
            sys::mkdir_open(stage, &tree.staged, plan.dir_mode())
        } else {
            let parent = tree.staged_path(dir.parent_str());
            fs.open_dir(stage, &parent)
                .and_then(|p| sys::mkdir_open(p.as_fd(), dir.file_name(), plan.dir_mode()))
        };
        let fd = made.map_err(|e| io("create directory", staged_at(here.clone()), e))?;
        for &pos in files_in.get(dir.as_str()).map_or(&[][..], Vec::as_slice) {
            let (index, _) = tree.files[pos];
            let entry = &entries[index];
            let ino =
                stage_entry(fd.as_fd(), entry.path().file_name(), entry, sync).map_err(|e| {
                    DeployError::io("stage a copy of", under(root, entry.path().as_str()), e)
                })?;
            tree.files[pos].1 = ino;
            let _n = done.fetch_add(1, Ordering::Relaxed) + 1;
            options.emit(DeployEvent::Staged { done: _n, total });
            #[cfg(feature = "failpoints")]
            fire(options, Step::AfterStaged(_n))?;
        }
        if sync {
            sys::fsync(&fd).map_err(|e| io("flush directory", staged_at(here), e))?;
        }
    }
    Ok(())
}

/// How placing a tree ended.
pub(super) enum TreePlaced {
    /// Renamed into place whole.
    Whole,
    /// Something is at its path now, or no no-replace rename exists here:
    /// nothing was moved; [`flatten`] it.
    Refused,
}

/// Put `tree` in place with one no-replace rename into `parent` (the
/// handle of its top's parent, opened beneath the root).
pub(super) fn place(
    fs: Fs,
    root: &Path,
    stage: BorrowedFd<'_>,
    parent: BorrowedFd<'_>,
    tree: &Tree,
) -> Result<TreePlaced, DeployError> {
    match fs.place_dir_new(stage, &tree.staged, parent, tree.top.file_name()) {
        Ok(true) => Ok(TreePlaced::Whole),
        Ok(false) | Err(Errno::EXIST) => Ok(TreePlaced::Refused),
        // `rename` reports a non-empty directory in the way as ENOTEMPTY
        // on some file systems, and a file in the way of a directory as
        // ENOTDIR, even with no-replace.
        Err(Errno::NOTEMPTY | Errno::NOTDIR | Errno::ISDIR) => Ok(TreePlaced::Refused),
        Err(e) => Err(io("place", under(root, tree.top.as_str()), e)),
    }
}

/// Move every file of a refused tree into lane 0 as slot `<index>`, where
/// the flat path expects it (and the journal already says it is).
pub(super) fn flatten(
    fs: Fs,
    plan: &DeployPlan,
    stage: BorrowedFd<'_>,
    tree: &Tree,
) -> Result<(), DeployError> {
    let root = plan.root();
    let mut current: Option<(&str, crate::sys::OwnedFd)> = None;
    for &(index, _) in &tree.files {
        let path = plan.entries()[index].path();
        let parent = path.parent_str();
        if current.as_ref().map(|c| c.0) != Some(parent) {
            let fd = fs
                .open_dir(stage, &tree.staged_path(parent))
                .map_err(|e| io("open", state_path(root, STAGING), e))?;
            current = Some((parent, fd));
        }
        let Some((_, dir)) = &current else { continue };
        fs.restore(dir.as_fd(), path.file_name(), stage, &index.to_string())
            .map_err(|e| io("stage a copy of", under(root, path.as_str()), e))?;
    }
    Ok(())
}

/// Remove `parent/name` and everything under it, never following a link:
/// a staged tree that was not placed.
pub(super) fn remove_tree(fs: Fs, parent: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
    let dir = match fs.open_dir(parent, name) {
        Ok(dir) => dir,
        // Not a directory (any more): a name to remove.
        Err(Errno::LOOP | Errno::NOTDIR) => return sys::unlink(parent, name),
        Err(e) => return Err(e),
    };
    for entry in sys::list(dir.as_fd())? {
        match entry.to_str() {
            Ok(text) if sys::lstat(dir.as_fd(), text).is_ok_and(|m| m.is_dir()) => {
                remove_tree(fs, dir.as_fd(), text)?;
            }
            _ => sys::unlink_c(dir.as_fd(), &entry)?,
        }
    }
    drop(dir);
    sys::rmdir(parent, name)
}

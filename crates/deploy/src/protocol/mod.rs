//! The protocol: lock, recover, preflight, stage, journal, place, commit —
//! and the rollback and recovery that keep the contract when any step fails.
//!
//! One concern per file, imported in one direction only (no file imports
//! this one, nor one that imports it):
//!
//! * [`state`] — the names stencil uses in its state directory;
//! * [`fail`] — error constructors and the test-only failpoints;
//! * [`root`] — opening or creating the project root, and removing what of
//!   it a failed deploy created;
//! * [`lock`] — the deploy lock;
//! * [`preflight`] — checking the plan against the disk, reading only (and
//!   the dry run, which is a preflight reported);
//! * [`stage`] — the staging area: lanes, writing staged files, clearing;
//! * [`undo`] — undoing placed files and created directories, and
//!   [`recover`];
//! * [`tx`] — one deploy as named steps: stage, journal, mkdirs, place,
//!   commit, and its rollback.
//!
//! Every system call goes through `crate::sys`.

mod fail;
mod lock;
mod preflight;
mod root;
mod stage;
mod state;
mod subtree;
mod tx;
mod undo;

use crate::sys::AsFd;
use std::path::Path;
use std::time::Instant;

use crate::error::DeployError;
use crate::options::DeployOptions;
use crate::path::STATE_DIR;
use crate::plan::DeployPlan;
use crate::report::{DeployReport, RecoveryReport};
use crate::sys::{self, Errno, Fs};

use self::fail::io;
use self::lock::Lock;
use self::tx::Tx;

/// Deploy `plan` under `options`.
///
/// In order: open (or create) the root; take the lock in its `.stencil/`
/// directory; recover any interrupted earlier deploy; check every planned
/// path against the disk without following links; stage every file in
/// `.stencil/deploy-staging/`; write the journal; create the missing
/// directories; place each file with one rename; commit by removing the
/// journal; remove the staging area.
///
/// # Contract
///
/// * `Ok`: every planned path holds the planned bytes and mode, or was left
///   alone by [`OverwritePolicy::Skip`](crate::OverwritePolicy::Skip); the
///   report says which.
/// * `Err`: the tree under the root is as it was (files, contents, modes;
///   directories the deploy created are removed, the root too if it created
///   it). The one exception is [`DeployError::RollbackFailed`], which keeps
///   the journal so that [`recover`] can finish later.
/// * A reader of any planned path sees the old file or the new one, never a
///   partial file: files are only ever renamed into place.
/// * Nothing outside the root is touched, whatever links exist or appear in
///   it: every directory is opened beneath the root's handle with
///   `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, and every rename goes through
///   such handles.
/// * Concurrent deploys into one root (threads or processes) run one after
///   the other.
///
/// `.stencil/` is stencil's state directory: its lock, journal and staging
/// area are removed when the deploy ends, and so is the directory itself if
/// that leaves it empty.
pub fn deploy(plan: &DeployPlan, options: &DeployOptions) -> Result<DeployReport, DeployError> {
    let started = Instant::now();
    let fs = Fs::new(options.portable());
    if options.is_dry_run() {
        return preflight::dry_run(fs, plan, options, started);
    }
    let root = plan.root();
    let (root_fd, created_now) = root::open_or_create(root, plan.dir_mode())?;
    let lock = match Lock::acquire(fs, root_fd.as_fd(), root) {
        Ok(lock) => lock,
        Err(e) => {
            root::remove_created(root, created_now);
            return Err(e);
        }
    };
    let mut tx = Tx::new(fs, plan, options, root_fd, lock, created_now);
    match tx.run(started) {
        Ok(report) => Ok(report),
        // A simulated crash leaves everything as a killed process would.
        Err(e) if fail::crashed(&e) => Err(e),
        // Past the commit point there is nothing to undo.
        Err(e) if tx.committed() => Err(e),
        Err(e) => Err(tx.roll_back(e)),
    }
}

/// Undo (or finish) a deploy into `root` that was interrupted by a crash or
/// a kill, and remove its leftovers. [`deploy`] does this first on its own;
/// call `recover` to repair a root without deploying.
///
/// With a journal (the deploy had not committed), every file it placed is
/// put back as it was, every directory it created removed (and the root, if
/// it created that). Without one, only the staging area is removed. A root
/// with no state directory is left untouched (nothing is created).
pub fn recover(root: impl AsRef<Path>) -> Result<RecoveryReport, DeployError> {
    let root = root.as_ref();
    let fs = Fs::new(false);
    let root_fd = match sys::open_root(root) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(RecoveryReport::default()),
        Err(Errno::NOTDIR) => {
            return Err(DeployError::RootNotADirectory {
                path: root.to_path_buf(),
            });
        }
        Err(e) => return Err(io("open the project root", root.to_path_buf(), e)),
    };
    match fs.open_dir(root_fd.as_fd(), STATE_DIR) {
        Err(Errno::NOENT) => return Ok(RecoveryReport::default()),
        Err(Errno::LOOP | Errno::NOTDIR) => {
            return Err(DeployError::StateDir {
                path: root.join(STATE_DIR),
            });
        }
        Err(e) => return Err(io("open", root.join(STATE_DIR), e)),
        Ok(_) => {}
    }
    let lock = Lock::acquire(fs, root_fd.as_fd(), root)?;
    let workers = DeployOptions::cleanup_workers();
    match undo::recover_locked(fs, root_fd.as_fd(), root, lock.fd(), workers) {
        Ok(report) => {
            lock.release(root_fd.as_fd(), true);
            root::remove_created(root, report.root_dirs_created);
            Ok(report)
        }
        Err(e) => {
            lock.release(root_fd.as_fd(), false);
            Err(e)
        }
    }
}

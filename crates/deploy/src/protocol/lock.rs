//! The deploy lock: `flock` on the state directory itself, so that taking
//! it creates no file. Held for the whole deploy or recovery.

use crate::sys::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use crate::error::DeployError;
use crate::path::STATE_DIR;
use crate::sys::{self, Errno, Fs};

use super::fail::io;

pub(super) struct Lock {
    state: OwnedFd,
}

impl Lock {
    pub(super) fn acquire(
        fs: Fs,
        root_fd: BorrowedFd<'_>,
        root: &Path,
    ) -> Result<Lock, DeployError> {
        let state_dir = || DeployError::StateDir {
            path: root.join(STATE_DIR),
        };
        // A deploy that ends removes the state directory (if empty) while
        // still holding the lock, so a waiter may wake holding a lock on a
        // directory that is gone: it checks that the name still leads to
        // the directory it locked, and starts again if not.
        for _ in 0..1000 {
            match sys::mkdir(root_fd, STATE_DIR, 0o755) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(io("create directory", root.join(STATE_DIR), e)),
            }
            let state = match fs.open_dir(root_fd, STATE_DIR) {
                Ok(fd) => fd,
                Err(Errno::NOENT) => continue,
                Err(Errno::LOOP | Errno::NOTDIR) => return Err(state_dir()),
                Err(e) => return Err(io("open", root.join(STATE_DIR), e)),
            };
            sys::lock(state.as_fd())
                .map_err(|e| DeployError::io("lock", root.join(STATE_DIR), e))?;
            let mine = sys::fstat(&state).map(|m| (m.dev, m.ino));
            match (mine, sys::lstat(root_fd, STATE_DIR)) {
                (Ok(mine), Ok(now)) if (now.dev, now.ino) == mine => {
                    return Ok(Lock { state });
                }
                _ => continue,
            }
        }
        Err(io("lock", root.join(STATE_DIR), Errno::AGAIN))
    }

    /// The state directory's handle.
    pub(super) fn fd(&self) -> BorrowedFd<'_> {
        self.state.as_fd()
    }

    /// Unlock; with `cleanup`, first remove the state directory if it is
    /// empty (while still holding the lock, so no waiter uses it meanwhile).
    pub(super) fn release(self, root_fd: BorrowedFd<'_>, cleanup: bool) {
        if cleanup {
            let _ = sys::rmdir(root_fd, STATE_DIR);
        }
        drop(self.state);
    }
}

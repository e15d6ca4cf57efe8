//! How the protocol's steps fail: error constructors that name the path,
//! and the test-only failpoints.

use crate::sys::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use crate::error::DeployError;
#[cfg(feature = "failpoints")]
use crate::options::{DeployOptions, FailAction, Step};
use crate::path::RelPath;
use crate::sys::{self, Errno, Fs};

/// Fire the failpoint armed for a step (compiled out without the feature).
macro_rules! failpoint {
    ($options:expr, $step:expr) => {
        #[cfg(feature = "failpoints")]
        $crate::protocol::fail::fire($options, $step)?;
    };
}
pub(super) use failpoint;

#[cfg(feature = "failpoints")]
pub(super) fn fire(options: &DeployOptions, step: Step) -> Result<(), DeployError> {
    match options.failpoint_at(step) {
        None => Ok(()),
        Some(FailAction::Error) => Err(DeployError::Failpoint { step, crash: false }),
        Some(FailAction::Crash) => Err(DeployError::Failpoint { step, crash: true }),
    }
}

/// Whether `error` is a simulated crash, after which nothing is cleaned up.
pub(super) fn crashed(error: &DeployError) -> bool {
    #[cfg(feature = "failpoints")]
    if let DeployError::Failpoint { crash: true, .. } = error {
        return true;
    }
    let _ = error;
    false
}

pub(super) fn io(action: &'static str, path: PathBuf, errno: Errno) -> DeployError {
    DeployError::io(action, path, errno.into())
}

/// `root/rel`, or `root` itself for the empty `rel`, for messages.
pub(super) fn under(root: &Path, rel: &str) -> PathBuf {
    if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    }
}

/// Translate a failure to open the directory `dir` on the way to `entry`.
/// `open_dir` refuses links and non-directories, but the kernel reports
/// both as `ELOOP` or `ENOTDIR` depending on where they are, so look at
/// each component to name the culprit.
pub(super) fn dir_error(
    root_fd: BorrowedFd<'_>,
    root: &Path,
    entry: &RelPath,
    dir: &str,
    errno: Errno,
) -> DeployError {
    if !matches!(errno, Errno::LOOP | Errno::NOTDIR) {
        return io("open directory", under(root, dir), errno);
    }
    let culprit = |prefix: &str, link: bool| {
        let at = RelPath::from_normal(prefix);
        if link {
            DeployError::SymlinkInPath {
                path: entry.clone(),
                link: at,
            }
        } else {
            DeployError::NotADirectory {
                path: entry.clone(),
                file: at,
            }
        }
    };
    let walk = Fs::new(true);
    let mut end = 0;
    while end < dir.len() {
        let next = dir[end..].find('/').map_or(dir.len(), |i| end + i);
        let (parent, name) = (&dir[..end.saturating_sub(1)], &dir[end..next]);
        let Ok(parent_fd) = walk.open_dir(root_fd, parent) else {
            break;
        };
        match sys::lstat(parent_fd.as_fd(), name) {
            Ok(meta) if meta.is_symlink() => return culprit(&dir[..next], true),
            Ok(meta) if !meta.is_dir() => return culprit(&dir[..next], false),
            _ => {}
        }
        end = next + 1;
    }
    // Changed again under our feet: name the directory itself.
    culprit(dir, errno == Errno::LOOP)
}

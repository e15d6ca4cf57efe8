//! The project root: opened, or created with its missing ancestors; and
//! removed again, as far as a failed deploy created it.

use crate::sys::OwnedFd;
use std::path::Path;

use crate::error::DeployError;
use crate::sys::{self, Errno};

use super::fail::io;

/// Open the root, creating it and its missing ancestors if needed. Returns
/// how many directories, from the root upwards, this call created.
pub(super) fn open_or_create(root: &Path) -> Result<(OwnedFd, usize), DeployError> {
    match sys::open_root(root) {
        Ok(fd) => return Ok((fd, 0)),
        Err(Errno::NOENT) => {}
        Err(Errno::NOTDIR) => {
            return Err(DeployError::RootNotADirectory {
                path: root.to_path_buf(),
            });
        }
        Err(e) => return Err(io("open the project root", root.to_path_buf(), e)),
    }
    let missing: Vec<&Path> = root
        .ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .take_while(|p| std::fs::symlink_metadata(p).is_err())
        .collect();
    // Create outermost first; count only an unbroken run ending at the root,
    // so that rollback never removes a directory someone else made.
    let mut created = 0;
    for dir in missing.iter().rev() {
        match std::fs::create_dir(dir) {
            Ok(()) => created += 1,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => created = 0,
            Err(e) => {
                remove_created(root, created);
                return Err(DeployError::io("create directory", dir.to_path_buf(), e));
            }
        }
    }
    match sys::open_root(root) {
        Ok(fd) => Ok((fd, created)),
        Err(e) => {
            remove_created(root, created);
            Err(io("open the project root", root.to_path_buf(), e))
        }
    }
}

/// Remove the `count` directories from `root` upwards that a deploy
/// created, stopping at the first that is not empty.
pub(super) fn remove_created(root: &Path, count: usize) {
    for dir in root.ancestors().take(count) {
        if std::fs::remove_dir(dir).is_err() {
            break;
        }
    }
}

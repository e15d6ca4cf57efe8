//! The project root: opened, or created with its missing ancestors; and
//! removed again, as far as a failed deploy created it.

use crate::sys::OwnedFd;
use std::path::Path;

use crate::error::DeployError;
use crate::sys::{self, Errno};

use super::fail::io;

/// Open the root, creating it and its missing ancestors if needed, each with
/// exactly `mode` (the umask is not applied). Returns how many directories,
/// from the root upwards, this call created.
pub(super) fn open_or_create(root: &Path, mode: u32) -> Result<(OwnedFd, usize), DeployError> {
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
            Ok(()) => {
                created += 1;
                if let Err(e) = sys::set_dir_mode_of(dir, mode) {
                    // The run of directories created so far ends at `dir`.
                    remove_created(dir, created);
                    return Err(io("set the mode of directory", dir.to_path_buf(), e));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => created = 0,
            Err(e) => {
                // The run created so far ends at `dir`'s parent, not at the
                // root (which does not exist yet).
                remove_created(dir.parent().unwrap_or(dir), created);
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

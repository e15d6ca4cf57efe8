//! Reading managed files back from the project without following links:
//! a symbolic link at a managed path, or in one of its parents, is reported
//! as "not a file", never read through (a link could point out of the
//! project, and `diff` would print what it points at).

use std::collections::HashSet;
use std::io::ErrorKind;
use std::path::Path;

use crate::lifecycle::LifecycleError;

/// What is at a managed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DiskState {
    /// Nothing (also when a parent is missing).
    Missing,
    /// A symbolic link, directory or special file, at the path or in a parent.
    NotAFile,
    /// A regular file.
    File {
        /// Its bytes.
        bytes: Vec<u8>,
        /// Its permission bits.
        mode: u32,
    },
}

/// Reads many paths of one project, checking each parent directory once.
pub(crate) struct DiskReader<'a> {
    project: &'a Path,
    plain_dirs: HashSet<String>,
    missing_dirs: HashSet<String>,
}

impl<'a> DiskReader<'a> {
    pub(crate) fn new(project: &'a Path) -> Self {
        DiskReader {
            project,
            plain_dirs: HashSet::new(),
            missing_dirs: HashSet::new(),
        }
    }

    pub(crate) fn read(&mut self, rel: &str) -> Result<DiskState, LifecycleError> {
        for (i, _) in rel.match_indices('/') {
            let dir = &rel[..i];
            if self.plain_dirs.contains(dir) {
                continue;
            }
            if self.missing_dirs.contains(dir) {
                return Ok(DiskState::Missing);
            }
            let path = self.project.join(dir);
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => {
                    self.plain_dirs.insert(dir.to_string());
                }
                Ok(_) => return Ok(DiskState::NotAFile),
                Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                    // Remembered like the plain ones: a fresh project's
                    // 10,000 files would otherwise look up its one missing
                    // top directory 10,000 times. (What is found is checked
                    // again when the plan is placed, as for plain ones.)
                    self.missing_dirs.insert(dir.to_string());
                    return Ok(DiskState::Missing);
                }
                Err(e) => return Err(LifecycleError::io("inspect", path, e)),
            }
        }
        let path = self.project.join(rel);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                return Ok(DiskState::Missing);
            }
            Err(e) => return Err(LifecycleError::io("inspect", path, e)),
        };
        if !meta.is_file() {
            return Ok(DiskState::NotAFile);
        }
        let bytes = std::fs::read(&path).map_err(|e| LifecycleError::io("read", path, e))?;
        Ok(DiskState::File {
            bytes,
            mode: mode_of(&meta),
        })
    }
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o777
}

#[cfg(not(unix))]
fn mode_of(_meta: &std::fs::Metadata) -> u32 {
    crate::deploy::DEFAULT_FILE_MODE
}

//! What to deploy: a root and a set of files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::PlanError;
use crate::path::RelPath;

/// The mode a file gets when its entry names none.
pub const DEFAULT_FILE_MODE: u32 = 0o644;

/// One file of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanEntry {
    path: RelPath,
    contents: Vec<u8>,
    mode: Option<u32>,
}

impl PlanEntry {
    /// Where the file goes, relative to the root.
    pub fn path(&self) -> &RelPath {
        &self.path
    }

    /// The bytes the file will hold.
    pub fn contents(&self) -> &[u8] {
        &self.contents
    }

    /// The mode as given, if any.
    pub fn mode(&self) -> Option<u32> {
        self.mode
    }

    /// The permission bits the file gets: the given mode, else
    /// [`DEFAULT_FILE_MODE`]. Applied exactly, regardless of the umask.
    pub fn effective_mode(&self) -> u32 {
        self.mode.unwrap_or(DEFAULT_FILE_MODE)
    }
}

/// A project root and the files to place under it.
///
/// The plan checks, as entries are added, everything that can be checked
/// without touching the disk: no two entries name the same file, even
/// ignoring case (a plan must deploy the same way on macOS and Windows); no
/// entry is a file where another needs a directory; modes are permission
/// bits. Nothing is read or written until [`deploy`](crate::deploy).
///
/// ```
/// use stencil_deploy::{DeployPlan, RelPath};
///
/// let mut plan = DeployPlan::new("/tmp/project");
/// plan.add(RelPath::new("README.md")?, "# hello\n", None)?;
/// plan.add(RelPath::new("bin/run")?, "#!/bin/sh\n", Some(0o755))?;
/// let err = plan.add(RelPath::new("readme.md")?, "", None).unwrap_err();
/// assert!(err.to_string().contains("`README.md` and `readme.md`"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct DeployPlan {
    root: PathBuf,
    entries: Vec<PlanEntry>,
    /// Case-folded file path → entry index.
    files: HashMap<String, usize>,
    /// Case-folded directory path → index of the first entry needing it.
    dirs: HashMap<String, usize>,
}

impl DeployPlan {
    /// An empty plan for `root`. The root need not exist: deploy creates it
    /// (and its missing ancestors), and removes them again on failure.
    pub fn new(root: impl Into<PathBuf>) -> DeployPlan {
        DeployPlan {
            root: root.into(),
            entries: Vec::new(),
            files: HashMap::new(),
            dirs: HashMap::new(),
        }
    }

    /// Add a file. `mode` holds permission bits (`0o755` for an executable);
    /// `None` means [`DEFAULT_FILE_MODE`].
    ///
    /// Fails, leaving the plan unchanged, if the path collides with an entry
    /// already added (the error names both) or the mode is not within
    /// `0o777`.
    pub fn add(
        &mut self,
        path: RelPath,
        contents: impl Into<Vec<u8>>,
        mode: Option<u32>,
    ) -> Result<&mut DeployPlan, PlanError> {
        if let Some(m) = mode
            && m & !0o777 != 0
        {
            return Err(PlanError::InvalidMode { path, mode: m });
        }
        let folded = path.folded();
        if let Some(&i) = self.files.get(&folded) {
            return Err(PlanError::Duplicate {
                first: self.entries[i].path.clone(),
                second: path,
            });
        }
        if let Some(&i) = self.dirs.get(&folded) {
            return Err(PlanError::FileDirConflict {
                file: path,
                inside: self.entries[i].path.clone(),
            });
        }
        let ancestors: Vec<&str> = folded
            .match_indices('/')
            .map(|(i, _)| &folded[..i])
            .collect();
        for dir in &ancestors {
            if let Some(&i) = self.files.get(*dir) {
                return Err(PlanError::FileDirConflict {
                    file: self.entries[i].path.clone(),
                    inside: path,
                });
            }
        }
        let index = self.entries.len();
        for dir in ancestors {
            self.dirs.entry(dir.to_owned()).or_insert(index);
        }
        self.files.insert(folded, index);
        self.entries.push(PlanEntry {
            path,
            contents: contents.into(),
            mode,
        });
        Ok(self)
    }

    /// The project root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The entries, in the order they were added.
    pub fn entries(&self) -> &[PlanEntry] {
        &self.entries
    }

    /// How many files the plan holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the plan holds no file.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> RelPath {
        RelPath::new(s).unwrap()
    }

    #[test]
    fn rejects_case_folded_duplicates_naming_both() {
        let mut plan = DeployPlan::new("r");
        plan.add(p("Docs/A.md"), "x", None).unwrap();
        let err = plan.add(p("docs/a.MD"), "y", None).unwrap_err();
        assert_eq!(
            err,
            PlanError::Duplicate {
                first: p("Docs/A.md"),
                second: p("docs/a.MD")
            }
        );
        assert_eq!(plan.len(), 1);
    }

    #[test]
    fn rejects_file_dir_conflicts_both_ways() {
        let mut plan = DeployPlan::new("r");
        plan.add(p("a/b"), "x", None).unwrap();
        assert!(matches!(
            plan.add(p("A"), "", None),
            Err(PlanError::FileDirConflict { .. })
        ));
        assert!(matches!(
            plan.add(p("a/b/c"), "", None),
            Err(PlanError::FileDirConflict { .. })
        ));
        plan.add(p("a/c"), "", None).unwrap();
        assert_eq!(plan.len(), 2);
    }

    #[test]
    fn rejects_non_permission_modes() {
        let mut plan = DeployPlan::new("r");
        assert!(plan.add(p("x"), "", Some(0o4755)).is_err());
        assert!(plan.add(p("x"), "", Some(0o755)).is_ok());
        assert_eq!(plan.entries()[0].effective_mode(), 0o755);
    }
}

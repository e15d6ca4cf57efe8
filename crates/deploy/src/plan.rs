//! What to deploy: a root and a set of files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::PlanError;
use crate::path::RelPath;

/// The mode a file gets when its entry names none.
pub const DEFAULT_FILE_MODE: u32 = 0o644;

/// The mode every directory a deploy creates gets (the root and its missing
/// ancestors included) unless the plan sets another with
/// [`DeployPlan::set_dir_mode`]. Applied exactly, regardless of the umask.
pub const DEFAULT_DIR_MODE: u32 = 0o755;

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
    dir_mode: u32,
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
            dir_mode: DEFAULT_DIR_MODE,
        }
    }

    /// Set the mode of every directory the deploy creates (permission bits
    /// within `0o777`; [`DEFAULT_DIR_MODE`] unless set). Directories that
    /// already exist keep theirs.
    pub fn set_dir_mode(&mut self, mode: u32) -> Result<&mut DeployPlan, PlanError> {
        if mode & !0o777 != 0 {
            return Err(PlanError::InvalidDirMode { mode });
        }
        self.dir_mode = mode;
        Ok(self)
    }

    /// The mode the deploy gives each directory it creates.
    pub fn dir_mode(&self) -> u32 {
        self.dir_mode
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
    fn rejects_names_equal_after_unicode_normalisation() {
        // `café` composed (NFC) and decomposed (NFD): one file on macOS.
        let mut plan = DeployPlan::new("r");
        plan.add(p("docs/caf\u{e9}.md"), "x", None).unwrap();
        let err = plan.add(p("docs/cafe\u{301}.md"), "y", None).unwrap_err();
        assert!(matches!(err, PlanError::Duplicate { .. }), "{err:?}");
        assert!(err.to_string().contains("Unicode normalisation"), "{err}");
        // With case folding too, and for a directory needed by a file.
        assert!(matches!(
            plan.add(p("DOCS/CAFE\u{301}.MD"), "", None),
            Err(PlanError::Duplicate { .. })
        ));
        assert!(matches!(
            plan.add(p("docs/cafe\u{301}.md/x"), "", None),
            Err(PlanError::FileDirConflict { .. })
        ));
        assert_eq!(plan.len(), 1);
    }

    proptest::proptest! {
        /// Oracle: two spellings that differ only by normalisation form or
        /// case name one file on macOS, so a plan holds at most one of them.
        #[test]
        fn every_normalisation_and_case_variant_collides(
            name in "[a-zA-Z\u{e0}-\u{ff}\u{300}-\u{36f}\u{1e00}-\u{1eff}\u{ac00}-\u{ac10}]{1,12}",
            variant in 0usize..4,
        ) {
            use unicode_normalization::UnicodeNormalization;
            let Ok(first) = RelPath::new(&format!("d/x{name}")) else { return Ok(()) };
            let other: String = match variant {
                0 => first.as_str().nfd().collect(),
                1 => first.as_str().nfc().collect(),
                2 => first.as_str().to_uppercase().nfd().collect(),
                _ => first.as_str().to_lowercase().nfc().collect(),
            };
            // Upper-casing may change more than case (`ß` → `SS`): compare
            // only what the file systems would, skip the rest.
            let Ok(second) = RelPath::new(&other) else { return Ok(()) };
            proptest::prop_assume!(
                other.to_lowercase().nfc().collect::<String>()
                    == first.as_str().to_lowercase().nfc().collect::<String>()
            );
            let mut plan = DeployPlan::new("r");
            plan.add(first, "a", None).unwrap();
            let refused = matches!(plan.add(second, "b", None), Err(PlanError::Duplicate { .. }));
            proptest::prop_assert!(refused, "{other:?}");
        }
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

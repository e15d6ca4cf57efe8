//! What to deploy: a root and a set of files.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::PlanError;
use crate::path::RelPath;

/// The mode a file gets when its entry names none.
pub const DEFAULT_FILE_MODE: u32 = 0o644;

/// The mode every directory a deploy creates gets (the root and its missing
/// ancestors included) unless the plan sets another with
/// [`DeployPlan::set_dir_mode`]. Applied exactly, regardless of the umask.
pub const DEFAULT_DIR_MODE: u32 = 0o755;

/// What an entry requires of the path it names when the deploy reaches
/// it, checked by preflight and again at placement (see [`DeployPlan::add_expecting`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Expect {
    /// Whatever is there, the [`OverwritePolicy`](crate::OverwritePolicy) decides.
    #[default]
    Policy,
    /// Nothing may be there: a file that appears is [`DeployError::Changed`](crate::DeployError::Changed),
    /// whatever the policy.
    Absent,
    /// A regular file holding exactly these bytes must be there; it is
    /// replaced (or removed). Anything else is [`DeployError::Changed`](crate::DeployError::Changed).
    Content(Vec<u8>),
    /// Created if absent, left as it is if present, whatever the policy
    /// (content-addressed files: one already there holds the same bytes).
    KeepIfExists,
}

/// Bytes a deploy asks for when it stages a file, instead of holding them
/// from planning on: a plan of large files then holds only their sources,
/// and the deploy holds at most one file per staging worker at a time.
///
/// `read` may be called more than once for one file and must return the
/// same `len` bytes each time; an error fails the deploy (before anything is
/// placed, as any staging error), naming the file.
///
/// ```
/// use std::sync::Arc;
/// use stencil_deploy::{ContentSource, Contents};
///
/// #[derive(Debug)]
/// struct Zeros(usize);
/// impl ContentSource for Zeros {
///     fn len(&self) -> u64 { self.0 as u64 }
///     fn read(&self) -> std::io::Result<Vec<u8>> { Ok(vec![0; self.0]) }
/// }
/// let contents = Contents::deferred(Arc::new(Zeros(3)));
/// assert_eq!(contents.len(), 3);
/// assert_eq!(&*contents.bytes()?, &[0, 0, 0]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait ContentSource: Send + Sync + fmt::Debug {
    /// How many bytes `read` returns (for the report's byte count, before
    /// anything is read).
    fn len(&self) -> u64;

    /// Whether `read` returns no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, read (or computed) now.
    fn read(&self) -> io::Result<Vec<u8>>;
}

/// What a file of a plan will hold: bytes in memory (shared, so one
/// rendering can be both a file and its base), or a [`ContentSource`] read
/// when the file is staged.
#[derive(Clone)]
pub enum Contents {
    /// The bytes themselves.
    Bytes(Arc<Vec<u8>>),
    /// Read when staged.
    Deferred(Arc<dyn ContentSource>),
}

impl Contents {
    /// Bytes shared with the caller (no copy).
    pub fn shared(bytes: Arc<Vec<u8>>) -> Contents {
        Contents::Bytes(bytes)
    }

    /// Bytes read from `source` when the file is staged.
    pub fn deferred(source: Arc<dyn ContentSource>) -> Contents {
        Contents::Deferred(source)
    }

    /// How many bytes the file will hold.
    pub fn len(&self) -> usize {
        match self {
            Contents::Bytes(b) => b.len(),
            Contents::Deferred(s) => usize::try_from(s.len()).unwrap_or(usize::MAX),
        }
    }

    /// Whether the file will be empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, if they are in memory already.
    pub fn as_slice(&self) -> Option<&[u8]> {
        match self {
            Contents::Bytes(b) => Some(b),
            Contents::Deferred(_) => None,
        }
    }

    /// The bytes: borrowed when in memory, else read from the source now
    /// (an error if it returns another length than it promised).
    pub fn bytes(&self) -> io::Result<Cow<'_, [u8]>> {
        match self {
            Contents::Bytes(b) => Ok(Cow::Borrowed(b)),
            Contents::Deferred(s) => {
                let bytes = s.read()?;
                if bytes.len() as u64 != s.len() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "its source promised {} bytes and returned {}",
                            s.len(),
                            bytes.len()
                        ),
                    ));
                }
                Ok(Cow::Owned(bytes))
            }
        }
    }
}

impl From<Vec<u8>> for Contents {
    fn from(bytes: Vec<u8>) -> Contents {
        Contents::Bytes(Arc::new(bytes))
    }
}

impl fmt::Debug for Contents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Contents::Bytes(b) => f.debug_tuple("Bytes").field(&b.len()).finish(),
            Contents::Deferred(s) => f.debug_tuple("Deferred").field(s).finish(),
        }
    }
}

/// Equal when both hold the same bytes in memory, or share one source.
impl PartialEq for Contents {
    fn eq(&self, other: &Contents) -> bool {
        match (self, other) {
            (Contents::Bytes(a), Contents::Bytes(b)) => a == b,
            (Contents::Deferred(a), Contents::Deferred(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for Contents {}

/// One file of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanEntry {
    path: RelPath,
    contents: Contents,
    mode: Option<u32>,
    expect: Expect,
    remove: bool,
}

impl PlanEntry {
    /// Where the file goes, relative to the root.
    pub fn path(&self) -> &RelPath {
        &self.path
    }

    /// What the file will hold.
    pub fn contents(&self) -> &Contents {
        &self.contents
    }

    /// The mode as given, if any.
    pub fn mode(&self) -> Option<u32> {
        self.mode
    }

    /// What the entry requires of its path.
    pub fn expect(&self) -> &Expect {
        &self.expect
    }

    /// The entry removes its path instead of writing it.
    pub fn is_removal(&self) -> bool {
        self.remove
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
    prune: bool,
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
            prune: false,
            dir_mode: DEFAULT_DIR_MODE,
        }
    }

    /// Make room for `additional` more entries, so that a plan of many
    /// files is allocated once instead of grown by doubling (which holds up
    /// to twice its size).
    pub fn reserve(&mut self, additional: usize) -> &mut DeployPlan {
        self.entries.reserve(additional);
        self.files.reserve(additional);
        self
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
        self.push(
            path,
            Contents::from(contents.into()),
            mode,
            Expect::Policy,
            false,
        )
    }

    /// Add a file that is placed only if its path still holds what the
    /// caller saw when planning (`expect`), so that a file edited or created
    /// between planning and placement is never lost: preflight checks it,
    /// and placement checks the replaced file again once it has been moved
    /// aside (and puts it back and fails if it changed).
    ///
    /// The one window left: a process that already holds the old file open
    /// and writes to it *in place* after the exchange writes into the
    /// backup, which the commit removes. Editors that save by writing a new
    /// file and renaming it over the old one are not affected.
    pub fn add_expecting(
        &mut self,
        path: RelPath,
        contents: impl Into<Vec<u8>>,
        mode: Option<u32>,
        expect: Expect,
    ) -> Result<&mut DeployPlan, PlanError> {
        self.push(path, Contents::from(contents.into()), mode, expect, false)
    }

    /// [`add_expecting`](Self::add_expecting) with [`Contents`]: shared
    /// bytes, or a [`ContentSource`] read only when the file is staged, so
    /// that a plan of large files need not hold them.
    pub fn add_contents(
        &mut self,
        path: RelPath,
        contents: Contents,
        mode: Option<u32>,
        expect: Expect,
    ) -> Result<&mut DeployPlan, PlanError> {
        self.push(path, contents, mode, expect, false)
    }

    /// Remove the file at `path`, which must hold exactly `expected` (else
    /// [`DeployError::Changed`](crate::DeployError::Changed) and nothing is
    /// done). The removal is part of the transaction: the file is moved
    /// into the staging area (the backup), put back on rollback or
    /// recovery, and deleted only after the commit point. Directories left
    /// empty by the removals are removed after the commit when
    /// [`prune_empty_dirs`](Self::prune_empty_dirs) is set.
    pub fn remove(
        &mut self,
        path: RelPath,
        expected: impl Into<Vec<u8>>,
    ) -> Result<&mut DeployPlan, PlanError> {
        self.push(
            path,
            Vec::new().into(),
            None,
            Expect::Content(expected.into()),
            true,
        )
    }

    /// After the commit, remove the parent directories of removed files
    /// that the removals left empty, deepest first, up to (not including)
    /// the root. Best effort: a directory that cannot be removed is kept.
    pub fn prune_empty_dirs(&mut self, yes: bool) -> &mut DeployPlan {
        self.prune = yes;
        self
    }

    /// Whether [`prune_empty_dirs`](Self::prune_empty_dirs) is set.
    pub fn prunes_empty_dirs(&self) -> bool {
        self.prune
    }

    fn push(
        &mut self,
        path: RelPath,
        contents: Contents,
        mode: Option<u32>,
        expect: Expect,
        remove: bool,
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
            contents,
            mode,
            expect,
            remove,
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

    #[derive(Debug)]
    struct Promise(u64, &'static [u8]);
    impl ContentSource for Promise {
        fn len(&self) -> u64 {
            self.0
        }
        fn read(&self) -> io::Result<Vec<u8>> {
            Ok(self.1.to_vec())
        }
    }

    #[test]
    fn a_deferred_source_is_read_when_asked_and_held_to_its_length() {
        let kept = Contents::deferred(Arc::new(Promise(3, b"abc")));
        assert_eq!((kept.len(), kept.as_slice()), (3, None));
        assert_eq!(&*kept.bytes().unwrap(), b"abc");
        let broken = Contents::deferred(Arc::new(Promise(4, b"abc")));
        let err = broken.bytes().unwrap_err();
        assert!(err.to_string().contains("promised 4 bytes"), "{err}");
        // Shared bytes: one allocation serves two entries.
        let bytes = Arc::new(b"xyz".to_vec());
        let mut plan = DeployPlan::new("r");
        let shared = Contents::shared(Arc::clone(&bytes));
        plan.add_contents(p("a"), shared.clone(), None, Expect::Policy)
            .unwrap();
        plan.add_contents(p("b"), shared, None, Expect::Policy)
            .unwrap();
        assert_eq!(Arc::strong_count(&bytes), 3);
        assert_eq!(plan.entries()[1].contents().as_slice(), Some(&b"xyz"[..]));
    }

    #[test]
    fn rejects_non_permission_modes() {
        let mut plan = DeployPlan::new("r");
        assert!(plan.add(p("x"), "", Some(0o4755)).is_err());
        assert!(plan.add(p("x"), "", Some(0o755)).is_ok());
        assert_eq!(plan.entries()[0].effective_mode(), 0o755);
    }
}

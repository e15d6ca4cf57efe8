//! The crate's errors: each `Display` is a sentence naming the path and what
//! to do about it.

use std::io;
use std::path::PathBuf;

use crate::path::RelPath;

/// Why a string is not a valid [`RelPath`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// Nothing is left once `.` components and slashes are removed.
    #[error("{path:?} names no file: give a path inside the project root such as `docs/notes.md`")]
    Empty {
        /// The path as given.
        path: String,
    },
    /// The path starts with `/`.
    #[error("{path:?} is absolute: deploy paths must be relative to the project root")]
    Absolute {
        /// The path as given.
        path: String,
    },
    /// A component is `..`.
    #[error("{path:?} has a `..` component, which would leave the project root: remove it")]
    ParentDir {
        /// The path as given.
        path: String,
    },
    /// The path contains a NUL byte.
    #[error("{path:?} contains a NUL byte, which no file system accepts in a name")]
    Nul {
        /// The path as given.
        path: String,
    },
    /// The path contains `\`.
    #[error(
        "{path:?} contains a backslash: separate directories with `/` (a backslash is a \
         separator on Windows and an ordinary character elsewhere, so its meaning is ambiguous)"
    )]
    Backslash {
        /// The path as given.
        path: String,
    },
    /// The path contains `:`.
    #[error(
        "{path:?} contains `:`, which Windows reads as a drive letter or a stream name: \
         rename the file"
    )]
    Colon {
        /// The path as given.
        path: String,
    },
    /// A component is a Windows device name.
    #[error(
        "{path:?} has the component `{component}`, a device name Windows reserves in every \
         directory: rename it"
    )]
    Reserved {
        /// The path as given.
        path: String,
        /// The reserved component.
        component: String,
    },
    /// A component holds a control character (a newline, a tab, `DEL`, …).
    #[error(
        "{path:?} has the component {component:?}, which holds a control character: \
         such names break listings, scripts and checkouts"
    )]
    ControlCharacter {
        /// The path as given.
        path: String,
        /// The offending component.
        component: String,
    },
    /// A component holds a character Windows forbids in file names.
    #[error(
        "{path:?} has the component `{component}`, which holds `{character}`: Windows \
         forbids `<`, `>`, `\"`, `|`, `?` and `*` in file names"
    )]
    WindowsForbidden {
        /// The path as given.
        path: String,
        /// The offending component.
        component: String,
        /// The forbidden character.
        character: char,
    },
    /// A component ends in `.` or a space.
    #[error(
        "{path:?} has the component `{component}`, which ends in a dot or a space that \
         Windows silently strips: rename it"
    )]
    TrailingDotOrSpace {
        /// The path as given.
        path: String,
        /// The offending component.
        component: String,
    },
    /// A component is longer than 255 bytes.
    #[error("{path:?} has a component of {len} bytes; file systems accept at most 255")]
    TooLong {
        /// The path as given.
        path: String,
        /// The component's length in bytes.
        len: usize,
    },
    /// The path lies inside stencil's own state directory.
    #[error(
        "{path:?} lies inside `.stencil/`, where stencil keeps its lock and journal: \
         choose another directory"
    )]
    StateDir {
        /// The path as given.
        path: String,
    },
}

/// Why an entry cannot join a [`DeployPlan`](crate::DeployPlan).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// Two entries name the same file, exactly, ignoring case, or after
    /// Unicode normalisation (`café` composed and decomposed).
    #[error(
        "`{first}` and `{second}` name the same file (paths are compared ignoring case and \
         Unicode normalisation, as macOS and Windows do): keep only one of them"
    )]
    Duplicate {
        /// The entry already in the plan.
        first: RelPath,
        /// The entry being added.
        second: RelPath,
    },
    /// One entry is a file where another needs a directory.
    #[error(
        "`{file}` is planned as a file, but `{inside}` needs a directory at that path: \
         rename one of them"
    )]
    FileDirConflict {
        /// The entry planned as a file.
        file: RelPath,
        /// The entry that needs the file's path to be a directory.
        inside: RelPath,
    },
    /// The mode has bits beyond the permission bits.
    #[error("mode {mode:#o} for `{path}` is not a permission mode: use bits within 0o777")]
    InvalidMode {
        /// The entry.
        path: RelPath,
        /// The mode as given.
        mode: u32,
    },
    /// The directory mode has bits beyond the permission bits.
    #[error("directory mode {mode:#o} is not a permission mode: use bits within 0o777")]
    InvalidDirMode {
        /// The mode as given.
        mode: u32,
    },
}

/// Why a [`deploy`](crate::deploy) or [`recover`](crate::recover) failed.
///
/// Unless the error is [`DeployError::RollbackFailed`] or
/// [`DeployError::Journal`], the target tree is as it was before the call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// The plan is inconsistent.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A system call failed. `kind` says what the operating system's error
    /// means; the message states it in words, then the system's own text.
    #[error("could not {action} `{}`: {}", path.display(), describe(*kind, source))]
    Io {
        /// What was being done, as a verb phrase ("create directory").
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// What the error means.
        kind: IoFailure,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The policy is [`Fail`](crate::OverwritePolicy::Fail) and planned files
    /// already exist.
    #[error(
        "{} planned file(s) already exist under `{}` (first: `{}`); nothing was changed: \
         deploy with the skip or overwrite policy to proceed",
        paths.len(), root.display(), paths.first().map(RelPath::as_str).unwrap_or("")
    )]
    AlreadyExists {
        /// The project root.
        root: PathBuf,
        /// Every planned path that exists, in plan order.
        paths: Vec<RelPath>,
    },
    /// A directory on the way to a planned file is a symbolic link.
    #[error(
        "cannot deploy `{path}`: `{link}` is a symbolic link, and stencil never follows links \
         inside the project root; replace it with a directory"
    )]
    SymlinkInPath {
        /// The planned file.
        path: RelPath,
        /// The link.
        link: RelPath,
    },
    /// A directory on the way to a planned file is something else.
    #[error("cannot deploy `{path}`: `{file}` exists and is not a directory")]
    NotADirectory {
        /// The planned file.
        path: RelPath,
        /// What is in the way.
        file: RelPath,
    },
    /// A directory exists where a planned file should go.
    #[error(
        "cannot deploy `{path}`: a directory exists at that path, and stencil replaces files, \
         never directories; move the directory away"
    )]
    IsADirectory {
        /// The planned file.
        path: RelPath,
    },
    /// A path does not hold what the plan expected of it (see
    /// [`Expect`](crate::Expect)): it was edited, created or removed
    /// between planning and placement. Nothing was changed.
    #[error(
        "`{path}` changed since the deploy was planned ({what}); nothing was changed: plan again"
    )]
    Changed {
        /// The path.
        path: RelPath,
        /// What was found instead.
        what: &'static str,
    },
    /// The state directory is a symbolic link or not a directory.
    #[error(
        "`{}` is not a plain directory (perhaps a symbolic link): stencil keeps its lock and \
         journal there and will not follow it; remove it",
        path.display()
    )]
    StateDir {
        /// The state directory.
        path: PathBuf,
    },
    /// A file in the state directory was replaced by another process while
    /// the deploy was using it. stencil did not write through it; the
    /// deploy was rolled back.
    #[error(
        "`{}` was replaced by another process during the deploy (stencil never writes \
         through a file it did not create); the deploy was undone",
        path.display()
    )]
    StateTampered {
        /// The file in the state directory.
        path: PathBuf,
    },
    /// The root exists and is not a directory.
    #[error("the project root `{}` exists and is not a directory", path.display())]
    RootNotADirectory {
        /// The root.
        path: PathBuf,
    },
    /// A journal left by an interrupted deploy cannot be read.
    #[error(
        "the deploy journal `{}` cannot be used ({reason}); the interrupted deploy it \
         describes was not undone: inspect the tree and remove the journal by hand",
        path.display()
    )]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The deploy failed and undoing it failed too; the journal was kept so
    /// that [`recover`](crate::recover) can finish the job.
    #[error(
        "{cause}; undoing the deploy then failed ({}), so the journal was kept: run recover \
         on the project root once the cause is fixed",
        failures.join("; ")
    )]
    RollbackFailed {
        /// The error that started the rollback.
        cause: Box<DeployError>,
        /// What could not be undone.
        failures: Vec<String>,
    },
    /// Recovery could not undo everything an interrupted deploy did; the
    /// journal was kept so that a later attempt can finish.
    #[error(
        "could not undo the interrupted deploy in `{}` ({}); the journal was kept: fix the \
         cause and run recover again",
        root.display(), failures.join("; ")
    )]
    RecoveryFailed {
        /// The project root.
        root: PathBuf,
        /// What could not be undone.
        failures: Vec<String>,
    },
    /// An armed failpoint fired (tests only).
    #[cfg(feature = "failpoints")]
    #[error("failpoint {step:?} fired")]
    Failpoint {
        /// Where.
        step: crate::options::Step,
        /// Whether it simulated a crash (nothing was cleaned up).
        crash: bool,
    },
}

impl DeployError {
    pub(crate) fn io(action: &'static str, path: PathBuf, source: io::Error) -> DeployError {
        DeployError::Io {
            action,
            path,
            kind: crate::sys::io_failure(&source),
            source,
        }
    }
}

/// What an operating-system error in a [`DeployError::Io`] means. Each
/// error number the protocol can meet while writing is told apart (so an
/// immutable file is not reported as a directory, nor a read-only mount as
/// a permission problem); everything else is [`Other`](IoFailure::Other).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoFailure {
    /// The user running stencil lacks the permission (`EACCES`).
    PermissionDenied,
    /// The operation is not permitted on that file whatever the permission
    /// bits say (`EPERM`): an immutable or append-only file, or a sticky
    /// directory's file owned by another user.
    NotPermitted,
    /// The file system is mounted read-only (`EROFS`).
    ReadOnlyFileSystem,
    /// The device is full (`ENOSPC`).
    NoSpace,
    /// The user's disk quota is used up (`EDQUOT`).
    QuotaExceeded,
    /// A name is too long for the file system (`ENAMETOOLONG`).
    NameTooLong,
    /// The file is in use by the system or a running program (`EBUSY`,
    /// `ETXTBSY`).
    Busy,
    /// The operation would cross from one file system to another (`EXDEV`):
    /// a mount point lies between the staging area and the path.
    CrossDevice,
    /// A file or directory has too many links (`EMLINK`).
    TooManyLinks,
    /// The device reported an input/output error (`EIO`).
    InputOutput,
    /// Any other error: the system's own text says what.
    Other,
}

impl std::fmt::Display for IoFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IoFailure::PermissionDenied => {
                "permission denied (the user running stencil may not do this there)"
            }
            IoFailure::NotPermitted => {
                "operation not permitted (the file or directory is protected: immutable or \
                 append-only, or in a sticky directory and owned by another user)"
            }
            IoFailure::ReadOnlyFileSystem => "the file system is read-only",
            IoFailure::NoSpace => "no space left on the device",
            IoFailure::QuotaExceeded => "the disk quota is exhausted",
            IoFailure::NameTooLong => "a name is too long for this file system",
            IoFailure::Busy => "the file is busy (in use by the system or a running program)",
            IoFailure::CrossDevice => {
                "the operation would cross onto another file system (a mount point)"
            }
            IoFailure::TooManyLinks => "too many links to one file or directory",
            IoFailure::InputOutput => "the device reported an input/output error",
            IoFailure::Other => "the operating system refused",
        })
    }
}

/// The words for `kind`, then the system's own text (which names the error
/// number) — or that text alone when there are no better words.
fn describe(kind: IoFailure, source: &io::Error) -> String {
    match kind {
        IoFailure::Other => source.to_string(),
        kind => format!("{kind} ({source})"),
    }
}

// Unix error numbers (rustix); the Windows codes map through
// `sys::windows::io_failure`.
#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn message(errno: rustix::io::Errno) -> String {
        DeployError::io("replace", PathBuf::from("/p/a.md"), errno.into()).to_string()
    }

    #[test]
    fn io_messages_say_what_the_error_number_means() {
        use rustix::io::Errno;
        for (errno, words) in [
            (Errno::ACCESS, "permission denied"),
            (Errno::PERM, "operation not permitted"),
            (Errno::ROFS, "the file system is read-only"),
            (Errno::NOSPC, "no space left on the device"),
            (Errno::DQUOT, "disk quota is exhausted"),
            (Errno::NAMETOOLONG, "a name is too long"),
            (Errno::BUSY, "the file is busy"),
            (Errno::XDEV, "another file system"),
            (Errno::MLINK, "too many links"),
            (Errno::IO, "input/output error"),
        ] {
            let text = message(errno);
            assert!(
                text.starts_with("could not replace `/p/a.md`: ") && text.contains(words),
                "{errno:?}: {text}"
            );
            // The system's own text (with the error number) follows.
            let system = std::io::Error::from(errno).to_string();
            assert!(text.ends_with(&format!("({system})")), "{errno:?}: {text}");
            assert!(!text.contains("directory exists"), "{errno:?}: {text}");
        }
        // No better words: the system's text alone.
        let text = message(Errno::NOENT);
        assert_eq!(
            text,
            format!(
                "could not replace `/p/a.md`: {}",
                std::io::Error::from(Errno::NOENT)
            )
        );
    }
}

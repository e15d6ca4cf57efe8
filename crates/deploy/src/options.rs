//! How to deploy: policy, durability, parallelism, progress.

use std::fmt;
use std::sync::Arc;

use crate::path::RelPath;
use crate::report::RecoveryReport;

/// What to do when a planned file already exists. A symbolic link at the
/// planned path counts as an existing file and is never followed; a
/// directory there is always an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OverwritePolicy {
    /// Leave existing files untouched and report them as skipped.
    #[default]
    Skip,
    /// Replace existing files (each reader sees the old or the new file,
    /// never a mix; on failure the old file is put back).
    Overwrite,
    /// Abort before anything is placed if any planned file exists.
    Fail,
}

/// How hard to make the result survive a power loss. A killed process is
/// recovered from in every mode: that needs no flush, only the journal.
///
/// The default is [`None`](Durability::None): the barrier is opt-in, as in the
/// design. `Batch` is implemented with `syncfs`, which flushes the *whole*
/// file system — other processes' dirty data included — so its cost depends
/// on what else the machine is writing (measured here: 2 ms on a quiet disk,
/// 1.4–3.9 s for a 7-file deploy while another process was writing).
/// `PerFile` flushes only the deploy's own files and directories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// No flush: fastest, and enough when only the process can die.
    #[default]
    None,
    /// One file-system barrier once everything is staged and journaled, and
    /// one after placing, before the commit (git's `core.fsyncMethod=batch`
    /// idea).
    Batch,
    /// `fsync` every staged file, the journal, and every touched directory.
    PerFile,
}

/// A step of the protocol, where a failpoint can fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg(feature = "failpoints")]
#[non_exhaustive]
pub enum Step {
    /// The lock is held and any earlier deploy recovered.
    AfterLock,
    /// The k-th file (counting from 1) is staged.
    AfterStaged(usize),
    /// The journal is written (and flushed if durable).
    AfterJournal,
    /// The k-th missing directory (counting from 1) is created.
    AfterDirCreated(usize),
    /// The k-th file (counting from 1) is in place.
    AfterPlaced(usize),
    /// The touched directories are synced (reached in every mode).
    AfterDirSync,
    /// Everything is in place; the journal still exists.
    BeforeCommit,
    /// The journal is gone; the staging area still exists.
    AfterCommit,
}

/// What an armed failpoint does when its step is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg(feature = "failpoints")]
#[non_exhaustive]
pub enum FailAction {
    /// Return an error, as a failed system call would: the deploy rolls back.
    Error,
    /// Stop at once, leaving everything as a killed process would (the lock
    /// is released, as the kernel does on exit); a later `recover` must
    /// repair it.
    Crash,
}

/// A step and what to do there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg(feature = "failpoints")]
pub struct Failpoint {
    /// Where.
    pub step: Step,
    /// What.
    pub action: FailAction,
}

/// A progress event. Events arrive in protocol order; `Staged` may come
/// from several worker threads.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum DeployEvent<'a> {
    /// An interrupted earlier deploy was found and undone (or completed).
    Recovered(&'a RecoveryReport),
    /// The plan was checked against the disk.
    Planned {
        /// Files the plan holds.
        files: usize,
        /// Files that will be written or overwritten.
        to_place: usize,
        /// Files that will be skipped.
        to_skip: usize,
        /// Directories that will be created.
        dirs: usize,
    },
    /// A file was staged.
    Staged {
        /// Files staged so far.
        done: usize,
        /// Files to stage.
        total: usize,
    },
    /// A file was placed.
    Placed {
        /// Files placed so far.
        done: usize,
        /// Files to place.
        total: usize,
        /// The file just placed.
        path: &'a RelPath,
    },
    /// The commit point was passed: the deploy can no longer be undone.
    Committed,
    /// The deploy failed and was undone.
    RolledBack,
}

/// Receives progress events. The library itself prints nothing.
///
/// Any `Fn(&DeployEvent) + Send + Sync` closure is an observer.
pub trait DeployObserver: Send + Sync {
    /// Called for each event; should return quickly.
    fn on_event(&self, event: &DeployEvent<'_>);
}

impl<F: Fn(&DeployEvent<'_>) + Send + Sync> DeployObserver for F {
    fn on_event(&self, event: &DeployEvent<'_>) {
        self(event)
    }
}

/// How to run a deploy. Built by value:
///
/// ```
/// use stencil_deploy::{DeployOptions, Durability, OverwritePolicy};
///
/// let options = DeployOptions::new()
///     .overwrite(OverwritePolicy::Overwrite)
///     .durability(Durability::None)
///     .workers(2)
///     .observer(|event: &stencil_deploy::DeployEvent<'_>| { let _ = event; });
/// assert_eq!(options.overwrite_policy(), OverwritePolicy::Overwrite);
/// ```
#[derive(Clone, Default)]
pub struct DeployOptions {
    overwrite: OverwritePolicy,
    durability: Durability,
    dry_run: bool,
    workers: usize,
    observer: Option<Arc<dyn DeployObserver>>,
    #[cfg(feature = "failpoints")]
    failpoint: Option<Failpoint>,
    #[cfg(feature = "failpoints")]
    portable: bool,
}

impl DeployOptions {
    /// The defaults: skip existing files, [`Durability::None`], not a dry
    /// run, one staging thread, no observer.
    pub fn new() -> DeployOptions {
        DeployOptions::default()
    }

    /// Set the overwrite policy.
    pub fn overwrite(mut self, policy: OverwritePolicy) -> DeployOptions {
        self.overwrite = policy;
        self
    }

    /// Set the durability.
    pub fn durability(mut self, durability: Durability) -> DeployOptions {
        self.durability = durability;
        self
    }

    /// A dry run checks the plan against the disk and returns the report a
    /// real run would, without creating, writing or locking anything.
    pub fn dry_run(mut self, yes: bool) -> DeployOptions {
        self.dry_run = yes;
        self
    }

    /// Threads used to write staged files. `0` (the default) means one for
    /// files going into existing directories — on this project's machines
    /// (2 shared cores) two such staging threads measured slower than one
    /// at 1,000 files — and, for new subtrees (staged whole, each tree by
    /// one thread), one per core up to 4 once there are at least 256 files
    /// per thread: there two threads measured 1.3–1.8× faster than one at
    /// 10,000 files (`docs/performance.md`). Removing leftovers always uses
    /// up to 4 threads.
    pub fn workers(mut self, workers: usize) -> DeployOptions {
        self.workers = workers;
        self
    }

    /// Receive progress events.
    pub fn observer(mut self, observer: impl DeployObserver + 'static) -> DeployOptions {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// Arm a failpoint (tests only).
    #[cfg(feature = "failpoints")]
    pub fn failpoint(mut self, failpoint: Failpoint) -> DeployOptions {
        self.failpoint = Some(failpoint);
        self
    }

    /// Use the portable fallbacks (link-based placement, component-wise
    /// directory walk) even where `renameat2` and `openat2` exist, so tests
    /// cover them (tests only).
    #[cfg(feature = "failpoints")]
    pub fn force_portable(mut self, yes: bool) -> DeployOptions {
        self.portable = yes;
        self
    }

    /// The overwrite policy.
    pub fn overwrite_policy(&self) -> OverwritePolicy {
        self.overwrite
    }

    /// The durability.
    pub fn durability_mode(&self) -> Durability {
        self.durability
    }

    /// Whether this is a dry run.
    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    /// The number of staging threads that will be used for `files` files.
    pub(crate) fn effective_workers(&self, files: usize) -> usize {
        // A thread costs more than writing a few small files.
        self.workers.min(files.div_ceil(32)).max(1)
    }

    /// The number of threads staging new subtrees of `files` files in all.
    pub(crate) fn tree_workers(&self, files: usize) -> usize {
        let wanted = match self.workers {
            0 => Self::cleanup_workers(),
            n => n,
        };
        // A thread costs more than writing a few hundred small files.
        wanted.min(files / 256).max(1)
    }

    /// Threads for removing leftovers: unlink is slow single-threaded on
    /// this machine's file system.
    pub(crate) fn cleanup_workers() -> usize {
        // Asking costs a dozen system calls (cgroup files): ask once.
        static WORKERS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        *WORKERS.get_or_init(|| {
            std::thread::available_parallelism()
                .map(|n| n.get().min(4))
                .unwrap_or(1)
        })
    }

    pub(crate) fn emit(&self, event: DeployEvent<'_>) {
        if let Some(observer) = &self.observer {
            observer.on_event(&event);
        }
    }

    pub(crate) fn portable(&self) -> bool {
        #[cfg(feature = "failpoints")]
        {
            self.portable
        }
        #[cfg(not(feature = "failpoints"))]
        {
            false
        }
    }

    /// Fire the failpoint armed for `step`, if any.
    #[cfg(feature = "failpoints")]
    pub(crate) fn failpoint_at(&self, step: Step) -> Option<FailAction> {
        self.failpoint.filter(|f| f.step == step).map(|f| f.action)
    }
}

impl fmt::Debug for DeployOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeployOptions")
            .field("overwrite", &self.overwrite)
            .field("durability", &self.durability)
            .field("dry_run", &self.dry_run)
            .field("workers", &self.workers)
            .field("observer", &self.observer.as_ref().map(|_| "…"))
            .finish()
    }
}

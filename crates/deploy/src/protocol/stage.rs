//! The staging area, `.stencil/deploy-staging/`: its lanes, the staged
//! files written into them, and clearing it afterwards.

use crate::sys::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::error::DeployError;
#[cfg(feature = "failpoints")]
use crate::options::Step;
use crate::options::{DeployEvent, DeployOptions};
use crate::path::STATE_DIR;
use crate::plan::{DeployPlan, PlanEntry};
use crate::sys::{self, Errno, Fs};

#[cfg(feature = "failpoints")]
use super::fail::fire;
use super::fail::{crashed, io, under};
use super::state::{STAGING, state_path};
use super::subtree::remove_tree;

fn lane_name(lane: usize) -> String {
    format!("lane{lane}")
}

/// Open lane `lane` of the staging directory `stage`.
pub(super) fn open_lane(fs: Fs, stage: BorrowedFd<'_>, lane: usize) -> Result<OwnedFd, Errno> {
    if lane == 0 {
        fs.open_dir(stage, "")
    } else {
        fs.open_dir(stage, &lane_name(lane))
    }
}

/// Create lanes `1..count` in the staging directory `stage` (lane 0 is
/// `stage` itself) and push a handle to each of lanes `0..count` onto
/// `lanes`. On error the lanes made so far are in `lanes`, for cleanup.
pub(super) fn open_lanes(
    fs: Fs,
    root: &Path,
    stage: BorrowedFd<'_>,
    count: usize,
    lanes: &mut Vec<OwnedFd>,
) -> Result<(), DeployError> {
    for lane in 0..count {
        let name = lane_name(lane);
        let made = match lane {
            0 => Ok(()),
            _ => sys::mkdir(stage, &name, 0o700),
        }
        .and_then(|()| open_lane(fs, stage, lane));
        match made {
            Ok(fd) => lanes.push(fd),
            Err(e) => {
                return Err(io(
                    "create directory",
                    state_path(root, STAGING).join(name),
                    e,
                ));
            }
        }
    }
    Ok(())
}

/// Write every staged file, spread over worker threads. Returns each file's
/// inode number, in the order of `todo`. `done` counts staged files (of
/// `total`, subtrees included) for the events.
#[allow(clippy::too_many_arguments)]
pub(super) fn stage_files(
    plan: &DeployPlan,
    options: &DeployOptions,
    root: &Path,
    lanes: &[OwnedFd],
    todo: &[usize],
    sync: bool,
    done: &AtomicUsize,
    total: usize,
) -> Result<Vec<u64>, DeployError> {
    let entries = plan.entries();
    let workers = lanes.len().max(1);
    let stop = AtomicBool::new(false);
    let work = |worker: usize| -> Result<Vec<(usize, u64)>, DeployError> {
        let Some(stage) = lanes.get(worker).map(AsFd::as_fd) else {
            return Err(io("stage files in", root.join(STATE_DIR), Errno::BADF));
        };
        let mut inos = Vec::with_capacity(todo.len() / workers + 1);
        for (k, &index) in todo.iter().enumerate().skip(worker).step_by(workers) {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let entry = &entries[index];
            let ino = stage_entry(stage, &index.to_string(), entry, sync).map_err(|e| {
                stop.store(true, Ordering::Relaxed);
                DeployError::io("stage a copy of", under(root, entry.path().as_str()), e)
            })?;
            inos.push((k, ino));
            let _n = done.fetch_add(1, Ordering::Relaxed) + 1;
            options.emit(DeployEvent::Staged { done: _n, total });
            #[cfg(feature = "failpoints")]
            fire(options, Step::AfterStaged(_n))
                .inspect_err(|_| stop.store(true, Ordering::Relaxed))?;
        }
        Ok(inos)
    };
    let results: Vec<Result<Vec<(usize, u64)>, DeployError>> = if workers == 1 {
        vec![work(0)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers).map(|w| scope.spawn(move || work(w))).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(io("stage files in", root.join(STATE_DIR), Errno::IO))
                    })
                })
                .collect()
        })
    };
    let mut inos = vec![0u64; todo.len()];
    let mut first_error = None;
    for result in results {
        match result {
            Ok(list) => {
                for (k, ino) in list {
                    inos[k] = ino;
                }
            }
            // Prefer a simulated crash over the errors it caused elsewhere.
            Err(e) if first_error.is_none() || crashed(&e) => first_error = Some(e),
            Err(_) => {}
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(inos),
    }
}

/// Remove every entry of the staging directory, in parallel: unlink is slow
/// single-threaded on this machine's file system.
fn clear_dir(dir: BorrowedFd<'_>, workers: usize) -> Result<(), Errno> {
    let names = sys::list(dir)?;
    let workers = workers.min(names.len().div_ceil(64)).max(1);
    if workers == 1 {
        for name in &names {
            sys::unlink_c(dir, name)?;
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = names
            .chunks(names.len().div_ceil(workers))
            .map(|chunk| {
                scope.spawn(move || -> Result<(), Errno> {
                    for name in chunk {
                        sys::unlink_c(dir, name)?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().unwrap_or(Err(Errno::IO)))
    })
}

/// Writes `entry`'s bytes as the new file `name` in `dir`, for lane and
/// subtree staging alike. A deferred file is read here, so a staging worker
/// holds one file's bytes at a time.
pub(super) fn stage_entry(
    dir: BorrowedFd<'_>,
    name: &str,
    entry: &PlanEntry,
    sync: bool,
) -> std::io::Result<u64> {
    let bytes = entry.contents().bytes()?;
    sys::write_new(dir, name, &bytes, entry.effective_mode(), sync)
}

/// Remove the staging directory's contents: lane directories are emptied
/// and removed, staged subtrees that were not placed removed whole,
/// everything else (lane 0's slots) is unlinked, never followed; in
/// parallel.
pub(super) fn clear_staging(fs: Fs, stage: BorrowedFd<'_>, workers: usize) -> Result<(), Errno> {
    for name in sys::list(stage)? {
        let Ok(text) = name.to_str() else { continue };
        if text.starts_with("tree") {
            remove_tree(fs, stage, text)?;
            continue;
        }
        if !text.starts_with("lane") {
            continue;
        }
        match fs.open_dir(stage, text) {
            Ok(lane) => {
                clear_dir(lane.as_fd(), workers)?;
                sys::rmdir(stage, text)?;
            }
            Err(Errno::LOOP | Errno::NOTDIR) => {}
            Err(e) => return Err(e),
        }
    }
    clear_dir(stage, workers)
}

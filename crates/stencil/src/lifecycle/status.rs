//! `status`: how each managed file of each deployment compares with what
//! stencil placed, and whether the catalogue holds a newer revision.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::lifecycle::LifecycleError;
use crate::lifecycle::disk::{DiskReader, DiskState};
use crate::lifecycle::record::{DeploymentRecord, Origin, RecordedFile, read_records};
use crate::lifecycle::rendering::{record_options, record_secrets, render_both};
use crate::lifecycle::revision::{sha256_hex, template_revision};
use crate::store::{self, Catalog};

/// How a managed file compares with what stencil last placed there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileState {
    /// Byte for byte what stencil placed (or adopted).
    Unchanged,
    /// Edited since, or replaced by something that is not a regular file.
    Modified,
    /// Gone from disk.
    Deleted,
    /// Deleted by the user and kept deleted by an update (a tombstone).
    KeptDeleted,
    /// Found there with other content at deploy and left alone: not stencil's.
    Unmanaged,
}

impl FileState {
    /// Whether `status --check` fails on it.
    pub fn needs_attention(self) -> bool {
        matches!(self, FileState::Modified | FileState::Deleted)
    }

    /// The word `status` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            FileState::Unchanged => "unchanged",
            FileState::Modified => "modified",
            FileState::Deleted => "deleted",
            FileState::KeptDeleted => "kept deleted",
            FileState::Unmanaged => "unmanaged",
        }
    }
}

/// One managed file's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStatus {
    /// Relative to the project root.
    pub path: String,
    /// How it compares.
    pub state: FileState,
}

/// What an update would do to one path, upstream side only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpstreamChange {
    /// The new revision adds the file.
    Added,
    /// The new revision renders it differently.
    Changed,
    /// The new revision no longer has it.
    Removed,
}

impl UpstreamChange {
    /// The word `status` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            UpstreamChange::Added => "added",
            UpstreamChange::Changed => "changed",
            UpstreamChange::Removed => "removed",
        }
    }
}

/// How the recorded revision compares with the catalogue's.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Upstream {
    /// No catalogue was given.
    NotChecked,
    /// The catalogue holds the recorded revision.
    Current,
    /// The catalogue holds another revision.
    Outdated {
        /// The catalogue's revision.
        revision: String,
        /// Per path, what an update would change (sorted by path); `None`
        /// when the new revision cannot be rendered with the recorded
        /// variables (see `reason`).
        changes: Option<Vec<(String, UpstreamChange)>>,
        /// Why `changes` is `None`.
        reason: Option<String>,
    },
    /// The template is no longer in the catalogue.
    Gone,
}

/// One deployment's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentStatus {
    /// The template.
    pub template: String,
    /// The recorded revision.
    pub revision: String,
    /// Every recorded file, sorted by path.
    pub files: Vec<FileStatus>,
    /// Against the catalogue.
    pub upstream: Upstream,
}

/// What [`status`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// The project.
    pub project: PathBuf,
    /// Every deployment, sorted by template.
    pub deployments: Vec<DeploymentStatus>,
}

impl StatusReport {
    /// Nothing modified, deleted or outdated: what `status --check` exits 0 on.
    pub fn is_clean(&self) -> bool {
        self.deployments.iter().all(|d| {
            !matches!(d.upstream, Upstream::Outdated { .. })
                && d.files.iter().all(|f| !f.state.needs_attention())
        })
    }

    /// Files in `state`, across deployments.
    pub fn count(&self, state: FileState) -> usize {
        self.deployments
            .iter()
            .flat_map(|d| &d.files)
            .filter(|f| f.state == state)
            .count()
    }
}

/// Compares every deployment recorded in `project` with the disk and, when
/// `catalog` is given, with the catalogue's current revision of each
/// template.
///
/// Cost: one read and one sha256 of every managed file; with a catalogue,
/// one template load and one render per deployment (secrets masked: status
/// never needs a secret's value). Nothing is written.
///
/// # Errors
///
/// [`LifecycleError::NotDeployed`] when the project has no record; reading
/// errors. A template gone from the catalogue is not an error
/// ([`Upstream::Gone`]).
pub fn status(project: &Path, catalog: Option<&Catalog>) -> Result<StatusReport, LifecycleError> {
    let records = read_records(project)?;
    if records.is_empty() {
        return Err(LifecycleError::NotDeployed {
            project: project.to_path_buf(),
            template: None,
        });
    }
    let mut deployments = Vec::with_capacity(records.len());
    for record in &records {
        let files = file_states(project, record)?;
        let upstream = match catalog {
            None => Upstream::NotChecked,
            Some(catalog) => upstream_of(catalog, record)?,
        };
        deployments.push(DeploymentStatus {
            template: record.template.clone(),
            revision: record.revision.clone(),
            files,
            upstream,
        });
    }
    Ok(StatusReport {
        project: project.to_path_buf(),
        deployments,
    })
}

/// Each recorded file's state on disk.
pub(crate) fn file_states(
    project: &Path,
    record: &DeploymentRecord,
) -> Result<Vec<FileStatus>, LifecycleError> {
    // Reading and hashing is the whole cost; spread it over a few threads
    // for large projects (each with its own reader), results in order.
    let workers = if record.files.len() < 512 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
    };
    let chunk = record.files.len().div_ceil(workers).max(1);
    let parts: Vec<Result<Vec<FileStatus>, LifecycleError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = record
            .files
            .chunks(chunk)
            .map(|files| scope.spawn(move || states_of(project, files)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(LifecycleError::io(
                        "read",
                        project.to_path_buf(),
                        std::io::Error::other("a status worker panicked"),
                    ))
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(record.files.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

fn states_of(project: &Path, files: &[RecordedFile]) -> Result<Vec<FileStatus>, LifecycleError> {
    let mut out = Vec::with_capacity(files.len());
    let mut reader = DiskReader::new(project);
    for file in files {
        let state = if file.origin == Origin::Skipped {
            FileState::Unmanaged
        } else {
            match reader.read(&file.path)? {
                DiskState::Missing if file.deleted => FileState::KeptDeleted,
                DiskState::Missing => FileState::Deleted,
                DiskState::NotAFile => FileState::Modified,
                DiskState::File { bytes, mode } => {
                    if sha256_hex(&bytes) == file.sha256 && mode == file.mode {
                        FileState::Unchanged
                    } else {
                        FileState::Modified
                    }
                }
            }
        };
        out.push(FileStatus {
            path: file.path.clone(),
            state,
        });
    }
    Ok(out)
}

fn upstream_of(catalog: &Catalog, record: &DeploymentRecord) -> Result<Upstream, LifecycleError> {
    let template = match catalog.load_template(&record.template) {
        Ok(t) => t,
        Err(store::Error::NotFound { .. }) => return Ok(Upstream::Gone),
        Err(e) => return Err(LifecycleError::Stencil(e.into())),
    };
    let revision = template_revision(&template);
    if revision == record.revision {
        return Ok(Upstream::Current);
    }
    let secrets = record_secrets(record, &[], false)?;
    let options = record_options(record)?;
    let renders = match render_both(&template, &record.variables, &secrets, &options) {
        Ok(r) => r,
        Err(e) => {
            return Ok(Upstream::Outdated {
                revision,
                changes: None,
                reason: Some(e.to_string()),
            });
        }
    };
    let mut changes = BTreeMap::new();
    for file in &renders.masked {
        let key = sha256_hex(&file.contents);
        match record.file(file.path.as_str()) {
            None => {
                changes.insert(file.path.as_str().to_string(), UpstreamChange::Added);
            }
            Some(old) => {
                let old_key = old.base.as_deref().unwrap_or(&old.sha256);
                let mode = file.mode.unwrap_or(crate::deploy::DEFAULT_FILE_MODE);
                if old_key != key || old.mode != mode {
                    changes.insert(old.path.clone(), UpstreamChange::Changed);
                }
            }
        }
    }
    let new_paths: std::collections::HashSet<&str> =
        renders.masked.iter().map(|f| f.path.as_str()).collect();
    for old in &record.files {
        if !new_paths.contains(old.path.as_str()) {
            changes.insert(old.path.clone(), UpstreamChange::Removed);
        }
    }
    Ok(Upstream::Outdated {
        revision,
        changes: Some(changes.into_iter().collect()),
        reason: None,
    })
}

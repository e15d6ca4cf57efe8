//! `update`: re-render the template's current revision with the recorded
//! variables and apply it file by file with a three-way decision (see
//! [`decide`](super::decide) for the table), in one atomic deploy that also
//! writes the new record and bases and removes what the template dropped.
//!
//! Over 600 lines: the options, the report types with their words, and the
//! one function that fills them are one concern (each action of the report
//! is produced in exactly one arm of `update`); splitting the types out
//! would scatter that correspondence. The per-file decision itself is in
//! `decide.rs`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use crate::deploy::{self, DeployOptions, DeployPlan, DeployReport, Expect, RelPath};
use crate::lifecycle::LifecycleError;
use crate::lifecycle::bases::{read_base, unmask_secrets};
use crate::lifecycle::commit::{StateEntries, remove_base, strip_state};
use crate::lifecycle::decide::{ConflictMode, Decision, Sides, decide, needs_base};
use crate::lifecycle::deploying::{file_kind, new_record};
use crate::lifecycle::disk::{DiskReader, DiskState};
use crate::lifecycle::merge::unified_diff;
use crate::lifecycle::record::{DeploymentRecord, Origin, RecordedFile, read_records};
use crate::lifecycle::rendering::{record_options, record_secrets, render_both};
use crate::lifecycle::revision::{sha256_hex, template_revision};
use crate::render::Renderer;
use crate::store::Catalog;
use crate::{RenderedFile, template_spec};

/// How to update.
#[derive(Debug, Clone, Default)]
pub struct UpdateOptions {
    template: Option<String>,
    vars: Vec<(String, String)>,
    secrets: Vec<(String, String)>,
    conflict: ConflictMode,
    restore: bool,
    dry_run: bool,
    deploy: DeployOptions,
}

impl UpdateOptions {
    /// The only deployment in the project, recorded variables, markers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Which deployment to update (needed when the project holds several).
    pub fn template(mut self, template: impl Into<String>) -> Self {
        self.template = Some(template.into());
        self
    }

    /// Overrides a recorded variable, or gives one the new revision requires.
    pub fn var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.push((name.into(), value.into()));
        self
    }

    /// Gives a secret's value (every secret the deployment used must be given).
    pub fn secret(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.secrets.push((name.into(), value.into()));
        self
    }

    /// What to do with conflicts.
    pub fn conflict(mut self, mode: ConflictMode) -> Self {
        self.conflict = mode;
        self
    }

    /// Brings back files the user deleted (they stay deleted otherwise).
    pub fn restore(mut self, yes: bool) -> Self {
        self.restore = yes;
        self
    }

    /// Decides and reports everything; writes nothing.
    pub fn dry_run(mut self, yes: bool) -> Self {
        self.dry_run = yes;
        self
    }

    /// The deploy crate's options (durability, observer); the overwrite
    /// policy is ignored: every entry of an update says what it expects.
    pub fn deploy_options(mut self, options: DeployOptions) -> Self {
        self.deploy = options;
        self
    }
}

/// Why a file conflicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Conflict {
    /// Both changed the same lines; markers were written into the file.
    Markers {
        /// Conflicting regions.
        regions: usize,
    },
    /// Both changed the same lines; the template's change is in `PATH.rej`
    /// and the user's file is untouched.
    Rej,
    /// Both changed the same lines and the mode is `abort`.
    Text,
    /// Binary content changed on both sides: never merged.
    Binary,
    /// The template adds a file where an unmanaged file already exists:
    /// stencil never overwrites a file it did not place.
    Unmanaged,
    /// Something other than a regular file (a link, a directory) is at the path.
    NotAFile,
}

/// What update did (or, in a dry run or an aborted update, would do) with one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpdateAction {
    /// Unchanged everywhere.
    Unchanged,
    /// Unmodified locally, changed upstream: the new render was written.
    Updated,
    /// Modified locally, unchanged upstream: the user's file kept.
    KeptLocal,
    /// The user already has the new content: only the record changed.
    RecordOnly,
    /// Both changed, merged cleanly, written.
    Merged,
    /// A conflict; see [`Conflict`].
    Conflict(Conflict),
    /// Deleted by the user: stays deleted (a tombstone in the record).
    KeptDeleted,
    /// Deleted by the user and brought back (`restore`).
    Restored,
    /// New upstream: created.
    Added,
    /// New upstream, already on disk with exactly that content: adopted.
    Adopted,
    /// Removed upstream and unmodified: deleted.
    Removed,
    /// Removed upstream but modified (or already deleted): kept as it is,
    /// dropped from the record.
    KeptRemoved,
    /// A file that existed before the deploy and was skipped: left alone.
    Unmanaged,
}

impl UpdateAction {
    /// The words `update` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateAction::Unchanged => "unchanged",
            UpdateAction::Updated => "updated",
            UpdateAction::KeptLocal => "kept (your edit, no upstream change)",
            UpdateAction::RecordOnly => "already up to date",
            UpdateAction::Merged => "merged",
            UpdateAction::Conflict(Conflict::Markers { .. }) => "CONFLICT (markers in the file)",
            UpdateAction::Conflict(Conflict::Rej) => "CONFLICT (template change in .rej)",
            UpdateAction::Conflict(Conflict::Text) => "CONFLICT",
            UpdateAction::Conflict(Conflict::Binary) => "CONFLICT (binary, both changed)",
            UpdateAction::Conflict(Conflict::Unmanaged) => {
                "CONFLICT (new upstream, an unmanaged file is in the way)"
            }
            UpdateAction::Conflict(Conflict::NotAFile) => "CONFLICT (not a regular file)",
            UpdateAction::KeptDeleted => "kept deleted (use --restore to bring it back)",
            UpdateAction::Restored => "restored",
            UpdateAction::Added => "added",
            UpdateAction::Adopted => "adopted (already there)",
            UpdateAction::Removed => "removed (dropped by the template)",
            UpdateAction::KeptRemoved => "kept (dropped by the template, but modified)",
            UpdateAction::Unmanaged => "left alone (not stencil's)",
        }
    }

    /// Whether the path changes on disk.
    pub fn writes(self) -> bool {
        matches!(
            self,
            UpdateAction::Updated
                | UpdateAction::Merged
                | UpdateAction::Conflict(Conflict::Markers { .. } | Conflict::Rej)
                | UpdateAction::Restored
                | UpdateAction::Added
                | UpdateAction::Removed
        )
    }
}

/// One path of an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatedFile {
    /// Relative to the project root.
    pub path: String,
    /// What happened.
    pub action: UpdateAction,
}

/// What [`update`] did.
#[derive(Debug, Clone)]
pub struct UpdateReport {
    /// The template.
    pub template: String,
    /// The recorded revision before.
    pub from_revision: String,
    /// The catalogue's revision, now recorded.
    pub to_revision: String,
    /// Every path considered, sorted.
    pub files: Vec<UpdatedFile>,
    /// Files that conflict.
    pub conflicts: usize,
    /// Conflicts in `abort` mode: nothing was written.
    pub aborted: bool,
    /// Nothing was written because this was a dry run.
    pub dry_run: bool,
    /// The deploy's report (files only), when one ran.
    pub deploy: Option<DeployReport>,
}

impl UpdateReport {
    /// Files with `action`.
    pub fn count(&self, action: impl Fn(UpdateAction) -> bool) -> usize {
        self.files.iter().filter(|f| action(f.action)).count()
    }

    /// The action taken for `path`, if it was considered.
    pub fn action(&self, path: &str) -> Option<UpdateAction> {
        self.files.iter().find(|f| f.path == path).map(|f| f.action)
    }

    /// One line: `updated template "web" (sha256:ab12… → sha256:cd34…): 3
    /// updated, 1 merged, 1 conflict, …`.
    pub fn summary(&self) -> String {
        let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
        for f in &self.files {
            let word = match f.action {
                UpdateAction::Unchanged => continue,
                UpdateAction::Conflict(_) => "conflicting",
                UpdateAction::KeptLocal => "kept",
                UpdateAction::RecordOnly => "already up to date",
                UpdateAction::KeptDeleted => "kept deleted",
                UpdateAction::KeptRemoved => "kept though removed upstream",
                UpdateAction::Unmanaged => "unmanaged",
                a => a.as_str(),
            };
            *counts.entry(word).or_default() += 1;
        }
        let verb = if self.aborted {
            "aborted update of"
        } else if self.dry_run {
            "dry run of update of"
        } else {
            "updated"
        };
        let parts: Vec<String> = counts.iter().map(|(w, n)| format!("{n} {w}")).collect();
        format!(
            "{verb} template \"{}\" ({} → {}): {}",
            self.template,
            short(&self.from_revision),
            short(&self.to_revision),
            if parts.is_empty() {
                "nothing to do".to_string()
            } else {
                parts.join(", ")
            }
        )
    }
}

/// `sha256:` and the first 12 hex digits.
pub(crate) fn short(revision: &str) -> &str {
    &revision[..revision.len().min(19)]
}

/// Picks the deployment to work on: the one named, or the only one.
pub(crate) fn choose_record(
    project: &Path,
    template: Option<&str>,
) -> Result<(DeploymentRecord, Vec<DeploymentRecord>), LifecycleError> {
    let records = read_records(project)?;
    let index = match template {
        Some(t) => records.iter().position(|r| r.template == t),
        None if records.len() == 1 => Some(0),
        None if records.is_empty() => None,
        None => {
            return Err(LifecycleError::AmbiguousTemplate {
                project: project.to_path_buf(),
                templates: records.into_iter().map(|r| r.template).collect(),
            });
        }
    };
    let Some(index) = index else {
        return Err(LifecycleError::NotDeployed {
            project: project.to_path_buf(),
            template: template.map(str::to_string),
        });
    };
    let mut others = records;
    let chosen = others.remove(index);
    Ok((chosen, others))
}

/// Updates a deployment to the catalogue's current revision of its
/// template, per file as the table in the [module docs](super) says.
///
/// Works from the project alone for the old side: the recorded bases, not
/// the catalogue's history, so the old revision may be gone from the
/// catalogue (or the catalogue may be a fresh one). The whole update —
/// writes, merges, removals, `.rej` files, the new record and bases — is
/// one deploy: it commits entirely or not at all, and each file is placed
/// only if it still holds what this function read (an edit made meanwhile
/// fails the update and changes nothing).
///
/// # Errors
///
/// No record or several without `template`; the template gone from the
/// catalogue; a secret not given again; a new required variable not given;
/// a missing or corrupt base; the deploy failing (then nothing changed).
/// Conflicts are not errors: see [`UpdateReport::conflicts`].
pub fn update(
    catalog: &Catalog,
    project: &Path,
    options: &UpdateOptions,
) -> Result<UpdateReport, LifecycleError> {
    let (record, others) = choose_record(project, options.template.as_deref())?;
    let old_bytes =
        std::fs::read(project.join(super::record_rel_path(&record.template))).map_err(|e| {
            LifecycleError::io(
                "read",
                project.join(super::record_rel_path(&record.template)),
                e,
            )
        })?;
    let template = catalog
        .load_template(&record.template)
        .map_err(crate::Error::from)?;
    let revision = template_revision(&template);
    let label = format!("template {} {}", record.template, short(&revision));

    // Recorded variables the new revision still declares, then overrides.
    let spec = template_spec(&template)?;
    let declared: BTreeSet<&str> = spec.declared().collect();
    let mut plain: BTreeMap<String, String> = record
        .variables
        .iter()
        .filter(|(k, _)| declared.contains(k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    plain.extend(options.vars.iter().cloned());
    let secrets = record_secrets(&record, &options.secrets, true)?;
    let given_secrets: Vec<(String, String)> = secrets
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
        .collect();
    let deploy_options = record_options(&record)?;
    let renders = render_both(&template, &plain, &secrets, &deploy_options)?;

    let mut claims: HashMap<String, String> = HashMap::new();
    for other in &others {
        for f in &other.files {
            claims.insert(f.path.to_lowercase(), other.template.clone());
        }
    }

    let mut plan = DeployPlan::new(project);
    plan.prune_empty_dirs(true);
    let mut state = StateEntries::default();
    let mut reader = DiskReader::new(project);
    let mut files: Vec<UpdatedFile> = Vec::new();
    let mut recorded: Vec<RecordedFile> = Vec::new();
    let new_paths: HashSet<&str> = renders.masked.iter().map(|f| f.path.as_str()).collect();

    for (new, masked) in renders.disk().iter().zip(&renders.masked) {
        let path = new.path.as_str();
        if let Some(owner) = claims.get(&path.to_lowercase()) {
            return Err(LifecycleError::Claimed {
                path: path.to_string(),
                owner: owner.clone(),
                template: record.template.clone(),
            });
        }
        let new_sha = sha256_hex(&new.contents);
        let entry = |origin: Origin, deleted: bool| RecordedFile {
            deleted,
            ..recorded_file(new, masked, &new_sha, origin)
        };
        let disk = reader.read(path)?;
        let old = record.file(path);
        let (action, keep_old) = match (old, disk) {
            (None, DiskState::Missing) => {
                plan.add_expecting(
                    new.path.clone(),
                    new.contents.clone(),
                    new.mode,
                    Expect::Absent,
                )
                .map_err(crate::Error::from)?;
                recorded.push(entry(Origin::Created, false));
                (UpdateAction::Added, false)
            }
            (None, DiskState::File { bytes, .. }) if bytes == new.contents => {
                recorded.push(entry(Origin::Adopted, false));
                (UpdateAction::Adopted, false)
            }
            (None, _) => (UpdateAction::Conflict(Conflict::Unmanaged), false),
            (Some(old), disk) if old.origin == Origin::Skipped => {
                let adopt =
                    matches!(&disk, DiskState::File { bytes, .. } if *bytes == new.contents);
                let origin = if adopt {
                    Origin::Adopted
                } else {
                    Origin::Skipped
                };
                recorded.push(entry(origin, false));
                (
                    if adopt {
                        UpdateAction::Adopted
                    } else {
                        UpdateAction::Unmanaged
                    },
                    false,
                )
            }
            (Some(old), DiskState::Missing) => {
                if options.restore {
                    plan.add_expecting(
                        new.path.clone(),
                        new.contents.clone(),
                        new.mode,
                        Expect::Absent,
                    )
                    .map_err(crate::Error::from)?;
                    recorded.push(entry(old.origin, false));
                    (UpdateAction::Restored, false)
                } else {
                    recorded.push(entry(old.origin, true));
                    (UpdateAction::KeptDeleted, false)
                }
            }
            (Some(_), DiskState::NotAFile) => (UpdateAction::Conflict(Conflict::NotAFile), true),
            (Some(old), DiskState::File { bytes, mode }) => {
                let disk_sha = sha256_hex(&bytes);
                let text =
                    old.kind.is_text() && file_kind(new).is_text() && !Renderer::is_binary(&bytes);
                let base = if text && needs_base(&old.sha256, &disk_sha, &new_sha) {
                    match &old.base {
                        Some(key) => {
                            let masked = read_base(project, key)?;
                            Some(unmask_secrets(&masked, &given_secrets)?.into_owned())
                        }
                        None => None,
                    }
                } else {
                    None
                };
                let decision = decide(
                    &Sides {
                        base: base.as_deref(),
                        base_sha: &old.sha256,
                        disk: &bytes,
                        disk_sha: &disk_sha,
                        new: &new.contents,
                        new_sha: &new_sha,
                        text,
                    },
                    &label,
                );
                let new_mode = new.mode.unwrap_or(deploy::DEFAULT_FILE_MODE);
                // (action, bytes to write, keep the old record entry)
                let (action, contents, keep_old) = match decision {
                    // Only the mode changed upstream, and the user kept the old one.
                    Decision::Unchanged if new_mode != old.mode && mode == old.mode => {
                        (UpdateAction::Updated, Some(new.contents.clone()), false)
                    }
                    Decision::Unchanged => (UpdateAction::Unchanged, None, false),
                    Decision::Write => (UpdateAction::Updated, Some(new.contents.clone()), false),
                    Decision::KeepLocal => (UpdateAction::KeptLocal, None, false),
                    Decision::RecordOnly => (UpdateAction::RecordOnly, None, false),
                    Decision::Merge(merged) => (UpdateAction::Merged, Some(merged), false),
                    Decision::TextConflict { marked, regions } => match options.conflict {
                        // Resolving the markers is resolving against the
                        // new render: it is the base from now on.
                        ConflictMode::Markers => (
                            UpdateAction::Conflict(Conflict::Markers { regions }),
                            Some(marked),
                            false,
                        ),
                        ConflictMode::Rej => {
                            let hunks = unified_diff(
                                path,
                                base.as_deref().unwrap_or_default(),
                                &new.contents,
                            );
                            add_rej(&mut plan, &mut reader, path, hunks)?;
                            // The user's file is unchanged: the old base
                            // stays, so the next update offers the change again.
                            (UpdateAction::Conflict(Conflict::Rej), None, true)
                        }
                        ConflictMode::Abort => (UpdateAction::Conflict(Conflict::Text), None, true),
                    },
                    Decision::BinaryConflict => {
                        (UpdateAction::Conflict(Conflict::Binary), None, true)
                    }
                };
                if let Some(contents) = contents {
                    plan.add_expecting(
                        new.path.clone(),
                        contents,
                        new.mode,
                        Expect::Content(bytes),
                    )
                    .map_err(crate::Error::from)?;
                }
                if !keep_old {
                    recorded.push(entry(old.origin, false));
                }
                (action, keep_old)
            }
        };
        if keep_old && let Some(old) = old {
            recorded.push(old.clone());
        }
        files.push(UpdatedFile {
            path: path.to_string(),
            action,
        });
    }

    // Files the new revision no longer has.
    for old in &record.files {
        if new_paths.contains(old.path.as_str()) {
            continue;
        }
        let action = if old.origin == Origin::Skipped {
            UpdateAction::Unmanaged
        } else {
            match reader.read(&old.path)? {
                DiskState::File { bytes, .. }
                    if !old.deleted && sha256_hex(&bytes) == old.sha256 =>
                {
                    let rel = RelPath::new(&old.path).map_err(|source| crate::Error::Path {
                        artifact: old.artifact.clone(),
                        path: old.path.clone(),
                        source,
                    })?;
                    plan.remove(rel, bytes).map_err(crate::Error::from)?;
                    UpdateAction::Removed
                }
                _ => UpdateAction::KeptRemoved,
            }
        };
        files.push(UpdatedFile {
            path: old.path.clone(),
            action,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let conflicts = files
        .iter()
        .filter(|f| matches!(f.action, UpdateAction::Conflict(_)))
        .count();
    let mut report = UpdateReport {
        template: record.template.clone(),
        from_revision: record.revision.clone(),
        to_revision: revision,
        files,
        conflicts,
        aborted: false,
        dry_run: options.dry_run,
        deploy: None,
    };
    if conflicts > 0 && options.conflict == ConflictMode::Abort {
        report.aborted = true;
        return Ok(report);
    }

    // The new record, its bases, and the bases nothing refers to any more.
    let secret_names: Vec<String> = secrets.keys().cloned().collect();
    let mut new = new_record(
        &template,
        &deploy_options,
        renders.variables.clone(),
        secret_names,
        recorded,
    );
    new.normalize();
    let masked_by_path: HashMap<&str, &RenderedFile> = renders
        .masked
        .iter()
        .map(|m| (m.path.as_str(), m))
        .collect();
    for f in &new.files {
        if let (Some(key), Some(masked)) = (&f.base, masked_by_path.get(f.path.as_str())) {
            // A base kept from the old record is in the store already.
            if sha256_hex(&masked.contents) == *key {
                state.add_base(&mut plan, key, &masked.contents)?;
            }
        }
    }
    let referenced: HashSet<&str> = new
        .files
        .iter()
        .chain(others.iter().flat_map(|r| &r.files))
        .filter_map(|f| f.base.as_deref())
        .collect();
    let mut dropped: BTreeSet<&str> = BTreeSet::new();
    for f in &record.files {
        if let Some(key) = f.base.as_deref()
            && !referenced.contains(key)
            && dropped.insert(key)
            && let Ok(bytes) = read_base(project, key)
        {
            remove_base(&mut plan, key, &bytes)?;
        }
    }
    let new_bytes = new.to_json();
    if new_bytes == old_bytes && plan.is_empty() {
        return Ok(report);
    }
    state.add_record(&mut plan, &new, Some(&old_bytes))?;
    let deploy_opts = options.deploy.clone().dry_run(options.dry_run);
    let mut deployed = deploy::deploy(&plan, &deploy_opts).map_err(crate::Error::from)?;
    strip_state(&mut deployed, &plan);
    report.deploy = Some(deployed);
    Ok(report)
}

fn recorded_file(
    new: &RenderedFile,
    masked: &RenderedFile,
    sha: &str,
    origin: Origin,
) -> RecordedFile {
    let kind = file_kind(new);
    RecordedFile {
        path: new.path.to_string(),
        artifact: new.artifact.to_string(),
        source: new.stored_path.clone(),
        sha256: sha.to_string(),
        size: new.contents.len() as u64,
        mode: new.mode.unwrap_or(deploy::DEFAULT_FILE_MODE),
        kind,
        origin,
        base: kind.is_text().then(|| sha256_hex(&masked.contents)),
        deleted: false,
    }
}

/// Writes the template's hunks beside the user's file as `PATH.rej`,
/// replacing an earlier `.rej` only if it is still what was read.
fn add_rej(
    plan: &mut DeployPlan,
    reader: &mut DiskReader<'_>,
    path: &str,
    hunks: Vec<u8>,
) -> Result<(), LifecycleError> {
    let rej = format!("{path}.rej");
    let rel = RelPath::new(&rej).map_err(|source| crate::Error::Path {
        artifact: "update".into(),
        path: rej.clone(),
        source,
    })?;
    let expect = match reader.read(&rej)? {
        DiskState::File { bytes, .. } => Expect::Content(bytes),
        DiskState::Missing => Expect::Absent,
        DiskState::NotAFile => Expect::Absent,
    };
    plan.add_expecting(rel, hunks, None, expect)
        .map_err(crate::Error::from)?;
    Ok(())
}

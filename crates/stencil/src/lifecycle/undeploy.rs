//! `undeploy`: remove a deployment — the files it placed that are still as
//! placed, the directories left empty, its record and the bases nothing
//! else refers to — in one atomic deploy.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use crate::deploy::{self, DeployOptions, DeployPlan, DeployReport, RelPath};
use crate::lifecycle::LifecycleError;
use crate::lifecycle::bases::read_base;
use crate::lifecycle::commit::{remove_base, remove_record, strip_state};
use crate::lifecycle::disk::{DiskReader, DiskState};
use crate::lifecycle::record::{Origin, record_rel_path};
use crate::lifecycle::revision::sha256_hex;
use crate::lifecycle::update::choose_record;

/// How to undeploy.
#[derive(Debug, Clone, Default)]
pub struct UndeployOptions {
    template: Option<String>,
    force: bool,
    dry_run: bool,
    deploy: DeployOptions,
}

impl UndeployOptions {
    /// The only deployment; modified files kept.
    pub fn new() -> Self {
        Self::default()
    }

    /// Which deployment (needed when the project holds several).
    pub fn template(mut self, template: impl Into<String>) -> Self {
        self.template = Some(template.into());
        self
    }

    /// Removes modified files too.
    pub fn force(mut self, yes: bool) -> Self {
        self.force = yes;
        self
    }

    /// Reports what would be removed; removes nothing.
    pub fn dry_run(mut self, yes: bool) -> Self {
        self.dry_run = yes;
        self
    }

    /// The deploy crate's options (durability, observer).
    pub fn deploy_options(mut self, options: DeployOptions) -> Self {
        self.deploy = options;
        self
    }
}

/// What [`undeploy`] did.
#[derive(Debug, Clone)]
pub struct UndeployReport {
    /// The template.
    pub template: String,
    /// Files removed, sorted.
    pub removed: Vec<String>,
    /// Modified files kept (without `force`), sorted.
    pub kept_modified: Vec<String>,
    /// Files kept because stencil did not create them (adopted or skipped
    /// at deploy), or because something other than a file is there.
    pub kept_not_ours: Vec<String>,
    /// Recorded files already gone.
    pub missing: Vec<String>,
    /// Directories removed because they were left empty.
    pub dirs_removed: Vec<String>,
    /// Nothing was removed (dry run).
    pub dry_run: bool,
    /// The deploy's report (files only), when one ran.
    pub deploy: Option<DeployReport>,
}

/// Removes the deployment of a template from `project`.
///
/// Files stencil created (or overwrote) and that still hold what it placed
/// are removed; modified ones are kept and listed unless `force`; files
/// that were there before the deploy (adopted, skipped) are never removed.
/// The record goes, and every base no other deployment refers to. One
/// atomic deploy: a file edited meanwhile fails it with nothing removed.
///
/// # Errors
///
/// No record (or several without `template`), unreadable files, the deploy
/// failing (then nothing changed).
pub fn undeploy(
    project: &Path,
    options: &UndeployOptions,
) -> Result<UndeployReport, LifecycleError> {
    let (record, others) = choose_record(project, options.template.as_deref())?;
    let record_path = project.join(record_rel_path(&record.template));
    let record_bytes =
        std::fs::read(&record_path).map_err(|e| LifecycleError::io("read", record_path, e))?;
    let mut plan = DeployPlan::new(project);
    plan.prune_empty_dirs(true);
    let mut reader = DiskReader::new(project);
    let mut report = UndeployReport {
        template: record.template.clone(),
        removed: Vec::new(),
        kept_modified: Vec::new(),
        kept_not_ours: Vec::new(),
        missing: Vec::new(),
        dirs_removed: Vec::new(),
        dry_run: options.dry_run,
        deploy: None,
    };
    for file in &record.files {
        if matches!(file.origin, Origin::Adopted | Origin::Skipped) {
            report.kept_not_ours.push(file.path.clone());
            continue;
        }
        match reader.read(&file.path)? {
            DiskState::Missing => report.missing.push(file.path.clone()),
            DiskState::NotAFile => report.kept_not_ours.push(file.path.clone()),
            DiskState::File { bytes, .. } => {
                if sha256_hex(&bytes) != file.sha256 && !options.force {
                    report.kept_modified.push(file.path.clone());
                    continue;
                }
                let rel = RelPath::new(&file.path).map_err(|source| crate::Error::Path {
                    artifact: file.artifact.clone(),
                    path: file.path.clone(),
                    source,
                })?;
                plan.remove(rel, bytes).map_err(crate::Error::from)?;
                report.removed.push(file.path.clone());
            }
        }
    }
    remove_record(&mut plan, &record.template, &record_bytes)?;
    let referenced: HashSet<&str> = others
        .iter()
        .flat_map(|r| &r.files)
        .filter_map(|f| f.base.as_deref())
        .collect();
    let mut dropped: BTreeSet<&str> = BTreeSet::new();
    for key in record.files.iter().filter_map(|f| f.base.as_deref()) {
        if !referenced.contains(key)
            && dropped.insert(key)
            && let Ok(bytes) = read_base(project, key)
        {
            remove_base(&mut plan, key, &bytes)?;
        }
    }
    let deploy_opts = options.deploy.clone().dry_run(options.dry_run);
    let mut deployed = deploy::deploy(&plan, &deploy_opts).map_err(crate::Error::from)?;
    report.dirs_removed = deployed
        .dirs_removed
        .iter()
        .filter(|d| !super::commit::is_state(d))
        .map(|d| d.to_string())
        .collect();
    strip_state(&mut deployed, &plan);
    report.deploy = Some(deployed);
    Ok(report)
}

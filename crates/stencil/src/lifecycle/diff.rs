//! `diff`: what the user changed in each managed file since stencil placed
//! it (disk against the recorded base), or with `upstream`, what an update
//! would bring (recorded base against the catalogue's new render).

use std::collections::BTreeMap;
use std::path::Path;

use crate::lifecycle::LifecycleError;
use crate::lifecycle::bases::{read_base, unmask_secrets};
use crate::lifecycle::disk::{DiskReader, DiskState};
use crate::lifecycle::merge::unified_diff;
use crate::lifecycle::record::{DeploymentRecord, FileKind, Origin, RecordedFile, read_records};
use crate::lifecycle::rendering::{record_options, record_secrets, render_both};
use crate::lifecycle::revision::sha256_hex;
use crate::render::Renderer;
use crate::store::Catalog;

/// What to diff.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    paths: Vec<String>,
    template: Option<String>,
    secrets: Vec<(String, String)>,
}

impl DiffOptions {
    /// Every modified file of every deployment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only these paths (relative to the project root; a directory takes
    /// everything under it).
    pub fn paths<I, S>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.paths = paths.into_iter().map(Into::into).collect();
        self
    }

    /// Only this template's deployment.
    pub fn template(mut self, template: impl Into<String>) -> Self {
        self.template = Some(template.into());
        self
    }

    /// Secret values, to diff against bases with the secrets filled in;
    /// without them a line holding a secret shows as changed
    /// (`{{NAME}}` in the base).
    pub fn secret(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.secrets.push((name.into(), value.into()));
        self
    }

    fn wants(&self, path: &str) -> bool {
        self.paths.is_empty()
            || self.paths.iter().any(|p| {
                let p = p.trim_end_matches('/');
                path == p || path.strip_prefix(p).is_some_and(|r| r.starts_with('/'))
            })
    }
}

/// One file's difference.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileDiff {
    /// A unified diff (`--- a/PATH`, `+++ b/PATH`, hunks).
    Text(Vec<u8>),
    /// Binary content differs; never diffed.
    Binary,
    /// The file was deleted (locally) or removed (upstream).
    Deleted,
    /// The file is not a regular file any more (a link, a directory).
    NotAFile,
}

/// One entry of a [`DiffReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffEntry {
    /// The deployment.
    pub template: String,
    /// The path.
    pub path: String,
    /// The difference.
    pub diff: FileDiff,
}

/// What [`diff`] or [`upstream_diff`] found, sorted by template then path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiffReport {
    /// Every file that differs.
    pub entries: Vec<DiffEntry>,
}

/// The user's changes: each managed file that differs from its recorded
/// base, as a unified diff (binary files as [`FileDiff::Binary`]). Reads
/// only the project, never the catalogue.
///
/// # Errors
///
/// Unreadable records or files, a missing or corrupt base.
pub fn diff(project: &Path, options: &DiffOptions) -> Result<DiffReport, LifecycleError> {
    let mut entries = Vec::new();
    for record in selected(project, options)? {
        let mut reader = DiskReader::new(project);
        for file in &record.files {
            if file.origin == Origin::Skipped || file.deleted || !options.wants(&file.path) {
                continue;
            }
            let diff = match reader.read(&file.path)? {
                DiskState::Missing => FileDiff::Deleted,
                DiskState::NotAFile => FileDiff::NotAFile,
                DiskState::File { bytes, .. } => {
                    if sha256_hex(&bytes) == file.sha256 {
                        continue;
                    }
                    match base_of(project, file, &options.secrets)? {
                        Some(base) if !Renderer::is_binary(&bytes) => {
                            FileDiff::Text(unified_diff(&file.path, &base, &bytes))
                        }
                        _ => FileDiff::Binary,
                    }
                }
            };
            entries.push(DiffEntry {
                template: record.template.clone(),
                path: file.path.clone(),
                diff,
            });
        }
    }
    Ok(DiffReport { entries })
}

/// What an update would apply: per file, the recorded base against the
/// catalogue's current render with the recorded variables (secrets masked
/// on both sides, so none is needed). Added files diff against nothing,
/// removed ones are [`FileDiff::Deleted`].
///
/// # Errors
///
/// As [`diff`], plus the template failing to load or render.
pub fn upstream_diff(
    project: &Path,
    catalog: &Catalog,
    options: &DiffOptions,
) -> Result<DiffReport, LifecycleError> {
    let mut entries = Vec::new();
    for record in selected(project, options)? {
        let template = catalog
            .load_template(&record.template)
            .map_err(crate::Error::from)?;
        let secrets = record_secrets(&record, &[], false)?;
        let renders = render_both(
            &template,
            &record.variables,
            &secrets,
            &record_options(&record)?,
        )?;
        let mut per_path: BTreeMap<String, FileDiff> = BTreeMap::new();
        for new in &renders.masked {
            let path = new.path.as_str();
            if !options.wants(path) {
                continue;
            }
            let diff = match record.file(path) {
                None if new.verbatim && Renderer::is_binary(&new.contents) => FileDiff::Binary,
                None => FileDiff::Text(unified_diff(path, b"", &new.contents)),
                Some(old) => {
                    let old_key = old.base.as_deref().unwrap_or(&old.sha256);
                    if old_key == sha256_hex(&new.contents) {
                        continue;
                    }
                    match base_of(project, old, &[])? {
                        Some(base) if !Renderer::is_binary(&new.contents) => {
                            FileDiff::Text(unified_diff(path, &base, &new.contents))
                        }
                        _ => FileDiff::Binary,
                    }
                }
            };
            per_path.insert(path.to_string(), diff);
        }
        let new_paths: std::collections::HashSet<&str> =
            renders.masked.iter().map(|f| f.path.as_str()).collect();
        for old in &record.files {
            if !new_paths.contains(old.path.as_str()) && options.wants(&old.path) {
                per_path.insert(old.path.clone(), FileDiff::Deleted);
            }
        }
        entries.extend(per_path.into_iter().map(|(path, diff)| DiffEntry {
            template: record.template.clone(),
            path,
            diff,
        }));
    }
    Ok(DiffReport { entries })
}

/// A text file's base, secrets filled in where given; `None` for binary.
pub(crate) fn base_of(
    project: &Path,
    file: &RecordedFile,
    secrets: &[(String, String)],
) -> Result<Option<Vec<u8>>, LifecycleError> {
    if file.kind == FileKind::Binary {
        return Ok(None);
    }
    let Some(key) = &file.base else {
        return Ok(None);
    };
    let masked = read_base(project, key)?;
    Ok(Some(unmask_secrets(&masked, secrets)?.into_owned()))
}

fn selected(
    project: &Path,
    options: &DiffOptions,
) -> Result<Vec<DeploymentRecord>, LifecycleError> {
    let records = read_records(project)?;
    if records.is_empty() {
        return Err(LifecycleError::NotDeployed {
            project: project.to_path_buf(),
            template: None,
        });
    }
    match &options.template {
        None => Ok(records),
        Some(t) => {
            let chosen: Vec<_> = records.into_iter().filter(|r| &r.template == t).collect();
            if chosen.is_empty() {
                return Err(LifecycleError::NotDeployed {
                    project: project.to_path_buf(),
                    template: Some(t.clone()),
                });
            }
            Ok(chosen)
        }
    }
}

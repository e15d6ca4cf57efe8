use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::deploy::{DeployOptions, DeployPlan, DeployReport, RelPath};
use crate::render::{LeftPlaceholder, Variables};
use crate::render_files::{FileSource, render_each};
use crate::spec::template_spec;
use crate::store::{ArtifactKey, Catalog, Template};
use crate::{Error, PathProfile};

/// Mode given to files stored as executable; others get the deploy crate's
/// default (0644). Modes are applied exactly, without the umask.
pub const EXECUTABLE_MODE: u32 = 0o755;

/// How to render and deploy a template. `TemplateDeployOptions::default()`
/// deploys every entity, keeps stored paths, is strict about placeholders and
/// uses the deploy crate's defaults (skip existing files, no flush).
#[derive(Clone, Default)]
pub struct TemplateDeployOptions {
    pub(crate) selection: Option<Vec<String>>,
    pub(crate) profile: PathProfile,
    pub(crate) lenient: bool,
    deploy: DeployOptions,
    secrets: Vec<(String, String)>,
}

impl fmt::Debug for TemplateDeployOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemplateDeployOptions")
            .field("selection", &self.selection)
            .field("profile", &self.profile)
            .field("lenient", &self.lenient)
            .field(
                "secrets",
                &self.secrets.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl TemplateDeployOptions {
    /// Every entity, stored paths, strict, deploy defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Deploys only these entities (`type:name` keys). Every required entity
    /// must be among them and every key must name an entity of the template.
    pub fn select<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.selection = Some(keys.into_iter().map(Into::into).collect());
        self
    }

    /// Rewrites known assistant roots to this profile's root.
    pub fn profile(mut self, profile: PathProfile) -> Self {
        self.profile = profile;
        self
    }

    /// Leaves unknown placeholders as they are instead of failing; every one
    /// left is listed in the report.
    pub fn lenient(mut self, yes: bool) -> Self {
        self.lenient = yes;
        self
    }

    /// The deploy crate's options: overwrite policy, durability, dry run,
    /// workers, observer.
    pub fn deploy_options(mut self, options: DeployOptions) -> Self {
        self.deploy = options;
        self
    }

    /// A secret variable: rendered like any variable, but its value is
    /// never written by stencil anywhere (the deployment record keeps only
    /// its name, the rendered bases a `{{NAME}}` placeholder) and an update
    /// asks for it again.
    pub fn secret(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.secrets.push((name.into(), value.into()));
        self
    }

    pub(crate) fn secrets(&self) -> &[(String, String)] {
        &self.secrets
    }

    pub(crate) fn deploy_ref(&self) -> &DeployOptions {
        &self.deploy
    }

    pub(crate) fn profile_ref(&self) -> &PathProfile {
        &self.profile
    }

    pub(crate) fn selection_ref(&self) -> Option<&[String]> {
        self.selection.as_deref()
    }

    pub(crate) fn is_lenient(&self) -> bool {
        self.lenient
    }
}

/// One file of a rendered template.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RenderedFile {
    /// The artifact it comes from.
    pub artifact: ArtifactKey,
    /// The path as stored in the catalogue (before profile and rendering).
    pub stored_path: String,
    /// Where it goes, relative to the project root.
    pub path: RelPath,
    /// The rendered content (the stored bytes for verbatim and binary files).
    pub contents: Vec<u8>,
    /// The mode to create it with: [`EXECUTABLE_MODE`] for executables,
    /// `None` for the default.
    pub mode: Option<u32>,
    /// Copied without rendering: marked verbatim in the catalogue, or binary.
    pub verbatim: bool,
    /// Unknown placeholders left in the content (lenient mode only).
    pub left: Vec<LeftPlaceholder>,
}

/// What [`deploy_template`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TemplateDeployReport {
    /// The template deployed.
    pub template: String,
    /// The project root.
    pub project: PathBuf,
    /// The files in deploy order, with where they went.
    pub files: Vec<RenderedFileSummary>,
    /// Placeholders left by a lenient deploy, per file, in deploy order.
    pub left: Vec<(RelPath, LeftPlaceholder)>,
    /// Skipped files that already held exactly the rendered content (the
    /// other skipped files differ from it).
    pub skipped_identical: Vec<RelPath>,
    /// The template was already deployed here (its record was replaced):
    /// skipped files that differ are better brought in with `update`.
    pub redeployed: bool,
    /// The deploy crate's report: written, overwritten, skipped, directories,
    /// bytes, elapsed. It speaks of the project's files only, not of the
    /// record and bases written with them.
    pub deploy: DeployReport,
}

/// One deployed file, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RenderedFileSummary {
    /// The artifact it comes from.
    pub artifact: ArtifactKey,
    /// Where it went.
    pub path: RelPath,
    /// Copied without rendering.
    pub verbatim: bool,
}

impl TemplateDeployReport {
    /// A one-line summary, e.g. `deployed template "web" into ./app: 9
    /// written, 1 skipped, 0 overwritten, 3 directories created, 12288
    /// bytes in 2 ms`; for a dry run `dry run of template "web" into ./app:
    /// would write 9, skip 1, overwrite 0 and create 3 directories, 12288
    /// bytes; nothing written (1 ms)`.
    pub fn summary(&self) -> String {
        self.summary_with(|n| format!("{n} byte{}", if n == 1 { "" } else { "s" }))
    }

    /// [`summary`](Self::summary) with the byte count written by `bytes`
    /// (a command-line tool passes its `12.0 KiB` formatter).
    pub fn summary_with(&self, bytes: impl Fn(u64) -> String) -> String {
        let d = &self.deploy;
        let dirs = format!(
            "{} director{}",
            d.dirs_created.len(),
            if d.dirs_created.len() == 1 {
                "y"
            } else {
                "ies"
            }
        );
        let bytes = bytes(d.bytes);
        let ms = d.elapsed.as_millis();
        let (written, skipped, overwritten) =
            (d.written.len(), d.skipped.len(), d.overwritten.len());
        let mut line = if d.dry_run {
            format!(
                "dry run of template \"{}\" into {}: would write {written}, skip {skipped}, \
                 overwrite {overwritten} and create {dirs}, {bytes}; nothing written ({ms} ms)",
                self.template,
                self.project.display(),
            )
        } else {
            format!(
                "deployed template \"{}\" into {}: {written} written, {skipped} skipped, \
                 {overwritten} overwritten, {dirs} created, {bytes} in {ms} ms",
                self.template,
                self.project.display(),
            )
        };
        if !self.left.is_empty() {
            line.push_str(&format!(
                "; {} unknown placeholder{} left",
                self.left.len(),
                if self.left.len() == 1 { "" } else { "s" }
            ));
        }
        line
    }
}

/// Renders a template from the catalogue in memory; nothing is written.
///
/// Steps, each of which can fail with nothing done: load the template (in the
/// catalogue's statement budget); validate `variables` against
/// [`template_spec`]; check the selection (unknown keys and unselected
/// required entities are errors); in deploy order, apply the path profile,
/// render each file's path and content with one [`Renderer`], and validate
/// the rendered path as a [`RelPath`] (so `PROJECT_NAME=../x` cannot escape).
/// Files marked verbatim, and binary files, are copied as stored. Two files
/// landing on the same path (also after case folding) are an error.
///
/// # Errors
///
/// See [`Error`].
pub fn render_template<I, K, V>(
    catalog: &Catalog,
    template: &str,
    variables: I,
    options: &TemplateDeployOptions,
) -> Result<Vec<RenderedFile>, Error>
where
    I: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<String>,
{
    let template = catalog.load_template(template)?;
    let vars = template_spec(&template)?.validate(variables)?;
    let files = render_loaded(&template, &vars, options)?;
    // The same collision rule the deploy applies, checked here too so that
    // tools scaffolding elsewhere get the same answer.
    let mut plan = DeployPlan::new(".");
    for f in &files {
        plan.add(f.path.clone(), Vec::new(), f.mode)?;
    }
    Ok(files)
}

/// Renders a template from the catalogue and deploys it into `project_root`.
///
/// Runs every step of [`render_template`] first — nothing is created on disk,
/// not even the project directory, until the template has loaded, the
/// variables validated and every file rendered — then places the files with
/// [`stencil_deploy::deploy`]: atomically, rolled back on error, recoverable
/// after a crash, never outside the root.
///
/// # Example
///
/// ```
/// use stencil::store::{ArtifactKey, Catalog, NewArtifact, TemplateSpec};
/// use stencil::{TemplateDeployOptions, deploy_template};
///
/// let catalog = Catalog::open_in_memory()?;
/// let rules = ArtifactKey::parse("rule_file:api")?;
/// catalog.put_artifact(
///     &NewArtifact::new(rules.clone()).file(".claude/rules/api.md", "# {{PROJECT_NAME}} API rules\n"),
/// )?;
/// catalog.create_template(&TemplateSpec::new("service").entity(rules, true))?;
///
/// let dir = tempfile::tempdir()?;
/// let project = dir.path().join("rocket");
/// let report = deploy_template(
///     &catalog,
///     "service",
///     &project,
///     [("PROJECT_NAME", "rocket")],
///     &TemplateDeployOptions::new(),
/// )?;
/// assert_eq!(report.deploy.written.len(), 1);
/// assert_eq!(
///     std::fs::read_to_string(project.join(".claude/rules/api.md"))?,
///     "# rocket API rules\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// See [`Error`]. On any error the project directory is as it was.
pub fn deploy_template<I, K, V>(
    catalog: &Catalog,
    template: &str,
    project_root: impl AsRef<Path>,
    variables: I,
    options: &TemplateDeployOptions,
) -> Result<TemplateDeployReport, Error>
where
    I: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<String>,
{
    let mut reports = crate::lifecycle::deploy_templates(
        catalog,
        &[template],
        project_root.as_ref(),
        variables,
        options,
    )?;
    reports.pop().ok_or_else(|| {
        Error::from(crate::lifecycle::LifecycleError::NotDeployed {
            project: project_root.as_ref().to_path_buf(),
            template: Some(template.to_string()),
        })
    })
}

/// Steps 3–5 on a loaded template: selection, order, profile, rendering.
pub(crate) fn render_loaded(
    template: &Template,
    vars: &Variables,
    options: &TemplateDeployOptions,
) -> Result<Vec<RenderedFile>, Error> {
    let mut out = Vec::new();
    render_each(
        template,
        &[vars],
        options,
        FileSource::Loaded,
        &mut |_| {},
        &mut |set| {
            out.extend(set.files);
            Ok(())
        },
    )?;
    Ok(out)
}

/// Checks a selection and returns the predicate that applies it.
pub(crate) fn select<'a>(
    template: &'a Template,
    selection: Option<&'a [String]>,
) -> Result<impl Fn(String) -> bool + 'a, Error> {
    let chosen: Option<BTreeSet<String>> = match selection {
        None => None,
        Some(keys) => {
            let have: BTreeSet<String> = template
                .entities
                .iter()
                .map(|e| e.artifact.to_string())
                .collect();
            let unknown: Vec<String> = keys
                .iter()
                .filter(|k| !have.contains(k.as_str()))
                .cloned()
                .collect();
            if !unknown.is_empty() {
                return Err(Error::UnknownEntity {
                    template: template.name.clone(),
                    unknown,
                });
            }
            let chosen: BTreeSet<String> = keys.iter().cloned().collect();
            let missing: Vec<String> = template
                .entities
                .iter()
                .filter(|e| e.required && !chosen.contains(&e.artifact.to_string()))
                .map(|e| e.artifact.to_string())
                .collect();
            if !missing.is_empty() {
                return Err(Error::MissingRequired {
                    template: template.name.clone(),
                    missing,
                });
            }
            Some(chosen)
        }
    };
    Ok(move |key: String| chosen.as_ref().is_none_or(|c| c.contains(&key)))
}

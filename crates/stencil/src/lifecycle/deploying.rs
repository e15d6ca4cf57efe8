//! Deploying one or several templates with their records: the files, each
//! template's record and the rendered bases are entries of one deploy
//! plan, so they commit (or roll back) together.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use std::cell::OnceCell;
use std::sync::Arc;

use crate::deploy::{self, Contents, DeployPlan, Expect, OverwritePolicy, RelPath};
use crate::lifecycle::LifecycleError;
use crate::lifecycle::commit::{StateEntries, strip_state};
use crate::lifecycle::deferred::{CatalogFile, Holder};
use crate::lifecycle::disk::{DiskReader, DiskState};
use crate::lifecycle::record::{
    DeploymentRecord, FileKind, Origin, RecordSource, RecordedArtifact, RecordedFile,
    SCHEMA_VERSION, read_record, read_records,
};
use crate::lifecycle::rendering::{BothRendered, render_both_each};
use crate::lifecycle::revision::{artifact_digest, sha256_hex, template_revision};
use crate::render::Renderer;
use crate::render_files::FileSource;
use crate::spec::template_spec;
use crate::store::{Catalog, Template};
use crate::{
    Error, RenderedFile, RenderedFileSummary, TemplateDeployOptions, TemplateDeployReport,
};

/// The stencil version written into records.
pub(crate) const STENCIL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Deploys several templates into `project` together, in one atomic
/// transaction: all their files, and one deployment record per template,
/// commit together or not at all.
///
/// Each template receives the variables it declares among `variables`
/// (a name none declares is an error). A path claimed by two of them, or
/// by a deployment already in the project, is
/// [`LifecycleError::Claimed`], reported before anything is written.
/// Returns one report per template, in the order given; each one's
/// `deploy` lists that template's files (the byte and directory counts are
/// the whole transaction's).
///
/// # Errors
///
/// As [`deploy_template`](crate::deploy_template), plus claims.
pub fn deploy_templates<I, K, V>(
    catalog: &Catalog,
    templates: &[&str],
    project_root: impl AsRef<Path>,
    variables: I,
    options: &TemplateDeployOptions,
) -> Result<Vec<TemplateDeployReport>, Error>
where
    I: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<String>,
{
    let given = variables
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    deploy_many(catalog, templates, project_root.as_ref(), given, options)
}

/// Deploys `templates` into `project` in one transaction, each with its
/// record. `given` are the ordinary variables; each template receives those
/// it declares (a name no template declares is an error, as in a single
/// deploy). Secrets come from `options`.
pub(crate) fn deploy_many(
    catalog: &Catalog,
    templates: &[&str],
    project: &Path,
    given: Vec<(String, String)>,
    options: &TemplateDeployOptions,
) -> Result<Vec<TemplateDeployReport>, Error> {
    // Outlines: each file is read from the catalogue when rendered, and
    // held to staging only within the eager budget (see `deferred.rs`).
    let loaded: Vec<Template> = templates
        .iter()
        .map(|t| catalog.load_template_outline(t))
        .collect::<Result<_, _>>()?;
    let mut holder = Holder::new(catalog);
    let existing = read_records(project)?;
    let deploying: BTreeSet<&str> = loaded.iter().map(|t| t.name.as_str()).collect();
    // Paths already claimed by deployments not being redeployed now.
    let mut claims: HashMap<String, String> = HashMap::new();
    for record in existing
        .iter()
        .filter(|r| !deploying.contains(r.template.as_str()))
    {
        for file in &record.files {
            claims.insert(fold(&file.path), record.template.clone());
        }
    }
    let mut plan = DeployPlan::new(project);
    // Each file and its base, and one record per template: allocated once.
    let file_count = |t: &Template| t.entities.iter().map(|e| e.files.len()).sum::<usize>();
    plan.reserve(loaded.iter().map(|t| 2 * file_count(t) + 1).sum());
    let mut state = StateEntries::default();
    let mut reader = DiskReader::new(project);
    let mut pending = Vec::with_capacity(loaded.len());
    let secret_values: BTreeMap<String, Option<String>> = options
        .secrets()
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    for template in &loaded {
        let spec = template_spec(template)?;
        let own: Vec<(String, String)> = if loaded.len() == 1 {
            given.clone()
        } else {
            let declared: BTreeSet<&str> = spec.declared().collect();
            given
                .iter()
                .filter(|(k, _)| declared.contains(k.as_str()))
                .cloned()
                .collect()
        };
        let secrets: BTreeMap<String, Option<String>> = secret_values
            .iter()
            .filter(|(k, _)| loaded.len() == 1 || spec.declared().any(|d| d == k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        // Validation first, so errors (duplicates, unknown names) read as
        // in any deploy; secrets count as given.
        spec.validate(
            own.iter().cloned().chain(
                secrets
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default())),
            ),
        )?;
        let plain: BTreeMap<String, String> = own.into_iter().collect();
        let old = read_record(project, &template.name)?;
        let mut files = Vec::with_capacity(file_count(template));
        let mut summaries = Vec::with_capacity(file_count(template));
        let mut left = Vec::new();
        let mut identical = Vec::new();
        let mut not_placed = Vec::new();
        // The content renderers, masked first, then real: a deferred file
        // is rendered again by the same one.
        let renderers: OnceCell<Vec<Arc<Renderer>>> = OnceCell::new();
        let variables = render_both_each(
            template,
            &plain,
            &secrets,
            options,
            FileSource::Catalog(catalog),
            &mut |r| {
                let _ = renderers.set(r.to_vec());
            },
            &mut |both| {
                let disk = both.disk();
                let folded = fold(disk.path.as_str());
                // Two files of one template on one path are the plan's
                // `Duplicate` (refused below, as in any deploy); a claim is
                // between templates.
                if let Some(owner) = claims.insert(folded, template.name.clone())
                    && owner != template.name
                {
                    return Err(LifecycleError::Claimed {
                        path: disk.path.to_string(),
                        owner,
                        template: template.name.clone(),
                    }
                    .into());
                }
                left.extend(disk.left.iter().cloned().map(|l| (disk.path.clone(), l)));
                summaries.push(RenderedFileSummary {
                    artifact: disk.artifact.clone(),
                    path: disk.path.clone(),
                    verbatim: disk.verbatim,
                });
                let previous = old.as_ref().and_then(|(r, _)| r.file(disk.path.as_str()));
                let on_disk = reader.read(disk.path.as_str())?;
                // Compared now: the bytes may be deferred below.
                let same =
                    matches!(&on_disk, DiskState::File { bytes, .. } if *bytes == disk.contents);
                let kind = file_kind(disk);
                let sha256 = sha256_hex(&disk.contents);
                let size = disk.contents.len() as u64;
                // Without secrets the masked bytes are the disk's: one hash.
                let base = kind.is_text().then(|| match &both.real {
                    Some(_) => sha256_hex(&both.masked.contents),
                    None => sha256.clone(),
                });
                let stored = both.stored;
                let owner = disk.artifact.to_string();
                let deferred = |file: &RenderedFile, renderer: Option<&Arc<Renderer>>| {
                    let renderer = (!file.verbatim).then(|| renderer.cloned()).flatten();
                    let path = file.path.to_string();
                    let owner = owner.clone();
                    move |catalog, len| CatalogFile {
                        catalog,
                        hash: stored.hash.clone(),
                        owner,
                        stored_path: stored.path.clone(),
                        path,
                        renderer,
                        len,
                    }
                };
                let BothRendered { masked, real, .. } = both;
                // Without secrets the disk bytes are the base's: one copy
                // (or one source) serves both.
                let (disk, disk_contents, masked_contents) = match real {
                    Some(real) => {
                        let all = renderers.get().map(Vec::as_slice).unwrap_or_default();
                        let source = deferred(&real, all.get(1));
                        let masked_source = deferred(&masked, all.first());
                        let masked_bytes = masked.contents;
                        let mut real = real;
                        let bytes = std::mem::take(&mut real.contents);
                        let disk_contents = holder.contents(bytes, source);
                        let masked_contents = holder.contents(masked_bytes, masked_source);
                        (real, disk_contents, masked_contents)
                    }
                    None => {
                        let all = renderers.get().map(Vec::as_slice).unwrap_or_default();
                        let source = deferred(&masked, all.first());
                        let mut masked = masked;
                        let bytes = std::mem::take(&mut masked.contents);
                        let contents = holder.contents(bytes, source);
                        (masked, contents.clone(), contents)
                    }
                };
                let (origin, keep_previous) = plan_file(
                    &mut plan,
                    &disk,
                    disk_contents,
                    on_disk,
                    same,
                    previous.map(|p| p.origin),
                    options.deploy_ref().overwrite_policy(),
                    &mut identical,
                    &mut not_placed,
                )?;
                if keep_previous && let Some(p) = previous {
                    // A redeploy that skips its own modified file keeps the
                    // recorded base, so a later update still sees the user's edit.
                    files.push(p.clone());
                    return Ok(());
                }
                if let Some(key) = &base {
                    state.add_base_contents(&mut plan, key, || masked_contents)?;
                }
                files.push(RecordedFile {
                    path: disk.path.to_string(),
                    artifact: disk.artifact.to_string(),
                    source: disk.stored_path.clone(),
                    sha256,
                    size,
                    mode: disk.mode.unwrap_or(deploy::DEFAULT_FILE_MODE),
                    kind,
                    origin,
                    base,
                    deleted: false,
                });
                Ok(())
            },
        )?;
        // Files a redeploy no longer renders stay managed until an update
        // decides about them.
        if let Some((old, _)) = &old {
            let now: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
            let stale: Vec<RecordedFile> = old
                .files
                .iter()
                .filter(|f| !now.contains(f.path.as_str()))
                .cloned()
                .collect();
            files.extend(stale);
        }
        let secret_names = secrets.keys().cloned().collect();
        let mut record = new_record(template, options, variables, secret_names, files);
        record.normalize();
        state.add_record(&mut plan, &record, old.as_ref().map(|(_, b)| b.as_slice()))?;
        pending.push((
            template.name.clone(),
            summaries,
            left,
            identical,
            not_placed,
            old.is_some(),
        ));
    }
    if loaded.len() > 1 {
        let given_names: BTreeSet<&str> = given
            .iter()
            .chain(options.secrets())
            .map(|(k, _)| k.as_str())
            .collect();
        let mut allowed: BTreeSet<String> = BTreeSet::new();
        for t in &loaded {
            allowed.extend(template_spec(t)?.declared().map(str::to_string));
        }
        let unused: Vec<String> = given_names
            .into_iter()
            .filter(|n| !allowed.contains(*n))
            .map(str::to_string)
            .collect();
        if !unused.is_empty() {
            return Err(crate::render::RenderError::NotAllowed {
                names: unused,
                allowed: allowed.into_iter().collect(),
            }
            .into());
        }
    }
    // What planning needed and the deploy does not — the outlines (a path
    // and hash per file), the claims (a folded path per file) and the base
    // keys seen (a hash per file) — goes before the deploy's own peak.
    drop(claims);
    drop(state);
    drop(loaded);
    let mut report = deploy::deploy(&plan, options.deploy_ref())?;
    strip_state(&mut report, &plan);
    let skipped_extra: Vec<RelPath> = pending.iter().flat_map(|p| p.4.iter().cloned()).collect();
    report.skipped.extend(skipped_extra);
    report.skipped.sort();
    report.skipped.dedup();
    let single = pending.len() == 1;
    Ok(pending
        .into_iter()
        .map(|(template, files, left, identical, _, redeployed)| {
            let mut own = report.clone();
            if !single {
                let mine: BTreeSet<&RelPath> = files.iter().map(|f| &f.path).collect();
                own.written.retain(|p| mine.contains(p));
                own.overwritten.retain(|p| mine.contains(p));
                own.skipped.retain(|p| mine.contains(p));
            }
            TemplateDeployReport {
                template,
                project: project.to_path_buf(),
                files,
                left,
                skipped_identical: identical,
                redeployed,
                deploy: own,
            }
        })
        .collect())
}

/// Adds one rendered file to the plan according to what is on disk, and
/// says what the record should call it. Returns `(origin, keep_previous)`.
#[allow(clippy::too_many_arguments)]
fn plan_file(
    plan: &mut DeployPlan,
    file: &RenderedFile,
    contents: Contents,
    on_disk: DiskState,
    same: bool,
    previous: Option<Origin>,
    policy: OverwritePolicy,
    identical: &mut Vec<RelPath>,
    not_placed: &mut Vec<RelPath>,
) -> Result<(Origin, bool), Error> {
    let path = file.path.clone();
    Ok(match on_disk {
        DiskState::Missing => {
            plan.add_contents(path, contents, file.mode, Expect::Absent)?;
            (Origin::Created, false)
        }
        // Identical already: nothing to place under skip. (Overwrite still
        // replaces it, as it always has: the mode may differ; and fail still
        // refuses any existing file, as documented.)
        DiskState::File { .. } if same && policy == OverwritePolicy::Skip => {
            identical.push(path.clone());
            not_placed.push(path);
            (previous.unwrap_or(Origin::Adopted), false)
        }
        DiskState::File { bytes, .. } => match policy {
            OverwritePolicy::Overwrite => {
                // A file that already held the rendered bytes was the
                // user's before: adopted, so undeploy leaves it.
                let fresh = if same {
                    Origin::Adopted
                } else {
                    Origin::Overwritten
                };
                plan.add_contents(path, contents, file.mode, Expect::Content(bytes))?;
                (
                    match previous {
                        Some(Origin::Skipped) | None => fresh,
                        Some(o) => o,
                    },
                    false,
                )
            }
            // Left out of the plan: nothing is placed, so nothing can race.
            OverwritePolicy::Skip => {
                not_placed.push(path);
                (Origin::Skipped, previous.is_some())
            }
            // Fail (and any policy added later): the deploy refuses, naming
            // every existing file at once.
            _ => {
                plan.add_contents(path, contents, file.mode, Expect::Policy)?;
                (Origin::Overwritten, false)
            }
        },
        // A link or a directory: the deploy's own rules decide (a link is
        // an existing file, a directory an error).
        DiskState::NotAFile => {
            plan.add_contents(path, contents, file.mode, Expect::Policy)?;
            let origin = match policy {
                OverwritePolicy::Skip => Origin::Skipped,
                _ => Origin::Overwritten,
            };
            (
                origin,
                policy == OverwritePolicy::Skip && previous.is_some(),
            )
        }
    })
}

pub(crate) fn file_kind(file: &RenderedFile) -> FileKind {
    if Renderer::is_binary(&file.contents) {
        FileKind::Binary
    } else if file.verbatim {
        FileKind::Verbatim
    } else {
        FileKind::Text
    }
}

pub(crate) fn new_record(
    template: &Template,
    options: &TemplateDeployOptions,
    variables: BTreeMap<String, String>,
    secrets: Vec<String>,
    files: Vec<RecordedFile>,
) -> DeploymentRecord {
    DeploymentRecord {
        schema: SCHEMA_VERSION,
        stencil_version: STENCIL_VERSION.to_string(),
        template: template.name.clone(),
        revision: template_revision(template),
        source: RecordSource::Catalog,
        profile: options.profile_ref().to_string(),
        selection: options.selection_ref().map(<[String]>::to_vec),
        lenient: options.is_lenient(),
        variables,
        secrets,
        artifacts: template
            .entities
            .iter()
            .map(|e| RecordedArtifact {
                key: e.artifact.to_string(),
                digest: artifact_digest(e),
            })
            .collect(),
        files,
    }
}

/// Case folding for claims, as the deploy plan folds paths: two
/// deployments may not own `README.md` and `readme.md`.
fn fold(path: &str) -> String {
    path.to_lowercase()
}

//! Registry packages to and from the catalogue, and the registries a
//! catalogue trusts.
//!
//! Over 600 lines: publishing, installing and the trusted-registry settings
//! share one package mapping (artifact and template ↔ package) and its
//! private helpers; split, each half would re-export the other's.
//!
//! The registry crate knows nothing of the catalogue; this module maps
//! between them:
//!
//! * an artifact becomes a package of its type and name whose files are the
//!   artifact's files (mode 0755 for executables, the verbatim flag kept);
//! * a template becomes a `template` package holding `template.json` (its
//!   description, variables and entities: each artifact's key, required
//!   flag, description and tags) and each entity's files under
//!   `artifacts/<index>/<path>`, so one package installs a whole template.
//!
//! The registries a catalogue trusts, and what it has seen of each (pinned
//! root, newest snapshot: the rollback floor), are catalogue settings under
//! `registry.<name>`, so they are per catalogue and shared on PostgreSQL.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use stencil_registry::{
    Freshness, Limits, Package, PackageFile, PublishReport, Publisher, Registry, SecretKey, Source,
    Staleness, TrustAnchor, TrustState, open_location,
};
use stencil_store::{
    ArtifactKey, Catalog, ImportReport, NewArtifact, NewFile, TemplateSpec, VariableDecl,
};

use crate::spec::base_spec;

/// The package kind of templates; every other kind is an artifact type.
pub const TEMPLATE_KIND: &str = "template";
/// The file of a template package that describes the template.
pub const TEMPLATE_MANIFEST: &str = "template.json";
/// The catalogue setting prefix under which registries are kept.
pub const REGISTRY_SETTING_PREFIX: &str = "registry.";

/// What can fail while mapping, publishing or installing packages.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// Reading, verifying or writing the registry failed.
    #[error(transparent)]
    Registry(#[from] stencil_registry::Error),
    /// The catalogue failed.
    #[error(transparent)]
    Store(#[from] stencil_store::Error),
    /// A template's variables do not form a valid variable set.
    #[error(transparent)]
    Render(#[from] stencil_render::RenderError),
    /// A package cannot be mapped to or from the catalogue.
    #[error("package `{package}`: {reason}")]
    Mapping {
        /// `kind:name` (with `@version` when known).
        package: String,
        /// What does not fit.
        reason: String,
    },
    /// No registry of that name in this catalogue.
    #[error("no registry `{0}` in this catalogue (see `stencil registry list`)")]
    UnknownRegistry(String),
    /// A registry of that name exists already.
    #[error("a registry `{0}` exists already; remove it first to re-pin its keys")]
    RegistryExists(String),
    /// The stored registry record cannot be read.
    #[error("registry `{name}`: the stored record is damaged: {reason}")]
    DamagedRecord {
        /// The registry.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

fn mapping(package: impl Into<String>, reason: impl Into<String>) -> PackageError {
    PackageError::Mapping {
        package: package.into(),
        reason: reason.into(),
    }
}

// ------------------------------------------------------------ catalogue → package

/// The package of one artifact (its latest content).
pub fn artifact_package(catalog: &Catalog, key: &ArtifactKey) -> Result<Package, PackageError> {
    let artifact = catalog.artifact(key)?;
    let mut package = Package::new(key.kind(), key.name())?.description(artifact.description);
    for tag in &artifact.tags {
        package = package.tag(tag)?;
    }
    for file in artifact.files {
        package = package.file(
            PackageFile::new(&file.path, file.content)?
                .executable(file.executable)
                .verbatim(file.verbatim),
        )?;
    }
    Ok(package)
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateManifest {
    format: String,
    description: String,
    variables: Vec<ManifestVariable>,
    entities: Vec<ManifestEntity>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestVariable {
    name: String,
    required: bool,
    default: Option<String>,
    description: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestEntity {
    kind: String,
    name: String,
    required: bool,
    description: String,
    tags: Vec<String>,
}

const TEMPLATE_FORMAT: &str = "stencil-template/1";

/// The package of a template with all its artifacts.
pub fn template_package(catalog: &Catalog, name: &str) -> Result<Package, PackageError> {
    let template = catalog.load_template(name)?;
    let mut entities = Vec::with_capacity(template.entities.len());
    let mut files = Vec::new();
    for (index, entity) in template.entities.iter().enumerate() {
        let tags = catalog.artifact(&entity.artifact)?.tags;
        entities.push(ManifestEntity {
            kind: entity.artifact.kind().to_owned(),
            name: entity.artifact.name().to_owned(),
            required: entity.required,
            description: entity.description.clone(),
            tags,
        });
        for file in &entity.files {
            files.push(
                PackageFile::new(
                    &format!("artifacts/{index}/{}", file.path),
                    file.content.clone(),
                )?
                .executable(file.executable)
                .verbatim(file.verbatim),
            );
        }
    }
    let manifest = TemplateManifest {
        format: TEMPLATE_FORMAT.to_owned(),
        description: template.description.clone(),
        variables: template
            .variables
            .iter()
            .map(|v| ManifestVariable {
                name: v.name.clone(),
                required: v.required,
                default: v.default.clone(),
                description: v.description.clone(),
            })
            .collect(),
        entities,
    };
    let manifest =
        serde_json::to_vec_pretty(&manifest).map_err(|e| mapping(name, e.to_string()))?;
    let mut package = Package::new(TEMPLATE_KIND, name)?
        .description(template.description)
        .file(PackageFile::new(TEMPLATE_MANIFEST, manifest)?.verbatim(true))?;
    for file in files {
        package = package.file(file)?;
    }
    Ok(package)
}

// ------------------------------------------------------------ package → catalogue

/// What installing a package did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstallReport {
    /// `kind:name@version`.
    pub package: String,
    /// The artifacts created, updated or left unchanged.
    pub artifacts: ImportReport,
    /// The template created or replaced, for a template package.
    pub template: Option<String>,
    /// Files that will be deployed executable, as `kind:name: path`. They
    /// are programs: review them before deploying.
    pub executables: Vec<String>,
}

/// What a package would store: the artifacts and, for a template, its spec.
/// Building it checks everything, so nothing is stored when any check fails.
struct Mapped {
    artifacts: Vec<NewArtifact>,
    template: Option<TemplateSpec>,
    executables: Vec<String>,
}

fn map_package(package: &Package, source: &str) -> Result<Mapped, PackageError> {
    let id = format!("{}@{}", package.id(), package.version());
    if package.kind() != TEMPLATE_KIND {
        let key = ArtifactKey::new(package.kind(), package.name())?;
        let mut artifact = NewArtifact::new(key.clone())
            .description(package.description_text())
            .source(source);
        for tag in package.tags() {
            artifact = artifact.tag(tag.clone());
        }
        let mut executables = Vec::new();
        for file in package.files() {
            if file.is_executable() {
                executables.push(format!("{key}: {}", file.path().as_str()));
            }
            artifact = artifact.with_file(new_file(file.path().as_str(), file));
        }
        if artifact.files.is_empty() {
            return Err(mapping(id, "an artifact package holds at least one file"));
        }
        return Ok(Mapped {
            artifacts: vec![artifact],
            template: None,
            executables,
        });
    }
    let manifest_file = package
        .files()
        .iter()
        .find(|f| f.path().as_str() == TEMPLATE_MANIFEST)
        .ok_or_else(|| mapping(&id, format!("a template package holds {TEMPLATE_MANIFEST}")))?;
    let manifest: TemplateManifest = serde_json::from_slice(manifest_file.bytes())
        .map_err(|e| mapping(&id, format!("{TEMPLATE_MANIFEST}: {e}")))?;
    if manifest.format != TEMPLATE_FORMAT {
        return Err(mapping(&id, format!("{TEMPLATE_MANIFEST}: unknown format")));
    }
    let mut artifacts = Vec::with_capacity(manifest.entities.len());
    let mut spec = TemplateSpec::new(package.name()).description(manifest.description);
    for entity in &manifest.entities {
        let key = ArtifactKey::new(&entity.kind, &entity.name)?;
        let mut artifact = NewArtifact::new(key.clone())
            .description(&entity.description)
            .source(source);
        for tag in &entity.tags {
            artifact = artifact.tag(tag.clone());
        }
        artifacts.push(artifact);
        spec = spec.entity(key, entity.required);
    }
    let mut executables = Vec::new();
    for file in package.files() {
        let path = file.path().as_str();
        if path == TEMPLATE_MANIFEST {
            continue;
        }
        let rest = path
            .strip_prefix("artifacts/")
            .ok_or_else(|| mapping(&id, format!("stray file {path:?}")))?;
        let (index, inner) = rest
            .split_once('/')
            .ok_or_else(|| mapping(&id, format!("stray file {path:?}")))?;
        let artifact = index
            .parse::<usize>()
            .ok()
            .filter(|i| index == i.to_string())
            .and_then(|i| artifacts.get_mut(i))
            .ok_or_else(|| mapping(&id, format!("file {path:?} belongs to no entity")))?;
        if file.is_executable() {
            executables.push(format!("{}: {inner}", artifact.key));
        }
        *artifact = std::mem::replace(artifact, NewArtifact::new(artifact.key.clone()))
            .with_file(new_file(inner, file));
    }
    if let Some(empty) = artifacts.iter().find(|a| a.files.is_empty()) {
        return Err(mapping(&id, format!("entity `{}` has no files", empty.key)));
    }
    let mut variables = base_spec();
    for v in &manifest.variables {
        spec = spec.variable(
            VariableDecl::new(v.name.clone(), v.required, v.default.clone())
                .with_description(v.description.clone()),
        );
        variables = variables.optional(&v.name);
    }
    // Checks the variable names before anything is stored.
    variables.build()?;
    Ok(Mapped {
        artifacts,
        template: Some(spec),
        executables,
    })
}

fn new_file(path: &str, file: &PackageFile) -> NewFile {
    let mut new = NewFile::new(path, file.bytes().to_vec());
    new.executable = file.is_executable();
    new.verbatim = file.is_verbatim();
    new
}

/// Stores a verified package in the catalogue: its artifacts in one
/// transaction, then (for a template package) the template. The package is
/// mapped and checked completely first, so a package that does not fit
/// stores nothing. `source` is recorded as each artifact's source.
pub fn install_package(
    catalog: &Catalog,
    package: &Package,
    source: &str,
) -> Result<InstallReport, PackageError> {
    let mapped = map_package(package, source)?;
    let artifacts = catalog.import(mapped.artifacts)?;
    let template = match mapped.template {
        Some(spec) => {
            let exists = catalog
                .list_templates()?
                .iter()
                .any(|t| t.name == spec.name);
            if exists {
                catalog.update_template(&spec)?;
            } else {
                catalog.create_template(&spec)?;
            }
            Some(spec.name)
        }
        None => None,
    };
    Ok(InstallReport {
        package: format!("{}@{}", package.id(), package.version()),
        artifacts,
        template,
        executables: mapped.executables,
    })
}

// ------------------------------------------------------------ publishing

/// What to publish from the catalogue.
#[derive(Clone, Debug, Default)]
pub struct PublishSelection {
    /// Template names: each published as one template package.
    pub templates: Vec<String>,
    /// Artifacts, each published as its own package.
    pub artifacts: Vec<ArtifactKey>,
    /// How long the new snapshot stays valid; `None` for
    /// [`DEFAULT_SNAPSHOT_TTL`](stencil_registry::DEFAULT_SNAPSHOT_TTL).
    pub expires: Option<SignedDuration>,
    /// Re-sign the snapshot with a new expiry even when nothing changed.
    pub refresh: bool,
}

/// Exports the selection from the catalogue into the registry directory
/// `dir` (created, with a root trusting `signers`, on first use). Packages
/// are built and checked before anything is written; unchanged content is
/// a no-op.
pub fn publish(
    catalog: &Catalog,
    dir: &std::path::Path,
    signers: Vec<SecretKey>,
    selection: &PublishSelection,
    now: Timestamp,
) -> Result<PublishReport, PackageError> {
    let mut packages = Vec::new();
    for name in &selection.templates {
        packages.push(template_package(catalog, name)?);
    }
    for key in &selection.artifacts {
        packages.push(artifact_package(catalog, key)?);
    }
    let mut publisher = Publisher::open_or_create(dir, signers, now)?;
    if let Some(ttl) = selection.expires {
        publisher = publisher.snapshot_ttl(ttl);
    }
    let mut report = publisher.publish(&packages, now)?;
    if selection.refresh && report.snapshot_version.is_none() {
        let refreshed = publisher.refresh(now)?;
        report.snapshot_version = refreshed.snapshot_version;
        report.root_version = refreshed.root_version;
    }
    if publisher.created() && report.root_version.is_none() {
        report.root_version = Some(publisher.root().version);
    }
    Ok(report)
}

// ------------------------------------------------------------ registries

/// A registry as this catalogue knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryRecord {
    /// The name given at `registry add`.
    pub name: String,
    /// Where it is read from (a directory or `file://` URL).
    pub url: String,
    /// The pinned root and the newest snapshot seen.
    pub state: TrustState,
}

fn setting_key(name: &str) -> String {
    format!("{REGISTRY_SETTING_PREFIX}{name}")
}

fn load_record(catalog: &Catalog, name: &str) -> Result<RegistryRecord, PackageError> {
    let text = catalog
        .setting(&setting_key(name))?
        .ok_or_else(|| PackageError::UnknownRegistry(name.to_owned()))?;
    serde_json::from_str(&text).map_err(|e| PackageError::DamagedRecord {
        name: name.to_owned(),
        reason: e.to_string(),
    })
}

fn save_record(catalog: &Catalog, record: &RegistryRecord) -> Result<(), PackageError> {
    let text = serde_json::to_string(record).map_err(|e| PackageError::DamagedRecord {
        name: record.name.clone(),
        reason: e.to_string(),
    })?;
    catalog.set_setting(&setting_key(&record.name), &text)?;
    Ok(())
}

/// Adds a registry: fetches and verifies its root against `anchor` and its
/// snapshot, then stores the record. Nothing is stored if any check fails.
pub fn add_registry(
    catalog: &Catalog,
    name: &str,
    url: &str,
    anchor: &TrustAnchor,
    now: Timestamp,
) -> Result<RegistryRecord, PackageError> {
    if catalog.setting(&setting_key(name))?.is_some() {
        return Err(PackageError::RegistryExists(name.to_owned()));
    }
    let source = open_location(url).map_err(|kind| stencil_registry::Error::Registry {
        registry: name.to_owned(),
        file: url.to_owned(),
        kind,
    })?;
    let registry = Registry::bootstrap(name, source.as_ref(), anchor, &Limits::DEFAULT, now)?;
    let record = RegistryRecord {
        name: name.to_owned(),
        url: url.to_owned(),
        state: registry.state(),
    };
    save_record(catalog, &record)?;
    Ok(record)
}

/// Every registry of this catalogue, by name.
pub fn list_registries(catalog: &Catalog) -> Result<Vec<RegistryRecord>, PackageError> {
    let mut out = Vec::new();
    for (key, text) in catalog.settings_with_prefix(REGISTRY_SETTING_PREFIX)? {
        let name = key[REGISTRY_SETTING_PREFIX.len()..].to_owned();
        let record = serde_json::from_str(&text).map_err(|e| PackageError::DamagedRecord {
            name,
            reason: e.to_string(),
        })?;
        out.push(record);
    }
    Ok(out)
}

/// Forgets a registry (its pinned keys and rollback floor with it).
pub fn remove_registry(catalog: &Catalog, name: &str) -> Result<(), PackageError> {
    if catalog.remove_setting(&setting_key(name))? {
        Ok(())
    } else {
        Err(PackageError::UnknownRegistry(name.to_owned()))
    }
}

/// A registry opened for reading, verified.
pub struct OpenRegistry {
    /// The verified view.
    pub registry: Registry,
    /// Where its blobs are read from.
    pub source: Box<dyn Source>,
    /// Set when opened offline: how old the cached snapshot is.
    pub staleness: Option<Staleness>,
}

impl std::fmt::Debug for OpenRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenRegistry")
            .field("registry", &self.registry.name())
            .field("source", &self.source.location())
            .field("staleness", &self.staleness)
            .finish()
    }
}

/// Opens a registry of this catalogue. Online, it walks root rotations and
/// fetches the snapshot under every rule (rollback, freeze, signatures),
/// then stores the new state — so the rollback floor only moves forward and
/// only after verification. Offline, it uses the stored root and snapshot
/// only (signatures still checked, expiry not) and reports their age.
pub fn open_registry(
    catalog: &Catalog,
    name: &str,
    offline: bool,
    now: Timestamp,
) -> Result<OpenRegistry, PackageError> {
    open_registry_with(catalog, name, offline, &Freshness::FORCE, now)
}

/// [`open_registry`] with a revalidation policy: within
/// `freshness.min_interval` of the last fetch the stored snapshot is used
/// without a request; otherwise one conditional request (a `304` keeps the
/// stored snapshot) — see [`Registry::refresh`].
pub fn open_registry_with(
    catalog: &Catalog,
    name: &str,
    offline: bool,
    freshness: &Freshness,
    now: Timestamp,
) -> Result<OpenRegistry, PackageError> {
    let mut record = load_record(catalog, name)?;
    let source = open_location(&record.url).map_err(|kind| stencil_registry::Error::Registry {
        registry: name.to_owned(),
        file: record.url.clone(),
        kind,
    })?;
    if offline {
        let (registry, staleness) = Registry::offline(name, &record.state, &Limits::DEFAULT, now)?;
        return Ok(OpenRegistry {
            registry,
            source,
            staleness: Some(staleness),
        });
    }
    let (registry, _) = Registry::refresh(
        name,
        source.as_ref(),
        &record.state,
        &Limits::DEFAULT,
        now,
        freshness,
    )?;
    let state = registry.state();
    if state != record.state {
        record.state = state;
        save_record(catalog, &record)?;
    }
    Ok(OpenRegistry {
        registry,
        source,
        staleness: None,
    })
}

/// Fetches `kind:name` (`version`, or the latest not yanked) from a
/// registry of this catalogue, verifies it and installs it.
pub fn install_from_registry(
    catalog: &Catalog,
    registry: &str,
    kind: &str,
    name: &str,
    version: Option<u64>,
    offline: bool,
    now: Timestamp,
) -> Result<InstallReport, PackageError> {
    install_from_registry_with(
        catalog,
        registry,
        kind,
        name,
        version,
        offline,
        &Freshness::FORCE,
        now,
    )
}

/// [`install_from_registry`] with a revalidation policy for the registry's
/// snapshot (see [`open_registry_with`]).
#[allow(clippy::too_many_arguments)] // one per part of the reference, plus the mode
pub fn install_from_registry_with(
    catalog: &Catalog,
    registry: &str,
    kind: &str,
    name: &str,
    version: Option<u64>,
    offline: bool,
    freshness: &Freshness,
    now: Timestamp,
) -> Result<InstallReport, PackageError> {
    let open = open_registry_with(catalog, registry, offline, freshness, now)?;
    let package = open
        .registry
        .fetch(open.source.as_ref(), kind, name, version)?;
    let source = format!("registry:{registry}/{}@{}", package.id(), package.version());
    install_package(catalog, &package, &source)
}

/// Groups publish-report entries by kind for display: kind → `name@version`.
pub fn published_by_kind(report: &PublishReport) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in &report.published {
        out.entry(entry.kind.clone())
            .or_default()
            .push(format!("{}@{}", entry.name, entry.version));
    }
    out
}

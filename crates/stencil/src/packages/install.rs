//! Installing packages: each reference resolved against its registry's
//! verified snapshot, every package fetched in parallel (bounded) through
//! the disk cache and verified, every package mapped and checked — and only
//! then the catalogue touched, in **one transaction** (all or nothing).

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use jiff::Timestamp;
use stencil_registry::{
    BlobCache, DEFAULT_CONCURRENCY, ErrorKind, Freshness, Package, PackageEntry, SNAPSHOT_FILE,
};
use stencil_store::{ArtifactKey, Catalog, ImportReport, NewArtifact, TemplateSpec};

use super::PackageError;
use super::map::map_package;
use super::provenance::Provenance;
use super::registries::{OpenRegistry, list_registries, open_record, open_registry_with};

/// A package reference: `[REGISTRY/][TYPE:]NAME[@VERSION]`.
///
/// The registry may be left out when the name is found in one registry
/// only, the type when the name is unique across types, the version for
/// the newest not yanked.
///
/// ```
/// use stencil::packages::PackageRef;
///
/// let full: PackageRef = "team/template:starter@2".parse()?;
/// assert_eq!(full.registry.as_deref(), Some("team"));
/// assert_eq!(full.kind.as_deref(), Some("template"));
/// assert_eq!((full.name.as_str(), full.version), ("starter", Some(2)));
/// let short: PackageRef = "starter".parse()?;
/// assert_eq!((short.registry, short.kind, short.version), (None, None, None));
/// assert!("team/x@two".parse::<PackageRef>().is_err());
/// # Ok::<(), stencil::packages::PackageError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageRef {
    /// The registry's name in this catalogue.
    pub registry: Option<String>,
    /// The package kind.
    pub kind: Option<String>,
    /// The package name.
    pub name: String,
    /// An exact version.
    pub version: Option<u64>,
}

fn looks_like_kind(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

impl FromStr for PackageRef {
    type Err = PackageError;

    fn from_str(text: &str) -> Result<PackageRef, PackageError> {
        let bad = |reason: &str| PackageError::BadRef {
            reference: text.to_owned(),
            reason: reason.to_owned(),
        };
        let (rest, version) = match text.rsplit_once('@') {
            Some((rest, v)) => (
                rest,
                Some(
                    v.parse::<u64>()
                        .map_err(|_| bad(&format!("version {v:?} is not a number")))?,
                ),
            ),
            None => (text, None),
        };
        let (registry, rest) = match rest.split_once('/') {
            Some((registry, rest)) if !registry.contains(':') => (Some(registry), rest),
            _ => (None, rest),
        };
        let (kind, name) = match rest.split_once(':') {
            Some((kind, name)) if looks_like_kind(kind) => (Some(kind), name),
            _ => (None, rest),
        };
        if registry.is_some_and(str::is_empty) || name.is_empty() {
            return Err(bad("empty registry or name"));
        }
        Ok(PackageRef {
            registry: registry.map(str::to_owned),
            kind: kind.map(str::to_owned),
            name: name.to_owned(),
            version,
        })
    }
}

/// How packages are fetched.
#[derive(Clone, Copy, Debug)]
pub struct FetchOptions<'a> {
    /// Use stored snapshots only (signatures checked, expiry not).
    pub offline: bool,
    /// When to revalidate snapshots (`--refresh` is [`Freshness::FORCE`]).
    pub freshness: Freshness,
    /// The disk cache of verified blobs, if any.
    pub cache: Option<&'a BlobCache>,
    /// Packages fetched at once.
    pub concurrency: usize,
}

impl Default for FetchOptions<'_> {
    fn default() -> Self {
        FetchOptions {
            offline: false,
            freshness: Freshness::DEFAULT,
            cache: None,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// What installing one package did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstallReport {
    /// `kind:name@version`.
    pub package: String,
    /// The registry it came from (empty for [`install_package`]).
    pub registry: String,
    /// The sha256 of its blob (empty for [`install_package`]).
    pub sha256: String,
    /// Its artifacts created, updated or left unchanged.
    pub artifacts: ImportReport,
    /// The template created or replaced, for a template package.
    pub template: Option<String>,
    /// Files that will be deployed executable, as `kind:name: path`. They
    /// are programs: review them before deploying.
    pub executables: Vec<String>,
}

/// What an install (or upgrade) of many packages did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstallSummary {
    /// One report per package, in the order asked for.
    pub packages: Vec<InstallReport>,
    /// What the user must be told about where data came from: offline
    /// snapshots and their age, network failures answered from the stored
    /// snapshot.
    pub notes: Vec<String>,
}

/// The note to show for a registry opened offline or on fallback.
pub(crate) fn open_note(open: &OpenRegistry) -> Option<String> {
    let name = open.registry.name();
    let age = |open: &OpenRegistry| {
        open.staleness.as_ref().map_or(String::new(), |s| {
            let fetched = s.fetched.map_or(String::from("unknown"), |t| t.to_string());
            let expired = if s.expired { ", expired" } else { "" };
            format!(" (fetched {fetched}{expired})")
        })
    };
    if let Some(reason) = &open.fallback {
        return Some(format!(
            "registry `{name}`: the network failed ({reason}); used the cached snapshot{}",
            age(open)
        ));
    }
    open.staleness
        .as_ref()
        .map(|_| format!("registry `{name}`: offline, cached snapshot{}", age(open)))
}

/// Opens each registry named in `wanted` (all of this catalogue's when
/// `None`) once: one revalidation per registry.
pub(crate) fn open_registries(
    catalog: &Catalog,
    wanted: Option<&[String]>,
    options: &FetchOptions<'_>,
    now: Timestamp,
) -> Result<BTreeMap<String, OpenRegistry>, PackageError> {
    let mut out = BTreeMap::new();
    match wanted {
        Some(names) => {
            for name in names {
                if !out.contains_key(name) {
                    let open = open_registry_with(
                        catalog,
                        name,
                        options.offline,
                        &options.freshness,
                        now,
                    )?;
                    out.insert(name.clone(), open);
                }
            }
        }
        None => {
            for record in list_registries(catalog)? {
                let open = open_record(catalog, &record, options.offline, &options.freshness, now)?;
                out.insert(record.name, open);
            }
        }
    }
    Ok(out)
}

/// The snapshot entry a reference names.
fn resolve<'r>(
    reference: &str,
    wanted: &PackageRef,
    open: &'r BTreeMap<String, OpenRegistry>,
) -> Result<(&'r str, &'r PackageEntry), PackageError> {
    let mut found = Vec::new();
    for (name, registry) in open {
        if wanted.registry.as_ref().is_some_and(|r| r != name) {
            continue;
        }
        let snapshot = registry.registry.snapshot();
        let mut kinds: Vec<&str> = snapshot
            .packages
            .iter()
            .filter(|e| e.name == wanted.name)
            .filter(|e| wanted.kind.as_ref().is_none_or(|k| *k == e.kind))
            .map(|e| e.kind.as_str())
            .collect();
        kinds.dedup();
        for kind in kinds {
            let entry = match wanted.version {
                Some(v) => snapshot.find(kind, &wanted.name, v),
                None => snapshot.latest(kind, &wanted.name),
            };
            if let Some(entry) = entry {
                found.push((name.as_str(), entry));
            }
        }
    }
    match found.len() {
        1 => Ok(found[0]),
        0 => {
            let id = match (&wanted.kind, wanted.version) {
                (Some(k), Some(v)) => format!("{k}:{}@{v}", wanted.name),
                (Some(k), None) => format!("{k}:{}", wanted.name),
                (None, Some(v)) => format!("{}@{v}", wanted.name),
                (None, None) => wanted.name.clone(),
            };
            let registry = match &wanted.registry {
                Some(r) => r.clone(),
                None => open.keys().cloned().collect::<Vec<_>>().join(", "),
            };
            Err(stencil_registry::Error::Registry {
                registry,
                file: SNAPSHOT_FILE.to_owned(),
                kind: ErrorKind::NoSuchPackage(id),
            }
            .into())
        }
        _ => Err(PackageError::Ambiguous {
            reference: reference.to_owned(),
            candidates: found
                .iter()
                .map(|(r, e)| format!("{r}/{}:{}", e.kind, e.name))
                .collect(),
        }),
    }
}

/// Installs packages by reference: resolves every reference, fetches every
/// package in parallel (up to `options.concurrency`, through
/// `options.cache`), verifies and maps them all, then stores everything in
/// one catalogue transaction — a failure anywhere stores nothing. Each
/// artifact records its [`Provenance`].
pub fn install_refs(
    catalog: &Catalog,
    refs: &[String],
    options: &FetchOptions<'_>,
    now: Timestamp,
) -> Result<InstallSummary, PackageError> {
    let parsed = refs
        .iter()
        .map(|r| r.parse::<PackageRef>())
        .collect::<Result<Vec<_>, _>>()?;
    let named: Option<Vec<String>> = parsed.iter().map(|r| r.registry.clone()).collect();
    let open = open_registries(catalog, named.as_deref(), options, now)?;
    if open.is_empty() {
        return Err(PackageError::UnknownRegistry(String::from("(none added)")));
    }
    let mut picks = Vec::new();
    for (text, wanted) in refs.iter().zip(&parsed) {
        let (registry, entry) = resolve(text, wanted, &open)?;
        picks.push((registry.to_owned(), entry.clone()));
    }
    fetch_and_store(catalog, &open, &picks, options)
}

/// Fetches `picks` (registry, entry) from the opened registries, verifies
/// and maps every package, and stores them all in one transaction.
pub(crate) fn fetch_and_store(
    catalog: &Catalog,
    open: &BTreeMap<String, OpenRegistry>,
    picks: &[(String, PackageEntry)],
    options: &FetchOptions<'_>,
) -> Result<InstallSummary, PackageError> {
    let mut unique: Vec<(String, PackageEntry)> = Vec::new();
    for pick in picks {
        if !unique.contains(pick) {
            unique.push(pick.clone());
        }
    }
    // Parallel within each registry; each registry's results in order.
    let mut fetched: HashMap<(String, String), Package> = HashMap::new();
    let mut failures = Vec::new();
    let mut by_registry: BTreeMap<&str, Vec<&PackageEntry>> = BTreeMap::new();
    for (registry, entry) in &unique {
        by_registry.entry(registry).or_default().push(entry);
    }
    for (registry, entries) in by_registry {
        let Some(reg) = open.get(registry) else {
            return Err(PackageError::UnknownRegistry(registry.to_owned()));
        };
        let results = reg.registry.fetch_many(
            reg.source.as_ref(),
            &entries,
            options.cache,
            options.concurrency,
        );
        for (entry, result) in entries.iter().zip(results) {
            match result {
                Ok(package) => {
                    fetched.insert((registry.to_owned(), entry.id()), package);
                }
                Err(e) => failures.push(e),
            }
        }
    }
    // One failure keeps its kind for callers to match on; several are
    // listed, each naming its package.
    if failures.len() == 1
        && let Some(only) = failures.pop()
    {
        return Err(only.into());
    }
    if !failures.is_empty() {
        return Err(PackageError::Fetch {
            failures: failures.iter().map(ToString::to_string).collect(),
            total: unique.len(),
        });
    }
    let mut artifacts: Vec<NewArtifact> = Vec::new();
    let mut index: HashMap<ArtifactKey, usize> = HashMap::new();
    let mut templates: Vec<TemplateSpec> = Vec::new();
    let mut reports = Vec::new();
    let mut owned: Vec<Vec<ArtifactKey>> = Vec::new();
    for (registry, entry) in &unique {
        let Some(package) = fetched.get(&(registry.clone(), entry.id())) else {
            continue;
        };
        let provenance = Provenance {
            registry: registry.clone(),
            kind: entry.kind.clone(),
            name: entry.name.clone(),
            version: entry.version,
            sha256: Some(entry.sha256.clone()),
        };
        let mapped = map_package(package, &provenance.to_string())?;
        let keys: Vec<ArtifactKey> = mapped.artifacts.iter().map(|a| a.key.clone()).collect();
        for artifact in mapped.artifacts {
            // The same artifact from two packages: the later one wins.
            match index.get(&artifact.key) {
                Some(&i) => artifacts[i] = artifact,
                None => {
                    index.insert(artifact.key.clone(), artifacts.len());
                    artifacts.push(artifact);
                }
            }
        }
        let template = mapped.template.map(|spec| {
            let name = spec.name.clone();
            templates.retain(|t| t.name != name);
            templates.push(spec);
            name
        });
        owned.push(keys);
        reports.push(InstallReport {
            package: entry.id(),
            registry: registry.clone(),
            sha256: entry.sha256.clone(),
            artifacts: ImportReport::default(),
            template,
            executables: mapped.executables,
        });
    }
    let outcome = catalog.install(artifacts, &templates)?;
    for (report, keys) in reports.iter_mut().zip(owned) {
        for key in keys {
            let list = if outcome.artifacts.created.contains(&key) {
                &mut report.artifacts.created
            } else if outcome.artifacts.updated.contains(&key) {
                &mut report.artifacts.updated
            } else {
                &mut report.artifacts.unchanged
            };
            list.push(key);
        }
    }
    // Every reference gets its report, duplicates included.
    let packages = picks
        .iter()
        .filter_map(|(registry, entry)| {
            reports
                .iter()
                .find(|r| r.registry == *registry && r.package == entry.id())
                .cloned()
        })
        .collect();
    Ok(InstallSummary {
        packages,
        notes: open.values().filter_map(open_note).collect(),
    })
}

/// Stores one verified package in the catalogue in one transaction (its
/// artifacts and, for a template package, the template). The package is
/// mapped and checked completely first, so a package that does not fit
/// stores nothing. `source` is recorded as each artifact's source.
pub fn install_package(
    catalog: &Catalog,
    package: &Package,
    source: &str,
) -> Result<InstallReport, PackageError> {
    let mapped = map_package(package, source)?;
    let templates: Vec<TemplateSpec> = mapped.template.into_iter().collect();
    let outcome = catalog.install(mapped.artifacts, &templates)?;
    Ok(InstallReport {
        package: format!("{}@{}", package.id(), package.version()),
        registry: String::new(),
        sha256: String::new(),
        artifacts: outcome.artifacts,
        template: templates.into_iter().next().map(|t| t.name),
        executables: mapped.executables,
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
    let reference = match version {
        Some(v) => format!("{registry}/{kind}:{name}@{v}"),
        None => format!("{registry}/{kind}:{name}"),
    };
    let options = FetchOptions {
        offline,
        freshness: *freshness,
        ..FetchOptions::default()
    };
    let summary = install_refs(catalog, std::slice::from_ref(&reference), &options, now)?;
    summary
        .packages
        .into_iter()
        .next()
        .ok_or_else(|| super::mapping(reference, "nothing was installed"))
}

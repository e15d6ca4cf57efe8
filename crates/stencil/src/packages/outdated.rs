//! `outdated`: every package installed from a registry against that
//! registry's newest version not yanked. A fixed number of catalogue
//! statements whatever the number installed (the sources in one, the
//! registry records in one, a state save per registry whose snapshot
//! changed) and one revalidation per registry.

use std::collections::BTreeMap;

use jiff::Timestamp;
use stencil_registry::PackageEntry;
use stencil_store::{ArtifactKey, Catalog};

use super::PackageError;
use super::install::{FetchOptions, open_note};
use super::provenance::{PROVENANCE_PREFIX, Provenance};
use super::registries::{OpenRegistry, list_registries, open_record};

/// Where an installed package stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PackageState {
    /// The installed version is the newest not yanked.
    Current,
    /// A newer version (not yanked) is published.
    Outdated,
    /// The installed version was yanked and nothing newer is published.
    Yanked,
    /// The registry no longer lists the package, or the registry was
    /// removed from this catalogue.
    Missing,
}

/// One installed package.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstalledPackage {
    /// Where it came from.
    pub registry: String,
    /// The package kind.
    pub kind: String,
    /// The package name.
    pub name: String,
    /// The installed version (the oldest, if its artifacts disagree).
    pub installed: u64,
    /// The newest version not yanked, if any.
    pub latest: Option<u64>,
    /// Where it stands.
    pub state: PackageState,
    /// The artifacts that record it as their source.
    pub artifacts: Vec<ArtifactKey>,
}

/// What [`outdated`] found.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct OutdatedReport {
    /// Every installed package, by registry, kind and name.
    pub packages: Vec<InstalledPackage>,
    /// Offline and fallback notes (see [`super::InstallSummary::notes`]).
    pub notes: Vec<String>,
}

impl OutdatedReport {
    /// The packages with a newer version.
    pub fn outdated(&self) -> impl Iterator<Item = &InstalledPackage> {
        self.packages
            .iter()
            .filter(|p| p.state == PackageState::Outdated)
    }
}

/// The report, the registries opened for it, and each outdated package's
/// newest entry (for `upgrade`, which must not revalidate twice).
pub(crate) struct Checked {
    pub(crate) report: OutdatedReport,
    pub(crate) open: BTreeMap<String, OpenRegistry>,
    pub(crate) newest: BTreeMap<(String, String, String), PackageEntry>,
}

pub(crate) fn check(
    catalog: &Catalog,
    options: &FetchOptions<'_>,
    now: Timestamp,
) -> Result<Checked, PackageError> {
    let mut installed: BTreeMap<(String, String, String), (u64, Vec<ArtifactKey>)> =
        BTreeMap::new();
    for source in catalog.artifact_sources(PROVENANCE_PREFIX)? {
        let Some(p) = Provenance::parse(&source.source) else {
            continue;
        };
        let slot = installed
            .entry((p.registry, p.kind, p.name))
            .or_insert((p.version, Vec::new()));
        slot.0 = slot.0.min(p.version);
        slot.1.push(source.key);
    }
    let mut open = BTreeMap::new();
    for record in list_registries(catalog)? {
        if installed.keys().any(|(r, _, _)| *r == record.name) {
            let opened = open_record(catalog, &record, options.offline, &options.freshness, now)?;
            open.insert(record.name, opened);
        }
    }
    let mut packages = Vec::new();
    let mut newest = BTreeMap::new();
    for ((registry, kind, name), (version, artifacts)) in installed {
        let snapshot = open.get(&registry).map(|o| o.registry.snapshot());
        let latest = snapshot.and_then(|s| s.latest(&kind, &name));
        let listed = snapshot.and_then(|s| s.find(&kind, &name, version));
        let state = match (latest, listed) {
            (Some(l), _) if l.version > version => PackageState::Outdated,
            (Some(_), _) => PackageState::Current,
            (None, Some(_)) => PackageState::Yanked,
            (None, None) => PackageState::Missing,
        };
        if let (PackageState::Outdated, Some(entry)) = (state, latest) {
            newest.insert(
                (registry.clone(), kind.clone(), name.clone()),
                entry.clone(),
            );
        }
        packages.push(InstalledPackage {
            latest: latest.map(|e| e.version),
            registry,
            kind,
            name,
            installed: version,
            state,
            artifacts,
        });
    }
    let notes = open.values().filter_map(open_note).collect();
    Ok(Checked {
        report: OutdatedReport { packages, notes },
        open,
        newest,
    })
}

/// Every package installed from a registry, with the newest version not
/// yanked: one revalidation per registry that something was installed
/// from, and a fixed number of statements whatever the number installed.
pub fn outdated(
    catalog: &Catalog,
    options: &FetchOptions<'_>,
    now: Timestamp,
) -> Result<OutdatedReport, PackageError> {
    Ok(check(catalog, options, now)?.report)
}

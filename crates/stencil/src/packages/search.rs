//! `search`: the packages of the registries' snapshots (stored, revalidated
//! at most every few minutes), filtered by text, registry and kind.

use std::collections::BTreeMap;

use jiff::Timestamp;
use stencil_store::Catalog;

use super::PackageError;
use super::install::{FetchOptions, open_note, open_registries};
use super::provenance::{PROVENANCE_PREFIX, Provenance};

/// One package found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchHit {
    /// The registry.
    pub registry: String,
    /// The package kind.
    pub kind: String,
    /// The package name.
    pub name: String,
    /// The newest version not yanked.
    pub version: u64,
    /// Its description.
    pub description: String,
    /// The installed version, if installed.
    pub installed: Option<u64>,
}

/// What to search for.
#[derive(Clone, Debug, Default)]
pub struct SearchQuery {
    /// Matched case-insensitively against name and description.
    pub text: Option<String>,
    /// Only this registry.
    pub registry: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
}

/// What [`search`] found.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct SearchReport {
    /// By registry, kind and name.
    pub hits: Vec<SearchHit>,
    /// Offline and fallback notes.
    pub notes: Vec<String>,
}

/// Searches the registries' snapshots: each package's newest version not
/// yanked (a package whose every version is yanked is left out).
pub fn search(
    catalog: &Catalog,
    query: &SearchQuery,
    options: &FetchOptions<'_>,
    now: Timestamp,
) -> Result<SearchReport, PackageError> {
    let wanted = query.registry.clone().map(|r| vec![r]);
    let open = open_registries(catalog, wanted.as_deref(), options, now)?;
    let mut installed: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for source in catalog.artifact_sources(PROVENANCE_PREFIX)? {
        if let Some(p) = Provenance::parse(&source.source) {
            let v = installed
                .entry((p.registry, p.kind, p.name))
                .or_insert(p.version);
            *v = (*v).min(p.version);
        }
    }
    let needle = query.text.as_deref().map(str::to_lowercase);
    let mut hits = Vec::new();
    for (registry, opened) in &open {
        let snapshot = opened.registry.snapshot();
        for entry in &snapshot.packages {
            if query.kind.as_ref().is_some_and(|k| *k != entry.kind) {
                continue;
            }
            let Some(latest) = snapshot.latest(&entry.kind, &entry.name) else {
                continue;
            };
            if latest.version != entry.version {
                continue;
            }
            if let Some(needle) = &needle {
                let found = entry.name.to_lowercase().contains(needle)
                    || entry.description.to_lowercase().contains(needle);
                if !found {
                    continue;
                }
            }
            hits.push(SearchHit {
                registry: registry.clone(),
                kind: entry.kind.clone(),
                name: entry.name.clone(),
                version: entry.version,
                description: entry.description.clone(),
                installed: installed
                    .get(&(registry.clone(), entry.kind.clone(), entry.name.clone()))
                    .copied(),
            });
        }
    }
    Ok(SearchReport {
        hits,
        notes: open.values().filter_map(open_note).collect(),
    })
}

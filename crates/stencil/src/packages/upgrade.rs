//! `upgrade`: every outdated package (or the ones named) to its newest
//! version not yanked, fetched in parallel and stored in one transaction.

use jiff::Timestamp;
use stencil_store::Catalog;

use super::PackageError;
use super::install::{FetchOptions, InstallSummary, PackageRef, fetch_and_store};
use super::outdated::check;

/// One package moved (or, dry run, to be moved).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Upgrade {
    /// The registry.
    pub registry: String,
    /// `kind:name`.
    pub package: String,
    /// The installed version.
    pub from: u64,
    /// The new version.
    pub to: u64,
}

/// What [`upgrade`] did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct UpgradeReport {
    /// Old → new, by registry and package.
    pub upgrades: Vec<Upgrade>,
    /// What was stored (`None` on a dry run or when nothing was outdated).
    pub applied: Option<InstallSummary>,
    /// Offline and fallback notes.
    pub notes: Vec<String>,
}

/// Upgrades the packages `refs` name (every outdated one when empty) to
/// the newest version not yanked — a yanked version is never chosen.
/// Everything is fetched and verified before one transaction stores it
/// all; `dry_run` reports without fetching or storing. A reference that
/// names no installed package is an error.
pub fn upgrade(
    catalog: &Catalog,
    refs: &[String],
    dry_run: bool,
    options: &FetchOptions<'_>,
    now: Timestamp,
) -> Result<UpgradeReport, PackageError> {
    let parsed = refs
        .iter()
        .map(|r| r.parse::<PackageRef>())
        .collect::<Result<Vec<_>, _>>()?;
    let checked = check(catalog, options, now)?;
    let matches = |r: &PackageRef, registry: &str, kind: &str, name: &str| {
        r.name == name
            && r.registry.as_deref().is_none_or(|x| x == registry)
            && r.kind.as_deref().is_none_or(|x| x == kind)
    };
    for (text, r) in refs.iter().zip(&parsed) {
        let known = checked
            .report
            .packages
            .iter()
            .any(|p| matches(r, &p.registry, &p.kind, &p.name));
        if !known {
            return Err(PackageError::BadRef {
                reference: text.clone(),
                reason: String::from("no installed package has this name"),
            });
        }
    }
    let mut upgrades = Vec::new();
    let mut picks = Vec::new();
    for p in checked.report.outdated() {
        if !parsed.is_empty()
            && !parsed
                .iter()
                .any(|r| matches(r, &p.registry, &p.kind, &p.name))
        {
            continue;
        }
        let key = (p.registry.clone(), p.kind.clone(), p.name.clone());
        if let Some(entry) = checked.newest.get(&key) {
            upgrades.push(Upgrade {
                registry: p.registry.clone(),
                package: format!("{}:{}", p.kind, p.name),
                from: p.installed,
                to: entry.version,
            });
            picks.push((p.registry.clone(), entry.clone()));
        }
    }
    let applied = if dry_run || picks.is_empty() {
        None
    } else {
        Some(fetch_and_store(catalog, &checked.open, &picks, options)?)
    };
    Ok(UpgradeReport {
        upgrades,
        applied,
        notes: checked.report.notes,
    })
}

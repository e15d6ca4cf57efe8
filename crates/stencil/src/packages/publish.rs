//! Publishing from the catalogue into a registry directory.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use stencil_registry::{PublishReport, Publisher, SecretKey};
use stencil_store::{ArtifactKey, Catalog};

use super::PackageError;
use super::map::{artifact_package, template_package};

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

//! Registry packages to and from the catalogue, and the registries a
//! catalogue trusts.
//!
//! One file per concern: `map.rs` (package ↔ catalogue mapping),
//! `publish.rs`, `registries.rs` (trusted registries and their state),
//! `install.rs` (fetch in parallel, verify, store in one transaction),
//! `provenance.rs` (what an installed artifact records of its origin),
//! `outdated.rs`, `upgrade.rs`, `search.rs`, `sync.rs`.
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

mod install;
mod map;
mod outdated;
mod provenance;
mod publish;
mod registries;
mod search;
mod sync;
mod upgrade;

pub use install::{
    FetchOptions, InstallReport, InstallSummary, PackageRef, install_from_registry,
    install_from_registry_with, install_package, install_refs,
};
pub use map::{artifact_package, template_package};
pub use outdated::{InstalledPackage, OutdatedReport, PackageState, outdated};
pub use provenance::{PROVENANCE_PREFIX, Provenance};
pub use publish::{PublishSelection, publish, published_by_kind};
pub use registries::{
    OpenRegistry, RegistryRecord, SavedState, add_registry, list_registries, open_registry,
    open_registry_with, remove_registry, save_state,
};
pub use search::{SearchHit, SearchQuery, SearchReport, search};
pub use sync::{SyncReport, sync_registry};
pub use upgrade::{Upgrade, UpgradeReport, upgrade};

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
    /// A package reference cannot be read.
    #[error("{reference:?}: {reason} (expected [REGISTRY/][TYPE:]NAME[@VERSION])")]
    BadRef {
        /// The reference as given.
        reference: String,
        /// What is wrong.
        reason: String,
    },
    /// A reference matches packages of several registries or kinds.
    #[error("{reference:?} is ambiguous: it matches {}; name the registry and type", candidates.join(", "))]
    Ambiguous {
        /// The reference as given.
        reference: String,
        /// `registry/kind:name` of each match.
        candidates: Vec<String>,
    },
    /// Some packages could not be fetched or verified; nothing was stored.
    #[error("{} of {total} package(s) failed, nothing was stored: {}", failures.len(), failures.join("; "))]
    Fetch {
        /// One message per failed package, naming it.
        failures: Vec<String>,
        /// How many packages were asked for.
        total: usize,
    },
    /// The stored registry record cannot be read.
    #[error("registry `{name}`: the stored record is damaged: {reason}")]
    DamagedRecord {
        /// The registry.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

pub(crate) fn mapping(package: impl Into<String>, reason: impl Into<String>) -> PackageError {
    PackageError::Mapping {
        package: package.into(),
        reason: reason.into(),
    }
}

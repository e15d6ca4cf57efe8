//! The registries a catalogue trusts: records kept as catalogue settings,
//! and opening one (revalidating its snapshot, saving the new state).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use stencil_registry::{
    ErrorKind, Freshness, Limits, Registry, Revalidation, Source, Staleness, TrustAnchor,
    TrustState, open_location,
};
use stencil_store::Catalog;

use super::{PackageError, REGISTRY_SETTING_PREFIX};

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

fn parse_record(name: &str, text: &str) -> Result<RegistryRecord, PackageError> {
    serde_json::from_str(text).map_err(|e| PackageError::DamagedRecord {
        name: name.to_owned(),
        reason: e.to_string(),
    })
}

fn load_record(catalog: &Catalog, name: &str) -> Result<RegistryRecord, PackageError> {
    let text = catalog
        .setting(&setting_key(name))?
        .ok_or_else(|| PackageError::UnknownRegistry(name.to_owned()))?;
    parse_record(name, &text)
}

fn record_text(record: &RegistryRecord) -> Result<String, PackageError> {
    serde_json::to_string(record).map_err(|e| PackageError::DamagedRecord {
        name: record.name.clone(),
        reason: e.to_string(),
    })
}

/// How many times a state save re-reads after losing a race before it
/// gives up (each loss means another writer made progress).
const SAVE_ATTEMPTS: usize = 16;

/// What [`save_state`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SavedState {
    /// The state was stored.
    Stored,
    /// The stored state was already at a newer snapshot (another process
    /// refreshed meanwhile): kept, so the rollback floor never moves back.
    KeptNewer,
}

/// Stores `state` as the state of registry `name` by compare-and-set: the
/// stored record is read, and replaced only if its snapshot version is not
/// newer than `state`'s and nobody replaced it in between (otherwise it is
/// read again). Two processes refreshing the same registry therefore never
/// move the stored rollback floor backwards, whatever the interleaving.
pub fn save_state(
    catalog: &Catalog,
    name: &str,
    state: &TrustState,
) -> Result<SavedState, PackageError> {
    let key = setting_key(name);
    for _ in 0..SAVE_ATTEMPTS {
        let text = catalog
            .setting(&key)?
            .ok_or_else(|| PackageError::UnknownRegistry(name.to_owned()))?;
        let mut record = parse_record(name, &text)?;
        if record.state.snapshot_version > state.snapshot_version {
            return Ok(SavedState::KeptNewer);
        }
        if &record.state == state {
            return Ok(SavedState::Stored);
        }
        record.state = state.clone();
        if catalog.compare_and_set_setting(&key, Some(&text), &record_text(&record)?)? {
            return Ok(SavedState::Stored);
        }
    }
    Err(PackageError::DamagedRecord {
        name: name.to_owned(),
        reason: format!("changed by other writers {SAVE_ATTEMPTS} times while being saved"),
    })
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
    // Compare-and-set: a concurrent `registry add` of the same name fails
    // here rather than overwriting the other's pinned root.
    if !catalog.compare_and_set_setting(&setting_key(name), None, &record_text(&record)?)? {
        return Err(PackageError::RegistryExists(name.to_owned()));
    }
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
    /// Set when the view is the stored snapshot without checking the
    /// network (offline, or the fallback below): how old it is.
    pub staleness: Option<Staleness>,
    /// Set when the network failed and the stored snapshot was used
    /// instead: what failed. Callers must say so to the user.
    pub fallback: Option<String>,
    /// What revalidation did (`None` offline or on fallback).
    pub revalidation: Option<Revalidation>,
}

impl std::fmt::Debug for OpenRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenRegistry")
            .field("registry", &self.registry.name())
            .field("source", &self.source.location())
            .field("staleness", &self.staleness)
            .field("fallback", &self.fallback)
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
/// stored snapshot) — see [`Registry::refresh`]. When that request fails
/// for a network reason (connection, timeout, 429 or 5xx after the
/// retries) and a snapshot is stored, the stored snapshot is used and
/// [`OpenRegistry::fallback`] says why.
pub fn open_registry_with(
    catalog: &Catalog,
    name: &str,
    offline: bool,
    freshness: &Freshness,
    now: Timestamp,
) -> Result<OpenRegistry, PackageError> {
    let record = load_record(catalog, name)?;
    open_record(catalog, &record, offline, freshness, now)
}

/// Whether a failure is the network's (worth falling back to the cache),
/// not the registry's content (never papered over).
fn is_network_failure(kind: &ErrorKind) -> bool {
    match kind {
        ErrorKind::Network { .. } | ErrorKind::Io(_) => true,
        ErrorKind::HttpStatus { status, .. } => *status == 429 || *status >= 500,
        _ => false,
    }
}

/// [`open_registry_with`] from an already loaded record (one statement
/// fewer per registry; `outdated` opens every registry from one listing).
pub(crate) fn open_record(
    catalog: &Catalog,
    record: &RegistryRecord,
    offline: bool,
    freshness: &Freshness,
    now: Timestamp,
) -> Result<OpenRegistry, PackageError> {
    let name = record.name.as_str();
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
            fallback: None,
            revalidation: None,
        });
    }
    let refreshed = Registry::refresh(
        name,
        source.as_ref(),
        &record.state,
        &Limits::DEFAULT,
        now,
        freshness,
    );
    let (registry, revalidation) = match refreshed {
        Ok(done) => done,
        Err(e) if is_network_failure(e.kind()) && record.state.snapshot.is_some() => {
            let (registry, staleness) =
                Registry::offline(name, &record.state, &Limits::DEFAULT, now)?;
            return Ok(OpenRegistry {
                registry,
                source,
                staleness: Some(staleness),
                fallback: Some(e.to_string()),
                revalidation: None,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let state = registry.state();
    if state != record.state {
        save_state(catalog, name, &state)?;
    }
    Ok(OpenRegistry {
        registry,
        source,
        staleness: None,
        fallback: None,
        revalidation: Some(revalidation),
    })
}

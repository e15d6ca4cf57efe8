//! The client's trust rules: pin a root, walk its rotations, accept a
//! snapshot only when it is signed, current and not older than what was seen,
//! and accept a package only when its blob matches the snapshot.
//!
//! Nothing here stores anything: [`Registry`] is a verified view, and the
//! caller persists [`Registry::state`] (the facade keeps it in the catalogue)
//! only once everything it needs has been verified.
//!
//! Over 600 lines: every path to a verified view (bootstrap, update,
//! refresh, offline) and the package check share private helpers and read
//! best side by side; parallel fetch and the cache live in their own files.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cache::BlobCache;
use crate::error::{Error, ErrorKind};
use crate::keys::PublicKey;
use crate::limits::Limits;
use crate::metadata::{PackageEntry, Root, Snapshot};
use crate::package::{Package, decompress};
use crate::signed::{self, KeySet, Role};
use crate::source::{Revalidated, Source, Validators};

/// `root.json`: the newest root.
pub const ROOT_FILE: &str = "root.json";
/// `snapshot.json`: the newest snapshot.
pub const SNAPSHOT_FILE: &str = "snapshot.json";

/// `roots/<version>.root.json`: every root ever published, for the walk.
pub fn versioned_root_file(version: u64) -> String {
    format!("roots/{version}.root.json")
}

/// What the user trusts when adding a registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustAnchor {
    /// `root.json` must be signed by `threshold` of these keys (and by a
    /// threshold of its own).
    Keys {
        /// The keys given with `--trust`.
        keys: Vec<PublicKey>,
        /// How many must have signed.
        threshold: u32,
    },
    /// `root.json`'s bytes must have this sha256 (lowercase hex).
    RootDigest(String),
}

/// What a client remembers about a registry between runs: the pinned root
/// and the newest snapshot it accepted (its version is the rollback floor).
/// Serialised as JSON by the caller; both envelopes are re-verified on load,
/// so a damaged or edited state is refused, not trusted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustState {
    /// The newest verified root envelope, as fetched.
    pub root: String,
    /// The newest snapshot version accepted; 0 before the first.
    pub snapshot_version: u64,
    /// The newest snapshot envelope accepted, as fetched.
    pub snapshot: Option<String>,
    /// When that snapshot was fetched (or last revalidated).
    pub fetched: Option<Timestamp>,
    /// What the server said identifies that snapshot (`ETag`,
    /// `Last-Modified`), to revalidate it with one conditional request.
    #[serde(default, skip_serializing_if = "Validators::is_empty")]
    pub snapshot_validators: Validators,
}

/// When [`Registry::refresh`] asks the server whether the snapshot changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freshness {
    /// A snapshot fetched or revalidated less than this long ago is used
    /// without any request (still verified, still subject to expiry).
    pub min_interval: SignedDuration,
    /// Revalidate now, whatever the interval (`--refresh`).
    pub force: bool,
}

impl Freshness {
    /// Revalidate at most every five minutes.
    pub const DEFAULT: Freshness = Freshness {
        min_interval: SignedDuration::from_mins(5),
        force: false,
    };

    /// Revalidate now.
    pub const FORCE: Freshness = Freshness {
        min_interval: SignedDuration::ZERO,
        force: true,
    };
}

impl Default for Freshness {
    fn default() -> Freshness {
        Freshness::DEFAULT
    }
}

/// What [`Registry::refresh`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revalidation {
    /// Inside the minimum interval: no request.
    Skipped,
    /// One conditional request, answered "not modified".
    NotModified,
    /// The snapshot was (re)fetched and verified under every rule.
    Fetched,
}

/// How stale an offline view is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staleness {
    /// When the cached snapshot was fetched.
    pub fetched: Option<Timestamp>,
    /// When it expires (or expired).
    pub expires: Timestamp,
    /// Whether it has expired.
    pub expired: bool,
}

/// A verified view of one registry: its current root and snapshot.
#[derive(Debug)]
pub struct Registry {
    name: String,
    root: Root,
    root_envelope: String,
    snapshot: Snapshot,
    snapshot_envelope: String,
    snapshot_validators: Validators,
    fetched: Option<Timestamp>,
    limits: Limits,
}

impl Registry {
    /// Adds a registry: fetches `root.json`, checks it against `anchor`,
    /// walks any newer roots, then fetches and verifies the snapshot.
    pub fn bootstrap(
        name: &str,
        source: &dyn Source,
        anchor: &TrustAnchor,
        limits: &Limits,
        now: Timestamp,
    ) -> Result<Registry, Error> {
        let fail = |file: &str, kind| Error::registry(name, file, kind);
        let bytes = fetch_required(source, ROOT_FILE, limits.max_root_bytes)
            .map_err(|k| fail(ROOT_FILE, k))?;
        let opened = signed::open(&bytes).map_err(|k| fail(ROOT_FILE, k))?;
        let root = Root::parse(&opened.payload).map_err(|k| fail(ROOT_FILE, k))?;
        let own = root.key_set().map_err(|k| fail(ROOT_FILE, k))?;
        match anchor {
            TrustAnchor::Keys { keys, threshold } => {
                KeySet::validate(keys, *threshold).map_err(|k| fail(ROOT_FILE, k))?;
                let pinned = KeySet {
                    label: String::from("the trusted"),
                    keys: keys.clone(),
                    threshold: *threshold,
                };
                opened
                    .verify(Role::Root, &[&pinned, &own])
                    .map_err(|k| fail(ROOT_FILE, k))?;
            }
            TrustAnchor::RootDigest(expected) => {
                let found = sha256_hex(&bytes);
                if !found.eq_ignore_ascii_case(expected) {
                    return Err(fail(
                        ROOT_FILE,
                        ErrorKind::PinMismatch {
                            expected: expected.clone(),
                            found,
                        },
                    ));
                }
                opened
                    .verify(Role::Root, &[&own])
                    .map_err(|k| fail(ROOT_FILE, k))?;
            }
        }
        let state = TrustState {
            root: into_text(bytes).map_err(|k| fail(ROOT_FILE, k))?,
            snapshot_version: 0,
            snapshot: None,
            fetched: None,
            snapshot_validators: Validators::default(),
        };
        Registry::update(name, source, &state, limits, now)
    }

    /// Refreshes a registry from what the client remembers: walks root
    /// rotations from the pinned root, then fetches the snapshot and refuses
    /// it if it is unsigned, expired, older than `state.snapshot_version`
    /// (rollback) or a different snapshot under the same version (fork).
    pub fn update(
        name: &str,
        source: &dyn Source,
        state: &TrustState,
        limits: &Limits,
        now: Timestamp,
    ) -> Result<Registry, Error> {
        Registry::update_from(name, source, state, limits, now, None)
    }

    /// [`update`](Self::update) by revalidation: inside
    /// `freshness.min_interval` of the last fetch, the remembered snapshot
    /// is used without a request; otherwise one conditional request
    /// (`If-None-Match` / `If-Modified-Since`) — a "not modified" answer
    /// keeps the remembered snapshot, anything else is verified exactly as
    /// [`update`](Self::update) does. Either way the remembered root and
    /// snapshot are re-verified and must not have expired.
    ///
    /// A "not modified" snapshot also means no root rotation is looked
    /// for: a rotation always comes with a new snapshot, since a snapshot
    /// names the root version it is signed for.
    pub fn refresh(
        name: &str,
        source: &dyn Source,
        state: &TrustState,
        limits: &Limits,
        now: Timestamp,
        freshness: &Freshness,
    ) -> Result<(Registry, Revalidation), Error> {
        if let (Some(fetched), Some(_)) = (state.fetched, &state.snapshot)
            && !freshness.force
            && fetched <= now
            && now.duration_since(fetched) < freshness.min_interval
        {
            let registry = Registry::remembered(name, state, limits, now)?;
            return Ok((registry, Revalidation::Skipped));
        }
        if state.snapshot.is_none() || state.snapshot_validators.is_empty() {
            let registry = Registry::update_from(name, source, state, limits, now, None)?;
            return Ok((registry, Revalidation::Fetched));
        }
        let answer = source
            .fetch_revalidate(
                SNAPSHOT_FILE,
                limits.max_snapshot_bytes,
                &state.snapshot_validators,
            )
            .map_err(|k| Error::registry(name, SNAPSHOT_FILE, k))?;
        match answer {
            Revalidated::NotModified => {
                let mut registry = Registry::remembered(name, state, limits, now)?;
                registry.fetched = Some(now);
                Ok((registry, Revalidation::NotModified))
            }
            Revalidated::Changed { bytes, validators } => {
                let registry = Registry::update_from(
                    name,
                    source,
                    state,
                    limits,
                    now,
                    Some((bytes, validators)),
                )?;
                Ok((registry, Revalidation::Fetched))
            }
            Revalidated::Missing => Err(Error::registry(name, SNAPSHOT_FILE, ErrorKind::NotFound)),
        }
    }

    /// The remembered view, verified and unexpired, without a request.
    fn remembered(
        name: &str,
        state: &TrustState,
        limits: &Limits,
        now: Timestamp,
    ) -> Result<Registry, Error> {
        let (registry, _) = Registry::offline(name, state, limits, now)?;
        check_not_expired(registry.root.expires, now)
            .map_err(|k| Error::registry(name, &versioned_root_file(registry.root.version), k))?;
        check_not_expired(registry.snapshot.expires, now)
            .map_err(|k| Error::registry(name, SNAPSHOT_FILE, k))?;
        Ok(registry)
    }

    fn update_from(
        name: &str,
        source: &dyn Source,
        state: &TrustState,
        limits: &Limits,
        now: Timestamp,
        prefetched: Option<(Vec<u8>, Validators)>,
    ) -> Result<Registry, Error> {
        let fail = |file: &str, kind| Error::registry(name, file, kind);
        let (mut root, mut root_envelope) = load_trusted_root(&state.root)
            .map_err(|k| fail("pinned root (in the client's state)", k))?;
        walk_roots(name, source, &mut root, &mut root_envelope, None, limits)?;

        let (bytes, validators) = match prefetched {
            Some(fetched) => fetched,
            None => match source
                .fetch_revalidate(
                    SNAPSHOT_FILE,
                    limits.max_snapshot_bytes,
                    &Validators::default(),
                )
                .map_err(|k| fail(SNAPSHOT_FILE, k))?
            {
                Revalidated::Changed { bytes, validators } => (bytes, validators),
                Revalidated::Missing | Revalidated::NotModified => {
                    return Err(fail(SNAPSHOT_FILE, ErrorKind::NotFound));
                }
            },
        };
        let opened = signed::open(&bytes).map_err(|k| fail(SNAPSHOT_FILE, k))?;
        // A publisher may rotate the root between our walk and this read;
        // the snapshot then names a newer root, which must exist by now.
        // Only the version is read before the signature check, to know
        // which keys to check with.
        // A payload without a readable `root_version` goes straight to the
        // signature check against the current root, which names the failure.
        let claimed = claimed_root_version(&opened.payload).unwrap_or(0);
        if claimed > root.version {
            walk_roots(
                name,
                source,
                &mut root,
                &mut root_envelope,
                Some(claimed),
                limits,
            )?;
        }
        check_not_expired(root.expires, now)
            .map_err(|k| fail(&versioned_root_file(root.version), k))?;
        opened
            .verify(
                Role::Snapshot,
                &[&root.key_set().map_err(|k| fail(ROOT_FILE, k))?],
            )
            .map_err(|k| fail(SNAPSHOT_FILE, k))?;
        let snapshot = Snapshot::parse(&opened.payload).map_err(|k| fail(SNAPSHOT_FILE, k))?;
        if snapshot.root_version != root.version {
            return Err(fail(
                SNAPSHOT_FILE,
                ErrorKind::RootOutOfStep {
                    snapshot: snapshot.root_version,
                    root: root.version,
                },
            ));
        }
        if snapshot.version < state.snapshot_version {
            return Err(fail(
                SNAPSHOT_FILE,
                ErrorKind::Rollback {
                    seen: state.snapshot_version,
                    found: snapshot.version,
                },
            ));
        }
        if snapshot.version == state.snapshot_version
            && let Some(seen) = &state.snapshot
        {
            let seen_payload = signed::open(seen.as_bytes())
                .map(|o| o.payload)
                .unwrap_or_default();
            if seen_payload != opened.payload {
                return Err(fail(
                    SNAPSHOT_FILE,
                    ErrorKind::Fork {
                        version: snapshot.version,
                    },
                ));
            }
        }
        check_not_expired(snapshot.expires, now).map_err(|k| fail(SNAPSHOT_FILE, k))?;
        Ok(Registry {
            name: name.to_owned(),
            root,
            root_envelope,
            snapshot,
            snapshot_envelope: into_text(bytes).map_err(|k| fail(SNAPSHOT_FILE, k))?,
            snapshot_validators: validators,
            fetched: Some(now),
            limits: *limits,
        })
    }

    /// The `--offline` escape: the view from the remembered root and
    /// snapshot only, without fetching metadata and without the expiry
    /// rule (signatures are still checked). The [`Staleness`] says how old
    /// the data is, for the user to see.
    pub fn offline(
        name: &str,
        state: &TrustState,
        limits: &Limits,
        now: Timestamp,
    ) -> Result<(Registry, Staleness), Error> {
        let fail = |file: &str, kind| Error::registry(name, file, kind);
        let (root, root_envelope) = load_trusted_root(&state.root)
            .map_err(|k| fail("pinned root (in the client's state)", k))?;
        let envelope = state
            .snapshot
            .clone()
            .ok_or_else(|| fail("cached snapshot", ErrorKind::NotFound))?;
        let opened = signed::open(envelope.as_bytes()).map_err(|k| fail("cached snapshot", k))?;
        opened
            .verify(
                Role::Snapshot,
                &[&root.key_set().map_err(|k| fail(ROOT_FILE, k))?],
            )
            .map_err(|k| fail("cached snapshot", k))?;
        let snapshot = Snapshot::parse(&opened.payload).map_err(|k| fail("cached snapshot", k))?;
        let staleness = Staleness {
            fetched: state.fetched,
            expires: snapshot.expires,
            expired: snapshot.expires <= now,
        };
        Ok((
            Registry {
                name: name.to_owned(),
                root,
                root_envelope,
                snapshot,
                snapshot_envelope: envelope,
                snapshot_validators: state.snapshot_validators.clone(),
                fetched: state.fetched,
                limits: *limits,
            },
            staleness,
        ))
    }

    /// The name the client gave the registry.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The current root.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// The verified snapshot.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// What to remember for the next run (see [`TrustState`]).
    pub fn state(&self) -> TrustState {
        TrustState {
            root: self.root_envelope.clone(),
            snapshot_version: self.snapshot.version,
            snapshot: Some(self.snapshot_envelope.clone()),
            fetched: self.fetched,
            snapshot_validators: self.snapshot_validators.clone(),
        }
    }

    /// Fetches and verifies one package version: the blob is read with a
    /// cap of the snapshot's size, must have exactly that size and sha256,
    /// decompresses to exactly `unpacked_size` bytes, decodes under every
    /// package rule, and must name the package it was fetched for.
    pub fn fetch_package(
        &self,
        source: &dyn Source,
        entry: &PackageEntry,
    ) -> Result<Package, Error> {
        self.fetch_package_cached(source, entry, None)
    }

    /// [`fetch_package`](Self::fetch_package) through a [`BlobCache`]: a
    /// package verified earlier by this handle comes from memory (L1);
    /// else a cached blob is used when it still verifies (L2); otherwise
    /// the blob is fetched, verified and stored. Errors name the package.
    ///
    /// Returns an owned copy: an L1 hit costs a clone of the package
    /// (proportional to its size); [`fetch_package_shared`](Self::fetch_package_shared)
    /// hands out the cached package itself.
    pub fn fetch_package_cached(
        &self,
        source: &dyn Source,
        entry: &PackageEntry,
        cache: Option<&BlobCache>,
    ) -> Result<Package, Error> {
        self.fetch_package_shared(source, entry, cache)
            .map(Arc::unwrap_or_clone)
    }

    /// [`fetch_package_cached`](Self::fetch_package_cached) without the
    /// copy: an L1 hit is a hash lookup and a reference count, whatever the
    /// package's size.
    pub fn fetch_package_shared(
        &self,
        source: &dyn Source,
        entry: &PackageEntry,
        cache: Option<&BlobCache>,
    ) -> Result<Arc<Package>, Error> {
        // Named only on failure: an L1 hit must not pay for formatting.
        let fail = |kind| {
            let file = format!("{} ({})", entry.id(), entry.blob_path());
            Error::registry(&self.name, &file, kind)
        };
        if entry.size > self.limits.max_blob_bytes {
            return Err(fail(ErrorKind::TooLarge {
                limit: self.limits.max_blob_bytes,
            }));
        }
        // L1 first; only its miss asks L2, and only L2's miss the source,
        // so each lookup is counted once, where it was answered.
        if let Some(package) = cache.and_then(|c| c.memory_get(entry)) {
            return Ok(package);
        }
        let cached = cache.and_then(|c| c.get(entry));
        let from_cache = cached.is_some();
        let blob = match cached {
            Some(blob) => blob,
            None => match source.fetch(&entry.blob_path(), entry.size) {
                Ok(Some(blob)) => blob,
                Ok(None) => return Err(fail(ErrorKind::NotFound)),
                Err(ErrorKind::TooLarge { .. }) => {
                    return Err(fail(ErrorKind::SizeMismatch {
                        expected: entry.size,
                        found: entry.size + 1,
                    }));
                }
                Err(kind) => return Err(fail(kind)),
            },
        };
        // A cached blob was verified by the read that returned it (the
        // same size and sha256 check); checking twice doubled an L2 hit.
        if !from_cache {
            verify_blob(&blob, entry).map_err(fail)?;
        }
        if let Some(cache) = cache
            && !from_cache
        {
            // Best effort: a cache that cannot be written (full disk,
            // read-only) only costs a download next time.
            let _ = cache.put(entry, &blob);
        }
        let encoding = decompress(&blob, entry.unpacked_size, &self.limits).map_err(fail)?;
        let package = Package::decode(&encoding, &self.limits).map_err(fail)?;
        if package.kind() != entry.kind || package.name() != entry.name {
            return Err(fail(ErrorKind::PackageMismatch {
                expected: format!("{}:{}", entry.kind, entry.name),
                found: package.id(),
            }));
        }
        let package = Arc::new(package.with_version(entry.version));
        if let Some(cache) = cache {
            cache.memory_put(entry, Arc::clone(&package));
        }
        Ok(package)
    }

    /// [`fetch_package`](Self::fetch_package) for `kind:name@version`, or
    /// the latest non-yanked version when `version` is `None`.
    pub fn fetch(
        &self,
        source: &dyn Source,
        kind: &str,
        name: &str,
        version: Option<u64>,
    ) -> Result<Package, Error> {
        let entry = match version {
            Some(v) => self.snapshot.find(kind, name, v),
            None => self.snapshot.latest(kind, name),
        };
        let entry = entry.ok_or_else(|| {
            let id = match version {
                Some(v) => format!("{kind}:{name}@{v}"),
                None => format!("{kind}:{name}"),
            };
            Error::registry(&self.name, SNAPSHOT_FILE, ErrorKind::NoSuchPackage(id))
        })?;
        self.fetch_package(source, entry)
    }
}

/// Size, then sha256, against the snapshot entry.
pub(crate) fn verify_blob(blob: &[u8], entry: &PackageEntry) -> Result<(), ErrorKind> {
    if blob.len() as u64 != entry.size {
        return Err(ErrorKind::SizeMismatch {
            expected: entry.size,
            found: blob.len() as u64,
        });
    }
    let found = sha256_hex(blob);
    if found != entry.sha256 {
        return Err(ErrorKind::DigestMismatch {
            expected: entry.sha256.clone(),
            found,
        });
    }
    Ok(())
}

/// Lowercase hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Re-verifies a remembered root against its own keys. Expiry is checked
/// later, after the walk: an expired pinned root may still sign its
/// successor.
fn load_trusted_root(envelope: &str) -> Result<(Root, String), ErrorKind> {
    let opened = signed::open(envelope.as_bytes())?;
    let root = Root::parse(&opened.payload)?;
    opened.verify(Role::Root, &[&root.key_set()?])?;
    Ok((root, envelope.to_owned()))
}

/// Follows `roots/N+1.root.json` while it exists (or up to `target`, which
/// must be reached): each must be version N+1 and signed by a threshold of
/// version N's keys and of its own.
fn walk_roots(
    name: &str,
    source: &dyn Source,
    root: &mut Root,
    envelope: &mut String,
    target: Option<u64>,
    limits: &Limits,
) -> Result<(), Error> {
    let mut steps = 0u64;
    loop {
        if target.is_some_and(|t| root.version >= t) {
            return Ok(());
        }
        let file = versioned_root_file(root.version + 1);
        let fail = |kind| Error::registry(name, &file, kind);
        let Some(bytes) = source.fetch(&file, limits.max_root_bytes).map_err(fail)? else {
            return match target {
                Some(t) => Err(fail(ErrorKind::RootOutOfStep {
                    snapshot: t,
                    root: root.version,
                })),
                None => Ok(()),
            };
        };
        steps += 1;
        if steps > limits.max_rotations {
            return Err(fail(ErrorKind::TooManyRotations(limits.max_rotations)));
        }
        let next = verify_rotation(root, &bytes).map_err(fail)?;
        *root = next;
        *envelope = into_text(bytes).map_err(fail)?;
    }
}

/// Root rotation: `bytes` must hold root version `previous.version + 1`,
/// signed by a threshold of `previous`'s keys and a threshold of its own.
pub(crate) fn verify_rotation(previous: &Root, bytes: &[u8]) -> Result<Root, ErrorKind> {
    let opened = signed::open(bytes)?;
    let next = Root::parse(&opened.payload)?;
    if next.version != previous.version + 1 {
        return Err(ErrorKind::RootVersion {
            expected: previous.version + 1,
            found: next.version,
        });
    }
    opened.verify(Role::Root, &[&previous.key_set()?, &next.key_set()?])?;
    Ok(next)
}

fn claimed_root_version(payload: &str) -> Result<u64, ErrorKind> {
    #[derive(Deserialize)]
    struct RootVersionOnly {
        root_version: u64,
    }
    serde_json::from_str::<RootVersionOnly>(payload)
        .map(|r| r.root_version)
        .map_err(|e| ErrorKind::Malformed(e.to_string()))
}

fn check_not_expired(expires: Timestamp, now: Timestamp) -> Result<(), ErrorKind> {
    if expires <= now {
        return Err(ErrorKind::Expired {
            expires: expires.to_string(),
            now: now.to_string(),
        });
    }
    Ok(())
}

fn fetch_required(source: &dyn Source, path: &str, limit: u64) -> Result<Vec<u8>, ErrorKind> {
    source.fetch(path, limit)?.ok_or(ErrorKind::NotFound)
}

fn into_text(bytes: Vec<u8>) -> Result<String, ErrorKind> {
    String::from_utf8(bytes).map_err(|_| ErrorKind::Malformed(String::from("not UTF-8")))
}

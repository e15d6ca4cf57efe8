//! Publishing: writing packages into a registry directory so that a reader
//! at any moment sees the old or the new snapshot, and every blob it names.
//!
//! Order of writes: blobs first (each under its final name by an atomic
//! no-replace rename, never rewritten), then any new root (`roots/N.root.json`
//! no-replace, then `root.json`), then `snapshot.json` last by atomic rename.
//! One publisher at a time per directory; readers need no coordination.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};

use crate::client::{
    ROOT_FILE, SNAPSHOT_FILE, sha256_hex, verify_blob, verify_rotation, versioned_root_file,
};
use crate::error::{Error, ErrorKind};
use crate::keys::{PublicKey, SecretKey};
use crate::metadata::{PackageEntry, Root, Snapshot};
use crate::package::{Package, compress};
use crate::signed::{self, KeySet, Role};

/// How long a new snapshot stays valid unless `--expires` says otherwise:
/// 30 days. A registry must be republished (or refreshed) within that time,
/// or clients refuse it as frozen.
pub const DEFAULT_SNAPSHOT_TTL: SignedDuration = SignedDuration::from_hours(30 * 24);
/// How long a new root stays valid: 365 days. A publish renews the root
/// (same keys, next version) when it would expire before the snapshot.
pub const DEFAULT_ROOT_TTL: SignedDuration = SignedDuration::from_hours(365 * 24);

/// What one publication did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishReport {
    /// New package versions, in the order given.
    pub published: Vec<PackageEntry>,
    /// `kind:name@version` of packages whose content equals their latest
    /// version: nothing was written for them.
    pub unchanged: Vec<String>,
    /// Blobs written (a blob already present is never rewritten).
    pub blobs_written: usize,
    /// The new snapshot's version; `None` when nothing changed and nothing
    /// was written.
    pub snapshot_version: Option<u64>,
    /// The new root version, when the root was created or renewed.
    pub root_version: Option<u64>,
}

/// Writes into a registry directory, signing with the keys it holds.
#[derive(Debug)]
pub struct Publisher {
    dir: PathBuf,
    signers: Vec<SecretKey>,
    root: Root,
    snapshot: Option<Snapshot>,
    snapshot_ttl: SignedDuration,
    created: bool,
}

impl Publisher {
    /// Opens the registry at `dir`, creating it — directory, and a root
    /// version 1 trusting the signers' keys with threshold 1 — when it has
    /// no `root.json`. An existing registry must trust enough of `signers`
    /// to meet its threshold.
    pub fn open_or_create(
        dir: &Path,
        signers: Vec<SecretKey>,
        now: Timestamp,
    ) -> Result<Publisher, Error> {
        let location = dir.display().to_string();
        let fail = |file: &str, kind| Error::registry(&location, file, kind);
        let now = whole_seconds(now);
        let root_path = dir.join(ROOT_FILE);
        if !root_path.exists() {
            let keys: Vec<PublicKey> = signers.iter().map(SecretKey::public).collect();
            let root = Root::new(1, now + DEFAULT_ROOT_TTL, &keys, 1);
            root.validate().map_err(|k| fail(ROOT_FILE, k))?;
            let mut publisher = Publisher {
                dir: dir.to_owned(),
                signers,
                root,
                snapshot: None,
                snapshot_ttl: DEFAULT_SNAPSHOT_TTL,
                created: true,
            };
            fs::create_dir_all(dir.join("roots")).map_err(|e| fail("roots", ErrorKind::Io(e)))?;
            let sealed = publisher.seal_root(&publisher.root.clone(), &[]);
            publisher.write_root(1, &sealed)?;
            publisher.write_snapshot(Vec::new(), now, 1)?;
            return Ok(publisher);
        }
        let bytes = read_local(&root_path).map_err(|k| fail(ROOT_FILE, k))?;
        let opened = signed::open(&bytes).map_err(|k| fail(ROOT_FILE, k))?;
        let root = Root::parse(&opened.payload).map_err(|k| fail(ROOT_FILE, k))?;
        let own = root.key_set().map_err(|k| fail(ROOT_FILE, k))?;
        opened
            .verify(Role::Root, &[&own])
            .map_err(|k| fail(ROOT_FILE, k))?;
        check_signers(&own, &signers).map_err(|k| fail(ROOT_FILE, k))?;
        let snapshot = match read_local(&dir.join(SNAPSHOT_FILE)) {
            Ok(bytes) => {
                let opened = signed::open(&bytes).map_err(|k| fail(SNAPSHOT_FILE, k))?;
                Some(Snapshot::parse(&opened.payload).map_err(|k| fail(SNAPSHOT_FILE, k))?)
            }
            Err(ErrorKind::NotFound) => None,
            Err(kind) => return Err(fail(SNAPSHOT_FILE, kind)),
        };
        Ok(Publisher {
            dir: dir.to_owned(),
            signers,
            root,
            snapshot,
            snapshot_ttl: DEFAULT_SNAPSHOT_TTL,
            created: false,
        })
    }

    /// Sets how long snapshots written from now on stay valid.
    pub fn snapshot_ttl(mut self, ttl: SignedDuration) -> Publisher {
        self.snapshot_ttl = ttl;
        self
    }

    /// True when [`open_or_create`](Self::open_or_create) created the
    /// registry.
    pub fn created(&self) -> bool {
        self.created
    }

    /// The current root.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// The current snapshot, if any.
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    /// Publishes `packages`. A package whose encoded content equals its
    /// latest version is left alone; any other gets the next version. When
    /// nothing changed, nothing is written and the report says so.
    pub fn publish(
        &mut self,
        packages: &[Package],
        now: Timestamp,
    ) -> Result<PublishReport, Error> {
        let now = whole_seconds(now);
        let location = self.dir.display().to_string();
        let mut report = PublishReport::default();
        let mut entries = self
            .snapshot
            .as_ref()
            .map(|s| s.packages.clone())
            .unwrap_or_default();
        let mut blobs: Vec<(String, Vec<u8>)> = Vec::new();
        for package in packages {
            let encoding = package.encode();
            let blob =
                compress(&encoding).map_err(|k| Error::registry(&location, &package.id(), k))?;
            let sha256 = sha256_hex(&blob);
            let newest = entries
                .iter()
                .filter(|e| e.kind == package.kind() && e.name == package.name())
                .max_by_key(|e| e.version);
            if let Some(newest) = newest
                && newest.sha256 == sha256
                && !newest.yanked
            {
                report.unchanged.push(newest.id());
                continue;
            }
            let entry = PackageEntry {
                kind: package.kind().to_owned(),
                name: package.name().to_owned(),
                version: newest.map_or(1, |e| e.version + 1),
                description: package.description_text().to_owned(),
                size: blob.len() as u64,
                unpacked_size: encoding.len() as u64,
                sha256,
                published: now,
                yanked: false,
            };
            report.published.push(entry.clone());
            entries.push(entry.clone());
            blobs.push((entry.blob_path(), blob));
        }
        if report.published.is_empty() {
            return Ok(report);
        }
        for (path, blob) in &blobs {
            if self.write_blob(
                path,
                blob,
                report.published.iter().find(|e| e.blob_path() == *path),
            )? {
                report.blobs_written += 1;
            }
        }
        report.root_version = self.renew_root_if_needed(now)?;
        report.snapshot_version = Some(self.write_snapshot(entries, now, self.root.version)?);
        Ok(report)
    }

    /// Re-signs the current snapshot with a new expiry (and version), so a
    /// registry that has nothing new does not freeze.
    pub fn refresh(&mut self, now: Timestamp) -> Result<PublishReport, Error> {
        let now = whole_seconds(now);
        let entries = self
            .snapshot
            .as_ref()
            .map(|s| s.packages.clone())
            .unwrap_or_default();
        let root_version = self.renew_root_if_needed(now)?;
        let version = self.write_snapshot(entries, now, self.root.version)?;
        Ok(PublishReport {
            snapshot_version: Some(version),
            root_version,
            ..PublishReport::default()
        })
    }

    /// Marks `kind:name@version` yanked: still fetchable by exact version,
    /// never chosen as latest.
    pub fn yank(
        &mut self,
        kind: &str,
        name: &str,
        version: u64,
        now: Timestamp,
    ) -> Result<u64, Error> {
        let now = whole_seconds(now);
        let mut entries = self
            .snapshot
            .as_ref()
            .map(|s| s.packages.clone())
            .unwrap_or_default();
        let id = format!("{kind}:{name}@{version}");
        let entry = entries
            .iter_mut()
            .find(|e| e.kind == kind && e.name == name && e.version == version)
            .ok_or_else(|| {
                Error::registry(
                    &self.dir.display().to_string(),
                    SNAPSHOT_FILE,
                    ErrorKind::NoSuchPackage(id),
                )
            })?;
        entry.yanked = true;
        self.renew_root_if_needed(now)?;
        self.write_snapshot(entries, now, self.root.version)
    }

    /// Rotates the root to `keys` with `threshold`: the new root (next
    /// version) is signed by the current signers (meeting the old
    /// threshold) and by `new_signers` (which must meet the new threshold),
    /// checked as a client would before anything is written; then the
    /// snapshot is re-signed by the new keys. Afterwards this publisher
    /// signs with `new_signers`.
    pub fn rotate_root(
        &mut self,
        keys: &[PublicKey],
        threshold: u32,
        new_signers: Vec<SecretKey>,
        now: Timestamp,
    ) -> Result<u64, Error> {
        let now = whole_seconds(now);
        let next = Root::new(
            self.root.version + 1,
            now + DEFAULT_ROOT_TTL,
            keys,
            threshold,
        );
        self.install_root(next, &new_signers)?;
        self.signers = new_signers;
        let entries = self
            .snapshot
            .as_ref()
            .map(|s| s.packages.clone())
            .unwrap_or_default();
        self.write_snapshot(entries, now, self.root.version)?;
        Ok(self.root.version)
    }

    /// Renews the root (same keys, next version) when it would expire
    /// before a snapshot signed now.
    fn renew_root_if_needed(&mut self, now: Timestamp) -> Result<Option<u64>, Error> {
        if self.root.expires > now + self.snapshot_ttl {
            return Ok(None);
        }
        let keys = self
            .root
            .public_keys()
            .map_err(|k| Error::registry(&self.dir.display().to_string(), ROOT_FILE, k))?;
        let ttl = DEFAULT_ROOT_TTL.max(self.snapshot_ttl + SignedDuration::from_hours(24));
        let next = Root::new(self.root.version + 1, now + ttl, &keys, self.root.threshold);
        self.install_root(next, &[])?;
        Ok(Some(self.root.version))
    }

    fn install_root(&mut self, next: Root, extra_signers: &[SecretKey]) -> Result<(), Error> {
        let location = self.dir.display().to_string();
        let file = versioned_root_file(next.version);
        next.validate()
            .map_err(|k| Error::registry(&location, &file, k))?;
        let sealed = self.seal_root(&next, extra_signers);
        // Check the rotation exactly as a client will, so a publisher can
        // never write a root that locks its readers out.
        verify_rotation(&self.root, &sealed).map_err(|k| Error::registry(&location, &file, k))?;
        self.write_root(next.version, &sealed)?;
        self.root = next;
        Ok(())
    }

    fn seal_root(&self, root: &Root, extra_signers: &[SecretKey]) -> Vec<u8> {
        let mut signers: Vec<&SecretKey> = self.signers.iter().collect();
        for key in extra_signers {
            if !signers.iter().any(|s| s.public() == key.public()) {
                signers.push(key);
            }
        }
        signed::seal(Role::Root, &root.to_payload(), &signers)
    }

    fn write_root(&self, version: u64, sealed: &[u8]) -> Result<(), Error> {
        write_atomic(
            &self.dir.join("roots"),
            &versioned_root_file(version),
            sealed,
            &self.dir,
            false,
        )?;
        write_atomic(&self.dir, ROOT_FILE, sealed, &self.dir, true)
    }

    fn write_snapshot(
        &mut self,
        entries: Vec<PackageEntry>,
        now: Timestamp,
        root_version: u64,
    ) -> Result<u64, Error> {
        let version = self.snapshot.as_ref().map_or(1, |s| s.version + 1);
        let snapshot = Snapshot::new(version, now + self.snapshot_ttl, now, root_version, entries);
        let signers: Vec<&SecretKey> = self.signers.iter().collect();
        let sealed = signed::seal(Role::Snapshot, &snapshot.to_payload(), &signers);
        write_atomic(&self.dir, SNAPSHOT_FILE, &sealed, &self.dir, true)?;
        self.snapshot = Some(snapshot);
        Ok(version)
    }

    /// Writes a blob unless present; a present blob must match its name.
    fn write_blob(
        &self,
        path: &str,
        blob: &[u8],
        entry: Option<&PackageEntry>,
    ) -> Result<bool, Error> {
        let location = self.dir.display().to_string();
        let fail = |kind| Error::registry(&location, path, kind);
        let full = self.dir.join(path);
        match read_local(&full) {
            Ok(existing) => {
                let matches = entry.map_or(existing == blob, |e| verify_blob(&existing, e).is_ok());
                return if matches {
                    Ok(false)
                } else {
                    Err(fail(ErrorKind::DamagedBlob))
                };
            }
            Err(ErrorKind::NotFound) => {}
            Err(kind) => return Err(fail(kind)),
        }
        let parent = full.parent().unwrap_or(&self.dir).to_owned();
        fs::create_dir_all(&parent).map_err(|e| fail(ErrorKind::Io(e)))?;
        write_atomic(&parent, path, blob, &self.dir, false)?;
        Ok(true)
    }
}

/// Enough of `signers` are keys of `set` to meet its threshold.
fn check_signers(set: &KeySet, signers: &[SecretKey]) -> Result<(), ErrorKind> {
    if let Some(stranger) = signers.iter().find(|s| !set.keys.contains(&s.public())) {
        return Err(ErrorKind::NotASigner {
            key: stranger.public().to_string(),
        });
    }
    let count = set
        .keys
        .iter()
        .filter(|k| signers.iter().any(|s| s.public() == **k))
        .count();
    if count < set.threshold as usize {
        return Err(ErrorKind::BelowThreshold {
            role: set.label.clone(),
            valid: count,
            threshold: set.threshold,
        });
    }
    Ok(())
}

/// Writes `bytes` to `dir/<last component of name>` through a temporary
/// file in `dir` (same file system, so the rename is atomic), mode 0644 so
/// any web server can read it, synced before the rename. `replace = false`
/// refuses to replace an existing file.
fn write_atomic(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    registry: &Path,
    replace: bool,
) -> Result<(), Error> {
    let location = registry.display().to_string();
    let fail = |kind| Error::registry(&location, name, kind);
    let file_name = name.rsplit('/').next().unwrap_or(name);
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| fail(ErrorKind::Io(e)))?;
    tmp.write_all(bytes).map_err(|e| fail(ErrorKind::Io(e)))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(|e| fail(ErrorKind::Io(e)))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| fail(ErrorKind::Io(e)))?;
    let target = dir.join(file_name);
    if replace {
        tmp.persist(&target)
            .map_err(|e| fail(ErrorKind::Io(e.error)))?;
    } else {
        tmp.persist_noclobber(&target)
            .map_err(|e| fail(ErrorKind::Io(e.error)))?;
    }
    // Make the rename itself durable before anything that refers to it.
    #[cfg(unix)]
    if let Ok(handle) = fs::File::open(dir) {
        handle.sync_all().map_err(|e| fail(ErrorKind::Io(e)))?;
    }
    Ok(())
}

fn read_local(path: &Path) -> Result<Vec<u8>, ErrorKind> {
    match fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ErrorKind::NotFound),
        Err(e) => Err(ErrorKind::Io(e)),
    }
}

fn whole_seconds(now: Timestamp) -> Timestamp {
    Timestamp::from_second(now.as_second()).unwrap_or(now)
}

//! The two signed documents: the root (who may sign) and the snapshot (what
//! is published).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::ErrorKind;
use crate::keys::{PublicKey, SecretKey};
use crate::names::{validate_kind, validate_name};
use crate::signed::{self, KeySet, Role};

/// The format version this build writes and reads.
pub const SPEC_VERSION: u32 = 1;

/// `root.json`'s payload: the keys trusted to sign, how many must sign, and
/// until when this root may be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Root {
    #[serde(rename = "type")]
    role: String,
    spec: u32,
    /// Starts at 1; each rotation adds exactly 1.
    pub version: u64,
    /// After this instant the root is refused (unless offline).
    pub expires: Timestamp,
    /// How many distinct keys of [`keys`](Self::keys) must sign.
    pub threshold: u32,
    /// The trusted keys, as `ed25519:<base64>`.
    pub keys: Vec<String>,
}

impl Root {
    /// A root payload; [`validate`](Self::validate) it before use.
    pub fn new(version: u64, expires: Timestamp, keys: &[PublicKey], threshold: u32) -> Root {
        Root {
            role: String::from("root"),
            spec: SPEC_VERSION,
            version,
            expires,
            threshold,
            keys: keys.iter().map(ToString::to_string).collect(),
        }
    }

    /// Parses and checks a root payload.
    pub(crate) fn parse(payload: &str) -> Result<Root, ErrorKind> {
        let root: Root = parse_payload(payload, "root")?;
        root.validate()?;
        Ok(root)
    }

    /// Checks the spec version, the keys and the threshold.
    pub(crate) fn validate(&self) -> Result<(), ErrorKind> {
        check_role_and_spec(&self.role, "root", self.spec)?;
        if self.version == 0 {
            return Err(ErrorKind::Malformed(String::from(
                "root version 0 (versions start at 1)",
            )));
        }
        KeySet::validate(&self.public_keys()?, self.threshold)
    }

    /// The keys, parsed.
    pub fn public_keys(&self) -> Result<Vec<PublicKey>, ErrorKind> {
        self.keys
            .iter()
            .map(|k| k.parse::<PublicKey>().map_err(|e| clone_kind(e.kind())))
            .collect()
    }

    pub(crate) fn key_set(&self) -> Result<KeySet, ErrorKind> {
        Ok(KeySet {
            label: format!("root version {}", self.version),
            keys: self.public_keys()?,
            threshold: self.threshold,
        })
    }

    pub(crate) fn to_payload(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The signed file (`root.json`, `roots/N.root.json`): this payload in
    /// an envelope signed by every key of `signers`. Nothing checks here
    /// that the signers suffice; [`Publisher`](crate::Publisher) does that
    /// before it writes a root.
    pub fn seal(&self, signers: &[&SecretKey]) -> Vec<u8> {
        signed::seal(Role::Root, &self.to_payload(), signers)
    }
}

/// `snapshot.json`'s payload: every published package version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    #[serde(rename = "type")]
    role: String,
    spec: u32,
    /// Raised by 1 (at least) with every publication; a client refuses a
    /// lower version than the newest it has seen.
    pub version: u64,
    /// After this instant the snapshot is refused (unless offline).
    pub expires: Timestamp,
    /// When this snapshot was signed.
    pub published: Timestamp,
    /// The root version whose keys signed this snapshot.
    pub root_version: u64,
    /// Sorted by kind, name, version; unique.
    pub packages: Vec<PackageEntry>,
}

/// One package version in a snapshot. Its blob lives at
/// `blobs/sha256/<sha256>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageEntry {
    /// `template`, or an artifact type (`skill`, `command`, …).
    pub kind: String,
    /// The package name, unique within its kind.
    pub name: String,
    /// From 1, one more for each new content.
    pub version: u64,
    /// One line.
    pub description: String,
    /// The blob's size in bytes (compressed, as stored).
    pub size: u64,
    /// The size of the package encoding once decompressed.
    pub unpacked_size: u64,
    /// Lowercase hex sha256 of the blob as stored.
    pub sha256: String,
    /// When this version was first published.
    pub published: Timestamp,
    /// Withdrawn: still fetchable by exact version, never chosen as latest.
    pub yanked: bool,
}

impl PackageEntry {
    /// `kind:name@version`.
    pub fn id(&self) -> String {
        format!("{}:{}@{}", self.kind, self.name, self.version)
    }

    /// `blobs/sha256/<hex>`: where the blob lives in the registry.
    pub fn blob_path(&self) -> String {
        format!("blobs/sha256/{}", self.sha256)
    }
}

impl Snapshot {
    /// A snapshot payload; entries are sorted here.
    pub fn new(
        version: u64,
        expires: Timestamp,
        published: Timestamp,
        root_version: u64,
        mut packages: Vec<PackageEntry>,
    ) -> Snapshot {
        packages.sort_by(|a, b| entry_order(a).cmp(&entry_order(b)));
        Snapshot {
            role: String::from("snapshot"),
            spec: SPEC_VERSION,
            version,
            expires,
            published,
            root_version,
            packages,
        }
    }

    /// Parses and checks a snapshot payload.
    pub(crate) fn parse(payload: &str) -> Result<Snapshot, ErrorKind> {
        let snapshot: Snapshot = parse_payload(payload, "snapshot")?;
        check_role_and_spec(&snapshot.role, "snapshot", snapshot.spec)?;
        for pair in snapshot.packages.windows(2) {
            if entry_order(&pair[0]) >= entry_order(&pair[1]) {
                return Err(ErrorKind::Malformed(format!(
                    "packages not sorted and unique at {}",
                    pair[1].id()
                )));
            }
        }
        for entry in &snapshot.packages {
            validate_kind(&entry.kind)?;
            validate_name(&entry.name)?;
            if entry.version == 0 {
                return Err(ErrorKind::Malformed(format!("{}: version 0", entry.id())));
            }
            let hex_ok = entry.sha256.len() == 64
                && entry
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !hex_ok {
                return Err(ErrorKind::Malformed(format!(
                    "{}: sha256 is not 64 lowercase hex digits",
                    entry.id()
                )));
            }
        }
        Ok(snapshot)
    }

    pub(crate) fn to_payload(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The signed file (`snapshot.json`): this payload in an envelope signed
    /// by every key of `signers`.
    pub fn seal(&self, signers: &[&SecretKey]) -> Vec<u8> {
        signed::seal(Role::Snapshot, &self.to_payload(), signers)
    }

    /// The entry for exactly `kind:name@version`.
    pub fn find(&self, kind: &str, name: &str, version: u64) -> Option<&PackageEntry> {
        self.packages
            .binary_search_by(|e| entry_order(e).cmp(&(kind, name, version)))
            .ok()
            .map(|i| &self.packages[i])
    }

    /// The highest version of `kind:name` that is not yanked.
    ///
    /// Entries are sorted by kind, name and version (checked when a
    /// snapshot is parsed), so a package's versions are one run, newest
    /// last: two binary searches find it, rather than a scan of every entry
    /// — `outdated` asks this once per installed package.
    pub fn latest(&self, kind: &str, name: &str) -> Option<&PackageEntry> {
        let key = (kind, name);
        let start = self
            .packages
            .partition_point(|e| (e.kind.as_str(), e.name.as_str()) < key);
        let run =
            self.packages[start..].partition_point(|e| (e.kind.as_str(), e.name.as_str()) == key);
        self.packages[start..start + run]
            .iter()
            .rev()
            .find(|e| !e.yanked)
    }
}

fn entry_order(entry: &PackageEntry) -> (&str, &str, u64) {
    (&entry.kind, &entry.name, entry.version)
}

fn parse_payload<T: serde::de::DeserializeOwned>(
    payload: &str,
    expected: &'static str,
) -> Result<T, ErrorKind> {
    // Read the role first so a root offered as a snapshot says so, rather
    // than failing on some field.
    #[derive(Deserialize)]
    struct RoleOnly {
        #[serde(rename = "type")]
        role: String,
    }
    let role: RoleOnly =
        serde_json::from_str(payload).map_err(|e| ErrorKind::Malformed(e.to_string()))?;
    if role.role != expected {
        return Err(ErrorKind::WrongRole {
            expected,
            found: role.role.chars().take(40).collect(),
        });
    }
    serde_json::from_str(payload).map_err(|e| ErrorKind::Malformed(e.to_string()))
}

fn check_role_and_spec(role: &str, expected: &'static str, spec: u32) -> Result<(), ErrorKind> {
    if role != expected {
        return Err(ErrorKind::WrongRole {
            expected,
            found: role.chars().take(40).collect(),
        });
    }
    if spec != SPEC_VERSION {
        return Err(ErrorKind::UnsupportedSpec(spec));
    }
    Ok(())
}

/// `ErrorKind` is not `Clone` (it holds `io::Error`); key parse errors never
/// do, so this rebuilds them.
fn clone_kind(kind: &ErrorKind) -> ErrorKind {
    match kind {
        ErrorKind::BadKey { key, reason } => ErrorKind::BadKey {
            key: key.clone(),
            reason: reason.clone(),
        },
        other => ErrorKind::Malformed(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(kind: &str, name: &str, version: u64, yanked: bool) -> PackageEntry {
        PackageEntry {
            kind: kind.to_owned(),
            name: name.to_owned(),
            version,
            description: String::new(),
            size: 1,
            unpacked_size: 1,
            sha256: "0".repeat(64),
            published: Timestamp::UNIX_EPOCH,
            yanked,
        }
    }

    proptest! {
        /// `latest` (two binary searches) agrees with a scan of every entry.
        #[test]
        fn latest_agrees_with_a_scan_of_every_entry(
            raw in proptest::collection::btree_map((0u8..3, 0u8..4, 1u64..6), any::<bool>(), 0..40),
        ) {
            const KINDS: [&str; 3] = ["command", "skill", "template"];
            const NAMES: [&str; 4] = ["a", "b", "bb", "c"];
            let packages = raw
                .iter()
                .map(|(&(k, n, v), &y)| entry(KINDS[k as usize], NAMES[n as usize], v, y))
                .collect();
            let snapshot = Snapshot::new(1, Timestamp::UNIX_EPOCH, Timestamp::UNIX_EPOCH, 1, packages);
            for kind in KINDS {
                for name in NAMES.iter().copied().chain(["", "zz"]) {
                    let scan = snapshot
                        .packages
                        .iter()
                        .filter(|e| e.kind == kind && e.name == name && !e.yanked)
                        .max_by_key(|e| e.version);
                    prop_assert_eq!(snapshot.latest(kind, name), scan);
                }
            }
        }
    }
}

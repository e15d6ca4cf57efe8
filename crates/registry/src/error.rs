//! The crate's one error type: what went wrong, in which registry and file.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in this crate.
///
/// Each variant names *where* (the registry and the file in it, or the key
/// file) and carries a [`ErrorKind`] that says *what*, so callers can match on
/// the kind and users read one sentence that names both.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading, verifying or publishing a registry failed.
    #[error("registry `{registry}`, {file}: {kind}")]
    Registry {
        /// The registry's name (as the client knows it) or its location.
        registry: String,
        /// The file in the registry (`root.json`, `snapshot.json`,
        /// `blobs/sha256/…`) or the package concerned.
        file: String,
        /// What failed.
        kind: ErrorKind,
    },
    /// A key file could not be created, read or parsed.
    #[error("key file {}: {kind}", path.display())]
    Key {
        /// The key file.
        path: PathBuf,
        /// What failed.
        kind: ErrorKind,
    },
    /// The blob cache could not be created or written.
    #[error("cache {}: {kind}", path.display())]
    Cache {
        /// The cache directory or entry.
        path: PathBuf,
        /// What failed.
        kind: ErrorKind,
    },
    /// A value built by the caller (a package, a key list, a name) breaks the
    /// format's rules.
    #[error("invalid {what}: {kind}")]
    Invalid {
        /// What was being built (`package name`, `package file`, …).
        what: String,
        /// What is wrong with it.
        kind: ErrorKind,
    },
}

impl Error {
    /// What failed, whatever the context.
    pub fn kind(&self) -> &ErrorKind {
        match self {
            Error::Registry { kind, .. }
            | Error::Key { kind, .. }
            | Error::Cache { kind, .. }
            | Error::Invalid { kind, .. } => kind,
        }
    }

    pub(crate) fn registry(registry: &str, file: &str, kind: ErrorKind) -> Error {
        Error::Registry {
            registry: registry.to_owned(),
            file: file.to_owned(),
            kind,
        }
    }

    pub(crate) fn invalid(what: impl Into<String>, kind: ErrorKind) -> Error {
        Error::Invalid {
            what: what.into(),
            kind,
        }
    }
}

/// What failed. Every verification rule of `docs/registry.md` has its own
/// variant, so a test can check that the rule — and not some other — fired.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An I/O error while reading or writing.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The file does not exist.
    #[error("not found")]
    NotFound,
    /// The location is not one this build can read.
    #[error(
        "unsupported location `{0}` (registries are read from a directory, a file:// URL, or an http:// or https:// URL)"
    )]
    UnsupportedLocation(String),
    /// The server answered with a status that is an error: a 4xx (never
    /// retried), or a 429/5xx on every one of `attempts` tries.
    #[error("HTTP status {status} (after {attempts} attempt(s))")]
    HttpStatus {
        /// The last status.
        status: u16,
        /// Requests made.
        attempts: u32,
    },
    /// The network failed: connection refused or reset, timeout, a response
    /// cut off midway — on every one of `attempts` tries when transient.
    #[error("network error after {attempts} attempt(s): {reason}")]
    Network {
        /// The last failure.
        reason: String,
        /// Requests made.
        attempts: u32,
    },
    /// More bytes than the limit allows; reading stopped at the limit.
    #[error("larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit that was exceeded.
        limit: u64,
    },
    /// Not valid JSON of the expected shape, or not a valid package encoding.
    #[error("malformed: {0}")]
    Malformed(String),
    /// A metadata file of another role (a root where a snapshot belongs).
    #[error("expected {expected} metadata, found `{found}`")]
    WrongRole {
        /// The role the file must have.
        expected: &'static str,
        /// The role it claims.
        found: String,
    },
    /// A format version this build does not know.
    #[error("unsupported format version {0} (this build reads version 1)")]
    UnsupportedSpec(u32),
    /// A signature by a trusted key that does not verify over these bytes.
    #[error(
        "the signature by {key} does not verify (tampered bytes or a signature over other bytes)"
    )]
    BadSignature {
        /// The key whose signature failed.
        key: String,
    },
    /// A signature by a key that is not trusted for this file.
    #[error("signed by {key}, which is not a trusted key for this file")]
    UnknownKey {
        /// The untrusted key.
        key: String,
    },
    /// Fewer valid signatures than the threshold.
    #[error("{valid} valid signature(s) by {role} keys, {threshold} required")]
    BelowThreshold {
        /// Which key set (`root version 3`, `pinned keys`).
        role: String,
        /// Distinct trusted keys whose signatures verified.
        valid: usize,
        /// How many are required.
        threshold: u32,
    },
    /// A key list or threshold that cannot be satisfied or is ambiguous.
    #[error("bad key set: {0}")]
    BadKeySet(String),
    /// A key that is not `ed25519:<base64 of 32 bytes>`.
    #[error("bad key `{key}`: {reason}")]
    BadKey {
        /// The text that failed to parse (a public key; never a secret).
        key: String,
        /// Why.
        reason: String,
    },
    /// Metadata whose expiry has passed: a mirror may be freezing updates.
    #[error(
        "expired at {expires} (now {now}); a mirror may be freezing updates — refresh the registry, or use --offline to work from cached data"
    )]
    Expired {
        /// When it expired.
        expires: String,
        /// The time it was checked against.
        now: String,
    },
    /// Metadata older than what the client has already seen.
    #[error("version {found} is older than version {seen} already seen (rollback)")]
    Rollback {
        /// The newest version the client has seen.
        seen: u64,
        /// The version offered.
        found: u64,
    },
    /// The same snapshot version with different content: the signing keys
    /// produced two histories.
    #[error("version {version} differs from the version {version} already seen (forked history)")]
    Fork {
        /// The version.
        version: u64,
    },
    /// A root that is not the next in the chain.
    #[error("root version {found} found where version {expected} was expected")]
    RootVersion {
        /// The version the chain requires.
        expected: u64,
        /// The version the file claims.
        found: u64,
    },
    /// The snapshot names a root version the client could not reach.
    #[error(
        "the snapshot is signed for root version {snapshot}, but the newest root reachable is version {root}"
    )]
    RootOutOfStep {
        /// `root_version` in the snapshot.
        snapshot: u64,
        /// The newest verified root.
        root: u64,
    },
    /// More root rotations in one update than the limit.
    #[error("more than {0} root rotations in one update")]
    TooManyRotations(u64),
    /// The root's digest differs from the pinned digest.
    #[error("sha256 {found} differs from the pinned sha256 {expected}")]
    PinMismatch {
        /// The pinned digest.
        expected: String,
        /// The digest of what was fetched.
        found: String,
    },
    /// A blob whose size differs from the snapshot's.
    #[error("{found} bytes where the snapshot says {expected} (truncated, padded or swapped)")]
    SizeMismatch {
        /// The size the snapshot promises.
        expected: u64,
        /// The size found (or, when reading stopped at the limit, the limit + 1).
        found: u64,
    },
    /// A blob whose sha256 differs from the snapshot's.
    #[error("sha256 {found} where the snapshot says {expected} (tampered or swapped)")]
    DigestMismatch {
        /// The digest the snapshot promises.
        expected: String,
        /// The digest of the bytes read.
        found: String,
    },
    /// A package whose own header names another package than the snapshot
    /// entry it was fetched for.
    #[error("the package inside is `{found}`, not `{expected}` (mix-and-match)")]
    PackageMismatch {
        /// `kind:name` from the snapshot.
        expected: String,
        /// `kind:name` from the package.
        found: String,
    },
    /// No such package (version) in the snapshot.
    #[error("no package `{0}` in the snapshot")]
    NoSuchPackage(String),
    /// A package file path that could escape or confuse the target tree.
    #[error("unsafe path {path:?}: {reason}")]
    UnsafePath {
        /// The path as given.
        path: String,
        /// Why it is refused.
        reason: String,
    },
    /// A file mode other than a plain (0644) or executable (0755) file; in
    /// particular symbolic links and device files are refused.
    #[error(
        "file {path:?} has mode {mode:o}; only 644 (plain) and 755 (executable) regular files are allowed"
    )]
    UnsafeMode {
        /// The file.
        path: String,
        /// Its mode.
        mode: u32,
    },
    /// A name (package, kind, tag) outside the format's rules.
    #[error("bad name {name:?}: {reason}")]
    BadName {
        /// The name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// A secret key file readable by other users.
    #[error("readable by other users (mode {mode:o}); run `chmod 600` on it")]
    KeyFilePermissions {
        /// The file's permission bits.
        mode: u32,
    },
    /// The key file exists already and is never overwritten.
    #[error("already exists; a key file is never overwritten")]
    KeyFileExists,
    /// None of the signing keys is trusted by the registry's root.
    #[error("key {key} is not one of the root's keys")]
    NotASigner {
        /// The key offered for signing.
        key: String,
    },
    /// An existing blob does not hold the bytes its name promises.
    #[error("existing blob does not match its name; the registry directory is damaged")]
    DamagedBlob,
}

//! stencil-registry defines a registry of stencil packages — templates and
//! artifacts — that any static web server, CDN or plain directory can host,
//! and the rules a client applies before it trusts anything read from one.
//!
//! The trust model is TUF's, simplified (`docs/registry.md` is the full
//! specification):
//!
//! * `root.json` lists the ed25519 keys trusted to sign and a threshold
//!   (k of n), with a version and an expiry, signed by a threshold of its own
//!   keys. Root version N+1 must be signed by a threshold of version N's keys
//!   and of its own; a client pins a root and walks forward.
//! * `snapshot.json` lists every package version — kind, name, version, size,
//!   sha256, publication time, yanked — with a monotonically increasing
//!   version and an expiry. One signature check covers every package.
//! * `blobs/sha256/<hex>` hold the packages, immutable and content-addressed.
//!
//! A client refuses metadata that is unsigned or signed below threshold,
//! older than what it has seen (rollback), or expired (freeze); and a blob
//! whose size or sha256 differs from the snapshot (mix-and-match, tampering).
//! Every read is capped. Package paths obey `stencil-deploy`'s
//! [`RelPath`](stencil_deploy::RelPath) rules.
//!
//! # Example
//!
//! Publish a package into a directory, then read it back as a client would.
//!
//! ```
//! use jiff::Timestamp;
//! use stencil_registry::{DirSource, Limits, Package, PackageFile, Publisher, Registry, SecretKey, TrustAnchor};
//!
//! let dir = tempfile::tempdir()?;
//! let key = SecretKey::generate()?;
//! let public = key.public();
//! let now = Timestamp::now();
//!
//! let mut publisher = Publisher::open_or_create(dir.path(), vec![key], now)?;
//! let package = Package::new("command", "review")?
//!     .description("review a change")
//!     .file(PackageFile::new(".claude/commands/review.md", "Review {{PROJECT_NAME}}.\n")?)?;
//! let report = publisher.publish(&[package.clone()], now)?;
//! assert_eq!(report.published[0].version, 1);
//! // The same content again is a no-op.
//! assert!(publisher.publish(&[package], now)?.snapshot_version.is_none());
//!
//! let source = DirSource::new(dir.path());
//! let anchor = TrustAnchor::Keys { keys: vec![public], threshold: 1 };
//! let registry = Registry::bootstrap("team", &source, &anchor, &Limits::DEFAULT, now)?;
//! let fetched = registry.fetch(&source, "command", "review", None)?;
//! assert_eq!(fetched.version(), 1);
//! assert_eq!(fetched.files()[0].bytes(), b"Review {{PROJECT_NAME}}.\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//!
//! None. The transport is a [`Source`]: this crate ships [`DirSource`] for
//! directories and `file://` URLs, [`HttpSource`] for `http://` and
//! `https://` (pooled keep-alive connections, timeouts, bounded retries of
//! transient failures, `ETag`/`Last-Modified` revalidation), and
//! [`MemorySource`].

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod cache;
mod client;
mod error;
mod http;
mod keys;
mod limits;
mod metadata;
mod names;
mod package;
mod parallel;
mod publish;
mod signed;
mod source;

pub use crate::cache::{BlobCache, CacheConfig, CacheStats, DiskUsage, Pruned, TierStats};
pub use crate::client::{
    Freshness, ROOT_FILE, Registry, Revalidation, SNAPSHOT_FILE, Staleness, TrustAnchor,
    TrustState, sha256_hex, versioned_root_file,
};
pub use crate::error::{Error, ErrorKind};
pub use crate::http::{HttpConfig, HttpSource, RetryPolicy};
pub use crate::keys::{PublicKey, SecretKey};
pub use crate::limits::Limits;
pub use crate::metadata::{PackageEntry, Root, SPEC_VERSION, Snapshot};
pub use crate::names::{MAX_KIND_BYTES, MAX_NAME_BYTES};
pub use crate::package::{MODE_EXECUTABLE, MODE_PLAIN, PACKAGE_FORMAT, Package, PackageFile};
pub use crate::parallel::DEFAULT_CONCURRENCY;
pub use crate::publish::{DEFAULT_ROOT_TTL, DEFAULT_SNAPSHOT_TTL, PublishReport, Publisher};
pub use crate::source::{DirSource, MemorySource, Revalidated, Source, Validators, open_location};

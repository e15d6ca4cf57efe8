//! A registry in a temporary directory, its keys, and a client view of it.

#![allow(dead_code)]

pub mod server;

use std::fs;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use stencil_registry::{
    DirSource, Error, ErrorKind, Limits, Package, PackageFile, Publisher, Registry, SecretKey,
    TrustAnchor, TrustState,
};

pub fn key(seed: u8) -> SecretKey {
    SecretKey::from_seed([seed; 32])
}

/// A fixed "now" so expiry tests are exact.
pub fn t0() -> Timestamp {
    "2026-06-01T12:00:00Z".parse().unwrap()
}

pub fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

pub fn command(name: &str, body: &str) -> Package {
    Package::new("command", name)
        .unwrap()
        .description(format!("the {name} command"))
        .file(PackageFile::new(&format!(".claude/commands/{name}.md"), body).unwrap())
        .unwrap()
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub publisher: Publisher,
}

impl Fixture {
    /// A registry with one key (seed 1) and two packages published.
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let mut publisher = Publisher::open_or_create(dir.path(), vec![key(1)], t0()).unwrap();
        publisher
            .publish(
                &[command("review", "Review.\n"), command("ship", "Ship.\n")],
                t0(),
            )
            .unwrap();
        Fixture { dir, publisher }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn source(&self) -> DirSource {
        DirSource::new(self.dir.path())
    }

    pub fn anchor(&self) -> TrustAnchor {
        TrustAnchor::Keys {
            keys: vec![key(1).public()],
            threshold: 1,
        }
    }

    pub fn bootstrap(&self) -> Result<Registry, Error> {
        Registry::bootstrap(
            "team",
            &self.source(),
            &self.anchor(),
            &Limits::DEFAULT,
            t0(),
        )
    }

    pub fn update(&self, state: &TrustState) -> Result<Registry, Error> {
        Registry::update("team", &self.source(), state, &Limits::DEFAULT, t0())
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        fs::read(self.file(name)).unwrap()
    }

    pub fn write(&self, name: &str, bytes: &[u8]) {
        let path = self.file(name);
        // Published files are replaced by rename, never edited in place;
        // an attacker here edits them in place.
        fs::write(path, bytes).unwrap();
    }

    pub fn blob_of(&self, registry: &Registry, name: &str) -> String {
        registry
            .snapshot()
            .latest("command", name)
            .unwrap()
            .blob_path()
    }
}

/// Asserts that `result` failed with a kind matching `pred`, and that the
/// message names the registry.
#[track_caller]
pub fn expect_kind<T: std::fmt::Debug>(
    result: Result<T, Error>,
    pred: impl FnOnce(&ErrorKind) -> bool,
) -> Error {
    let err = result.expect_err("expected a verification failure");
    assert!(pred(err.kind()), "wrong failure: {err}");
    assert!(
        err.to_string().contains("registry `"),
        "message names no registry: {err}"
    );
    err
}

//! Where a registry's files come from: a directory, read directly, or a
//! web server ([`HttpSource`](crate::HttpSource)).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ErrorKind;
use crate::http::{HttpConfig, HttpSource};

/// A registry location that can hand out its files, each read with a cap.
pub trait Source: Send + Sync {
    /// The location as the user gave it, for messages.
    fn location(&self) -> &str;

    /// Reads the file at `path` (relative, `/`-separated, e.g.
    /// `blobs/sha256/…`), stopping after `limit + 1` bytes: `Ok(None)` when
    /// it does not exist, [`ErrorKind::TooLarge`] when it is longer than
    /// `limit`.
    fn fetch(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, ErrorKind>;

    /// [`fetch`](Self::fetch), unless the file still matches `known` (the
    /// validators of the copy the caller holds): then
    /// [`Revalidated::NotModified`] without the bytes. A source that cannot
    /// tell (a directory) always reads the file.
    fn fetch_revalidate(
        &self,
        path: &str,
        limit: u64,
        known: &Validators,
    ) -> Result<Revalidated, ErrorKind> {
        let _ = known;
        Ok(match self.fetch(path, limit)? {
            Some(bytes) => Revalidated::Changed {
                bytes,
                validators: Validators::default(),
            },
            None => Revalidated::Missing,
        })
    }
}

/// What a server said identifies one version of a file (`ETag`,
/// `Last-Modified`), sent back to ask whether it changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validators {
    /// The `ETag`, verbatim.
    pub etag: Option<String>,
    /// The `Last-Modified` date, verbatim.
    pub last_modified: Option<String>,
}

impl Validators {
    /// Whether there is anything to revalidate with.
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// The answer to [`Source::fetch_revalidate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revalidated {
    /// The caller's copy is current (HTTP 304).
    NotModified,
    /// The file, and its new validators.
    Changed {
        /// Its bytes, read under the cap.
        bytes: Vec<u8>,
        /// What identifies this version.
        validators: Validators,
    },
    /// No such file.
    Missing,
}

/// A registry directory on a local or mounted file system.
#[derive(Clone, Debug)]
pub struct DirSource {
    location: String,
    root: PathBuf,
}

impl DirSource {
    /// A directory source.
    pub fn new(dir: impl Into<PathBuf>) -> DirSource {
        let root = dir.into();
        DirSource {
            location: root.display().to_string(),
            root,
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.root
    }
}

impl Source for DirSource {
    fn location(&self) -> &str {
        &self.location
    }

    fn fetch(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, ErrorKind> {
        // Paths come from this crate (fixed names and hex digests), never
        // from the network; still refuse anything that could climb out.
        if path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
            || path.contains('\\')
        {
            return Err(ErrorKind::UnsafePath {
                path: path.to_owned(),
                reason: String::from("not a registry file name"),
            });
        }
        let file = match fs::File::open(self.root.join(path)) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(ErrorKind::Io(e)),
        };
        read_capped(file, limit).map(Some)
    }
}

/// A registry held in memory, file name → bytes: for tests, fuzzing,
/// benchmarks, and as the shape of what a cache hands out.
#[derive(Clone, Debug, Default)]
pub struct MemorySource {
    files: BTreeMap<String, Vec<u8>>,
}

impl MemorySource {
    /// An empty registry.
    pub fn new() -> MemorySource {
        MemorySource::default()
    }

    /// Puts (or replaces) the file `path`.
    pub fn insert(&mut self, path: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), bytes.into());
    }

    /// The file `path`, if present.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }
}

impl Source for MemorySource {
    fn location(&self) -> &str {
        "memory"
    }

    fn fetch(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, ErrorKind> {
        match self.files.get(path) {
            Some(bytes) if bytes.len() as u64 > limit => Err(ErrorKind::TooLarge { limit }),
            Some(bytes) => Ok(Some(bytes.clone())),
            None => Ok(None),
        }
    }
}

/// Reads at most `limit + 1` bytes; more than `limit` is an error.
pub(crate) fn read_capped(reader: impl Read, limit: u64) -> Result<Vec<u8>, ErrorKind> {
    let mut out = Vec::new();
    reader.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(ErrorKind::TooLarge { limit });
    }
    Ok(out)
}

/// Opens a registry location: an `http://` or `https://` URL (with
/// [`HttpConfig::default`]), a `file://` URL or a path.
pub fn open_location(location: &str) -> Result<Box<dyn Source>, ErrorKind> {
    if location.starts_with("http://") || location.starts_with("https://") {
        return Ok(Box::new(HttpSource::new(location, &HttpConfig::default())?));
    }
    if let Some(rest) = location.strip_prefix("file://") {
        // file:///abs/path (empty host) or file://localhost/abs/path.
        let path = rest.strip_prefix("localhost").unwrap_or(rest);
        if !path.starts_with('/') {
            return Err(ErrorKind::UnsupportedLocation(location.to_owned()));
        }
        let mut source = DirSource::new(drive_path(path));
        source.location = location.to_owned();
        return Ok(Box::new(source));
    }
    if location.contains("://") {
        return Err(ErrorKind::UnsupportedLocation(location.to_owned()));
    }
    let mut source = DirSource::new(location);
    source.location = location.to_owned();
    Ok(Box::new(source))
}

/// The path of a `file://` URL as the platform spells it: on Windows
/// `file:///C:/dir` names `C:/dir`, so the slash before the drive goes.
fn drive_path(path: &str) -> &str {
    let b = path.as_bytes();
    if cfg!(windows) && b.len() >= 3 && b[0] == b'/' && b[1].is_ascii_alphabetic() && b[2] == b':' {
        &path[1..]
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_past_the_limit() {
        let data = [1u8; 100];
        assert_eq!(read_capped(&data[..], 100).unwrap().len(), 100);
        assert!(matches!(
            read_capped(&data[..], 99),
            Err(ErrorKind::TooLarge { limit: 99 })
        ));
        // An endless reader is cut off, not drained.
        let endless = io::repeat(0);
        assert!(matches!(
            read_capped(endless, 1 << 20),
            Err(ErrorKind::TooLarge { .. })
        ));
    }

    #[test]
    fn locations() {
        assert!(open_location("file:///srv/registry").is_ok());
        assert!(open_location("/srv/registry").is_ok());
        assert!(open_location("file://host/x").is_err());
        assert!(open_location("ftp://x").is_err());
        assert_eq!(
            open_location("https://r.example/team").unwrap().location(),
            "https://r.example/team"
        );
        let dir = tempfile::tempdir().unwrap();
        let source = DirSource::new(dir.path());
        assert!(source.fetch("root.json", 10).unwrap().is_none());
        assert!(source.fetch("../etc/passwd", 10).is_err());
    }
}

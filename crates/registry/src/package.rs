//! A package: files with paths, modes and bytes, plus metadata; its encoding
//! and its compression.
//!
//! Encoding (`stencil-package/1`, see `docs/registry.md`): one line of JSON
//! (the header: kind, name, description, tags and the file list with each
//! file's path, mode and size), a `\n`, then every file's bytes concatenated
//! in header order. The blob stored in a registry is that encoding,
//! compressed with zstd. The version is not inside: the snapshot binds
//! `kind:name@version` to the blob's sha256, so identical content shares a
//! blob and the version cannot disagree with the snapshot.

use std::collections::BTreeSet;
use std::io::Read;

use serde::{Deserialize, Serialize};
use stencil_deploy::RelPath;

use crate::error::{Error, ErrorKind};
use crate::limits::Limits;
use crate::names::{validate_kind, validate_name};

/// The encoding's format string, first field of the header.
pub const PACKAGE_FORMAT: &str = "stencil-package/1";
/// Mode of a plain file.
pub const MODE_PLAIN: u32 = 0o644;
/// Mode of an executable file.
pub const MODE_EXECUTABLE: u32 = 0o755;
/// The longest header line read before giving up.
const MAX_HEADER_BYTES: usize = 16 << 20;
/// zstd level: on the sample trees level 19 is 2–3 % smaller than level 3
/// and costs ~0.4 ms more per package, paid once at publication;
/// decompression speed hardly depends on the level (`benches/registry.rs`,
/// figures in docs/performance.md).
const ZSTD_LEVEL: i32 = 19;

/// One file of a package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageFile {
    path: RelPath,
    mode: u32,
    verbatim: bool,
    bytes: Vec<u8>,
}

impl PackageFile {
    /// A file; `path` must satisfy [`RelPath`]'s rules in normal form, and
    /// contain no control character.
    pub fn new(path: &str, bytes: impl Into<Vec<u8>>) -> Result<PackageFile, Error> {
        Ok(PackageFile {
            path: safe_path(path).map_err(|k| Error::invalid("package file", k))?,
            mode: MODE_PLAIN,
            verbatim: false,
            bytes: bytes.into(),
        })
    }

    /// Mark executable (mode 0755) or not (0644).
    pub fn executable(mut self, yes: bool) -> PackageFile {
        self.mode = if yes { MODE_EXECUTABLE } else { MODE_PLAIN };
        self
    }

    /// Mark verbatim: deployed byte for byte, never rendered.
    pub fn verbatim(mut self, yes: bool) -> PackageFile {
        self.verbatim = yes;
        self
    }

    /// The validated path.
    pub fn path(&self) -> &RelPath {
        &self.path
    }

    /// 0644 or 0755.
    pub fn mode(&self) -> u32 {
        self.mode
    }

    /// Mode 0755.
    pub fn is_executable(&self) -> bool {
        self.mode == MODE_EXECUTABLE
    }

    /// Deployed without rendering.
    pub fn is_verbatim(&self) -> bool {
        self.verbatim
    }

    /// The content.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// A package: metadata and files. Build one with [`Package::new`] and
/// [`Package::file`]; a package read from a registry has passed every rule
/// of [`Package::decode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    kind: String,
    name: String,
    version: u64,
    description: String,
    tags: Vec<String>,
    files: Vec<PackageFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    kind: String,
    name: String,
    description: String,
    tags: Vec<String>,
    files: Vec<FileHeader>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileHeader {
    path: String,
    mode: u32,
    size: u64,
    verbatim: bool,
}

impl Package {
    /// An empty package of `kind` (`template`, `skill`, …) named `name`.
    pub fn new(kind: &str, name: &str) -> Result<Package, Error> {
        validate_kind(kind).map_err(|k| Error::invalid("package kind", k))?;
        validate_name(name).map_err(|k| Error::invalid("package name", k))?;
        Ok(Package {
            kind: kind.to_owned(),
            name: name.to_owned(),
            version: 0,
            description: String::new(),
            tags: Vec::new(),
            files: Vec::new(),
        })
    }

    /// Sets the one-line description.
    pub fn description(mut self, text: impl Into<String>) -> Package {
        self.description = text.into();
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, tag: &str) -> Result<Package, Error> {
        validate_name(tag).map_err(|k| Error::invalid("package tag", k))?;
        self.tags.push(tag.to_owned());
        Ok(self)
    }

    /// Adds a file; a path already present (also after case folding, since
    /// the package may land on a case-insensitive file system) is an error.
    pub fn file(mut self, file: PackageFile) -> Result<Package, Error> {
        self.files.push(file);
        check_tree(&self.files).map_err(|k| Error::invalid("package file", k))?;
        Ok(self)
    }

    /// `template` or an artifact type.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version the snapshot gave it (0 for a package not read from a
    /// registry).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The description.
    pub fn description_text(&self) -> &str {
        &self.description
    }

    /// The tags.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// The files, in the order added.
    pub fn files(&self) -> &[PackageFile] {
        &self.files
    }

    /// The files with mode 0755: what an install must ask about, because
    /// these are programs.
    pub fn executables(&self) -> impl Iterator<Item = &PackageFile> {
        self.files.iter().filter(|f| f.is_executable())
    }

    /// `kind:name`.
    pub fn id(&self) -> String {
        format!("{}:{}", self.kind, self.name)
    }

    pub(crate) fn with_version(mut self, version: u64) -> Package {
        self.version = version;
        self
    }

    /// The `stencil-package/1` encoding (uncompressed).
    pub fn encode(&self) -> Vec<u8> {
        let header = Header {
            format: PACKAGE_FORMAT.to_owned(),
            kind: self.kind.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            tags: self.tags.clone(),
            files: self
                .files
                .iter()
                .map(|f| FileHeader {
                    path: f.path.as_str().to_owned(),
                    mode: f.mode,
                    size: f.bytes.len() as u64,
                    verbatim: f.verbatim,
                })
                .collect(),
        };
        // serde_json escapes every control character, so the header line
        // never contains a raw `\n`.
        let mut out = serde_json::to_vec(&header).unwrap_or_default();
        out.push(b'\n');
        for file in &self.files {
            out.extend_from_slice(&file.bytes);
        }
        out
    }

    /// Parses a `stencil-package/1` encoding, applying every package rule:
    /// known format, valid kind, name and tags, at most `limits.max_files`
    /// files, each path safe ([`RelPath`]'s rules, in normal form, no
    /// control character), unique ignoring case and not both a file and a
    /// directory, each mode 0644 or 0755 (no links, no devices), and sizes
    /// that add up to exactly the bytes present.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Package, ErrorKind> {
        let search = &bytes[..bytes.len().min(MAX_HEADER_BYTES)];
        let end = memchr_newline(search).ok_or_else(|| {
            ErrorKind::Malformed(String::from("no header line (or a header over 16 MiB)"))
        })?;
        let header: Header = serde_json::from_slice(&bytes[..end])
            .map_err(|e| ErrorKind::Malformed(format!("package header: {e}")))?;
        if header.format != PACKAGE_FORMAT {
            return Err(ErrorKind::Malformed(format!(
                "package format {:?}, expected {PACKAGE_FORMAT:?}",
                header.format.chars().take(40).collect::<String>()
            )));
        }
        validate_kind(&header.kind)?;
        validate_name(&header.name)?;
        for tag in &header.tags {
            validate_name(tag)?;
        }
        if header.files.len() > limits.max_files {
            return Err(ErrorKind::Malformed(format!(
                "{} files, more than the limit of {}",
                header.files.len(),
                limits.max_files
            )));
        }
        let mut body = &bytes[end + 1..];
        let mut files = Vec::with_capacity(header.files.len());
        for entry in header.files {
            let path = safe_path(&entry.path)?;
            if entry.mode != MODE_PLAIN && entry.mode != MODE_EXECUTABLE {
                return Err(ErrorKind::UnsafeMode {
                    path: entry.path,
                    mode: entry.mode,
                });
            }
            let size = usize::try_from(entry.size)
                .ok()
                .filter(|&s| s <= body.len())
                .ok_or_else(|| {
                    ErrorKind::Malformed(format!(
                        "file {:?} claims {} bytes, only {} remain",
                        entry.path,
                        entry.size,
                        body.len()
                    ))
                })?;
            let (content, rest) = body.split_at(size);
            body = rest;
            files.push(PackageFile {
                path,
                mode: entry.mode,
                verbatim: entry.verbatim,
                bytes: content.to_vec(),
            });
        }
        if !body.is_empty() {
            return Err(ErrorKind::Malformed(format!(
                "{} bytes after the last file",
                body.len()
            )));
        }
        check_tree(&files)?;
        Ok(Package {
            kind: header.kind,
            name: header.name,
            version: 0,
            description: header.description,
            tags: header.tags,
            files,
        })
    }
}

/// Compresses an encoding for storage as a blob.
pub(crate) fn compress(encoding: &[u8]) -> Result<Vec<u8>, ErrorKind> {
    zstd::bulk::compress(encoding, ZSTD_LEVEL).map_err(ErrorKind::Io)
}

/// Decompresses a blob, reading at most `expected + 1` bytes: the output
/// must be exactly `expected` bytes (the snapshot's `unpacked_size`), so a
/// decompression bomb stops one byte past the signed size.
pub(crate) fn decompress(
    blob: &[u8],
    expected: u64,
    limits: &Limits,
) -> Result<Vec<u8>, ErrorKind> {
    if expected > limits.max_unpacked_bytes {
        return Err(ErrorKind::TooLarge {
            limit: limits.max_unpacked_bytes,
        });
    }
    let decoder = zstd::stream::read::Decoder::new(blob).map_err(ErrorKind::Io)?;
    let mut out = Vec::with_capacity(usize::try_from(expected).unwrap_or(0).min(1 << 24));
    decoder
        .take(expected + 1)
        .read_to_end(&mut out)
        .map_err(|e| ErrorKind::Malformed(format!("not a zstd stream: {e}")))?;
    if out.len() as u64 != expected {
        return Err(ErrorKind::SizeMismatch {
            expected,
            found: out.len() as u64,
        });
    }
    Ok(out)
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// `RelPath`'s rules (the one copy, in `stencil-deploy`), plus two that a
/// path from a stranger needs: it must already be in normal form (so the
/// signed bytes are the path used) and hold no control character (which
/// could rewrite a terminal showing the install report).
fn safe_path(path: &str) -> Result<RelPath, ErrorKind> {
    let unsafe_path = |reason: String| ErrorKind::UnsafePath {
        path: path.chars().take(200).collect(),
        reason,
    };
    let rel = RelPath::new(path).map_err(|e| unsafe_path(e.to_string()))?;
    if path.chars().any(char::is_control) {
        return Err(unsafe_path(String::from("it contains a control character")));
    }
    if rel.as_str() != path {
        return Err(unsafe_path(format!(
            "not in normal form (that is {:?})",
            rel.as_str()
        )));
    }
    Ok(rel)
}

/// Paths unique ignoring case, and no path both a file and a directory.
fn check_tree(files: &[PackageFile]) -> Result<(), ErrorKind> {
    let mut folded: BTreeSet<String> = BTreeSet::new();
    for file in files {
        if !folded.insert(file.path.as_str().to_lowercase()) {
            return Err(ErrorKind::UnsafePath {
                path: file.path.as_str().to_owned(),
                reason: String::from("listed twice (ignoring case)"),
            });
        }
    }
    let mut previous: Option<&String> = None;
    for path in &folded {
        if let Some(prev) = previous
            && path.len() > prev.len()
            && path.starts_with(prev.as_str())
            && path.as_bytes()[prev.len()] == b'/'
        {
            return Err(ErrorKind::UnsafePath {
                path: path.clone(),
                reason: format!("{prev:?} is a file, so it cannot be a directory"),
            });
        }
        previous = Some(path);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Package {
        Package::new("skill", "pdf")
            .unwrap()
            .description("reads PDFs")
            .tag("docs")
            .unwrap()
            .file(PackageFile::new(".claude/skills/pdf/SKILL.md", "# PDF\n").unwrap())
            .unwrap()
            .file(
                PackageFile::new(".claude/skills/pdf/run.sh", "#!/bin/sh\n")
                    .unwrap()
                    .executable(true),
            )
            .unwrap()
    }

    #[test]
    fn encoding_round_trips() {
        let package = sample();
        let decoded = Package::decode(&package.encode(), &Limits::DEFAULT).unwrap();
        assert_eq!(decoded, package);
        assert_eq!(decoded.executables().count(), 1);
    }

    #[test]
    fn compression_round_trips_and_caps_output() {
        let encoding = sample().encode();
        let blob = compress(&encoding).unwrap();
        let len = encoding.len() as u64;
        assert_eq!(decompress(&blob, len, &Limits::DEFAULT).unwrap(), encoding);
        let short = decompress(&blob, len - 1, &Limits::DEFAULT).unwrap_err();
        assert!(matches!(short, ErrorKind::SizeMismatch { .. }), "{short}");
    }

    #[test]
    fn a_bomb_stops_at_the_signed_size() {
        // 64 MiB of zeros compress to a few KiB; decompression must stop
        // one byte past what the snapshot promised.
        let zeros = vec![0u8; 64 << 20];
        let blob = zstd::bulk::compress(&zeros, 1).unwrap();
        assert!(blob.len() < 64 << 10);
        let err = decompress(&blob, 1000, &Limits::DEFAULT).unwrap_err();
        assert!(
            matches!(
                err,
                ErrorKind::SizeMismatch {
                    expected: 1000,
                    found: 1001
                }
            ),
            "{err}"
        );
        let limits = Limits {
            max_unpacked_bytes: 1 << 20,
            ..Limits::DEFAULT
        };
        let err = decompress(&blob, 64 << 20, &limits).unwrap_err();
        assert!(matches!(err, ErrorKind::TooLarge { .. }), "{err}");
    }

    #[test]
    fn case_folded_duplicates_and_file_directory_clashes_are_refused() {
        let p = Package::new("skill", "x").unwrap();
        let p = p.file(PackageFile::new("README.md", "a").unwrap()).unwrap();
        assert!(
            p.clone()
                .file(PackageFile::new("readme.md", "b").unwrap())
                .is_err()
        );
        assert!(
            p.file(PackageFile::new("README.md/inner", "b").unwrap())
                .is_err()
        );
    }
}

//! The per-file decision of an update, from three hashes and (for text) a
//! merge — pure, so every row of the table is tested without a disk:
//!
//! | case | action |
//! |---|---|
//! | D = B | write N |
//! | N = B | keep D |
//! | D = N | record only |
//! | D ≠ B ≠ N, text | three-way merge; clean → write it; conflict → per mode |
//! | D deleted by the user | stays deleted (tombstone); `restore` brings it back |
//! | binary, both changed | conflict; never merged |
//!
//! (B = recorded base, D = disk, N = new render.) Files added or removed
//! upstream are decided in [`update`](super::update), which sees the whole
//! set.

use crate::lifecycle::merge::{Merged, merge3};

/// How an update leaves conflicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConflictMode {
    /// Git-style markers in the file, labelled with the template revision (default).
    #[default]
    Markers,
    /// Keep the user's file; write the template's change beside it as `FILE.rej`.
    Rej,
    /// Write nothing at all if any file conflicts.
    Abort,
}

impl std::str::FromStr for ConflictMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "markers" => Ok(ConflictMode::Markers),
            "rej" => Ok(ConflictMode::Rej),
            "abort" => Ok(ConflictMode::Abort),
            other => Err(format!(
                "unknown conflict mode `{other}` (expected markers, rej or abort)"
            )),
        }
    }
}

/// The three versions of one managed file that an update compares.
pub(crate) struct Sides<'a> {
    /// The recorded base, with secrets filled in; `None` for binary files.
    pub base: Option<&'a [u8]>,
    /// sha256 of the recorded base (what the record holds).
    pub base_sha: &'a str,
    /// The file on disk.
    pub disk: &'a [u8],
    /// Its sha256.
    pub disk_sha: &'a str,
    /// The new render.
    pub new: &'a [u8],
    /// Its sha256.
    pub new_sha: &'a str,
    /// Text on all sides (binary files are never merged).
    pub text: bool,
}

/// What to do with one file present in the record, on disk and upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// D = B = N.
    Unchanged,
    /// D = B ≠ N: write N.
    Write,
    /// N = B ≠ D: keep the user's file.
    KeepLocal,
    /// D = N ≠ B: only the record changes.
    RecordOnly,
    /// Merged cleanly: write these bytes.
    Merge(Vec<u8>),
    /// Text conflict: these bytes carry markers, `regions` of them.
    TextConflict {
        /// The file with markers.
        marked: Vec<u8>,
        /// How many regions conflict.
        regions: usize,
    },
    /// Binary (or undecodable) and changed on both sides.
    BinaryConflict,
}

/// Whether [`decide`] will need the base's bytes (only for a merge): the
/// base is read from the store only then.
pub(crate) fn needs_base(base_sha: &str, disk_sha: &str, new_sha: &str) -> bool {
    disk_sha != base_sha && new_sha != base_sha && disk_sha != new_sha
}

pub(crate) fn decide(sides: &Sides<'_>, revision: &str) -> Decision {
    let (disk, new) = (sides.disk_sha, sides.new_sha);
    if disk == sides.base_sha {
        return if new == sides.base_sha {
            Decision::Unchanged
        } else {
            Decision::Write
        };
    }
    if new == sides.base_sha {
        return Decision::KeepLocal;
    }
    if disk == new {
        return Decision::RecordOnly;
    }
    match (sides.text, sides.base) {
        (true, Some(base)) => match merge3(base, sides.disk, sides.new, "project", revision) {
            Merged::Clean(bytes) => Decision::Merge(bytes),
            Merged::Conflict { marked, regions } => Decision::TextConflict { marked, regions },
        },
        _ => Decision::BinaryConflict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::revision::sha256_hex;

    fn run(base: &[u8], disk: &[u8], new: &[u8], text: bool) -> Decision {
        let (base_sha, disk_sha, new_sha) = (sha256_hex(base), sha256_hex(disk), sha256_hex(new));
        decide(
            &Sides {
                base: text.then_some(base),
                base_sha: &base_sha,
                disk,
                disk_sha: &disk_sha,
                new,
                new_sha: &new_sha,
                text,
            },
            "template t",
        )
    }

    #[test]
    fn each_row_of_the_table() {
        assert_eq!(run(b"b\n", b"b\n", b"b\n", true), Decision::Unchanged);
        assert_eq!(run(b"b\n", b"b\n", b"n\n", true), Decision::Write);
        assert_eq!(run(b"b\n", b"d\n", b"b\n", true), Decision::KeepLocal);
        assert_eq!(run(b"b\n", b"n\n", b"n\n", true), Decision::RecordOnly);
        assert_eq!(
            run(b"1\n2\n3\n4\n", b"X\n2\n3\n4\n", b"1\n2\n3\nY\n", true),
            Decision::Merge(b"X\n2\n3\nY\n".to_vec())
        );
        assert!(matches!(
            run(b"1\n", b"mine\n", b"theirs\n", true),
            Decision::TextConflict { regions: 1, .. }
        ));
        assert_eq!(run(b"\0b", b"\0d", b"\0n", false), Decision::BinaryConflict);
    }
}

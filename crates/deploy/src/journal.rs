//! The journal: what an interrupted deploy needs undoing.
//!
//! It is written (to a temporary name, then renamed, so it is never seen
//! half-written) before the first directory is created or file placed, and
//! removed at the commit point. Each staged file is identified by its inode
//! number, so recovery can tell "our file is in place" from "someone else's
//! file is there" without trusting timing.

use crate::path::RelPath;

const MAGIC: &str = "stencil-deploy journal 2";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Journal {
    /// How many directories, from the root upwards, this deploy created.
    pub(crate) root_created: usize,
    /// Directories the deploy will create, parents first.
    pub(crate) dirs: Vec<RelPath>,
    /// Files the deploy will place.
    pub(crate) files: Vec<JournalFile>,
    /// Directories to remove after the commit if the removals left them
    /// empty, deepest first. After the commit point the journal is kept
    /// (renamed) until they are pruned, so recovery finishes the job.
    pub(crate) prune: Vec<RelPath>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JournalFile {
    /// The staging lane directory.
    pub(crate) lane: usize,
    /// The slot in the lane (`<index>`; a fallback backup is `<index>.old`).
    pub(crate) index: usize,
    /// The staged file's inode number; for a removal, the removed file's.
    pub(crate) ino: u64,
    pub(crate) path: RelPath,
    /// A removal: the file at `path` is moved to `<index>.old` in the lane.
    pub(crate) remove: bool,
}

impl Journal {
    pub(crate) fn encode(&self) -> String {
        let files: Vec<FileLine<'_>> = self
            .files
            .iter()
            .map(|f| FileLine {
                lane: f.lane,
                index: f.index,
                ino: f.ino,
                path: &f.path,
                remove: f.remove,
            })
            .collect();
        encode(self.root_created, &self.dirs, &files, &self.prune)
    }

    /// Parse a journal; every path is validated again, so a tampered
    /// journal cannot steer recovery outside the root.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Journal, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "it is not UTF-8".to_owned())?;
        let mut lines = text.lines();
        if lines.next() != Some(MAGIC) {
            return Err("unknown format".to_owned());
        }
        let mut journal = Journal::default();
        let mut ended = false;
        for line in lines {
            if ended {
                return Err("text after its end".to_owned());
            }
            let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
            match word {
                "root-created" => {
                    journal.root_created = rest.parse().map_err(|_| bad(line))?;
                }
                "dir" => journal.dirs.push(path(rest)?),
                "prune" => journal.prune.push(path(rest)?),
                "file" | "remove" => {
                    let mut parts = rest.splitn(4, ' ');
                    let lane = parts.next().and_then(|s| s.parse().ok());
                    let index = parts.next().and_then(|s| s.parse().ok());
                    let ino = parts.next().and_then(|s| s.parse().ok());
                    let p = parts.next().ok_or_else(|| bad(line))?;
                    match (lane, index, ino) {
                        (Some(lane), Some(index), Some(ino)) => journal.files.push(JournalFile {
                            lane,
                            index,
                            ino,
                            path: path(p)?,
                            remove: word == "remove",
                        }),
                        _ => return Err(bad(line)),
                    }
                }
                "end" => ended = true,
                _ => return Err(bad(line)),
            }
        }
        if !ended {
            return Err("it is truncated".to_owned());
        }
        Ok(journal)
    }
}

fn bad(line: &str) -> String {
    format!("unreadable line {line:?}")
}

fn path(escaped: &str) -> Result<RelPath, String> {
    let raw = unescape(escaped).ok_or_else(|| bad(escaped))?;
    RelPath::parse_stored(&raw).map_err(|e| e.to_string())
}

/// A journal's file line with its path borrowed (from the plan): what a
/// deploy encodes without copying every path into a [`Journal`] first.
pub(crate) struct FileLine<'a> {
    pub(crate) lane: usize,
    pub(crate) index: usize,
    pub(crate) ino: u64,
    pub(crate) path: &'a RelPath,
    pub(crate) remove: bool,
}

/// The text of a journal of these parts ([`Journal::encode`]), sized once:
/// a deploy of 10,000 files and their bases writes 20,000 lines.
pub(crate) fn encode(
    root_created: usize,
    dirs: &[RelPath],
    files: &[FileLine<'_>],
    prune: &[RelPath],
) -> String {
    use std::fmt::Write as _;
    let size = dirs
        .iter()
        .chain(prune)
        .map(|d| d.as_str().len() + 8)
        .chain(files.iter().map(|f| f.path.as_str().len() + 48))
        .sum::<usize>();
    let mut out = String::with_capacity(64 + size);
    out.push_str(MAGIC);
    out.push('\n');
    // Writing into a String cannot fail.
    let _ = writeln!(out, "root-created {root_created}");
    for dir in dirs {
        out.push_str("dir ");
        escape_into(dir.as_str(), &mut out);
        out.push('\n');
    }
    for dir in prune {
        out.push_str("prune ");
        escape_into(dir.as_str(), &mut out);
        out.push('\n');
    }
    for file in files {
        let word = if file.remove { "remove" } else { "file" };
        let _ = write!(out, "{word} {} {} {} ", file.lane, file.index, file.ino);
        escape_into(file.path.as_str(), &mut out);
        out.push('\n');
    }
    out.push_str("end\n");
    out
}

/// Percent-escape `%` and control characters, so that every record is one
/// line whatever the file names hold.
fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        if c == '%' || c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
}

fn unescape(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_awkward_names() {
        let j = Journal {
            root_created: 2,
            dirs: vec![RelPath::new("a b/100%").unwrap()],
            prune: vec![RelPath::new("gone/dir").unwrap()],
            files: vec![
                JournalFile {
                    lane: 1,
                    index: 7,
                    ino: 123456789,
                    path: RelPath::new("a b/100%/caf\u{e9} %41 #1.md").unwrap(),
                    remove: false,
                },
                JournalFile {
                    lane: 0,
                    index: 8,
                    ino: 5,
                    path: RelPath::in_state_dir("deployments/x.json").unwrap(),
                    remove: true,
                },
            ],
        };
        let text = j.encode();
        assert_eq!(text.lines().count(), 7, "{text}");
        assert_eq!(Journal::decode(text.as_bytes()), Ok(j));
    }

    #[test]
    fn refuses_truncated_or_tampered_journals() {
        let good = "stencil-deploy journal 2\nroot-created 0\nfile 0 1 2 a\nend\n";
        assert!(Journal::decode(good.as_bytes()).is_ok());
        assert!(Journal::decode(&good.as_bytes()[..good.len() - 4]).is_err());
        let evil = good.replace("file 0 1 2 a", "file 0 1 2 ../../etc/passwd");
        assert!(Journal::decode(evil.as_bytes()).is_err());
        let evil = good.replace("file 0 1 2 a", "remove 0 1 2 .stencil/deploy-staging/0");
        assert!(Journal::decode(evil.as_bytes()).is_err());
        let evil = good.replace("file 0 1 2 a", "dir /etc");
        assert!(Journal::decode(evil.as_bytes()).is_err());
        // Escaped control characters decode, and are then refused as paths.
        let evil = good.replace("file 0 1 2 a", "file 0 1 2 a%0Ab");
        assert!(Journal::decode(evil.as_bytes()).is_err());
    }
}

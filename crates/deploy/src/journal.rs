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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JournalFile {
    /// The staging lane directory.
    pub(crate) lane: usize,
    /// The slot in the lane (`<index>`; a fallback backup is `<index>.old`).
    pub(crate) index: usize,
    /// The staged file's inode number.
    pub(crate) ino: u64,
    pub(crate) path: RelPath,
}

impl Journal {
    pub(crate) fn encode(&self) -> String {
        let mut out = String::with_capacity(64 + self.files.len() * 48);
        out.push_str(MAGIC);
        out.push('\n');
        out.push_str(&format!("root-created {}\n", self.root_created));
        for dir in &self.dirs {
            out.push_str("dir ");
            escape_into(dir.as_str(), &mut out);
            out.push('\n');
        }
        for file in &self.files {
            out.push_str(&format!("file {} {} {} ", file.lane, file.index, file.ino));
            escape_into(file.path.as_str(), &mut out);
            out.push('\n');
        }
        out.push_str("end\n");
        out
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
                "file" => {
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
    RelPath::new(&raw).map_err(|e| e.to_string())
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
            files: vec![JournalFile {
                lane: 1,
                index: 7,
                ino: 123456789,
                path: RelPath::new("a b/100%/caf\u{e9} %41 #1.md").unwrap(),
            }],
        };
        let text = j.encode();
        assert_eq!(text.lines().count(), 5, "{text}");
        assert_eq!(Journal::decode(text.as_bytes()), Ok(j));
    }

    #[test]
    fn refuses_truncated_or_tampered_journals() {
        let good = "stencil-deploy journal 2\nroot-created 0\nfile 0 1 2 a\nend\n";
        assert!(Journal::decode(good.as_bytes()).is_ok());
        assert!(Journal::decode(&good.as_bytes()[..good.len() - 4]).is_err());
        let evil = good.replace("file 0 1 2 a", "file 0 1 2 ../../etc/passwd");
        assert!(Journal::decode(evil.as_bytes()).is_err());
        let evil = good.replace("file 0 1 2 a", "dir /etc");
        assert!(Journal::decode(evil.as_bytes()).is_err());
        // Escaped control characters decode, and are then refused as paths.
        let evil = good.replace("file 0 1 2 a", "file 0 1 2 a%0Ab");
        assert!(Journal::decode(evil.as_bytes()).is_err());
    }
}

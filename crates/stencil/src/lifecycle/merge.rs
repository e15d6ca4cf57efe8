//! Line-based three-way merge and unified diffs, through `diffy` (chosen in
//! `docs/architecture.md`: the one kept crate with a three-way merge; its
//! diffs and merges agree on hunks because they share one algorithm).
//!
//! Everything works on bytes, line by line, each line keeping its own
//! terminator: CRLF files, a missing trailing newline and invalid UTF-8
//! come out as they went in. Conflict markers are written with the file's
//! own line ending.

use diffy::{ConflictStyle, DiffOptions, IncompleteHunkStyle, MergeOptions};

/// The result of a three-way merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merged {
    /// No conflict: the merged bytes.
    Clean(Vec<u8>),
    /// Conflicts: the bytes with git-style markers, and how many regions conflict.
    Conflict {
        /// The file with `<<<<<<<`/`=======`/`>>>>>>>` regions.
        marked: Vec<u8>,
        /// Conflicting regions.
        regions: usize,
    },
}

/// Merges the user's edits (`base` → `ours`) with the template's (`base` →
/// `theirs`). Conflict regions are labelled `ours_label` and `theirs_label`.
pub fn merge3(
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    ours_label: &str,
    theirs_label: &str,
) -> Merged {
    // A marker longer than any run of marker characters starting a line in
    // the inputs, so that a file that already holds a `<<<<<<<` line (a
    // document about merging, an unresolved earlier conflict) cannot be
    // confused with the markers written here.
    let len = [base, ours, theirs]
        .iter()
        .map(|t| longest_marker_run(t))
        .max()
        .unwrap_or(0)
        .max(6)
        + 1;
    let mut options = MergeOptions::new();
    options
        .set_conflict_style(ConflictStyle::Merge)
        .set_incomplete_hunk_style(IncompleteHunkStyle::Git)
        .set_conflict_marker_length(len);
    match options.merge_bytes(base, ours, theirs) {
        Ok(clean) => Merged::Clean(clean),
        Err(marked) => {
            let eol: &[u8] = if uses_crlf(ours) { b"\r\n" } else { b"\n" };
            relabel(&marked, len, eol, ours_label, theirs_label)
        }
    }
}

/// A unified diff from `old` to `new` with `a/PATH` and `b/PATH` headers;
/// empty when they are equal.
pub fn unified_diff(path: &str, old: &[u8], new: &[u8]) -> Vec<u8> {
    if old == new {
        return Vec::new();
    }
    let mut options = DiffOptions::new();
    options
        .set_original_filename(format!("a/{path}"))
        .set_modified_filename(format!("b/{path}"));
    options.create_patch_bytes(old, new).to_bytes()
}

/// Whether the majority of `text`'s line endings are CRLF.
fn uses_crlf(text: &[u8]) -> bool {
    let lf = memchr_count(text, b'\n');
    let crlf = text.windows(2).filter(|w| w == b"\r\n").count();
    crlf * 2 > lf
}

fn memchr_count(text: &[u8], byte: u8) -> usize {
    text.iter().filter(|&&b| b == byte).count()
}

/// The longest run of one of `<`, `=`, `>`, `|` at the start of a line.
fn longest_marker_run(text: &[u8]) -> usize {
    text.split(|&b| b == b'\n')
        .filter_map(|line| {
            let first = *line.first()?;
            matches!(first, b'<' | b'=' | b'>' | b'|')
                .then(|| line.iter().take_while(|&&b| b == first).count())
        })
        .max()
        .unwrap_or(0)
}

/// Rewrites diffy's `<<<<<<< ours` / `=======` / `>>>>>>> theirs` marker
/// lines with our labels and the file's line ending, counting regions.
fn relabel(marked: &[u8], len: usize, eol: &[u8], ours: &str, theirs: &str) -> Merged {
    let open = [vec![b'<'; len], b" ours".to_vec()].concat();
    let mid = vec![b'='; len];
    let close = [vec![b'>'; len], b" theirs".to_vec()].concat();
    let mut out = Vec::with_capacity(marked.len() + 64);
    let mut regions = 0;
    for line in marked.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if body == open.as_slice() {
            regions += 1;
            out.extend_from_slice(&open[..len]);
            out.push(b' ');
            out.extend_from_slice(ours.as_bytes());
        } else if body == mid.as_slice() {
            out.extend_from_slice(&mid);
        } else if body == close.as_slice() {
            out.extend_from_slice(&close[..len]);
            out.push(b' ');
            out.extend_from_slice(theirs.as_bytes());
        } else {
            out.extend_from_slice(line);
            continue;
        }
        if line.ends_with(b"\n") {
            out.extend_from_slice(eol);
        }
    }
    Merged::Conflict {
        marked: out,
        regions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(m: Merged) -> Vec<u8> {
        match m {
            Merged::Clean(b) => b,
            Merged::Conflict { marked, .. } => {
                panic!("conflict: {}", String::from_utf8_lossy(&marked))
            }
        }
    }

    #[test]
    fn edits_in_different_regions_merge_cleanly() {
        let base = b"a\nb\nc\nd\ne\n";
        let ours = b"A\nb\nc\nd\ne\n";
        let theirs = b"a\nb\nc\nd\nE\n";
        assert_eq!(
            clean(merge3(base, ours, theirs, "p", "t")),
            b"A\nb\nc\nd\nE\n"
        );
    }

    #[test]
    fn crlf_and_no_trailing_newline_survive_a_merge() {
        let base = b"a\r\nb\r\nc\r\nd\r\ne";
        let ours = b"A\r\nb\r\nc\r\nd\r\ne";
        let theirs = b"a\r\nb\r\nc\r\nd\r\nE";
        assert_eq!(
            clean(merge3(base, ours, theirs, "p", "t")),
            b"A\r\nb\r\nc\r\nd\r\nE"
        );
    }

    #[test]
    fn the_same_line_conflicts_with_labels_and_crlf_markers() {
        let m = merge3(
            b"x\r\ny\r\n",
            b"mine\r\ny\r\n",
            b"theirs\r\ny\r\n",
            "project",
            "template web",
        );
        let Merged::Conflict { marked, regions } = m else {
            panic!("expected a conflict")
        };
        assert_eq!(regions, 1);
        assert_eq!(
            String::from_utf8(marked).unwrap(),
            "<<<<<<< project\r\nmine\r\n=======\r\ntheirs\r\n>>>>>>> template web\r\ny\r\n"
        );
    }

    #[test]
    fn markers_grow_past_marker_lines_already_in_the_file() {
        let base = b"<<<<<<< ours\nx\n";
        let Merged::Conflict { marked, regions } = merge3(
            base,
            b"<<<<<<< ours\nmine\n",
            b"<<<<<<< ours\ntheirs\n",
            "p",
            "t",
        ) else {
            panic!("expected a conflict")
        };
        assert_eq!(regions, 1);
        let text = String::from_utf8(marked).unwrap();
        assert!(text.starts_with("<<<<<<< ours\n<<<<<<<< p\n"), "{text}");
    }

    #[test]
    fn unified_diff_names_both_sides() {
        let d = String::from_utf8(unified_diff("x.md", b"a\n", b"b\n")).unwrap();
        assert!(d.starts_with("--- a/x.md\n+++ b/x.md\n"), "{d}");
        assert!(unified_diff("x", b"same", b"same").is_empty());
    }
}

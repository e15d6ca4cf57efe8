//! The reference model of the placeholder grammar: a plain byte loop written
//! from the rules in the crate docs, with no cleverness to share bugs with
//! the real renderer. Used by the proptest (`tests/it/model.rs`) and the fuzz
//! target (`fuzz/fuzz_targets/render.rs`).

use std::collections::BTreeMap;

/// Placeholders left by a lenient render: (name, line, column).
pub type Left = Vec<(String, usize, usize)>;

fn ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn ident_cont(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Parses `NAME}}` at `j`: returns the end of NAME if followed by `}}`.
fn name_at(input: &[u8], j: usize) -> Option<usize> {
    if j >= input.len() || !ident_start(input[j]) {
        return None;
    }
    let mut k = j + 1;
    while k < input.len() && ident_cont(input[k]) {
        k += 1;
    }
    input[k..].starts_with(b"}}").then_some(k)
}

fn position(input: &[u8], at: usize) -> (usize, usize) {
    let before = &input[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let col = before[start..]
        .iter()
        .filter(|&&b| !(0x80..0xc0).contains(&b))
        .count()
        + 1;
    (line, col)
}

/// The grammar, one byte at a time. `Err` is a strict-mode failure:
/// (line, column, name).
pub fn model(
    input: &[u8],
    vars: &BTreeMap<String, String>,
    lenient: bool,
    skip_binary: bool,
) -> Result<(Vec<u8>, Left), (usize, usize, String)> {
    if skip_binary && input[..input.len().min(8192)].contains(&0) {
        return Ok((input.to_vec(), vec![]));
    }
    let mut out = Vec::new();
    let mut left = Vec::new();
    let mut i = 0;
    while i < input.len() {
        if input[i..].starts_with(b"{{") {
            if let Some(k) = name_at(input, i + 2) {
                let name = String::from_utf8(input[i + 2..k].to_vec()).unwrap();
                if let Some(v) = vars.get(&name) {
                    out.extend_from_slice(v.as_bytes());
                } else if lenient {
                    let (l, c) = position(input, i);
                    left.push((name, l, c));
                    out.extend_from_slice(&input[i..k + 2]);
                } else {
                    let (l, c) = position(input, i);
                    return Err((l, c, name));
                }
                i = k + 2;
                continue;
            }
            if input.get(i + 2) == Some(&b'\\')
                && let Some(k) = name_at(input, i + 3)
            {
                let name = String::from_utf8(input[i + 3..k].to_vec()).unwrap();
                if vars.contains_key(&name) {
                    out.extend_from_slice(b"{{");
                    out.extend_from_slice(name.as_bytes());
                    out.extend_from_slice(b"}}");
                    i = k + 2;
                    continue;
                }
            }
        }
        out.push(input[i]);
        i += 1;
    }
    Ok((out, left))
}

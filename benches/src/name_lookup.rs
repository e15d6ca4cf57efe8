//! The name-lookup experiment behind the renderer's choice of name index
//! (`crates/render/src/names.rs`):
//! the step that decides, at each `{{NAME}}` the scan finds, whether NAME
//! has a value. Each candidate here is a stand-alone copy of one way to do
//! it, so the bench (`render/lookup`) can measure them side by side at
//! 10 to 10,000 names over the same positions of the same text:
//!
//! * [`ByLength`]: names bucketed by length, a linear search in the bucket
//!   (the renderer before issue 16, and still its layout for small sets);
//! * [`Hashed`]: one hash map, with std's SipHash or with foldhash;
//! * [`Sorted`]: a sorted table and a binary search;
//! * [`Anchored`]: an anchored aho-corasick DFA over `NAME}}`, which does
//!   the identifier scan and the lookup in one automaton walk.
//!
//! All but [`Anchored`] are preceded by the identifier scan the grammar
//! needs anyway ([`scan_name`]). Figures: `docs/performance.md`.

use std::collections::HashMap;
use std::hash::BuildHasher;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored as AcAnchored, Input, MatchKind};
use memchr::memmem;

/// One way of finding a name's index.
pub trait Lookup {
    /// The index of `name` in the variable set, if it has one.
    fn find(&self, name: &[u8]) -> Option<u32>;
}

/// Names bucketed by length; a linear search among the names of one length.
pub struct ByLength {
    names: Vec<Box<[u8]>>,
    by_len: Vec<Vec<u32>>,
}

impl ByLength {
    /// Indexes `names` by length.
    pub fn new(names: &[&str]) -> ByLength {
        let names: Vec<Box<[u8]>> = names.iter().map(|n| n.as_bytes().into()).collect();
        let longest = names.iter().map(|n| n.len()).max().unwrap_or(0);
        let mut by_len = vec![Vec::new(); longest + 1];
        for (i, n) in names.iter().enumerate() {
            by_len[n.len()].push(i as u32);
        }
        ByLength { names, by_len }
    }
}

impl Lookup for ByLength {
    fn find(&self, name: &[u8]) -> Option<u32> {
        self.by_len
            .get(name.len())?
            .iter()
            .copied()
            .find(|&i| *self.names[i as usize] == *name)
    }
}

/// One hash map from name to index, with the hasher `S`.
pub struct Hashed<S> {
    map: HashMap<Box<[u8]>, u32, S>,
}

impl<S: BuildHasher + Default> Hashed<S> {
    /// Hashes every name.
    pub fn new(names: &[&str]) -> Hashed<S> {
        let mut map = HashMap::with_capacity_and_hasher(names.len(), S::default());
        for (i, n) in names.iter().enumerate() {
            map.insert(n.as_bytes().into(), i as u32);
        }
        Hashed { map }
    }
}

impl<S: BuildHasher> Lookup for Hashed<S> {
    fn find(&self, name: &[u8]) -> Option<u32> {
        self.map.get(name).copied()
    }
}

/// A sorted table; a binary search.
pub struct Sorted {
    names: Vec<(Box<[u8]>, u32)>,
}

impl Sorted {
    /// Sorts the names.
    pub fn new(names: &[&str]) -> Sorted {
        let mut names: Vec<(Box<[u8]>, u32)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_bytes().into(), i as u32))
            .collect();
        names.sort();
        Sorted { names }
    }
}

impl Lookup for Sorted {
    fn find(&self, name: &[u8]) -> Option<u32> {
        self.names
            .binary_search_by(|(n, _)| (**n).cmp(name))
            .ok()
            .map(|i| self.names[i].1)
    }
}

/// An anchored DFA over `NAME}}`, prefilter off: run at the byte after `{{`,
/// it reads the name and the closing braces in one walk.
pub struct Anchored {
    ac: AhoCorasick,
}

impl Anchored {
    /// Builds the automaton.
    pub fn new(names: &[&str]) -> Anchored {
        let patterns: Vec<String> = names.iter().map(|n| format!("{n}}}}}")).collect();
        let ac = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .match_kind(MatchKind::LeftmostFirst)
            .start_kind(aho_corasick::StartKind::Anchored)
            .prefilter(false)
            .build(&patterns)
            .expect("valid names build");
        Anchored { ac }
    }

    /// The index of the name starting at `input[start..]` and closed by
    /// `}}`, if it is one of the names.
    pub fn find_at(&self, input: &[u8], start: usize) -> Option<u32> {
        let m = self
            .ac
            .find(Input::new(input).range(start..).anchored(AcAnchored::Yes))?;
        Some(m.pattern().as_u32())
    }
}

/// The name of the `{{NAME}}` starting at `at`, if it is well formed (the
/// scan every candidate but [`Anchored`] needs before the lookup).
pub fn scan_name(input: &[u8], at: usize) -> Option<&[u8]> {
    let start = at + 2;
    if !input.get(start)?.is_ascii_alphabetic() && input[start] != b'_' {
        return None;
    }
    let len = input[start..]
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))?;
    let end = start + len;
    (input.get(end..end + 2)? == b"}}").then(|| &input[start..end])
}

/// Where every `{{` of `input` is.
pub fn openings(input: &[u8]) -> Vec<usize> {
    memmem::find_iter(input, b"{{").collect()
}

/// Scans and looks up every placeholder at `at`; returns how many were
/// known (so the work cannot be optimised away). Never inlined, so that
/// callgrind can count it alone (`--toggle-collect='*lookup_all*'`).
#[inline(never)]
pub fn lookup_all(lookup: &impl Lookup, input: &[u8], at: &[usize]) -> usize {
    at.iter()
        .filter_map(|&a| scan_name(input, a))
        .filter(|n| lookup.find(n).is_some())
        .count()
}

/// [`lookup_all`] for the automaton.
#[inline(never)]
pub fn lookup_all_anchored(lookup: &Anchored, input: &[u8], at: &[usize]) -> usize {
    at.iter()
        .filter(|&&a| lookup.find_at(input, a + 2).is_some())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render_corpus::{many_variables, markdown_over};

    #[test]
    fn every_candidate_finds_every_placeholder_of_the_corpus() {
        for n in [10, 1_000] {
            let vars = many_variables(n);
            let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
            let input = markdown_over(&vars, 16 * 1024, 500);
            let at = openings(&input);
            assert_eq!(at.len(), 500);
            assert_eq!(lookup_all(&ByLength::new(&names), &input, &at), 500);
            assert_eq!(
                lookup_all(
                    &Hashed::<foldhash::fast::RandomState>::new(&names),
                    &input,
                    &at
                ),
                500
            );
            assert_eq!(lookup_all(&Sorted::new(&names), &input, &at), 500);
            assert_eq!(
                lookup_all_anchored(&Anchored::new(&names), &input, &at),
                500
            );
        }
    }

    #[test]
    fn candidates_reject_unknown_names_and_prefixes() {
        let names = ["AB", "ABC", "X_1"];
        let input = b"{{A}} {{ABCD}} {{AB}}} {{X_1}";
        let at = openings(input);
        assert_eq!(lookup_all(&ByLength::new(&names), input, &at), 1);
        assert_eq!(lookup_all(&Sorted::new(&names), input, &at), 1);
        assert_eq!(lookup_all_anchored(&Anchored::new(&names), input, &at), 1);
    }
}

//! The name index: at every well-formed `{{NAME}}` the scan finds, it
//! answers whether NAME has a value, and which.
//!
//! Two layouts, chosen when the renderer is built, because each wins on its
//! side of a measured crossover (callgrind instruction counts and the
//! `render/lookup` bench in `benches/benches/render.rs`; figures in
//! `docs/performance.md`):
//!
//! * **by length**, when no length is shared by more than three names: the
//!   names of each length in a list of one to three, so a lookup is one
//!   index and at most three comparisons. For ten variables this measured
//!   fewer instructions than hashing the name: 6% of a whole render with at
//!   most two names per length, 2.5% with three. Every further name of one
//!   length costs a comparison more, which is why this layout alone degraded
//!   linearly with the size of the set (57× the instructions at 10,000
//!   names).
//! * **hashed**, otherwise: one foldhash table from name to value. A lookup
//!   costs one hash of the name and, on a hit, one comparison, whatever the
//!   size of the set (a whole render counts 8% more instructions at 10,000
//!   names than at 10).
//!   Names and values lie back to back in one buffer and the table holds
//!   offsets (`hashbrown::HashTable`), not a `HashMap` of boxed names: at
//!   10,000 variables that is ~0.5 MB instead of ~1 MB of scattered
//!   allocations, which keeps a lookup's two memory reads in L2.
//!   std's SipHash measured 1.7× the instructions, a sorted table with a
//!   binary search 1.5–3×, an anchored aho-corasick DFA 1.5× plus
//!   milliseconds to build.
//!
//! The hash is seeded randomly per map (`foldhash::fast::RandomState`): the
//! names come from the caller, the looked-up text may come from anywhere.

use std::hash::BuildHasher;

use crate::Variables;

/// The most names of one length the length layout takes (see the module
/// docs for the measurement).
const MAX_PER_LENGTH: usize = 3;

type Bytes = Box<[u8]>;

/// Names with a value, indexed for lookup by the bytes of a scanned name.
#[derive(Debug, Clone)]
pub(crate) enum NameIndex {
    /// `names[by_len[len][k]]` are the names of length `len`.
    ByLength {
        names: Vec<(Bytes, Bytes)>,
        by_len: Vec<Vec<u32>>,
    },
    /// Name to value.
    Hashed {
        /// Every name followed by its value.
        bytes: Vec<u8>,
        table: hashbrown::HashTable<Entry>,
        hasher: foldhash::fast::RandomState,
    },
}

/// A name at `bytes[start..start + name]`, its value right after it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    start: usize,
    name: usize,
    value: usize,
}

impl Entry {
    #[inline]
    fn name(self, bytes: &[u8]) -> &[u8] {
        &bytes[self.start..self.start + self.name]
    }

    #[inline]
    fn value(self, bytes: &[u8]) -> &[u8] {
        let from = self.start + self.name;
        &bytes[from..from + self.value]
    }
}

impl NameIndex {
    /// Indexes the variables that have a value.
    pub(crate) fn new(vars: &Variables) -> NameIndex {
        let longest = vars.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut per_length = vec![0usize; longest + 1];
        for (k, _) in vars.iter() {
            per_length[k.len()] += 1;
        }
        if per_length.iter().any(|&n| n > MAX_PER_LENGTH) {
            let hasher = foldhash::fast::RandomState::default();
            let size = vars.iter().map(|(k, v)| k.len() + v.len()).sum();
            let mut bytes = Vec::with_capacity(size);
            let mut table = hashbrown::HashTable::with_capacity(vars.len());
            for (k, v) in vars.iter() {
                let entry = Entry {
                    start: bytes.len(),
                    name: k.len(),
                    value: v.len(),
                };
                bytes.extend_from_slice(k.as_bytes());
                bytes.extend_from_slice(v.as_bytes());
                // Names are distinct (`Variables` is a map), so each is new.
                table.insert_unique(hasher.hash_one(k.as_bytes()), entry, |e: &Entry| {
                    hasher.hash_one(e.name(&bytes))
                });
            }
            return NameIndex::Hashed {
                bytes,
                table,
                hasher,
            };
        }
        let names: Vec<(Bytes, Bytes)> = vars
            .iter()
            .map(|(k, v)| (k.as_bytes().into(), v.as_bytes().into()))
            .collect();
        let mut by_len = vec![Vec::new(); longest + 1];
        for (i, (k, _)) in names.iter().enumerate() {
            // At most three names per length, so the index fits.
            by_len[k.len()].push(i as u32);
        }
        NameIndex::ByLength { names, by_len }
    }

    /// The value of `name`, if it has one.
    #[inline]
    pub(crate) fn get(&self, name: &[u8]) -> Option<&[u8]> {
        match self {
            NameIndex::ByLength { names, by_len } => by_len
                .get(name.len())?
                .iter()
                .map(|&i| &names[i as usize])
                .find(|(k, _)| **k == *name)
                .map(|(_, v)| &**v),
            NameIndex::Hashed {
                bytes,
                table,
                hasher,
            } => table
                .find(hasher.hash_one(name), |e| e.name(bytes) == name)
                .map(|e| e.value(bytes)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// `n` names of mixed lengths, some of them prefixes of others, and how
    /// many share the most common length.
    fn names(n: usize) -> (BTreeMap<String, String>, usize) {
        let names: BTreeMap<String, String> = (0..n)
            .map(|i| {
                (
                    format!("N{}", "_".repeat(i % 7)) + &i.to_string(),
                    format!("v{i}"),
                )
            })
            .collect();
        let mut per_length = BTreeMap::new();
        for k in names.keys() {
            *per_length.entry(k.len()).or_insert(0) += 1;
        }
        let most = per_length.into_values().max().unwrap_or(0);
        (names, most)
    }

    #[test]
    fn both_layouts_agree_with_a_map_on_hits_misses_and_near_misses() {
        let mut layouts = BTreeSet::new();
        for n in [0, 1, 2, 3, 10, 15, 40, 500] {
            let (want, most) = names(n);
            let vars = crate::VariableSpec::open().validate(want.clone()).unwrap();
            let index = NameIndex::new(&vars);
            let hashed = matches!(index, NameIndex::Hashed { .. });
            assert_eq!(
                hashed,
                most > MAX_PER_LENGTH,
                "{n} names, {most} of one length"
            );
            layouts.insert(hashed);
            for (k, v) in &want {
                assert_eq!(index.get(k.as_bytes()), Some(v.as_bytes()), "{k} of {n}");
                let mut longer = k.clone().into_bytes();
                longer.push(b'0');
                assert_eq!(
                    index.get(&longer).is_some(),
                    want.contains_key(std::str::from_utf8(&longer).unwrap()),
                    "{k}0 of {n}"
                );
                assert_eq!(
                    index.get(&k.as_bytes()[1..]),
                    None,
                    "{k} minus its first byte"
                );
            }
            assert_eq!(index.get(b""), None);
            assert_eq!(index.get(&[b'N'; 300]), None);
        }
        assert_eq!(
            layouts,
            BTreeSet::from([false, true]),
            "both layouts tested"
        );
    }
}

//! Untrusted registry metadata: arbitrary bytes as `snapshot.json`, as
//! `root.json`, or as the next rotation `roots/2.root.json`, against a valid
//! pinned root. Verification must never panic and never read past its caps.

#![no_main]

use jiff::Timestamp;
use libfuzzer_sys::fuzz_target;
use stencil_registry::{Limits, MemorySource, Registry, Root, SecretKey, Snapshot, TrustAnchor};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let key = SecretKey::from_seed([7; 32]);
    let now: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
    let expires: Timestamp = "2027-06-01T00:00:00Z".parse().unwrap();
    let root = Root::new(1, expires, &[key.public()], 1).seal(&[&key]);
    let snapshot = Snapshot::new(1, expires, now, 1, Vec::new()).seal(&[&key]);
    let mut files = MemorySource::new();
    files.insert(String::from("root.json"), root);
    files.insert(String::from("snapshot.json"), snapshot);
    let target = match which % 3 {
        0 => "snapshot.json",
        1 => "root.json",
        _ => "roots/2.root.json",
    };
    files.insert(target.to_owned(), rest.to_vec());
    let limits = Limits {
        max_root_bytes: 64 << 10,
        max_snapshot_bytes: 1 << 20,
        max_rotations: 4,
        ..Limits::DEFAULT
    };
    let anchor = TrustAnchor::Keys {
        keys: vec![key.public()],
        threshold: 1,
    };
    let _ = Registry::bootstrap("fuzz", &files, &anchor, &limits, now);
});

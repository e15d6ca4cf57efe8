//! Untrusted package bytes: arbitrary input decoded as a `stencil-package/1`
//! encoding, and (as a blob a signed snapshot vouches for) decompressed and
//! decoded through the client's whole fetch path. Neither may panic, and
//! decompression stops at the signed size.

#![no_main]

use jiff::Timestamp;
use libfuzzer_sys::fuzz_target;
use stencil_registry::{
    Limits, MemorySource, Package, PackageEntry, Registry, Root, SecretKey, Snapshot, TrustAnchor,
    sha256_hex,
};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_unpacked_bytes: 4 << 20,
        max_files: 256,
        ..Limits::DEFAULT
    };
    if let Ok(package) = Package::decode(data, &limits) {
        // What decodes re-encodes to an encoding that decodes to the same
        // package.
        assert_eq!(
            Package::decode(&package.encode(), &limits).unwrap(),
            package
        );
    }

    let key = SecretKey::from_seed([7; 32]);
    let now: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
    let expires: Timestamp = "2027-06-01T00:00:00Z".parse().unwrap();
    let unpacked = data.first().map_or(0, |&b| u64::from(b) << 8);
    let entry = PackageEntry {
        kind: String::from("command"),
        name: String::from("fuzz"),
        version: 1,
        description: String::new(),
        size: data.len() as u64,
        unpacked_size: unpacked,
        sha256: sha256_hex(data),
        published: now,
        yanked: false,
    };
    let snapshot = Snapshot::new(1, expires, now, 1, vec![entry.clone()]);
    let mut files = MemorySource::new();
    files.insert(
        String::from("root.json"),
        Root::new(1, expires, &[key.public()], 1).seal(&[&key]),
    );
    files.insert(String::from("snapshot.json"), snapshot.seal(&[&key]));
    files.insert(entry.blob_path(), data.to_vec());
    let source = files;
    let anchor = TrustAnchor::Keys {
        keys: vec![key.public()],
        threshold: 1,
    };
    let registry = Registry::bootstrap("fuzz", &source, &anchor, &limits, now).unwrap();
    let _ = registry.fetch_package(&source, &entry);
});

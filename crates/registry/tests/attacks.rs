//! The registry attacked: every verification rule of `docs/registry.md`,
//! each by a test that fails if the check is removed (each asserts the
//! specific error kind, not just "some error").

mod common;

use std::fs;

use common::*;
use serde_json::Value;
use stencil_registry::{
    DirSource, ErrorKind, Limits, Package, PackageEntry, PackageFile, Publisher, Registry, Root,
    Snapshot, TrustAnchor, sha256_hex,
};

/// Parses an envelope file as JSON for surgery.
fn envelope(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn to_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

// --- signatures ----------------------------------------------------------

#[test]
fn snapshot_without_signatures_is_refused() {
    let f = Fixture::new();
    let mut env = envelope(&f.read("snapshot.json"));
    env["signatures"] = Value::Array(vec![]);
    f.write("snapshot.json", &to_bytes(&env));
    expect_kind(f.bootstrap(), |k| {
        matches!(
            k,
            ErrorKind::BelowThreshold {
                valid: 0,
                threshold: 1,
                ..
            }
        )
    });
}

#[test]
fn snapshot_with_a_tampered_payload_is_refused() {
    let f = Fixture::new();
    let mut env = envelope(&f.read("snapshot.json"));
    let payload = env["signed"]
        .as_str()
        .unwrap()
        .replace("\"yanked\":false", "\"yanked\":true");
    env["signed"] = Value::String(payload);
    f.write("snapshot.json", &to_bytes(&env));
    expect_kind(f.bootstrap(), |k| {
        matches!(k, ErrorKind::BadSignature { .. })
    });
}

#[test]
fn every_signature_byte_matters() {
    let f = Fixture::new();
    let original = envelope(&f.read("snapshot.json"));
    let sig = original["signatures"][0]["sig"]
        .as_str()
        .unwrap()
        .to_owned();
    let raw = base64_decode(&sig);
    for i in [0, 17, 31, 32, 63] {
        let mut bad = raw.clone();
        bad[i] ^= 0x01;
        let mut env = original.clone();
        env["signatures"][0]["sig"] = Value::String(base64_encode(&bad));
        f.write("snapshot.json", &to_bytes(&env));
        expect_kind(f.bootstrap(), |k| {
            matches!(k, ErrorKind::BadSignature { .. })
        });
    }
}

#[test]
fn a_signature_over_other_bytes_is_refused() {
    let f = Fixture::new();
    let old = envelope(&f.read("snapshot.json"));
    let mut publisher = Publisher::open_or_create(f.path(), vec![key(1)], t0()).unwrap();
    publisher
        .publish(&[command("lint", "Lint.\n")], t0())
        .unwrap();
    // The new payload with the old (valid, same key) signature.
    let mut env = envelope(&f.read("snapshot.json"));
    env["signatures"] = old["signatures"].clone();
    f.write("snapshot.json", &to_bytes(&env));
    expect_kind(f.bootstrap(), |k| {
        matches!(k, ErrorKind::BadSignature { .. })
    });
}

#[test]
fn a_signature_by_an_unknown_key_is_refused() {
    let f = Fixture::new();
    // Re-sign the same payload with a stranger's key, in place of ours.
    let env = envelope(&f.read("snapshot.json"));
    let snapshot: Snapshot = serde_json::from_str(env["signed"].as_str().unwrap()).unwrap();
    f.write("snapshot.json", &snapshot.seal(&[&key(66)]));
    expect_kind(f.bootstrap(), |k| matches!(k, ErrorKind::UnknownKey { .. }));
    // Added beside our valid signature, it is refused too.
    f.write("snapshot.json", &snapshot.seal(&[&key(1), &key(66)]));
    expect_kind(f.bootstrap(), |k| matches!(k, ErrorKind::UnknownKey { .. }));
}

#[test]
fn root_not_signed_by_the_trusted_keys_is_refused() {
    let f = Fixture::new();
    let wrong = TrustAnchor::Keys {
        keys: vec![key(2).public()],
        threshold: 1,
    };
    expect_kind(
        Registry::bootstrap("team", &f.source(), &wrong, &Limits::DEFAULT, t0()),
        |k| matches!(k, ErrorKind::BelowThreshold { valid: 0, .. }),
    );
    // An attacker's own root, self-signed, listing the attacker's key.
    let evil = Root::new(1, t0() + days(100), &[key(66).public()], 1);
    f.write("root.json", &evil.seal(&[&key(66)]));
    expect_kind(f.bootstrap(), |k| {
        matches!(k, ErrorKind::BelowThreshold { valid: 0, .. })
    });
}

#[test]
fn root_pinned_by_digest() {
    let f = Fixture::new();
    let digest = sha256_hex(&f.read("root.json"));
    let registry = Registry::bootstrap(
        "team",
        &f.source(),
        &TrustAnchor::RootDigest(digest.clone()),
        &Limits::DEFAULT,
        t0(),
    )
    .unwrap();
    assert_eq!(registry.root().version, 1);
    let wrong = TrustAnchor::RootDigest("0".repeat(64));
    expect_kind(
        Registry::bootstrap("team", &f.source(), &wrong, &Limits::DEFAULT, t0()),
        |k| matches!(k, ErrorKind::PinMismatch { .. }),
    );
}

#[test]
fn threshold_two_of_three_needs_two_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let keys = [key(1).public(), key(2).public(), key(3).public()];
    let root = Root::new(1, t0() + days(365), &keys, 2);
    let snapshot = Snapshot::new(1, t0() + days(30), t0(), 1, vec![]);
    fs::write(dir.path().join("root.json"), root.seal(&[&key(1), &key(2)])).unwrap();
    fs::write(dir.path().join("snapshot.json"), snapshot.seal(&[&key(3)])).unwrap();
    let anchor = TrustAnchor::Keys {
        keys: keys.to_vec(),
        threshold: 2,
    };
    let source = DirSource::new(dir.path());
    let bootstrap = || Registry::bootstrap("team", &source, &anchor, &Limits::DEFAULT, t0());
    expect_kind(bootstrap(), |k| {
        matches!(
            k,
            ErrorKind::BelowThreshold {
                valid: 1,
                threshold: 2,
                ..
            }
        )
    });
    fs::write(
        dir.path().join("snapshot.json"),
        snapshot.seal(&[&key(3), &key(3)]),
    )
    .unwrap();
    expect_kind(bootstrap(), |k| {
        matches!(k, ErrorKind::BelowThreshold { valid: 1, .. })
    });
    fs::write(
        dir.path().join("snapshot.json"),
        snapshot.seal(&[&key(3), &key(1)]),
    )
    .unwrap();
    bootstrap().unwrap();
    // The root itself below its own threshold.
    fs::write(dir.path().join("root.json"), root.seal(&[&key(1)])).unwrap();
    expect_kind(bootstrap(), |k| {
        matches!(k, ErrorKind::BelowThreshold { valid: 1, .. })
    });
}

#[test]
fn a_root_offered_as_a_snapshot_is_refused() {
    let f = Fixture::new();
    let root = f.read("root.json");
    f.write("snapshot.json", &root);
    // Its signature frame says `root`, so it cannot pass as a snapshot even
    // before the role field is read.
    expect_kind(f.bootstrap(), |k| {
        matches!(k, ErrorKind::BadSignature { .. })
    });
}

// --- rollback and freeze -------------------------------------------------

#[test]
fn an_older_snapshot_is_refused_after_a_newer_was_seen() {
    let f = Fixture::new();
    let old = f.read("snapshot.json");
    let mut publisher = Publisher::open_or_create(f.path(), vec![key(1)], t0()).unwrap();
    publisher
        .publish(&[command("lint", "Lint.\n")], t0())
        .unwrap();
    let state = f.bootstrap().unwrap().state();
    assert_eq!(state.snapshot_version, 3);
    f.write("snapshot.json", &old);
    expect_kind(f.update(&state), |k| {
        matches!(k, ErrorKind::Rollback { seen: 3, found: 2 })
    });
}

#[test]
fn the_same_version_with_other_content_is_a_fork() {
    let f = Fixture::new();
    let copy = tempfile::tempdir().unwrap();
    copy_dir(f.path(), copy.path());
    Publisher::open_or_create(f.path(), vec![key(1)], t0())
        .unwrap()
        .publish(&[command("lint", "Lint.\n")], t0())
        .unwrap();
    Publisher::open_or_create(copy.path(), vec![key(1)], t0())
        .unwrap()
        .publish(&[command("other", "Other.\n")], t0())
        .unwrap();
    let state = f.bootstrap().unwrap().state();
    let forked = Registry::update(
        "team",
        &DirSource::new(copy.path()),
        &state,
        &Limits::DEFAULT,
        t0(),
    );
    expect_kind(forked, |k| matches!(k, ErrorKind::Fork { version: 3 }));
    // The same snapshot again is fine.
    f.update(&state).unwrap();
}

#[test]
fn an_expired_snapshot_is_refused_unless_offline() {
    let f = Fixture::new();
    let state = f.bootstrap().unwrap().state();
    let later = t0() + days(31);
    expect_kind(
        Registry::update("team", &f.source(), &state, &Limits::DEFAULT, later),
        |k| matches!(k, ErrorKind::Expired { .. }),
    );
    let (registry, staleness) = Registry::offline("team", &state, &Limits::DEFAULT, later).unwrap();
    assert!(staleness.expired);
    assert_eq!(staleness.fetched, Some(t0()));
    assert_eq!(registry.snapshot().version, 2);
    // Offline still checks signatures.
    let mut tampered = state.clone();
    tampered.snapshot = Some(tampered.snapshot.unwrap().replace("ship", "shop"));
    expect_kind(
        Registry::offline("team", &tampered, &Limits::DEFAULT, later),
        |k| matches!(k, ErrorKind::BadSignature { .. }),
    );
}

#[test]
fn an_expired_root_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = Root::new(1, t0() + days(10), &[key(1).public()], 1);
    let snapshot = Snapshot::new(1, t0() + days(30), t0(), 1, vec![]);
    fs::write(dir.path().join("root.json"), root.seal(&[&key(1)])).unwrap();
    fs::write(dir.path().join("snapshot.json"), snapshot.seal(&[&key(1)])).unwrap();
    let source = DirSource::new(dir.path());
    let anchor = TrustAnchor::Keys {
        keys: vec![key(1).public()],
        threshold: 1,
    };
    Registry::bootstrap("team", &source, &anchor, &Limits::DEFAULT, t0()).unwrap();
    let err = expect_kind(
        Registry::bootstrap("team", &source, &anchor, &Limits::DEFAULT, t0() + days(11)),
        |k| matches!(k, ErrorKind::Expired { .. }),
    );
    assert!(err.to_string().contains("roots/1.root.json"), "{err}");
}

#[test]
fn the_pinned_state_is_reverified() {
    let f = Fixture::new();
    let mut state = f.bootstrap().unwrap().state();
    state.root = state
        .root
        .replace("\\\"threshold\\\":1", "\\\"threshold\\\":1 ");
    expect_kind(f.update(&state), |k| {
        matches!(k, ErrorKind::BadSignature { .. })
    });
}

// --- root rotation -------------------------------------------------------

#[test]
fn a_correct_rotation_is_followed() {
    let mut f = Fixture::new();
    let state = f.bootstrap().unwrap().state();
    f.publisher
        .rotate_root(&[key(2).public()], 1, vec![key(2)], t0())
        .unwrap();
    f.publisher
        .publish(&[command("lint", "Lint.\n")], t0())
        .unwrap();
    let registry = f.update(&state).unwrap();
    assert_eq!(registry.root().version, 2);
    assert_eq!(registry.root().keys, vec![key(2).public().to_string()]);
    assert!(registry.snapshot().latest("command", "lint").is_some());
    // A client bootstrapping with the old key walks forward too (root.json
    // is v2, signed by v1's key as the rotation requires).
    f.bootstrap().unwrap();
}

#[test]
fn a_rotation_not_signed_by_the_old_keys_is_refused() {
    let f = Fixture::new();
    let state = f.bootstrap().unwrap().state();
    let next = Root::new(2, t0() + days(365), &[key(66).public()], 1);
    f.write("roots/2.root.json", &next.seal(&[&key(66)]));
    expect_kind(f.update(&state), |k| {
        matches!(k, ErrorKind::BelowThreshold { valid: 0, .. })
    });
}

#[test]
fn a_rotation_not_signed_by_the_new_keys_is_refused() {
    let f = Fixture::new();
    let state = f.bootstrap().unwrap().state();
    let next = Root::new(2, t0() + days(365), &[key(2).public()], 1);
    f.write("roots/2.root.json", &next.seal(&[&key(1)]));
    expect_kind(f.update(&state), |k| {
        matches!(k, ErrorKind::BelowThreshold { valid: 0, .. })
    });
}

#[test]
fn a_rotation_below_the_old_threshold_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let old_keys = [key(1).public(), key(2).public(), key(3).public()];
    let root = Root::new(1, t0() + days(365), &old_keys, 2);
    fs::write(dir.path().join("root.json"), root.seal(&[&key(1), &key(2)])).unwrap();
    fs::write(
        dir.path().join("snapshot.json"),
        Snapshot::new(1, t0() + days(30), t0(), 1, vec![]).seal(&[&key(1), &key(2)]),
    )
    .unwrap();
    let source = DirSource::new(dir.path());
    let anchor = TrustAnchor::Keys {
        keys: old_keys.to_vec(),
        threshold: 2,
    };
    let state = Registry::bootstrap("team", &source, &anchor, &Limits::DEFAULT, t0())
        .unwrap()
        .state();
    fs::create_dir(dir.path().join("roots")).unwrap();
    let next = Root::new(2, t0() + days(365), &[key(9).public()], 1);
    // One old key (of the two required) and the new key.
    fs::write(
        dir.path().join("roots/2.root.json"),
        next.seal(&[&key(1), &key(9)]),
    )
    .unwrap();
    expect_kind(
        Registry::update("team", &source, &state, &Limits::DEFAULT, t0()),
        |k| {
            matches!(
                k,
                ErrorKind::BelowThreshold {
                    valid: 1,
                    threshold: 2,
                    ..
                }
            )
        },
    );
}

#[test]
fn a_root_out_of_sequence_is_refused() {
    let f = Fixture::new();
    let state = f.bootstrap().unwrap().state();
    // roots/2 that claims to be version 3, validly signed.
    let skip = Root::new(3, t0() + days(365), &[key(1).public()], 1);
    f.write("roots/2.root.json", &skip.seal(&[&key(1)]));
    expect_kind(f.update(&state), |k| {
        matches!(
            k,
            ErrorKind::RootVersion {
                expected: 2,
                found: 3
            }
        )
    });
    // An older root replayed as the next one.
    f.write("roots/2.root.json", &f.read("roots/1.root.json"));
    expect_kind(f.update(&state), |k| {
        matches!(
            k,
            ErrorKind::RootVersion {
                expected: 2,
                found: 1
            }
        )
    });
}

#[test]
fn a_snapshot_for_a_root_that_does_not_exist_is_refused() {
    let f = Fixture::new();
    let snapshot = Snapshot::new(9, t0() + days(30), t0(), 2, vec![]);
    f.write("snapshot.json", &snapshot.seal(&[&key(1)]));
    expect_kind(f.bootstrap(), |k| {
        matches!(
            k,
            ErrorKind::RootOutOfStep {
                snapshot: 2,
                root: 1
            }
        )
    });
}

#[test]
fn a_snapshot_signed_by_a_rotated_out_key_is_refused() {
    let mut f = Fixture::new();
    let state = f.bootstrap().unwrap().state();
    f.publisher
        .rotate_root(&[key(2).public()], 1, vec![key(2)], t0())
        .unwrap();
    // The old key (stolen, say) signs a snapshot for the new root.
    let snapshot = Snapshot::new(9, t0() + days(30), t0(), 2, vec![]);
    f.write("snapshot.json", &snapshot.seal(&[&key(1)]));
    expect_kind(f.update(&state), |k| {
        matches!(k, ErrorKind::UnknownKey { .. })
    });
}

#[test]
fn the_publisher_never_writes_an_insufficient_rotation() {
    let mut f = Fixture::new();
    let before = f.read("root.json");
    // New keys that do not sign their own root.
    let err = f
        .publisher
        .rotate_root(&[key(2).public()], 1, vec![], t0())
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::BelowThreshold { .. }),
        "{err}"
    );
    assert_eq!(f.read("root.json"), before);
    assert!(!f.file("roots/2.root.json").exists());
    // A key the root does not trust cannot publish.
    let err = Publisher::open_or_create(f.path(), vec![key(9)], t0()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::NotASigner { .. }), "{err}");
}

// --- blobs ---------------------------------------------------------------

#[test]
fn a_tampered_blob_is_refused() {
    let f = Fixture::new();
    let registry = f.bootstrap().unwrap();
    let blob = f.blob_of(&registry, "review");
    let mut bytes = f.read(&blob);
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    f.write(&blob, &bytes);
    expect_kind(
        registry.fetch(&f.source(), "command", "review", None),
        |k| matches!(k, ErrorKind::DigestMismatch { .. }),
    );
}

#[test]
fn a_truncated_or_padded_blob_is_refused() {
    let f = Fixture::new();
    let registry = f.bootstrap().unwrap();
    let blob = f.blob_of(&registry, "review");
    let bytes = f.read(&blob);
    f.write(&blob, &bytes[..bytes.len() - 1]);
    expect_kind(
        registry.fetch(&f.source(), "command", "review", None),
        |k| matches!(k, ErrorKind::SizeMismatch { .. }),
    );
    let mut padded = bytes.clone();
    padded.push(0);
    f.write(&blob, &padded);
    expect_kind(
        registry.fetch(&f.source(), "command", "review", None),
        |k| matches!(k, ErrorKind::SizeMismatch { .. }),
    );
}

#[test]
fn a_blob_swapped_for_another_package_is_refused() {
    let f = Fixture::new();
    let registry = f.bootstrap().unwrap();
    let review = f.blob_of(&registry, "review");
    let ship = f.blob_of(&registry, "ship");
    f.write(&review, &f.read(&ship));
    expect_kind(
        registry.fetch(&f.source(), "command", "review", None),
        |k| {
            matches!(
                k,
                ErrorKind::DigestMismatch { .. } | ErrorKind::SizeMismatch { .. }
            )
        },
    );
}

#[test]
fn a_snapshot_entry_pointing_at_another_packages_blob_is_refused() {
    // Mix-and-match by a confused (or compromised-tooling) publisher: a
    // signed entry for `review` that names `ship`'s blob. The package's own
    // header must agree with the entry.
    let f = Fixture::new();
    let registry = f.bootstrap().unwrap();
    let ship = registry
        .snapshot()
        .latest("command", "ship")
        .unwrap()
        .clone();
    let forged = PackageEntry {
        name: String::from("review"),
        version: 7,
        ..ship
    };
    let mut entries = registry.snapshot().packages.clone();
    entries.push(forged);
    let snapshot = Snapshot::new(9, t0() + days(30), t0(), 1, entries);
    f.write("snapshot.json", &snapshot.seal(&[&key(1)]));
    let registry = f.bootstrap().unwrap();
    expect_kind(
        registry.fetch(&f.source(), "command", "review", Some(7)),
        |k| matches!(k, ErrorKind::PackageMismatch { .. }),
    );
}

#[cfg(unix)]
#[test]
fn an_endless_response_is_cut_off() {
    let f = Fixture::new();
    let registry = f.bootstrap().unwrap();
    let blob = f.blob_of(&registry, "review");
    fs::remove_file(f.file(&blob)).unwrap();
    std::os::unix::fs::symlink("/dev/zero", f.file(&blob)).unwrap();
    expect_kind(
        registry.fetch(&f.source(), "command", "review", None),
        |k| matches!(k, ErrorKind::SizeMismatch { .. }),
    );
    fs::remove_file(f.file("snapshot.json")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", f.file("snapshot.json")).unwrap();
    expect_kind(f.bootstrap(), |k| matches!(k, ErrorKind::TooLarge { .. }));
}

#[test]
fn oversized_metadata_is_refused() {
    let f = Fixture::new();
    let limits = Limits {
        max_snapshot_bytes: 100,
        ..Limits::DEFAULT
    };
    expect_kind(
        Registry::bootstrap("team", &f.source(), &f.anchor(), &limits, t0()),
        |k| matches!(k, ErrorKind::TooLarge { limit: 100 }),
    );
    let limits = Limits {
        max_root_bytes: 100,
        ..Limits::DEFAULT
    };
    expect_kind(
        Registry::bootstrap("team", &f.source(), &f.anchor(), &limits, t0()),
        |k| matches!(k, ErrorKind::TooLarge { limit: 100 }),
    );
    let limits = Limits {
        max_blob_bytes: 10,
        ..Limits::DEFAULT
    };
    let registry = Registry::bootstrap("team", &f.source(), &f.anchor(), &limits, t0()).unwrap();
    expect_kind(
        registry.fetch(&f.source(), "command", "review", None),
        |k| matches!(k, ErrorKind::TooLarge { limit: 10 }),
    );
}

#[test]
fn a_decompression_bomb_stops_at_the_signed_size() {
    let f = Fixture::new();
    let bomb = zstd::bulk::compress(&vec![b'a'; 32 << 20], 1).unwrap();
    let entry = signed_entry(&f, "bomb", &bomb, 1000);
    let registry = f.bootstrap().unwrap();
    expect_kind(registry.fetch_package(&f.source(), &entry), |k| {
        matches!(
            k,
            ErrorKind::SizeMismatch {
                expected: 1000,
                found: 1001
            }
        )
    });
}

// --- package contents ----------------------------------------------------

/// Puts `blob` into the registry under a signed entry `command:<name>@1`
/// claiming `unpacked` bytes; returns the entry.
fn signed_entry(f: &Fixture, name: &str, blob: &[u8], unpacked: u64) -> PackageEntry {
    let sha256 = sha256_hex(blob);
    fs::write(f.file(&format!("blobs/sha256/{sha256}")), blob).unwrap();
    let entry = PackageEntry {
        kind: String::from("command"),
        name: name.to_owned(),
        version: 1,
        description: String::new(),
        size: blob.len() as u64,
        unpacked_size: unpacked,
        sha256,
        published: t0(),
        yanked: false,
    };
    let current: Snapshot = serde_json::from_str(
        envelope(&f.read("snapshot.json"))["signed"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let mut entries = current.packages.clone();
    entries.push(entry.clone());
    let snapshot = Snapshot::new(current.version + 1, t0() + days(30), t0(), 1, entries);
    f.write("snapshot.json", &snapshot.seal(&[&key(1)]));
    entry
}

/// A package encoding with one file of the given header fields.
fn encoding(path: &str, mode: u32) -> Vec<u8> {
    let header = serde_json::json!({
        "format": "stencil-package/1",
        "kind": "command",
        "name": "evil",
        "description": "",
        "tags": [],
        "files": [{ "path": path, "mode": mode, "size": 2, "verbatim": false }],
    });
    let mut bytes = serde_json::to_vec(&header).unwrap();
    bytes.push(b'\n');
    bytes.extend_from_slice(b"hi");
    bytes
}

#[test]
fn unsafe_package_paths_are_refused_before_anything_is_returned() {
    let f = Fixture::new();
    let cases: &[(&str, &str)] = &[
        ("../escape", "ParentDir"),
        ("a/../../escape", "ParentDir"),
        ("/etc/passwd", "Absolute"),
        ("a\\b", "Backslash"),
        ("a\0b", "Nul"),
        ("C:/x", "Colon"),
        ("a/\u{1b}[2Jb", "control"),
        ("a\nb", "control"),
        ("./a", "normal form"),
        ("a//b", "normal form"),
        (".stencil/journal", "state"),
        ("", "empty"),
    ];
    for (i, (path, _why)) in cases.iter().enumerate() {
        let bytes = encoding(path, 0o644);
        assert!(
            matches!(
                Package::decode(&bytes, &Limits::DEFAULT),
                Err(ErrorKind::UnsafePath { .. })
            ),
            "{path:?} accepted"
        );
        // And through the whole client path, with a validly signed entry.
        let blob = zstd::bulk::compress(&bytes, 3).unwrap();
        let name = format!("evil{i}");
        let entry = signed_entry(&f, &name, &blob, bytes.len() as u64);
        let registry = f.bootstrap().unwrap();
        expect_kind(registry.fetch_package(&f.source(), &entry), |k| {
            matches!(k, ErrorKind::UnsafePath { .. })
        });
    }
}

#[test]
fn links_devices_and_odd_modes_are_refused() {
    for mode in [0o120777, 0o020644, 0o4755, 0o777, 0o600, 0] {
        let bytes = encoding("a.md", mode);
        assert!(
            matches!(
                Package::decode(&bytes, &Limits::DEFAULT),
                Err(ErrorKind::UnsafeMode { .. })
            ),
            "mode {mode:o} accepted"
        );
    }
    Package::decode(&encoding("a.md", 0o755), &Limits::DEFAULT).unwrap();
}

#[test]
fn sizes_must_add_up_exactly() {
    let mut bytes = encoding("a.md", 0o644);
    bytes.push(b'!');
    assert!(matches!(
        Package::decode(&bytes, &Limits::DEFAULT),
        Err(ErrorKind::Malformed(_))
    ));
    let bytes = encoding("a.md", 0o644);
    assert!(matches!(
        Package::decode(&bytes[..bytes.len() - 1], &Limits::DEFAULT),
        Err(ErrorKind::Malformed(_))
    ));
    let huge = String::from_utf8(encoding("a.md", 0o644))
        .unwrap()
        .replace("\"size\":2", "\"size\":18446744073709551615");
    assert!(Package::decode(huge.as_bytes(), &Limits::DEFAULT).is_err());
}

#[test]
fn too_many_files_are_refused() {
    let mut package = Package::new("skill", "many").unwrap();
    for i in 0..11 {
        package = package
            .file(PackageFile::new(&format!("f{i}"), "x").unwrap())
            .unwrap();
    }
    let limits = Limits {
        max_files: 10,
        ..Limits::DEFAULT
    };
    assert!(matches!(
        Package::decode(&package.encode(), &limits),
        Err(ErrorKind::Malformed(_))
    ));
}

#[test]
fn executables_are_reported() {
    let mut f = Fixture::new();
    let tool = Package::new("skill", "tool")
        .unwrap()
        .file(PackageFile::new(".claude/skills/tool/SKILL.md", "# Tool\n").unwrap())
        .unwrap()
        .file(
            PackageFile::new(".claude/skills/tool/run.sh", "#!/bin/sh\n")
                .unwrap()
                .executable(true),
        )
        .unwrap();
    f.publisher.publish(&[tool], t0()).unwrap();
    let registry = f.bootstrap().unwrap();
    let package = registry.fetch(&f.source(), "skill", "tool", None).unwrap();
    let executables: Vec<&str> = package.executables().map(|p| p.path().as_str()).collect();
    assert_eq!(executables, [".claude/skills/tool/run.sh"]);
}

// --- helpers ---------------------------------------------------------------

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

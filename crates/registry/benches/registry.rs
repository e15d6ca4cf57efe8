//! Registry costs: verifying a snapshot of 10,000 package versions,
//! hash-checking a 1 MiB package, and the package codec (zstd, the chosen
//! one, against lz4_flex) on the demo tree and the real `.claude/` fixture.
//!
//! Ratios and the archive-vs-per-file sizes are printed to stderr when the
//! bench starts (criterion measures time only).

use std::fs;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jiff::Timestamp;
use stencil_registry::{
    Limits, MemorySource, Package, PackageEntry, PackageFile, Publisher, Registry, Root, SecretKey,
    Snapshot, TrustAnchor, sha256_hex,
};

fn now() -> Timestamp {
    "2026-06-01T00:00:00Z".parse().unwrap()
}

fn expires() -> Timestamp {
    "2027-06-01T00:00:00Z".parse().unwrap()
}

fn entry(i: usize, blob: &[u8], unpacked: u64) -> PackageEntry {
    PackageEntry {
        kind: String::from("skill"),
        name: format!("skill-{:05}", i / 4),
        version: (i % 4) as u64 + 1,
        description: String::from("a skill that does one useful thing well"),
        size: blob.len() as u64,
        unpacked_size: unpacked,
        sha256: sha256_hex(blob),
        published: now(),
        yanked: false,
    }
}

fn registry_with(
    entries: Vec<PackageEntry>,
    blobs: Vec<(String, Vec<u8>)>,
) -> (MemorySource, TrustAnchor) {
    let key = SecretKey::from_seed([7; 32]);
    let mut files = MemorySource::new();
    files.insert(
        String::from("root.json"),
        Root::new(1, expires(), &[key.public()], 1).seal(&[&key]),
    );
    files.insert(
        String::from("snapshot.json"),
        Snapshot::new(1, expires(), now(), 1, entries).seal(&[&key]),
    );
    for (path, blob) in blobs {
        files.insert(path, blob);
    }
    let anchor = TrustAnchor::Keys {
        keys: vec![key.public()],
        threshold: 1,
    };
    (files, anchor)
}

fn verify_snapshot(c: &mut Criterion) {
    let entries: Vec<PackageEntry> = (0..10_000).map(|i| entry(i, &i.to_le_bytes(), 8)).collect();
    let (source, anchor) = registry_with(entries, Vec::new());
    let size = source.get("snapshot.json").unwrap().len();
    eprintln!("snapshot of 10,000 package versions: {size} bytes");
    let mut group = c.benchmark_group("registry");
    group.throughput(Throughput::Bytes(size as u64));
    group.bench_function("verify_snapshot_10k", |b| {
        b.iter(|| Registry::bootstrap("bench", &source, &anchor, &Limits::DEFAULT, now()).unwrap())
    });
    group.finish();
}

fn hash_check(c: &mut Criterion) {
    // 1 MiB of text-like, poorly compressible content in one package.
    let mut content = Vec::with_capacity(1 << 20);
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    while content.len() < 1 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        content.push(b' ' + (x % 90) as u8);
    }
    let package = Package::new("skill", "big")
        .unwrap()
        .file(PackageFile::new("big.md", content).unwrap())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = SecretKey::from_seed([7; 32]);
    let mut publisher = Publisher::open_or_create(dir.path(), vec![key], now()).unwrap();
    let report = publisher.publish(&[package], now()).unwrap();
    let published = report.published[0].clone();
    let blob = fs::read(dir.path().join(published.blob_path())).unwrap();
    let unpacked = published.unpacked_size;
    let e = PackageEntry {
        name: String::from("big"),
        ..entry(0, &blob, unpacked)
    };
    let (source, anchor) = registry_with(vec![e.clone()], vec![(e.blob_path(), blob.clone())]);
    let registry = Registry::bootstrap("bench", &source, &anchor, &Limits::DEFAULT, now()).unwrap();
    let mut group = c.benchmark_group("registry");
    group.throughput(Throughput::Bytes(blob.len() as u64));
    group.bench_function("sha256_1MiB_blob", |b| {
        b.iter(|| sha256_hex(black_box(&blob)))
    });
    group.throughput(Throughput::Bytes(unpacked));
    group.bench_function("fetch_verify_decode_1MiB_package", |b| {
        b.iter(|| registry.fetch_package(&source, &e).unwrap())
    });
    group.finish();
}

/// A tree's files as a package (paths relative to `root`).
fn tree_package(root: &Path) -> Package {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                walk(&path, root, out);
            } else if entry.file_type().unwrap().is_file() {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .replace('\\', "/");
                out.push((rel, fs::read(&path).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(root, root, &mut files);
    let mut package = Package::new("template", "tree").unwrap();
    for (path, bytes) in files {
        package = package
            .file(PackageFile::new(&path, bytes).unwrap())
            .unwrap();
    }
    package
}

fn codec(c: &mut Criterion) {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let trees = [
        ("demo", manifest.join("../cli/demo")),
        (
            "real_tree",
            manifest.join("../stencil/tests/fixtures/real-tree"),
        ),
    ];
    let mut group = c.benchmark_group("registry_codec");
    for (name, dir) in &trees {
        let package = tree_package(dir);
        let encoding = package.encode();
        let raw = encoding.len();
        let z19 = zstd::bulk::compress(&encoding, 19).unwrap();
        let z3 = zstd::bulk::compress(&encoding, 3).unwrap();
        let lz4 = lz4_flex::compress_prepend_size(&encoding);
        let per_file: usize = package
            .files()
            .iter()
            .map(|f| zstd::bulk::compress(f.bytes(), 19).unwrap().len())
            .sum();
        eprintln!(
            "{name}: {} files, {raw} bytes; zstd-19 {} ({:.2}x), zstd-3 {} ({:.2}x), lz4_flex {} ({:.2}x); \
             per-file zstd-19 blobs {per_file} bytes in {} requests",
            package.files().len(),
            z19.len(),
            raw as f64 / z19.len() as f64,
            z3.len(),
            raw as f64 / z3.len() as f64,
            lz4.len(),
            raw as f64 / lz4.len() as f64,
            package.files().len(),
        );
        group.throughput(Throughput::Bytes(raw as u64));
        group.bench_function(format!("{name}/zstd19_compress"), |b| {
            b.iter(|| zstd::bulk::compress(black_box(&encoding), 19).unwrap())
        });
        group.bench_function(format!("{name}/zstd3_compress"), |b| {
            b.iter(|| zstd::bulk::compress(black_box(&encoding), 3).unwrap())
        });
        group.bench_function(format!("{name}/lz4_compress"), |b| {
            b.iter(|| lz4_flex::compress_prepend_size(black_box(&encoding)))
        });
        group.bench_function(format!("{name}/zstd19_decompress"), |b| {
            b.iter(|| zstd::bulk::decompress(black_box(&z19), raw).unwrap())
        });
        group.bench_function(format!("{name}/lz4_decompress"), |b| {
            b.iter(|| lz4_flex::decompress_size_prepended(black_box(&lz4)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, verify_snapshot, hash_check, codec);
criterion_main!(benches);

//! Size limits applied while reading, so an endless or oversized response
//! cannot exhaust memory or disk.

/// Caps on what a client reads. Every read stops at its cap (reading one
/// byte more is how an oversized input is detected); nothing is buffered
/// past it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest `root.json` (or `roots/N.root.json`).
    pub max_root_bytes: u64,
    /// Largest `snapshot.json`.
    pub max_snapshot_bytes: u64,
    /// Largest package blob as stored (compressed).
    pub max_blob_bytes: u64,
    /// Largest package once decompressed.
    pub max_unpacked_bytes: u64,
    /// Most files in one package.
    pub max_files: usize,
    /// Most root rotations followed in one update.
    pub max_rotations: u64,
}

impl Limits {
    /// The defaults: 1 MiB roots, 64 MiB snapshots (about 200,000 package
    /// versions), 64 MiB blobs, 256 MiB unpacked packages of at most 10,000
    /// files, 1,000 rotations per update.
    pub const DEFAULT: Limits = Limits {
        max_root_bytes: 1 << 20,
        max_snapshot_bytes: 64 << 20,
        max_blob_bytes: 64 << 20,
        max_unpacked_bytes: 256 << 20,
        max_files: 10_000,
        max_rotations: 1_000,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}

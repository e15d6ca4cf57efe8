//! `stencil cache stats|clear|prune`: the on-disk package cache
//! (`STENCIL_CACHE_DIR`, else `$XDG_CACHE_HOME/stencil`, else
//! `~/.cache/stencil`).

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use serde::Serialize;
use stencil::registry::{BlobCache, CacheConfig, DiskUsage, Pruned};

use crate::output::{Output, count};

/// `stencil cache …`.
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Where the package cache is, how many blobs and bytes it holds, and
    /// its bound.
    Stats,
    /// Remove every cached blob (they are fetched again when needed).
    Clear,
    /// Evict the least recently used blobs until the cache holds at most
    /// SIZE (and remove what a crashed writer left behind).
    Prune {
        /// The size to prune to, e.g. `100MB`, `1GiB`, `5000000`
        /// [default: 500MB, the cache's own bound].
        #[arg(long, value_name = "SIZE", value_parser = parse_size)]
        max_size: Option<u64>,
    },
}

#[derive(Debug, Serialize)]
struct StatsJson {
    dir: String,
    entries: u64,
    bytes: u64,
    max_bytes: u64,
    temp_files: u64,
}

#[derive(Debug, Serialize)]
struct PrunedJson {
    dir: String,
    removed: u64,
    freed_bytes: u64,
    temp_files_removed: u64,
    entries: u64,
    bytes: u64,
}

/// Runs `stencil cache …`.
pub fn run(command: &CacheCommand) -> Result<Output> {
    let dir = BlobCache::default_dir()
        .context("no cache directory: set STENCIL_CACHE_DIR (or XDG_CACHE_HOME, or HOME)")?;
    let cache = BlobCache::open(&dir)?;
    match command {
        CacheCommand::Stats => Ok(stats(&dir, cache.usage()?)),
        CacheCommand::Clear => Ok(pruned(&dir, "cleared", cache.clear()?)),
        CacheCommand::Prune { max_size } => {
            let max = max_size.unwrap_or(CacheConfig::DEFAULT_DISK_BYTES);
            Ok(pruned(&dir, "pruned", cache.prune(max)?))
        }
    }
}

fn stats(dir: &Path, usage: DiskUsage) -> Output {
    let max_bytes = CacheConfig::DEFAULT_DISK_BYTES;
    let mut human = format!(
        "{}: {}, {} of {}",
        dir.display(),
        count(usage.entries as usize, "blob"),
        human_size(usage.bytes),
        human_size(max_bytes)
    );
    if usage.temp_files > 0 {
        human.push_str(&format!(
            ", {} being written",
            count(usage.temp_files as usize, "temporary file")
        ));
    }
    Output::new(
        StatsJson {
            dir: dir.display().to_string(),
            entries: usage.entries,
            bytes: usage.bytes,
            max_bytes,
            temp_files: usage.temp_files,
        },
        human,
    )
}

fn pruned(dir: &Path, verb: &str, pruned: Pruned) -> Output {
    let human = format!(
        "{verb} {}: removed {} ({}); {} left ({})",
        dir.display(),
        count(pruned.removed as usize, "blob"),
        human_size(pruned.freed_bytes),
        count(pruned.remaining.entries as usize, "blob"),
        human_size(pruned.remaining.bytes)
    );
    Output::new(
        PrunedJson {
            dir: dir.display().to_string(),
            removed: pruned.removed,
            freed_bytes: pruned.freed_bytes,
            temp_files_removed: pruned.temp_files_removed,
            entries: pruned.remaining.entries,
            bytes: pruned.remaining.bytes,
        },
        human,
    )
}

/// `123`, `100KB`, `1.5MB`, `2GiB`, … (decimal units are powers of 1000,
/// `KiB`/`MiB`/`GiB` of 1024; case-insensitive; the `B` is optional).
fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit = unit.trim().to_ascii_lowercase();
    let multiplier: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1 << 10,
        "m" | "mb" => 1000 * 1000,
        "mib" => 1 << 20,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => 1 << 30,
        "t" | "tb" => 1000 * 1000 * 1000 * 1000,
        "tib" => 1 << 40,
        _ => bail!("`{text}`: unknown unit (use B, KB, MB, GB, KiB, MiB or GiB)"),
    };
    let value: f64 = number
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .with_context(|| format!("`{text}` is not a size (e.g. 100MB, 1GiB)"))?;
    let bytes = value * multiplier as f64;
    if bytes >= u64::MAX as f64 {
        bail!("`{text}` is too large");
    }
    Ok(bytes as u64)
}

/// Bytes in decimal units, one decimal: `0 B`, `12.3 KB`, `500.0 MB`.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_decimal_and_binary_units() {
        assert_eq!(parse_size("5000000").unwrap(), 5_000_000);
        assert_eq!(parse_size("100MB").unwrap(), 100_000_000);
        assert_eq!(parse_size("100mb").unwrap(), 100_000_000);
        assert_eq!(parse_size("1.5 GB").unwrap(), 1_500_000_000);
        assert_eq!(parse_size("2KiB").unwrap(), 2048);
        assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("MB").is_err());
        assert!(parse_size("-1MB").is_err());
    }

    #[test]
    fn sizes_print_in_decimal_units() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(12_345), "12.3 KB");
        assert_eq!(human_size(500_000_000), "500.0 MB");
    }
}

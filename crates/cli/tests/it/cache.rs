//! `stencil cache stats|clear|prune` on a real cache directory, including
//! two processes pruning the same directory at once.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use crate::common::{Env, TestResult};

/// A blob file named as the cache names it (its content is not checked by
/// these commands), last used `age` ago.
fn blob(dir: &Path, i: usize, len: usize, age: Duration) -> PathBuf {
    let blobs = dir.join("blobs").join("sha256");
    fs::create_dir_all(&blobs).unwrap();
    let path = blobs.join(format!("{i:064x}"));
    fs::write(&path, vec![b'x'; len]).unwrap();
    let file = fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(SystemTime::now() - age).unwrap();
    path
}

fn hours(n: u64) -> Duration {
    Duration::from_secs(3600 * n)
}

fn cache_env(dir: &Path) -> [(&'static str, String); 1] {
    [("STENCIL_CACHE_DIR", dir.display().to_string())]
}

fn run(env: &Env, args: &[&str], dir: &Path) -> crate::common::Run {
    let vars = cache_env(dir);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.run_bare(args, &vars)
}

#[test]
fn stats_counts_blobs_bytes_and_temporary_files() -> TestResult {
    let env = Env::new();
    let dir = env.path("cache");
    let json = run(&env, &["cache", "stats", "--json"], &dir).ok().json();
    assert_eq!(json["entries"], 0);
    assert_eq!(json["bytes"], 0);
    assert_eq!(json["max_bytes"], 500_000_000);
    assert_eq!(json["dir"], dir.display().to_string());

    for i in 0..3 {
        blob(&dir, i, 1000, hours(1));
    }
    fs::write(dir.join("blobs/sha256/.tmp-abc"), b"partial")?;
    // Not an entry: another program's file is neither counted nor removed.
    fs::write(dir.join("blobs/sha256/README"), b"hello")?;
    let json = run(&env, &["cache", "stats", "--json"], &dir).ok().json();
    assert_eq!(json["entries"], 3);
    assert_eq!(json["bytes"], 3000);
    assert_eq!(json["temp_files"], 1);
    let text = run(&env, &["cache", "stats"], &dir).ok().stdout;
    assert!(text.contains("3 blobs, 3.0 KB of 500.0 MB"), "{text}");
    Ok(())
}

#[test]
fn prune_evicts_the_least_recently_used_down_to_the_size() -> TestResult {
    let env = Env::new();
    let dir = env.path("cache");
    let oldest = blob(&dir, 1, 1000, hours(3));
    let middle = blob(&dir, 2, 1000, hours(2));
    let newest = blob(&dir, 3, 1000, hours(1));
    let stale_temp = dir.join("blobs/sha256/.tmp-dead");
    fs::write(&stale_temp, b"left by a crash")?;
    fs::File::options()
        .write(true)
        .open(&stale_temp)?
        .set_modified(SystemTime::now() - hours(2))?;

    let json = run(
        &env,
        &["cache", "prune", "--max-size", "2KB", "--json"],
        &dir,
    )
    .ok()
    .json();
    assert_eq!(json["removed"], 1);
    assert_eq!(json["freed_bytes"], 1000);
    assert_eq!(json["temp_files_removed"], 1);
    assert_eq!(json["entries"], 2);
    assert_eq!(json["bytes"], 2000);
    assert!(!oldest.exists() && !stale_temp.exists());
    assert!(middle.exists() && newest.exists());

    // Within the bound already: nothing to do.
    let text = run(&env, &["cache", "prune", "--max-size", "1MiB"], &dir)
        .ok()
        .stdout;
    assert!(text.contains("removed 0 blobs"), "{text}");
    Ok(())
}

#[test]
fn clear_removes_every_blob() -> TestResult {
    let env = Env::new();
    let dir = env.path("cache");
    for i in 0..5 {
        blob(&dir, i, 100, hours(1));
    }
    let json = run(&env, &["cache", "clear", "--json"], &dir).ok().json();
    assert_eq!(json["removed"], 5);
    assert_eq!(json["entries"], 0);
    let json = run(&env, &["cache", "stats", "--json"], &dir).ok().json();
    assert_eq!(json["entries"], 0);
    Ok(())
}

#[test]
fn a_size_that_does_not_parse_is_a_usage_error() {
    let env = Env::new();
    let dir = env.path("cache");
    let run = run(&env, &["cache", "prune", "--max-size", "12 parsecs"], &dir).expect_code(2);
    assert!(run.stderr.contains("unknown unit"), "{}", run.stderr);
}

#[test]
fn the_location_falls_back_to_xdg_cache_home_then_home() {
    let env = Env::new();
    let xdg = env.path("xdg");
    let home = env.path("home");
    let json = env
        .run_bare(
            &["cache", "stats", "--json"],
            &[
                ("STENCIL_CACHE_DIR", ""),
                ("XDG_CACHE_HOME", xdg.to_str().unwrap()),
                ("HOME", home.to_str().unwrap()),
            ],
        )
        .ok()
        .json();
    assert_eq!(json["dir"], xdg.join("stencil").display().to_string());
    let json = env
        .run_bare(
            &["cache", "stats", "--json"],
            &[
                ("STENCIL_CACHE_DIR", ""),
                ("XDG_CACHE_HOME", ""),
                ("HOME", home.to_str().unwrap()),
            ],
        )
        .ok()
        .json();
    assert_eq!(
        json["dir"],
        home.join(".cache").join("stencil").display().to_string()
    );
}

#[test]
fn two_processes_pruning_one_directory_remove_each_blob_once() -> TestResult {
    let env = Env::new();
    let dir = env.path("cache");
    for i in 0..300 {
        blob(&dir, i, 100, Duration::from_secs(10 + i as u64));
    }
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_stencil"))
                .args(["cache", "prune", "--max-size", "5000", "--json"])
                .env("STENCIL_CACHE_DIR", &dir)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    let mut removed = 0;
    for child in children {
        let out = child.wait_with_output()?;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        removed += json["removed"].as_u64().ok_or("removed")?;
    }
    // 50 newest kept; the other 250 removed once between the two.
    assert_eq!(removed, 250);
    let json = run(&env, &["cache", "stats", "--json"], &dir).ok().json();
    assert_eq!(json["entries"], 50);
    assert_eq!(json["bytes"], 5000);
    Ok(())
}

#[test]
fn a_cache_directory_that_cannot_be_made_is_one_error() -> TestResult {
    let env = Env::new();
    let file = env.write("a-file", "x");
    let dir = file.join("cache");
    let run = run(&env, &["cache", "stats", "--json"], &dir).expect_code(1);
    let doc = run.json();
    let message = doc["error"]["message"].as_str().ok_or("message")?;
    assert!(message.contains("a-file"), "{message}");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let run = run_text(&env, &dir);
    run.fails_with(&["cache", "a-file"]);
    Ok(())
}

fn run_text(env: &Env, dir: &Path) -> crate::common::Run {
    run(env, &["cache", "clear"], dir)
}

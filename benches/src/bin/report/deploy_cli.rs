//! Whole processes: `stencil deploy` of a template of 10 and of 10,000
//! files of 1 KiB (50 per directory) into a fresh directory, against
//! `cp -r` of the same rendered tree — what a user would otherwise run.
//! Interleaved, one sample of each per round, medians; nothing is deleted
//! until the end (this file system slows down after mass deletes).
//!
//! Needs the `stencil` binary: `STENCIL_BIN`, else the one next to this
//! report binary (`cargo build --release -p stencil-cli` first); without it
//! the rows say so instead of a figure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use stencil_benches::quick::{Figure, Row};

/// Files per directory in the whole-process corpus (issue 16's shape).
const PER_DIR: usize = 50;

fn stencil_bin() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("STENCIL_BIN") {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    let sibling = exe.parent()?.join("stencil");
    sibling.is_file().then_some(sibling)
}

/// `dir/.claude/skills/s<k>/f<i>.md`, 1 KiB each, no placeholders: what the
/// deploy renders is byte-identical to the source, so `cp -r` of the
/// source's `.claude` is the same output.
fn write_tree(dir: &Path, files: usize) {
    for i in 0..files {
        let path = dir.join(format!(".claude/skills/s{}/f{i}.md", i / PER_DIR));
        let mut bytes = format!("# file {i}\n").into_bytes();
        bytes.resize(1024, b'x');
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create directory");
        }
        std::fs::write(path, bytes).expect("write file");
    }
}

fn run(cmd: &mut Command) {
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn time(cmd: &mut Command) -> Duration {
    let s = Instant::now();
    run(cmd);
    s.elapsed()
}

pub fn rows(quick: bool, rows: &mut Vec<Row>) {
    let name = |files: usize| {
        format!(
            "whole process: `stencil deploy` of {files} files of 1 KiB ({PER_DIR} per directory) into a new directory"
        )
    };
    let Some(bin) = stencil_bin() else {
        for files in [10, 10_000] {
            rows.push(
                Row::new(name(files), Figure::new(f64::NAN, "ns", "not measured")).unmeasured(
                    "`cp -r` of the rendered tree",
                    "no stencil binary: set STENCIL_BIN or `cargo build --release -p stencil-cli`",
                ),
            );
        }
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut n = 0usize;
    for (files, rounds) in [
        (10usize, if quick { 21 } else { 61 }),
        (10_000, if quick { 5 } else { 11 }),
    ] {
        let source = dir.path().join(format!("source-{files}"));
        write_tree(&source, files);
        let catalog = dir.path().join(format!("catalog-{files}.db"));
        let stencil = || {
            let mut c = Command::new(&bin);
            c.arg("--catalog").arg(&catalog);
            c
        };
        run(stencil()
            .arg("import")
            .arg(&source)
            .args(["--collection", "big"]));
        run(stencil().args(["template", "create", "big", "--collection", "big"]));
        let mut t: [Vec<Duration>; 2] = Default::default();
        for _ in 0..rounds {
            n += 1;
            let target = dir.path().join(format!("deploy-{n}"));
            t[0].push(time(
                stencil()
                    .arg("deploy")
                    .arg("big")
                    .arg(&target)
                    .args(["--var", "PROJECT_NAME=bench"]),
            ));
            let copy = dir.path().join(format!("cp-{n}"));
            t[1].push(time(
                Command::new("cp")
                    .arg("-r")
                    .arg(source.join(".claude"))
                    .arg(&copy),
            ));
            if n == 1 || files == 10_000 && t[0].len() == 1 {
                // The same output, once per size.
                let count = walk_files(&target.join(".claude"));
                assert_eq!(count, files, "stencil deployed {count} files");
            }
        }
        let med = |v: &mut Vec<Duration>| {
            v.sort();
            v[v.len() / 2]
        };
        let [ours, cp] = t.each_mut().map(med);
        let row = Row::new(
            format!("{}, {rounds} interleaved rounds", name(files)),
            Figure::p50(ours),
        )
        .against("`cp -r` of the rendered tree", Figure::time(cp));
        rows.push(if files == 10 {
            row.target("≤ cp + 3 ms", ours <= cp + Duration::from_millis(3))
        } else {
            row.target("no slower than cp (ratio ≥ 1.0)", ours <= cp)
        });
    }
}

fn walk_files(dir: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            n += walk_files(&path);
        } else {
            n += 1;
        }
    }
    n
}

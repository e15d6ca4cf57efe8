//! Two deploys into one root at once, from two threads and from two
//! processes: the lock serializes them, and each report is correct.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use stencil_deploy::{
    DeployEvent, DeployOptions, DeployPlan, DeployReport, Durability, OverwritePolicy, deploy,
};

const FILES: usize = 200;

fn plan(root: &Path, tag: &str) -> DeployPlan {
    spread_plan(root, FILES, 20, tag)
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// Deploy with an observer that records when planning started and when the
/// commit happened, as `(tag, start, end)`.
fn timed_deploy(
    root: &Path,
    tag: &'static str,
    spans: Arc<Mutex<Vec<(String, u128, u128)>>>,
) -> DeployReport {
    let start = Arc::new(Mutex::new(0u128));
    let start2 = Arc::clone(&start);
    let spans2 = Arc::clone(&spans);
    let options = DeployOptions::new()
        .overwrite(OverwritePolicy::Overwrite)
        .durability(Durability::None)
        .observer(move |e: &DeployEvent<'_>| match e {
            DeployEvent::Planned { .. } => *start2.lock().unwrap() = now_ns(),
            DeployEvent::Committed => {
                let begun = *start2.lock().unwrap();
                spans2
                    .lock()
                    .unwrap()
                    .push((tag.to_owned(), begun, now_ns()));
            }
            _ => {}
        });
    deploy(&plan(root, tag), &options).unwrap()
}

/// One report wrote everything, the other overwrote everything, and the tree
/// is entirely the second one's.
fn check(root: &Path, reports: &[(String, usize, usize)], spans: &[(String, u128, u128)]) {
    assert_eq!(spans.len(), 2);
    let (first, second) = if spans[0].1 < spans[1].1 {
        (&spans[0], &spans[1])
    } else {
        (&spans[1], &spans[0])
    };
    assert!(first.2 <= second.1, "the deploys overlapped: {spans:?}");
    let by_tag = |tag: &str| reports.iter().find(|r| r.0 == tag).unwrap();
    assert_eq!(
        (by_tag(&first.0).1, by_tag(&first.0).2),
        (FILES, 0),
        "{reports:?}"
    );
    assert_eq!(
        (by_tag(&second.0).1, by_tag(&second.0).2),
        (0, FILES),
        "{reports:?}"
    );
    let want = expected_after(&Default::default(), &plan(root, &second.0), true);
    assert_eq!(snapshot(root), want);
}

#[test]
fn two_threads_are_serialized() {
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let spans = Arc::new(Mutex::new(Vec::new()));
        let reports: Vec<(String, usize, usize)> = std::thread::scope(|s| {
            let handles: Vec<_> = ["alpha", "beta"]
                .into_iter()
                .map(|tag| {
                    let (root, spans) = (&root, Arc::clone(&spans));
                    s.spawn(move || {
                        let r = timed_deploy(root, tag, spans);
                        (tag.to_owned(), r.written.len(), r.overwritten.len())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        check(&root, &reports, &spans.lock().unwrap());
    }
}

/// Not a test: the body of each child process.
#[test]
#[ignore = "run by two_processes_are_serialized as a child process"]
fn concurrency_child() {
    let (Ok(root), Ok(tag)) = (
        std::env::var("STENCIL_CONC_ROOT"),
        std::env::var("STENCIL_CONC_TAG"),
    ) else {
        return;
    };
    let tag: &'static str = if tag == "alpha" { "alpha" } else { "beta" };
    let spans = Arc::new(Mutex::new(Vec::new()));
    let report = timed_deploy(Path::new(&root), tag, Arc::clone(&spans));
    let (_, start, end) = spans.lock().unwrap()[0].clone();
    println!(
        "RESULT {tag} {} {} {start} {end}",
        report.written.len(),
        report.overwritten.len()
    );
}

#[test]
fn two_processes_are_serialized() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let children: Vec<_> = ["alpha", "beta"]
        .into_iter()
        .map(|tag| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "concurrency_child",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("STENCIL_CONC_ROOT", &root)
                .env("STENCIL_CONC_TAG", tag)
                .stderr(std::process::Stdio::null())
                .output_async()
        })
        .collect();
    let mut reports = Vec::new();
    let mut spans = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        // The harness may print on the same line before our output.
        let at = text.find("RESULT ").unwrap();
        let line = text[at..].lines().next().unwrap();
        let f: Vec<&str> = line.split(' ').collect();
        reports.push((
            f[1].to_owned(),
            f[2].parse().unwrap(),
            f[3].parse().unwrap(),
        ));
        spans.push((
            f[1].to_owned(),
            f[4].parse().unwrap(),
            f[5].parse().unwrap(),
        ));
    }
    check(&root, &reports, &spans);
}

trait SpawnOutput {
    fn output_async(&mut self) -> std::process::Child;
}

impl SpawnOutput for Command {
    fn output_async(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped()).spawn().unwrap()
    }
}

//! A child process deploying a few hundred files — writing, replacing,
//! removing, and replacing a record in the state directory — is killed
//! with SIGKILL at a random moment; `recover` must then leave exactly the old tree or
//! exactly the new one, with no litter.
//!
//! The child is this very test binary, re-run with `--exact crash_child
//! --ignored` and the root in `STENCIL_CRASH_ROOT`.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use stencil_deploy::{
    DeployEvent, DeployOptions, DeployPlan, Durability, Expect, OverwritePolicy, RelPath, deploy,
    recover,
};

const FILES: usize = 200;
const READY: &str = "STENCIL-CRASH-READY";
const PLACING: &str = "STENCIL-CRASH-PLACING";

/// Files the deploy removes, and the state-directory record it replaces:
/// removals and state entries must survive a kill exactly like writes.
const REMOVED: usize = 20;

fn new_plan(root: &Path) -> DeployPlan {
    let mut plan = spread_plan(root, FILES, 20, "new");
    for i in 0..REMOVED {
        plan.remove(
            RelPath::new(&format!("gone/g{i}.md")).unwrap(),
            format!("to remove {i}"),
        )
        .unwrap();
    }
    plan.add_expecting(
        RelPath::in_state_dir("deployments/t.json").unwrap(),
        "record new\n",
        None,
        Expect::Content(b"record old\n".to_vec()),
    )
    .unwrap();
    plan
}

/// Every fifth planned file exists with old content; so do a few others.
fn old_tree(root: &Path) {
    for i in (0..FILES).step_by(5) {
        write(
            root,
            &format!("d{}/sub{}/f{i}.md", i / 20, i / 80),
            &format!("old {i}"),
        );
    }
    write(root, "unrelated/keep.md", "keep");
    for i in 0..REMOVED {
        write(root, &format!("gone/g{i}.md"), &format!("to remove {i}"));
    }
    write(root, ".stencil/deployments/t.json", "record old\n");
}

fn durability(trial: u64) -> Durability {
    if trial % 5 == 4 {
        Durability::Batch
    } else {
        Durability::None
    }
}

/// Not a test: the body of the child process.
#[test]
#[ignore = "run by the crash tests as a child process"]
fn crash_child() {
    let (Ok(root), Ok(trial)) = (
        std::env::var("STENCIL_CRASH_ROOT"),
        std::env::var("STENCIL_CRASH_TRIAL"),
    ) else {
        return;
    };
    let trial: u64 = trial.parse().unwrap();
    let plan = new_plan(Path::new(&root));
    let options = DeployOptions::new()
        .overwrite(OverwritePolicy::Overwrite)
        .durability(durability(trial))
        .observer(|event: &DeployEvent<'_>| {
            if let DeployEvent::Placed { done: 1, .. } = event {
                println!("{PLACING}");
            }
        });
    println!("{READY}");
    deploy(&plan, &options).unwrap();
}

/// A small deterministic generator: reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Spawn the child on `root`; return it once it is about to deploy, with a
/// channel that reports when it starts placing files.
fn spawn(root: &Path, trial: u64) -> (std::process::Child, mpsc::Receiver<Instant>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("STENCIL_CRASH_ROOT", root)
        .env("STENCIL_CRASH_TRIAL", trial.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains(READY) => break,
            Some(Ok(_)) => continue,
            other => panic!("child ended before deploying: {other:?}"),
        }
    }
    // Keep draining so the child never blocks on a full pipe.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if line.contains(PLACING) {
                let _ = tx.send(Instant::now());
            }
        }
    });
    (child, rx)
}

#[derive(Debug, Default)]
struct Tally {
    old: usize,
    new: usize,
    rolled_back: usize,
    cleaned_after_commit: usize,
}

/// Trials run on a few threads at once: most of a trial is waiting (for the
/// child to start, for the moment to kill it), so this keeps the run short.
const PARALLEL: u64 = 3;

fn run_trials(trials: u64) -> Tally {
    let seed = std::env::var("STENCIL_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash seed {seed} (set STENCIL_CRASH_SEED to replay)");
    let dir = tempfile::tempdir().unwrap();

    // Calibrate: how long does an uninterrupted child take from "ready"?
    let calib = dir.path().join("calibrate");
    old_tree(&calib);
    let started = Instant::now();
    let (mut child, placing) = spawn(&calib, 0);
    assert!(child.wait().unwrap().success());
    let ended = Instant::now();
    let window = (ended - started).mul_f64(1.2).max(Duration::from_millis(2));
    // Placing is short next to staging; half the kills aim at it.
    let placing = placing.recv().unwrap_or(started);
    let place_window = (ended - placing).mul_f64(1.2).max(Duration::from_millis(1));
    eprintln!("kill windows: {window:?} from start, {place_window:?} from the first placement");

    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..PARALLEL)
            .map(|lane| {
                let dir = dir.path();
                s.spawn(move || {
                    let mut rng =
                        Rng(seed.wrapping_add(lane.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1);
                    let mut tally = Tally::default();
                    for trial in (lane..trials).step_by(PARALLEL as usize) {
                        let fraction = (rng.next() % 10_000) as f64 / 10_000.0;
                        trial_once(dir, seed, trial, fraction, window, place_window, &mut tally);
                    }
                    tally
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut tally = Tally::default();
    for t in tallies {
        tally.old += t.old;
        tally.new += t.new;
        tally.rolled_back += t.rolled_back;
        tally.cleaned_after_commit += t.cleaned_after_commit;
    }
    eprintln!("{trials} trials: {tally:?}");
    tally
}

fn trial_once(
    dir: &Path,
    seed: u64,
    trial: u64,
    fraction: f64,
    window: Duration,
    place_window: Duration,
    tally: &mut Tally,
) {
    let root = dir.join(trial.to_string());
    old_tree(&root);
    let before = snapshot(&root);
    let after = expected_after(&before, &new_plan(&root), true);

    let (mut child, placing) = spawn(&root, trial);
    let delay = if trial.is_multiple_of(2) {
        window.mul_f64(fraction)
    } else {
        // Wait for the first placement (or the child's exit).
        let _ = placing.recv_timeout(Duration::from_secs(10));
        place_window.mul_f64(fraction)
    };
    std::thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let report = recover(&root).unwrap();
    let now = snapshot(&root);
    let label = format!("seed {seed} trial {trial} after {delay:?}: {report:?}");
    if now == before {
        tally.old += 1;
    } else if now == after {
        tally.new += 1;
    } else {
        let diff: Vec<_> = now
            .keys()
            .chain(after.keys())
            .filter(|k| now.get(*k) != after.get(*k) && now.get(*k) != before.get(*k))
            .take(5)
            .collect();
        panic!("{label}: neither the old nor the new tree; differs at {diff:?}");
    }
    if report.rolled_back {
        tally.rolled_back += 1;
    } else if report.staging_removed && now == after {
        tally.cleaned_after_commit += 1;
    }
    // The recovery is complete: nothing is left to recover.
    assert!(recover(&root).unwrap().is_clean(), "{label}");
}

#[test]
fn sigkill_at_a_random_moment_then_recover_gives_the_old_or_the_new_tree() {
    let tally = run_trials(52);
    assert_eq!(tally.old + tally.new, 52);
    // The kills must land inside the protocol, not only before or after it.
    assert!(
        tally.rolled_back > 0,
        "no kill landed mid-deploy: {tally:?}"
    );
}

#[test]
#[ignore = "long: 500 kills; run by hand"]
fn sigkill_many_trials() {
    let tally = run_trials(500);
    assert!(tally.rolled_back > 0, "{tally:?}");
}

//! Deploy: 10, 1,000 and 10,000 files of 1 KiB, naive direct writes (the
//! floor) vs the original's temp-dir-then-copy vs `deploy` (durability None
//! and Batch). 10,000 files run few rounds, to stay within a few minutes.
//!
//! This file system drifts during a run (creating files is ~30× slower for
//! minutes after a mass delete), so the variants are measured interleaved,
//! one sample each per round, and nothing is deleted until the end.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use stencil::deploy::{DeployOptions, Durability, OverwritePolicy, deploy};
use stencil_benches::deploy_data::{corpus, naive, plan, tempcopy};
use stencil_benches::quick::{Figure, Row};

pub fn rows(_budget: Duration, quick: bool, rows: &mut Vec<Row>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut n = 0usize;
    let mut fresh = |kind: &str| -> PathBuf {
        n += 1;
        dir.path().join(format!("{kind}-{n}"))
    };
    for (files, rounds) in [
        (10usize, if quick { 21 } else { 101 }),
        (1_000, if quick { 5 } else { 15 }),
        (10_000, if quick { 3 } else { 5 }),
    ] {
        let corpus = corpus(files);
        let mut t: [Vec<Duration>; 4] = Default::default();
        for _ in 0..rounds {
            let root = fresh("naive");
            let s = Instant::now();
            naive(&root, &corpus);
            t[0].push(s.elapsed());

            let (temp, root) = (fresh("tmp"), fresh("tempcopy"));
            let s = Instant::now();
            tempcopy(&temp, &root, &corpus);
            t[1].push(s.elapsed());

            for (i, durability) in [(2, Durability::None), (3, Durability::Batch)] {
                let p = plan(&fresh("deploy"), &corpus);
                let options = DeployOptions::new()
                    .overwrite(OverwritePolicy::Fail)
                    .durability(durability);
                let s = Instant::now();
                let report = deploy(&p, &options).expect("deploy");
                t[i].push(s.elapsed());
                assert_eq!(report.written.len(), files);
            }
        }
        let med = |v: &mut Vec<Duration>| {
            v.sort();
            v[v.len() / 2]
        };
        let [naive_t, temp_t, none_t, batch_t] = t.each_mut().map(med);
        for (label, d) in [("None", none_t), ("Batch", batch_t)] {
            let row = Row::new(
                format!(
                    "deploy {files} files of 1 KiB (durability {label}), {rounds} interleaved rounds"
                ),
                Figure::p50(d),
            )
            .against(
                "naive direct writes (floor, no safety)",
                Figure::time(naive_t),
            );
            rows.push(match files {
                10 => row.target("p50 ≤ 3 ms", d <= Duration::from_millis(3)),
                10_000 if label == "None" => row.target("≥ 1.0× naive direct writes", d <= naive_t),
                _ => row,
            });
            rows.push(
                Row::new(
                    format!("deploy {files} files (durability {label}) — vs the original"),
                    Figure::p50(d),
                )
                .against("temp dir then copy", Figure::time(temp_t)),
            );
        }
    }
}

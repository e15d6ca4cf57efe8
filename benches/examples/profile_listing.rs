//! The store report's listing page (50 rows with tags and collection counts)
//! on a catalogue file built once, for counting instructions with callgrind
//! and for quick interleaved wall-clock comparisons with the N+1 baseline:
//!
//! ```sh
//! cargo build --release -p stencil-benches --example profile_listing
//! target/release/examples/profile_listing build /tmp/listing-1k.db 1000
//! target/release/examples/profile_listing time /tmp/listing-1k.db
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*list_artifacts*' \
//!     target/release/examples/profile_listing page /tmp/listing-1k.db 200
//! ```
//!
//! `build PATH N`: the report's catalogue of N artifacts (N / 100
//! collections, at least 10). `page PATH ITERS`: that many first pages
//! (count two runs, e.g. 100 and 1,100 pages, and take the difference: the
//! toggle above misses part of a page). `n1 PATH ITERS`: that many N+1
//! baselines. `time PATH`: p50 wall-clock of both, interleaved in 21 rounds,
//! and their ratio; `cpu PATH`: the same in on-CPU time
//! (`/proc/thread-self/schedstat`), steadier on a loaded machine. `show
//! PATH N`: the first N items of the page. `plan PATH` and `run PATH
//! ITERS`: the bundled SQLite's plan of the statement on stdin, and that
//! statement run ITERS times reading every column of up to `CAP` rows
//! (default 102).
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use stencil::store::{ArtifactQuery, Catalog};
use stencil_benches::store_data::{self, PAGE, n_plus_one};

fn open(path: &Path) -> Catalog {
    Catalog::builder()
        .cache_ttl(Duration::from_secs(3600))
        .open(path)
        .expect("open the catalogue")
}

fn per_call(iters: u32, mut f: impl FnMut()) -> Duration {
    let t = Instant::now();
    for _ in 0..iters {
        f();
    }
    t.elapsed() / iters
}

/// This thread's time on a CPU so far (`/proc/thread-self/schedstat`), so
/// that comparisons on a loaded machine leave out the time others ran.
fn on_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    let ns = stat
        .split(' ')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("a number");
    Duration::from_nanos(ns)
}

fn cpu_per_call(iters: u32, mut f: impl FnMut()) -> Duration {
    let t = on_cpu();
    for _ in 0..iters {
        f();
    }
    (on_cpu() - t) / iters
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (cmd, path) = match &args[..] {
        [_, cmd, path, ..] => (cmd.as_str(), Path::new(path)),
        _ => panic!("usage: profile_listing build|page|n1|time PATH [N]"),
    };
    let n: usize = args.get(3).map_or(200, |s| s.parse().expect("a number"));
    let first = ArtifactQuery::new().limit(PAGE as u32);
    match cmd {
        "build" => {
            let _ = std::fs::remove_file(path);
            store_data::build(path, n, (n / 100).max(10));
        }
        "page" => {
            let catalog = open(path);
            for _ in 0..n {
                black_box(catalog.list_artifacts(&first).expect("page"));
            }
        }
        "show" => {
            let page = open(path).list_artifacts(&first).expect("page");
            println!(
                "{} items, more: {}",
                page.items.len(),
                page.next_cursor.is_some()
            );
            for item in page.items.iter().take(n) {
                println!("{item:?}");
            }
        }
        "plan" => {
            // EXPLAIN QUERY PLAN of the statement on stdin, by the bundled SQLite.
            let sql = std::io::read_to_string(std::io::stdin()).expect("stdin");
            let raw = store_data::raw(path);
            rusqlite::vtab::array::load_module(&raw).expect("rarray");
            let mut stmt = raw
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .expect("prepare");
            let mut rows = stmt.raw_query();
            while let Some(r) = rows.next().expect("row") {
                let detail: String = r.get(3).expect("detail");
                println!("{detail}");
            }
        }
        "run" => {
            // The statement on stdin, N times, every column of every row
            // read by reference: the SQLite side of a page alone.
            let sql = std::io::read_to_string(std::io::stdin()).expect("stdin");
            let raw = store_data::raw(path);
            rusqlite::vtab::array::load_module(&raw).expect("rarray");
            let mut stmt = raw.prepare_cached(&sql).expect("prepare");
            let cols = stmt.column_count();
            let cap: usize = std::env::var("CAP").map_or(102, |s| s.parse().expect("CAP"));
            let t = Instant::now();
            let mut total = 0usize;
            for _ in 0..n {
                let mut rows = stmt.raw_query();
                let mut seen = 0;
                while let Some(r) = rows.next().expect("row") {
                    for c in 0..cols {
                        total += match r.get_ref(c).expect("column") {
                            rusqlite::types::ValueRef::Text(t) => t.len(),
                            _ => 1,
                        };
                    }
                    seen += 1;
                    if seen == cap {
                        break;
                    }
                }
            }
            println!("{:?} per run, {total}", t.elapsed() / n as u32);
        }
        "n1" => {
            let raw = store_data::raw(path);
            for _ in 0..n {
                black_box(n_plus_one(&raw, 0));
            }
        }
        "cpu" => {
            let catalog = open(path);
            let raw = store_data::raw(path);
            let (mut page, mut n1) = (Vec::new(), Vec::new());
            for _ in 0..31 {
                page.push(cpu_per_call(400, || {
                    black_box(catalog.list_artifacts(&first).expect("page"));
                }));
                n1.push(cpu_per_call(40, || {
                    black_box(n_plus_one(&raw, 0));
                }));
            }
            page.sort();
            n1.sort();
            let (p, b) = (page[15], n1[15]);
            println!(
                "on-CPU page p50 {p:?}  n+1 p50 {b:?}  ratio {:.2}",
                b.as_secs_f64() / p.as_secs_f64()
            );
        }
        "time" => {
            let catalog = open(path);
            let raw = store_data::raw(path);
            let (mut page, mut n1) = (Vec::new(), Vec::new());
            for _ in 0..21 {
                page.push(per_call(200, || {
                    black_box(catalog.list_artifacts(&first).expect("page"));
                }));
                n1.push(per_call(20, || {
                    black_box(n_plus_one(&raw, 0));
                }));
            }
            page.sort();
            n1.sort();
            let (p, b) = (page[10], n1[10]);
            println!(
                "page p50 {p:?}  n+1 p50 {b:?}  ratio {:.2}",
                b.as_secs_f64() / p.as_secs_f64()
            );
        }
        _ => panic!("unknown command {cmd}"),
    }
}

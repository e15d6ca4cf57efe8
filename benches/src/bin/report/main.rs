//! One command that measures stencil against its baselines and peers and
//! prints one Markdown table: each measurement, its baseline, the ratio, and
//! the target with pass/short.
//!
//! Run: `cargo run --release -p stencil-benches --bin report`
//!
//! A quick, bounded version of every criterion group (a few minutes on 2
//! cores). `--quick` shortens each measurement further (used by CI smoke
//! runs). For the full suite, run `cargo bench -p stencil-benches`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use stencil::render::{RenderOptions, Renderer, VariableSpec};
use stencil_benches::peers::{Compiled, Peer};
use stencil_benches::quick::{Row, fmt_duration, markdown_table, median};
use stencil_benches::render_corpus::{
    AcReplaceAll, RegexLoop, VARIABLES, claude_tree, code, markdown,
};

mod deploy;
mod e2e;
mod import;
mod store;

/// Decimal gigabytes per second, the unit the targets are written in.
fn gb_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e9
}

/// Ratio of baseline time to stencil time.
fn ratio(baseline: Duration, stencil: Duration) -> f64 {
    baseline.as_secs_f64() / stencil.as_secs_f64()
}

fn render_rows(budget: Duration, rows: &mut Vec<Row>) {
    let vars = VariableSpec::open().validate(VARIABLES).expect("valid");
    let stencil = Renderer::new(&vars, RenderOptions::default()).expect("builds");
    let regex = RegexLoop::new(&VARIABLES);
    let ac = AcReplaceAll::new(&VARIABLES);
    let peer_vars: BTreeMap<&str, &str> = VARIABLES.into_iter().collect();

    struct Corpus {
        label: &'static str,
        files: Vec<(String, Vec<u8>)>,
        target_gbs: Option<f64>,
        target_regex: Option<f64>,
    }
    let one = |n: &str, b| vec![(n.to_string(), b)];
    let corpora = [
        Corpus {
            label: "render (a) 64 KiB Markdown, 200 placeholders",
            files: one("a.md", markdown(64 * 1024, 200)),
            target_gbs: Some(6.0),
            target_regex: Some(20.0),
        },
        Corpus {
            label: "render (b) 1 MiB Markdown, 20 placeholders",
            files: one("b.md", markdown(1024 * 1024, 20)),
            target_gbs: Some(24.0),
            target_regex: None,
        },
        Corpus {
            label: "render (c) 64 KiB brace-heavy Rust/JSON",
            files: one("c.rs", code(64 * 1024)),
            target_gbs: Some(5.0),
            target_regex: None,
        },
        Corpus {
            label: "render `.claude/` tree + Actions workflow (14 files)",
            files: claude_tree(),
            target_gbs: None,
            target_regex: None,
        },
    ];
    for c in &corpora {
        let bytes: usize = c.files.iter().map(|(_, b)| b.len()).sum();
        let t_stencil = median(budget, || {
            for (p, b) in &c.files {
                black_box(stencil.render(p, black_box(b)).expect("renders"));
            }
        });
        let mut buf = Vec::with_capacity(bytes);
        let t_memcpy = median(budget, || {
            buf.clear();
            for (_, b) in &c.files {
                buf.extend_from_slice(black_box(b));
            }
            black_box(&buf);
        });
        let t_regex = median(budget, || {
            for (_, b) in &c.files {
                black_box(regex.render(black_box(b)));
            }
        });
        let t_ac = median(budget, || {
            buf.clear();
            for (_, b) in &c.files {
                ac.render_into(black_box(b), &mut buf);
            }
            black_box(&buf);
        });
        let gbs = gb_per_s(bytes, t_stencil);
        let stencil_fig = format!("{} ({gbs:.2} GB/s)", fmt_duration(t_stencil));
        let r_regex = ratio(t_regex, t_stencil);
        let (target, pass) = match (c.target_gbs, c.target_regex) {
            (Some(g), Some(x)) => (
                format!("≥ {g} GB/s and ≥ {x}× regex"),
                Some(gbs >= g && r_regex >= x),
            ),
            (Some(g), None) => (format!("≥ {g} GB/s"), Some(gbs >= g)),
            _ => ("—".to_string(), None),
        };
        rows.push(Row {
            measurement: c.label.to_string(),
            stencil: stencil_fig.clone(),
            baseline: format!("original regex loop: {}", fmt_duration(t_regex)),
            ratio: Some(r_regex),
            target,
            pass,
        });
        rows.push(Row {
            measurement: format!("{} — vs physical limit", c.label),
            stencil: stencil_fig.clone(),
            baseline: format!(
                "memcpy: {} ({:.2} GB/s)",
                fmt_duration(t_memcpy),
                gb_per_s(bytes, t_memcpy)
            ),
            ratio: Some(ratio(t_memcpy, t_stencil)),
            target: "—".into(),
            pass: None,
        });
        rows.push(Row {
            measurement: format!("{} — vs alternative design", c.label),
            stencil: stencil_fig.clone(),
            baseline: format!("AhoCorasick::replace_all: {}", fmt_duration(t_ac)),
            ratio: Some(ratio(t_ac, t_stencil)),
            target: "—".into(),
            pass: None,
        });
        for peer in Peer::ALL {
            let sources: Vec<&str> = c
                .files
                .iter()
                .map(|(_, b)| std::str::from_utf8(b).expect("UTF-8 corpora"))
                .collect();
            let verdict = c.files.iter().zip(&sources).try_for_each(|((p, b), s)| {
                let want = stencil.render(p, b).expect("renders");
                peer.check(s, &peer_vars, &want)
            });
            match verdict {
                Err(reason) => rows.push(Row {
                    measurement: format!("{} — vs {}", c.label, peer.name()),
                    stencil: stencil_fig.clone(),
                    baseline: format!(
                        "{}: cannot render this corpus ({})",
                        peer.name(),
                        first_line(&reason)
                    ),
                    ratio: None,
                    target: "—".into(),
                    pass: None,
                }),
                Ok(()) => {
                    let compiled: Vec<Compiled<'_>> = sources
                        .iter()
                        .map(|s| Compiled::new(peer, s).expect("checked"))
                        .collect();
                    let t_pre = median(budget, || {
                        for t in &compiled {
                            black_box(t.render(&peer_vars).expect("checked"));
                        }
                    });
                    let t_once = median(budget, || {
                        for s in &sources {
                            black_box(peer.render_once(s, &peer_vars).expect("checked"));
                        }
                    });
                    rows.push(Row {
                        measurement: format!("{} — vs {} precompiled", c.label, peer.name()),
                        stencil: stencil_fig.clone(),
                        baseline: format!("{}: {}", peer.name(), fmt_duration(t_pre)),
                        ratio: Some(ratio(t_pre, t_stencil)),
                        target: "—".into(),
                        pass: None,
                    });
                    rows.push(Row {
                        measurement: format!(
                            "{} — vs {} one-shot (parse + render)",
                            c.label,
                            peer.name()
                        ),
                        stencil: stencil_fig.clone(),
                        baseline: format!("{}: {}", peer.name(), fmt_duration(t_once)),
                        ratio: Some(ratio(t_once, t_stencil)),
                        target: "—".into(),
                        pass: None,
                    });
                }
            }
        }
    }

    // One-shot: build a renderer and render one 64 KiB file.
    let input = markdown(64 * 1024, 200);
    let t_one = median(budget, || {
        let v = VariableSpec::open().validate(VARIABLES).expect("valid");
        let r = Renderer::new(&v, RenderOptions::default()).expect("builds");
        black_box(r.render("a.md", black_box(&input)).expect("renders").len());
    });
    let t_regex_one = median(budget, || {
        black_box(RegexLoop::new(&VARIABLES).render(black_box(&input)));
    });
    rows.push(Row {
        measurement: "render one-shot: build renderer + render 64 KiB".into(),
        stencil: fmt_duration(t_one),
        baseline: format!(
            "original: compile regexes + render: {}",
            fmt_duration(t_regex_one)
        ),
        ratio: Some(ratio(t_regex_one, t_one)),
        target: "≤ 25 µs".into(),
        pass: Some(t_one <= Duration::from_micros(25)),
    });

    // Growth: throughput from 4 KiB to 16 MiB should stay flat (cost linear
    // in bytes).
    let mut figures = Vec::new();
    for kib in [4usize, 64, 1024, 16 * 1024] {
        let input = markdown(kib * 1024, kib * 3);
        let mut out = Vec::with_capacity(input.len() * 2);
        let t = median(budget, || {
            out.clear();
            stencil
                .render_into("g", black_box(&input), &mut out)
                .expect("renders");
            black_box(&out);
        });
        figures.push((kib, gb_per_s(input.len(), t)));
    }
    let (lo, hi) = figures.iter().fold((f64::MAX, 0f64), |(lo, hi), (_, g)| {
        (lo.min(*g), hi.max(*g))
    });
    rows.push(Row {
        measurement: "render growth, 4 KiB → 64 KiB → 1 MiB → 16 MiB".into(),
        stencil: figures
            .iter()
            .map(|(_, g)| format!("{g:.2}"))
            .collect::<Vec<_>>()
            .join(" → ")
            + " GB/s",
        baseline: "4 KiB throughput".into(),
        ratio: Some(lo / figures[0].1),
        target: "linear in bytes: throughput within 2× across sizes".into(),
        pass: Some(hi / lo <= 2.0),
    });
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default();
    let mut short: String = line.chars().take(90).collect();
    if line.chars().count() > 90 {
        short.push('…');
    }
    short.replace('|', "\\|")
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let budget = if quick {
        Duration::from_millis(60)
    } else {
        Duration::from_millis(600)
    };
    let started = Instant::now();
    let mut rows = Vec::new();
    eprintln!("measuring render…");
    render_rows(budget, &mut rows);
    eprintln!("measuring the end-to-end deploy…");
    e2e::rows(budget, &mut rows);
    eprintln!("measuring the catalogue (builds 1k and 100k artifacts)…");
    store::rows(budget, quick, &mut rows);
    eprintln!("measuring tree import…");
    import::rows(quick, &mut rows);
    eprintln!("measuring deploy…");
    deploy::rows(budget, quick, &mut rows);
    println!("{}", markdown_table(&rows));
    let short = rows.iter().filter(|r| r.pass == Some(false)).count();
    let pass = rows.iter().filter(|r| r.pass == Some(true)).count();
    println!(
        "{pass} targets met, {short} short; measured in {:.0} s ({} mode).",
        started.elapsed().as_secs_f64(),
        if quick { "--quick" } else { "default" }
    );
}

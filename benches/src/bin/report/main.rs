//! One command that measures stencil against its baselines and peers and
//! prints one Markdown table: each measurement, its baseline, the ratio, and
//! the target with pass/short.
//!
//! Run: `cargo run --release -p stencil-benches --bin report`
//!
//! A quick, bounded version of every criterion group (a few minutes on 2
//! cores). `--quick` shortens each measurement further (used by CI smoke
//! runs); `--only GROUP` runs one group (render, e2e, store, import,
//! deploy, cache, memory); `--json` prints the rows as a JSON array instead of the table.
//! For the full suite, run `cargo bench -p stencil-benches`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use stencil::render::{RenderOptions, Renderer, VariableSpec};
use stencil_benches::peers::{Compiled, Peer};
use stencil_benches::quick::{Figure, Row, json_table, markdown_table, median};
use stencil_benches::render_corpus::{
    AcReplaceAll, RegexLoop, VARIABLES, claude_tree, code, many_variables, markdown, markdown_over,
    shuffled_picks,
};

mod cache;
mod deploy;
mod deploy_cli;
mod e2e;
mod import;
mod memory;
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

    /// What a corpus must reach: throughput, speed-up over the regex loop,
    /// fraction of memcpy's speed in the same run.
    #[derive(Default)]
    struct Targets {
        gbs: Option<f64>,
        regex: Option<f64>,
        memcpy: Option<f64>,
    }
    struct Corpus {
        label: &'static str,
        files: Vec<(String, Vec<u8>)>,
        targets: Targets,
    }
    let one = |n: &str, b| vec![(n.to_string(), b)];
    let corpora = [
        Corpus {
            label: "render (a) 64 KiB Markdown, 200 placeholders",
            files: one("a.md", markdown(64 * 1024, 200)),
            targets: Targets {
                gbs: Some(6.0),
                regex: Some(20.0),
                ..Targets::default()
            },
        },
        Corpus {
            label: "render (b) 1 MiB Markdown, 20 placeholders",
            files: one("b.md", markdown(1024 * 1024, 20)),
            targets: Targets {
                memcpy: Some(0.85),
                ..Targets::default()
            },
        },
        Corpus {
            label: "render (c) 64 KiB brace-heavy Rust/JSON",
            files: one("c.rs", code(64 * 1024)),
            targets: Targets {
                gbs: Some(5.0),
                ..Targets::default()
            },
        },
        Corpus {
            label: "render `.claude/` tree + Actions workflow (14 files)",
            files: claude_tree(),
            targets: Targets::default(),
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
        let fig = || Figure::time(t_stencil).note(format!("{gbs:.2} GB/s"));
        let mut row =
            Row::new(c.label, fig()).against("original regex loop", Figure::time(t_regex));
        let r_regex = ratio(t_regex, t_stencil);
        row = match (c.targets.gbs, c.targets.regex) {
            (Some(g), Some(x)) => row.target(
                format!("≥ {g} GB/s and ≥ {x}× regex"),
                gbs >= g && r_regex >= x,
            ),
            (Some(g), None) => row.target(format!("≥ {g} GB/s"), gbs >= g),
            _ => row,
        };
        rows.push(row);
        let row = Row::new(format!("{} — vs physical limit", c.label), fig()).against(
            "memcpy",
            Figure::time(t_memcpy).note(format!("{:.2} GB/s", gb_per_s(bytes, t_memcpy))),
        );
        rows.push(match c.targets.memcpy {
            Some(x) => row.target(
                format!("≥ {x}× memcpy in the same run"),
                ratio(t_memcpy, t_stencil) >= x,
            ),
            None => row,
        });
        rows.push(
            Row::new(format!("{} — vs alternative design", c.label), fig())
                .against("AhoCorasick::replace_all", Figure::time(t_ac)),
        );
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
                Err(reason) => rows.push(
                    Row::new(format!("{} — vs {}", c.label, peer.name()), fig()).unmeasured(
                        peer.name(),
                        format!("cannot render this corpus ({})", first_line(&reason)),
                    ),
                ),
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
                    rows.push(
                        Row::new(
                            format!("{} — vs {} precompiled", c.label, peer.name()),
                            fig(),
                        )
                        .against(peer.name(), Figure::time(t_pre)),
                    );
                    rows.push(
                        Row::new(
                            format!("{} — vs {} one-shot (parse + render)", c.label, peer.name()),
                            fig(),
                        )
                        .against(peer.name(), Figure::time(t_once)),
                    );
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
    rows.push(
        Row::new(
            "render one-shot: build renderer + render 64 KiB",
            Figure::time(t_one),
        )
        .against(
            "original: compile regexes + render",
            Figure::time(t_regex_one),
        )
        .target("≤ 25 µs", t_one <= Duration::from_micros(25)),
    );

    variable_rows(budget, rows);

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
    let first = figures[0].1;
    let text = figures
        .iter()
        .map(|(_, g)| format!("{g:.2}"))
        .collect::<Vec<_>>()
        .join(" → ")
        + " GB/s";
    rows.push(
        Row::new(
            "render growth, 4 KiB → 64 KiB → 1 MiB → 16 MiB (lowest throughput)",
            Figure::new(lo, "GB/s", text),
        )
        .against(
            "4 KiB throughput",
            Figure::new(first, "GB/s", format!("{first:.2} GB/s")),
        )
        .ratio(lo / first)
        .target(
            "linear in bytes: throughput within 2× across sizes",
            hi / lo <= 2.0,
        ),
    );
}

/// The variable-count axis: the same-shaped 64 KiB text with 2,260
/// placeholders, rendered with 10 to 10,000 variables, each size against
/// 10 variables measured in the same run; and what building costs. The
/// sizes are measured in interleaved rounds (this machine drifts), and each
/// figure is the median of its rounds.
fn variable_rows(budget: Duration, rows: &mut Vec<Row>) {
    const COUNTS: [usize; 4] = [10, 100, 1_000, 10_000];
    const ROUNDS: u32 = 5;
    let build = |vars: &[(String, String)]| {
        let v = VariableSpec::open()
            .validate(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .expect("valid");
        Renderer::new(&v, RenderOptions::default()).expect("builds")
    };
    let mut cases: Vec<_> = COUNTS
        .iter()
        .map(|&n| {
            let vars = many_variables(n);
            let input = markdown_over(&vars, 64 * 1024, 2_260);
            let renderer = build(&vars);
            (vars, input, renderer)
        })
        .collect();
    // The same ten variables, named in an order the branch predictor cannot
    // learn (the axis text cycles through ten names with period ten).
    let ten = many_variables(10);
    let shuffled = markdown_over(&shuffled_picks(&ten, 10_000), 64 * 1024, 2_260);
    cases.push((ten.clone(), shuffled, build(&ten)));
    let mut render: [Vec<Duration>; COUNTS.len() + 1] = Default::default();
    let mut builds: [Vec<Duration>; COUNTS.len() + 1] = Default::default();
    let mut out = Vec::with_capacity(2 * 64 * 1024);
    for _ in 0..ROUNDS {
        for (i, (vars, input, renderer)) in cases.iter().enumerate() {
            render[i].push(median(budget / ROUNDS, || {
                out.clear();
                renderer
                    .render_into("v", black_box(input), &mut out)
                    .expect("renders");
                black_box(&out);
            }));
            builds[i].push(median(budget / ROUNDS, || {
                black_box(build(black_box(vars)));
            }));
        }
    }
    let med = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let render = render.each_mut().map(med);
    let builds = builds.each_mut().map(med);
    for (i, &n) in COUNTS.iter().enumerate().skip(1) {
        let t = render[i];
        let row = Row::new(
            format!("render 64 KiB, 2,260 placeholders, {n} variables"),
            Figure::time(t).note(format!("{:.2} GB/s", gb_per_s(64 * 1024, t))),
        )
        .against("the same with 10 variables", Figure::time(render[0]));
        rows.push(if n == 10_000 {
            let slower = t.as_secs_f64() / render[0].as_secs_f64();
            row.target(
                format!("≤ 1.3× the 10-variable time (now {slower:.2}×)"),
                slower <= 1.3,
            )
        } else {
            row
        });
    }
    let last = COUNTS.len() - 1;
    rows.push(
        Row::new(
            "render 64 KiB, 2,260 placeholders, 10000 variables — vs 10 variables named in a shuffled order",
            Figure::time(render[last])
                .note(format!("{:.2} GB/s", gb_per_s(64 * 1024, render[last]))),
        )
        .against(
            "the same 10 variables, in a pseudo-random order",
            Figure::time(render[COUNTS.len()]),
        ),
    );
    rows.push(
        Row::new(
            "build a renderer for 10,000 variables (validate + index)",
            Figure::time(builds[COUNTS.len() - 1]),
        )
        .against("the same for 10 variables", Figure::time(builds[0])),
    );
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default();
    let mut short: String = line.chars().take(90).collect();
    if line.chars().count() > 90 {
        short.push('…');
    }
    short
}

/// The report's groups, in the order they run; `--only` picks one.
const GROUPS: [&str; 7] = [
    "render", "e2e", "store", "import", "deploy", "cache", "memory",
];

/// What the command line asks for.
struct Args {
    quick: bool,
    json: bool,
    only: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        quick: false,
        json: false,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => args.quick = true,
            "--json" => args.json = true,
            "--only" => {
                let group = it.next().ok_or("--only needs a group")?;
                if !GROUPS.contains(&group.as_str()) {
                    return Err(format!(
                        "unknown group `{group}`; the groups are {}",
                        GROUPS.join(", ")
                    ));
                }
                args.only = Some(group);
            }
            // Cargo passes `--bench` to binaries run by `cargo bench`.
            "--bench" => {}
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: report [--quick] [--json] [--only {}]",
                    GROUPS.join("|")
                ));
            }
        }
    }
    Ok(args)
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("--memory-child") {
        memory::child(&argv[1..]);
    }
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("report: {e}");
            std::process::exit(2);
        }
    };
    let quick = args.quick;
    let budget = if quick {
        Duration::from_millis(60)
    } else {
        Duration::from_millis(600)
    };
    let runs = |group: &str| args.only.as_deref().is_none_or(|g| g == group);
    let started = Instant::now();
    let mut rows = Vec::new();
    if runs("render") {
        eprintln!("measuring render…");
        render_rows(budget, &mut rows);
    }
    if runs("e2e") {
        eprintln!("measuring the end-to-end deploy…");
        e2e::rows(budget, &mut rows);
    }
    if runs("store") {
        eprintln!("measuring the catalogue (builds 1k and 100k artifacts)…");
        store::rows(budget, quick, &mut rows);
    }
    if runs("import") {
        eprintln!("measuring tree import…");
        import::rows(quick, &mut rows);
    }
    if runs("deploy") {
        eprintln!("measuring deploy…");
        deploy::rows(budget, quick, &mut rows);
        eprintln!("measuring whole-process deploys against cp -r…");
        deploy_cli::rows(quick, &mut rows);
    }
    if runs("cache") {
        eprintln!("measuring the package cache…");
        cache::rows(budget, &mut rows);
    }
    if runs("memory") {
        eprintln!("measuring peak memory (whole processes; writes ~500 MiB to a temp dir)…");
        memory::rows(&mut rows);
    }
    let short = rows.iter().filter(|r| r.pass == Some(false)).count();
    let pass = rows.iter().filter(|r| r.pass == Some(true)).count();
    let summary = format!(
        "{pass} targets met, {short} short; measured in {:.0} s ({} mode{}).",
        started.elapsed().as_secs_f64(),
        if quick { "--quick" } else { "default" },
        args.only
            .as_deref()
            .map_or(String::new(), |g| format!(", group {g} only"))
    );
    if args.json {
        println!("{}", json_table(&rows));
        eprintln!("{summary}");
    } else {
        println!("{}", markdown_table(&rows));
        println!("{summary}");
    }
}

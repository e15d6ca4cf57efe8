//! Runs one name-lookup candidate of `stencil_benches::name_lookup` over the
//! variable-count axis text, for counting instructions with callgrind:
//!
//! ```sh
//! cargo build --release -p stencil-benches --example profile_lookup
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*lookup_all*' \
//!     target/release/examples/profile_lookup hash_foldhash 10000
//! ```
//!
//! Candidates: by_length, hash_sip, hash_foldhash, sorted, anchored_dfa;
//! `axis`, wall-clock of the whole renderer at 10 to 10,000 variables,
//! interleaved; and `renderer`, stencil's whole render of the text (count it with
//! `--toggle-collect='*Renderer*scan*'`). Each run makes 100 passes of
//! 2,260 lookups. `build N` instead builds a renderer for N variables
//! (validate + index) 20 times.
#![allow(missing_docs)]

use std::hint::black_box;

use stencil_benches::name_lookup::{
    Anchored, ByLength, Hashed, Lookup, Sorted, lookup_all, lookup_all_anchored, openings,
};
use stencil_benches::render_corpus::{many_variables, markdown_over, shuffled_picks};

const PASSES: usize = 100;

fn run(lookup: &impl Lookup, input: &[u8], at: &[usize]) -> usize {
    (0..PASSES)
        .map(|_| lookup_all(lookup, black_box(input), at))
        .sum()
}

/// `axis`: wall clock of the renderer at 10, 100, 1,000 and 10,000
/// variables, interleaved (one batch of 20 renders per size per round, 300
/// rounds), minimum and median per size.
fn axis() {
    use std::time::{Duration, Instant};
    let counts = [10usize, 100, 1_000, 10_000];
    let cases: Vec<_> = counts
        .iter()
        .map(|&n| {
            let vars = many_variables(n);
            let input = markdown_over(&vars, 64 * 1024, 2_260);
            let vars = stencil::render::VariableSpec::open()
                .validate(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .expect("valid names");
            let renderer =
                stencil::render::Renderer::new(&vars, Default::default()).expect("renderer builds");
            (input, renderer)
        })
        .collect();
    let mut times = vec![Vec::new(); counts.len()];
    let mut out = Vec::with_capacity(2 * 64 * 1024);
    for _ in 0..300 {
        for (i, (input, renderer)) in cases.iter().enumerate() {
            let t = Instant::now();
            for _ in 0..20 {
                out.clear();
                renderer
                    .render_into("axis", black_box(input), &mut out)
                    .expect("renders");
                black_box(&out);
            }
            times[i].push(t.elapsed() / 20);
        }
    }
    for (n, t) in counts.iter().zip(&mut times) {
        t.sort();
        let (min, med): (Duration, Duration) = (t[0], t[t.len() / 2]);
        println!("{n:>6} variables: min {min:?}, median {med:?}");
    }
}

/// `shuffled`: is it the cache or the branch predictor? Wall clock,
/// interleaved as in `axis`, of three renders of the same-shaped text: 10
/// variables named in a fixed cycle (the axis text: placeholder `i` names
/// variable `i·7919 mod 10`), the same 10 variables in a pseudo-random
/// order, and 10,000 variables.
fn shuffled() {
    use std::time::{Duration, Instant};
    let ten = many_variables(10);
    let many = many_variables(10_000);
    // 10,000 picks from the ten names, in a pseudo-random order.
    let picks = shuffled_picks(&ten, 10_000);
    let build = |vars: &[(String, String)]| {
        let vars = stencil::render::VariableSpec::open()
            .validate(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .expect("valid names");
        stencil::render::Renderer::new(&vars, Default::default()).expect("renderer builds")
    };
    let cases = [
        (
            "10 variables, cyclic",
            markdown_over(&ten, 64 * 1024, 2_260),
            build(&ten),
        ),
        (
            "10 variables, shuffled",
            markdown_over(&picks, 64 * 1024, 2_260),
            build(&ten),
        ),
        (
            "10,000 variables",
            markdown_over(&many, 64 * 1024, 2_260),
            build(&many),
        ),
    ];
    let mut times = vec![Vec::new(); cases.len()];
    let mut out = Vec::with_capacity(2 * 64 * 1024);
    for _ in 0..300 {
        for (i, (_, input, renderer)) in cases.iter().enumerate() {
            let t = Instant::now();
            for _ in 0..20 {
                out.clear();
                renderer
                    .render_into("axis", black_box(input), &mut out)
                    .expect("renders");
                black_box(&out);
            }
            times[i].push(t.elapsed() / 20);
        }
    }
    for ((label, _, _), t) in cases.iter().zip(&mut times) {
        t.sort();
        let (min, med): (Duration, Duration) = (t[0], t[t.len() / 2]);
        println!("{label:>24}: min {min:?}, median {med:?}");
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let candidate = args.next().unwrap_or_else(|| "by_length".into());
    if candidate == "axis" {
        axis();
        return;
    }
    if candidate == "shuffled" {
        shuffled();
        return;
    }
    let n: usize = args
        .next()
        .map_or(10, |a| a.parse().expect("a variable count"));
    let vars = many_variables(n);
    if candidate == "build" {
        // What building a renderer costs (validate + index), 20 times.
        for _ in 0..20 {
            let v = stencil::render::VariableSpec::open()
                .validate(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .expect("valid names");
            black_box(stencil::render::Renderer::new(&v, Default::default()).expect("builds"));
        }
        return;
    }
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    let input = markdown_over(&vars, 64 * 1024, 2_260);
    let at = openings(&input);
    let found = match candidate.as_str() {
        "by_length" => run(&ByLength::new(&names), &input, &at),
        "hash_sip" => run(&Hashed::<std::hash::RandomState>::new(&names), &input, &at),
        "hash_foldhash" => run(
            &Hashed::<foldhash::fast::RandomState>::new(&names),
            &input,
            &at,
        ),
        "sorted" => run(&Sorted::new(&names), &input, &at),
        "anchored_dfa" => {
            let dfa = Anchored::new(&names);
            (0..PASSES)
                .map(|_| lookup_all_anchored(&dfa, black_box(&input), &at))
                .sum()
        }
        "renderer" => {
            let vars = stencil::render::VariableSpec::open()
                .validate(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .expect("valid names");
            let renderer =
                stencil::render::Renderer::new(&vars, Default::default()).expect("renderer builds");
            let mut out = Vec::with_capacity(input.len() * 2);
            (0..PASSES)
                .map(|_| {
                    out.clear();
                    let summary = renderer
                        .render_into("axis", black_box(&input), &mut out)
                        .expect("renders");
                    summary.replaced
                })
                .sum()
        }
        other => panic!("unknown candidate {other}"),
    };
    assert_eq!(found, PASSES * at.len());
    eprintln!("{candidate} at {n} names: {found} lookups");
}

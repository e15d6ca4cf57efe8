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
//! 2,260 lookups.
#![allow(missing_docs)]

use std::hint::black_box;

use stencil_benches::name_lookup::{
    Anchored, ByLength, Hashed, Lookup, Sorted, lookup_all, lookup_all_anchored, openings,
};
use stencil_benches::render_corpus::{many_variables, markdown_over};

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

fn main() {
    let mut args = std::env::args().skip(1);
    let candidate = args.next().unwrap_or_else(|| "by_length".into());
    if candidate == "axis" {
        axis();
        return;
    }
    let n: usize = args
        .next()
        .map_or(10, |a| a.parse().expect("a variable count"));
    let vars = many_variables(n);
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

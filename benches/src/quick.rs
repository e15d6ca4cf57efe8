//! A small timing harness for the `report` binary: a quick, bounded version
//! of the criterion groups. It reports the median time per iteration over
//! batches, each batch long enough to dwarf the clock's resolution.
//! Criterion (`cargo bench`) remains the authoritative, slower measurement.

use std::time::{Duration, Instant};

/// Median time per iteration of `f`, measured for about `budget`.
pub fn median<F: FnMut()>(budget: Duration, mut f: F) -> Duration {
    // Calibrate: how many iterations make a batch of at least 2 ms.
    let start = Instant::now();
    let mut per_batch = 1u32;
    loop {
        let t = Instant::now();
        for _ in 0..per_batch {
            f();
        }
        if t.elapsed() >= Duration::from_millis(2) || start.elapsed() >= budget / 4 {
            break;
        }
        per_batch = per_batch.saturating_mul(2);
    }
    let mut samples = Vec::new();
    let end = Instant::now() + budget;
    while Instant::now() < end || samples.len() < 5 {
        let t = Instant::now();
        for _ in 0..per_batch {
            f();
        }
        samples.push(t.elapsed() / per_batch);
    }
    samples.sort();
    samples[samples.len() / 2]
}

/// Median time of `routine`, each call given a fresh input from `setup`
/// (not timed). For operations that consume state, like a deploy into an
/// empty directory.
pub fn median_with_setup<S, I, R>(budget: Duration, mut setup: S, mut routine: R) -> Duration
where
    S: FnMut() -> I,
    R: FnMut(I),
{
    let mut samples = Vec::new();
    let end = Instant::now() + budget;
    while Instant::now() < end || samples.len() < 11 {
        let input = setup();
        let t = Instant::now();
        routine(input);
        samples.push(t.elapsed());
    }
    samples.sort();
    samples[samples.len() / 2]
}

/// Formats a duration with a unit that keeps three significant digits.
pub fn fmt_duration(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1_000_000_000.0 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// Bytes per second as GiB/s.
pub fn gib_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / (1u64 << 30) as f64
}

/// One row of the report.
#[derive(Debug, Clone)]
pub struct Row {
    /// What is measured.
    pub measurement: String,
    /// stencil's figure.
    pub stencil: String,
    /// The baseline's name and figure.
    pub baseline: String,
    /// Baseline time / stencil time (> 1 means stencil is faster).
    pub ratio: Option<f64>,
    /// The target, in words.
    pub target: String,
    /// Whether the target is met (`None` when there is no target).
    pub pass: Option<bool>,
}

/// Renders rows as one Markdown table.
pub fn markdown_table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| measurement | stencil | baseline | ratio (baseline / stencil) | target | verdict |\n|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let ratio = r.ratio.map_or("—".to_string(), |x| format!("{x:.2}×"));
        let verdict = match r.pass {
            Some(true) => "pass",
            Some(false) => "**short**",
            None => "—",
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.measurement, r.stencil, r.baseline, ratio, r.target, verdict
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_measures_something_that_takes_time() {
        let d = median(Duration::from_millis(20), || {
            std::thread::sleep(Duration::from_micros(200))
        });
        assert!(d >= Duration::from_micros(200), "{d:?}");
        let d = median_with_setup(
            Duration::from_millis(20),
            || 3u64,
            |n| std::thread::sleep(Duration::from_micros(100 * n)),
        );
        assert!(d >= Duration::from_micros(300), "{d:?}");
    }

    #[test]
    fn table_has_a_row_per_measurement_and_verdicts() {
        let row = |pass| Row {
            measurement: "m".into(),
            stencil: "1 µs".into(),
            baseline: "b: 2 µs".into(),
            ratio: Some(2.0),
            target: "≥ 1×".into(),
            pass,
        };
        let t = markdown_table(&[row(Some(true)), row(Some(false)), row(None)]);
        assert_eq!(t.lines().count(), 5);
        assert!(t.contains("| 2.00× |") && t.contains("**short**") && t.contains("| pass |"));
    }
}

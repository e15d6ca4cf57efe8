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

/// A measured quantity: a number in a unit, and how the table prints it.
/// Times are kept in nanoseconds so JSON readers get one unit for them.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The number, in `unit`.
    pub value: f64,
    /// `"ns"` for times; otherwise what `value` counts (`"GB/s"`, …).
    pub unit: &'static str,
    /// How the Markdown table prints it.
    pub text: String,
}

impl Figure {
    /// A time, printed with a unit that keeps three significant digits.
    pub fn time(d: Duration) -> Figure {
        Figure {
            value: d.as_nanos() as f64,
            unit: "ns",
            text: fmt_duration(d),
        }
    }

    /// A median time, printed as `p50 …`.
    pub fn p50(d: Duration) -> Figure {
        let mut f = Figure::time(d);
        f.text = format!("p50 {}", f.text);
        f
    }

    /// Any other quantity.
    pub fn new(value: f64, unit: &'static str, text: impl Into<String>) -> Figure {
        Figure {
            value,
            unit,
            text: text.into(),
        }
    }

    /// Appends `(note)` to the printed text (a throughput beside a time).
    pub fn note(mut self, note: impl std::fmt::Display) -> Figure {
        self.text = format!("{} ({note})", self.text);
        self
    }
}

/// What stencil is compared with in a row.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// What the baseline is ("original regex loop", "memcpy", …).
    pub name: String,
    /// Its figure, or why there is none (a peer that cannot render a
    /// corpus).
    pub figure: Result<Figure, String>,
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// What is measured.
    pub measurement: String,
    /// stencil's figure.
    pub stencil: Figure,
    /// The baseline, if the row has one.
    pub baseline: Option<Baseline>,
    /// Baseline time / stencil time (> 1 means stencil is faster), or
    /// another ratio the row's measurement names.
    pub ratio: Option<f64>,
    /// The target, in words (`—` when there is none).
    pub target: String,
    /// Whether the target is met (`None` when there is no target).
    pub pass: Option<bool>,
}

impl Row {
    /// A row with stencil's figure only.
    pub fn new(measurement: impl Into<String>, stencil: Figure) -> Row {
        Row {
            measurement: measurement.into(),
            stencil,
            baseline: None,
            ratio: None,
            target: "—".into(),
            pass: None,
        }
    }

    /// Compares with a baseline; when both are times, the ratio is baseline
    /// time / stencil time.
    pub fn against(mut self, name: impl Into<String>, figure: Figure) -> Row {
        if figure.unit == "ns" && self.stencil.unit == "ns" {
            self.ratio = Some(figure.value / self.stencil.value);
        }
        self.baseline = Some(Baseline {
            name: name.into(),
            figure: Ok(figure),
        });
        self
    }

    /// A baseline that could not be measured, and why.
    pub fn unmeasured(mut self, name: impl Into<String>, why: impl Into<String>) -> Row {
        self.baseline = Some(Baseline {
            name: name.into(),
            figure: Err(why.into()),
        });
        self
    }

    /// Sets the ratio (for rows whose ratio is not baseline time / stencil
    /// time).
    pub fn ratio(mut self, ratio: f64) -> Row {
        self.ratio = Some(ratio);
        self
    }

    /// Sets the target and whether it is met.
    pub fn target(mut self, target: impl Into<String>, pass: bool) -> Row {
        self.target = target.into();
        self.pass = Some(pass);
        self
    }

    /// `"pass"`, `"short"`, or `None` without a target.
    pub fn verdict(&self) -> Option<&'static str> {
        self.pass.map(|p| if p { "pass" } else { "short" })
    }

    /// The row as one JSON object: name, value, unit, baseline name, value
    /// and unit (or why it was not measured), ratio, target, verdict.
    pub fn to_json(&self) -> serde_json::Value {
        let (baseline_name, baseline_value, baseline_unit, baseline_note) = match &self.baseline {
            None => (None, None, None, None),
            Some(Baseline {
                name,
                figure: Ok(f),
            }) => (Some(name.as_str()), Some(f.value), Some(f.unit), None),
            Some(Baseline {
                name,
                figure: Err(why),
            }) => (Some(name.as_str()), None, None, Some(why.as_str())),
        };
        serde_json::json!({
            "name": self.measurement,
            "value": self.stencil.value,
            "unit": self.stencil.unit,
            "text": self.stencil.text,
            "baseline_name": baseline_name,
            "baseline_value": baseline_value,
            "baseline_unit": baseline_unit,
            "baseline_note": baseline_note,
            "ratio": self.ratio,
            "target": (self.target != "—").then_some(self.target.as_str()),
            "verdict": self.verdict(),
        })
    }
}

/// Renders rows as one Markdown table.
pub fn markdown_table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| measurement | stencil | baseline | ratio (baseline / stencil) | target | verdict |\n|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let ratio = r.ratio.map_or("—".to_string(), |x| format!("{x:.2}×"));
        let verdict = match r.verdict() {
            Some("pass") => "pass",
            Some(_) => "**short**",
            None => "—",
        };
        let baseline = match &r.baseline {
            None => "—".to_string(),
            Some(Baseline {
                name,
                figure: Ok(f),
            }) => format!("{name}: {}", f.text),
            Some(Baseline {
                name,
                figure: Err(why),
            }) => format!("{name}: {}", why.replace('|', "\\|")),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.measurement, r.stencil.text, baseline, ratio, r.target, verdict
        ));
    }
    out
}

/// Renders rows as a JSON array, one object per row (see [`Row::to_json`]).
pub fn json_table(rows: &[Row]) -> String {
    let rows: Vec<serde_json::Value> = rows.iter().map(Row::to_json).collect();
    serde_json::to_string_pretty(&rows).expect("JSON values serialise")
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

    fn sample(pass: Option<bool>) -> Row {
        let r = Row::new("m", Figure::time(Duration::from_micros(1)))
            .against("b", Figure::time(Duration::from_micros(2)));
        match pass {
            Some(p) => r.target("≥ 1×", p),
            None => r,
        }
    }

    #[test]
    fn table_has_a_row_per_measurement_and_verdicts() {
        let t = markdown_table(&[sample(Some(true)), sample(Some(false)), sample(None)]);
        assert_eq!(t.lines().count(), 5);
        assert!(t.contains("| 1.00 µs | b: 2.00 µs | 2.00× |"), "{t}");
        assert!(t.contains("**short**") && t.contains("| pass |"));
        let peer = Row::new("m", Figure::time(Duration::from_micros(1)))
            .unmeasured("upon", "invalid syntax: a | b");
        assert!(markdown_table(&[peer]).contains("| upon: invalid syntax: a \\| b | — |"));
    }

    #[test]
    fn json_has_one_object_per_row_with_numbers_and_verdicts() {
        let peer = Row::new("p", Figure::p50(Duration::from_millis(3)))
            .unmeasured("upon", "cannot render");
        let json: serde_json::Value =
            serde_json::from_str(&json_table(&[sample(Some(false)), sample(None), peer]))
                .expect("valid JSON");
        let rows = json.as_array().expect("an array");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0]["name"], "m");
        assert_eq!(rows[0]["value"], 1000.0);
        assert_eq!(rows[0]["unit"], "ns");
        assert_eq!(rows[0]["baseline_name"], "b");
        assert_eq!(rows[0]["baseline_value"], 2000.0);
        assert_eq!(rows[0]["ratio"], 2.0);
        assert_eq!(rows[0]["target"], "≥ 1×");
        assert_eq!(rows[0]["verdict"], "short");
        assert!(rows[1]["target"].is_null() && rows[1]["verdict"].is_null());
        assert_eq!(rows[2]["value"], 3e6);
        assert!(rows[2]["baseline_value"].is_null() && rows[2]["ratio"].is_null());
        assert_eq!(rows[2]["baseline_note"], "cannot render");
    }

    #[test]
    fn ratio_is_computed_only_between_times() {
        let r = Row::new("g", Figure::new(7.0, "GB/s", "7 GB/s"))
            .against("4 KiB", Figure::new(8.0, "GB/s", "8 GB/s"));
        assert_eq!(r.ratio, None);
        assert_eq!(r.ratio(0.875).ratio, Some(0.875));
    }
}

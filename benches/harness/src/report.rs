//! The table: every figure beside its same-run baseline, the ratio and the target; written as
//! Markdown (docs/benchmarks.md) and JSON (docs/benchmarks.json).

use std::fmt::Write as _;

use serde::Serialize;

use crate::stats::Summary;

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Bytes,
    Seconds,
    Kib,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub figure: String,
    pub unit: Unit,
    pub fitauth: Summary,
    pub baseline_name: String,
    pub baseline: Summary,
    /// Fitauth's median over the baseline's.
    pub ratio: f64,
    /// The largest ratio that meets the target.
    pub target: Option<f64>,
    /// Whether the ratio meets the target (`None`: no target, or a smoke run).
    pub holds: Option<bool>,
}

impl Row {
    pub fn new(
        figure: impl Into<String>,
        unit: Unit,
        fitauth: Summary,
        baseline_name: impl Into<String>,
        baseline: Summary,
        target: Option<f64>,
    ) -> Row {
        let ratio = if baseline.median > 0.0 {
            fitauth.median / baseline.median
        } else {
            f64::NAN
        };
        Row {
            figure: figure.into(),
            unit,
            fitauth,
            baseline_name: baseline_name.into(),
            baseline,
            ratio,
            target,
            holds: target.map(|t| ratio <= t),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub os: String,
    pub kernel: String,
    pub rustc: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub date: String,
    pub smoke: bool,
    pub command: String,
    pub machine: Machine,
    pub rows: Vec<Row>,
    /// Free text after the table: where the bytes go, what was not measured and why.
    pub notes: Vec<String>,
}

fn value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Bytes if v >= 1e6 => format!("{:.1} MB", v / 1e6),
        Unit::Bytes => format!("{:.0} kB", v / 1e3),
        Unit::Kib => format!("{:.0} MiB", v / 1024.0),
        Unit::Seconds if v >= 1.0 => format!("{v:.2} s"),
        Unit::Seconds if v >= 0.001 => format!("{:.1} ms", v * 1e3),
        Unit::Seconds => format!("{:.0} µs", v * 1e6),
    }
}

fn cell(unit: Unit, s: &Summary) -> String {
    if s.n == 1 {
        value(unit, s.median)
    } else {
        format!(
            "{} ({}–{})",
            value(unit, s.median),
            value(unit, s.p25),
            value(unit, s.p75)
        )
    }
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(out, "# Fitauth benchmarks\n");
        let _ = writeln!(
            out,
            "Measured on {} by `{}`{}. Each figure is beside its baseline measured in the same run \
             on the same machine; times are medians with the middle half of the runs in brackets \
             (25th–75th percentile); the ratio is Fitauth's median over the baseline's.\n",
            self.date,
            self.command,
            if self.smoke {
                " — a smoke run (one repetition, no targets): the figures only show the benchmark works"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "Machine: {}, {} cores, {:.0} GiB; {}; Linux {}; {}.\n",
            m.cpu, m.cores, m.memory_gib, m.os, m.kernel, m.rustc
        );
        let _ = writeln!(out, "| figure | Fitauth | baseline | ratio | target |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for r in &self.rows {
            let target = match (r.target, r.holds, self.smoke) {
                (_, _, true) | (None, _, _) => "—".to_owned(),
                (Some(t), Some(true), _) => format!("≤ {t}× (holds)"),
                (Some(t), _, _) => format!("≤ {t}× (**misses**)"),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {}: {} | {:.2}× | {} |",
                r.figure,
                cell(r.unit, &r.fitauth),
                r.baseline_name,
                cell(r.unit, &r.baseline),
                r.ratio,
                target
            );
        }
        for note in &self.notes {
            let _ = writeln!(out, "\n{note}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_and_targets() {
        let r = Row::new(
            "x",
            Unit::Bytes,
            Summary::exact(120.0),
            "base",
            Summary::exact(100.0),
            Some(1.25),
        );
        assert!((r.ratio - 1.2).abs() < 1e-9);
        assert_eq!(r.holds, Some(true));
        let r = Row::new(
            "x",
            Unit::Seconds,
            Summary::of(&[0.003, 0.004]),
            "b",
            Summary::of(&[0.001]),
            Some(2.0),
        );
        assert_eq!(r.holds, Some(false));
        assert_eq!(cell(Unit::Seconds, &Summary::of(&[0.0035])), "3.5 ms");
        assert_eq!(value(Unit::Bytes, 16_100_000.0), "16.1 MB");
    }
}

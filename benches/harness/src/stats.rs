//! Medians and spread of repeated measurements.

use serde::Serialize;

/// Repeated measurements of one figure, in its unit.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub n: usize,
    pub median: f64,
    /// The 25th and 75th percentiles (the middle half of the runs).
    pub p25: f64,
    pub p75: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    pub fn of(samples: &[f64]) -> Summary {
        assert!(!samples.is_empty(), "no samples");
        let mut s = samples.to_vec();
        s.sort_by(|a, b| a.total_cmp(b));
        Summary {
            n: s.len(),
            median: quantile(&s, 0.5),
            p25: quantile(&s, 0.25),
            p75: quantile(&s, 0.75),
            min: s[0],
            max: s[s.len() - 1],
        }
    }

    /// One exact value (a size).
    pub fn exact(value: f64) -> Summary {
        Summary::of(&[value])
    }
}

/// Linear interpolation between the closest ranks of sorted `s`.
fn quantile(s: &[f64], q: f64) -> f64 {
    let pos = q * (s.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_quartiles() {
        let s = Summary::of(&[5.0, 1.0, 3.0, 2.0, 4.0]);
        assert_eq!(
            (s.median, s.p25, s.p75, s.min, s.max),
            (3.0, 2.0, 4.0, 1.0, 5.0)
        );
        let s = Summary::of(&[1.0, 2.0]);
        assert_eq!(s.median, 1.5);
        assert_eq!(Summary::exact(7.0).median, 7.0);
    }
}

//! Fitbit's rate-limit headers: `Fitbit-Rate-Limit-Limit`, `-Remaining`, `-Reset` (seconds until
//! the hourly quota resets), plus the standard `Retry-After`.

use serde::{Deserialize, Serialize};

/// The quota as last reported by the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// Unix seconds when the quota resets.
    pub reset_at: Option<i64>,
}

/// Reads the headers (names compared case-insensitively). `None` when none are present.
pub fn parse<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    now: i64,
) -> Option<RateLimit> {
    let mut limit = None;
    let mut remaining = None;
    let mut reset_in = None;
    let mut retry_after = None;
    for (name, value) in headers {
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "fitbit-rate-limit-limit" => limit = value.parse().ok(),
            "fitbit-rate-limit-remaining" => remaining = value.parse().ok(),
            "fitbit-rate-limit-reset" => reset_in = value.parse::<i64>().ok(),
            // Only the delay-seconds form; an HTTP date is rare from these providers.
            "retry-after" => retry_after = value.parse::<i64>().ok(),
            _ => {}
        }
    }
    let reset_at = reset_in
        .or(retry_after)
        .filter(|s| *s >= 0)
        .map(|s| crate::clock::after(now, s));
    (limit.is_some() || remaining.is_some() || reset_at.is_some()).then_some(RateLimit {
        limit,
        remaining,
        reset_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitbit_headers_are_read_case_insensitively() {
        let h = [
            ("Fitbit-rate-limit-limit", "150"),
            ("fitbit-rate-limit-remaining", "121"),
            ("FITBIT-RATE-LIMIT-RESET", "1201"),
        ];
        let r = parse(h, 1000).unwrap();
        assert_eq!(
            r,
            RateLimit {
                limit: Some(150),
                remaining: Some(121),
                reset_at: Some(2201)
            }
        );
    }

    #[test]
    fn retry_after_is_a_fallback_and_garbage_is_ignored() {
        assert_eq!(
            parse([("Retry-After", "60")], 0).unwrap().reset_at,
            Some(60)
        );
        assert!(parse([("fitbit-rate-limit-limit", "lots")], 0).is_none());
        assert!(parse([("content-type", "text/html")], 0).is_none());
    }
}

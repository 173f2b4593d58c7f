//! Wall-clock helpers. Times are stored as Unix seconds; these turn them into what people read.

use chrono::{DateTime, Local, SecondsFormat, Utc};

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    Utc::now().timestamp()
}

/// RFC 3339 in UTC, e.g. `2026-11-22T14:03:00Z`.
pub fn rfc3339(unix: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix, 0)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| unix.to_string())
}

/// Local wall-clock time as `14:03`, the way a person reads "until 14:03".
pub fn local_hh_mm(unix: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix, 0)
        .map(|t| t.with_timezone(&Local).format("%H:%M").to_string())
        .unwrap_or_else(|| unix.to_string())
}

/// A timestamp that may be in seconds or milliseconds (Fitbit's introspect documents neither):
/// values above 10^12 are taken as milliseconds.
pub fn seconds_from_secs_or_millis(value: i64) -> i64 {
    if value.abs() > 1_000_000_000_000 {
        value / 1000
    } else {
        value
    }
}

/// A duration as people say it: `7h 12m`, `3m 05s`, `2d 4h`. Negative durations are shown as
/// their absolute value; callers say "ago" or "in".
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    let (d, h, m, sec) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec:02}s")
    } else {
        format!("{sec}s")
    }
}

/// "in 7h 12m" or "3m 05s ago", relative to `now`.
pub fn relative(unix: i64, now: i64) -> String {
    let delta = unix - now;
    if delta >= 0 {
        format!("in {}", human_duration(delta))
    } else {
        format!("{} ago", human_duration(delta))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_and_seconds_are_both_accepted() {
        assert_eq!(seconds_from_secs_or_millis(1_700_000_000), 1_700_000_000);
        assert_eq!(
            seconds_from_secs_or_millis(1_700_000_000_123),
            1_700_000_000
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(7 * 3600 + 12 * 60 + 5), "7h 12m");
        assert_eq!(human_duration(185), "3m 05s");
        assert_eq!(human_duration(42), "42s");
        assert_eq!(human_duration(2 * 86_400 + 4 * 3600), "2d 4h");
        assert_eq!(relative(100, 40), "in 1m 00s");
        assert_eq!(relative(40, 100), "1m 00s ago");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}

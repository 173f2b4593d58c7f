//! Wall-clock helpers. Times are stored as Unix seconds; these turn them into what people read.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    now_unix_millis().div_euclid(1000)
}

/// Milliseconds since the Unix epoch, now.
pub fn now_unix_millis() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// RFC 3339 in UTC, e.g. `2026-11-22T14:03:00Z`.
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// This computer's UTC offset, read once. The `time` crate reads it only while the process has
/// one thread (on Unix another thread could change the environment meanwhile:
/// <https://docs.rs/time/latest/time/struct.UtcOffset.html#method.current_local_offset>), so
/// the executables call [`init_local_offset`] first thing in `main`.
static LOCAL_OFFSET: OnceLock<Option<UtcOffset>> = OnceLock::new();

/// Reads the local UTC offset now, while the process is still single-threaded; see
/// [`local_hh_mm`].
pub fn init_local_offset() {
    LOCAL_OFFSET.get_or_init(|| UtcOffset::current_local_offset().ok());
}

/// Local wall-clock time as `14:03`, the way a person reads "until 14:03"; `14:03 UTC` when the
/// local offset could not be read (see [`init_local_offset`]).
pub fn local_hh_mm(unix: i64) -> String {
    match local(unix) {
        Some((t, true)) => format!("{:02}:{:02}", t.hour(), t.minute()),
        Some((t, false)) => format!("{:02}:{:02} UTC", t.hour(), t.minute()),
        None => unix.to_string(),
    }
}

/// The local calendar date as `2026-12-03` (UTC when the local offset could not be read).
pub fn local_date(unix: i64) -> String {
    match local(unix) {
        Some((t, _)) => format!("{}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
        None => unix.to_string(),
    }
}

/// How many calendar days (in this computer's time zone, else UTC) lie between `now` and `at`:
/// 0 for the same day, 1 when `at` is tomorrow, even five minutes after midnight.
pub fn local_days_between(now: i64, at: i64) -> i64 {
    match (local(now), local(at)) {
        (Some((n, _)), Some((a, _))) => (a.date() - n.date()).whole_days(),
        _ => at.saturating_sub(now).div_euclid(86_400),
    }
}

/// `unix` in local time, and whether the local offset was known (else it is UTC).
fn local(unix: i64) -> Option<(OffsetDateTime, bool)> {
    let t = OffsetDateTime::from_unix_timestamp(unix).ok()?;
    Some(
        match *LOCAL_OFFSET.get_or_init(|| UtcOffset::current_local_offset().ok()) {
            Some(offset) => (t.to_offset(offset), true),
            None => (t, false),
        },
    )
}

/// A timestamp that may be in seconds or milliseconds (Fitbit's introspect documents neither):
/// values above 10^12 (in magnitude) are taken as milliseconds. Any `i64` is accepted, `i64::MIN`
/// included (whose `abs` would overflow).
pub fn seconds_from_secs_or_millis(value: i64) -> i64 {
    if value.unsigned_abs() > 1_000_000_000_000 {
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

/// The longest span a provider's number is taken to mean (ten years): a larger `expires_in` or
/// reset delay is clamped to it, so arithmetic on provider numbers can neither overflow nor wrap
/// into the past.
pub const MAX_SPAN_SECS: i64 = 10 * 365 * 86_400;

/// `now` plus a provider-given number of seconds, clamped to `0..=MAX_SPAN_SECS`.
pub fn after(now: i64, secs: i64) -> i64 {
    now.saturating_add(secs.clamp(0, MAX_SPAN_SECS))
}

/// "in 7h 12m" or "3m 05s ago", relative to `now`.
pub fn relative(unix: i64, now: i64) -> String {
    let delta = unix.saturating_sub(now);
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
    fn provider_numbers_are_clamped_not_overflowed() {
        assert_eq!(after(100, 60), 160);
        assert_eq!(after(100, -5), 100, "a negative lifetime is already over");
        assert_eq!(after(100, i64::MAX), 100 + MAX_SPAN_SECS);
        assert_eq!(after(i64::MAX - 1, 10), i64::MAX);
        assert!(relative(i64::MIN, i64::MAX).ends_with("ago"));
        assert!(relative(i64::MAX, i64::MIN).starts_with("in "));
    }

    #[test]
    fn tomorrow_is_by_the_calendar_not_by_hours() {
        let (noon, _) = local(1_800_000_000).unwrap();
        let midnight = noon.replace_time(time::Time::MIDNIGHT).unix_timestamp();
        let early = midnight + 30 * 60;
        assert_eq!(local_days_between(early, midnight + 23 * 3600), 0);
        assert_eq!(local_days_between(early, midnight + 24 * 3600 + 60), 1);
        let late = midnight + 23 * 3600;
        assert_eq!(local_days_between(late, midnight + 25 * 3600), 1);
        assert_eq!(local_days_between(late, late - 60), 0);
    }

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
        assert_eq!(rfc3339(1_795_874_580), "2026-11-28T14:03:00Z");
        assert!(local_hh_mm(1_795_874_580).contains(':'));
    }
}

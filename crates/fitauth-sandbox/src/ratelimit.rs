//! Fitbit's hourly rate limit per user and app, with its `Fitbit-Rate-Limit-*` headers.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::state::Inner;

/// Fitbit's 429 body (`fieldName: n/a`), without headers.
pub fn too_many_requests() -> Response {
    let body = serde_json::json!({
        "errors": [{ "errorType": "system", "fieldName": "n/a", "message": "Too Many Requests" }],
        "success": false
    });
    (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response()
}

/// Counts one request for (user, client); returns the headers to send and whether it is over
/// the limit.
pub fn count(inner: &mut Inner, user: &str, client: &str) -> (HeaderMap, bool) {
    tally(inner, user, client, true)
}

/// The headers for (user, client) as they stand, counting nothing: Fitbit shows them on its
/// token and revoke answers too, and whether it counts those calls is not documented
/// (<https://dev.fitbit.com/build/reference/web-api/developer-guide/application-design/#Rate-Limits>).
pub fn peek(inner: &mut Inner, user: &str, client: &str) -> HeaderMap {
    tally(inner, user, client, false).0
}

fn tally(inner: &mut Inner, user: &str, client: &str, counted: bool) -> (HeaderMap, bool) {
    let now = inner.now();
    let into_hour = now.rem_euclid(3600);
    let hour = now.saturating_sub(into_hour);
    let limit = inner.settings.rate_limit;
    let bucket = inner
        .buckets
        .entry((user.to_owned(), client.to_owned()))
        .or_default();
    if bucket.hour != hour {
        bucket.hour = hour;
        bucket.count = 0;
    }
    let over = counted && bucket.count >= limit;
    if counted && !over {
        bucket.count += 1;
    }
    let remaining = limit.saturating_sub(bucket.count);
    let reset = 3600 - into_hour;
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    put("fitbit-rate-limit-limit", limit.to_string());
    put("fitbit-rate-limit-remaining", remaining.to_string());
    put("fitbit-rate-limit-reset", reset.to_string());
    if over {
        put("retry-after", reset.to_string());
    }
    (headers, over)
}

//! A record of every HTTP exchange with a provider, secrets redacted, for the Inspect view's
//! activity log and for `tracing`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::Operation;
use crate::ratelimit::RateLimit;
use crate::secret::Redactor;

/// Form fields, query parameters and JSON keys whose values are credentials.
pub const SECRET_FIELDS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "code",
    "code_verifier",
    "client_secret",
    "token",
    "assertion",
    "password",
];

const REDACTED: &str = "[redacted]";

fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(name))
}

/// One request and its answer, safe to show and to log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HttpExchange {
    pub id: u64,
    /// Whose exchange it is: the account id, or the id of the sign-in that is making the account.
    #[serde(default)]
    pub tag: Option<String>,
    pub operation: Operation,
    /// Unix milliseconds when the request started.
    pub started_at_ms: i64,
    pub duration_ms: u64,
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: String,
    /// `None` when no answer arrived (timeout, connection refused).
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
    pub rate_limit: Option<RateLimit>,
    /// Why the exchange failed at the transport level, if it did.
    pub transport_error: Option<String>,
}

/// A bounded, shared list of the latest exchanges.
#[derive(Debug, Clone)]
pub struct ExchangeLog {
    inner: Arc<Mutex<LogInner>>,
}

#[derive(Debug)]
struct LogInner {
    next_id: u64,
    capacity: usize,
    entries: VecDeque<HttpExchange>,
}

impl Default for ExchangeLog {
    fn default() -> Self {
        Self::with_capacity(200)
    }
}

impl ExchangeLog {
    pub fn with_capacity(capacity: usize) -> Self {
        ExchangeLog {
            inner: Arc::new(Mutex::new(LogInner {
                next_id: 1,
                capacity: capacity.max(1),
                entries: VecDeque::new(),
            })),
        }
    }

    pub(crate) fn push(&self, mut exchange: HttpExchange) -> u64 {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        exchange.id = inner.next_id;
        inner.next_id += 1;
        if inner.entries.len() == inner.capacity {
            inner.entries.pop_front();
        }
        let id = exchange.id;
        inner.entries.push_back(exchange);
        id
    }

    /// Oldest first.
    pub fn snapshot(&self) -> Vec<HttpExchange> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.entries.iter().cloned().collect()
    }

    /// The exchanges tagged `tag` (one account's activity), oldest first.
    pub fn tagged(&self, tag: &str) -> Vec<HttpExchange> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner
            .entries
            .iter()
            .filter(|e| e.tag.as_deref() == Some(tag))
            .cloned()
            .collect()
    }

    /// Whether an exchange tagged `tag` got HTTP `status`.
    pub fn saw_status(&self, tag: &str, status: u16) -> bool {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner
            .entries
            .iter()
            .any(|e| e.tag.as_deref() == Some(tag) && e.status == Some(status))
    }

    /// Files the exchanges tagged `from` under `to` (a sign-in's exchanges, once its account is
    /// known).
    pub fn retag(&self, from: &str, to: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        for e in inner.entries.iter_mut() {
            if e.tag.as_deref() == Some(from) {
                e.tag = Some(to.to_owned());
            }
        }
    }

    /// The rate limit the provider reported most recently.
    pub fn latest_rate_limit(&self) -> Option<RateLimit> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.entries.iter().rev().find_map(|e| e.rate_limit)
    }

    pub fn clear(&self) {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .clear();
    }
}

/// A URL with secret query parameters redacted.
pub fn redact_url(url: &Url, redactor: &Redactor) -> String {
    let mut out = url.clone();
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_secret_field(&k) {
                    REDACTED.to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        out.query_pairs_mut().clear().extend_pairs(pairs);
    }
    redactor.redact(out.as_str())
}

/// An `application/x-www-form-urlencoded` body with secret fields redacted.
pub fn redact_form(form: &[(&str, String)]) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in form {
        ser.append_pair(k, if is_secret_field(k) { REDACTED } else { v });
    }
    ser.finish()
}

/// A response body with secret JSON fields redacted and any known secret scrubbed. JSON stays
/// JSON: known secrets are scrubbed from its strings, keys and numbers, not from its text (where
/// `[redacted]` could land inside an escape such as `\r`). A body that is not JSON (an HTML page,
/// a truncated answer) has its `field=value` and `"field":"value"` credentials redacted as text.
pub fn redact_body(body: &str, redactor: &Redactor) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(mut value) => {
            redact_json(&mut value, redactor);
            serde_json::to_string(&value).unwrap_or_default()
        }
        Err(_) => redactor.redact(&redact_text(body)),
    }
}

/// Redacts the values of credential fields in free text: `access_token=…` (a query or form
/// echoed in a page) and `"refresh_token": "…"` (JSON, even cut off).
pub fn redact_text(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    // (start, end) of each value to hide.
    let mut spans: Vec<(usize, usize)> = vec![];
    for field in SECRET_FIELDS {
        let mut from = 0;
        while let Some(found) = lower[from..].find(field) {
            let at = from + found;
            from = at + field.len();
            let before = at.checked_sub(1).map(|i| bytes[i]);
            if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
                continue;
            }
            let mut i = at + field.len();
            let quoted_key = before == Some(b'"') && bytes.get(i) == Some(&b'"');
            if quoted_key {
                i += 1;
                while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
                    i += 1;
                }
                if bytes.get(i) != Some(&b':') {
                    continue;
                }
                i += 1;
                while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
                    i += 1;
                }
                if bytes.get(i) != Some(&b'"') {
                    continue; // a number or an object, not a credential
                }
                let start = i + 1;
                let end = text[start..].find('"').map_or(text.len(), |n| start + n);
                spans.push((start, end));
            } else if bytes.get(i) == Some(&b'=') {
                let start = i + 1;
                let end = text[start..]
                    .find(|c: char| {
                        c == '&'
                            || c == '"'
                            || c == '\''
                            || c == '<'
                            || c == '#'
                            || c.is_whitespace()
                    })
                    .map_or(text.len(), |n| start + n);
                spans.push((start, end));
            }
        }
    }
    spans.sort();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in spans {
        if start < last || start >= end {
            continue;
        }
        out.push_str(&text[last..start]);
        out.push_str(REDACTED);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

fn redact_json(value: &mut serde_json::Value, redactor: &Redactor) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, mut v) in std::mem::take(map) {
                if is_secret_field(&k) && v.is_string() {
                    v = serde_json::Value::String(REDACTED.into());
                } else {
                    redact_json(&mut v, redactor);
                }
                map.insert(redactor.redact(&k), v);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| redact_json(v, redactor)),
        serde_json::Value::String(s) => *s = redactor.redact(s),
        serde_json::Value::Number(n) => {
            let text = n.to_string();
            let scrubbed = redactor.redact(&text);
            if scrubbed != text {
                *value = serde_json::Value::String(scrubbed);
            }
        }
        serde_json::Value::Bool(_) | serde_json::Value::Null => {}
    }
}

/// `Authorization` shown as its scheme only.
pub fn redact_authorization(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) => format!("{scheme} {REDACTED}"),
        None => REDACTED.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_everywhere() {
        let r = Redactor::new().with("echoed-secret-1");
        let url = Url::parse("http://h/tokeninfo?access_token=abc&x=1").unwrap();
        assert_eq!(
            redact_url(&url, &r),
            "http://h/tokeninfo?access_token=%5Bredacted%5D&x=1"
        );
        let form = [
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", "r-1".to_owned()),
        ];
        assert_eq!(
            redact_form(&form),
            "grant_type=refresh_token&refresh_token=%5Bredacted%5D"
        );
        let body =
            r#"{"access_token":"a1","nested":{"refresh_token":"r1"},"msg":"echoed-secret-1"}"#;
        let out = redact_body(body, &r);
        assert!(
            !out.contains("a1") && !out.contains("r1") && !out.contains("echoed-secret-1"),
            "{out}"
        );
        assert_eq!(
            redact_authorization("Basic Zm9vOmJhcg=="),
            "Basic [redacted]"
        );
    }

    #[test]
    fn credentials_in_text_that_is_not_json_are_redacted() {
        let page = "<html><a href=\"/cb?code=c0de-123&state=s1\">x</a> access_token=tok.en.1 error code: 500</html>";
        let out = redact_text(page);
        assert!(
            !out.contains("c0de-123") && !out.contains("tok.en.1"),
            "{out}"
        );
        assert!(
            out.contains("state=s1") && out.contains("error code: 500"),
            "{out}"
        );
        let cut = r#"{"token_type":"Bearer","refresh_token": "r-very-secret-and-cut"#;
        let out = redact_text(cut);
        assert!(!out.contains("r-very-secret"), "{out}");
        assert!(out.contains("\"token_type\":\"Bearer\""), "{out}");
        let numbers = r#"{"error":{"code":403,"message":"no"}, "x_token": "keep"}"#;
        assert_eq!(redact_text(numbers), numbers);
        assert_eq!(
            redact_body("oops access_token=zzz-111", &Redactor::new()),
            "oops access_token=[redacted]"
        );
    }

    #[test]
    fn log_is_bounded_and_numbered() {
        let log = ExchangeLog::with_capacity(2);
        for _ in 0..3 {
            log.push(HttpExchange {
                id: 0,
                tag: Some("a".into()),
                operation: Operation::Refresh,
                started_at_ms: 0,
                duration_ms: 0,
                method: "POST".into(),
                url: "u".into(),
                request_headers: vec![],
                request_body: String::new(),
                status: Some(200),
                response_headers: vec![],
                response_body: String::new(),
                rate_limit: None,
                transport_error: None,
            });
        }
        let ids: Vec<u64> = log.snapshot().iter().map(|e| e.id).collect();
        assert_eq!(ids, [2, 3]);
        log.retag("a", "b");
        assert!(log.tagged("a").is_empty());
        assert_eq!(log.tagged("b").len(), 2);
    }
}

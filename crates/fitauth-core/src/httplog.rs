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

/// A response body with secret JSON fields redacted and any known secret scrubbed.
pub fn redact_body(body: &str, redactor: &Redactor) -> String {
    let scrubbed = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(mut value) => {
            redact_json(&mut value);
            serde_json::to_string(&value).unwrap_or_default()
        }
        Err(_) => body.to_owned(),
    };
    redactor.redact(&scrubbed)
}

fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret_field(k) && v.is_string() {
                    *v = serde_json::Value::String(REDACTED.into());
                } else {
                    redact_json(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
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

//! The log of every request the sandbox received, so tests can assert on what a client sent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecordedRequest {
    pub seq: u64,
    pub method: String,
    pub path: String,
    /// The raw query string (empty when none).
    pub query: String,
    /// Lower-case header names.
    pub headers: BTreeMap<String, String>,
    /// The parsed `application/x-www-form-urlencoded` body (empty otherwise).
    pub form: BTreeMap<String, Vec<String>>,
    /// The raw body, lossily decoded.
    pub body: String,
    pub received_at_ms: i64,
    /// The status the sandbox answered with.
    pub status: u16,
}

/// Parses an urlencoded body into repeated fields.
pub fn parse_form(body: &[u8]) -> BTreeMap<String, Vec<String>> {
    let mut form: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        form.entry(k.into_owned()).or_default().push(v.into_owned());
    }
    form
}

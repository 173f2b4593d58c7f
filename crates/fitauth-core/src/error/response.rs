//! Reading what a provider answered when it did not say yes: its status, its error body in one of
//! three shapes, or a body that is not JSON at all, turned into an [`Error`].
//!
//! - Fitbit: `{"errors":[{"errorType":"invalid_grant","message":"…"}],"success":false}`
//!   (<https://dev.fitbit.com/build/reference/web-api/troubleshooting-guide/error-messages/>)
//! - Google APIs: `{"error":{"code":403,"message":"…","status":"PERMISSION_DENIED"}}`
//!   (<https://cloud.google.com/apis/design/errors>)
//! - RFC 6749 §5.2: `{"error":"invalid_grant","error_description":"…"}`
//!   (<https://www.rfc-editor.org/rfc/rfc6749#section-5.2>)
//!
//! Provider text is redacted before it gets here (see [`crate::secret::Redactor`]): Fitbit echoes
//! tokens back in its messages.

use serde::{Deserialize, Serialize};

use super::Error;

/// Which call failed; it decides what an ambiguous answer means (an `invalid_grant` from a code
/// exchange is a spent code, from a refresh it is a dead refresh token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    CodeExchange,
    Refresh,
    ClientCredentials,
    Introspect,
    TokenInfo,
    Revoke,
    Identity,
    /// A request to the provider's API with an account's token (`fitauth api`, Inspect's
    /// request panel).
    ApiRequest,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::CodeExchange => "code exchange",
            Operation::Refresh => "refresh",
            Operation::ClientCredentials => "client credentials",
            Operation::Introspect => "introspect",
            Operation::TokenInfo => "tokeninfo",
            Operation::Revoke => "revoke",
            Operation::Identity => "identity",
            Operation::ApiRequest => "API request",
        }
    }

    fn is_token_endpoint(self) -> bool {
        matches!(
            self,
            Operation::CodeExchange | Operation::Refresh | Operation::ClientCredentials
        )
    }
}

/// What the provider said, as far as it said anything: its error code and description.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderDetail {
    /// `errorType` (Fitbit), `status` (Google APIs) or `error` (RFC 6749).
    pub code: Option<String>,
    pub description: Option<String>,
    pub http_status: Option<u16>,
}

impl std::fmt::Display for ProviderDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(s) = self.http_status {
            parts.push(format!("HTTP {s}"));
        }
        if let Some(c) = &self.code {
            parts.push(c.clone());
        }
        if let Some(d) = &self.description {
            parts.push(d.clone());
        }
        f.write_str(&parts.join(" · "))
    }
}

/// Turns a non-success HTTP answer into an [`Error`]. `body` must already be redacted.
pub fn from_response(
    op: Operation,
    legacy_fitbit: bool,
    status: u16,
    content_type: Option<&str>,
    reset_at: Option<i64>,
    body: &str,
) -> Error {
    let parsed = parse_error_body(body);
    let mut detail = parsed.clone().unwrap_or_default();
    detail.http_status = Some(status);

    if status == 410 && legacy_fitbit {
        return Error::Retired { detail };
    }
    if status == 429 {
        return Error::RateLimited { reset_at, detail };
    }
    if status == 409 {
        return Error::Conflict { detail };
    }
    let Some(parsed) = parsed else {
        if status >= 500 {
            return Error::Server { status, detail };
        }
        return unexpected(status, content_type, body).unwrap_or(Error::Http { detail });
    };
    let code = parsed.code.as_deref().unwrap_or("").to_ascii_lowercase();
    match code.as_str() {
        "invalid_grant" if op == Operation::Refresh => Error::RefreshRejected { detail },
        "invalid_grant" => Error::CodeRejected { detail },
        "access_denied" => Error::AccessDenied { detail },
        "invalid_client" | "unauthorized_client" => Error::InvalidClient { detail },
        "invalid_request"
        | "redirect_uri_mismatch"
        | "unsupported_grant_type"
        | "invalid_scope"
        | "validation"
        | "request"
        | "invalid_argument" => Error::InvalidRequest { detail },
        "expired_token" => Error::ExpiredToken { detail },
        "invalid_token" | "unauthenticated" => Error::InvalidToken { detail },
        "insufficient_scope" => Error::InsufficientScope { detail },
        "insufficient_permissions" | "permission_denied" => Error::Forbidden { detail },
        _ if status >= 500 => Error::Server { status, detail },
        _ if status == 401 && op.is_token_endpoint() => Error::InvalidClient { detail },
        _ if status == 401 => Error::InvalidToken { detail },
        _ if status == 403 => Error::Forbidden { detail },
        _ => Error::Http { detail },
    }
}

/// An error for a body that is not JSON at all, or `None` when it parses as JSON.
pub fn unexpected(status: u16, content_type: Option<&str>, body: &str) -> Option<Error> {
    let trimmed = body.trim_start();
    let is_json = serde_json::from_str::<serde_json::Value>(body).is_ok();
    if is_json {
        return None;
    }
    let looks_html = content_type.is_some_and(|c| c.contains("html")) || trimmed.starts_with('<');
    let claims_json = content_type.is_some_and(|c| c.contains("json"));
    let what = if looks_html {
        "an HTML page"
    } else if claims_json || trimmed.starts_with('{') || trimmed.starts_with('[') {
        "malformed JSON"
    } else if trimmed.is_empty() {
        "an empty answer"
    } else {
        "text that is not JSON"
    };
    Some(Error::UnexpectedResponse {
        status,
        what: what.into(),
        snippet: snippet(body),
    })
}

/// The first 200 characters of a body, on one line.
pub fn snippet(body: &str) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &flat[..i]),
        None => flat,
    }
}

/// Reads any of the three error shapes. `None` when the body is not JSON or has none of them.
pub fn parse_error_body(body: &str) -> Option<ProviderDetail> {
    #[derive(Deserialize)]
    struct FitbitError {
        #[serde(rename = "errorType")]
        error_type: Option<String>,
        message: Option<String>,
    }
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let obj = value.as_object()?;
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_owned);

    // Fitbit: {"errors":[{"errorType","message"}],"success":false}
    if let Some(errors) = obj.get("errors").and_then(|e| e.as_array()) {
        let first: Option<FitbitError> = errors
            .first()
            .and_then(|e| serde_json::from_value(e.clone()).ok());
        if let Some(first) = first {
            return Some(ProviderDetail {
                code: first.error_type,
                description: first.message,
                http_status: None,
            });
        }
    }
    match obj.get("error") {
        // Google APIs: {"error":{"code":403,"message":"…","status":"PERMISSION_DENIED"}}
        Some(serde_json::Value::Object(inner)) => Some(ProviderDetail {
            code: text(inner.get("status")).or_else(|| {
                inner
                    .get("code")
                    .and_then(|c| c.as_i64())
                    .map(|c| c.to_string())
            }),
            description: text(inner.get("message")),
            http_status: None,
        }),
        // RFC 6749: {"error":"invalid_grant","error_description":"…"}
        Some(serde_json::Value::String(code)) => Some(ProviderDetail {
            code: Some(code.clone()),
            description: text(obj.get("error_description")),
            http_status: None,
        }),
        _ => obj.get("error_description").map(|d| ProviderDetail {
            code: None,
            description: d.as_str().map(str::to_owned),
            http_status: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{local_hh_mm, now_unix};

    #[test]
    fn all_three_shapes_are_read() {
        let fitbit = parse_error_body(
            r#"{"errors":[{"errorType":"expired_token","message":"Access token expired: x"}],"success":false}"#,
        )
        .unwrap();
        assert_eq!(fitbit.code.as_deref(), Some("expired_token"));
        let google = parse_error_body(
            r#"{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}}"#,
        )
        .unwrap();
        assert_eq!(google.code.as_deref(), Some("PERMISSION_DENIED"));
        let rfc =
            parse_error_body(r#"{"error":"invalid_grant","error_description":"Bad Request"}"#)
                .unwrap();
        assert_eq!(rfc.code.as_deref(), Some("invalid_grant"));
        assert_eq!(rfc.description.as_deref(), Some("Bad Request"));
        let bare = parse_error_body(r#"{"error_description":"Invalid Value"}"#).unwrap();
        assert_eq!(bare.code, None);
        assert!(parse_error_body("<html>").is_none());
        assert!(parse_error_body("[1,2]").is_none());
    }

    #[test]
    fn status_and_code_map_to_the_right_variant() {
        let fitbit = |t: &str| {
            format!(r#"{{"errors":[{{"errorType":"{t}","message":"m"}}],"success":false}}"#)
        };
        let e = |op, status, body: &str| from_response(op, true, status, None, None, body);
        assert_eq!(
            e(Operation::Identity, 401, &fitbit("expired_token")).kind(),
            "expired_token"
        );
        assert_eq!(
            e(Operation::Identity, 401, &fitbit("invalid_token")).kind(),
            "invalid_token"
        );
        assert_eq!(
            e(Operation::Refresh, 400, &fitbit("invalid_grant")).kind(),
            "reconnect_needed"
        );
        assert_eq!(
            e(Operation::CodeExchange, 400, &fitbit("invalid_grant")).kind(),
            "code_rejected"
        );
        assert_eq!(e(Operation::Refresh, 409, "").kind(), "conflict");
        assert_eq!(
            e(Operation::Identity, 429, &fitbit("system")).kind(),
            "rate_limited"
        );
        assert_eq!(e(Operation::Refresh, 410, "Gone").kind(), "retired");
        assert_eq!(
            from_response(Operation::Refresh, false, 410, None, None, "Gone").kind(),
            "unexpected_response"
        );
        assert_eq!(
            e(Operation::Refresh, 503, "<html>busy</html>").kind(),
            "server_error"
        );
        assert_eq!(
            e(Operation::Refresh, 401, &fitbit("invalid_client")).kind(),
            "invalid_client"
        );
        assert_eq!(
            e(Operation::Identity, 403, &fitbit("insufficient_scope")).kind(),
            "insufficient_scope"
        );
        assert_eq!(
            e(Operation::Refresh, 400, "<!doctype html><p>x").kind(),
            "unexpected_response"
        );
    }

    #[test]
    fn retired_says_what_to_do() {
        let e = from_response(Operation::Refresh, true, 410, None, None, "");
        assert!(e.to_string().contains("retired"));
        assert!(e.hint().contains("Google Health"));
    }

    #[test]
    fn rate_limit_names_the_reset_time() {
        let reset = now_unix() + 3600;
        let e = Error::RateLimited {
            reset_at: Some(reset),
            detail: Default::default(),
        };
        assert!(e.to_string().contains(&local_hh_mm(reset)), "{e}");
    }

    #[test]
    fn non_json_bodies_are_described() {
        let kind = |ct, body| match unexpected(200, ct, body) {
            Some(Error::UnexpectedResponse { what, .. }) => what,
            other => panic!("{other:?}"),
        };
        assert_eq!(kind(Some("text/html"), "<html></html>"), "an HTML page");
        assert_eq!(
            kind(Some("application/json"), "{\"access_tok"),
            "malformed JSON"
        );
        assert_eq!(kind(None, "oops"), "text that is not JSON");
        assert!(unexpected(200, None, "{}").is_none());
    }
}

//! A token set as the token endpoint (or an implicit-grant redirect) hands it over.

use serde::Deserialize;

use crate::clock::after;
use crate::error::{self, Error};
use crate::secret::{AccessToken, IdToken, RefreshToken};

/// Tokens and what the provider said about them. Not serializable: it holds secrets.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: AccessToken,
    pub refresh_token: Option<RefreshToken>,
    pub id_token: Option<IdToken>,
    pub token_type: String,
    /// Unix seconds when this set was received.
    pub issued_at: i64,
    /// Unix seconds when the access token expires, if the provider said.
    pub expires_at: Option<i64>,
    /// Scopes granted, space-split. `None` when the provider did not say (RFC 6749: then they are
    /// the ones requested).
    pub scopes: Option<Vec<String>>,
    /// Fitbit's encoded user id (absent for client-credentials tokens and on Google).
    pub user_id: Option<String>,
    /// Google time-based access: when the refresh token itself stops working.
    pub refresh_token_expires_at: Option<i64>,
}

impl TokenSet {
    /// Seconds the access token has left at `now` (negative once expired).
    pub fn seconds_left(&self, now: i64) -> Option<i64> {
        self.expires_at.map(|e| e - now)
    }
}

/// The JSON of a successful token response. Numbers may arrive as strings; unknown fields are
/// ignored.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    refresh_token: Option<String>,
    id_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<NumberOrString>,
    refresh_token_expires_in: Option<NumberOrString>,
    scope: Option<String>,
    user_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Number(i64),
    Float(f64),
    String(String),
}

impl NumberOrString {
    fn as_i64(&self) -> Option<i64> {
        match self {
            NumberOrString::Number(n) => Some(*n),
            NumberOrString::Float(f) => Some(*f as i64),
            NumberOrString::String(s) => s.trim().parse().ok(),
        }
    }
}

/// Splits a space-delimited scope string.
pub fn split_scopes(scope: &str) -> Vec<String> {
    scope.split_whitespace().map(str::to_owned).collect()
}

/// Reads a 2xx token-endpoint body. `redacted_body` is used only for the error snippet.
pub fn parse_token_response(
    status: u16,
    body: &str,
    redacted_body: &str,
    now: i64,
) -> Result<TokenSet, Error> {
    let parsed: TokenResponse = match serde_json::from_str(body) {
        Ok(p) => p,
        Err(_) => {
            return Err(error::unexpected(status, None, redacted_body).unwrap_or(
                Error::UnexpectedResponse {
                    status,
                    what: "JSON that is not a token response".into(),
                    snippet: error::snippet(redacted_body),
                },
            ))
        }
    };
    let access_token = parsed
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::UnexpectedResponse {
            status,
            what: "JSON without an access token".into(),
            snippet: error::snippet(redacted_body),
        })?;
    Ok(TokenSet {
        access_token: AccessToken::new(access_token),
        refresh_token: parsed
            .refresh_token
            .filter(|t| !t.is_empty())
            .map(RefreshToken::new),
        id_token: parsed.id_token.map(IdToken::new),
        token_type: parsed.token_type.unwrap_or_else(|| "Bearer".into()),
        issued_at: now,
        expires_at: parsed
            .expires_in
            .and_then(|e| e.as_i64())
            .map(|e| after(now, e)),
        scopes: parsed.scope.as_deref().map(split_scopes),
        user_id: parsed.user_id,
        refresh_token_expires_at: parsed
            .refresh_token_expires_in
            .and_then(|e| e.as_i64())
            .map(|e| after(now, e)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitbit_response_is_read() {
        let body = r#"{"access_token":"eyJ.a.b","expires_in":28800,"refresh_token":"r1","scope":"activity sleep","token_type":"Bearer","user_id":"26FWFL"}"#;
        let t = parse_token_response(200, body, body, 1000).unwrap();
        assert_eq!(t.expires_at, Some(29_800));
        assert_eq!(t.scopes.unwrap(), ["activity", "sleep"]);
        assert_eq!(t.user_id.as_deref(), Some("26FWFL"));
        assert_eq!(t.refresh_token.unwrap().secret(), "r1");
    }

    #[test]
    fn string_numbers_and_missing_fields_are_fine() {
        let body = r#"{"access_token":"a","expires_in":"3599","extra":true}"#;
        let t = parse_token_response(200, body, body, 0).unwrap();
        assert_eq!(t.expires_at, Some(3599));
        assert!(t.refresh_token.is_none());
        assert!(t.scopes.is_none());
        assert_eq!(t.token_type, "Bearer");
    }

    #[test]
    fn absurd_lifetimes_neither_panic_nor_wrap() {
        let body = format!(r#"{{"access_token":"a","expires_in":{}}}"#, i64::MAX);
        let t = parse_token_response(200, &body, &body, 1000).unwrap();
        assert_eq!(t.expires_at, Some(1000 + crate::clock::MAX_SPAN_SECS));
        let body = r#"{"access_token":"a","expires_in":-30,"refresh_token_expires_in":"1e400"}"#;
        let t = parse_token_response(200, body, body, 1000).unwrap();
        assert_eq!(t.expires_at, Some(1000));
        assert_eq!(t.refresh_token_expires_at, None);
    }

    #[test]
    fn bodies_without_a_token_are_errors() {
        assert_eq!(
            parse_token_response(200, "{}", "{}", 0).unwrap_err().kind(),
            "unexpected_response"
        );
        assert_eq!(
            parse_token_response(200, "<html>", "<html>", 0)
                .unwrap_err()
                .kind(),
            "unexpected_response"
        );
        assert_eq!(
            parse_token_response(200, "[]", "[]", 0).unwrap_err().kind(),
            "unexpected_response"
        );
    }
}

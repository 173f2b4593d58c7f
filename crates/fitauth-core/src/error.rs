//! One error model for everything that can go wrong, each variant with a sentence a person
//! understands (`Display`), a next step ([`Error::hint`]) and a stable machine code ([`Error::kind`]).
//!
//! Provider responses come in three shapes, all read here:
//! - Fitbit: `{"errors":[{"errorType":"invalid_grant","message":"…"}],"success":false}`
//! - Google APIs: `{"error":{"code":403,"message":"…","status":"PERMISSION_DENIED"}}`
//! - RFC 6749: `{"error":"invalid_grant","error_description":"…"}`
//!
//! Provider text is redacted before it gets here (see [`crate::secret::Redactor`]): Fitbit echoes
//! tokens back in its messages.

use serde::{Deserialize, Serialize};

use crate::clock::{local_hh_mm, now_unix};

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

#[derive(Debug, thiserror::Error)]
pub enum Error {
    // --- set-up -------------------------------------------------------------------------------
    #[error("The app is not set up correctly: {0}.")]
    Config(String),

    // --- the redirect -------------------------------------------------------------------------
    #[error("You chose not to share access, so nothing was connected.")]
    AccessDenied { detail: ProviderDetail },

    #[error("The sign-in page refused the request ({code}).")]
    AuthorizationRejected {
        code: String,
        detail: ProviderDetail,
    },

    #[error(
        "This sign-in response does not belong to the sign-in this app started (its security \
         check did not match), so it was refused."
    )]
    StateMismatch,

    #[error("That is not a sign-in response the app can use: {0}.")]
    MalformedRedirect(String),

    #[error("That is not a JWT: {0}.")]
    NotAJwt(String),

    #[error("This sign-in was started more than 10 minutes ago and has expired.")]
    AuthorizationExpired,

    // --- token endpoint -----------------------------------------------------------------------
    #[error(
        "The sign-in code was refused: it was already used, has expired (codes last 10 minutes), \
         or does not match this sign-in."
    )]
    CodeRejected { detail: ProviderDetail },

    #[error(
        "The provider no longer accepts the saved sign-in: access was revoked, or another \
         program already used the refresh token."
    )]
    RefreshRejected { detail: ProviderDetail },

    #[error(
        "The provider did not accept this app's registration (client id, secret or app type)."
    )]
    InvalidClient { detail: ProviderDetail },

    #[error("The provider rejected the request as malformed.")]
    InvalidRequest { detail: ProviderDetail },

    #[error("Another program was refreshing the same token at the same moment.")]
    Conflict { detail: ProviderDetail },

    // --- bearer calls -------------------------------------------------------------------------
    #[error("The access token has expired.")]
    ExpiredToken { detail: ProviderDetail },

    #[error("The access token is no longer valid (it was revoked or replaced).")]
    InvalidToken { detail: ProviderDetail },

    #[error("This needs access you did not share.")]
    InsufficientScope { detail: ProviderDetail },

    #[error("The provider refused: this app is not allowed to do that.")]
    Forbidden { detail: ProviderDetail },

    // --- service state ------------------------------------------------------------------------
    #[error("{}", rate_limited_message(*.reset_at))]
    RateLimited {
        /// Unix seconds when the quota resets, when the provider said.
        reset_at: Option<i64>,
        detail: ProviderDetail,
    },

    #[error("The legacy Fitbit API is retired (Fitbit turned it off on 2 November 2026).")]
    Retired { detail: ProviderDetail },

    #[error("The provider is having trouble (HTTP {status}).")]
    Server { status: u16, detail: ProviderDetail },

    #[error("The provider sent {what} where a JSON answer was expected (HTTP {status}).")]
    UnexpectedResponse {
        status: u16,
        /// "an HTML page", "text that is not JSON", "malformed JSON", "JSON without an access token".
        what: String,
        /// The start of the body, redacted.
        snippet: String,
    },

    #[error("The provider answered with an error (HTTP {}).", .detail.http_status.unwrap_or(0))]
    Http { detail: ProviderDetail },

    // --- local storage ------------------------------------------------------------------------
    #[error("No system keyring is available ({reason}), so nothing was saved.")]
    KeyringUnavailable { reason: String },

    #[error("The system keyring is locked, so nothing was read or saved.")]
    KeyringLocked { reason: String },

    #[error("Fitauth could not read or write its data: {reason}.")]
    Storage { reason: String },

    #[error("There is no account named \"{name}\".")]
    UnknownAccount { name: String },

    #[error("Several accounts are connected ({names}); say which one with --account.")]
    AmbiguousAccount { names: String },

    #[error("No account is connected yet.")]
    NoAccounts,

    #[error("The account \"{account}\" must be reconnected: the provider no longer accepts its sign-in.")]
    ReconnectNeeded { account: String },

    #[error("The account \"{account}\" was revoked.")]
    Revoked { account: String },

    #[error("The saved {what} is missing from the system keyring.")]
    SecretMissing { what: String },

    #[error("There is no app registration named \"{name}\".")]
    UnknownApp { name: String },

    #[error("Cancelled.")]
    Cancelled,
    /// Another program sharing the store (the desktop app) took the pending sign-in and did
    /// not save a connection.
    #[error("The Fitauth app received this sign-in but could not finish it.")]
    FinishedElsewhereFailed,

    // --- the network --------------------------------------------------------------------------
    #[error("{host} did not answer in time.")]
    Timeout { host: String },

    #[error("Could not connect to {host}.")]
    Connect { host: String },

    #[error("The connection to {host} failed: {reason}.")]
    Network { host: String, reason: String },
}

fn rate_limited_message(reset_at: Option<i64>) -> String {
    match reset_at {
        Some(t) if t > now_unix() => format!("Rate-limited until {}.", local_hh_mm(t)),
        _ => "Rate-limited: the provider asked this app to slow down.".into(),
    }
}

impl Error {
    /// A stable code for scripts and the UI.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Config(_) => "config",
            Error::AccessDenied { .. } => "access_denied",
            Error::AuthorizationRejected { .. } => "authorization_rejected",
            Error::StateMismatch => "state_mismatch",
            Error::MalformedRedirect(_) => "malformed_redirect",
            Error::NotAJwt(_) => "not_a_jwt",
            Error::AuthorizationExpired => "authorization_expired",
            Error::CodeRejected { .. } => "code_rejected",
            Error::RefreshRejected { .. } => "reconnect_needed",
            Error::InvalidClient { .. } => "invalid_client",
            Error::InvalidRequest { .. } => "invalid_request",
            Error::Conflict { .. } => "conflict",
            Error::ExpiredToken { .. } => "expired_token",
            Error::InvalidToken { .. } => "invalid_token",
            Error::InsufficientScope { .. } => "insufficient_scope",
            Error::Forbidden { .. } => "forbidden",
            Error::RateLimited { .. } => "rate_limited",
            Error::Retired { .. } => "retired",
            Error::Server { .. } => "server_error",
            Error::UnexpectedResponse { .. } => "unexpected_response",
            Error::Http { .. } => "http_error",
            Error::KeyringUnavailable { .. } => "keyring_unavailable",
            Error::KeyringLocked { .. } => "keyring_locked",
            Error::Storage { .. } => "storage",
            Error::UnknownAccount { .. } | Error::AmbiguousAccount { .. } | Error::NoAccounts => {
                "unknown_account"
            }
            Error::ReconnectNeeded { .. } => "reconnect_needed",
            Error::Revoked { .. } => "revoked",
            Error::SecretMissing { .. } => "secret_missing",
            Error::UnknownApp { .. } => "unknown_app",
            Error::Cancelled => "cancelled",
            Error::FinishedElsewhereFailed => "finished_elsewhere_failed",
            Error::Timeout { .. } => "timeout",
            Error::Connect { .. } => "offline",
            Error::Network { .. } => "network",
        }
    }

    /// What to do next, in one sentence.
    pub fn hint(&self) -> &'static str {
        match self {
            Error::Config(_) => "Check the app registration under Apps.",
            Error::AccessDenied { .. } => "Connect again and choose Allow to share your data.",
            Error::AuthorizationRejected { .. } => {
                "Check the app registration (client id, redirect address, scopes), then connect again."
            }
            Error::StateMismatch => {
                "Nothing was changed. Start the connection again from this app and finish it in the \
                 same browser tab."
            }
            Error::MalformedRedirect(_) => {
                "Copy the whole address from the browser's address bar after you choose Allow."
            }
            Error::NotAJwt(_) => {
                "Paste the whole token: a JWT has three parts separated by dots (Google's ya29… \
                 tokens are opaque and cannot be decoded)."
            }
            Error::AuthorizationExpired | Error::CodeRejected { .. } => "Start the connection again.",
            Error::RefreshRejected { .. } | Error::InvalidToken { .. } => "Reconnect the account.",
            Error::InvalidClient { .. } => {
                "Check the client id, client secret and app type under Apps; they must match the \
                 provider's developer console."
            }
            Error::InvalidRequest { .. } => {
                "Check that the redirect address registered with the provider matches exactly."
            }
            Error::Conflict { .. } => "Try again in a few seconds.",
            Error::ExpiredToken { .. } => "Refresh the token.",
            Error::InsufficientScope { .. } => "Reconnect and share the missing data.",
            Error::Forbidden { .. } => {
                "Check the app's permissions in the provider's developer console."
            }
            Error::RateLimited { .. } => "Wait until then; stored tokens are unaffected.",
            Error::Retired { .. } => {
                "Connect through Google Health instead (choose \"Fitbit via Google account\")."
            }
            Error::Server { .. } | Error::UnexpectedResponse { .. } | Error::Http { .. } => {
                "Try again in a few minutes; stored tokens are unaffected."
            }
            Error::Timeout { .. } | Error::Connect { .. } | Error::Network { .. } => {
                "Check your internet connection and try again; stored tokens are unaffected."
            }
            Error::KeyringUnavailable { .. } => {
                "Fitauth keeps tokens only in the system keyring: on Linux install and start a \
                 Secret Service (GNOME Keyring or KWallet), then try again."
            }
            Error::KeyringLocked { .. } => "Unlock your keyring (log in to the desktop), then try again.",
            Error::Storage { .. } => "Check that Fitauth's data folder (FITAUTH_HOME) is writable.",
            Error::UnknownAccount { .. } | Error::AmbiguousAccount { .. } => {
                "Run `fitauth status` to list the accounts."
            }
            Error::NoAccounts => "Connect one first with `fitauth login`.",
            Error::ReconnectNeeded { .. } | Error::Revoked { .. } | Error::SecretMissing { .. } => {
                "Reconnect the account with `fitauth login`."
            }
            Error::UnknownApp { .. } => "Run `fitauth apps list` to see the registrations.",
            Error::Cancelled => "Nothing was changed.",
            Error::FinishedElsewhereFailed => {
                "Its window and log say why; sign in again when that is sorted out."
            }
        }
    }

    /// What the provider said, for developers (already redacted).
    pub fn detail(&self) -> Option<&ProviderDetail> {
        match self {
            Error::AccessDenied { detail }
            | Error::AuthorizationRejected { detail, .. }
            | Error::CodeRejected { detail }
            | Error::RefreshRejected { detail }
            | Error::InvalidClient { detail }
            | Error::InvalidRequest { detail }
            | Error::Conflict { detail }
            | Error::ExpiredToken { detail }
            | Error::InvalidToken { detail }
            | Error::InsufficientScope { detail }
            | Error::Forbidden { detail }
            | Error::RateLimited { detail, .. }
            | Error::Retired { detail }
            | Error::Server { detail, .. }
            | Error::Http { detail } => Some(detail),
            _ => None,
        }
    }

    /// Failures where the same request may simply be sent again: the answer was lost or the
    /// provider is briefly unwell. Refresh retries these with the same refresh token.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Timeout { .. }
                | Error::Connect { .. }
                | Error::Network { .. }
                | Error::Server { .. }
                | Error::Conflict { .. }
        )
    }

    /// True when the provider said the credentials are dead: only then may stored tokens be
    /// marked as unusable.
    pub fn means_reconnect(&self) -> bool {
        matches!(
            self,
            Error::RefreshRejected { .. } | Error::InvalidToken { .. }
        )
    }

    /// A serializable summary for the UI and `--json` output.
    pub fn report(&self) -> ErrorReport {
        ErrorReport {
            kind: self.kind().to_owned(),
            message: self.to_string(),
            hint: self.hint().to_owned(),
            detail: self
                .detail()
                .map(|d| d.to_string())
                .filter(|d| !d.is_empty()),
        }
    }

    /// One line for a terminal: the sentence and the next step.
    pub fn one_line(&self) -> String {
        format!("{} {}", self, self.hint())
    }
}

/// What the UI and `--json` output receive for an error.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorReport {
    pub kind: String,
    pub message: String,
    pub hint: String,
    pub detail: Option<String>,
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

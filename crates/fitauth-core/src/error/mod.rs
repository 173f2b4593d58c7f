//! One error model for everything that can go wrong, each variant with a sentence a person
//! understands (`Display`), a stable machine code ([`Error::kind`]) and a next step
//! ([`Error::hint`]) worded for no face in particular: the desktop app and the `fitauth` command
//! word their own next steps, keyed on the kind (a button in one is a command in the other).
//!
//! Provider answers are read into these in [`response`].

mod response;

use serde::{Deserialize, Serialize};

use crate::clock::{local_hh_mm, now_unix};

pub use response::{
    from_response, parse_error_body, snippet, unexpected, Operation, ProviderDetail,
};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    // --- input and set-up ---------------------------------------------------------------------
    /// Input that cannot be used as given (a name, a URL, a flag, a combination the docs forbid).
    #[error("That cannot be used: {0}.")]
    Invalid(String),

    /// The app registration cannot work as configured (a missing secret, a redirect the provider
    /// does not allow, an endpoint it lacks).
    #[error("The app registration is not set up correctly: {0}.")]
    Setup(String),

    /// The loopback listener for the browser's return could not be opened.
    #[error("Fitauth could not listen on {address} for the browser's return ({reason}).")]
    Listen { address: String, reason: String },

    /// The web browser could not be started.
    #[error("The web browser could not be opened ({reason}).")]
    Browser { reason: String },

    /// The built-in sandbox (the offline provider) could not start.
    #[error("The built-in sandbox could not start ({reason}).")]
    SandboxUnavailable { reason: String },

    /// Something inside Fitauth itself failed (a task, the HTTP client).
    #[error("Something inside Fitauth failed: {0}.")]
    Internal(String),

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

    /// A 409. Fitbit documents it for two refreshes of one token at once
    /// (<https://dev.fitbit.com/build/reference/web-api/troubleshooting-guide/error-messages/>),
    /// but it can answer any call, so the sentence names no operation.
    #[error(
        "The provider reported a conflict: another request for the same token arrived at the \
         same moment."
    )]
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

    /// A refresh got a new pair from the provider, but the keyring would not store it even
    /// after retries; the provider may already have retired the stored refresh token.
    #[error(
        "Fitauth got new tokens for \"{account}\" but could not save them ({reason}). The \
         provider may already have retired the saved refresh token."
    )]
    TokensNotSaved { account: String, reason: String },

    #[error("There is no account named \"{name}\".")]
    UnknownAccount { name: String },

    #[error("Several accounts are connected ({names}); say which one.")]
    AmbiguousAccount { names: String },

    /// A sign-in asked to be stored under a name that belongs to another person's account.
    #[error(
        "The account \"{account}\" belongs to {owner}, not to {newcomer} who just signed in, so it \
         was left as it was and nothing was saved."
    )]
    AccountTaken {
        account: String,
        owner: String,
        newcomer: String,
    },

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

    #[error("{}", no_registration_message(*.provider))]
    NoRegistration {
        provider: crate::provider::ProviderKind,
    },

    #[error("Cancelled.")]
    Cancelled,
    /// Another program sharing the store (the desktop app) took the pending sign-in and did
    /// not save a connection.
    #[error("The Fitauth app received this sign-in but could not finish it: {reason}")]
    FinishedElsewhereFailed { reason: String },
    /// A move to Google Health whose Google account is not shown to be the legacy account's
    /// Fitbit account: the legacy account was left as it was ([`crate::migration::SameAccount`]).
    #[error("\"{account}\" was not moved to Google Health. {why}")]
    NotMoved { account: String, why: String },
    /// An account that needs its person ([`crate::attention::Attention`]), in the sentence the
    /// faces use for it.
    #[error("{sentence}")]
    NeedsYou {
        sentence: String,
        /// The way on is the move to Google, not a plain reconnect.
        move_to_google: bool,
    },
    /// An API request (`fitauth api`) the provider answered with a non-2xx status; its body
    /// was shown.
    #[error("The provider answered {method} {path} with HTTP {status}.")]
    ApiStatus {
        method: String,
        path: String,
        status: u16,
    },

    // --- the network --------------------------------------------------------------------------
    #[error("{host} did not answer in time.")]
    Timeout { host: String },

    #[error("Could not connect to {host}.")]
    Connect { host: String },

    #[error("The connection to {host} failed: {reason}.")]
    Network { host: String, reason: String },
}

fn no_registration_message(provider: crate::provider::ProviderKind) -> String {
    let what = match provider {
        crate::provider::ProviderKind::GoogleHealth => "a Google desktop OAuth client",
        crate::provider::ProviderKind::Fitbit => "a Fitbit app registration",
    };
    format!("To connect this way, Fitauth needs {what}, and none is set up yet.")
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
            Error::Invalid(_) => "validation",
            Error::Setup(_) => "config",
            Error::Listen { .. } => "listen",
            Error::Browser { .. } => "browser",
            Error::Internal(_) => "internal",
            Error::SandboxUnavailable { .. } => "sandbox_unavailable",
            Error::AccountTaken { .. } => "account_taken",
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
            Error::TokensNotSaved { .. } => "tokens_not_saved",
            Error::UnknownAccount { .. } | Error::AmbiguousAccount { .. } | Error::NoAccounts => {
                "unknown_account"
            }
            Error::ReconnectNeeded { .. } => "reconnect_needed",
            Error::Revoked { .. } => "revoked",
            Error::SecretMissing { .. } => "secret_missing",
            Error::UnknownApp { .. } => "unknown_app",
            Error::NoRegistration { .. } => "no_app",
            Error::Cancelled => "cancelled",
            Error::FinishedElsewhereFailed { .. } => "finished_elsewhere_failed",
            Error::NotMoved { .. } => "not_moved",
            Error::NeedsYou { .. } => "needs_you",
            Error::ApiStatus { .. } => "api_status",
            Error::Timeout { .. } => "timeout",
            Error::Connect { .. } => "offline",
            Error::Network { .. } => "network",
        }
    }

    /// What to do next, in one sentence that names no face: the desktop app and the `fitauth`
    /// command replace the hints of the kinds where the next step is a button or a command.
    pub fn hint(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "Correct it and try again; nothing was changed.",
            Error::Setup(_) => {
                "Check the app registration (client id, secret, app type, redirect) against the \
                 provider's developer console."
            }
            Error::Listen { .. } => {
                "Another program is using that port: close it, or use another port, then try again."
            }
            Error::Browser { .. } => {
                "Open the sign-in address in a browser yourself, or set BROWSER to a browser command."
            }
            Error::Internal(_) | Error::SandboxUnavailable { .. } => {
                "Try again; if it keeps happening, the log has the details."
            }
            Error::AccountTaken { .. } => {
                "Choose another name, or leave the name empty so the account is named after the \
                 person who signs in."
            }
            Error::AccessDenied { .. } => "Connect again and choose Allow to share your data.",
            Error::AuthorizationRejected { .. } => {
                "Check the app registration (client id, redirect address, scopes), then connect again."
            }
            Error::StateMismatch => {
                "Nothing was changed. Start the connection again from Fitauth and finish it in the \
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
                "Check the client id, client secret and app type of the registration; they must \
                 match the provider's developer console."
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
                "Move the account to Google Health (it keeps its name), or connect through Google \
                 Health anew."
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
            Error::TokensNotSaved { .. } => {
                "Unlock or restart your keyring, then refresh the account again within two \
                 minutes (Fitbit answers a repeated refresh with the same new tokens for a short \
                 while); if that fails, reconnect it."
            }
            Error::UnknownAccount { .. } | Error::AmbiguousAccount { .. } => {
                "Choose one of the connected accounts."
            }
            Error::NoAccounts => "Connect an account first.",
            Error::ReconnectNeeded { .. } | Error::Revoked { .. } | Error::SecretMissing { .. } => {
                "Reconnect the account."
            }
            Error::UnknownApp { .. } => "Choose one of the app registrations.",
            Error::NoRegistration { .. } => {
                "Add an app registration for it, or try everything offline with the sandbox."
            }
            Error::Cancelled => "Nothing was changed.",
            Error::NeedsYou {
                move_to_google: true,
                ..
            } => "Move it to Google Health; it keeps its name.",
            Error::NeedsYou { .. } => "Connect it again; it keeps its name.",
            Error::NotMoved { .. } => {
                "Sign in with the Google account your Fitbit uses and move it again, or keep both \
                 accounts."
            }
            Error::ApiStatus { .. } => {
                "The answer above says why; check the path, the method and the account's scopes."
            }
            Error::FinishedElsewhereFailed { .. } => {
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

impl Error {
    /// One error of every kind, so the faces can test how they word each one.
    #[doc(hidden)]
    pub fn examples() -> Vec<Error> {
        let d = ProviderDetail::default;
        let s = String::from;
        vec![
            Error::Invalid(s("x")),
            Error::Setup(s("x")),
            Error::Listen {
                address: s("127.0.0.1:47813"),
                reason: s("in use"),
            },
            Error::Browser { reason: s("x") },
            Error::Internal(s("x")),
            Error::SandboxUnavailable { reason: s("x") },
            Error::AccountTaken {
                account: s("a"),
                owner: s("Sam"),
                newcomer: s("Riley"),
            },
            Error::AccessDenied { detail: d() },
            Error::AuthorizationRejected {
                code: s("x"),
                detail: d(),
            },
            Error::StateMismatch,
            Error::MalformedRedirect(s("x")),
            Error::NotAJwt(s("x")),
            Error::AuthorizationExpired,
            Error::CodeRejected { detail: d() },
            Error::RefreshRejected { detail: d() },
            Error::InvalidClient { detail: d() },
            Error::InvalidRequest { detail: d() },
            Error::Conflict { detail: d() },
            Error::ExpiredToken { detail: d() },
            Error::InvalidToken { detail: d() },
            Error::InsufficientScope { detail: d() },
            Error::Forbidden { detail: d() },
            Error::RateLimited {
                reset_at: None,
                detail: d(),
            },
            Error::Retired { detail: d() },
            Error::Server {
                status: 503,
                detail: d(),
            },
            Error::UnexpectedResponse {
                status: 200,
                what: s("x"),
                snippet: s("x"),
            },
            Error::Http { detail: d() },
            Error::KeyringUnavailable { reason: s("x") },
            Error::KeyringLocked { reason: s("x") },
            Error::Storage { reason: s("x") },
            Error::TokensNotSaved {
                account: s("x"),
                reason: s("x"),
            },
            Error::UnknownAccount { name: s("a") },
            Error::AmbiguousAccount { names: s("a, b") },
            Error::NoAccounts,
            Error::ReconnectNeeded { account: s("a") },
            Error::Revoked { account: s("a") },
            Error::SecretMissing { what: s("x") },
            Error::UnknownApp { name: s("a") },
            Error::NoRegistration {
                provider: crate::provider::ProviderKind::Fitbit,
            },
            Error::Cancelled,
            Error::FinishedElsewhereFailed { reason: s("x") },
            Error::NotMoved {
                account: s("x"),
                why: s("y"),
            },
            Error::NeedsYou {
                sentence: s("x"),
                move_to_google: false,
            },
            Error::ApiStatus {
                method: s("GET"),
                path: s("/x"),
                status: 404,
            },
            Error::Timeout { host: s("h") },
            Error::Connect { host: s("h") },
            Error::Network {
                host: s("h"),
                reason: s("x"),
            },
        ]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_hints_name_no_face() {
        for e in Error::examples() {
            let hint = e.hint();
            for face_word in ["fitauth ", "--", "under Apps", "from Connect", "Inspect"] {
                assert!(!hint.contains(face_word), "{}: {hint}", e.kind());
            }
            assert!(!e.to_string().contains("--account"), "{e}");
        }
    }
}

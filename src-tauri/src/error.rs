//! Errors as the UI receives them: `{kind, message, hint, detail}`, a sentence and a next step,
//! never a stack trace, a raw provider body or a secret. The next step is worded for this app
//! (a button or a view), keyed on the error's kind; the core's own hints name no face.

use fitauth_core::{Error, ErrorReport};
use serde::Serialize;

/// What every command returns on failure. Serializes as the bare `ErrorReport`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CommandError(pub ErrorReport);

impl CommandError {
    /// A failure of the desktop layer itself (not of the core).
    pub fn new(kind: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        CommandError(ErrorReport {
            kind: kind.into(),
            message: message.into(),
            hint: hint.into(),
            detail: None,
        })
    }

    pub fn kind(&self) -> &str {
        &self.0.kind
    }
}

/// The next step in this app's words, where it differs from the core's.
fn desktop_hint(e: &Error) -> Option<&'static str> {
    Some(match e {
        Error::Setup(_) => "Check the app registration under Apps.",
        Error::InvalidClient { .. } => {
            "Check the client id, client secret and app type under Apps; they must match the \
             provider's developer console."
        }
        Error::Listen { .. } => "Another program is using that port: close it, then connect again.",
        Error::Browser { .. } => {
            "Check that a web browser is installed and set as the default, then connect again."
        }
        Error::AccountTaken { .. } => {
            "Choose another account name, or leave the name empty so the account is named after \
             the person who signs in."
        }
        Error::ReconnectNeeded { .. } | Error::Revoked { .. } | Error::SecretMissing { .. } => {
            "Reconnect the account from Connect."
        }
        Error::NoAccounts => "Connect one from Connect.",
        Error::TokensNotSaved { .. } => {
            "Fitauth keeps the new tokens while it runs: unlock your keyring, then press Refresh \
             under Inspect to save them. Keep Fitauth open until then."
        }
        Error::UnknownAccount { .. } | Error::AmbiguousAccount { .. } => {
            "Choose an account under Inspect."
        }
        Error::UnknownApp { .. } => "See the registrations under Apps.",
        Error::NoRegistration { .. } => "Add it under Apps, or try it offline with the sandbox.",
        Error::Retired { .. } => {
            "Move the account to Google with the button at the top (it keeps its name), or \
             connect anew through \"Fitbit via Google account\"."
        }
        _ => return None,
    })
}

/// The report the UI gets for `e`.
pub fn desktop_report(e: &Error) -> ErrorReport {
    let mut report = e.report();
    if let Some(hint) = desktop_hint(e) {
        report.hint = hint.to_owned();
    }
    report
}

impl From<Error> for CommandError {
    fn from(e: Error) -> Self {
        CommandError(desktop_report(&e))
    }
}

impl From<&Error> for CommandError {
    fn from(e: &Error) -> Self {
        CommandError(desktop_report(e))
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0.message, self.0.hint)
    }
}

impl std::error::Error for CommandError {}

pub type CommandResult<T> = Result<T, CommandError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_cross_as_a_sentence_and_a_next_step() {
        let report = CommandError::from(Error::StateMismatch);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["kind"], "state_mismatch");
        assert!(json["message"]
            .as_str()
            .unwrap()
            .contains("does not belong"));
        assert!(json["hint"]
            .as_str()
            .unwrap()
            .starts_with("Nothing was changed"));
        assert!(json["detail"].is_null());
    }

    #[test]
    fn next_steps_point_at_the_app_not_the_command_line() {
        for e in Error::examples() {
            let report = CommandError::from(&e).0;
            for cli_word in ["fitauth ", "--", "$BROWSER", "Ctrl-C"] {
                assert!(
                    !report.hint.contains(cli_word),
                    "{}: {}",
                    e.kind(),
                    report.hint
                );
                assert!(
                    !report.message.contains(cli_word),
                    "{}: {}",
                    e.kind(),
                    report.message
                );
            }
        }
        assert!(CommandError::from(Error::Setup("x".into()))
            .0
            .hint
            .contains("under Apps"));
    }
}

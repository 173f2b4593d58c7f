//! Errors as the UI receives them: [`fitauth_core::ErrorReport`] (`{kind, message, hint, detail}`),
//! a sentence and a next step, never a stack trace, a raw provider body or a secret.

use fitauth_core::{Error, ErrorReport};
use serde::Serialize;

/// What every command returns on failure. Serializes as the bare `ErrorReport`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CommandError(pub ErrorReport);

impl CommandError {
    /// A failure of the desktop layer itself (not of the protocol core).
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

/// The core's next steps are written for the `fitauth` command (`fitauth login`, `--account`);
/// in the app the same step is a button away.
pub fn desktop_report(e: &Error) -> ErrorReport {
    let mut report = e.report();
    let hint = match e {
        Error::ReconnectNeeded { .. } | Error::Revoked { .. } | Error::SecretMissing { .. } => {
            Some("Reconnect the account from Connect.")
        }
        Error::NoAccounts => Some("Connect one from Connect."),
        Error::UnknownAccount { .. } | Error::AmbiguousAccount { .. } => {
            Some("Choose an account under Inspect.")
        }
        Error::UnknownApp { .. } => Some("See the registrations under Apps."),
        _ => None,
    };
    if let Some(hint) = hint {
        report.hint = hint.to_owned();
    }
    if let Error::AmbiguousAccount { names } = e {
        report.message = format!("Several accounts are connected ({names}).");
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
        for e in [
            Error::ReconnectNeeded {
                account: "a".into(),
            },
            Error::Revoked {
                account: "a".into(),
            },
            Error::NoAccounts,
            Error::UnknownAccount { name: "a".into() },
            Error::UnknownApp { name: "a".into() },
            Error::AmbiguousAccount {
                names: "a, b".into(),
            },
        ] {
            let report = CommandError::from(e).0;
            assert!(!report.hint.contains("fitauth"), "{}", report.hint);
            assert!(!report.message.contains("--account"), "{}", report.message);
        }
    }
}

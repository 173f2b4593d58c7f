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

impl From<Error> for CommandError {
    fn from(e: Error) -> Self {
        CommandError(e.report())
    }
}

impl From<&Error> for CommandError {
    fn from(e: &Error) -> Self {
        CommandError(e.report())
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
}

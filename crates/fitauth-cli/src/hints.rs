//! Next steps worded for the command line, keyed on the error's kind: where the core's hint is
//! "reconnect the account", here it is the command that does it. Kinds not listed keep the
//! core's face-neutral hint.

use fitauth_core::Error;

/// What to do next, in one sentence a terminal user can act on.
pub fn hint(e: &Error) -> String {
    let own = match e {
        Error::Setup(_) | Error::InvalidClient { .. } => {
            "Check the registration with `fitauth apps list`; client id, secret and app type must \
             match the provider's developer console."
        }
        Error::Listen { .. } => {
            "Another program is using that port: close it, or pass --port with a free one."
        }
        Error::Browser { .. } => {
            "Open the address printed above in a browser yourself, or set BROWSER (or pass \
             --no-browser)."
        }
        Error::AccountTaken { .. } => {
            "Choose another --account, or leave --account out so the account is named after the \
             person who signs in."
        }
        Error::UnknownAccount { .. } | Error::AmbiguousAccount { .. } => {
            "Run `fitauth status` to list the accounts, then pass --account NAME."
        }
        Error::NoAccounts => "Connect one first with `fitauth login`.",
        Error::TokensNotSaved { .. } => {
            "Unlock your keyring, then run `fitauth refresh --account NAME` within two minutes \
             (Fitbit answers a repeated refresh with the same new tokens for a short while); if \
             that fails, reconnect with `fitauth login`."
        }
        Error::ReconnectNeeded { .. } | Error::Revoked { .. } | Error::SecretMissing { .. } => {
            "Reconnect it with `fitauth login` (the same --provider, and --account with its name)."
        }
        Error::UnknownApp { .. } => "Run `fitauth apps list` to see the registrations.",
        Error::NoRegistration { .. } => {
            "Pass --client-id (and --client-secret where needed), or try it offline with \
             --provider sandbox."
        }
        Error::NeedsYou {
            move_to_google: true,
            ..
        } => "Run `fitauth migrate --account NAME`.",
        Error::NeedsYou { .. } => {
            "Run `fitauth login` again for it (the same --provider, and --account with its name)."
        }
        Error::Retired { .. } => {
            "Move the account to Google Health with `fitauth migrate --account NAME` (it keeps its \
             name), or connect anew with `fitauth login --provider google-health`."
        }
        Error::FinishedElsewhereFailed { .. } => {
            "The Fitauth app's window and log say why; run `fitauth login` again when that is \
             sorted out."
        }
        _ => return e.hint().to_owned(),
    };
    own.to_owned()
}

/// One line for stderr: what happened and what to do.
pub fn one_line(e: &Error) -> String {
    format!("{e} {}", hint(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_steps_name_commands_not_the_desktop_app() {
        for e in Error::examples() {
            let line = one_line(&e);
            for desktop_word in ["under Apps", "from Connect", "under Inspect", "button"] {
                assert!(!line.contains(desktop_word), "{}: {line}", e.kind());
            }
        }
        assert!(hint(&Error::AmbiguousAccount {
            names: "a, b".into()
        })
        .contains("--account"));
        assert!(hint(&Error::NoAccounts).contains("fitauth login"));
    }
}

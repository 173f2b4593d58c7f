//! Names of keyring entries. Every secret has a typed key, so an account's tokens can only be
//! filed under an account id and a client secret only under a registration; the string form
//! (`<store id>/<owner>/<name>/<what>`) is made in one place.
//!
//! A name is not a secret: the Secret Service shows it to any program in the session (it is an
//! item's label and attributes, <https://specifications.freedesktop.org/secret-service-spec/latest/>),
//! and the keyring library logs it. So a name never holds a secret itself: a pending sign-in's
//! verifier is filed under a SHA-256 digest of its OAuth `state` (the state is what a forged
//! redirect needs, RFC 6749 §10.12, <https://www.rfc-editor.org/rfc/rfc6749#section-10.12>).

use sha2::{Digest, Sha256};

/// One secret in the keyring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKey<'a> {
    /// An account's access token, by account id.
    AccessToken { account_id: &'a str },
    /// An account's refresh token, by account id.
    RefreshToken { account_id: &'a str },
    /// A registration's client secret, by registration name.
    ClientSecret { app: &'a str },
    /// A pending sign-in's PKCE verifier, by OAuth `state` (named by its digest).
    PkceVerifier { state: &'a str },
    /// The entry written and deleted to prove the keyring takes writes.
    Probe { process: u32 },
}

impl SecretKey<'_> {
    /// The entry's name within the store `store_id` (stable: it is how existing entries are
    /// found again).
    pub fn entry(&self, store_id: &str) -> String {
        match self {
            SecretKey::AccessToken { account_id } => {
                format!("{store_id}/account/{account_id}/access_token")
            }
            SecretKey::RefreshToken { account_id } => {
                format!("{store_id}/account/{account_id}/refresh_token")
            }
            SecretKey::ClientSecret { app } => format!("{store_id}/app/{app}/client_secret"),
            SecretKey::PkceVerifier { state } => {
                let digest: String = Sha256::digest(state.as_bytes())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                format!("{store_id}/pending/{digest}/pkce_verifier")
            }
            SecretKey::Probe { process } => format!("{store_id}/probe/{process}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_keep_the_names_earlier_versions_used() {
        assert_eq!(
            SecretKey::RefreshToken { account_id: "me" }.entry("abc"),
            "abc/account/me/refresh_token"
        );
        assert_eq!(
            SecretKey::ClientSecret { app: "g" }.entry("abc"),
            "abc/app/g/client_secret"
        );
    }

    #[test]
    fn a_verifier_entry_is_named_without_its_state() {
        let state = "Yq3tS0z5H2cQv8wKpL1mN4rT6uX9aB0c";
        let entry = SecretKey::PkceVerifier { state }.entry("abc");
        assert!(!entry.contains(state), "{entry}");
        // SHA-256 of the state, so the store finds it again from the redirect's state alone.
        assert_eq!(
            SecretKey::PkceVerifier { state: "s" }.entry("abc"),
            "abc/pending/043a718774c572bd8a25adbeb1bfcd5c0256ae11cecf9f9c3f925d0e52beaf89/pkce_verifier"
        );
    }
}

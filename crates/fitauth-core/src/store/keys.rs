//! Names of keyring entries. Every secret has a typed key, so an account's tokens can only be
//! filed under an account id and a client secret only under a registration; the string form
//! (`<store id>/<owner>/<name>/<what>`) is made in one place.

/// One secret in the keyring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKey<'a> {
    /// An account's access token, by account id.
    AccessToken { account_id: &'a str },
    /// An account's refresh token, by account id.
    RefreshToken { account_id: &'a str },
    /// A registration's client secret, by registration name.
    ClientSecret { app: &'a str },
    /// A pending sign-in's PKCE verifier, by OAuth `state`.
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
                format!("{store_id}/pending/{state}/pkce_verifier")
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
        assert_eq!(
            SecretKey::PkceVerifier { state: "s" }.entry("abc"),
            "abc/pending/s/pkce_verifier"
        );
    }
}

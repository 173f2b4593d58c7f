//! Secrets as newtypes.
//!
//! Every value that grants access (tokens, codes, client secrets, PKCE verifiers) lives in one of
//! these types. Their `Debug` and `Display` never show the value, so a stray `{:?}` in a log line or
//! an error message cannot leak it. The raw value is reachable only through [`secret`](AccessToken::secret),
//! a name that stands out in review. `masked()` gives a short, safe preview for UIs. None of them
//! implements `Serialize`. The model is `oauth2-rs`'s secret types
//! (<https://docs.rs/oauth2/latest/oauth2/struct.AccessToken.html>).

macro_rules! secret_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// Deliberately not `Serialize`: a secret cannot end up in JSON (a file, an IPC answer,
        /// `--json` output) by accident.
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// Wraps a raw value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The raw value. Only call this to put the value on the wire or into the keyring.
            pub fn secret(&self) -> &str {
                &self.0
            }

            /// A preview that is safe to show: the first and last four characters of a long value,
            /// nothing of a short one.
            pub fn masked(&self) -> String {
                mask(&self.0)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "([redacted])"))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("[redacted]")
            }
        }
    };
}

secret_type!(
    /// An OAuth access token (a bearer credential).
    AccessToken
);
secret_type!(
    /// An OAuth refresh token. Fitbit's are single-use; Google's are long-lived.
    RefreshToken
);
secret_type!(
    /// An authorization code from the redirect. Single-use, valid for 10 minutes.
    AuthorizationCode
);
secret_type!(
    /// The client secret of an app registration.
    ClientSecret
);
secret_type!(
    /// A PKCE code verifier (RFC 7636).
    PkceVerifier
);
secret_type!(
    /// An OpenID Connect ID token.
    IdToken
);

/// Masks a secret for display: `abcd…wxyz` for values of 16 characters or more, `••••` otherwise.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 16 {
        return "••••".to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// Replaces every occurrence of the given secrets in `text` with `[redacted]`.
///
/// Providers echo secrets back in error messages (Fitbit: `Refresh token invalid: <token>`), so
/// any provider text is passed through this before it is stored, logged or shown.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers a secret to scrub. Very short values are ignored: they would mangle ordinary text
    /// and cannot be meaningful credentials.
    pub fn add(&mut self, secret: &str) {
        if secret.len() >= 6 && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_owned());
            // Longest first, so a secret that contains another is scrubbed whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    pub fn with(mut self, secret: &str) -> Self {
        self.add(secret);
        self
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "[redacted]");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let token = AccessToken::new("super-secret-token-value");
        assert_eq!(format!("{token:?}"), "AccessToken([redacted])");
        assert_eq!(token.to_string(), "[redacted]");
        assert_eq!(token.secret(), "super-secret-token-value");
        let nested = format!("{:?}", Some(RefreshToken::new("r-123456789")));
        assert!(!nested.contains("r-123456789"), "{nested}");
    }

    #[test]
    fn masking_keeps_only_the_ends_of_long_values() {
        assert_eq!(mask("abcdefghijklmnopqrstuvwxyz"), "abcd…wxyz");
        assert_eq!(mask("short"), "••••");
    }

    #[test]
    fn redactor_scrubs_every_known_secret() {
        let r = Redactor::new()
            .with("tok-123456")
            .with("tok-123456-longer")
            .with("ab");
        assert_eq!(
            r.redact("Refresh token invalid: tok-123456-longer and tok-123456 (ab)"),
            "Refresh token invalid: [redacted] and [redacted] (ab)"
        );
    }
}

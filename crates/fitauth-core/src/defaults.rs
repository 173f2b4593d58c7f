//! Built-in app registrations, baked in at build time, so a person who installs Fitauth can
//! connect without registering an app of their own.
//!
//! Set these when building (the release workflow reads them from the repository's variables and
//! secrets); a build without them falls back to asking for a registration, or the sandbox:
//!
//! | variable | what |
//! |---|---|
//! | `FITAUTH_DEFAULT_GOOGLE_CLIENT_ID` | a Google Cloud OAuth client of type "Desktop app" |
//! | `FITAUTH_DEFAULT_GOOGLE_CLIENT_SECRET` | its secret (Google treats a desktop client's secret as non-confidential: it ships in every copy) |
//! | `FITAUTH_DEFAULT_FITBIT_CLIENT_ID` | a Fitbit app of type "Client" (public, PKCE) whose redirect URLs are `fitauth://callback` and `http://127.0.0.1:47813/callback` |
//!
//! Cargo rebuilds this crate when one of them changes (`option_env!` is tracked).

use crate::app::AppType;
use crate::provider::ProviderKind;
use crate::secret::ClientSecret;
use crate::store::{AppRegistration, RedirectMode};

/// The registration name of the built-in Google desktop client.
pub const GOOGLE_APP: &str = "built-in-google";
/// The registration name of the built-in Fitbit client.
pub const FITBIT_APP: &str = "built-in-fitbit";

/// The fixed loopback port for Fitbit registrations: Fitbit compares redirect URLs exactly, so
/// the port cannot change between sign-ins (Google and the sandbox accept any port).
pub const FITBIT_LOOPBACK_PORT: u16 = 47_813;

/// A registration compiled into this build.
#[derive(Debug, Clone)]
pub struct BuiltIn {
    pub registration: AppRegistration,
    pub secret: Option<ClientSecret>,
}

/// The build-time values, as this binary was compiled.
fn compiled(provider: ProviderKind) -> (Option<&'static str>, Option<&'static str>) {
    match provider {
        ProviderKind::GoogleHealth => (
            option_env!("FITAUTH_DEFAULT_GOOGLE_CLIENT_ID"),
            option_env!("FITAUTH_DEFAULT_GOOGLE_CLIENT_SECRET"),
        ),
        ProviderKind::Fitbit => (option_env!("FITAUTH_DEFAULT_FITBIT_CLIENT_ID"), None),
    }
}

/// The built-in registration for `provider`, if this build has one.
pub fn builtin(provider: ProviderKind) -> Option<BuiltIn> {
    let (id, secret) = compiled(provider);
    from_values(provider, id, secret)
}

/// Every built-in registration of this build.
pub fn all() -> Vec<BuiltIn> {
    [ProviderKind::GoogleHealth, ProviderKind::Fitbit]
        .into_iter()
        .filter_map(builtin)
        .collect()
}

/// Builds the registration from the raw values; blank values count as absent.
pub fn from_values(
    provider: ProviderKind,
    client_id: Option<&str>,
    secret: Option<&str>,
) -> Option<BuiltIn> {
    let client_id = client_id.map(str::trim).filter(|s| !s.is_empty())?;
    let secret = secret
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(ClientSecret::new);
    let (name, app_type, redirect) = match provider {
        ProviderKind::GoogleHealth => (GOOGLE_APP, AppType::Client, RedirectMode::Loopback),
        ProviderKind::Fitbit => (FITBIT_APP, AppType::Client, RedirectMode::Scheme),
    };
    Some(BuiltIn {
        registration: AppRegistration {
            name: name.to_owned(),
            provider,
            client_id: client_id.to_owned(),
            app_type,
            redirect,
            base_url: None,
            endpoints: None,
            has_client_secret: secret.is_some(),
            testing: false,
        },
        secret,
    })
}

/// Whether `name` is a built-in registration's name.
pub fn is_builtin(name: &str) -> bool {
    name == GOOGLE_APP || name == FITBIT_APP
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_values_mean_no_builtin() {
        assert!(from_values(ProviderKind::Fitbit, None, None).is_none());
        assert!(from_values(ProviderKind::Fitbit, Some("  "), None).is_none());
        assert!(from_values(ProviderKind::GoogleHealth, Some(""), Some("s")).is_none());
    }

    #[test]
    fn google_builtin_is_a_loopback_client_with_its_secret() {
        let b = from_values(
            ProviderKind::GoogleHealth,
            Some(" 123.apps.googleusercontent.com "),
            Some("GOCSPX-x"),
        )
        .unwrap();
        assert_eq!(b.registration.name, GOOGLE_APP);
        assert_eq!(b.registration.client_id, "123.apps.googleusercontent.com");
        assert_eq!(b.registration.redirect, RedirectMode::Loopback);
        assert!(b.registration.has_client_secret);
        assert_eq!(b.secret.unwrap().secret(), "GOCSPX-x");
        // The secret never shows in debug output.
        let again = from_values(ProviderKind::GoogleHealth, Some("id"), Some("GOCSPX-x")).unwrap();
        assert!(!format!("{again:?}").contains("GOCSPX-x"));
    }

    #[test]
    fn fitbit_builtin_is_a_public_client_on_the_scheme() {
        let b = from_values(ProviderKind::Fitbit, Some("23ABCD"), None).unwrap();
        assert_eq!(b.registration.name, FITBIT_APP);
        assert_eq!(b.registration.app_type, AppType::Client);
        assert_eq!(b.registration.redirect, RedirectMode::Scheme);
        assert!(!b.registration.has_client_secret);
        assert!(is_builtin(FITBIT_APP) && is_builtin(GOOGLE_APP) && !is_builtin("mine"));
    }
}

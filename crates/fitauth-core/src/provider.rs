//! Providers as data: which dialect of OAuth a server speaks, and its endpoint URLs.
//!
//! The two built-in providers are the legacy Fitbit Web API and the Google Health API. Every URL is
//! overridable: `FITAUTH_FITBIT_BASE_URL` and `FITAUTH_GOOGLE_BASE_URL` move a provider onto another
//! host (the sandbox, a proxy), and a custom provider is simply a [`Provider`] built from URLs.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::Error;

/// The protocol dialect. It decides client authentication, redirect quirks, error shapes and how a
/// token is inspected; the URLs decide where requests go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    /// The legacy Fitbit Web API (`www.fitbit.com/oauth2/authorize`, `api.fitbit.com/oauth2/token`).
    Fitbit,
    /// Google OAuth 2.0 for the Google Health API, Fitbit's successor.
    GoogleHealth,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Fitbit => "fitbit",
            ProviderKind::GoogleHealth => "google-health",
        }
    }

    /// The environment variable that moves this provider to another base URL.
    pub fn base_url_env(self) -> &'static str {
        match self {
            ProviderKind::Fitbit => "FITAUTH_FITBIT_BASE_URL",
            ProviderKind::GoogleHealth => "FITAUTH_GOOGLE_BASE_URL",
        }
    }
}

impl std::fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ProviderKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fitbit" => Ok(ProviderKind::Fitbit),
            "google-health" | "google" => Ok(ProviderKind::GoogleHealth),
            other => Err(Error::Invalid(format!(
                "unknown provider \"{other}\": use fitbit or google-health"
            ))),
        }
    }
}

/// Where a provider's endpoints live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    pub authorize: Url,
    pub token: Url,
    /// Fitbit's RFC 7662 introspection (`/1.1/oauth2/introspect`).
    pub introspect: Option<Url>,
    /// Google's `tokeninfo`.
    pub tokeninfo: Option<Url>,
    pub revoke: Url,
    /// Who the token belongs to: Fitbit's profile, Google Health's `users/me/identity`.
    pub identity: Url,
}

/// A provider: a dialect plus its endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub kind: ProviderKind,
    pub endpoints: Endpoints,
}

const FITBIT_WWW: &str = "https://www.fitbit.com";
const FITBIT_API: &str = "https://api.fitbit.com";
const GOOGLE_ACCOUNTS: &str = "https://accounts.google.com";
const GOOGLE_OAUTH: &str = "https://oauth2.googleapis.com";
const GOOGLE_HEALTH: &str = "https://health.googleapis.com";

impl Provider {
    /// The real legacy Fitbit endpoints.
    pub fn fitbit() -> Self {
        Self::fitbit_hosts(FITBIT_WWW, FITBIT_API).expect("built-in Fitbit URLs are valid")
    }

    /// The real Google endpoints.
    pub fn google_health() -> Self {
        Self::google_hosts(GOOGLE_ACCOUNTS, GOOGLE_OAUTH, GOOGLE_HEALTH)
            .expect("built-in Google URLs are valid")
    }

    /// The Fitbit dialect with both Fitbit hosts replaced by `base` (e.g. the sandbox).
    pub fn fitbit_at(base: &str) -> Result<Self, Error> {
        Self::fitbit_hosts(base, base)
    }

    /// The Google dialect with every Google host replaced by `base` (e.g. the sandbox).
    pub fn google_health_at(base: &str) -> Result<Self, Error> {
        Self::google_hosts(base, base, base)
    }

    /// A built-in provider, moved by its `FITAUTH_*_BASE_URL` variable when that is set.
    pub fn from_env(kind: ProviderKind) -> Result<Self, Error> {
        let base = std::env::var(kind.base_url_env())
            .ok()
            .filter(|v| !v.trim().is_empty());
        Self::with_base(kind, base.as_deref())
    }

    /// A built-in provider, on its real hosts or on `base`.
    pub fn with_base(kind: ProviderKind, base: Option<&str>) -> Result<Self, Error> {
        match (kind, base) {
            (ProviderKind::Fitbit, None) => Ok(Self::fitbit()),
            (ProviderKind::Fitbit, Some(base)) => Self::fitbit_at(base),
            (ProviderKind::GoogleHealth, None) => Ok(Self::google_health()),
            (ProviderKind::GoogleHealth, Some(base)) => Self::google_health_at(base),
        }
    }

    fn fitbit_hosts(www: &str, api: &str) -> Result<Self, Error> {
        Ok(Provider {
            kind: ProviderKind::Fitbit,
            endpoints: Endpoints {
                authorize: join(www, "/oauth2/authorize")?,
                token: join(api, "/oauth2/token")?,
                introspect: Some(join(api, "/1.1/oauth2/introspect")?),
                tokeninfo: None,
                revoke: join(api, "/oauth2/revoke")?,
                identity: join(api, "/1/user/-/profile.json")?,
            },
        })
    }

    fn google_hosts(accounts: &str, oauth: &str, health: &str) -> Result<Self, Error> {
        Ok(Provider {
            kind: ProviderKind::GoogleHealth,
            endpoints: Endpoints {
                authorize: join(accounts, "/o/oauth2/v2/auth")?,
                token: join(oauth, "/token")?,
                introspect: None,
                tokeninfo: Some(join(oauth, "/tokeninfo")?),
                revoke: join(oauth, "/revoke")?,
                identity: join(health, "/v4/users/me/identity")?,
            },
        })
    }
}

/// Joins an absolute path onto a base URL, keeping any path prefix the base has
/// (`https://host/proxy` + `/oauth2/token` → `https://host/proxy/oauth2/token`).
fn join(base: &str, path: &str) -> Result<Url, Error> {
    let trimmed = base.trim().trim_end_matches('/');
    let url = Url::parse(&format!("{trimmed}{path}"))
        .map_err(|e| Error::Invalid(format!("\"{base}\" is not a usable base URL ({e})")))?;
    check_transport(&url).map_err(|why| Error::Invalid(format!("\"{base}\" {why}")))?;
    Ok(url)
}

/// Endpoints carry codes, secrets and tokens: HTTPS, or plain HTTP to this computer only (the
/// sandbox, a local proxy), as RFC 9700 §2.6 asks
/// (<https://www.rfc-editor.org/rfc/rfc9700#section-2.6>).
pub fn check_transport(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if crate::authorize::is_loopback_http(url) => Ok(()),
        "http" => Err(
            "must use https; plain http is accepted only for this computer (127.0.0.1, [::1], \
             localhost)"
                .into(),
        ),
        other => Err(format!("must be an https URL, not {other}")),
    }
}

impl Endpoints {
    /// Every endpoint passes [`check_transport`].
    pub fn check_transport(&self) -> Result<(), Error> {
        [
            Some(&self.authorize),
            Some(&self.token),
            self.introspect.as_ref(),
            self.tokeninfo.as_ref(),
            Some(&self.revoke),
            Some(&self.identity),
        ]
        .into_iter()
        .flatten()
        .try_for_each(|u| {
            check_transport(u).map_err(|why| Error::Invalid(format!("the endpoint {u} {why}")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_for_this_computer_only() {
        assert!(Provider::fitbit_at("http://127.0.0.1:8765").is_ok());
        assert!(Provider::fitbit_at("http://localhost:8765").is_ok());
        assert!(Provider::google_health_at("https://proxy.example").is_ok());
        let e = Provider::fitbit_at("http://proxy.example").unwrap_err();
        assert_eq!(e.kind(), "validation");
        assert!(e.to_string().contains("must use https"), "{e}");
        assert!(Provider::fitbit_at("ftp://127.0.0.1").is_err());
    }

    #[test]
    fn fitbit_base_override_moves_both_hosts() {
        let p = Provider::fitbit_at("http://127.0.0.1:9000/").unwrap();
        assert_eq!(
            p.endpoints.authorize.as_str(),
            "http://127.0.0.1:9000/oauth2/authorize"
        );
        assert_eq!(
            p.endpoints.token.as_str(),
            "http://127.0.0.1:9000/oauth2/token"
        );
        assert_eq!(
            p.endpoints.introspect.unwrap().as_str(),
            "http://127.0.0.1:9000/1.1/oauth2/introspect"
        );
        assert_eq!(
            p.endpoints.revoke.as_str(),
            "http://127.0.0.1:9000/oauth2/revoke"
        );
        assert_eq!(
            p.endpoints.identity.as_str(),
            "http://127.0.0.1:9000/1/user/-/profile.json"
        );
    }

    #[test]
    fn google_base_override_moves_every_host() {
        let p = Provider::google_health_at("http://[::1]:9000/prefix").unwrap();
        let e = p.endpoints;
        assert_eq!(
            e.authorize.as_str(),
            "http://[::1]:9000/prefix/o/oauth2/v2/auth"
        );
        assert_eq!(e.token.as_str(), "http://[::1]:9000/prefix/token");
        assert_eq!(
            e.tokeninfo.unwrap().as_str(),
            "http://[::1]:9000/prefix/tokeninfo"
        );
        assert_eq!(e.revoke.as_str(), "http://[::1]:9000/prefix/revoke");
        assert_eq!(
            e.identity.as_str(),
            "http://[::1]:9000/prefix/v4/users/me/identity"
        );
    }

    #[test]
    fn real_hosts_are_the_documented_ones() {
        let f = Provider::fitbit().endpoints;
        assert_eq!(
            f.authorize.as_str(),
            "https://www.fitbit.com/oauth2/authorize"
        );
        assert_eq!(f.token.as_str(), "https://api.fitbit.com/oauth2/token");
        let g = Provider::google_health().endpoints;
        assert_eq!(
            g.authorize.as_str(),
            "https://accounts.google.com/o/oauth2/v2/auth"
        );
        assert_eq!(g.token.as_str(), "https://oauth2.googleapis.com/token");
        assert_eq!(
            g.identity.as_str(),
            "https://health.googleapis.com/v4/users/me/identity"
        );
    }

    #[test]
    fn bad_base_urls_are_config_errors() {
        assert!(Provider::fitbit_at("not a url").is_err());
        assert!(Provider::fitbit_at("ftp://example.com").is_err());
    }
}

//! Starting an authorization: the pending-authorization value (state + PKCE verifier + what was
//! asked for) and the authorize URL the browser opens.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::app::{AppType, ClientConfig};
use crate::clock::now_unix;
use crate::error::Error;
use crate::pkce::State;
use crate::provider::ProviderKind;
use crate::secret::PkceVerifier;

/// How long a started authorization may be finished: Fitbit's codes live 10 minutes, and a
/// consent tab left open longer than that is better started afresh.
pub const PENDING_LIFETIME_SECS: i64 = 600;

/// Lifetimes Fitbit accepts for implicit-grant tokens.
pub const IMPLICIT_LIFETIMES: [u64; 4] = [86_400, 604_800, 2_592_000, 31_536_000];
/// Lifetimes Fitbit's token endpoint has listed for the code grant and the refresh
/// (<https://dev.fitbit.com/build/reference/web-api/authorization/oauth2-token/>): 8 hours, the
/// default, and 1 hour.
pub const CODE_LIFETIMES: [u64; 2] = [28_800, 3_600];

/// What the authorize endpoint should send back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ResponseType {
    /// Authorization Code grant (with PKCE unless disabled).
    #[default]
    Code,
    /// Implicit grant: the token arrives in the redirect's fragment; no refresh token.
    Token,
}

/// What to ask for.
#[derive(Debug, Clone)]
pub struct AuthorizeOptions {
    pub scopes: Vec<String>,
    pub redirect_uri: String,
    pub response_type: ResponseType,
    /// PKCE S256. Always on for Google; on by default for Fitbit (server apps may turn it off).
    pub pkce: bool,
    /// `consent`, `login`, `login consent`, `none` (Fitbit); `consent`, `select_account` (Google).
    pub prompt: Option<String>,
    /// The token lifetime to request: the implicit grant's (on the authorize URL), or the code
    /// grant's (sent with the code exchange; Fitbit only, 28800 or 3600 seconds).
    pub expires_in: Option<u64>,
    /// Google only: pre-select an account.
    pub login_hint: Option<String>,
}

impl AuthorizeOptions {
    pub fn code(scopes: Vec<String>, redirect_uri: impl Into<String>) -> Self {
        AuthorizeOptions {
            scopes,
            redirect_uri: redirect_uri.into(),
            response_type: ResponseType::Code,
            pkce: true,
            prompt: None,
            expires_in: None,
            login_hint: None,
        }
    }

    pub fn implicit(
        scopes: Vec<String>,
        redirect_uri: impl Into<String>,
        expires_in: Option<u64>,
    ) -> Self {
        AuthorizeOptions {
            response_type: ResponseType::Token,
            pkce: false,
            expires_in,
            ..Self::code(scopes, redirect_uri)
        }
    }
}

/// An authorization that was started and not yet finished. Serializable, so another process (or
/// this one after a restart) can finish it; the verifier inside stays redacted in `Debug`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingAuthorization {
    pub provider: ProviderKind,
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub response_type: ResponseType,
    pub state: State,
    /// Never serialized: a stored sign-in keeps its verifier in the keyring.
    #[serde(skip)]
    pub verifier: Option<PkceVerifier>,
    pub created_at: i64,
    pub expires_at: i64,
    /// Code grant: the access token lifetime to ask the token endpoint for (`expires_in`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_lifetime: Option<u64>,
    pub authorize_url: Url,
}

impl PendingAuthorization {
    /// Generates state and verifier and builds the authorize URL.
    pub fn start(config: &ClientConfig, options: AuthorizeOptions) -> Result<Self, Error> {
        Self::start_at(config, options, now_unix())
    }

    pub fn start_at(
        config: &ClientConfig,
        options: AuthorizeOptions,
        now: i64,
    ) -> Result<Self, Error> {
        let mut options = options;
        // `login  consent` is sent as `login consent`.
        options.prompt = options
            .prompt
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "));
        validate(config, &options)?;
        let state = State::generate();
        let pkce = options.pkce || config.provider.kind == ProviderKind::GoogleHealth;
        let verifier =
            (pkce && options.response_type == ResponseType::Code).then(PkceVerifier::generate);
        let authorize_url = build_url(config, &options, &state, verifier.as_ref());
        Ok(PendingAuthorization {
            provider: config.provider.kind,
            client_id: config.client_id.clone(),
            redirect_uri: options.redirect_uri,
            scopes: options.scopes,
            response_type: options.response_type,
            state,
            verifier,
            created_at: now,
            expires_at: now + PENDING_LIFETIME_SECS,
            token_lifetime: options
                .expires_in
                .filter(|_| options.response_type == ResponseType::Code),
            authorize_url,
        })
    }

    pub fn is_expired_at(&self, now: i64) -> bool {
        now >= self.expires_at
    }

    pub fn is_expired(&self) -> bool {
        self.is_expired_at(now_unix())
    }
}

fn validate(config: &ClientConfig, options: &AuthorizeOptions) -> Result<(), Error> {
    if config.client_id.trim().is_empty() {
        return Err(Error::Setup("the app registration has no client id".into()));
    }
    if options.scopes.iter().all(|s| s.trim().is_empty()) {
        return Err(Error::Invalid(
            "choose at least one thing to share (a scope)".into(),
        ));
    }
    let redirect = Url::parse(&options.redirect_uri).map_err(|e| {
        Error::Invalid(format!(
            "the redirect URI \"{}\" is not a URL ({e})",
            options.redirect_uri
        ))
    })?;
    if let Some(prompt) = options.prompt.as_deref() {
        // Fitbit: <https://dev.fitbit.com/build/reference/web-api/authorization/authorize/>;
        // Google: <https://developers.google.com/identity/protocols/oauth2/web-server#creatingclient>.
        let (offered, say): (&[&str], &str) = match config.provider.kind {
            ProviderKind::Fitbit => (
                &["none", "login", "consent", "login consent", "consent login"],
                "Fitbit's prompt is none, login, consent or \"login consent\"",
            ),
            ProviderKind::GoogleHealth => (
                &[
                    "none",
                    "consent",
                    "select_account",
                    "select_account consent",
                    "consent select_account",
                ],
                "Google's prompt is none, consent, select_account or both of the last two",
            ),
        };
        let words = prompt.split_whitespace().collect::<Vec<_>>().join(" ");
        if !offered.contains(&words.as_str()) {
            return Err(Error::Invalid(format!("{say}, not \"{prompt}\"")));
        }
    }
    match config.provider.kind {
        ProviderKind::GoogleHealth => {
            if !is_loopback_http(&redirect) {
                return Err(Error::Setup(
                    "Google only returns desktop sign-ins to a loopback address such as \
                     http://127.0.0.1:<port>; custom schemes are not allowed"
                        .into(),
                ));
            }
            if options.response_type == ResponseType::Token {
                return Err(Error::Invalid(
                    "Google desktop clients cannot use the implicit grant".into(),
                ));
            }
            if options.expires_in.is_some() {
                return Err(Error::Invalid(
                    "Google sets the lifetime of its tokens itself; leave --lifetime out".into(),
                ));
            }
        }
        ProviderKind::Fitbit => {
            // Only a server app, which authenticates with its secret, may leave PKCE out
            // (<https://dev.fitbit.com/build/reference/web-api/developer-guide/authorization/>).
            if options.response_type == ResponseType::Code
                && !options.pkce
                && config.app_type != AppType::Server
            {
                return Err(Error::Invalid(
                    "Fitbit client and personal apps must use PKCE; only a server app, which \
                     sends its client secret, may leave it out"
                        .into(),
                ));
            }
            if options.response_type == ResponseType::Token && config.app_type == AppType::Server {
                return Err(Error::Invalid(
                    "Fitbit server apps cannot use the implicit grant; use the code flow".into(),
                ));
            }
            if let Some(lifetime) = options.expires_in {
                let (offered, what) = match options.response_type {
                    ResponseType::Code => (
                        &CODE_LIFETIMES[..],
                        "tokens from the code grant a lifetime of 28800 seconds (8 hours) or \
                         3600 (1 hour)",
                    ),
                    ResponseType::Token => (
                        &IMPLICIT_LIFETIMES[..],
                        "implicit tokens a lifetime of 86400, 604800, 2592000 or 31536000 seconds",
                    ),
                };
                if !offered.contains(&lifetime) {
                    return Err(Error::Invalid(format!(
                        "Fitbit gives {what}, not {lifetime}"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// `http://127.0.0.1:<port>/…`, `http://[::1]:<port>/…` or `http://localhost:<port>/…`.
pub fn is_loopback_http(url: &Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        }
}

fn build_url(
    config: &ClientConfig,
    options: &AuthorizeOptions,
    state: &State,
    verifier: Option<&PkceVerifier>,
) -> Url {
    let mut url = config.provider.endpoints.authorize.clone();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", &config.client_id);
        q.append_pair(
            "response_type",
            match options.response_type {
                ResponseType::Code => "code",
                ResponseType::Token => "token",
            },
        );
        let scope = options
            .scopes
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        q.append_pair("scope", &scope);
        q.append_pair("redirect_uri", &options.redirect_uri);
        q.append_pair("state", state.as_str());
        if let Some(v) = verifier {
            q.append_pair("code_challenge", &v.challenge());
            q.append_pair("code_challenge_method", "S256");
        }
        if let Some(prompt) = &options.prompt {
            q.append_pair("prompt", prompt);
        }
        match config.provider.kind {
            ProviderKind::Fitbit => {
                if options.response_type == ResponseType::Token {
                    if let Some(e) = options.expires_in {
                        q.append_pair("expires_in", &e.to_string());
                    }
                }
            }
            ProviderKind::GoogleHealth => {
                // Installed apps always get a refresh token; asking explicitly is harmless and
                // matches the Google Health migration guide.
                q.append_pair("access_type", "offline");
                if let Some(hint) = &options.login_hint {
                    q.append_pair("login_hint", hint);
                }
            }
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Provider;
    use crate::secret::ClientSecret;
    use std::collections::HashMap;

    fn params(url: &Url) -> HashMap<String, String> {
        url.query_pairs().into_owned().collect()
    }

    #[test]
    fn fitbit_code_flow_url_has_every_parameter() {
        let cfg = ClientConfig::new(Provider::fitbit(), "ABC123", AppType::Client);
        let mut opts = AuthorizeOptions::code(
            vec!["activity".into(), "sleep".into()],
            "fitauth://callback",
        );
        opts.prompt = Some("login consent".into());
        let p = PendingAuthorization::start_at(&cfg, opts, 1000).unwrap();
        let q = params(&p.authorize_url);
        assert_eq!(p.authorize_url.path(), "/oauth2/authorize");
        assert_eq!(q["client_id"], "ABC123");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["scope"], "activity sleep");
        assert_eq!(q["redirect_uri"], "fitauth://callback");
        assert_eq!(q["state"], p.state.as_str());
        assert_eq!(
            q["code_challenge"],
            p.verifier.as_ref().unwrap().challenge()
        );
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["prompt"], "login consent");
        assert!(!q.contains_key("expires_in"));
        assert!(p.authorize_url.as_str().contains("scope=activity+sleep"));
        assert_eq!(p.expires_at, 1600);
        assert!(!p.is_expired_at(1599));
        assert!(p.is_expired_at(1600));
    }

    #[test]
    fn fitbit_implicit_url_carries_expires_in_and_no_pkce() {
        let cfg = ClientConfig::new(Provider::fitbit(), "ABC123", AppType::Personal);
        let opts =
            AuthorizeOptions::implicit(vec!["weight".into()], "fitauth://callback", Some(604_800));
        let p = PendingAuthorization::start(&cfg, opts).unwrap();
        let q = params(&p.authorize_url);
        assert_eq!(q["response_type"], "token");
        assert_eq!(q["expires_in"], "604800");
        assert!(!q.contains_key("code_challenge"));
        assert!(p.verifier.is_none());
    }

    #[test]
    fn a_prompt_the_provider_does_not_know_is_refused() {
        let cfg = ClientConfig::new(Provider::fitbit(), "ABC123", AppType::Client);
        let mut opts = AuthorizeOptions::code(vec!["sleep".into()], "fitauth://callback");
        opts.prompt = Some("select_account".into());
        let e = PendingAuthorization::start(&cfg, opts.clone()).unwrap_err();
        assert!(
            e.to_string().contains("Fitbit's prompt is none, login"),
            "{e}"
        );
        opts.prompt = Some("login consent".into());
        assert!(PendingAuthorization::start(&cfg, opts).is_ok());
    }

    #[test]
    fn a_code_grant_lifetime_goes_to_the_exchange_not_the_url() {
        let cfg = ClientConfig::new(Provider::fitbit(), "ABC123", AppType::Client);
        let mut opts = AuthorizeOptions::code(vec!["sleep".into()], "fitauth://callback");
        opts.expires_in = Some(3_600);
        let p = PendingAuthorization::start(&cfg, opts.clone()).unwrap();
        assert_eq!(p.token_lifetime, Some(3_600));
        assert!(!params(&p.authorize_url).contains_key("expires_in"));
        opts.expires_in = Some(86_400);
        let e = PendingAuthorization::start(&cfg, opts.clone()).unwrap_err();
        assert!(
            e.to_string().contains("28800 seconds (8 hours) or 3600"),
            "{e}"
        );
        // Google sets its own lifetimes.
        let google = ClientConfig::new(Provider::google_health(), "g.apps", AppType::Client)
            .with_secret(Some(ClientSecret::new("s")));
        opts.expires_in = Some(3_600);
        opts.redirect_uri = "http://127.0.0.1:5555/".into();
        let e = PendingAuthorization::start(&google, opts).unwrap_err();
        assert!(e.to_string().contains("Google sets the lifetime"), "{e}");
    }

    #[test]
    fn google_url_uses_pkce_and_offline_access_and_requires_loopback() {
        let cfg = ClientConfig::new(Provider::google_health(), "g.apps", AppType::Client)
            .with_secret(Some(ClientSecret::new("s")));
        let mut opts = AuthorizeOptions::code(
            vec!["https://www.googleapis.com/auth/googlehealth.sleep.readonly".into()],
            "http://127.0.0.1:5555/",
        );
        opts.pkce = false; // ignored: Google always gets PKCE
        opts.login_hint = Some("me@example.com".into());
        let p = PendingAuthorization::start(&cfg, opts.clone()).unwrap();
        let q = params(&p.authorize_url);
        assert_eq!(q["access_type"], "offline");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["login_hint"], "me@example.com");
        opts.redirect_uri = "fitauth://callback".into();
        assert!(PendingAuthorization::start(&cfg, opts).is_err());
    }

    #[test]
    fn bad_requests_are_refused_before_the_browser_opens() {
        let server = ClientConfig::new(Provider::fitbit(), "ABC", AppType::Server);
        let implicit = AuthorizeOptions::implicit(vec!["sleep".into()], "fitauth://callback", None);
        assert!(PendingAuthorization::start(&server, implicit).is_err());
        let client = ClientConfig::new(Provider::fitbit(), "ABC", AppType::Client);
        let bad_lifetime =
            AuthorizeOptions::implicit(vec!["sleep".into()], "fitauth://callback", Some(5));
        assert!(PendingAuthorization::start(&client, bad_lifetime).is_err());
        assert!(PendingAuthorization::start(
            &client,
            AuthorizeOptions::code(vec![], "fitauth://callback")
        )
        .is_err());
    }

    #[test]
    fn pending_authorization_round_trips_through_json_without_its_verifier() {
        let cfg = ClientConfig::new(Provider::fitbit(), "ABC123", AppType::Client);
        let p = PendingAuthorization::start(
            &cfg,
            AuthorizeOptions::code(vec!["profile".into()], "fitauth://callback"),
        )
        .unwrap();
        let json = serde_json::to_string(&p).unwrap();
        let back: PendingAuthorization = serde_json::from_str(&json).unwrap();
        assert_eq!(back.state, p.state);
        assert_eq!(
            back.verifier, None,
            "the verifier lives in the keyring, never in JSON"
        );
        assert!(!json.contains(p.verifier.as_ref().unwrap().secret()));
        assert_eq!(back.authorize_url, p.authorize_url);
        assert!(!format!("{p:?}").contains(p.verifier.as_ref().unwrap().secret()));
    }
}

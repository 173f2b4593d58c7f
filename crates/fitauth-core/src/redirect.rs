//! Reading the redirect that comes back from the consent page.
//!
//! It may arrive as a custom-scheme URL (`fitauth://callback?code=…&state=…#_=_`), as the request
//! target a loopback listener received (`/callback?code=…`), or as whatever a person pasted from
//! the address bar (with spaces, without a scheme). Fitbit appends `#_=_` to code redirects and
//! glues `_=_` onto the front of implicit-grant fragments; both are ignored.
//!
//! Parsing ([`RedirectParams::parse`]) never fails on content, only on shape; checking against
//! the authorization this app started ([`RedirectParams::verify`]) compares `state` in constant
//! time and turns `error=` into a typed error.

use url::Url;

use crate::authorize::{PendingAuthorization, ResponseType};
use crate::clock::{after, now_unix};
use crate::error::{Error, ProviderDetail};
use crate::secret::{AccessToken, AuthorizationCode};
use crate::token::{split_scopes, TokenSet};

/// Longest input accepted; real redirects are a few hundred bytes.
const MAX_LEN: usize = 16 * 1024;

/// The parameters of a redirect, query and fragment kept apart.
#[derive(Clone, PartialEq, Eq)]
pub struct RedirectParams {
    query: Vec<(String, String)>,
    fragment: Vec<(String, String)>,
}

impl std::fmt::Debug for RedirectParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: values include codes and tokens.
        let names = |v: &[(String, String)]| v.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        f.debug_struct("RedirectParams")
            .field("query", &names(&self.query))
            .field("fragment", &names(&self.fragment))
            .finish()
    }
}

/// What a verified redirect delivered.
#[derive(Debug, Clone)]
pub enum Authorized {
    /// Exchange this at the token endpoint.
    Code {
        code: AuthorizationCode,
        /// Google appends the granted scopes to the redirect.
        scopes: Option<Vec<String>>,
    },
    /// Implicit grant: the token itself.
    Token(TokenSet),
}

impl RedirectParams {
    /// Splits a redirect into query and fragment parameters.
    pub fn parse(input: &str) -> Result<Self, Error> {
        let input = input.trim();
        if input.is_empty() {
            return Err(Error::MalformedRedirect("it is empty".into()));
        }
        if input.len() > MAX_LEN {
            return Err(Error::MalformedRedirect("it is far too long".into()));
        }
        let (query, fragment) =
            if input.starts_with('/') || input.starts_with('?') || input.starts_with('#') {
                split_target(input)
            } else if input.contains("://") {
                let url = Url::parse(input)
                    .map_err(|_| Error::MalformedRedirect("it is not a valid address".into()))?;
                (
                    url.query().unwrap_or("").to_owned(),
                    url.fragment().unwrap_or("").to_owned(),
                )
            } else if let Some(rest) = input
                .strip_prefix("localhost")
                .or_else(|| input.strip_prefix("127.0.0.1"))
            {
                // `127.0.0.1:5000/callback?code=…` pasted without its scheme.
                split_target(rest)
            } else {
                return Err(Error::MalformedRedirect(
                    "it is neither a web address nor a fitauth:// link".into(),
                ));
            };
        let params = RedirectParams {
            query: pairs(&query),
            fragment: pairs(strip_fitbit_marker(&fragment)),
        };
        if params.query.is_empty() && params.fragment.is_empty() {
            return Err(Error::MalformedRedirect(
                "it carries no sign-in result (no code, token or error)".into(),
            ));
        }
        Ok(params)
    }

    fn get(&self, name: &str) -> Result<Option<&str>, Error> {
        let mut found = self
            .query
            .iter()
            .chain(self.fragment.iter())
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        let first = found.next();
        if found.next().is_some() {
            return Err(Error::MalformedRedirect(format!(
                "it carries \"{name}\" more than once"
            )));
        }
        Ok(first)
    }

    /// The `state` it carries, unverified: for telling redirects apart (deduplication).
    pub fn state(&self) -> Option<&str> {
        self.get("state").ok().flatten()
    }

    /// Checks the redirect against the authorization this app started.
    pub fn verify(&self, pending: &PendingAuthorization) -> Result<Authorized, Error> {
        self.verify_at(pending, now_unix())
    }

    pub fn verify_at(&self, pending: &PendingAuthorization, now: i64) -> Result<Authorized, Error> {
        // State first: an error answer with someone else's state is not ours to report.
        match self.get("state")? {
            Some(state) if pending.state.matches(state) => {}
            _ => return Err(Error::StateMismatch),
        }
        if let Some(code) = self.get("error")? {
            let detail = ProviderDetail {
                code: Some(code.to_owned()),
                description: self.get("error_description")?.map(str::to_owned),
                http_status: None,
            };
            return Err(if code == "access_denied" {
                Error::AccessDenied { detail }
            } else {
                Error::AuthorizationRejected {
                    code: code.to_owned(),
                    detail,
                }
            });
        }
        if pending.is_expired_at(now) {
            return Err(Error::AuthorizationExpired);
        }
        match pending.response_type {
            ResponseType::Code => {
                let code = self
                    .query
                    .iter()
                    .find(|(k, _)| k == "code")
                    .map(|(_, v)| v.as_str())
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| {
                        Error::MalformedRedirect("it has no authorization code".into())
                    })?;
                self.get("code")?; // refuses a duplicated code
                Ok(Authorized::Code {
                    code: AuthorizationCode::new(code),
                    scopes: self.get("scope")?.map(split_scopes),
                })
            }
            ResponseType::Token => self.implicit_token(now).map(Authorized::Token),
        }
    }

    fn implicit_token(&self, now: i64) -> Result<TokenSet, Error> {
        let field = |name: &str| -> Option<&str> {
            self.fragment
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let access = field("access_token")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::MalformedRedirect("it has no access token in its fragment".into())
            })?;
        let expires_in = field("expires_in").and_then(|v| v.trim().parse::<i64>().ok());
        Ok(TokenSet {
            access_token: AccessToken::new(access),
            refresh_token: None,
            id_token: None,
            token_type: field("token_type").unwrap_or("Bearer").to_owned(),
            issued_at: now,
            // Clamped like the token endpoint's: a huge or negative number neither overflows
            // nor dates the token before it arrived.
            expires_at: expires_in.map(|e| after(now, e)),
            scopes: field("scope").map(split_scopes),
            user_id: field("user_id").map(str::to_owned),
            refresh_token_expires_at: None,
        })
    }
}

/// Splits `/path?query#fragment` (or `?query`, `#fragment`) without interpreting the path.
fn split_target(target: &str) -> (String, String) {
    let (before, fragment) = target.split_once('#').unwrap_or((target, ""));
    let query = before.split_once('?').map(|(_, q)| q).unwrap_or("");
    (query.to_owned(), fragment.to_owned())
}

/// Fitbit's `_=_` marker: the whole fragment on code redirects, a prefix on implicit ones.
fn strip_fitbit_marker(fragment: &str) -> &str {
    match fragment.strip_prefix("_=_") {
        Some(rest) => rest.strip_prefix('&').unwrap_or(rest),
        None => fragment,
    }
}

fn pairs(s: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(s.as_bytes())
        .filter(|(k, _)| !k.is_empty() && k != "_")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{AppType, ClientConfig};
    use crate::authorize::AuthorizeOptions;
    use crate::provider::Provider;

    fn pending(response: ResponseType) -> PendingAuthorization {
        let cfg = ClientConfig::new(Provider::fitbit(), "ABC", AppType::Client);
        let opts = match response {
            ResponseType::Code => {
                AuthorizeOptions::code(vec!["sleep".into()], "fitauth://callback")
            }
            ResponseType::Token => {
                AuthorizeOptions::implicit(vec!["sleep".into()], "fitauth://callback", None)
            }
        };
        PendingAuthorization::start_at(&cfg, opts, 1000).unwrap()
    }

    fn code_of(result: Result<Authorized, Error>) -> String {
        match result.unwrap() {
            Authorized::Code { code, .. } => code.secret().to_owned(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn custom_scheme_with_fitbit_marker() {
        let p = pending(ResponseType::Code);
        let url = format!(
            "fitauth://callback?code=abc123&state={}#_=_",
            p.state.as_str()
        );
        assert_eq!(
            code_of(RedirectParams::parse(&url).unwrap().verify_at(&p, 1001)),
            "abc123"
        );
    }

    #[test]
    fn loopback_target_and_pasted_url_forms() {
        let p = pending(ResponseType::Code);
        let s = p.state.as_str();
        for input in [
            format!("/callback?code=c1&state={s}"),
            format!("  http://127.0.0.1:5555/callback?state={s}&code=c1#_=_\n"),
            format!("127.0.0.1:5555/callback?code=c1&state={s}"),
            format!("?code=c1&state={s}"),
        ] {
            assert_eq!(
                code_of(RedirectParams::parse(&input).unwrap().verify_at(&p, 1001)),
                "c1",
                "{input}"
            );
        }
    }

    #[test]
    fn wrong_or_missing_state_is_refused() {
        let p = pending(ResponseType::Code);
        let wrong = RedirectParams::parse("fitauth://callback?code=c&state=nope").unwrap();
        assert_eq!(
            wrong.verify_at(&p, 1001).unwrap_err().kind(),
            "state_mismatch"
        );
        let missing = RedirectParams::parse("fitauth://callback?code=c").unwrap();
        assert_eq!(
            missing.verify_at(&p, 1001).unwrap_err().kind(),
            "state_mismatch"
        );
        let twice = format!(
            "fitauth://callback?code=c&state={0}&state={0}",
            p.state.as_str()
        );
        assert_eq!(
            RedirectParams::parse(&twice)
                .unwrap()
                .verify_at(&p, 1001)
                .unwrap_err()
                .kind(),
            "malformed_redirect"
        );
    }

    #[test]
    fn errors_are_typed() {
        let p = pending(ResponseType::Code);
        let s = p.state.as_str();
        let denied = format!("fitauth://callback?error=access_denied&error_description=The+user+denied&state={s}#_=_");
        let e = RedirectParams::parse(&denied)
            .unwrap()
            .verify_at(&p, 1001)
            .unwrap_err();
        assert_eq!(e.kind(), "access_denied");
        assert_eq!(
            e.detail().unwrap().description.as_deref(),
            Some("The user denied")
        );
        let invalid = format!("fitauth://callback?error=invalid_request&state={s}");
        let e = RedirectParams::parse(&invalid)
            .unwrap()
            .verify_at(&p, 1001)
            .unwrap_err();
        assert_eq!(e.kind(), "authorization_rejected");
    }

    #[test]
    fn expired_pending_authorization_is_refused() {
        let p = pending(ResponseType::Code);
        let url = format!("fitauth://callback?code=c&state={}", p.state.as_str());
        let e = RedirectParams::parse(&url)
            .unwrap()
            .verify_at(&p, 1000 + 601)
            .unwrap_err();
        assert_eq!(e.kind(), "authorization_expired");
    }

    #[test]
    fn implicit_fragment_with_glued_marker() {
        let p = pending(ResponseType::Token);
        let url = format!(
            "fitauth://callback#_=_scope=nutrition%20sleep&user_id=28GVHZ&token_type=Bearer&expires_in=593433&access_token=tok.en.x&state={}",
            p.state.as_str()
        );
        match RedirectParams::parse(&url)
            .unwrap()
            .verify_at(&p, 1001)
            .unwrap()
        {
            Authorized::Token(t) => {
                assert_eq!(t.access_token.secret(), "tok.en.x");
                assert_eq!(t.user_id.as_deref(), Some("28GVHZ"));
                assert_eq!(t.scopes.unwrap(), ["nutrition", "sleep"]);
                assert_eq!(t.expires_at, Some(1001 + 593_433));
                assert!(t.refresh_token.is_none());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn shapes_that_are_not_redirects() {
        for input in [
            "",
            "   ",
            "hello",
            "fitauth://callback",
            "http://[oops/",
            "/callback#_=_",
        ] {
            assert_eq!(
                RedirectParams::parse(input).unwrap_err().kind(),
                "malformed_redirect",
                "{input:?}"
            );
        }
    }

    #[test]
    fn debug_shows_names_not_values() {
        let r = RedirectParams::parse("fitauth://callback?code=secretcode&state=s").unwrap();
        assert!(!format!("{r:?}").contains("secretcode"));
    }
}

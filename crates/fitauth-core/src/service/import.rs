//! Importing a token one already has (the Python client's `create_using_token`, `gh auth login
//! --with-token`): the provider is asked about it (Fitbit introspect, Google tokeninfo) to learn
//! whose it is, what it may do and when it ends; an active one is stored like any sign-in's,
//! secrets in the keyring, and from then on it is an account like any other.

use super::Fitauth;
use crate::client::OAuthClient;
use crate::clock::now_unix;
use crate::error::Error;
use crate::provider::ProviderKind;
use crate::secret::{AccessToken, RefreshToken};
use crate::store::{place, AppRegistration, Connection, Placement, Saved};
use crate::token::TokenSet;

/// A token to import.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The registration the token was issued to.
    pub app: AppRegistration,
    pub access_token: AccessToken,
    /// Optional: without it the account cannot renew itself, and says so.
    pub refresh_token: Option<RefreshToken>,
    /// The account name; `None` names it after the person.
    pub account: Option<String>,
}

impl Fitauth {
    /// Imports `request`'s token: refused, with nothing stored, when the provider says it is not
    /// active (or cannot say).
    pub async fn import(&self, request: ImportRequest) -> Result<Saved, Error> {
        let ImportRequest {
            app,
            access_token,
            refresh_token,
            account,
        } = request;
        let config = {
            let app = app.clone();
            self.blocking(move |s| s.client_config(&app)).await?
        };
        let client = OAuthClient::new(config, self.http().clone());
        let (verdict, identity) = self
            .http()
            .within(async {
                // Fitbit's introspect is authorized by the token itself: a dead one gets a 401,
                // which here is the verdict.
                let verdict = match client.inspect(&access_token).await {
                    Err(Error::InvalidToken { .. }) => return Ok((None, None)),
                    other => other?,
                };
                if !verdict.active {
                    return Ok((None, None));
                }
                // Best effort: Fitbit's profile needs the `profile` scope.
                let identity = client.identity(&access_token).await.ok();
                Ok::<_, Error>((Some(verdict), identity))
            })
            .await?;
        let Some(verdict) = verdict else {
            return Err(Error::Invalid(format!(
                "the provider says this access token is not active (asked through \"{}\"), so \
                 nothing was imported; check that it belongs to that registration and has not \
                 expired",
                app.name
            )));
        };
        // A token of another client (another app, the OAuth Playground) would fail at its first
        // refresh through this registration: refused now, naming both.
        if let Some(issued_to) = verdict.client_id.as_deref() {
            if issued_to != app.client_id {
                return Err(Error::Invalid(format!(
                    "this token was issued to the client \"{issued_to}\", not to \"{}\" \
                     (\"{}\"); import it through that client's registration",
                    app.client_id, app.name
                )));
            }
        }
        let scopes: Vec<String> = verdict.scopes.iter().map(|s| s.scope.clone()).collect();
        let now = now_unix();
        let tokens = TokenSet {
            access_token,
            refresh_token,
            id_token: None,
            token_type: verdict
                .token_type
                .clone()
                .filter(|t| !t.eq_ignore_ascii_case("access_token"))
                .unwrap_or_else(|| "Bearer".into()),
            issued_at: verdict.issued_at.unwrap_or(now),
            expires_at: verdict.expires_at,
            scopes: Some(scopes.clone()),
            user_id: verdict.user_id.clone(),
            refresh_token_expires_at: None,
        };
        // Fitbit's verdict names the Fitbit user; Google's names the Google account (`sub`,
        // how Google accounts are told apart) and the Health identity names the Health user.
        let (user_id, subject) = match app.provider {
            ProviderKind::Fitbit => (verdict.user_id.clone(), None),
            ProviderKind::GoogleHealth => (
                identity
                    .as_ref()
                    .map(|i| i.user_id.clone())
                    .or(verdict.user_id.clone()),
                verdict.user_id.clone(),
            ),
        };
        let display_name = identity
            .as_ref()
            .and_then(|i| i.display_name.clone().or_else(|| i.full_name.clone()));
        let found = Found {
            app,
            tokens,
            scopes,
            user_id,
            subject,
            display_name,
            email: verdict.email.clone(),
            account,
        };
        // Only an access token, for a person whose account here can renew itself: the account
        // keeps its refresh token (same client, same person) rather than lose it. Its refresh
        // locks are held from reading that token to writing it back, so a refresh cannot rotate
        // it in between (Fitbit accepts each refresh token once).
        let keeps_refresh = found.tokens.refresh_token.is_none();
        let target = {
            let found = found.clone();
            self.blocking(move |s| {
                let meta = s.load()?;
                Ok(match place(&meta, &found.connection()) {
                    Ok(Placement::Update { index, .. }) => Some(meta.accounts[index].id.clone()),
                    _ => None,
                })
            })
            .await?
        };
        let held = target.filter(|_| keeps_refresh);
        let _hold = match &held {
            Some(id) => Some(self.sessions().hold(id).await?),
            None => None,
        };
        let saved = self
            .blocking(move |s| {
                let conn = found.connection();
                let meta = s.load()?;
                let kept = match place(&meta, &conn) {
                    // Only from the account whose locks are held (the store may have changed
                    // between finding it and taking them).
                    Ok(Placement::Update { index, .. })
                        if held.as_deref() == Some(meta.accounts[index].id.as_str()) =>
                    {
                        s.refresh_token(&meta.accounts[index]).ok().flatten()
                    }
                    _ => None,
                };
                match kept {
                    Some(refresh) => {
                        let mut with_refresh = found.tokens.clone();
                        with_refresh.refresh_token = Some(refresh);
                        s.save_connection(Connection {
                            tokens: &with_refresh,
                            ..conn
                        })
                    }
                    None => s.save_connection(conn),
                }
            })
            .await?;
        tracing::info!(account = %saved.account.name, updated = saved.updated, "token imported");
        Ok(saved)
    }
}

/// An imported token and whose it is, as owned parts (read twice: to find the account it would
/// update, then under that account's locks to save it).
#[derive(Clone)]
struct Found {
    app: AppRegistration,
    tokens: TokenSet,
    scopes: Vec<String>,
    user_id: Option<String>,
    subject: Option<String>,
    display_name: Option<String>,
    email: Option<String>,
    account: Option<String>,
}

impl Found {
    fn connection(&self) -> Connection<'_> {
        Connection {
            app: &self.app,
            tokens: &self.tokens,
            requested: &self.scopes,
            user_id: self.user_id.as_deref(),
            subject: self.subject.as_deref(),
            display_name: self.display_name.as_deref(),
            email: self.email.as_deref(),
            name: self.account.as_deref(),
        }
    }
}

//! Use cases on connected accounts: list, inspect, refresh, a fresh token, introspect, revoke,
//! reveal, rename, forget. Every provider call goes through the session manager's client for the
//! account, so its exchanges are filed under that account in the activity log.

use super::Fitauth;
use crate::api::{ApiAnswer, ApiCall};
use crate::error::Error;
use crate::httplog::HttpExchange;
use crate::introspect::Introspection;
use crate::jwt::{self, DecodedJwt};
use crate::ratelimit::RateLimit;
use crate::revoke::{Revoked, TokenKind, TokenToRevoke};
use crate::secret::{AccessToken, RefreshToken};
use crate::session::RefreshOutcome;
use crate::store::{Account, AccountState, AppRegistration};

/// A token as a view may show it without asking: a short preview.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MaskedToken {
    pub masked: String,
    pub length: usize,
}

impl MaskedToken {
    fn of(secret: &str) -> Self {
        MaskedToken {
            masked: crate::secret::mask(secret),
            length: secret.len(),
        }
    }
}

/// Everything there is to see about one account (nothing secret but masked previews).
#[derive(Debug)]
pub struct AccountDetail {
    pub account: Account,
    pub app: Option<AppRegistration>,
    pub access_token: Option<MaskedToken>,
    pub refresh_token: Option<MaskedToken>,
    /// Why the tokens could not be read from the keyring, if they could not.
    pub secrets_error: Option<Error>,
    /// The access token's header and claims, decoded, not verified.
    pub jwt: Option<DecodedJwt>,
    /// Why there is no decoded JWT (an opaque token).
    pub jwt_note: Option<String>,
    /// The provider's last verdict (Introspect), if asked since Fitauth started.
    pub introspection: Option<Introspection>,
    pub rate_limit: Option<RateLimit>,
    /// This account's HTTP exchanges since Fitauth started, secrets redacted, oldest first.
    pub exchanges: Vec<HttpExchange>,
}

/// A token handed out on an explicit Reveal or Copy.
#[derive(Debug, Clone)]
pub enum RevealedToken {
    Access(AccessToken),
    Refresh(RefreshToken),
}

impl RevealedToken {
    /// The raw value, for the person who asked for it.
    pub fn secret(&self) -> &str {
        match self {
            RevealedToken::Access(t) => t.secret(),
            RevealedToken::Refresh(t) => t.secret(),
        }
    }
}

/// Which token to reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Access,
    Refresh,
}

fn usable(account: &Account) -> Result<(), Error> {
    match account.state {
        AccountState::Revoked => Err(Error::Revoked {
            account: account.name.clone(),
        }),
        _ => Ok(()),
    }
}

impl Fitauth {
    /// Every account.
    pub async fn accounts(&self) -> Result<Vec<Account>, Error> {
        Ok(self.snapshot().await?.accounts)
    }

    /// The account named `name`, or the only one there is.
    pub async fn account(&self, name: Option<&str>) -> Result<Account, Error> {
        let name = name.map(str::to_owned);
        self.blocking(move |s| s.resolve_account(name.as_deref()))
            .await
    }

    /// The account with id `id` (names can change; ids do not).
    pub async fn account_by_id(&self, id: &str) -> Result<Account, Error> {
        let id = id.to_owned();
        self.blocking(move |s| s.account_by_id(&id)).await
    }

    /// What the Inspect view shows for `name`.
    pub async fn account_detail(&self, name: &str) -> Result<AccountDetail, Error> {
        let n = name.to_owned();
        let (account, app, tokens) = self
            .blocking(move |s| {
                let meta = s.load()?;
                let account = meta.account(&n)?.clone();
                let app = meta.app(&account.app).ok().cloned();
                let tokens = if account.state == AccountState::Revoked {
                    Ok((None, None))
                } else {
                    s.access_token(&account)
                        .map(Some)
                        .or_else(|e| match e {
                            Error::SecretMissing { .. } => Ok(None),
                            e => Err(e),
                        })
                        .and_then(|a| Ok((a, s.refresh_token(&account)?)))
                };
                Ok((account, app, tokens))
            })
            .await?;
        let (access, refresh, secrets_error) = match tokens {
            Ok((a, r)) => (a, r, None),
            Err(e) => (None, None, Some(e)),
        };
        let (jwt, jwt_note) = match &access {
            Some(token) => match jwt::decode(token.secret()) {
                Ok(d) => (Some(d), None),
                Err(_) => (
                    None,
                    Some(
                        "This access token is opaque (not a JWT), so there is nothing to decode; \
                         ask the provider with Introspect."
                            .to_owned(),
                    ),
                ),
            },
            None => (None, None),
        };
        let exchanges = self.exchange_log().tagged(&account.id);
        let rate_limit = exchanges.iter().rev().find_map(|x| x.rate_limit);
        let introspection = account.last_introspection.clone();
        Ok(AccountDetail {
            app,
            access_token: access.as_ref().map(|t| MaskedToken::of(t.secret())),
            refresh_token: refresh.as_ref().map(|t| MaskedToken::of(t.secret())),
            secrets_error,
            jwt,
            jwt_note,
            introspection,
            rate_limit,
            exchanges,
            account,
        })
    }

    /// Refreshes now, whatever the expiry, under the same locks as every other refresh.
    pub async fn refresh(&self, name: Option<&str>) -> Result<Account, Error> {
        let account = self.account(name).await?;
        tracing::info!(account = %account.name, "refresh requested");
        let result = self.sessions().refresh(&account.name).await;
        match &result {
            Ok(_) => tracing::info!(account = %account.name, "refresh: new tokens saved"),
            Err(e) => tracing::warn!(account = %account.name, kind = e.kind(), "refresh failed"),
        }
        result
    }

    /// An access token valid for at least five more minutes, refreshed first when needed.
    pub async fn fresh_token(&self, name: Option<&str>) -> Result<AccessToken, Error> {
        let account = self.account(name).await?;
        self.sessions().fresh_access_token(&account.name).await
    }

    /// Sends `call` to the provider's API with the account's access token, refreshed first when
    /// due; a `401` (the provider ended the token early) refreshes once and sends again, as
    /// `gh api` does. A non-2xx answer is an answer, not an error: the caller shows it.
    pub async fn api(
        &self,
        name: Option<&str>,
        call: &ApiCall,
    ) -> Result<(Account, ApiAnswer), Error> {
        let account = self.account(name).await?;
        usable(&account)?;
        // A call that cannot be sent is refused before a token is fetched (or refreshed) for it.
        crate::api::check(
            &self.sessions().client_for(&account).await?.api_base(),
            call,
        )?;
        let answer = self
            .http()
            .within(async {
                let token = self.sessions().fresh_access_token(&account.name).await?;
                let account = self.account(Some(&account.name)).await?;
                let client = self.sessions().client_for(&account).await?;
                tracing::info!(account = %account.name, method = %call.method, "API request");
                let first = client.api(&token, call).await?;
                if first.status != 401 || !account.has_refresh_token {
                    return Ok::<_, Error>(first);
                }
                tracing::info!(account = %account.name, "API request: 401; refreshing, then again");
                self.refresh(Some(&account.name)).await?;
                let token = self.sessions().fresh_access_token(&account.name).await?;
                let mut again = client.api(&token, call).await?;
                again.retried_after_refresh = true;
                Ok(again)
            })
            .await?;
        tracing::info!(account = %account.name, status = answer.status, "API request: answered");
        let account = self.account(Some(&account.name)).await?;
        Ok((account, answer))
    }

    /// Asks the provider about the account's access token (Fitbit introspect, Google tokeninfo).
    /// One policy for every face: a token about to expire is refreshed first, so the verdict is
    /// about the token a caller would use.
    pub async fn introspect(&self, name: Option<&str>) -> Result<(Account, Introspection), Error> {
        let account = self.account(name).await?;
        usable(&account)?;
        // One deadline for the refresh (when due) and the question.
        let (account, verdict) = self
            .http()
            .within(async {
                let token = self.sessions().fresh_access_token(&account.name).await?;
                let account = self.account(Some(&account.name)).await?;
                let client = self.sessions().client_for(&account).await?;
                tracing::info!(account = %account.name, "introspect");
                let verdict = client.inspect(&token).await.inspect_err(|e| {
                    tracing::warn!(account = %account.name, kind = e.kind(), "introspect failed");
                })?;
                Ok::<_, Error>((account, verdict))
            })
            .await?;
        tracing::info!(account = %account.name, active = verdict.active, "introspect: verdict received");
        // Kept with the account; a verdict that cannot be kept is still the answer.
        let (id, asked_at, kept) = (account.id.clone(), account.generation, verdict.clone());
        let account = match self
            .blocking(move |s| s.save_verdict(&id, asked_at, &kept))
            .await
        {
            Ok(account) => account,
            Err(e) => {
                tracing::warn!(kind = e.kind(), "introspect: the verdict was not kept");
                account
            }
        };
        Ok((account, verdict))
    }

    /// Revokes at the provider the token `which` (the refresh token by default, which outlives
    /// the other, else the access token; either ends the grant), then deletes the local tokens;
    /// the account stays, as "revoked". When the provider fails, the local tokens are kept.
    /// Runs under the account's refresh locks, so a refresh cannot slip between reading the
    /// tokens and forgetting them.
    pub async fn revoke(
        &self,
        name: Option<&str>,
        which: TokenKind,
    ) -> Result<(Account, Revoked), Error> {
        let found = self.account(name).await?;
        // No refresh may run between reading the tokens and forgetting them.
        let _hold = self.sessions().hold(&found.id).await?;
        let account = self.account_by_id(&found.id).await?;
        let outcome = if account.state == AccountState::Revoked {
            Revoked::AlreadyInvalid
        } else {
            let client = self.sessions().client_for(&account).await?;
            let (refresh, access) = match self.sessions().kept(&account.id, account.generation) {
                // The keyring refused the last refresh's pair: the stored token is retired,
                // the kept one is the live grant.
                Some(kept) => (kept.refresh_token, Some(kept.access_token)),
                None => {
                    let a = account.clone();
                    self.blocking(move |s| Ok((s.refresh_token(&a)?, s.access_token(&a).ok())))
                        .await?
                }
            };
            tracing::info!(account = %account.name, "revoke");
            let outcome = self
                .http()
                .within(async {
                    if let (TokenKind::Access, Some(a)) = (which, &access) {
                        let sent = client.revoke(TokenToRevoke::Access(a)).await;
                        // An access token that expired (or was replaced) no longer speaks for
                        // the grant, and a failed call ended nothing: the refresh token, if
                        // there is one, ends it for sure before this computer forgets it.
                        match (sent, &refresh) {
                            (Ok(Revoked::Revoked), _) => return Ok(Revoked::Revoked),
                            (sent, None) => return sent,
                            (sent, Some(r)) => {
                                let first = sent.as_ref().map_err(Error::kind);
                                tracing::info!(account = %account.name, outcome = ?first, "revoke: the access token did not end the grant; the refresh token too");
                                return client.revoke(TokenToRevoke::Refresh(r)).await;
                            }
                        }
                    }
                    match (&refresh, &access) {
                        (Some(r), _) => client.revoke(TokenToRevoke::Refresh(r)).await,
                        (None, Some(a)) => client.revoke(TokenToRevoke::Access(a)).await,
                        (None, None) => Ok(Revoked::AlreadyInvalid),
                    }
                })
                .await;
            match &outcome {
                Ok(o) => tracing::info!(account = %account.name, outcome = ?o, "revoke: done"),
                Err(e) => tracing::warn!(account = %account.name, kind = e.kind(), "revoke failed"),
            }
            outcome?
        };
        let id = account.id.clone();
        let revoked = self.blocking(move |s| s.forget_tokens(&id)).await?;
        Ok((revoked, outcome))
    }

    /// The raw token, for an explicit Reveal or Copy only.
    pub async fn reveal(&self, name: &str, which: Which) -> Result<RevealedToken, Error> {
        let account = self.account(Some(name)).await?;
        self.reveal_by_id(&account.id, which).await
    }

    /// The raw token of the account with id `id` (not a name: a rename between the person's
    /// confirmation and the read cannot swap the account).
    pub async fn reveal_by_id(&self, id: &str, which: Which) -> Result<RevealedToken, Error> {
        let account = self.account_by_id(id).await?;
        let name = account.name.clone();
        if let Some(kept) = self.sessions().kept(&account.id, account.generation) {
            // New tokens the keyring refused: those are the live ones.
            let kept = match which {
                Which::Access => Some(RevealedToken::Access(kept.access_token)),
                Which::Refresh => kept.refresh_token.map(RevealedToken::Refresh),
            };
            if let Some(token) = kept {
                tracing::info!(account = %name, which = ?which, "a token was revealed on request");
                return Ok(token);
            }
        }
        let token = self
            .blocking(move |s| match which {
                Which::Access => s.access_token(&account).map(RevealedToken::Access),
                Which::Refresh => s
                    .refresh_token(&account)?
                    .map(RevealedToken::Refresh)
                    .ok_or(Error::SecretMissing {
                        what: "refresh token".into(),
                    }),
            })
            .await?;
        tracing::info!(account = %name, which = ?which, "a token was revealed on request");
        Ok(token)
    }

    /// Gives an account another name (unique); its tokens and log stay with it.
    pub async fn rename_account(&self, name: &str, new_name: &str) -> Result<Account, Error> {
        let (n, new) = (name.to_owned(), new_name.to_owned());
        let account = self.blocking(move |s| s.rename_account(&n, &new)).await?;
        tracing::info!(from = %name, to = %account.name, "account renamed");
        Ok(account)
    }

    /// Forgets an account on this computer (tokens and metadata), without calling the provider.
    pub async fn forget_account(&self, name: &str) -> Result<(), Error> {
        let account = self.account(Some(name)).await?;
        let id = account.id.clone();
        self.blocking(move |s| s.remove_account(&id)).await?;
        tracing::info!(account = %name, "account removed from this computer");
        Ok(())
    }

    /// Refreshes every active account whose access token expires within `margin_secs` (the
    /// desktop's background timer).
    pub async fn refresh_due(&self, margin_secs: i64) -> Vec<RefreshOutcome> {
        self.sessions().refresh_due(margin_secs).await
    }

    /// When the next refresh is due: five minutes before the earliest expiry.
    pub async fn next_refresh_at(&self) -> Option<i64> {
        self.sessions().next_refresh_at().await
    }
}

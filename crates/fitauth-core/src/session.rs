//! Tokens that stay fresh without ever being lost.
//!
//! [`SessionManager::fresh_access_token`] returns an access token valid for at least five more
//! minutes, refreshing first when needed. A refresh has exactly one owner at a time: a per-account
//! async mutex inside the process (single flight) and an exclusive lock file across processes
//! (the desktop app and `fitauth` share the store). After taking the lock the store is read again,
//! so whoever waited finds the fresh pair instead of refreshing twice. The new pair is written to
//! the keyring and the metadata file *before* it is returned. A lost answer (timeout, connection
//! error, 5xx, 409) is retried with the same refresh token, which Fitbit's duplicate-request grace
//! answers with the same pair. On `invalid_grant` the store is read once more (someone may have
//! rotated the token outside the lock) before the account is marked `reconnect_needed`.
//!
//! A rotated pair is the one thing a refresh can lose: the provider retires the old refresh token
//! as it answers. So from the request until the save the refresh holds a [`crate::shield`]
//! (Ctrl-C and quitting wait for it), a failed keyring write is retried, and if it still fails the
//! pair is kept in memory — the next refresh of that account in this process saves it instead of
//! sending the retired token — and the error says loudly what happened
//! ([`Error::TokensNotSaved`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::client::OAuthClient;
use crate::clock::now_unix;
use crate::error::Error;
use crate::http::HttpClient;
use crate::refresh::RetryPolicy;
use crate::secret::AccessToken;
use crate::shield;
use crate::store::{Account, AccountState, Refreshed, Store};
use crate::token::TokenSet;

/// A token handed out must stay valid at least this long.
pub const MIN_VALIDITY_SECS: i64 = 300;

/// How often a refreshed pair's keyring write is tried, and the wait before the second try
/// (doubled for each further one): about two seconds in all, enough for a keyring daemon that
/// is restarting or a collection being unlocked.
const SAVE_ATTEMPTS: u32 = 4;
const SAVE_BACKOFF: Duration = Duration::from_millis(250);

use crate::service::blocking;

/// An account's refresh locks, held (see [`SessionManager::hold`]).
#[derive(Debug)]
pub(crate) struct AccountHold {
    _in_process: tokio::sync::OwnedMutexGuard<()>,
    _across_processes: std::fs::File,
}

/// The result of refreshing one account on the background timer.
#[derive(Debug)]
pub struct RefreshOutcome {
    pub account: String,
    pub result: Result<Account, Error>,
}

/// Owns the refresh of every account in one store. Share it (`Arc`) across tasks.
#[derive(Debug)]
pub struct SessionManager {
    store: Store,
    http: HttpClient,
    retry: RetryPolicy,
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Refreshed pairs the keyring would not take, by account id, with the generation they
    /// were refreshed from: saved by the account's next refresh instead of a new request.
    unsaved: Mutex<HashMap<String, (u64, TokenSet)>>,
}

impl SessionManager {
    pub fn new(store: Store, http: HttpClient) -> Self {
        SessionManager {
            store,
            http,
            retry: RetryPolicy::default(),
            flights: Mutex::new(HashMap::new()),
            unsaved: Mutex::new(HashMap::new()),
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The OAuth client for an account's app registration; its exchanges are filed under the
    /// account in the log.
    pub async fn client_for(&self, account: &Account) -> Result<OAuthClient, Error> {
        let app_name = account.app.clone();
        let config = blocking(&self.store, move |s| {
            let app = s.load()?.app(&app_name)?.clone();
            s.client_config(&app)
        })
        .await?;
        Ok(OAuthClient::new(config, self.http.clone())
            .with_tag(account.id.clone())
            .for_account(account))
    }

    /// An access token valid for at least [`MIN_VALIDITY_SECS`], refreshed first if needed.
    pub async fn fresh_access_token(&self, account: &str) -> Result<AccessToken, Error> {
        let name = account.to_owned();
        let (snapshot, token) = blocking(&self.store, move |s| {
            let a = s.resolve_account(Some(&name))?;
            let t = s.access_token(&a).ok();
            Ok((a, t))
        })
        .await?;
        check_usable(&snapshot)?;
        if let Some(token) = token {
            if is_fresh(&snapshot, now_unix()) {
                return Ok(token);
            }
        }
        self.http
            .within(self.refresh_owned(&snapshot.id, false))
            .await
            .map(|(_, token)| token)
    }

    /// Refreshes now, whatever the expiry (the "Refresh" button, `fitauth refresh`).
    pub async fn refresh(&self, account: &str) -> Result<Account, Error> {
        let name = account.to_owned();
        let id = blocking(&self.store, move |s| Ok(s.resolve_account(Some(&name))?.id)).await?;
        self.http
            .within(self.refresh_owned(&id, true))
            .await
            .map(|(a, _)| a)
    }

    /// For a timer: refreshes every active account whose access token expires within
    /// `margin_secs`, each under the same locks as everything else.
    pub async fn refresh_due(&self, margin_secs: i64) -> Vec<RefreshOutcome> {
        let Ok(meta) = blocking(&self.store, |s| s.load()).await else {
            return vec![];
        };
        let now = now_unix();
        let mut outcomes = vec![];
        for account in meta.accounts {
            let due = account.state == AccountState::Active
                && account.has_refresh_token
                && account
                    .expires_at
                    .is_some_and(|e| e.saturating_sub(now) <= margin_secs);
            if due {
                let result = self
                    .http
                    .within(self.refresh_owned(&account.id, false))
                    .await
                    .map(|(a, _)| a);
                outcomes.push(RefreshOutcome {
                    account: account.name,
                    result,
                });
            }
        }
        outcomes
    }

    /// When the timer should next run: five minutes before the earliest expiry.
    pub async fn next_refresh_at(&self) -> Option<i64> {
        let meta = blocking(&self.store, |s| s.load()).await.ok()?;
        meta.accounts
            .iter()
            .filter(|a| a.state == AccountState::Active && a.has_refresh_token)
            .filter_map(|a| a.expires_at)
            .min()
            .map(|e| e.saturating_sub(MIN_VALIDITY_SECS))
    }

    /// Holds the account's refresh locks (in this process and across processes) until the guard
    /// is dropped: what must not interleave with a refresh (a revoke) runs under it.
    pub(crate) async fn hold(&self, id: &str) -> Result<AccountHold, Error> {
        let in_process = self.flight(id).lock_owned().await;
        let lock_name = format!("refresh-{id}");
        let across_processes = blocking(&self.store, move |s| s.lock(&lock_name)).await?;
        Ok(AccountHold {
            _in_process: in_process,
            _across_processes: across_processes,
        })
    }

    fn flight(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        flights.entry(id.to_owned()).or_default().clone()
    }

    /// The one place a refresh happens, for the account with id `id`.
    async fn refresh_owned(&self, id: &str, force: bool) -> Result<(Account, AccessToken), Error> {
        let flight = self.flight(id);
        let _in_process = flight.lock().await;
        let lock_name = format!("refresh-{id}");
        let _across_processes = blocking(&self.store, move |s| s.lock(&lock_name)).await?;

        // Read again under the lock: another task or process may have refreshed meanwhile.
        let key = id.to_owned();
        let (snapshot, refresh_token) = blocking(&self.store, move |s| {
            let a = s.account_by_id(&key)?;
            let r = s.refresh_token(&a)?;
            Ok((a, r))
        })
        .await?;
        let (snapshot, refresh_token) = match self.take_unsaved(id, snapshot.generation) {
            Some(kept) => {
                // The last refresh's pair never reached the keyring; the token stored is retired.
                tracing::warn!(account = %snapshot.name, "saving the new tokens kept from the last refresh");
                let _shield = shield::hold();
                let kept_refresh = kept.refresh_token.clone();
                let (saved, access) = self.save(id, snapshot.generation, kept).await?;
                if is_fresh(&saved, now_unix()) {
                    // Saving them is the refresh the caller wanted.
                    return Ok((saved, access));
                }
                // Kept too long (a keyring locked for hours): refresh from the saved pair.
                (saved, kept_refresh)
            }
            None => (snapshot, refresh_token),
        };
        let account = snapshot.name.as_str();
        check_usable(&snapshot)?;
        if !force && is_fresh(&snapshot, now_unix()) {
            let a = snapshot.clone();
            let token = blocking(&self.store, move |s| s.access_token(&a)).await?;
            tracing::debug!(account, "another owner already refreshed");
            return Ok((snapshot, token));
        }
        let Some(refresh_token) = refresh_token.filter(|_| snapshot.has_refresh_token) else {
            return Err(Error::ReconnectNeeded {
                account: account.to_owned(),
            });
        };

        let client = self.client_for(&snapshot).await?;
        tracing::info!(account, "refreshing the access token");
        // From here until the save, the provider may have retired the token we hold.
        let _shield = shield::hold();
        match client.refresh_with_retry(&refresh_token, self.retry).await {
            Ok(tokens) => {
                let saved = self.save(id, snapshot.generation, tokens).await?;
                tracing::info!(account, "new tokens saved");
                Ok(saved)
            }
            Err(e) if e.means_reconnect() => {
                // Someone may have rotated the token without our lock: trust the store first.
                let key = id.to_owned();
                let (latest, latest_refresh) = blocking(&self.store, move |s| {
                    let a = s.account_by_id(&key)?;
                    let r = s.refresh_token(&a)?;
                    Ok((a, r))
                })
                .await?;
                if latest.generation != snapshot.generation
                    && latest_refresh.as_ref() != Some(&refresh_token)
                {
                    if is_fresh(&latest, now_unix()) {
                        let a = latest.clone();
                        let token = blocking(&self.store, move |s| s.access_token(&a)).await?;
                        return Ok((latest, token));
                    }
                    if let Some(newer) = latest_refresh {
                        let tokens = client.refresh_with_retry(&newer, self.retry).await?;
                        return self.save(id, latest.generation, tokens).await;
                    }
                }
                tracing::warn!(
                    account,
                    "the provider refused the refresh token; reconnect needed"
                );
                let key = id.to_owned();
                blocking(&self.store, move |s| {
                    s.set_state(&key, AccountState::ReconnectNeeded)
                })
                .await?;
                Err(Error::ReconnectNeeded {
                    account: account.to_owned(),
                })
            }
            Err(e) => Err(e),
        }
    }
}

impl SessionManager {
    /// Saves a refreshed pair unless the account's tokens were replaced since generation
    /// `read_at` (a reconnect or a revoke won): then the stored ones are what counts. A failed
    /// keyring write is retried; if it keeps failing the pair is kept for the next refresh and
    /// [`Error::TokensNotSaved`] says so.
    async fn save(
        &self,
        id: &str,
        read_at: u64,
        tokens: TokenSet,
    ) -> Result<(Account, AccessToken), Error> {
        let access = tokens.access_token.clone();
        let mut wait = SAVE_BACKOFF;
        let mut attempt = 1;
        let saved = loop {
            let (key, pair) = (id.to_owned(), tokens.clone());
            match blocking(&self.store, move |s| s.save_refreshed(&key, read_at, &pair)).await {
                Ok(saved) => break saved,
                Err(e) if attempt < SAVE_ATTEMPTS => {
                    tracing::warn!(attempt, error = %e, "the new tokens could not be saved; trying again");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    attempt += 1;
                }
                Err(e) => {
                    let account = self.name_of(id).await;
                    tracing::error!(
                        account,
                        error = %e,
                        "NEW TOKENS NOT SAVED: the provider may have retired the stored refresh \
                         token; they are kept in memory and saved by this account's next refresh"
                    );
                    self.lock_unsaved().insert(id.to_owned(), (read_at, tokens));
                    return Err(Error::TokensNotSaved {
                        account,
                        reason: e.to_string(),
                    });
                }
            }
        };
        match saved {
            Refreshed::Saved(account) => Ok((account, access)),
            Refreshed::Superseded(latest) => {
                tracing::info!(account = %latest.name, "tokens were replaced during the refresh; keeping those");
                check_usable(&latest)?;
                let a = latest.clone();
                let token = blocking(&self.store, move |s| s.access_token(&a)).await?;
                Ok((latest, token))
            }
        }
    }

    fn lock_unsaved(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, TokenSet)>> {
        self.unsaved.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The pair kept for account `id` after a failed save, if it was refreshed from the tokens
    /// still stored (generation `current`); a kept pair from older tokens is dropped.
    fn take_unsaved(&self, id: &str, current: u64) -> Option<TokenSet> {
        let (read_at, tokens) = self.lock_unsaved().remove(id)?;
        (read_at == current).then_some(tokens)
    }

    /// The new tokens this process holds for account `id` because the keyring refused them, if
    /// they were refreshed from the tokens still stored (generation `current`): the live ones.
    pub fn kept(&self, id: &str, current: u64) -> Option<TokenSet> {
        self.lock_unsaved()
            .get(id)
            .filter(|(read_at, _)| *read_at == current)
            .map(|(_, tokens)| tokens.clone())
    }

    async fn name_of(&self, id: &str) -> String {
        let key = id.to_owned();
        blocking(&self.store, move |s| Ok(s.account_by_id(&key)?.name))
            .await
            .unwrap_or_else(|_| id.to_owned())
    }
}

fn is_fresh(account: &Account, now: i64) -> bool {
    account.state == AccountState::Active
        && account
            .expires_at
            .is_none_or(|e| e.saturating_sub(now) >= MIN_VALIDITY_SECS)
}

fn check_usable(account: &Account) -> Result<(), Error> {
    match account.state {
        AccountState::Revoked => Err(Error::Revoked {
            account: account.name.clone(),
        }),
        AccountState::ReconnectNeeded => Err(Error::ReconnectNeeded {
            account: account.name.clone(),
        }),
        AccountState::Active | AccountState::Expired => Ok(()),
    }
}

//! Accounts: the list, the Inspect view's detail, Refresh / Introspect / Revoke, and Reveal (the
//! only command that hands a token to the UI, on an explicit click).

use fitauth_core::clock::now_unix;
use fitauth_core::jwt::{self, DecodedJwt};
use fitauth_core::{
    scopes, Account, AccountState, ErrorReport, HttpExchange, Introspection, ProviderKind,
    RateLimit, Revoked,
};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Runtime, State};

use crate::apps::AppView;
use crate::error::{CommandError, CommandResult};
use crate::events::{self, AccountChanged};
use crate::state::{lock, Desktop};

/// One scope as the Inspect view lists it: requested vs granted.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeRow {
    pub scope: String,
    pub label: String,
    pub description: String,
    pub requested: bool,
    pub granted: bool,
}

/// An account as the UI shows it. Nothing secret.
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub name: String,
    pub app: String,
    pub provider: ProviderKind,
    pub user_id: Option<String>,
    pub display_name: Option<String>,
    /// What to put after "Connected as".
    pub label: String,
    /// `active`, `expired`, `reconnect_needed` or `revoked` (expired is derived from the clock).
    pub state: AccountState,
    pub token_type: String,
    pub issued_at: i64,
    pub expires_at: Option<i64>,
    pub refresh_token_expires_at: Option<i64>,
    pub has_refresh_token: bool,
    pub updated_at: i64,
    pub scopes: Vec<ScopeRow>,
    pub scopes_denied: Vec<String>,
}

impl AccountView {
    pub fn from_account(a: &Account) -> Self {
        let mut rows: Vec<ScopeRow> = vec![];
        for s in a.scopes_requested.iter().chain(a.scopes_granted.iter()) {
            if rows.iter().any(|r| &r.scope == s) {
                continue;
            }
            let info = scopes::lookup(s);
            rows.push(ScopeRow {
                scope: s.clone(),
                label: info
                    .map(|i| i.label.to_owned())
                    .unwrap_or_else(|| s.clone()),
                description: scopes::describe(s),
                requested: a.scopes_requested.contains(s),
                granted: a.scopes_granted.contains(s),
            });
        }
        AccountView {
            name: a.name.clone(),
            app: a.app.clone(),
            provider: a.provider,
            user_id: a.user_id.clone(),
            display_name: a.display_name.clone(),
            label: a
                .display_name
                .clone()
                .or_else(|| a.user_id.clone())
                .unwrap_or_else(|| a.name.clone()),
            state: a.effective_state(now_unix()),
            token_type: a.token_type.clone(),
            issued_at: a.issued_at,
            expires_at: a.expires_at,
            refresh_token_expires_at: a.refresh_token_expires_at,
            has_refresh_token: a.has_refresh_token,
            updated_at: a.updated_at,
            scopes: rows,
            scopes_denied: a.scopes_denied(),
        }
    }
}

/// A token as the UI may see it without asking: a short preview.
#[derive(Debug, Clone, Serialize)]
pub struct MaskedToken {
    pub masked: String,
    pub length: usize,
}

/// Everything the Inspect view shows for one account.
#[derive(Debug, Clone, Serialize)]
pub struct AccountDetail {
    pub account: AccountView,
    pub app: Option<AppView>,
    pub access_token: Option<MaskedToken>,
    pub refresh_token: Option<MaskedToken>,
    /// Why the tokens could not be read from the keyring, if they could not.
    pub secrets_error: Option<ErrorReport>,
    /// The access token's header and claims, decoded in Rust, not verified.
    pub jwt: Option<DecodedJwt>,
    /// Why there is no decoded JWT (an opaque token).
    pub jwt_note: Option<String>,
    /// The last verdict of Introspect, if asked this session.
    pub introspection: Option<Introspection>,
    pub rate_limit: Option<RateLimit>,
    /// This session's HTTP exchanges with the account's provider, secrets redacted, oldest first.
    pub exchanges: Vec<HttpExchange>,
    pub secrets_location: String,
    pub metadata_path: String,
}

/// Which secret Reveal / Copy asks for.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Which {
    AccessToken,
    RefreshToken,
}

async fn load_account(desktop: &Desktop, name: &str) -> Result<Account, fitauth_core::Error> {
    let name = name.to_owned();
    desktop
        .blocking(move |s| s.resolve_account(Some(&name)))
        .await
}

pub(crate) fn changed<R: Runtime>(app: &AppHandle<R>, account: &str, error: Option<ErrorReport>) {
    let _ = app.emit(
        events::ACCOUNTS_CHANGED,
        AccountChanged {
            account: account.to_owned(),
            error,
        },
    );
}

/// Builds the Inspect detail for `name`.
pub async fn detail(desktop: &Desktop, name: &str) -> CommandResult<AccountDetail> {
    let n = name.to_owned();
    let (account, registration, tokens, location, metadata_path) = desktop
        .blocking(move |s| {
            let meta = s.load()?;
            let account = meta.account(&n)?.clone();
            let registration = meta.app(&account.app).ok().cloned();
            let tokens = if account.state == AccountState::Revoked {
                Ok((None, None))
            } else {
                s.access_token(&account)
                    .map(Some)
                    .or_else(|e| match e {
                        fitauth_core::Error::SecretMissing { .. } => Ok(None),
                        e => Err(e),
                    })
                    .and_then(|a| Ok((a, s.refresh_token(&account)?)))
            };
            Ok((
                account,
                registration,
                tokens,
                s.secrets_location(),
                s.metadata_path().display().to_string(),
            ))
        })
        .await?;
    let (access, refresh, secrets_error) = match tokens {
        Ok((a, r)) => (a, r, None),
        Err(e) => (None, None, Some(crate::error::desktop_report(&e))),
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
    let origins: Vec<String> = registration
        .as_ref()
        .and_then(|r| r.provider().ok())
        .map(|p| {
            let e = p.endpoints;
            [
                Some(e.authorize),
                Some(e.token),
                e.introspect,
                e.tokeninfo,
                Some(e.revoke),
                Some(e.identity),
            ]
            .into_iter()
            .flatten()
            .map(|u| u.origin().ascii_serialization())
            .collect()
        })
        .unwrap_or_default();
    let exchanges: Vec<HttpExchange> = desktop
        .http()
        .log()
        .snapshot()
        .into_iter()
        .filter(|x| {
            url::Url::parse(&x.url)
                .map(|u| origins.contains(&u.origin().ascii_serialization()))
                .unwrap_or(false)
        })
        .collect();
    let rate_limit = exchanges.iter().rev().find_map(|x| x.rate_limit);
    let introspection = lock(&desktop.introspections).get(name).cloned();
    Ok(AccountDetail {
        account: AccountView::from_account(&account),
        app: registration.as_ref().map(AppView::from_registration),
        access_token: access.as_ref().map(|t| MaskedToken {
            masked: t.masked(),
            length: t.secret().len(),
        }),
        refresh_token: refresh.as_ref().map(|t| MaskedToken {
            masked: t.masked(),
            length: t.secret().len(),
        }),
        secrets_error,
        jwt,
        jwt_note,
        introspection,
        rate_limit,
        exchanges,
        secrets_location: location,
        metadata_path,
    })
}

#[tauri::command]
pub async fn list_accounts(desktop: State<'_, Desktop>) -> CommandResult<Vec<AccountView>> {
    let meta = desktop.blocking(|s| s.load()).await?;
    Ok(meta
        .accounts
        .iter()
        .map(AccountView::from_account)
        .collect())
}

#[tauri::command]
pub async fn inspect_account(
    desktop: State<'_, Desktop>,
    name: String,
) -> CommandResult<AccountDetail> {
    detail(&desktop, &name).await
}

/// Refreshes now, through the session manager (the same locks the CLI uses).
#[tauri::command]
pub async fn refresh_account<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    name: String,
) -> CommandResult<AccountDetail> {
    tracing::info!(account = %name, "refresh requested");
    match desktop.sessions.refresh(&name).await {
        Ok(_) => {
            tracing::info!(account = %name, "refresh: new tokens saved");
            changed(&app, &name, None);
            desktop.refresh_wakeup.notify_one();
            detail(&desktop, &name).await
        }
        Err(e) => {
            tracing::warn!(account = %name, kind = e.kind(), "refresh failed");
            changed(&app, &name, Some(crate::error::desktop_report(&e)));
            Err(e.into())
        }
    }
}

/// Asks the provider about the stored access token (Fitbit introspect, Google tokeninfo).
#[tauri::command]
pub async fn introspect_account(
    desktop: State<'_, Desktop>,
    name: String,
) -> CommandResult<Introspection> {
    let account = load_account(&desktop, &name).await?;
    if account.state == AccountState::Revoked {
        return Err(fitauth_core::Error::Revoked { account: name }.into());
    }
    let client = desktop.sessions.client_for(&account).await?;
    let a = account.clone();
    let token = desktop.blocking(move |s| s.access_token(&a)).await?;
    tracing::info!(account = %name, "introspect");
    let verdict = client.inspect(&token).await.map_err(|e| {
        tracing::warn!(account = %name, kind = e.kind(), "introspect failed");
        CommandError::from(e)
    })?;
    tracing::info!(account = %name, active = verdict.active, "introspect: verdict received");
    lock(&desktop.introspections).insert(name, verdict.clone());
    Ok(verdict)
}

/// Revokes at the provider, then deletes the local tokens (the account stays, as "revoked").
#[tauri::command]
pub async fn revoke_account<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    name: String,
) -> CommandResult<AccountView> {
    let account = load_account(&desktop, &name).await?;
    if account.state != AccountState::Revoked {
        let client = desktop.sessions.client_for(&account).await?;
        let a = account.clone();
        let (refresh, access) = desktop
            .blocking(move |s| Ok((s.refresh_token(&a)?, s.access_token(&a).ok())))
            .await?;
        // Revoking either token ends the grant; the refresh token is the one that matters.
        let token = refresh
            .map(|r| r.secret().to_owned())
            .or_else(|| access.map(|a| a.secret().to_owned()));
        if let Some(token) = token {
            tracing::info!(account = %name, "revoke");
            match client.revoke(&token).await {
                Ok(Revoked::Revoked) => tracing::info!(account = %name, "revoke: revoked"),
                Ok(Revoked::AlreadyInvalid) => {
                    tracing::info!(account = %name, "revoke: the token was already invalid")
                }
                Err(e) => {
                    tracing::warn!(account = %name, kind = e.kind(), "revoke failed");
                    return Err(e.into());
                }
            }
        }
    }
    let n = name.clone();
    let revoked = desktop.blocking(move |s| s.forget_tokens(&n)).await?;
    lock(&desktop.introspections).remove(&name);
    changed(&app, &name, None);
    Ok(AccountView::from_account(&revoked))
}

/// Forgets an account on this computer (tokens and metadata), without calling the provider.
#[tauri::command]
pub async fn remove_account<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    name: String,
) -> CommandResult<()> {
    let n = name.clone();
    desktop.blocking(move |s| s.remove_account(&n)).await?;
    tracing::info!(account = %name, "account removed from this computer");
    lock(&desktop.introspections).remove(&name);
    changed(&app, &name, None);
    Ok(())
}

/// The raw token, for the Reveal and Copy buttons only.
#[tauri::command]
pub async fn reveal_secret(
    desktop: State<'_, Desktop>,
    name: String,
    which: Which,
) -> CommandResult<String> {
    let account = load_account(&desktop, &name).await?;
    let value = desktop
        .blocking(move |s| match which {
            Which::AccessToken => s.access_token(&account).map(|t| t.secret().to_owned()),
            Which::RefreshToken => s
                .refresh_token(&account)?
                .map(|t| t.secret().to_owned())
                .ok_or(fitauth_core::Error::SecretMissing {
                    what: "refresh token".into(),
                }),
        })
        .await?;
    tracing::info!(account = %name, which = ?which, "a token was revealed on request");
    Ok(value)
}

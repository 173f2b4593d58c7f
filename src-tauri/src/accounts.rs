//! Accounts: the list, the Inspect view's detail, Refresh / Introspect / Revoke / Rename, and
//! Reveal (the only command that hands a token to the UI, on an explicit click). Each command
//! calls the use-case layer and tells the UI what changed.

use fitauth_core::clock::now_unix;
use fitauth_core::jwt::DecodedJwt;
use fitauth_core::service::accounts::{AccountDetail as Detail, MaskedToken, Which as CoreWhich};
use fitauth_core::{
    scopes, Account, AccountState, ErrorReport, HttpExchange, Introspection, ProviderKind,
    RateLimit, Revoked, TokenKind,
};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Runtime, State, WebviewWindow};

use crate::apps::AppView;
use crate::confirm::{self, Question, RevealGate};
use crate::error::{CommandError, CommandResult};
use crate::events::{self, AccountChanged};
use crate::state::Desktop;

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
    pub email: Option<String>,
    /// What to put after "Connected as".
    pub label: String,
    /// `active`, `expired`, `reconnect_needed` or `revoked` (expired is derived from the clock).
    pub state: AccountState,
    pub token_type: String,
    pub issued_at: i64,
    pub expires_at: Option<i64>,
    pub refresh_token_expires_at: Option<i64>,
    pub has_refresh_token: bool,
    /// A client-credentials token: the app's own, no person, no refresh token.
    pub is_app_token: bool,
    pub updated_at: i64,
    pub scopes: Vec<ScopeRow>,
    pub scopes_denied: Vec<String>,
}

impl AccountView {
    pub fn from_account(a: &Account) -> Self {
        let denied = a.scopes_denied();
        let mut rows: Vec<ScopeRow> = vec![];
        for s in a.scopes_requested.iter().chain(a.scopes_granted.iter()) {
            if rows.iter().any(|r| &r.scope == s) {
                continue;
            }
            let info = scopes::lookup(s);
            let requested = a.scopes_requested.contains(s);
            rows.push(ScopeRow {
                scope: s.clone(),
                label: info
                    .map(|i| i.label.to_owned())
                    .unwrap_or_else(|| s.clone()),
                description: scopes::describe(s),
                requested,
                granted: a.scopes_granted.contains(s) || (requested && !denied.contains(s)),
            });
        }
        AccountView {
            name: a.name.clone(),
            app: a.app.clone(),
            provider: a.provider,
            user_id: a.user_id.clone(),
            display_name: a.display_name.clone(),
            email: a.email.clone(),
            label: a.label(),
            state: a.effective_state(now_unix()),
            token_type: a.token_type.clone(),
            issued_at: a.issued_at,
            expires_at: a.expires_at,
            refresh_token_expires_at: a.refresh_token_expires_at,
            has_refresh_token: a.has_refresh_token,
            is_app_token: a.is_app_token(),
            updated_at: a.updated_at,
            scopes: rows,
            scopes_denied: denied,
        }
    }
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
    /// This account's HTTP exchanges since the app started, secrets redacted, oldest first.
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

pub(crate) fn changed<R: Runtime>(app: &AppHandle<R>, account: &str, error: Option<ErrorReport>) {
    crate::notify::spawn_check(app);
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
    let d: Detail = desktop.app.account_detail(name).await?;
    Ok(AccountDetail {
        account: AccountView::from_account(&d.account),
        app: d.app.as_ref().map(AppView::from_registration),
        access_token: d.access_token,
        refresh_token: d.refresh_token,
        secrets_error: d.secrets_error.as_ref().map(crate::error::desktop_report),
        jwt: d.jwt,
        jwt_note: d.jwt_note,
        introspection: d.introspection,
        rate_limit: d.rate_limit,
        exchanges: d.exchanges,
        secrets_location: desktop.app.secrets_location(),
        metadata_path: desktop.app.metadata_path().display().to_string(),
    })
}

#[tauri::command]
pub async fn list_accounts(desktop: State<'_, Desktop>) -> CommandResult<Vec<AccountView>> {
    let accounts = desktop.app.accounts().await?;
    Ok(accounts.iter().map(AccountView::from_account).collect())
}

#[tauri::command]
pub async fn inspect_account(
    desktop: State<'_, Desktop>,
    name: String,
) -> CommandResult<AccountDetail> {
    detail(&desktop, &name).await
}

/// Refreshes now (the same locks the CLI uses).
#[tauri::command]
pub async fn refresh_account<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    name: String,
) -> CommandResult<AccountDetail> {
    match desktop.app.refresh(Some(&name)).await {
        Ok(_) => {
            changed(&app, &name, None);
            desktop.refresh_wakeup.notify_one();
            detail(&desktop, &name).await
        }
        Err(e) => {
            changed(&app, &name, Some(crate::error::desktop_report(&e)));
            Err(e.into())
        }
    }
}

/// Asks the provider about the account's access token (refreshed first when about to expire).
#[tauri::command]
pub async fn introspect_account<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    name: String,
) -> CommandResult<Introspection> {
    let before = desktop.app.account(Some(&name)).await?.generation;
    let (account, verdict) = desktop.app.introspect(Some(&name)).await?;
    if account.generation != before {
        changed(&app, &name, None);
    }
    Ok(verdict)
}

/// A revoke's outcome: the account (now "revoked") and what happened, in a sentence.
#[derive(Debug, Clone, Serialize)]
pub struct RevokeView {
    pub account: AccountView,
    pub outcome: Revoked,
    pub said: String,
}

/// Revokes the token `token` (the refresh token by default; either ends the grant) at the
/// provider, then deletes the local tokens (the account stays, as "revoked").
#[tauri::command]
pub async fn revoke_account<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    name: String,
    token: Option<TokenKind>,
) -> CommandResult<RevokeView> {
    let (revoked, outcome) = desktop
        .app
        .revoke(Some(&name), token.unwrap_or_default())
        .await?;
    changed(&app, &name, None);
    Ok(RevokeView {
        account: AccountView::from_account(&revoked),
        outcome,
        said: outcome.sentence(&revoked.name),
    })
}

/// Forgets an account on this computer (tokens and metadata), without calling the provider.
#[tauri::command]
pub async fn remove_account<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    name: String,
) -> CommandResult<()> {
    desktop.app.forget_account(&name).await?;
    changed(&app, &name, None);
    Ok(())
}

/// Gives an account another (unique) name.
#[tauri::command]
pub async fn rename_account<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    name: String,
    new_name: String,
) -> CommandResult<AccountView> {
    let renamed = desktop.app.rename_account(&name, &new_name).await?;
    changed(&app, &renamed.name, None);
    Ok(AccountView::from_account(&renamed))
}

/// The raw token, for the Reveal and Copy buttons only, and only once the person has said yes
/// in a native dialog (see `confirm.rs`): a script in the page cannot answer it.
#[tauri::command]
pub async fn reveal_secret<R: Runtime>(
    window: WebviewWindow<R>,
    desktop: State<'_, Desktop>,
    name: String,
    which: Which,
) -> CommandResult<String> {
    // Checked first, so the dialog never names an account that does not exist.
    let account = desktop.app.account(Some(&name)).await?;
    let (core_which, what) = match which {
        Which::AccessToken => (CoreWhich::Access, "access token"),
        Which::RefreshToken => (CoreWhich::Refresh, "refresh token"),
    };
    if desktop.config.reveal_gate == RevealGate::Ask {
        let question = Question {
            title: format!("Show the {what}?"),
            message: format!(
                "Show the {what} of \"{}\"? Anyone who sees or pastes it can use this account \
                 until it expires{}.",
                account.name,
                if core_which == CoreWhich::Refresh {
                    " or is revoked"
                } else {
                    ""
                }
            ),
        };
        if !confirm::ask(&window, question).await {
            tracing::info!(account = %account.name, which = what, "reveal declined");
            return Err(CommandError::new(
                "reveal_declined",
                format!("The {what} stays hidden: showing it was not confirmed."),
                "Press Reveal or Copy again and choose Show in the dialog that opens.",
            ));
        }
    }
    let token = desktop.app.reveal_by_id(&account.id, core_which).await?;
    Ok(token.secret().to_owned())
}

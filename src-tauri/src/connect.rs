//! The Connect flow, as commands and events over the use-case layer
//! (`fitauth_core::service::connect`, which `fitauth login` runs too).
//!
//! 1. `start_connect`: pick the registration (the sandbox, or one of the chosen provider's),
//!    begin the sign-in (the layer keeps it in the store, where it survives a restart for 10
//!    minutes) and open the consent page in the system browser from Rust.
//! 2. The browser comes back over the loopback listener (a task here waits on it), as a
//!    `fitauth://callback` deep link ([`handle_links`]), or as an address the person pastes
//!    (`paste_redirect`). The layer takes the pending sign-in atomically, so a link the
//!    `fitauth` command also receives is exchanged once; it saves the account by the person who
//!    signed in.
//! 3. A link whose `state` matches nothing is refused with a message and changes nothing.

use fitauth_core::scopes::{self, ScopeInfo};
use fitauth_core::service::connect::{
    Connected, LoopbackWait, Refused, SignIn, SignInRequest, SignInStatus,
};
use fitauth_core::store::OutcomeStatus;
use fitauth_core::{Browser, Error, ProviderKind, RedirectMode, ResponseType};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use crate::accounts::AccountView;
use crate::error::{CommandError, CommandResult};
use crate::events;
use crate::migrate::MigrationView;
use crate::sandbox;
use crate::state::{lock, ActiveConnect, Desktop};

/// Which way to connect, as the Connect view offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Choice {
    /// Fitbit via Google account (the Google Health API).
    GoogleHealth,
    /// The legacy Fitbit Web API.
    Fitbit,
    /// The built-in offline sandbox.
    Sandbox,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StartConnect {
    pub choice: Choice,
    /// Which registration (defaults to the first of the chosen provider).
    #[serde(default)]
    pub app: Option<String>,
    pub scopes: Vec<String>,
    /// The account name to store it under (defaults to one made from the person's name).
    #[serde(default)]
    pub account: Option<String>,
    /// Connect's "Advanced" part: how to get the token (the authorization code by default).
    #[serde(default)]
    pub grant: Grant,
    /// PKCE (on unless a Fitbit server app turns it off).
    #[serde(default = "on")]
    pub pkce: bool,
    /// `prompt`: Fitbit's `none`, `login`, `consent`, `login consent`; Google's `none`,
    /// `consent`, `select_account`.
    #[serde(default)]
    pub prompt: Option<String>,
    /// The access token's lifetime in seconds (`expires_in`), where the grant allows one.
    #[serde(default)]
    pub lifetime: Option<u64>,
    /// Show the consent page's address (to open in another browser or profile) instead of
    /// opening the system browser.
    #[serde(default)]
    pub no_browser: bool,
}

fn on() -> bool {
    true
}

/// How to get the token, as Fitbit's authorization docs offer
/// (<https://dev.fitbit.com/build/reference/web-api/developer-guide/authorization/>).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// Authorization code (with PKCE unless a server app leaves it out).
    #[default]
    Code,
    /// The token in the `fitauth://callback` link's fragment; no refresh token.
    Implicit,
    /// An app token with no user (`get_app_token`; server apps).
    ClientCredentials,
}

/// The sign-in being waited for, as the UI shows it ("Finish in your browser…").
#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    pub app: String,
    /// The name asked for; `None` names the account after the person.
    pub account: Option<String>,
    pub provider: ProviderKind,
    pub redirect: RedirectMode,
    pub redirect_uri: String,
    pub started_at: i64,
    pub expires_at: i64,
    /// The consent page's address, to copy into another browser or profile.
    pub authorize_url: String,
    /// The grant being waited for.
    pub grant: Grant,
    /// The system browser was not opened (the person asked for the address instead).
    pub browser_opened: bool,
}

/// A finished connection: "Connected as <label>".
#[derive(Debug, Clone, Serialize)]
pub struct ConnectedView {
    pub account: AccountView,
    pub label: String,
    /// The person's existing account was updated in place.
    pub updated: bool,
    /// For a move to Google Health: how it ended.
    pub migration: Option<MigrationView>,
}

impl ConnectedView {
    /// An account saved without a sign-in (an imported token).
    pub fn saved(account: &fitauth_core::Account, updated: bool) -> Self {
        let account = AccountView::from_account(account);
        ConnectedView {
            label: account.label.clone(),
            account,
            updated,
            migration: None,
        }
    }
}

impl From<&Connected> for ConnectedView {
    fn from(c: &Connected) -> Self {
        let account = AccountView::from_account(&c.account);
        ConnectedView {
            label: account.label.clone(),
            account,
            updated: c.updated,
            migration: c.migration.as_deref().map(MigrationView::from),
        }
    }
}

/// The plain-language scope catalog of a provider.
#[tauri::command]
pub fn scope_catalog(provider: ProviderKind) -> Vec<ScopeInfo> {
    scopes::for_provider(provider).copied().collect()
}

/// Starts a sign-in and opens the consent page in the system browser.
#[tauri::command]
pub async fn start_connect<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    request: StartConnect,
) -> CommandResult<Waiting> {
    cancel_active(&desktop).await;
    let registration = match request.choice {
        Choice::Sandbox => sandbox::ensure(&desktop).await?,
        Choice::Fitbit => {
            desktop
                .app
                .registration_for(ProviderKind::Fitbit, request.app.as_deref())
                .await?
        }
        // A sandbox account moved to Google reconnects on the running sandbox's Google side.
        Choice::GoogleHealth if request.app.as_deref() == Some(sandbox::SANDBOX_HEALTH_APP) => {
            sandbox::ensure_registration(&desktop, sandbox::SANDBOX_HEALTH_APP).await?
        }
        Choice::GoogleHealth => {
            desktop
                .app
                .registration_for(ProviderKind::GoogleHealth, request.app.as_deref())
                .await?
        }
    };
    let implicit = match request.grant {
        Grant::Code => false,
        Grant::Implicit => true,
        Grant::ClientCredentials => {
            return Err(Error::Invalid(
                "the client-credentials grant needs no browser; use Get app token".into(),
            )
            .into())
        }
    };
    if implicit && !desktop.config.scheme_redirects {
        return Err(Error::Setup(
            "the implicit grant's token comes back only in the fitauth:// link, which does not \
             reach this copy of Fitauth (a loopback listener never sees it); install Fitauth \
             from its package, or use the code grant"
                .into(),
        )
        .into());
    }
    let sign_in_request = SignInRequest {
        account: request.account.filter(|a| !a.trim().is_empty()),
        links_reach_app: desktop.config.scheme_redirects,
        redirect: implicit.then_some(RedirectMode::Scheme),
        pkce: request.pkce,
        prompt: request
            .prompt
            .filter(|p| !p.trim().is_empty() && p != "default"),
        response_type: if implicit {
            ResponseType::Token
        } else {
            ResponseType::Code
        },
        expires_in: request.lifetime,
        ..SignInRequest::new(registration, request.scopes)
    };
    let (sign_in, loopback) = desktop.app.begin_sign_in(sign_in_request).await?;
    wait_for(
        &app,
        &desktop,
        sign_in,
        loopback,
        request.grant,
        !request.no_browser,
    )
    .await
}

/// Connect's client-credentials grant: an app token for a Fitbit server app, with no user and
/// no refresh token (no browser involved).
#[tauri::command]
pub async fn get_app_token<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    registration: String,
    lifetime: Option<u64>,
    account: Option<String>,
) -> CommandResult<ConnectedView> {
    let registration = desktop.app.registration(&registration).await?;
    let name = account
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| format!("{}-app-token", registration.name));
    let saved = desktop.app.app_token(registration, lifetime, &name).await?;
    crate::accounts::changed(&app, &saved.account.name, None);
    Ok(ConnectedView::saved(&saved.account, saved.updated))
}

/// Keeps a started sign-in as this window's, waits for its loopback redirect in a task, and
/// opens the consent page in the system browser.
pub(crate) async fn wait_for<R: Runtime>(
    app: &AppHandle<R>,
    desktop: &Desktop,
    sign_in: SignIn,
    loopback: Option<LoopbackWait>,
    grant: Grant,
    open: bool,
) -> CommandResult<Waiting> {
    let waiting = Waiting {
        authorize_url: sign_in.authorize_url.to_string(),
        grant,
        browser_opened: open,
        app: sign_in.app.name.clone(),
        account: sign_in.account.clone(),
        provider: sign_in.app.provider,
        redirect: sign_in.redirect,
        redirect_uri: sign_in.redirect_uri.clone(),
        started_at: sign_in.started_at,
        expires_at: sign_in.expires_at,
    };
    let listener = loopback.map(|wait| {
        let app = app.clone();
        tauri::async_runtime::spawn(async move { wait_on_loopback(app, wait).await })
    });
    *lock(&desktop.connect) = Some(ActiveConnect {
        state: sign_in.state.clone(),
        waiting: waiting.clone(),
        listener,
    });
    if !open {
        tracing::info!(app = %sign_in.app.name, "consent page address shown, browser not opened");
        return Ok(waiting);
    }
    tracing::info!(
        app = %sign_in.app.name,
        redirect = ?sign_in.redirect,
        "opening the consent page in the system browser"
    );
    if let Err(e) = open_browser(app, &desktop.config.browser, sign_in.authorize_url.as_str()) {
        tracing::warn!(kind = e.kind(), "could not open the browser");
        cancel_active(desktop).await;
        return Err(e.into());
    }
    Ok(waiting)
}

fn open_browser<R: Runtime>(app: &AppHandle<R>, browser: &Browser, url: &str) -> Result<(), Error> {
    match browser {
        Browser::System => {
            use tauri_plugin_opener::OpenerExt;
            app.opener()
                .open_url(url, None::<&str>)
                .map_err(|e| Error::Browser {
                    reason: e.to_string(),
                })
        }
        other => other.open(url),
    }
}

/// The sign-in being waited for, if any (after a reload of the UI).
pub fn waiting(desktop: &Desktop) -> Option<Waiting> {
    lock(&desktop.connect).as_ref().map(|a| a.waiting.clone())
}

/// Stops waiting: the loopback listener closes and the pending sign-in is forgotten, so a late
/// redirect for it is refused.
#[tauri::command]
pub async fn cancel_connect(desktop: State<'_, Desktop>) -> CommandResult<()> {
    cancel_active(&desktop).await;
    Ok(())
}

pub(crate) async fn cancel_active(desktop: &Desktop) {
    let active = lock(&desktop.connect).take();
    if let Some(active) = active {
        if let Some(listener) = active.listener {
            listener.abort();
        }
        if let Err(e) = desktop.app.cancel_sign_in(&active.state).await {
            tracing::warn!(kind = e.kind(), "could not forget the cancelled sign-in");
        }
    }
}

/// Stops waiting for this window's sign-in once it has ended some other way (a link or a paste
/// finished it, or it was cancelled): its listener task, still waiting for the browser, is no
/// longer needed. A sign-in in progress is left alone: whoever took it completes it (the
/// listener task leaves the slot as soon as it takes one, so it is never aborted mid-exchange).
async fn settle_active(desktop: &Desktop) {
    let state = lock(&desktop.connect).as_ref().map(|a| a.state.clone());
    let Some(state) = state else { return };
    match desktop.app.sign_in_status(&state).await {
        Ok(SignInStatus::Ended(OutcomeStatus::InProgress)) | Ok(SignInStatus::Waiting) | Err(_) => {
            return
        }
        Ok(SignInStatus::Ended(_)) | Ok(SignInStatus::Unknown) => {}
    }
    let mut slot = lock(&desktop.connect);
    if slot.as_ref().is_some_and(|a| a.state == state) {
        if let Some(listener) = slot.take().and_then(|a| a.listener) {
            listener.abort();
        }
    }
}

async fn wait_on_loopback<R: Runtime>(app: AppHandle<R>, wait: LoopbackWait) {
    let desktop = app.state::<Desktop>();
    let state = wait.state().to_owned();
    let received = desktop.app.receive_loopback(wait).await;
    // Taken (or over): leave the slot first, so nothing aborts this task mid-exchange.
    {
        let mut slot = lock(&desktop.connect);
        if slot.as_ref().is_some_and(|a| a.state == state) {
            slot.take();
        }
    }
    let result = match received {
        Ok(received) => desktop.app.complete_received(received).await,
        // Cancelled, or finished by a link or a paste: that path told the window.
        Err(Error::Cancelled) => return,
        Err(e) => Err(e),
    };
    announce(&app, result.as_ref().map(ConnectedView::from));
}

fn announce<R: Runtime>(app: &AppHandle<R>, outcome: Result<ConnectedView, &Error>) {
    match outcome {
        Ok(view) => {
            app.state::<Desktop>().refresh_wakeup.notify_one();
            crate::notify::spawn_check(app);
            let _ = app.emit(events::CONNECT_FINISHED, &view);
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }
        Err(e) => {
            let _ = app.emit(events::CONNECT_FAILED, crate::error::desktop_report(e));
        }
    }
}

/// A redirect from a deep link or a pasted address, through the layer.
async fn receive<R: Runtime>(app: &AppHandle<R>, text: &str) -> Result<Connected, Refused> {
    let desktop = app.state::<Desktop>();
    let result = desktop.app.finish_redirect(text).await;
    settle_active(&desktop).await;
    result
}

/// Deep links (`fitauth://callback?…`) from the OS: cold start, single-instance forward, macOS.
pub fn handle_links<R: Runtime>(app: &AppHandle<R>, urls: Vec<url::Url>) {
    for url in urls {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            if url.scheme() != "fitauth" {
                tracing::warn!(scheme = url.scheme(), "ignored a link of another scheme");
                return;
            }
            tracing::info!("link received");
            match receive(&app, url.as_str()).await {
                Ok(connected) => announce(&app, Ok(ConnectedView::from(&connected))),
                // Delivered twice (single-instance forward and get_current), or taken by the
                // `fitauth` command: handled once, elsewhere.
                Err(Refused::AlreadyTaken) => {}
                Err(Refused::NotOurs(e)) => {
                    let _ = app.emit(events::LINK_REFUSED, crate::error::desktop_report(&e));
                }
                Err(Refused::Failed(e)) => announce(&app, Err(&e)),
            }
        });
    }
}

/// "Paste the address instead": the address the browser ended on.
#[tauri::command]
pub async fn paste_redirect<R: Runtime>(
    app: AppHandle<R>,
    address: String,
) -> CommandResult<ConnectedView> {
    tracing::info!("address pasted");
    match receive(&app, &address).await {
        Ok(connected) => {
            app.state::<Desktop>().refresh_wakeup.notify_one();
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.set_focus();
            }
            Ok(ConnectedView::from(&connected))
        }
        Err(Refused::AlreadyTaken) => Err(CommandError::new(
            "already_handled",
            "This sign-in was already finished.",
            "Nothing else to do: look for the account under Inspect.",
        )),
        Err(Refused::NotOurs(e)) | Err(Refused::Failed(e)) => Err(e.into()),
    }
}

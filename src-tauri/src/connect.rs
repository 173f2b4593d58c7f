//! The Connect flow.
//!
//! 1. `start_connect`: build a [`PendingAuthorization`], keep it with `Store::save_pending` (it
//!    survives a restart and expires after 10 minutes) and open the consent page in the system
//!    browser from Rust.
//! 2. The browser comes back: over the loopback listener (Google always; Fitbit when
//!    `fitauth://` links do not reach this app), as a `fitauth://callback` deep link, or as an
//!    address the person pastes. Every path ends in [`receive`] / [`complete`]: match `state` to a
//!    pending sign-in, verify, exchange the code, fetch the identity (best effort), save the
//!    connection, forget the pending sign-in, tell the UI.
//! 3. A link whose `state` matches nothing is refused with a message and changes nothing.

use fitauth_core::scopes::{self, ScopeInfo};
use fitauth_core::store::PendingRecord;
use fitauth_core::{
    AppRegistration, AuthorizeOptions, Authorized, Error, LoopbackListener, OAuthClient,
    PendingAuthorization, ProviderKind, RedirectMode, RedirectParams,
};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use crate::accounts::AccountView;
use crate::apps::{loopback_port, SCHEME_REDIRECT};
use crate::error::{CommandError, CommandResult};
use crate::events;
use crate::sandbox::{self, SANDBOX_APP};
use crate::state::{lock, ActiveConnect, Browser, Desktop};

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
    /// The account name to store it under (defaults to the registration's name).
    #[serde(default)]
    pub account: Option<String>,
}

/// The sign-in being waited for, as the UI shows it ("Finish in your browser…").
#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    pub app: String,
    pub account: String,
    pub provider: ProviderKind,
    pub redirect: RedirectMode,
    pub redirect_uri: String,
    pub started_at: i64,
    pub expires_at: i64,
}

/// A finished connection: "Connected as <label>".
#[derive(Debug, Clone, Serialize)]
pub struct ConnectedView {
    pub account: AccountView,
    pub label: String,
}

/// The plain-language scope catalog of a provider.
#[tauri::command]
pub fn scope_catalog(provider: ProviderKind) -> Vec<ScopeInfo> {
    scopes::for_provider(provider).copied().collect()
}

/// Finds the registration to connect through.
async fn registration_for(
    desktop: &Desktop,
    request: &StartConnect,
) -> Result<AppRegistration, CommandError> {
    let provider = match request.choice {
        Choice::Sandbox => return Ok(sandbox::ensure(desktop).await?),
        Choice::Fitbit => ProviderKind::Fitbit,
        Choice::GoogleHealth => ProviderKind::GoogleHealth,
    };
    let meta = desktop.blocking(|s| s.load()).await?;
    let found = match &request.app {
        Some(name) => Some(meta.app(name)?.clone()),
        None => meta
            .apps
            .iter()
            .find(|a| a.provider == provider && a.name != SANDBOX_APP)
            .cloned(),
    };
    found.ok_or_else(|| {
        let what = match provider {
            ProviderKind::GoogleHealth => "a Google desktop OAuth client",
            ProviderKind::Fitbit => "a Fitbit app registration",
        };
        CommandError::new(
            "no_app",
            format!("To connect this way, Fitauth needs {what}, and none is set up yet."),
            "Add it under Apps, or try it offline with the sandbox.",
        )
    })
}

/// Starts a sign-in and opens the consent page in the system browser.
#[tauri::command]
pub async fn start_connect<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    request: StartConnect,
) -> CommandResult<Waiting> {
    cancel_active(&desktop).await;
    let registration = registration_for(&desktop, &request).await?;
    let account = request
        .account
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or(&registration.name)
        .to_owned();
    let reg = registration.clone();
    // A locked or missing keyring is reported before the browser opens, not after consent.
    let config = desktop
        .blocking(move |s| {
            s.check_secrets_writable()?;
            s.client_config(&reg)
        })
        .await?;
    config.client_auth()?;

    let scheme = registration.provider == ProviderKind::Fitbit
        && registration.redirect == RedirectMode::Scheme
        && desktop.config.scheme_redirects;
    let listener = if scheme {
        None
    } else {
        Some(LoopbackListener::bind(loopback_port(&registration)).await?)
    };
    let redirect_uri = listener
        .as_ref()
        .map(|l| l.redirect_uri())
        .unwrap_or_else(|| SCHEME_REDIRECT.to_owned());
    let pending = PendingAuthorization::start(
        &config,
        AuthorizeOptions::code(request.scopes.clone(), redirect_uri.clone()),
    )?;
    let (p, app_name, acc) = (pending.clone(), registration.name.clone(), account.clone());
    desktop
        .blocking(move |s| s.save_pending(&p, &app_name, &acc))
        .await?;

    let waiting = Waiting {
        app: registration.name.clone(),
        account: account.clone(),
        provider: registration.provider,
        redirect: if scheme {
            RedirectMode::Scheme
        } else {
            RedirectMode::Loopback
        },
        redirect_uri,
        started_at: pending.created_at,
        expires_at: pending.expires_at,
    };
    let state = pending.state.as_str().to_owned();
    let record = PendingRecord {
        authorization: pending.clone(),
        app: registration.name.clone(),
        account: account.clone(),
    };
    let listener_task = listener.map(|l| {
        let app = app.clone();
        tauri::async_runtime::spawn(async move { wait_on_loopback(app, l, record).await })
    });
    *lock(&desktop.connect) = Some(ActiveConnect {
        state,
        waiting: waiting.clone(),
        listener: listener_task,
    });
    tracing::info!(
        app = %registration.name,
        account = %account,
        redirect = if scheme { "scheme" } else { "loopback" },
        "sign-in started; opening the consent page in the system browser"
    );
    if let Err(e) = open_browser(
        &app,
        &desktop.config.browser,
        pending.authorize_url.as_str(),
    ) {
        tracing::warn!(kind = e.kind(), "could not open the browser");
        cancel_active(&desktop).await;
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
                .map_err(|e| Error::Config(format!("could not open the system browser ({e})")))
        }
        Browser::Program { words, env } => Browser::spawn_program(words, env, url),
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

async fn cancel_active(desktop: &Desktop) {
    let active = lock(&desktop.connect).take();
    if let Some(active) = active {
        if let Some(listener) = active.listener {
            listener.abort();
        }
        let state = active.state;
        if let Err(e) = desktop.blocking(move |s| s.remove_pending(&state)).await {
            tracing::warn!(kind = e.kind(), "could not forget the cancelled sign-in");
        }
        tracing::info!("sign-in cancelled");
    }
}

/// Takes the active sign-in if it is the one with `state`.
fn take_active(desktop: &Desktop, state: &str) -> Option<ActiveConnect> {
    let mut slot = lock(&desktop.connect);
    if slot.as_ref().is_some_and(|a| a.state == state) {
        slot.take()
    } else {
        None
    }
}

async fn wait_on_loopback<R: Runtime>(
    app: AppHandle<R>,
    listener: LoopbackListener,
    record: PendingRecord,
) {
    let result = listener.accept(&record.authorization).await;
    drop(listener);
    let desktop = app.state::<Desktop>();
    let state = record.authorization.state.as_str().to_owned();
    tracing::info!("redirect received on the loopback listener; state checked");
    if !desktop.claim_state(&state) {
        tracing::info!("this sign-in was already finished another way");
        return;
    }
    // We are the listener task: take the slot without aborting ourselves.
    take_active(&desktop, &state);
    let outcome = match result {
        Ok(authorized) => complete(&app, record, authorized).await,
        Err(e) => {
            forget_pending(&desktop, &state).await;
            Err(e)
        }
    };
    announce(&app, outcome);
}

fn announce<R: Runtime>(app: &AppHandle<R>, outcome: Result<ConnectedView, Error>) {
    match outcome {
        Ok(view) => {
            let _ = app.emit(events::CONNECT_FINISHED, &view);
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }
        Err(e) => {
            tracing::warn!(kind = e.kind(), "sign-in failed");
            let _ = app.emit(events::CONNECT_FAILED, crate::error::desktop_report(&e));
        }
    }
}

async fn forget_pending(desktop: &Desktop, state: &str) {
    let state = state.to_owned();
    if let Err(e) = desktop.blocking(move |s| s.remove_pending(&state)).await {
        tracing::warn!(kind = e.kind(), "could not forget the pending sign-in");
    }
}

/// Exchange, identity, save: the end of every path.
async fn complete<R: Runtime>(
    app: &AppHandle<R>,
    record: PendingRecord,
    authorized: Authorized,
) -> Result<ConnectedView, Error> {
    let desktop = app.state::<Desktop>();
    let state = record.authorization.state.as_str().to_owned();
    let result = async {
        let app_name = record.app.clone();
        let (registration, config) = desktop
            .blocking(move |s| {
                let reg = s.load()?.app(&app_name)?.clone();
                let config = s.client_config(&reg)?;
                Ok((reg, config))
            })
            .await?;
        let client = OAuthClient::new(config, desktop.http().clone());
        let tokens = match authorized {
            Authorized::Code { code, .. } => {
                tracing::info!(app = %registration.name, "exchanging the authorization code");
                client.exchange_code(&record.authorization, &code).await?
            }
            Authorized::Token(tokens) => tokens,
        };
        tracing::info!("exchange: tokens received");
        let identity = match client.identity(&tokens.access_token).await {
            Ok(identity) => Some(identity),
            Err(e) => {
                tracing::info!(kind = e.kind(), "no identity; using the token's user id");
                None
            }
        };
        let (account, requested) = (record.account.clone(), record.authorization.scopes.clone());
        let saved = desktop
            .blocking(move |s| {
                s.save_connection(
                    &account,
                    &registration,
                    &tokens,
                    &requested,
                    identity.as_ref(),
                )
            })
            .await?;
        tracing::info!(account = %saved.name, "connection saved");
        Ok(saved)
    }
    .await;
    forget_pending(&desktop, &state).await;
    let saved = result?;
    lock(&desktop.introspections).remove(&saved.name);
    desktop.refresh_wakeup.notify_one();
    let view = AccountView::from_account(&saved);
    Ok(ConnectedView {
        label: view.label.clone(),
        account: view,
    })
}

/// How a redirect that is not the loopback listener's ended.
#[derive(Debug)]
pub enum Received {
    Connected(Box<ConnectedView>),
    /// The same redirect was already handled (a link delivered twice).
    AlreadyHandled,
}

/// Why a redirect was not used.
#[derive(Debug)]
pub enum Refused {
    /// It belongs to no pending sign-in (or is not a sign-in response at all): nothing changed.
    NotOurs(Error),
    /// It belonged to our sign-in, which then failed (consent denied, code refused…).
    Failed(Error),
}

/// A redirect from a deep link or a pasted address.
pub async fn receive<R: Runtime>(app: &AppHandle<R>, text: &str) -> Result<Received, Refused> {
    let params = RedirectParams::parse(text).map_err(Refused::NotOurs)?;
    let Some(state) = params.state().map(str::to_owned) else {
        tracing::warn!("state checked: the redirect carries no state");
        return Err(Refused::NotOurs(Error::StateMismatch));
    };
    let desktop = app.state::<Desktop>();
    if lock(&desktop.handled_states).contains(&state) {
        tracing::info!("state checked: already handled, ignoring the repeat");
        return Ok(Received::AlreadyHandled);
    }
    let st = state.clone();
    let record = desktop
        .blocking(move |s| s.find_pending(&st))
        .await
        .map_err(Refused::Failed)?;
    let Some(record) = record else {
        let st = state.clone();
        let expired = desktop
            .blocking(move |s| {
                Ok(s.load()?
                    .pending
                    .iter()
                    .any(|p| p.authorization.state.matches(&st)))
            })
            .await
            .unwrap_or(false);
        tracing::warn!(
            expired,
            "state checked: no pending sign-in matches; refused"
        );
        return Err(Refused::NotOurs(if expired {
            Error::AuthorizationExpired
        } else {
            Error::StateMismatch
        }));
    };
    tracing::info!("state checked: it matches a pending sign-in");
    if !desktop.claim_state(&state) {
        return Ok(Received::AlreadyHandled);
    }
    if let Some(listener) = take_active(&desktop, &state).and_then(|a| a.listener) {
        listener.abort();
    }
    let authorized = match params.verify(&record.authorization) {
        Ok(a) => a,
        Err(e) => {
            forget_pending(&desktop, &state).await;
            return Err(Refused::Failed(e));
        }
    };
    complete(app, record, authorized)
        .await
        .map(|v| Received::Connected(Box::new(v)))
        .map_err(Refused::Failed)
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
                Ok(Received::Connected(view)) => announce(&app, Ok(*view)),
                Ok(Received::AlreadyHandled) => {}
                Err(Refused::NotOurs(e)) => {
                    let _ = app.emit(events::LINK_REFUSED, crate::error::desktop_report(&e));
                }
                Err(Refused::Failed(e)) => announce(&app, Err(e)),
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
        Ok(Received::Connected(view)) => {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.set_focus();
            }
            Ok(*view)
        }
        Ok(Received::AlreadyHandled) => Err(CommandError::new(
            "already_handled",
            "This sign-in was already finished.",
            "Nothing else to do: look for the account under Inspect.",
        )),
        Err(Refused::NotOurs(e)) | Err(Refused::Failed(e)) => Err(e.into()),
    }
}

//! Connect's "Import a token": a token the person already has becomes an account once the
//! provider says it is active (the use-case layer's [`fitauth_core::Fitauth::import`], as
//! `fitauth import` runs it). The token goes straight to Rust and the keyring; the page keeps
//! no copy.

use fitauth_core::service::import::ImportRequest;
use fitauth_core::{AccessToken, Error, RefreshToken};
use serde::Deserialize;
use tauri::{AppHandle, Runtime, State};

use crate::accounts::changed;
use crate::connect::ConnectedView;
use crate::error::CommandResult;
use crate::sandbox;
use crate::state::Desktop;

#[derive(Clone, Deserialize)]
pub struct ImportToken {
    /// The registration it was issued to; the sandbox's for a sandbox token.
    pub app: String,
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub account: Option<String>,
}

impl std::fmt::Debug for ImportToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportToken")
            .field("app", &self.app)
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("account", &self.account)
            .finish()
    }
}

#[tauri::command]
pub async fn import_token<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    request: ImportToken,
) -> CommandResult<ConnectedView> {
    let access = request.access_token.trim();
    if access.is_empty() {
        return Err(Error::Invalid("paste the access token to import".into()).into());
    }
    let registration = if request.app == sandbox::SANDBOX_APP {
        sandbox::ensure(&desktop).await?
    } else {
        desktop.app.registration(&request.app).await?
    };
    let saved = desktop
        .app
        .import(ImportRequest {
            app: registration,
            access_token: AccessToken::new(access),
            refresh_token: request
                .refresh_token
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(RefreshToken::new),
            account: request.account.filter(|a| !a.trim().is_empty()),
        })
        .await?;
    changed(&app, &saved.account.name, None);
    desktop.refresh_wakeup.notify_one();
    Ok(ConnectedView::saved(&saved.account, saved.updated))
}

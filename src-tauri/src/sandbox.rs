//! The built-in sandbox: an offline Fitbit/Google-compatible server started in-process, with the
//! `sandbox` registration (made by the use-case layer) pointing at it, so a new user can try the
//! whole flow with no account.

pub use fitauth_core::service::apps::{SANDBOX_APP, SANDBOX_HEALTH_APP};
use fitauth_core::{AppRegistration, Error};
use fitauth_sandbox::Sandbox;
use serde::Serialize;
use tauri::State;

use crate::apps::AppView;
use crate::error::CommandResult;
use crate::state::Desktop;

#[derive(Debug, Clone, Serialize)]
pub struct SandboxView {
    pub base_url: String,
    pub app: AppView,
}

/// Starts the sandbox if it is not running and points the `sandbox` registration at it.
pub async fn ensure(desktop: &Desktop) -> Result<AppRegistration, Error> {
    ensure_registration(desktop, SANDBOX_APP).await
}

/// Starts the built-in sandbox if it is not running and points the sandbox registration `name`
/// ([`SANDBOX_APP`], or its Google side [`SANDBOX_HEALTH_APP`], which a moved sandbox account
/// uses) at it.
pub async fn ensure_registration(desktop: &Desktop, name: &str) -> Result<AppRegistration, Error> {
    let base = {
        let mut running = desktop.sandbox.lock().await;
        if running.is_none() {
            let sandbox =
                Sandbox::start_embedded()
                    .await
                    .map_err(|e| Error::SandboxUnavailable {
                        reason: e.to_string(),
                    })?;
            tracing::info!(url = sandbox.base_url(), "built-in sandbox started");
            *running = Some(sandbox);
        }
        running
            .as_ref()
            .map(|s| s.base_url().to_owned())
            .unwrap_or_default()
    };
    desktop.app.use_sandbox(name, &base).await
}

/// The sandbox's address, if it runs.
pub async fn url(desktop: &Desktop) -> Option<String> {
    desktop
        .sandbox
        .lock()
        .await
        .as_ref()
        .map(|s| s.base_url().to_owned())
}

#[tauri::command]
pub async fn start_sandbox(desktop: State<'_, Desktop>) -> CommandResult<SandboxView> {
    let app = ensure(&desktop).await?;
    Ok(SandboxView {
        base_url: app.base_url.clone().unwrap_or_default(),
        app: AppView::from_registration(&app),
    })
}

//! The built-in sandbox: an offline Fitbit/Google-compatible server started in-process, with an
//! app registration pointing at it, so a new user can try the whole flow with no account.

use fitauth_core::{AppRegistration, AppType, Error, ProviderKind, RedirectMode};
use fitauth_sandbox::{Sandbox, SandboxConfig};
use serde::Serialize;
use tauri::State;

use crate::apps::AppView;
use crate::error::CommandResult;
use crate::state::Desktop;

/// The registration name of the built-in sandbox.
pub const SANDBOX_APP: &str = "sandbox";
/// Its pre-registered public client (Fitbit dialect, PKCE, no secret).
pub const SANDBOX_CLIENT: &str = "sandbox-client";

#[derive(Debug, Clone, Serialize)]
pub struct SandboxView {
    pub base_url: String,
    pub app: AppView,
}

/// Starts the sandbox if it is not running and points the `sandbox` registration at it.
pub async fn ensure(desktop: &Desktop) -> Result<AppRegistration, Error> {
    let base = {
        let mut running = desktop.sandbox.lock().await;
        if running.is_none() {
            let sandbox = Sandbox::start(SandboxConfig {
                port: 0,
                auto_approve: false,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::Config(format!("could not start the built-in sandbox ({e})")))?;
            tracing::info!(url = sandbox.base_url(), "built-in sandbox started");
            *running = Some(sandbox);
        }
        running
            .as_ref()
            .map(|s| s.base_url().trim_end_matches('/').to_owned())
            .unwrap_or_default()
    };
    let registration = AppRegistration {
        name: SANDBOX_APP.into(),
        provider: ProviderKind::Fitbit,
        client_id: SANDBOX_CLIENT.into(),
        app_type: AppType::Client,
        redirect: RedirectMode::Scheme,
        base_url: Some(base),
        endpoints: None,
        has_client_secret: false,
    };
    desktop
        .blocking(move |s| {
            if s.load()?.app(SANDBOX_APP).ok() == Some(&registration) {
                return Ok(registration);
            }
            s.save_app(registration, None)
        })
        .await
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

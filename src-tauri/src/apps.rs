//! App registrations: list, add/edit, remove, and the redirect URI(s) to register with the
//! provider. Client secrets go straight to the keyring and never come back to the UI. The form's
//! input is the layer's `RegistrationInput`, built and checked there as for `fitauth apps add`.

use fitauth_core::service::apps::{is_sandbox, redirect_uris, RegistrationInput};
use fitauth_core::{AppRegistration, AppType, ProviderKind, RedirectMode};
use serde::Serialize;
use tauri::{Emitter, Runtime, State};

use crate::error::CommandResult;
use crate::events;
use crate::state::Desktop;

/// An app registration as the UI shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AppView {
    pub name: String,
    pub provider: ProviderKind,
    pub client_id: String,
    pub app_type: AppType,
    pub redirect: RedirectMode,
    pub base_url: Option<String>,
    pub has_client_secret: bool,
    /// Google: the consent screen is in Testing (refresh tokens end after seven days).
    pub testing: bool,
    pub is_sandbox: bool,
    /// Compiled into this build (see the README's "Build-time defaults").
    pub is_builtin: bool,
    /// What to enter as redirect URL(s) in the provider's developer console, in order.
    pub redirect_uris: Vec<String>,
    pub redirect_note: String,
    /// The endpoints sign-ins through this registration use.
    pub endpoints: Option<EndpointsView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EndpointsView {
    pub authorize: String,
    pub token: String,
    pub introspect: Option<String>,
    pub tokeninfo: Option<String>,
    pub revoke: String,
    pub identity: String,
}

impl AppView {
    pub fn from_registration(app: &AppRegistration) -> Self {
        let advice = redirect_uris(app);
        let endpoints = app.provider().ok().map(|p| EndpointsView {
            authorize: p.endpoints.authorize.to_string(),
            token: p.endpoints.token.to_string(),
            introspect: p.endpoints.introspect.as_ref().map(|u| u.to_string()),
            tokeninfo: p.endpoints.tokeninfo.as_ref().map(|u| u.to_string()),
            revoke: p.endpoints.revoke.to_string(),
            identity: p.endpoints.identity.to_string(),
        });
        AppView {
            name: app.name.clone(),
            provider: app.provider,
            client_id: app.client_id.clone(),
            app_type: app.app_type,
            redirect: app.redirect,
            base_url: app.base_url.clone(),
            has_client_secret: app.has_client_secret,
            testing: app.testing,
            is_sandbox: is_sandbox(&app.name),
            is_builtin: fitauth_core::defaults::is_builtin(&app.name),
            redirect_uris: advice.uris,
            redirect_note: advice.note.to_owned(),
            endpoints,
        }
    }
}

#[tauri::command]
pub async fn list_apps(desktop: State<'_, Desktop>) -> CommandResult<Vec<AppView>> {
    let apps = desktop.app.registrations().await?;
    Ok(apps.iter().map(AppView::from_registration).collect())
}

#[tauri::command]
pub async fn save_app<R: Runtime>(
    app: tauri::AppHandle<R>,
    desktop: State<'_, Desktop>,
    input: RegistrationInput,
) -> CommandResult<AppView> {
    let saved = desktop.app.save_registration(input).await?;
    let _ = app.emit(events::APPS_CHANGED, ());
    Ok(AppView::from_registration(&saved))
}

#[tauri::command]
pub async fn remove_app<R: Runtime>(
    app: tauri::AppHandle<R>,
    desktop: State<'_, Desktop>,
    name: String,
) -> CommandResult<()> {
    desktop.app.remove_registration(&name).await?;
    let _ = app.emit(events::APPS_CHANGED, ());
    Ok(())
}

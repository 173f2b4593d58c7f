//! App registrations: list, add/edit, remove, and the redirect URI(s) to register with the
//! provider. Client secrets go straight to the keyring and never come back to the UI.

use fitauth_core::{AppRegistration, AppType, ClientSecret, Error, ProviderKind, RedirectMode};
use serde::{Deserialize, Serialize};
use tauri::{Emitter, Runtime, State};

use crate::error::CommandResult;
use crate::events;
use crate::sandbox::SANDBOX_APP;
use crate::state::Desktop;

/// The custom-scheme redirect the desktop app receives.
pub const SCHEME_REDIRECT: &str = "fitauth://callback";
/// The fixed loopback port used for real Fitbit registrations (Fitbit matches redirect URIs
/// exactly, so the port cannot change between sign-ins). Google and the sandbox take any port.
pub use fitauth_core::defaults::FITBIT_LOOPBACK_PORT;

/// The loopback port a sign-in through `app` listens on (0: any free port).
pub fn loopback_port(app: &AppRegistration) -> u16 {
    match app.provider {
        ProviderKind::Fitbit if app.name != SANDBOX_APP => FITBIT_LOOPBACK_PORT,
        _ => 0,
    }
}

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
        let (redirect_uris, mut redirect_note) = match (app.provider, app.redirect) {
            (ProviderKind::GoogleHealth, _) => (
                vec!["http://127.0.0.1".to_owned()],
                "Google desktop clients accept any loopback port; nothing to register beyond \
                 choosing the \"Desktop app\" client type."
                    .to_owned(),
            ),
            (ProviderKind::Fitbit, _) if app.name == SANDBOX_APP => (
                vec![SCHEME_REDIRECT.to_owned()],
                "The built-in sandbox accepts fitauth://callback and any loopback address.".into(),
            ),
            (ProviderKind::Fitbit, RedirectMode::Scheme) => (
                vec![
                    SCHEME_REDIRECT.to_owned(),
                    format!("http://127.0.0.1:{FITBIT_LOOPBACK_PORT}/callback"),
                ],
                "Register both: the second is used when fitauth:// links are not set up on this \
                 computer."
                    .into(),
            ),
            (ProviderKind::Fitbit, RedirectMode::Loopback) => (
                vec![format!("http://127.0.0.1:{FITBIT_LOOPBACK_PORT}/callback")],
                "Fitbit compares the redirect URL exactly; register it as shown.".into(),
            ),
        };
        let is_builtin = fitauth_core::defaults::is_builtin(&app.name);
        if is_builtin {
            redirect_note =
                "Built into this copy of Fitauth: already registered, nothing to do.".into();
        }
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
            is_sandbox: app.name == SANDBOX_APP,
            is_builtin,
            redirect_uris,
            redirect_note,
            endpoints,
        }
    }
}

/// What the Apps form sends. The secret is only ever sent this way, never read back.
#[derive(Debug, Clone, Deserialize)]
pub struct AppInput {
    pub name: String,
    pub provider: ProviderKind,
    pub client_id: String,
    #[serde(default)]
    pub app_type: AppType,
    #[serde(default)]
    pub redirect: RedirectMode,
    #[serde(default)]
    pub base_url: Option<String>,
    /// Empty or absent keeps the stored secret.
    #[serde(default)]
    pub client_secret: Option<String>,
}

impl AppInput {
    /// Checks the form and turns it into a registration; every problem is a sentence.
    pub fn validate(self) -> Result<(AppRegistration, Option<ClientSecret>), Error> {
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            return Err(Error::Config("give the registration a name".into()));
        }
        if name == SANDBOX_APP {
            return Err(Error::Config(
                "the name \"sandbox\" is kept for the built-in sandbox; choose another".into(),
            ));
        }
        let client_id = self.client_id.trim().to_owned();
        if client_id.is_empty() {
            return Err(Error::Config(
                "enter the client id from the provider's developer console".into(),
            ));
        }
        let base_url = self
            .base_url
            .map(|b| b.trim().trim_end_matches('/').to_owned())
            .filter(|b| !b.is_empty());
        if let Some(base) = &base_url {
            match url::Url::parse(base) {
                Ok(u) if u.scheme() == "https" || u.scheme() == "http" => {}
                _ => {
                    return Err(Error::Config(format!(
                        "the base URL \"{base}\" is not an http(s) address"
                    )))
                }
            }
        }
        let redirect = match self.provider {
            ProviderKind::GoogleHealth => RedirectMode::Loopback,
            ProviderKind::Fitbit => self.redirect,
        };
        let app_type = match self.provider {
            ProviderKind::GoogleHealth => AppType::Client,
            ProviderKind::Fitbit => self.app_type,
        };
        let secret = self
            .client_secret
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .map(ClientSecret::new);
        let app = AppRegistration {
            name,
            provider: self.provider,
            client_id,
            app_type,
            redirect,
            base_url,
            endpoints: None,
            has_client_secret: false,
        };
        // Reject what cannot work before it is saved.
        app.provider()?;
        Ok((app, secret))
    }
}

#[tauri::command]
pub async fn list_apps(desktop: State<'_, Desktop>) -> CommandResult<Vec<AppView>> {
    let meta = desktop.blocking(|s| s.load()).await?;
    Ok(meta.apps.iter().map(AppView::from_registration).collect())
}

#[tauri::command]
pub async fn save_app<R: Runtime>(
    app: tauri::AppHandle<R>,
    desktop: State<'_, Desktop>,
    input: AppInput,
) -> CommandResult<AppView> {
    let (registration, secret) = input.validate()?;
    let needs_secret = matches!(
        (registration.provider, registration.app_type),
        (ProviderKind::GoogleHealth, _) | (ProviderKind::Fitbit, AppType::Server)
    );
    let saved = desktop
        .blocking(move |s| {
            let has_stored = s
                .load()?
                .app(&registration.name)
                .map(|a| a.has_client_secret)
                .unwrap_or(false);
            if needs_secret && secret.is_none() && !has_stored {
                return Err(Error::Config(
                    "this kind of app needs its client secret; copy it from the developer console"
                        .into(),
                ));
            }
            s.save_app(registration, secret.as_ref())
        })
        .await?;
    tracing::info!(app = %saved.name, provider = %saved.provider, "app registration saved");
    let _ = app.emit(events::APPS_CHANGED, ());
    Ok(AppView::from_registration(&saved))
}

#[tauri::command]
pub async fn remove_app<R: Runtime>(
    app: tauri::AppHandle<R>,
    desktop: State<'_, Desktop>,
    name: String,
) -> CommandResult<()> {
    let n = name.clone();
    desktop.blocking(move |s| s.remove_app(&n)).await?;
    tracing::info!(app = %name, "app registration removed");
    let _ = app.emit(events::APPS_CHANGED, ());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AppInput {
        AppInput {
            name: " mine ".into(),
            provider: ProviderKind::Fitbit,
            client_id: " 23ABCD ".into(),
            app_type: AppType::Server,
            redirect: RedirectMode::Scheme,
            base_url: Some("http://127.0.0.1:8765/".into()),
            client_secret: Some("  ".into()),
        }
    }

    #[test]
    fn the_form_is_trimmed_and_checked() {
        let (app, secret) = input().validate().unwrap();
        assert_eq!(app.name, "mine");
        assert_eq!(app.client_id, "23ABCD");
        assert_eq!(app.base_url.as_deref(), Some("http://127.0.0.1:8765"));
        assert!(secret.is_none(), "a blank secret keeps the stored one");

        let bad = AppInput {
            base_url: Some("ftp://x".into()),
            ..input()
        };
        assert_eq!(bad.validate().unwrap_err().kind(), "config");
        let sandbox = AppInput {
            name: "sandbox".into(),
            ..input()
        };
        assert!(sandbox.validate().is_err());
    }

    #[test]
    fn google_is_always_loopback_and_fitbit_shows_both_redirects() {
        let (google, _) = AppInput {
            provider: ProviderKind::GoogleHealth,
            redirect: RedirectMode::Scheme,
            ..input()
        }
        .validate()
        .unwrap();
        assert_eq!(google.redirect, RedirectMode::Loopback);
        assert_eq!(loopback_port(&google), 0);
        let (fitbit, _) = input().validate().unwrap();
        let view = AppView::from_registration(&fitbit);
        assert_eq!(view.redirect_uris[0], "fitauth://callback");
        assert!(view.redirect_uris[1].ends_with(":47813/callback"));
        assert_eq!(
            view.endpoints.unwrap().token,
            "http://127.0.0.1:8765/oauth2/token"
        );
    }
}

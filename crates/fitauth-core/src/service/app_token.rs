//! Fitbit's client-credentials grant: an app token with no user and no refresh token, for
//! endpoints that read no person's data
//! (<https://dev.fitbit.com/build/reference/web-api/authorization/client-credentials/>). Kept as
//! an account (named, shown in Inspect as an app token) so every tool works on it.

use super::Fitauth;
use crate::app::AppType;
use crate::client::OAuthClient;
use crate::error::Error;
use crate::provider::ProviderKind;
use crate::store::{AppRegistration, Connection, Saved};

/// How an app token is labelled: it belongs to no person.
pub fn app_token_label(client_id: &str) -> String {
    format!("App token of {client_id}")
}

impl Fitauth {
    /// Asks for an app token through the server app `app`, `expires_in` seconds long (Fitbit's
    /// choices; 8 hours when `None`), and keeps it as the account `name`. Refused before any
    /// request for anything but a Fitbit server app, which alone has the secret it needs.
    pub async fn app_token(
        &self,
        app: AppRegistration,
        expires_in: Option<u64>,
        name: &str,
    ) -> Result<Saved, Error> {
        if app.provider != ProviderKind::Fitbit || app.app_type != AppType::Server {
            return Err(Error::Invalid(format!(
                "the client-credentials grant is for Fitbit server apps (it authenticates with \
                 the client secret); \"{}\" is a {} {} app",
                app.name, app.provider, app.app_type
            )));
        }
        // The name must be valid and free, or this registration's app token (renewed): checked
        // before Fitbit issues a token that could not be kept.
        let name = crate::store::account_name(name)?;
        let taken = {
            let name = name.clone();
            self.blocking(move |s| Ok(s.load()?.accounts.into_iter().find(|a| a.name == name)))
                .await?
        };
        if let Some(existing) = taken.filter(|a| !(a.app == app.name && a.is_app_token())) {
            return Err(Error::AccountTaken {
                account: existing.name.clone(),
                owner: existing.label(),
                newcomer: app_token_label(&app.client_id),
            });
        }
        let config = {
            let app = app.clone();
            self.blocking(move |s| s.client_config(&app)).await?
        };
        let client = OAuthClient::new(config, self.http().clone());
        let tokens = self
            .http()
            .within(client.client_credentials(expires_in))
            .await?;
        let label = app_token_label(&app.client_id);
        let saved = self
            .blocking(move |s| {
                s.save_connection(Connection {
                    app: &app,
                    tokens: &tokens,
                    requested: &[],
                    user_id: None,
                    subject: None,
                    display_name: Some(&label),
                    email: None,
                    name: Some(&name),
                })
            })
            .await?;
        tracing::info!(account = %saved.account.name, "app token saved (client credentials)");
        Ok(saved)
    }
}

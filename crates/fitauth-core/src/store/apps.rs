//! App registrations in the store; their client secrets in the keyring.

use super::{AppRegistration, SecretKey, Store};
use crate::app::ClientConfig;
use crate::error::Error;
use crate::secret::ClientSecret;

impl Store {
    /// Adds or replaces an app registration; the secret (if given) goes to the keyring first.
    /// Without a new secret, a stored one is kept only while the client and its endpoints stay
    /// the same; otherwise it is deleted.
    pub fn save_app(
        &self,
        mut app: AppRegistration,
        secret: Option<&ClientSecret>,
    ) -> Result<AppRegistration, Error> {
        self.update(|meta, store| {
            if let Some(secret) = secret {
                store.set_secret(
                    meta,
                    SecretKey::ClientSecret { app: &app.name },
                    secret.secret(),
                )?;
                app.has_client_secret = true;
            } else if let Ok(existing) = meta.app(&app.name) {
                app.has_client_secret = app.keeps_secret_of(existing);
                if existing.has_client_secret && !app.has_client_secret {
                    store.delete_secret(meta, SecretKey::ClientSecret { app: &app.name })?;
                }
            }
            meta.apps.retain(|a| a.name != app.name);
            meta.apps.push(app.clone());
            Ok(app)
        })
    }

    /// Removes an app registration and its secret. Refused while accounts use it.
    pub fn remove_app(&self, name: &str) -> Result<(), Error> {
        self.update(|meta, store| {
            meta.app(name)?;
            let users: Vec<_> = meta
                .accounts
                .iter()
                .filter(|a| a.app == name)
                .map(|a| a.name.clone())
                .collect();
            if !users.is_empty() {
                return Err(Error::Invalid(format!(
                    "the app registration \"{name}\" is used by {}; revoke or forget those \
                     accounts first",
                    users.join(", ")
                )));
            }
            store.delete_secret(meta, SecretKey::ClientSecret { app: name })?;
            meta.apps.retain(|a| a.name != name);
            Ok(())
        })
    }

    /// The client configuration of an app, secret read from the keyring.
    pub fn client_config(&self, app: &AppRegistration) -> Result<ClientConfig, Error> {
        let secret = if app.has_client_secret {
            let meta = self.load()?;
            let value = self
                .get_secret(&meta, SecretKey::ClientSecret { app: &app.name })?
                .ok_or_else(|| Error::SecretMissing {
                    what: format!("client secret of \"{}\"", app.name),
                })?;
            Some(ClientSecret::new(value))
        } else {
            None
        };
        Ok(
            ClientConfig::new(app.provider()?, app.client_id.clone(), app.app_type)
                .with_secret(secret),
        )
    }
}

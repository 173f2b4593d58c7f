//! Where accounts and app registrations live.
//!
//! Non-secret metadata (registrations, accounts, pending sign-ins) is one JSON file,
//! `fitauth.json`, in the data directory (`FITAUTH_HOME`, else the platform's data directory),
//! with a schema version, written atomically under an exclusive lock so the desktop app and the
//! `fitauth` command never clobber each other ([`file`]). Secrets (access and refresh tokens,
//! client secrets, PKCE verifiers) go to the OS keyring through [`SecretStore`], one entry each
//! under a typed [`SecretKey`], always written *before* the metadata that refers to them.
//!
//! | module | what |
//! |---|---|
//! | [`model`] | the file's types: registrations, accounts, pending sign-ins, outcomes |
//! | [`file`] | reading, migrating and atomically writing the file; lock files |
//! | [`keys`] | keyring entry names |
//! | `apps` | registrations and their client secrets |
//! | `accounts` | accounts: whose they are, their tokens, names and states |
//! | `pending` | sign-ins started and not finished, taken by exactly one process |
//!
//! The store's calls block (file locks, D-Bus to the keyring); async callers go through
//! [`crate::service`], which moves them off the runtime.

mod accounts;
mod apps;
pub mod file;
pub mod keys;
pub mod model;
mod pending;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Error;
use crate::keyring::{OsKeyring, SecretStore};

pub use accounts::{account_name, is_gone, place, slug, Connection, Placement, Refreshed, Saved};
pub use file::default_home;
pub use keys::SecretKey;
pub use model::{
    Account, AccountState, AppRegistration, Metadata, OutcomeStatus, PendingRecord, RedirectMode,
    SignInOutcome, SignInStatus, SCHEMA_VERSION,
};

/// The store: metadata file plus keyring.
#[derive(Debug, Clone)]
pub struct Store {
    home: PathBuf,
    secrets: Arc<dyn SecretStore>,
}

impl Store {
    /// The default store: [`default_home`] and the OS keyring.
    pub fn open_default() -> Result<Self, Error> {
        Self::open(default_home()?, Arc::new(OsKeyring::open()?))
    }

    pub fn open(home: PathBuf, secrets: Arc<dyn SecretStore>) -> Result<Self, Error> {
        file::tighten(&home).map_err(|e| file::io("could not set up", &home, e))?;
        Ok(Store { home, secrets })
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    pub fn metadata_path(&self) -> PathBuf {
        self.home.join(file::METADATA_FILE)
    }

    /// Where the secrets are, for people.
    pub fn secrets_location(&self) -> String {
        self.secrets.location()
    }

    /// Proves the keyring takes writes (a probe entry written and deleted), so a locked or missing
    /// keyring is reported before a sign-in starts rather than after it.
    pub fn check_secrets_writable(&self) -> Result<(), Error> {
        let meta = self.load()?;
        let key = SecretKey::Probe {
            process: std::process::id(),
        };
        self.set_secret(&meta, key, "probe")?;
        self.delete_secret(&meta, key)
    }

    /// An exclusive lock file under `locks/`, held until the returned file is dropped. Blocks.
    pub fn lock(&self, name: &str) -> Result<File, Error> {
        file::lock(&self.home, name)
    }

    /// Reads the metadata (an empty store when the file does not exist yet).
    pub fn load(&self) -> Result<Metadata, Error> {
        file::read(&self.metadata_path())
    }

    /// Read-modify-write under the metadata lock, written atomically. `f` may also write
    /// secrets: it runs before the metadata is saved, and an error leaves the file untouched.
    pub fn update<R>(
        &self,
        f: impl FnOnce(&mut Metadata, &Self) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let _lock = self.lock("metadata")?;
        let mut meta = self.load()?;
        let result = f(&mut meta, self)?;
        file::write(&self.home, &meta)?;
        Ok(result)
    }

    fn get_secret(&self, meta: &Metadata, key: SecretKey<'_>) -> Result<Option<String>, Error> {
        self.secrets.get(&key.entry(&meta.store_id))
    }

    fn set_secret(&self, meta: &Metadata, key: SecretKey<'_>, value: &str) -> Result<(), Error> {
        self.secrets.set(&key.entry(&meta.store_id), value)
    }

    fn delete_secret(&self, meta: &Metadata, key: SecretKey<'_>) -> Result<(), Error> {
        self.secrets.delete(&key.entry(&meta.store_id))
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
pub(crate) mod test_support {
    use std::path::PathBuf;

    use super::*;
    use crate::app::AppType;
    use crate::provider::ProviderKind;
    use crate::secret::{AccessToken, RefreshToken};
    use crate::token::TokenSet;

    pub fn temp_home() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fitauth-store-{}", model::random_hex(6)));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    pub fn app() -> AppRegistration {
        AppRegistration {
            name: "demo".into(),
            provider: ProviderKind::Fitbit,
            client_id: "sandbox-client".into(),
            app_type: AppType::Client,
            redirect: RedirectMode::Loopback,
            base_url: Some("http://127.0.0.1:1".into()),
            endpoints: None,
            has_client_secret: false,
            testing: false,
        }
    }

    pub fn tokens(access: &str, refresh: Option<&str>, expires_at: i64, user: &str) -> TokenSet {
        TokenSet {
            access_token: AccessToken::new(access),
            refresh_token: refresh.map(RefreshToken::new),
            id_token: None,
            token_type: "Bearer".into(),
            issued_at: 0,
            expires_at: Some(expires_at),
            scopes: Some(vec!["sleep".into()]),
            user_id: Some(user.into()),
            refresh_token_expires_at: None,
        }
    }
}

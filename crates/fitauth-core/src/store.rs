//! Where accounts and app registrations live.
//!
//! Non-secret metadata (apps, accounts, scopes, expiry, state) is one JSON file,
//! `fitauth.json`, in the data directory (`FITAUTH_HOME`, else the platform's data directory),
//! with a schema version, written atomically (temp file, fsync, rename) under an exclusive lock
//! so the desktop app and the `fitauth` command never clobber each other. Secrets (access and
//! refresh tokens, client secrets) go to the OS keyring through [`SecretStore`], one entry each,
//! always written *before* the metadata that refers to them.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::app::{AppType, ClientConfig};
use crate::authorize::PendingAuthorization;
use crate::clock::now_unix;
use crate::error::Error;
use crate::identity::Identity;
use crate::keyring::{OsKeyring, SecretStore};
use crate::provider::{Endpoints, Provider, ProviderKind};
use crate::secret::{AccessToken, ClientSecret, RefreshToken};
use crate::token::TokenSet;

pub const SCHEMA_VERSION: u32 = 1;
const METADATA_FILE: &str = "fitauth.json";
const LOCK_DIR: &str = "locks";

/// How the redirect comes back to this app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RedirectMode {
    /// `http://127.0.0.1:<port>/callback` (Google requires it).
    #[default]
    Loopback,
    /// `fitauth://callback`, delivered by the OS to the desktop app.
    Scheme,
}

impl std::str::FromStr for RedirectMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "loopback" => Ok(RedirectMode::Loopback),
            "scheme" => Ok(RedirectMode::Scheme),
            other => Err(Error::Config(format!(
                "unknown redirect \"{other}\": use loopback or scheme"
            ))),
        }
    }
}

/// An app registration with a provider. Its client secret, if any, is in the keyring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRegistration {
    pub name: String,
    pub provider: ProviderKind,
    pub client_id: String,
    pub app_type: AppType,
    pub redirect: RedirectMode,
    /// Moves every endpoint of the provider to this base URL (sandbox, proxy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Fully custom endpoints; wins over `base_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    pub has_client_secret: bool,
}

impl AppRegistration {
    /// The provider with this registration's overrides, else the `FITAUTH_*_BASE_URL` ones.
    pub fn provider(&self) -> Result<Provider, Error> {
        if let Some(endpoints) = &self.endpoints {
            return Ok(Provider {
                kind: self.provider,
                endpoints: endpoints.clone(),
            });
        }
        match &self.base_url {
            Some(base) => Provider::with_base(self.provider, Some(base)),
            None => Provider::from_env(self.provider),
        }
    }
}

/// What the app knows about an account's sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    Active,
    /// Derived: active, but the access token's time is up (a refresh will fix it).
    Expired,
    ReconnectNeeded,
    Revoked,
}

impl AccountState {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::Active => "active",
            AccountState::Expired => "expired",
            AccountState::ReconnectNeeded => "reconnect_needed",
            AccountState::Revoked => "revoked",
        }
    }
}

/// A connected account. Tokens are in the keyring; this is everything else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    /// The [`AppRegistration`] it was connected through.
    pub app: String,
    pub provider: ProviderKind,
    pub user_id: Option<String>,
    pub display_name: Option<String>,
    pub scopes_requested: Vec<String>,
    pub scopes_granted: Vec<String>,
    pub token_type: String,
    pub issued_at: i64,
    pub expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_at: Option<i64>,
    pub has_refresh_token: bool,
    /// As stored: `active`, `reconnect_needed` or `revoked` (never `expired`, which is derived).
    pub state: AccountState,
    pub updated_at: i64,
    /// Bumped on every token write, so a reader can tell that the tokens changed under it.
    pub generation: u64,
}

impl Account {
    /// The state as people should see it now: an active account whose token ran out is "expired".
    pub fn effective_state(&self, now: i64) -> AccountState {
        match (self.state, self.expires_at) {
            (AccountState::Active, Some(exp)) if exp <= now => AccountState::Expired,
            (state, _) => state,
        }
    }

    /// Scopes asked for but not granted.
    pub fn scopes_denied(&self) -> Vec<String> {
        self.scopes_requested
            .iter()
            .filter(|s| !self.scopes_granted.contains(s))
            .cloned()
            .collect()
    }
}

/// The whole metadata file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Metadata {
    pub schema_version: u32,
    /// Random id that namespaces this store's keyring entries, so two data directories never
    /// share secrets.
    pub store_id: String,
    #[serde(default)]
    pub apps: Vec<AppRegistration>,
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// Sign-ins started and not finished (their PKCE verifiers are in the keyring).
    #[serde(default)]
    pub pending: Vec<PendingRecord>,
}

/// A started sign-in as stored: everything but the verifier, plus what to do when it completes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingRecord {
    /// The authorization, its verifier removed (it is in the keyring under the state).
    pub authorization: PendingAuthorization,
    pub app: String,
    pub account: String,
}

impl Metadata {
    fn new() -> Self {
        let mut id = [0u8; 8];
        rand::fill(&mut id[..]);
        Metadata {
            schema_version: SCHEMA_VERSION,
            store_id: id.iter().map(|b| format!("{b:02x}")).collect(),
            apps: vec![],
            accounts: vec![],
            pending: vec![],
        }
    }

    pub fn account(&self, name: &str) -> Result<&Account, Error> {
        self.accounts
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| Error::UnknownAccount { name: name.into() })
    }

    fn account_mut(&mut self, name: &str) -> Result<&mut Account, Error> {
        self.accounts
            .iter_mut()
            .find(|a| a.name == name)
            .ok_or_else(|| Error::UnknownAccount { name: name.into() })
    }

    pub fn app(&self, name: &str) -> Result<&AppRegistration, Error> {
        self.apps
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| Error::UnknownApp { name: name.into() })
    }
}

/// Which secret of which owner.
#[derive(Debug, Clone, Copy)]
pub enum SecretKind {
    AccessToken,
    RefreshToken,
    ClientSecret,
    PkceVerifier,
}

/// The store: metadata file plus keyring.
#[derive(Debug, Clone)]
pub struct Store {
    home: PathBuf,
    secrets: Arc<dyn SecretStore>,
}

/// `FITAUTH_HOME`, else `<platform data dir>/fitauth`.
pub fn default_home() -> Result<PathBuf, Error> {
    if let Some(home) = std::env::var_os("FITAUTH_HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    dirs::data_dir()
        .map(|d| d.join("fitauth"))
        .ok_or_else(|| Error::Storage {
            reason: "no data directory could be found; set FITAUTH_HOME".into(),
        })
}

fn io(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Storage {
        reason: format!("{what} {} ({e})", path.display()),
    }
}

impl Store {
    /// The default store: [`default_home`] and the OS keyring.
    pub fn open_default() -> Result<Self, Error> {
        Self::open(default_home()?, Arc::new(OsKeyring::open()?))
    }

    pub fn open(home: PathBuf, secrets: Arc<dyn SecretStore>) -> Result<Self, Error> {
        fs::create_dir_all(home.join(LOCK_DIR)).map_err(|e| io("could not create", &home, e))?;
        Ok(Store { home, secrets })
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    pub fn metadata_path(&self) -> PathBuf {
        self.home.join(METADATA_FILE)
    }

    /// Where the secrets are, for people.
    pub fn secrets_location(&self) -> String {
        self.secrets.location()
    }

    /// Proves the keyring takes writes (a probe entry written and deleted), so a locked or missing
    /// keyring is reported before a sign-in starts rather than after it.
    pub fn check_secrets_writable(&self) -> Result<(), Error> {
        let key = format!("{}/probe/{}", self.load()?.store_id, std::process::id());
        self.secrets.set(&key, "probe")?;
        self.secrets.delete(&key)
    }

    /// An exclusive lock file under `locks/`, held until the returned file is dropped. Blocks.
    pub fn lock(&self, name: &str) -> Result<File, Error> {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = self.home.join(LOCK_DIR).join(format!("{safe}.lock"));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io("could not open", &path, e))?;
        file.lock().map_err(|e| io("could not lock", &path, e))?;
        Ok(file)
    }

    /// Reads the metadata (an empty store when the file does not exist yet).
    pub fn load(&self) -> Result<Metadata, Error> {
        let path = self.metadata_path();
        match fs::read(&path) {
            Ok(bytes) => {
                let meta: Metadata =
                    serde_json::from_slice(&bytes).map_err(|e| Error::Storage {
                        reason: format!(
                            "{} is damaged ({e}); move it away to start afresh",
                            path.display()
                        ),
                    })?;
                if meta.schema_version > SCHEMA_VERSION {
                    return Err(Error::Storage {
                        reason: format!(
                            "{} was written by a newer Fitauth (schema {}); update Fitauth",
                            path.display(),
                            meta.schema_version
                        ),
                    });
                }
                Ok(meta)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Metadata::new()),
            Err(e) => Err(io("could not read", &path, e)),
        }
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
        self.write_atomically(&meta)?;
        Ok(result)
    }

    fn write_atomically(&self, meta: &Metadata) -> Result<(), Error> {
        let path = self.metadata_path();
        let tmp = self
            .home
            .join(format!(".{METADATA_FILE}.{}.tmp", std::process::id()));
        let json = serde_json::to_vec_pretty(meta).map_err(|e| Error::Storage {
            reason: e.to_string(),
        })?;
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&tmp)?;
            file.write_all(&json)?;
            file.write_all(b"\n")?;
            file.sync_all()?;
            fs::rename(&tmp, &path)?;
            // Make the rename itself durable.
            #[cfg(unix)]
            File::open(&self.home)?.sync_all()?;
            Ok(())
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io("could not write", &path, e)
        })
    }

    fn key(meta: &Metadata, owner: &str, name: &str, kind: SecretKind) -> String {
        let what = match kind {
            SecretKind::AccessToken => "access_token",
            SecretKind::RefreshToken => "refresh_token",
            SecretKind::ClientSecret => "client_secret",
            SecretKind::PkceVerifier => "pkce_verifier",
        };
        format!("{}/{owner}/{name}/{what}", meta.store_id)
    }

    fn get_secret(
        &self,
        meta: &Metadata,
        owner: &str,
        name: &str,
        kind: SecretKind,
    ) -> Result<Option<String>, Error> {
        self.secrets.get(&Self::key(meta, owner, name, kind))
    }

    fn set_secret(
        &self,
        meta: &Metadata,
        owner: &str,
        name: &str,
        kind: SecretKind,
        value: &str,
    ) -> Result<(), Error> {
        self.secrets.set(&Self::key(meta, owner, name, kind), value)
    }

    fn delete_secret(
        &self,
        meta: &Metadata,
        owner: &str,
        name: &str,
        kind: SecretKind,
    ) -> Result<(), Error> {
        self.secrets.delete(&Self::key(meta, owner, name, kind))
    }

    // --- apps ----------------------------------------------------------------------------------

    /// Adds or replaces an app registration; the secret (if given) goes to the keyring first.
    pub fn save_app(
        &self,
        mut app: AppRegistration,
        secret: Option<&ClientSecret>,
    ) -> Result<AppRegistration, Error> {
        self.update(|meta, store| {
            if let Some(secret) = secret {
                store.set_secret(
                    meta,
                    "app",
                    &app.name,
                    SecretKind::ClientSecret,
                    secret.secret(),
                )?;
                app.has_client_secret = true;
            } else if let Ok(existing) = meta.app(&app.name) {
                app.has_client_secret = existing.has_client_secret;
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
                return Err(Error::Config(format!(
                    "the app \"{name}\" is used by {}; revoke those accounts first",
                    users.join(", ")
                )));
            }
            store.delete_secret(meta, "app", name, SecretKind::ClientSecret)?;
            meta.apps.retain(|a| a.name != name);
            Ok(())
        })
    }

    /// The client configuration of an app, secret read from the keyring.
    pub fn client_config(&self, app: &AppRegistration) -> Result<ClientConfig, Error> {
        let secret = if app.has_client_secret {
            let meta = self.load()?;
            let value = self
                .get_secret(&meta, "app", &app.name, SecretKind::ClientSecret)?
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

    // --- accounts ------------------------------------------------------------------------------

    /// The account to act on: `name`, or the only one there is.
    pub fn resolve_account(&self, name: Option<&str>) -> Result<Account, Error> {
        let meta = self.load()?;
        match name {
            Some(name) => meta.account(name).cloned(),
            None => match meta.accounts.as_slice() {
                [] => Err(Error::NoAccounts),
                [only] => Ok(only.clone()),
                many => Err(Error::AmbiguousAccount {
                    names: many
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                }),
            },
        }
    }

    /// Saves a new connection (login): tokens to the keyring, then the account.
    pub fn save_connection(
        &self,
        name: &str,
        app: &AppRegistration,
        tokens: &TokenSet,
        requested: &[String],
        identity: Option<&Identity>,
    ) -> Result<Account, Error> {
        self.update(|meta, store| {
            store.write_tokens(meta, name, tokens)?;
            let generation = meta.account(name).map(|a| a.generation + 1).unwrap_or(1);
            let account = Account {
                name: name.into(),
                app: app.name.clone(),
                provider: app.provider,
                user_id: identity
                    .map(|i| i.user_id.clone())
                    .or_else(|| tokens.user_id.clone()),
                display_name: identity.map(|i| i.label().to_owned()),
                scopes_requested: requested.to_vec(),
                scopes_granted: tokens.scopes.clone().unwrap_or_else(|| requested.to_vec()),
                token_type: tokens.token_type.clone(),
                issued_at: tokens.issued_at,
                expires_at: tokens.expires_at,
                refresh_token_expires_at: tokens.refresh_token_expires_at,
                has_refresh_token: tokens.refresh_token.is_some(),
                state: AccountState::Active,
                updated_at: now_unix(),
                generation,
            };
            meta.accounts.retain(|a| a.name != name);
            meta.accounts.push(account.clone());
            Ok(account)
        })
    }

    /// Saves refreshed tokens: keyring first, then metadata.
    pub fn save_refreshed(&self, name: &str, tokens: &TokenSet) -> Result<Account, Error> {
        self.update(|meta, store| {
            meta.account(name)?;
            store.write_tokens(meta, name, tokens)?;
            let account = meta.account_mut(name)?;
            if let Some(scopes) = &tokens.scopes {
                account.scopes_granted = scopes.clone();
            }
            account.token_type = tokens.token_type.clone();
            account.issued_at = tokens.issued_at;
            account.expires_at = tokens.expires_at;
            account.refresh_token_expires_at = tokens
                .refresh_token_expires_at
                .or(account.refresh_token_expires_at);
            account.has_refresh_token = account.has_refresh_token || tokens.refresh_token.is_some();
            account.state = AccountState::Active;
            account.updated_at = now_unix();
            account.generation += 1;
            Ok(account.clone())
        })
    }

    fn write_tokens(&self, meta: &Metadata, name: &str, tokens: &TokenSet) -> Result<(), Error> {
        // Refresh token first: it is the one that cannot be recovered.
        if let Some(refresh) = &tokens.refresh_token {
            self.set_secret(
                meta,
                "account",
                name,
                SecretKind::RefreshToken,
                refresh.secret(),
            )?;
        }
        self.set_secret(
            meta,
            "account",
            name,
            SecretKind::AccessToken,
            tokens.access_token.secret(),
        )
    }

    pub fn access_token(&self, account: &Account) -> Result<AccessToken, Error> {
        let meta = self.load()?;
        self.get_secret(&meta, "account", &account.name, SecretKind::AccessToken)?
            .map(AccessToken::new)
            .ok_or_else(|| Error::SecretMissing {
                what: "access token".into(),
            })
    }

    pub fn refresh_token(&self, account: &Account) -> Result<Option<RefreshToken>, Error> {
        let meta = self.load()?;
        Ok(self
            .get_secret(&meta, "account", &account.name, SecretKind::RefreshToken)?
            .map(RefreshToken::new))
    }

    /// Records a new state (e.g. `reconnect_needed`), touching no secret.
    pub fn set_state(&self, name: &str, state: AccountState) -> Result<Account, Error> {
        self.update(|meta, _| {
            let account = meta.account_mut(name)?;
            account.state = state;
            account.updated_at = now_unix();
            Ok(account.clone())
        })
    }

    /// After revocation: secrets deleted from the keyring, the account kept as `revoked`.
    pub fn forget_tokens(&self, name: &str) -> Result<Account, Error> {
        self.update(|meta, store| {
            meta.account(name)?;
            store.delete_secret(meta, "account", name, SecretKind::RefreshToken)?;
            store.delete_secret(meta, "account", name, SecretKind::AccessToken)?;
            let account = meta.account_mut(name)?;
            account.state = AccountState::Revoked;
            account.has_refresh_token = false;
            account.updated_at = now_unix();
            account.generation += 1;
            Ok(account.clone())
        })
    }

    // --- pending sign-ins ------------------------------------------------------------------------

    /// Keeps a started sign-in so another process, or this one after a restart, can finish it.
    /// Expired ones are dropped on the way.
    pub fn save_pending(
        &self,
        pending: &PendingAuthorization,
        app: &str,
        account: &str,
    ) -> Result<(), Error> {
        self.update(|meta, store| {
            store.prune_pending(meta)?;
            let state = pending.state.as_str().to_owned();
            if let Some(verifier) = &pending.verifier {
                store.set_secret(
                    meta,
                    "pending",
                    &state,
                    SecretKind::PkceVerifier,
                    verifier.secret(),
                )?;
            }
            let mut authorization = pending.clone();
            authorization.verifier = None;
            meta.pending
                .retain(|p| p.authorization.state.as_str() != state);
            meta.pending.push(PendingRecord {
                authorization,
                app: app.into(),
                account: account.into(),
            });
            Ok(())
        })
    }

    /// The unexpired pending sign-in with this `state`, verifier restored from the keyring.
    /// Compares states in constant time.
    pub fn find_pending(&self, state: &str) -> Result<Option<PendingRecord>, Error> {
        let meta = self.load()?;
        let now = now_unix();
        let Some(mut record) = meta
            .pending
            .iter()
            .find(|p| p.authorization.state.matches(state) && !p.authorization.is_expired_at(now))
            .cloned()
        else {
            return Ok(None);
        };
        if let Some(v) = self.get_secret(&meta, "pending", state, SecretKind::PkceVerifier)? {
            record.authorization.verifier = Some(crate::secret::PkceVerifier::new(v));
        }
        Ok(Some(record))
    }

    /// All unexpired pending sign-ins (without verifiers), newest last.
    pub fn list_pending(&self) -> Result<Vec<PendingRecord>, Error> {
        let now = now_unix();
        Ok(self
            .load()?
            .pending
            .into_iter()
            .filter(|p| !p.authorization.is_expired_at(now))
            .collect())
    }

    /// Forgets a pending sign-in (finished, cancelled or refused) and its verifier.
    pub fn remove_pending(&self, state: &str) -> Result<(), Error> {
        self.update(|meta, store| {
            store.delete_secret(meta, "pending", state, SecretKind::PkceVerifier)?;
            meta.pending
                .retain(|p| p.authorization.state.as_str() != state);
            store.prune_pending(meta)
        })
    }

    fn prune_pending(&self, meta: &mut Metadata) -> Result<(), Error> {
        let now = now_unix();
        let expired: Vec<String> = meta
            .pending
            .iter()
            .filter(|p| p.authorization.is_expired_at(now))
            .map(|p| p.authorization.state.as_str().to_owned())
            .collect();
        for state in &expired {
            self.delete_secret(meta, "pending", state, SecretKind::PkceVerifier)?;
        }
        meta.pending.retain(|p| !p.authorization.is_expired_at(now));
        Ok(())
    }

    /// Removes an account and its secrets entirely.
    pub fn remove_account(&self, name: &str) -> Result<(), Error> {
        self.update(|meta, store| {
            meta.account(name)?;
            store.delete_secret(meta, "account", name, SecretKind::RefreshToken)?;
            store.delete_secret(meta, "account", name, SecretKind::AccessToken)?;
            meta.accounts.retain(|a| a.name != name);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::MemorySecrets;
    use std::sync::atomic::Ordering;

    fn temp_home() -> PathBuf {
        let mut id = [0u8; 6];
        rand::fill(&mut id[..]);
        let dir = std::env::temp_dir().join(format!(
            "fitauth-store-{}",
            id.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn app() -> AppRegistration {
        AppRegistration {
            name: "demo".into(),
            provider: ProviderKind::Fitbit,
            client_id: "sandbox-client".into(),
            app_type: AppType::Client,
            redirect: RedirectMode::Loopback,
            base_url: Some("http://127.0.0.1:1".into()),
            endpoints: None,
            has_client_secret: false,
        }
    }

    fn tokens(access: &str, refresh: &str, expires_at: i64) -> TokenSet {
        TokenSet {
            access_token: AccessToken::new(access),
            refresh_token: Some(RefreshToken::new(refresh)),
            id_token: None,
            token_type: "Bearer".into(),
            issued_at: 0,
            expires_at: Some(expires_at),
            scopes: Some(vec!["sleep".into()]),
            user_id: Some("U1".into()),
            refresh_token_expires_at: None,
        }
    }

    #[test]
    fn connection_round_trip_keeps_secrets_out_of_the_file() {
        let secrets = Arc::new(MemorySecrets::default());
        let store = Store::open(temp_home(), secrets.clone()).unwrap();
        store.save_app(app(), None).unwrap();
        let account = store
            .save_connection(
                "me",
                &app(),
                &tokens("access-secret-1", "refresh-secret-1", 100),
                &["sleep".into(), "weight".into()],
                None,
            )
            .unwrap();
        assert_eq!(account.scopes_denied(), ["weight"]);
        assert_eq!(account.effective_state(99), AccountState::Active);
        assert_eq!(account.effective_state(100), AccountState::Expired);
        let file = fs::read_to_string(store.metadata_path()).unwrap();
        assert!(!file.contains("access-secret-1") && !file.contains("refresh-secret-1"));
        assert!(file.contains("\"schema_version\": 1"));
        assert_eq!(
            store.access_token(&account).unwrap().secret(),
            "access-secret-1"
        );

        let refreshed = store
            .save_refreshed("me", &tokens("access-2", "refresh-2", 200))
            .unwrap();
        assert_eq!(refreshed.generation, account.generation + 1);
        assert_eq!(
            store.refresh_token(&refreshed).unwrap().unwrap().secret(),
            "refresh-2"
        );
    }

    #[test]
    fn a_locked_keyring_writes_nothing() {
        let secrets = Arc::new(MemorySecrets::default());
        let store = Store::open(temp_home(), secrets.clone()).unwrap();
        store
            .save_connection("me", &app(), &tokens("a1", "r1", 100), &[], None)
            .unwrap();
        let before = fs::read_to_string(store.metadata_path()).unwrap();
        secrets.locked.store(true, Ordering::SeqCst);
        let err = store
            .save_refreshed("me", &tokens("a2", "r2", 200))
            .unwrap_err();
        assert_eq!(err.kind(), "keyring_locked");
        assert_eq!(fs::read_to_string(store.metadata_path()).unwrap(), before);
        secrets.locked.store(false, Ordering::SeqCst);
        let account = store.resolve_account(None).unwrap();
        assert_eq!(
            store.refresh_token(&account).unwrap().unwrap().secret(),
            "r1"
        );
    }

    #[test]
    fn two_homes_never_share_secrets() {
        let secrets = Arc::new(MemorySecrets::default());
        let a = Store::open(temp_home(), secrets.clone()).unwrap();
        let b = Store::open(temp_home(), secrets.clone()).unwrap();
        a.save_connection("me", &app(), &tokens("a-access", "a-refresh", 1), &[], None)
            .unwrap();
        b.save_connection("me", &app(), &tokens("b-access", "b-refresh", 1), &[], None)
            .unwrap();
        let acc = a.resolve_account(Some("me")).unwrap();
        assert_eq!(a.access_token(&acc).unwrap().secret(), "a-access");
    }

    #[test]
    fn account_resolution_explains_itself() {
        let store = Store::open(temp_home(), Arc::new(MemorySecrets::default())).unwrap();
        assert_eq!(
            store.resolve_account(None).unwrap_err().kind(),
            "unknown_account"
        );
        store
            .save_connection("one", &app(), &tokens("a", "r", 1), &[], None)
            .unwrap();
        store
            .save_connection("two", &app(), &tokens("a", "r", 1), &[], None)
            .unwrap();
        assert!(store
            .resolve_account(None)
            .unwrap_err()
            .to_string()
            .contains("one, two"));
        assert_eq!(
            store.resolve_account(Some("three")).unwrap_err().kind(),
            "unknown_account"
        );
    }

    #[test]
    fn pending_sign_ins_survive_a_restart_with_the_verifier_in_the_keyring() {
        let secrets = Arc::new(MemorySecrets::default());
        let home = temp_home();
        let store = Store::open(home.clone(), secrets.clone()).unwrap();
        let cfg = ClientConfig::new(Provider::fitbit(), "sandbox-client", AppType::Client);
        let pending = PendingAuthorization::start(
            &cfg,
            crate::authorize::AuthorizeOptions::code(vec!["sleep".into()], "fitauth://callback"),
        )
        .unwrap();
        store.save_pending(&pending, "demo", "me").unwrap();
        let file = fs::read_to_string(store.metadata_path()).unwrap();
        assert!(
            !file.contains(pending.verifier.as_ref().unwrap().secret()),
            "verifier kept out of the file"
        );

        let reopened = Store::open(home, secrets).unwrap();
        let found = reopened
            .find_pending(pending.state.as_str())
            .unwrap()
            .unwrap();
        assert_eq!(found.authorization.verifier, pending.verifier);
        assert_eq!(found.account, "me");
        assert!(reopened.find_pending("other-state").unwrap().is_none());
        reopened.remove_pending(pending.state.as_str()).unwrap();
        assert!(reopened
            .find_pending(pending.state.as_str())
            .unwrap()
            .is_none());
        assert!(reopened.list_pending().unwrap().is_empty());
    }

    #[test]
    fn a_damaged_or_newer_file_is_reported_not_overwritten() {
        let store = Store::open(temp_home(), Arc::new(MemorySecrets::default())).unwrap();
        fs::write(store.metadata_path(), "{not json").unwrap();
        assert_eq!(store.load().unwrap_err().kind(), "storage");
        assert!(store.save_app(app(), None).is_err());
        assert_eq!(
            fs::read_to_string(store.metadata_path()).unwrap(),
            "{not json"
        );
        fs::write(
            store.metadata_path(),
            r#"{"schema_version":99,"store_id":"x"}"#,
        )
        .unwrap();
        assert!(store
            .load()
            .unwrap_err()
            .to_string()
            .contains("newer Fitauth"));
    }
}

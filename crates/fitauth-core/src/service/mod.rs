//! The use cases, once, for both faces: the desktop app's commands and the `fitauth` command
//! call this layer and nothing below it. A Tauri command is "get state, call the layer, emit"; a
//! CLI command is "parse, call the layer, print". A rule about providers, registrations or
//! accounts lives here (or in the store it drives), never in a face.
//!
//! | module | use cases |
//! |---|---|
//! | [`connect`] | begin a sign-in, finish it (loopback, link, pasted address), cancel it, its status |
//! | [`accounts`] | list, inspect, refresh, fresh token, introspect, revoke, reveal, rename, forget |
//! | [`apps`] | registrations: build and validate, save, remove, pick, redirect URIs, loopback port, the sandbox and built-in ones |
//! | [`migrate`] | the move of a legacy Fitbit account to Google Health: plan, sign in, confirm it is the same Fitbit account, replace |
//!
//! One [`Fitauth`] handle owns the store, the HTTP client (and its exchange log) and the session
//! manager; it is cheap to clone and async throughout. The store's calls block (file locks,
//! D-Bus to the keyring): this is the one place they are moved off the async runtime
//! ([`blocking`]). The shape follows GitButler's `but-api`, one API crate under both its CLI and
//! its Tauri app (<https://github.com/gitbutlerapp/gitbutler/tree/master/crates/but-api>).

pub mod accounts;
pub mod app_token;
pub mod apps;
pub mod connect;
pub mod import;
pub mod migrate;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Error;
use crate::http::{HttpClient, Timeouts};
use crate::httplog::ExchangeLog;
use crate::keyring::{OsKeyring, SecretStore, Unavailable};
use crate::session::SessionManager;
use crate::store::{Metadata, Store};

/// Runs a blocking store operation off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| Error::Internal(format!("a storage task failed ({e})")))?
}

/// How to open Fitauth's data.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The data directory; `None` is `FITAUTH_HOME`, else the platform's data directory.
    pub home: Option<PathBuf>,
    pub timeouts: Timeouts,
}

/// The application: store, HTTP client, sessions. Clone it freely.
#[derive(Debug, Clone)]
pub struct Fitauth {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    sessions: SessionManager,
    /// Why the OS keyring could not be opened, if it could not.
    keyring_problem: Option<Error>,
}

impl Fitauth {
    /// Opens the store with the OS keyring. Without a reachable keyring Fitauth still opens (to
    /// say so, and to show what it knows), but every secret operation fails with that reason:
    /// there is no mock and no plaintext fallback.
    pub fn open(options: Options) -> Result<Self, Error> {
        let home = match options.home {
            Some(home) => home,
            None => crate::store::default_home()?,
        };
        let (secrets, keyring_problem): (Arc<dyn SecretStore>, _) = match OsKeyring::open() {
            Ok(k) => (Arc::new(k), None),
            Err(e) => {
                tracing::warn!(
                    kind = e.kind(),
                    "no system keyring: secrets cannot be read or saved"
                );
                (Arc::new(Unavailable::new(&e)), Some(e))
            }
        };
        let store = Store::open(home, secrets)?;
        let http = HttpClient::new(options.timeouts)?;
        Ok(Self::with_store(store, http, keyring_problem))
    }

    /// Over a store of the caller's choosing (tests with in-memory secrets).
    pub fn with_store(store: Store, http: HttpClient, keyring_problem: Option<Error>) -> Self {
        Fitauth {
            inner: Arc::new(Inner {
                sessions: SessionManager::new(store, http),
                keyring_problem,
            }),
        }
    }

    pub(crate) fn store(&self) -> &Store {
        self.inner.sessions.store()
    }

    pub(crate) fn http(&self) -> &HttpClient {
        self.inner.sessions.http()
    }

    pub(crate) fn sessions(&self) -> &SessionManager {
        &self.inner.sessions
    }

    /// Runs `f` on the store off the async threads.
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        blocking(self.store(), f).await
    }

    /// Why the OS keyring could not be opened, if it could not.
    pub fn keyring_problem(&self) -> Option<&Error> {
        self.inner.keyring_problem.as_ref()
    }

    /// Where tokens are kept, for people.
    pub fn secrets_location(&self) -> String {
        self.store().secrets_location()
    }

    /// The data directory.
    pub fn home(&self) -> &Path {
        self.store().home()
    }

    /// The metadata file.
    pub fn metadata_path(&self) -> PathBuf {
        self.store().metadata_path()
    }

    /// Every registration, account and pending sign-in, as stored (nothing secret).
    pub async fn snapshot(&self) -> Result<Metadata, Error> {
        self.blocking(|s| s.load()).await
    }

    /// The redacted record of every HTTP exchange this process made.
    pub fn exchange_log(&self) -> &ExchangeLog {
        self.http().log()
    }
}

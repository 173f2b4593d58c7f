//! Secrets in the OS credential store: Secret Service on Linux and the BSDs, the Keychain on
//! macOS, Credential Manager on Windows, each chosen explicitly at compile time. One entry per
//! secret (Windows caps an entry at 2560 bytes). If no store is reachable, or it is locked, the
//! caller gets a clear error and nothing is written: there is no mock and no plaintext fallback.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use keyring_core::{CredentialStore, Entry};

use crate::error::Error;

/// The keyring "service" every Fitauth entry is filed under.
pub const SERVICE: &str = "fitauth";

/// Where secrets go. The real implementation is [`OsKeyring`]; [`MemorySecrets`] exists for unit
/// tests of code above the store.
pub trait SecretStore: Send + Sync + std::fmt::Debug {
    fn get(&self, key: &str) -> Result<Option<String>, Error>;
    fn set(&self, key: &str, value: &str) -> Result<(), Error>;
    /// Deleting a missing entry is not an error.
    fn delete(&self, key: &str) -> Result<(), Error>;
    /// For people: where the secrets live, e.g. "Secret Service (GNOME Keyring)".
    fn location(&self) -> String;
}

/// The platform's credential store.
pub struct OsKeyring {
    store: Arc<CredentialStore>,
    /// The store's answers are not reliably ordered across threads (keyring docs): one at a time.
    lock: Mutex<()>,
}

impl std::fmt::Debug for OsKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OsKeyring({})", self.store.vendor())
    }
}

impl OsKeyring {
    /// Connects to the platform's credential store.
    pub fn open() -> Result<Self, Error> {
        let store = platform_store().map_err(|e| {
            // The platform's own words (on Linux a D-Bus error naming the bus address) are for
            // the log; people get what they mean.
            tracing::warn!(error = %describe(&e), "the system keyring could not be opened");
            Error::KeyringUnavailable {
                reason: unreachable(&e),
            }
        })?;
        Ok(OsKeyring {
            store,
            lock: Mutex::new(()),
        })
    }

    fn entry(&self, key: &str) -> Result<Entry, Error> {
        self.store.build(SERVICE, key, None).map_err(map_error)
    }
}

#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(
    all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ),
    target_os = "macos",
    target_os = "windows"
)))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(keyring_core::Error::NotSupportedByStore(
        "this platform has no supported credential store".into(),
    ))
}

/// Why no credential store could be opened, for people. On Linux and the BSDs that is always
/// that no Secret Service answered on the session's D-Bus: none is installed or running, or
/// there is no session bus at all (a bare console, a service account).
fn unreachable(e: &keyring_core::Error) -> String {
    if cfg!(all(
        unix,
        not(any(
            target_os = "macos",
            target_os = "ios",
            target_os = "android"
        ))
    )) {
        "no Secret Service is running in this session".into()
    } else {
        describe(e)
    }
}

fn describe(e: &keyring_core::Error) -> String {
    // Platform errors can be long D-Bus traces; the first line says enough.
    e.to_string()
        .lines()
        .next()
        .unwrap_or("unknown error")
        .to_owned()
}

fn map_error(e: keyring_core::Error) -> Error {
    match e {
        keyring_core::Error::NoStorageAccess(_) => Error::KeyringLocked {
            reason: describe(&e),
        },
        other => Error::KeyringUnavailable {
            reason: describe(&other),
        },
    }
}

impl SecretStore for OsKeyring {
    fn get(&self, key: &str) -> Result<Option<String>, Error> {
        let _one_at_a_time = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        match self.entry(key)?.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    fn set(&self, key: &str, value: &str) -> Result<(), Error> {
        let _one_at_a_time = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        self.entry(key)?.set_password(value).map_err(map_error)
    }

    fn delete(&self, key: &str) -> Result<(), Error> {
        let _one_at_a_time = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_error(e)),
        }
    }

    fn location(&self) -> String {
        if cfg!(target_os = "macos") {
            "macOS Keychain".into()
        } else if cfg!(target_os = "windows") {
            "Windows Credential Manager".into()
        } else {
            // The store's vendor string names the Rust crate, which means nothing to people.
            "Secret Service (the system keyring: GNOME Keyring or KWallet)".into()
        }
    }
}

/// Stands in for the keyring when none could be opened: refuses every operation with the
/// reason, so nothing is ever kept anywhere else.
#[derive(Debug)]
pub struct Unavailable {
    reason: String,
}

impl Unavailable {
    pub fn new(why: &Error) -> Self {
        let reason = match why {
            Error::KeyringUnavailable { reason } | Error::KeyringLocked { reason } => {
                reason.clone()
            }
            other => other.to_string(),
        };
        Unavailable { reason }
    }

    fn refuse<T>(&self) -> Result<T, Error> {
        Err(Error::KeyringUnavailable {
            reason: self.reason.clone(),
        })
    }
}

impl SecretStore for Unavailable {
    fn get(&self, _key: &str) -> Result<Option<String>, Error> {
        self.refuse()
    }
    fn set(&self, _key: &str, _value: &str) -> Result<(), Error> {
        self.refuse()
    }
    fn delete(&self, _key: &str) -> Result<(), Error> {
        self.refuse()
    }
    fn location(&self) -> String {
        "no system keyring is available".into()
    }
}

/// In-memory secrets, for unit tests of code that sits above the store. Never used by the app.
#[derive(Debug, Default)]
pub struct MemorySecrets {
    entries: Mutex<HashMap<String, String>>,
    /// When set, every call fails as a locked keyring does.
    pub locked: std::sync::atomic::AtomicBool,
}

impl MemorySecrets {
    fn check(&self) -> Result<(), Error> {
        if self.locked.load(std::sync::atomic::Ordering::SeqCst) {
            Err(Error::KeyringLocked {
                reason: "locked (test)".into(),
            })
        } else {
            Ok(())
        }
    }
}

impl SecretStore for MemorySecrets {
    fn get(&self, key: &str) -> Result<Option<String>, Error> {
        self.check()?;
        Ok(self.entries.lock().unwrap().get(key).cloned())
    }
    fn set(&self, key: &str, value: &str) -> Result<(), Error> {
        self.check()?;
        self.entries
            .lock()
            .unwrap()
            .insert(key.into(), value.into());
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), Error> {
        self.check()?;
        self.entries.lock().unwrap().remove(key);
        Ok(())
    }
    fn location(&self) -> String {
        "memory (tests only)".into()
    }
}

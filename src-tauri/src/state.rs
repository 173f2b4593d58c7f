//! What the app keeps in Tauri's managed state: the use-case layer's [`Fitauth`] handle (store,
//! HTTP client, sessions — shared with the `fitauth` command through the same data directory),
//! the sign-in this window is waiting for, and the embedded sandbox.

use std::path::PathBuf;
use std::sync::Mutex;

use fitauth_core::service::Options;
use fitauth_core::{Browser, Error, ErrorReport, Fitauth};
use tauri::async_runtime::JoinHandle;

/// How the app starts: the real app reads it from the environment, tests build their own.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The data directory (`FITAUTH_HOME`); `None` means the platform default, as the CLI.
    pub home: Option<PathBuf>,
    /// How the consent page is opened (`$BROWSER`, read by the core as the CLI reads it).
    pub browser: Browser,
    /// Whether `fitauth://callback` reaches this app (scheme registered, or a deep-link test).
    /// When false, Fitbit sign-ins fall back to the loopback listener.
    pub scheme_redirects: bool,
    /// Run the background refresh timer.
    pub background_refresh: bool,
    /// Whether Reveal and Copy ask the person natively first (always, in the app).
    pub reveal_gate: crate::confirm::RevealGate,
}

/// The sign-in this window started and is waiting for.
#[derive(Debug)]
pub struct ActiveConnect {
    pub state: String,
    pub waiting: crate::connect::Waiting,
    /// The loopback listener's task, when the redirect comes back over loopback.
    pub listener: Option<JoinHandle<()>>,
}

/// Everything the commands share.
pub struct Desktop {
    pub app: Fitauth,
    /// Why the OS keyring could not be opened at start, if it could not.
    pub keyring_error: Option<ErrorReport>,
    pub config: Config,
    pub connect: Mutex<Option<ActiveConnect>>,
    pub sandbox: tokio::sync::Mutex<Option<fitauth_sandbox::Sandbox>>,
    /// Wakes the background refresher when accounts change.
    pub refresh_wakeup: tokio::sync::Notify,
    pub log_file: Mutex<Option<PathBuf>>,
    /// The desktop's preferences and what was already notified (`settings.json`).
    pub settings: Mutex<crate::settings::Settings>,
    pub settings_path: Mutex<Option<PathBuf>>,
    /// Held while `settings.json` is written: one save at a time.
    pub settings_saving: Mutex<()>,
    /// Held through a "needs you" check, from reading the accounts to noting what was said,
    /// so two checks never say one cause twice.
    pub checking: tokio::sync::Mutex<()>,
    /// Whether Fitauth is in the system tray (else closing the window quits).
    pub tray: Mutex<bool>,
}

impl std::fmt::Debug for Desktop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desktop")
            .field("home", &self.app.home())
            .finish_non_exhaustive()
    }
}

impl Desktop {
    /// Opens Fitauth's data. Without a reachable OS keyring the app still starts (to say so), but
    /// every secret operation fails with that reason.
    pub fn open(config: Config) -> Result<Self, Error> {
        let app = Fitauth::open(Options {
            home: config.home.clone(),
            timeouts: Default::default(),
        })?;
        let keyring_error = app.keyring_problem().map(crate::error::desktop_report);
        Ok(Desktop {
            app,
            keyring_error,
            config,
            connect: Mutex::new(None),
            sandbox: tokio::sync::Mutex::new(None),
            refresh_wakeup: tokio::sync::Notify::new(),
            log_file: Mutex::new(None),
            settings: Mutex::new(Default::default()),
            settings_path: Mutex::new(None),
            settings_saving: Mutex::new(()),
            checking: tokio::sync::Mutex::new(()),
            tray: Mutex::new(false),
        })
    }
}

/// Locks a std mutex, shrugging off poisoning (the data is still consistent for our uses).
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

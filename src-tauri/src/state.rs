//! What the app keeps in Tauri's managed state: one [`SessionManager`] (which owns the
//! [`Store`]: metadata JSON + OS keyring, shared with the `fitauth` command) and its
//! [`HttpClient`], the sign-in in progress, the embedded sandbox, and the last provider verdicts.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use fitauth_core::keyring::{OsKeyring, SecretStore};
use fitauth_core::{Error, ErrorReport, HttpClient, Introspection, SessionManager, Store};
use tauri::async_runtime::JoinHandle;

/// How the app starts: the real app reads it from the environment, tests build their own.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The data directory (`FITAUTH_HOME`); `None` means the platform default, as the CLI.
    pub home: Option<PathBuf>,
    /// How the consent page is opened.
    pub browser: Browser,
    /// Whether `fitauth://callback` reaches this app (scheme registered, or a deep-link test).
    /// When false, Fitbit sign-ins fall back to the loopback listener.
    pub scheme_redirects: bool,
    /// Run the background refresh timer.
    pub background_refresh: bool,
}

/// Who shows the consent page. Never a webview.
#[derive(Debug, Clone, Default)]
pub enum Browser {
    /// The system browser, through `tauri-plugin-opener` (xdg-open / open / ShellExecute).
    #[default]
    System,
    /// A command that receives the URL (`$BROWSER`, as the `fitauth` command honours it, or a
    /// test's scripted browser). `%s` stands for the URL, else it is appended.
    Program {
        words: Vec<String>,
        env: Vec<(String, String)>,
    },
}

impl Browser {
    /// `$BROWSER` when set (its first `:`-separated entry), else the system browser.
    pub fn from_env() -> Self {
        match std::env::var("BROWSER").ok().and_then(|b| {
            b.split(':')
                .map(str::trim)
                .find(|c| !c.is_empty())
                .map(str::to_owned)
        }) {
            Some(cmd) => Browser::Program {
                words: cmd.split_whitespace().map(str::to_owned).collect(),
                env: vec![],
            },
            None => Browser::System,
        }
    }

    /// Starts the program without waiting for it; a reaper thread collects its exit status.
    pub(crate) fn spawn_program(
        words: &[String],
        env: &[(String, String)],
        url: &str,
    ) -> Result<(), Error> {
        let mut words: Vec<String> = words.to_vec();
        if words.iter().any(|w| w.contains("%s")) {
            words = words.into_iter().map(|w| w.replace("%s", url)).collect();
        } else {
            words.push(url.to_owned());
        }
        let (program, args) = words
            .split_first()
            .ok_or_else(|| Error::Config("the browser command is empty".into()))?;
        let mut child = Command::new(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Error::Config(format!("could not start the browser {program} ({e})")))?;
        std::thread::spawn(move || {
            let _ = child.wait();
        });
        Ok(())
    }
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
    pub sessions: Arc<SessionManager>,
    /// Why the OS keyring could not be opened at start, if it could not.
    pub keyring_error: Option<ErrorReport>,
    pub config: Config,
    pub connect: Mutex<Option<ActiveConnect>>,
    /// OAuth `state` values already claimed by a redirect: a link arriving twice (the
    /// single-instance forward and `get_current`, or a double click) is handled once.
    pub handled_states: Mutex<HashSet<String>>,
    pub sandbox: tokio::sync::Mutex<Option<fitauth_sandbox::Sandbox>>,
    /// The last verdict per account (Introspect button).
    pub introspections: Mutex<HashMap<String, Introspection>>,
    /// Wakes the background refresher when accounts change.
    pub refresh_wakeup: tokio::sync::Notify,
    pub log_file: Mutex<Option<PathBuf>>,
}

impl std::fmt::Debug for Desktop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desktop")
            .field("home", &self.sessions.store().home())
            .finish_non_exhaustive()
    }
}

impl Desktop {
    /// Opens the store and the shared HTTP client. Without a reachable OS keyring the app still
    /// starts (to say so), but every secret operation fails with that reason: no mock, no
    /// plaintext fallback.
    pub fn open(config: Config) -> Result<Self, Error> {
        let home = match &config.home {
            Some(home) => home.clone(),
            None => fitauth_core::store::default_home()?,
        };
        let (secrets, keyring_error): (Arc<dyn SecretStore>, _) = match OsKeyring::open() {
            Ok(k) => (Arc::new(k), None),
            Err(e) => {
                tracing::warn!(
                    kind = e.kind(),
                    "no system keyring: secrets cannot be read or saved"
                );
                (
                    Arc::new(NoKeyring(e.to_string())),
                    Some(crate::error::desktop_report(&e)),
                )
            }
        };
        let store = Store::open(home, secrets)?;
        let http = HttpClient::new(fitauth_core::Timeouts::default())?;
        Ok(Desktop {
            sessions: Arc::new(SessionManager::new(store, http)),
            keyring_error,
            config,
            connect: Mutex::new(None),
            handled_states: Mutex::new(HashSet::new()),
            sandbox: tokio::sync::Mutex::new(None),
            introspections: Mutex::new(HashMap::new()),
            refresh_wakeup: tokio::sync::Notify::new(),
            log_file: Mutex::new(None),
        })
    }

    pub fn store(&self) -> &Store {
        self.sessions.store()
    }

    pub fn http(&self) -> &HttpClient {
        self.sessions.http()
    }

    /// Runs a blocking store operation (the keyring blocks on D-Bus) off the async threads.
    pub async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let store = self.store().clone();
        tauri::async_runtime::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| Error::Storage {
                reason: format!("a storage task failed ({e})"),
            })?
    }

    /// Claims a `state` for handling; false if it was already claimed.
    pub fn claim_state(&self, state: &str) -> bool {
        lock(&self.handled_states).insert(state.to_owned())
    }
}

/// Locks a std mutex, shrugging off poisoning (the data is still consistent for our uses).
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Stands in for the keyring when none could be opened: refuses every operation with the reason.
#[derive(Debug)]
struct NoKeyring(String);

impl NoKeyring {
    fn err<T>(&self) -> Result<T, Error> {
        Err(Error::KeyringUnavailable {
            reason: self.0.clone(),
        })
    }
}

impl SecretStore for NoKeyring {
    fn get(&self, _key: &str) -> Result<Option<String>, Error> {
        self.err()
    }
    fn set(&self, _key: &str, _value: &str) -> Result<(), Error> {
        self.err()
    }
    fn delete(&self, _key: &str) -> Result<(), Error> {
        self.err()
    }
    fn location(&self) -> String {
        "no system keyring is available".into()
    }
}

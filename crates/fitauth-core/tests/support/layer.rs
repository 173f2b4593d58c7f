//! Shared by the hardening tests (`fault_matrix`, `hostile_input`): a [`Fitauth`] over a fresh
//! data directory and the real OS keyring, a sandbox that approves every sign-in for its owner,
//! what is stored (the metadata file and the keyring entries, read straight from the keyring),
//! and the report files the test runner prints.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fitauth_core::keyring::{OsKeyring, SecretStore};
use fitauth_core::service::apps::SANDBOX_APP;
use fitauth_core::service::connect::{Connected, SignIn, SignInRequest};
use fitauth_core::store::SecretKey;
use fitauth_core::{Fitauth, HttpClient, RedirectMode, Store, Timeouts};
use fitauth_sandbox::{Sandbox, SandboxConfig};

/// The scopes every sign-in here asks for (`profile`, so the profile call is made).
pub const SCOPES: [&str; 2] = ["profile", "sleep"];

/// A data directory of its own under the system's temporary directory.
pub fn temp_home(prefix: &str) -> PathBuf {
    let mut id = [0u8; 8];
    rand::fill(&mut id[..]);
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let dir = std::env::temp_dir().join(format!("fitauth-{prefix}-{hex}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A sandbox on a free loopback port that approves every sign-in for its owner (`SBX123`).
pub async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        auto_approve: true,
        ..Default::default()
    })
    .await
    .expect("sandbox starts")
}

/// One program's view of a data directory: the use-case layer, and the store under it for
/// reading what was kept.
#[derive(Clone)]
pub struct Layer {
    pub app: Fitauth,
    pub store: Store,
    pub home: PathBuf,
    keyring: Arc<OsKeyring>,
}

impl Layer {
    /// Opens `home` with the OS keyring and its own HTTP client.
    pub fn open(home: &Path, timeouts: Timeouts) -> Layer {
        let keyring = Arc::new(OsKeyring::open().expect("a Secret Service (run scripts/test)"));
        let store = Store::open(home.to_path_buf(), keyring.clone()).unwrap();
        let app = Fitauth::with_store(store.clone(), HttpClient::new(timeouts).unwrap(), None);
        Layer {
            app,
            store,
            home: home.to_path_buf(),
            keyring,
        }
    }

    /// Starts a `fitauth://` sign-in through the sandbox registration and lets the sandbox
    /// approve it; returns the sign-in and the link the browser was sent to.
    pub async fn consented_link(&self, sandbox: &Sandbox) -> (SignIn, String) {
        let (sign_in, loopback) = self.begin(sandbox, RedirectMode::Scheme).await;
        assert!(loopback.is_none());
        let location = approve(&sign_in).await;
        (sign_in, location)
    }

    /// Starts a sign-in through the sandbox registration.
    pub async fn begin(
        &self,
        sandbox: &Sandbox,
        redirect: RedirectMode,
    ) -> (SignIn, Option<fitauth_core::service::connect::LoopbackWait>) {
        let registration = self
            .app
            .use_sandbox(SANDBOX_APP, sandbox.base_url())
            .await
            .unwrap();
        let request = SignInRequest {
            redirect: Some(redirect),
            ..SignInRequest::new(registration, SCOPES.map(String::from).to_vec())
        };
        self.app.begin_sign_in(request).await.unwrap()
    }

    /// Signs the sandbox's owner in (a new account, or theirs updated).
    pub async fn connect(&self, sandbox: &Sandbox) -> Connected {
        let (_, link) = self.consented_link(sandbox).await;
        self.app
            .finish_redirect(&link)
            .await
            .unwrap_or_else(|e| panic!("sign-in: {e:?}"))
    }

    /// Signs in over the loopback listener (the browser approves and comes back to it).
    pub async fn connect_over_loopback(&self, request: SignInRequest) -> Connected {
        let (sign_in, wait) = self.app.begin_sign_in(request).await.unwrap();
        let app = self.app.clone();
        let finish = tokio::spawn(async move { app.finish_loopback(wait.unwrap()).await });
        let (status, page) = follow(&approve(&sign_in).await).await;
        assert_eq!(status, 200, "{page}");
        finish.await.unwrap().unwrap()
    }

    /// Everything stored: the metadata file's bytes and every keyring entry it refers to.
    pub async fn stored(&self) -> Stored {
        let (store, keyring) = (self.store.clone(), self.keyring.clone());
        tokio::task::spawn_blocking(move || Stored::read(&store, &keyring))
            .await
            .unwrap()
    }

    /// The account's access and refresh token, read from the keyring through the store.
    pub async fn tokens(&self, account: &str) -> (String, Option<String>) {
        let (store, name) = (self.store.clone(), account.to_owned());
        tokio::task::spawn_blocking(move || {
            let account = store.resolve_account(Some(&name)).unwrap();
            let access = store.access_token(&account).unwrap().secret().to_owned();
            let refresh = store
                .refresh_token(&account)
                .unwrap()
                .map(|r| r.secret().to_owned());
            (access, refresh)
        })
        .await
        .unwrap()
    }
}

/// A browser that shows each redirect instead of following it.
fn browser() -> reqwest::Client {
    fitauth_core::http::install_tls_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Follows the authorize URL to the sandbox, which approves at once; returns the redirect.
pub async fn approve(sign_in: &SignIn) -> String {
    let resp = browser()
        .get(sign_in.authorize_url.clone())
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_redirection(), "{}", resp.status());
    resp.headers()["location"].to_str().unwrap().to_owned()
}

/// The browser arriving at a loopback redirect: the listener's status and page.
pub async fn follow(location: &str) -> (u16, String) {
    let resp = browser().get(location).send().await.unwrap();
    (
        resp.status().as_u16(),
        resp.text().await.unwrap_or_default(),
    )
}

/// What a data directory holds: the metadata file byte for byte, and each keyring entry that
/// the file refers to (tokens of every account, client secrets, PKCE verifiers of pending
/// sign-ins), by entry name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub file: Vec<u8>,
    pub entries: Vec<(String, Option<String>)>,
}

impl Stored {
    pub fn read(store: &Store, keyring: &OsKeyring) -> Stored {
        let file = std::fs::read(store.metadata_path()).unwrap_or_default();
        let meta = store.load().unwrap();
        let mut keys = vec![];
        for a in &meta.accounts {
            keys.push(SecretKey::AccessToken { account_id: &a.id });
            keys.push(SecretKey::RefreshToken { account_id: &a.id });
        }
        for app in &meta.apps {
            keys.push(SecretKey::ClientSecret { app: &app.name });
        }
        for p in &meta.pending {
            keys.push(SecretKey::PkceVerifier {
                state: p.authorization.state.as_str(),
            });
        }
        let entries = keys
            .iter()
            .map(|k| {
                let entry = k.entry(&meta.store_id);
                let value = keyring.get(&entry).unwrap();
                (entry, value)
            })
            .collect();
        Stored { file, entries }
    }

    /// The secret values among the entries (for checking that no log shows them).
    pub fn secrets(&self) -> Vec<String> {
        self.entries.iter().filter_map(|(_, v)| v.clone()).collect()
    }
}

/// One sentence a person can read: capitalised (or opening with a host name), one line, a full
/// stop at the end, no programmer's debris.
pub fn assert_sentence(message: &str, case: &str) {
    let first = message.chars().next().unwrap_or(' ');
    assert!(
        first.is_uppercase() || first.is_ascii_digit(),
        "{case}: {message}"
    );
    assert!(message.ends_with('.'), "{case}: {message}");
    assert!(
        !message.contains('\n') && message.len() < 300,
        "{case}: {message}"
    );
    for debris in ["reqwest", "hyper", "Error", "error sending", "{", "kind:"] {
        assert!(!message.contains(debris), "{case}: {debris:?} in {message}");
    }
}

/// Writes a report where the test runner prints it, and prints it.
pub fn write_report(name: &str, markdown: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reports");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.md")), markdown).unwrap();
    println!("{markdown}");
}

/// A table cell: pipes and line breaks would break the row.
pub fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

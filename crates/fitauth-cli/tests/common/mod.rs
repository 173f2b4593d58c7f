//! What the `fitauth` command's integration tests share: a [`Harness`] with a sandbox over
//! loopback, a private `FITAUTH_HOME`, the real OS keyring (run under `scripts/test`, which
//! provides a throwaway gnome-keyring) and a scripted browser as `$BROWSER` that approves
//! consent and follows the redirect.

#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use fitauth_core::keyring::OsKeyring;
use fitauth_core::Store;
use fitauth_sandbox::{RefreshStats, Sandbox, SandboxConfig};
use serde_json::{json, Value};
use tokio::process::Command;

#[path = "../../../../tests/support/logins.rs"]
pub mod logins;

pub const BROWSER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/support/consenting-browser"
);

pub struct Harness {
    pub sandbox: Sandbox,
    pub home: PathBuf,
    /// The test's own files (the browser's log and pasted redirects), kept out of FITAUTH_HOME so
    /// the secret scan judges only what fitauth writes.
    pub scratch: PathBuf,
    pub control: reqwest::Client,
    /// Everything every command printed, for the secret scan.
    pub transcript: std::sync::Mutex<String>,
}

pub fn temp_dir(prefix: &str) -> PathBuf {
    let mut id = [0u8; 8];
    rand_fill(&mut id);
    let dir = std::env::temp_dir().join(format!(
        "{prefix}-{}",
        id.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn rand_fill(buf: &mut [u8]) {
    // Unique enough for temp dirs: time and a counter.
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        ^ (COUNTER.fetch_add(1, Ordering::SeqCst) << 48)
        ^ std::process::id() as u64;
    for (i, b) in buf.iter_mut().enumerate() {
        *b = (n >> ((i % 8) * 8)) as u8;
    }
}

impl Harness {
    pub async fn start() -> Harness {
        let sandbox = Sandbox::start(SandboxConfig {
            port: 0,
            auto_approve: false,
            ..Default::default()
        })
        .await
        .unwrap();
        Harness {
            sandbox,
            home: temp_dir("fitauth-cli-home"),
            scratch: temp_dir("fitauth-cli-scratch"),
            control: {
                fitauth_core::http::install_tls_provider();
                reqwest::Client::new()
            },
            transcript: Default::default(),
        }
    }

    pub fn base(&self) -> &str {
        self.sandbox.base_url()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fitauth"));
        cmd.args(args)
            .env("FITAUTH_HOME", &self.home)
            .env("FITAUTH_FITBIT_BASE_URL", self.base())
            .env("FITAUTH_GOOGLE_BASE_URL", self.base())
            .env("FITAUTH_SANDBOX_URL", self.base())
            .env("BROWSER", BROWSER)
            .env("FITAUTH_TEST_BROWSER_LOG", self.scratch.join("browser.log"))
            .env("FITAUTH_TIMEOUT", "2")
            .env_remove("FITAUTH_CLIENT_SECRET")
            .env_remove("FITAUTH_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    pub fn record(&self, out: &Output) {
        let mut t = self.transcript.lock().unwrap();
        t.push_str(&String::from_utf8_lossy(&out.stdout));
        t.push_str(&String::from_utf8_lossy(&out.stderr));
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, |_| {}).await
    }

    pub async fn run_with(&self, args: &[&str], env: impl FnOnce(&mut Command)) -> Output {
        let mut cmd = self.command(args);
        env(&mut cmd);
        let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
            .await
            .expect("fitauth finished")
            .unwrap();
        self.record(&out);
        out
    }

    /// Runs with `input` on standard input.
    pub async fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        use tokio::io::AsyncWriteExt;
        let mut child = self.command(args).stdin(Stdio::piped()).spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).await.unwrap();
        drop(stdin);
        let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("fitauth finished")
            .unwrap();
        self.record(&out);
        out
    }

    /// Runs and expects success; returns stdout.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            out.status.success(),
            "fitauth {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and expects failure; returns the one stderr line.
    pub async fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            !out.status.success(),
            "fitauth {args:?} should fail: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let stderr = String::from_utf8(out.stderr).unwrap();
        let last = stderr.lines().last().unwrap_or_default().to_owned();
        assert!(last.starts_with("fitauth: "), "{stderr}");
        assert!(!last.contains('{'), "a sentence, not JSON: {last}");
        last
    }

    pub async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .control
            .request(method, format!("{}/_sandbox/{path}", self.base()));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        assert!(resp.status().is_success(), "{path}");
        resp.json().await.unwrap_or(Value::Null)
    }

    pub async fn settings(&self, patch: Value) {
        self.control(reqwest::Method::POST, "settings", Some(patch))
            .await;
    }

    pub async fn fault(&self, spec: Value) {
        self.control(reqwest::Method::POST, "faults", Some(spec))
            .await;
    }

    pub async fn clear_faults(&self) {
        self.control(reqwest::Method::DELETE, "faults", None).await;
    }

    pub async fn requests(&self) -> Vec<Value> {
        match self.control(reqwest::Method::GET, "requests", None).await {
            Value::Array(items) => items,
            other => panic!("{other}"),
        }
    }

    pub async fn refresh_requests(&self) -> Vec<Value> {
        self.requests()
            .await
            .into_iter()
            .filter(|r| {
                r["path"] == "/oauth2/token" && r["form"]["grant_type"][0] == "refresh_token"
            })
            .collect()
    }

    pub async fn clear_requests(&self) {
        self.control(reqwest::Method::DELETE, "requests", None)
            .await;
    }

    /// What the refresh requests so far presented (active, duplicate within grace, stale, ...),
    /// as the sandbox counted them.
    pub fn refresh_stats(&self) -> RefreshStats {
        self.sandbox.control().refresh_stats()
    }

    /// The store as the CLI sees it, through the real keyring.
    pub fn store(&self) -> Store {
        Store::open(
            self.home.clone(),
            Arc::new(OsKeyring::open().expect("a Secret Service (run scripts/test)")),
        )
        .unwrap()
    }

    pub fn stored_refresh_token(&self, account: &str) -> Option<String> {
        let store = self.store();
        let a = store.resolve_account(Some(account)).unwrap();
        store
            .refresh_token(&a)
            .unwrap()
            .map(|r| r.secret().to_owned())
    }

    /// The person revokes `account`'s grant elsewhere (the provider's settings page): its refresh
    /// token is revoked at the sandbox's Fitbit side.
    pub async fn revoke_at_provider(&self, account: &str) {
        let refresh = self.stored_refresh_token(account).unwrap();
        let resp = self
            .control
            .post(format!("{}/oauth2/revoke", self.base()))
            .form(&[("token", refresh.as_str()), ("client_id", "sandbox-client")])
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{resp:?}");
    }

    /// `fitauth apps add` of the sandbox's Google desktop client as `name`, with `extra` flags.
    pub async fn add_google_registration(&self, name: &str, extra: &[&str]) {
        let mut args = vec![
            "apps",
            "add",
            "--provider",
            "google-health",
            "--client-id",
            "sandbox-google",
            "--client-secret",
            "sandbox-google-secret",
            "--name",
            name,
        ];
        args.extend(extra);
        self.ok(&args).await;
    }

    /// Logs in to the Fitbit side of the sandbox with a public client over loopback.
    pub async fn login_fitbit(&self, account: &str) {
        let out = self.ok(&logins::fitbit_public_client(account)).await;
        assert!(out.contains("Connected as Sam Sandbox (SBX123)."), "{out}");
    }

    /// Logs in with an access token that is already inside the 5-minute refresh window.
    pub async fn login_expiring(&self, account: &str) {
        self.settings(json!({ "access_token_ttl_secs": 60 })).await;
        self.login_fitbit(account).await;
        self.settings(json!({ "access_token_ttl_secs": 28800 }))
            .await;
        self.clear_requests().await;
    }

    /// Asserts that nothing printed and no file under FITAUTH_HOME holds a secret.
    pub async fn assert_no_secret_leaked(&self, extra: &[String]) {
        let mut secrets: Vec<String> = extra.to_vec();
        secrets.extend([
            "sandbox-secret".into(),
            "sandbox-google-secret".into(),
            "sandbox-personal-secret".into(),
        ]);
        for r in self.requests().await {
            for field in ["code", "refresh_token", "code_verifier"] {
                if let Some(v) = r["form"][field][0].as_str() {
                    secrets.push(v.to_owned());
                }
            }
        }
        let store = self.store();
        for a in store.load().unwrap().accounts {
            if let Ok(Some(r)) = store.refresh_token(&a) {
                secrets.push(r.secret().to_owned());
            }
        }
        let mut haystack = self.transcript.lock().unwrap().clone();
        for entry in walk(&self.home) {
            haystack.push_str(&String::from_utf8_lossy(
                &std::fs::read(entry).unwrap_or_default(),
            ));
        }
        for s in secrets.iter().filter(|s| s.len() >= 8) {
            assert!(
                !haystack.contains(s.as_str()),
                "a secret ({}…) leaked into output or files",
                &s[..4]
            );
        }
    }
}

pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

pub fn status_json(stdout: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

pub fn find<'a>(accounts: &'a [Value], name: &str) -> &'a Value {
    accounts
        .iter()
        .find(|a| a["account"] == name)
        .unwrap_or_else(|| panic!("no account {name}"))
}

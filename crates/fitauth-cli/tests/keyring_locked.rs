//! A locked keyring: `fitauth` says so in one line, writes nothing, and loses nothing.
//!
//! Locking the keyring would disturb every other test, so this test gets a D-Bus session and a
//! gnome-keyring of its own (`dbus-run-session`), connects an account, locks the login collection
//! with `secret-tool lock`, and then tries to use and to add accounts.

use std::process::Stdio;
use std::time::Duration;

use fitauth_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

const BROWSER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/support/consenting-browser"
);

const SCRIPT: &str = r#"
set -u
export XDG_DATA_HOME="$SCRATCH/data" XDG_RUNTIME_DIR="$SCRATCH/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
eval "$(printf 'locked-test' | gnome-keyring-daemon --unlock --components=secrets)"
login() { "$FITAUTH" login --provider fitbit --client-id sandbox-client --scopes "sleep profile" --account "$1"; }
login first > "$SCRATCH/login1.out" 2> "$SCRATCH/login1.err"; echo $? > "$SCRATCH/login1.rc"
# secret-tool may crash after locking (seen on Debian 12); the lock itself takes effect.
secret-tool lock --collection=login >/dev/null 2>&1 || true
"$FITAUTH" token > "$SCRATCH/token.out" 2> "$SCRATCH/token.err"; echo $? > "$SCRATCH/token.rc"
login second > "$SCRATCH/login2.out" 2> "$SCRATCH/login2.err"; echo $? > "$SCRATCH/login2.rc"
"$FITAUTH" status --json > "$SCRATCH/status.out" 2>&1; echo $? > "$SCRATCH/status.rc"
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_keyring_is_reported_and_nothing_is_written() {
    let sandbox = Sandbox::start(SandboxConfig {
        port: 0,
        ..Default::default()
    })
    .await
    .unwrap();
    let scratch = std::env::temp_dir().join(format!("fitauth-locked-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let status = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new("dbus-run-session")
            .args(["--", "bash", "-c", SCRIPT])
            .env("SCRATCH", &scratch)
            .env("FITAUTH", env!("CARGO_BIN_EXE_fitauth"))
            .env("FITAUTH_HOME", scratch.join("home"))
            .env("FITAUTH_FITBIT_BASE_URL", sandbox.base_url())
            .env("BROWSER", BROWSER)
            .env("FITAUTH_TIMEOUT", "5")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status(),
    )
    .await
    .expect("the script finished")
    .unwrap();
    assert!(status.success());
    let read = |name: &str| std::fs::read_to_string(scratch.join(name)).unwrap_or_default();

    assert_eq!(
        read("login1.rc").trim(),
        "0",
        "first login: {}",
        read("login1.err")
    );
    assert_ne!(read("token.rc").trim(), "0");
    let token_err = read("token.err");
    assert!(token_err.contains("keyring is locked"), "{token_err}");
    assert!(read("token.out").is_empty());

    assert_ne!(read("login2.rc").trim(), "0");
    let login_err = read("login2.err");
    assert!(login_err.contains("keyring is locked"), "{login_err}");
    assert!(
        !login_err.contains("Waiting for you"),
        "refused before the browser opened: {login_err}"
    );

    assert_eq!(
        read("status.rc").trim(),
        "0",
        "status needs no secret: {}",
        read("status.out")
    );
    let accounts: Value = serde_json::from_str(&read("status.out")).unwrap();
    let names: Vec<_> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account"].clone())
        .collect();
    assert_eq!(names, ["first"], "nothing written for the second login");
    assert_eq!(
        accounts[0]["state"], "active",
        "the stored account is untouched"
    );
    let _ = std::fs::remove_dir_all(&scratch);
}

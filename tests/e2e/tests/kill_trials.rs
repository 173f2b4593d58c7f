//! Kill trials of the desktop app: the real app binary (under Xvfb, with the private D-Bus session
//! and keyring `scripts/e2e` provides; no WebDriver) refreshes a Fitbit sandbox account in the
//! background while three `fitauth` processes refresh the same account in a loop, and the app is
//! killed with `SIGKILL` at random moments, then started again. No account may be lost, and the
//! sandbox must never see a stale refresh token (one rotated longer ago than the grace interval,
//! or whose new pair was already used; see `fitauth_sandbox::RefreshStats`).
//!
//! The sandbox gives access tokens a 60-second lifetime, inside the app's 5-minute refresh
//! margin, so the app refreshes about every 5 seconds (its shortest timer) and every
//! `fitauth token` refreshes too. The table goes to `target/tmp/reports/kill-trials-desktop.md`;
//! `FITAUTH_KILL_SEED` replays a run's choices.

#[path = "../../support/logins.rs"]
mod logins;
#[path = "../../support/trials.rs"]
mod trials;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fitauth_desktop_e2e::{built_binary, root};
use fitauth_sandbox::{FaultKind, FaultSpec, RefreshStats, Sandbox, SandboxConfig, SettingsPatch};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use trials::{Rng, Row, HANG_GUARD};

const ACCOUNT: &str = "k";
/// App launches that are killed: a third anywhere in its first seconds, a third while it
/// refreshes, a third while it refreshes with the provider's answer held back. About six seconds
/// each (a launch of the debug build, a refresh to catch), so 30 take three minutes of the test run.
const TRIALS: u64 = 30;
const LOOPS: u64 = 3;
/// The single-instance name the app holds on the session bus (tauri-plugin-single-instance:
/// the bundle identifier + `.SingleInstance`); a copy started while it is taken hands over and
/// exits.
const BUS_NAME: &str = "com.fitauth.desktop.SingleInstance";
/// What fitauth-core logs when a refresh starts (under the account's locks) and ends saved, and
/// what the app logs when a background refresh has saved new tokens.
const REFRESHING: &str = "refreshing the access token";
const SAVED: &str = "new tokens saved";
const BACKGROUND_SAVED: &str = "background refresh: new tokens saved";

/// The environment the app and the `fitauth` processes share: one store, the sandbox.
struct Setup {
    sandbox: Sandbox,
    work: PathBuf,
}

impl Setup {
    fn envs(&self) -> Vec<(&'static str, String)> {
        let base = self.sandbox.base_url().to_owned();
        vec![
            ("FITAUTH_HOME", self.work.join("data").display().to_string()),
            ("XDG_DATA_HOME", self.work.join("xdg").display().to_string()),
            ("FITAUTH_FITBIT_BASE_URL", base.clone()),
            ("FITAUTH_GOOGLE_BASE_URL", base.clone()),
            ("FITAUTH_SANDBOX_URL", base),
            (
                "BROWSER",
                root()
                    .join("tests/support/consenting-browser")
                    .display()
                    .to_string(),
            ),
            ("FITAUTH_REDIRECT", "loopback".into()),
            ("FITAUTH_NO_SCHEME_REGISTRATION", "1".into()),
            ("FITAUTH_TIMEOUT", "20".into()),
            (
                "FITAUTH_LOG",
                "warn,fitauth_core=info,fitauth_desktop=info".into(),
            ),
        ]
    }

    fn fitauth(&self, args: &[&str]) -> Command {
        let cli = built_binary("fitauth", "FITAUTH_E2E_CLI");
        assert!(
            cli.exists(),
            "build the command first (cargo build -p fitauth-cli): {}",
            cli.display()
        );
        let mut cmd = Command::new(cli);
        cmd.args(args)
            .envs(self.envs())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    async fn ok(&self, args: &[&str]) -> String {
        let out = tokio::time::timeout(HANG_GUARD, self.fitauth(args).output())
            .await
            .expect("fitauth finished")
            .unwrap();
        assert!(
            out.status.success(),
            "fitauth {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn stats(&self) -> RefreshStats {
        self.sandbox.control().refresh_stats()
    }
}

/// A running app, in a process group of its own (WebKit's helper processes die with it), its
/// stderr read line by line.
struct App {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    /// Refreshes the app started and saved so far, from its log.
    refreshing: u64,
    saved: u64,
    /// The last lines, for a failure message.
    tail: Vec<String>,
}

impl App {
    async fn launch(setup: &Setup) -> App {
        wait_until_bus_name_is_free().await;
        let app = built_binary("fitauth-desktop", "FITAUTH_E2E_APP");
        assert!(app.exists(), "build the app first: {}", app.display());
        let mut child = Command::new(app)
            .envs(setup.envs())
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the app starts");
        let (tx, lines) = mpsc::unbounded_channel();
        let stderr = child.stderr.take().unwrap();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        App {
            child,
            lines,
            refreshing: 0,
            saved: 0,
            tail: vec![],
        }
    }

    fn take(&mut self, line: String) {
        // The app's background line contains the core's too; count each refresh once.
        if line.contains(REFRESHING) {
            self.refreshing += 1;
        } else if line.contains(SAVED) && !line.contains(BACKGROUND_SAVED) {
            self.saved += 1;
        }
        self.tail.push(line);
        if self.tail.len() > 40 {
            self.tail.remove(0);
        }
    }

    /// Reads the log until a line contains `text` (the app must not exit meanwhile).
    async fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.lines.recv()).await {
                Ok(Some(line)) => {
                    let found = line.contains(text);
                    self.take(line);
                    if found {
                        return;
                    }
                }
                Ok(None) => panic!(
                    "the app exited before logging {text:?}: {:?}\n{}",
                    self.child.try_wait(),
                    self.tail.join("\n")
                ),
                Err(_) => panic!("the app never logged {text:?}:\n{}", self.tail.join("\n")),
            }
        }
    }

    /// Whether the app is inside a refresh, by what it logged so far.
    fn mid_refresh(&mut self) -> bool {
        while let Ok(line) = self.lines.try_recv() {
            self.take(line);
        }
        self.refreshing > self.saved
    }

    /// `SIGKILL` to the app, then to what is left of its group. The app must still be running
    /// (it never exits on its own).
    async fn kill(mut self) {
        let running = self.child.try_wait().unwrap().is_none();
        let _ = self.child.start_kill();
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status()
                .await;
        }
        let status = tokio::time::timeout(HANG_GUARD, self.child.wait())
            .await
            .expect("the killed app is reaped")
            .unwrap();
        assert!(
            running && trials::was_killed(status),
            "the app had exited on its own ({status}):\n{}",
            self.tail.join("\n")
        );
    }
}

/// A killed app's bus name is released when the bus notices the closed connection; a copy
/// started before that would take the dead one for a running app.
async fn wait_until_bus_name_is_free() {
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        let out = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                &format!("string:{BUS_NAME}"),
            ])
            .output()
            .await
            .expect("dbus-send is installed");
        let reply = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "no session bus (run scripts/e2e)");
        if reply.contains("boolean false") {
            return;
        }
        assert!(Instant::now() < deadline, "{BUS_NAME} stays taken");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the app binary, a display and a keyring: run scripts/e2e"]
async fn the_app_killed_mid_refresh_loses_no_account_and_sends_no_stale_token() {
    let seed = trials::seed();
    let mut rng = Rng::new(seed);
    let work = std::env::temp_dir().join(format!("fitauth-e2e-kill-{}", std::process::id()));
    std::fs::create_dir_all(work.join("data")).unwrap();
    std::fs::create_dir_all(work.join("xdg")).unwrap();
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    sandbox.control().update_settings(SettingsPatch {
        access_token_ttl_secs: Some(60),
        rate_limit: Some(100_000),
        ..Default::default()
    });
    let setup = Arc::new(Setup { sandbox, work });
    let connected = setup.ok(&logins::fitbit_public_client(ACCOUNT)).await;
    assert!(
        connected.contains("Connected as Sam Sandbox"),
        "{connected}"
    );

    // The command line refreshes the same account all along, never killed.
    let stop = Arc::new(AtomicBool::new(false));
    let mut loops = tokio::task::JoinSet::new();
    for _ in 0..LOOPS {
        let (setup, stop) = (setup.clone(), stop.clone());
        loops.spawn(trials::run_loop(
            rng.split(),
            stop,
            u64::MAX,
            0,
            Duration::ZERO,
            move |rng| {
                let command = if rng.percent(50) { "refresh" } else { "token" };
                setup.fitauth(&[command, "--account", ACCOUNT])
            },
        ));
    }

    let modes = [
        "app killed at any moment",
        "app killed while it refreshes",
        "app killed while it refreshes, answer held",
    ];
    let mut rows: Vec<Row> = modes
        .iter()
        .map(|m| Row {
            phase: (*m).into(),
            trials: 0,
            kills: 0,
            stats: RefreshStats::default(),
            accounts_lost: 0,
            seed,
        })
        .collect();
    let mut mid_refresh_kills = 0;
    for trial in 0..TRIALS {
        let mode = (trial % 3) as usize;
        let before = setup.stats();
        let hold = Duration::from_millis(300 + rng.below(300));
        if mode == 2 {
            setup.sandbox.control().set_fault(FaultSpec {
                kind: FaultKind::Slow,
                path: Some("/oauth2/token".into()),
                times: None,
                delay_ms: Some(hold.as_millis() as u64),
                status: None,
            });
        }
        let mut app = App::launch(&setup).await;
        match mode {
            // Its first refresh comes about 5 s after the start.
            0 => tokio::time::sleep(rng.up_to(Duration::from_secs(8))).await,
            1 => {
                app.wait_for(REFRESHING).await;
                tokio::time::sleep(rng.up_to(Duration::from_millis(100))).await;
            }
            _ => {
                app.wait_for(REFRESHING).await;
                tokio::time::sleep(rng.up_to(hold / 3)).await;
            }
        }
        let mid_refresh = app.mid_refresh();
        app.kill().await;
        setup.sandbox.control().clear_faults();
        mid_refresh_kills += u64::from(mid_refresh);
        // The trial ends with the next refresh (a `fitauth` loop's): the killed one's recovery.
        let killed_at = setup.stats();
        let deadline = Instant::now() + HANG_GUARD;
        while setup.stats() == killed_at {
            assert!(
                Instant::now() < deadline,
                "nothing refreshes after the kill"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let row = &mut rows[mode];
        row.trials += 1;
        row.kills += 1;
        row.stats = row.stats + (setup.stats() - before);
    }

    // After all that the app still refreshes the account, and so does the command.
    let mut app = App::launch(&setup).await;
    app.wait_for(BACKGROUND_SAVED).await;
    app.kill().await;
    stop.store(true, Ordering::SeqCst);
    let (mut runs, mut failures) = (0, vec![]);
    while let Some(done) = loops.join_next().await {
        let done = done.unwrap();
        runs += done.runs;
        failures.extend(done.failures);
    }
    setup.ok(&["refresh", "--account", ACCOUNT]).await;
    setup.ok(&["introspect", "--account", ACCOUNT]).await;
    let status: serde_json::Value =
        serde_json::from_str(&setup.ok(&["status", "--json"]).await).unwrap();
    let lost = status
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["state"] != "active")
        .count() as u64;
    rows.push(Row {
        phase: "whole run (login, trials, the last start)".into(),
        trials: TRIALS + 1,
        kills: TRIALS + 1,
        stats: setup.stats(),
        accounts_lost: 0,
        seed,
    });
    rows.iter_mut().for_each(|r| r.accounts_lost = lost);

    trials::report(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
        "kill-trials-desktop",
        "Kill trials: the desktop app killed (SIGKILL) mid-refresh",
        &format!(
            "The desktop app refreshing a Fitbit sandbox account in the background (60-second \
             access tokens), killed at random moments and started again, while {LOOPS} `fitauth` \
             processes refresh the same account in a loop ({runs} runs, none failed). \
             {mid_refresh_kills} of the kills fell inside one of the app's refreshes (after it \
             began, before it was saved). Counts are what the sandbox saw during each kind of \
             trial, the command's refreshes included. *Within-grace duplicates*: old refresh \
             tokens presented again within Fitbit's grace interval (a killed refresh's \
             recovery); *stale*: tokens presented after they were rotated past the grace \
             interval or after their new pair was used; *lost*: accounts that need a reconnect \
             at the end."
        ),
        &rows,
    );
    assert!(failures.is_empty(), "fitauth runs failed: {failures:#?}");
    for row in &rows {
        assert_eq!(row.stats.stale, 0, "{}: stale refresh tokens", row.phase);
        assert_eq!(
            row.stats.refused(),
            0,
            "{}: refused refresh tokens",
            row.phase
        );
    }
    assert_eq!(lost, 0, "accounts lost: {status}");
    assert!(
        mid_refresh_kills > 0,
        "no kill fell inside one of the app's refreshes"
    );
    let _ = std::fs::remove_dir_all(&setup.work);
}

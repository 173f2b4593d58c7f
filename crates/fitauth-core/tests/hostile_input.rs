//! Hostile input (issue "Hardening"): what arrives where a sign-in comes back, through the
//! use-case layer's redirect entry ([`Fitauth::finish_redirect`], which the desktop's deep links
//! and pasted addresses use) and over real HTTP to the loopback listener, with the real keyring;
//! and the same redirect when the Secret Service is locked or absent.
//!
//! For each case: a clear refusal (the error's kind and a sentence), nothing changed (the
//! metadata file byte for byte and every keyring entry it refers to; the pending sign-in still
//! waiting), and a redacted log: the tracing output, captured in a buffer at a more verbose
//! level than the apps use, and the activity log never show a code, a state, a token or a
//! verifier, neither the hostile input's nor the stored ones. The table goes to
//! `target/tmp/reports/hostile-input.md`.
//!
//! The locked and the absent Secret Service run in child processes (this test binary again): a
//! locked keyring would disturb every other test, so that child gets a D-Bus session and a
//! gnome-keyring of its own; the absent one runs with `DBUS_SESSION_BUS_ADDRESS` pointing nowhere.

#[path = "support/layer.rs"]
mod layer;

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use fitauth_core::service::connect::{Refused, SignIn, SignInStatus};
use fitauth_core::service::Options;
use fitauth_core::store::OutcomeStatus;
use fitauth_core::{Account, Fitauth, RedirectMode, Timeouts};
use fitauth_sandbox::Sandbox;
use layer::{approve, assert_sentence, cell, follow, sandbox, temp_home, write_report, Layer};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

/// A hang guard for one case (none should take more than a second or two).
const GUARD: Duration = Duration::from_secs(60);
/// Links handed to the layer at once.
const LINK_BURST: usize = 300;
/// Raw connections to the loopback listener during a real sign-in.
const CONNECTION_BURST: usize = 200;
/// The password of the child's own keyring.
const KEYRING_PASSWORD: &str = "hostile-input";

// --- the log ------------------------------------------------------------------------------------

static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Where the captured log goes.
struct Capture;

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOG.lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends every log line of this process to [`LOG`]: Fitauth at `trace`, the rest at `debug`
/// (the apps log Fitauth at `info`), the in-process sandbox — the provider's side — at `warn`,
/// as the desktop does.
fn capture_log() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        let filter: tracing_subscriber::filter::Targets =
            "debug,fitauth_core=trace,fitauth_sandbox=warn"
                .parse()
                .unwrap();
        let _ = tracing_subscriber::registry()
            .with(filter)
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(|| Capture)
                    .with_ansi(false),
            )
            .try_init();
    });
}

fn log_text() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

/// Asserts that no secret is in `log` (the captured tracing output) nor in `app`'s activity
/// log, raw or percent-encoded. Short values (an empty state) say nothing and are skipped.
fn assert_redacted(log: &str, app: &Fitauth, secrets: &[String], case: &str) {
    let activity = serde_json::to_string(&app.exchange_log().snapshot()).unwrap();
    for (i, secret) in secrets.iter().enumerate().filter(|(_, s)| s.len() >= 8) {
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        for form in [secret.as_str(), encoded.as_str()] {
            let line = log.lines().find(|l| l.contains(form));
            assert!(
                line.is_none(),
                "{case}: secret #{i} is in the log: {}",
                line.unwrap_or_default().replace(form, "<SECRET>")
            );
            assert!(
                !activity.contains(form),
                "{case}: secret #{i} is in the activity log"
            );
        }
    }
}

// --- a data directory with something to lose ---------------------------------------------------

/// A connected account, a sign-in that was finished (its link is spent), and a sign-in waiting
/// for its browser (its real link in hand, used only at the very end).
struct World {
    sandbox: Sandbox,
    layer: Layer,
    account: Account,
    used_link: String,
    used_state: String,
    pending: SignIn,
    link: String,
}

async fn world(home: &Path) -> World {
    let sandbox = sandbox().await;
    let layer = Layer::open(home, Timeouts::default());
    let (used, used_link) = layer.consented_link(&sandbox).await;
    let account = layer.app.finish_redirect(&used_link).await.unwrap().account;
    let (pending, link) = layer.consented_link(&sandbox).await;
    World {
        sandbox,
        layer,
        account,
        used_link,
        used_state: used.state,
        pending,
        link,
    }
}

impl World {
    /// What no log may show: every stored secret, and the codes and states of both links.
    async fn secrets(&self) -> Vec<String> {
        let mut secrets = self.layer.stored().await.secrets();
        secrets.push(self.pending.state.clone());
        secrets.extend(carried(&self.link));
        secrets.extend(carried(&self.used_link));
        secrets
    }

    async fn waiting(&self) -> bool {
        self.layer
            .app
            .sign_in_status(&self.pending.state)
            .await
            .unwrap()
            == SignInStatus::Waiting
    }
}

/// The `code`s and `state`s a redirect carries, in its query or its fragment.
fn carried(link: &str) -> Vec<String> {
    let Ok(url) = Url::parse(link) else {
        return vec![];
    };
    let fragment = url.fragment().unwrap_or("").to_owned();
    url.query_pairs()
        .chain(url::form_urlencoded::parse(fragment.as_bytes()))
        .filter(|(k, _)| k == "code" || k == "state")
        .map(|(_, v)| v.into_owned())
        .collect()
}

fn random(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf[..]);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

// --- the table ----------------------------------------------------------------------------------

struct Row {
    case: String,
    refusal: String,
    unchanged: String,
    redacted: &'static str,
}

impl Row {
    fn new(case: &str, refusal: String, unchanged: &str) -> Row {
        Row {
            case: case.to_owned(),
            refusal,
            unchanged: unchanged.to_owned(),
            redacted: "yes",
        }
    }
}

/// What a person is shown for a refusal: the error's kind and sentence. A link already taken
/// is not an error: a repeated deep link is ignored, and a paste is answered "This sign-in was
/// already finished." (src-tauri/src/connect.rs).
fn refusal(
    result: Result<fitauth_core::service::connect::Connected, Refused>,
    case: &str,
) -> (String, String) {
    match result {
        Ok(c) => panic!("{case}: it connected {}", c.account.name),
        Err(Refused::AlreadyTaken) => (
            "already_taken".into(),
            "(none: a repeated link is ignored; a paste says “This sign-in was already finished.”)"
                .into(),
        ),
        Err(Refused::NotOurs(e)) | Err(Refused::Failed(e)) => {
            let message = e.to_string();
            assert_sentence(&message, case);
            (e.kind().to_owned(), message)
        }
    }
}

// --- one link -----------------------------------------------------------------------------------

struct Case {
    name: String,
    input: String,
    /// The refusal's kind.
    expect: &'static str,
}

fn case(name: &str, input: String, expect: &'static str) -> Case {
    Case {
        name: name.to_owned(),
        input,
        expect,
    }
}

/// The links a stranger, a confused browser or a replaying program might hand Fitauth.
fn cases(world: &World) -> Vec<Case> {
    let s = world.pending.state.as_str();
    let code = random(16);
    let other = random(32);
    let megabyte = "a".repeat(1 << 20);
    vec![
        case(
            "wrong state",
            format!("fitauth://callback?code={code}&state={other}#_=_"),
            "state_mismatch",
        ),
        case(
            "replayed link (already used)",
            world.used_link.clone(),
            "already_taken",
        ),
        case(
            "replayed state with another code",
            format!("fitauth://callback?code={code}&state={}", world.used_state),
            "already_taken",
        ),
        case(
            "absent state",
            format!("fitauth://callback?code={code}"),
            "state_mismatch",
        ),
        case(
            "empty state",
            format!("fitauth://callback?code={code}&state="),
            "state_mismatch",
        ),
        case(
            "the waiting state plus NUL (%00)",
            format!("fitauth://callback?code={code}&state={s}%00"),
            "state_mismatch",
        ),
        case(
            "the waiting state less its last character",
            format!("fitauth://callback?code={code}&state={}", &s[..s.len() - 1]),
            "state_mismatch",
        ),
        case(
            "the waiting state twice",
            format!("fitauth://callback?code={code}&state={s}&state={s}"),
            "state_mismatch",
        ),
        case(
            "the waiting state in the query, another in the fragment",
            format!("fitauth://callback?code={code}&state={s}#state={other}"),
            "state_mismatch",
        ),
        case(
            "code and wrong state in the fragment",
            format!("fitauth://callback#code={code}&state={other}"),
            "state_mismatch",
        ),
        case(
            "invalid percent-encoding",
            format!("fitauth://callback?code=%ZZ{code}%&state=%E0%A4%A{other}"),
            "state_mismatch",
        ),
        case(
            "overlong UTF-8 in the state",
            format!("fitauth://callback?code={code}&state=%C0%AF%C0%AE%E0%80%AF{other}"),
            "state_mismatch",
        ),
        case(
            "invalid UTF-8 bytes",
            format!("fitauth://callback?code=%FF%FE{code}&state=%FF%FE%FD{other}"),
            "state_mismatch",
        ),
        case(
            "raw NUL and control characters",
            format!("fitauth://callback?code={code}\u{0}&state={other}\u{0}\u{7}\u{1b}"),
            "state_mismatch",
        ),
        case(
            "uppercase scheme and host",
            format!("FITAUTH://CALLBACK?code={code}&state={other}"),
            "state_mismatch",
        ),
        case(
            "the waiting state at another fitauth:// address",
            format!("fitauth://evil/callback?code={code}&state={s}"),
            "malformed_redirect",
        ),
        case(
            "the waiting state at a loopback address",
            format!("http://127.0.0.1:9/callback?code={code}&state={s}"),
            "malformed_redirect",
        ),
        case(
            "1 MB query carrying the waiting state",
            format!("fitauth://callback?code={code}&state={s}&pad={megabyte}"),
            "malformed_redirect",
        ),
        case(
            "1 MB state",
            format!("fitauth://callback?code={code}&state={megabyte}"),
            "malformed_redirect",
        ),
        case(
            "15 KB state (under the length cap)",
            format!("fitauth://callback?code={code}&state={}", random(7_500)),
            "state_mismatch",
        ),
        case(
            "an error answer with a wrong state",
            format!("fitauth://callback?error=access_denied&state={other}"),
            "state_mismatch",
        ),
        case(
            "not a link",
            format!("javascript:alert(document.cookie)//{code}"),
            "malformed_redirect",
        ),
        case("empty", String::new(), "malformed_redirect"),
    ]
}

/// Hands one link to the layer and checks refusal, store and log.
async fn check_link(world: &World, case: &Case, secrets: &[String]) -> Row {
    let before = world.layer.stored().await;
    let result = tokio::time::timeout(GUARD, world.layer.app.finish_redirect(&case.input))
        .await
        .unwrap_or_else(|_| panic!("{}: still running", case.name));
    let (kind, message) = refusal(result, &case.name);
    assert_eq!(kind, case.expect, "{}: {message}", case.name);
    assert_eq!(before, world.layer.stored().await, "{}: stored", case.name);
    assert!(
        world.waiting().await,
        "{}: the sign-in still waits",
        case.name
    );
    let mut all = secrets.to_vec();
    all.push(case.input.clone());
    all.extend(carried(&case.input));
    assert_redacted(&log_text(), &world.layer.app, &all, &case.name);
    Row::new(
        &case.name,
        format!("{kind}: {message}"),
        "yes (file and keyring identical; sign-in waiting)",
    )
}

/// A data directory where nothing was ever started: a stray link creates nothing.
async fn no_sign_in_at_all(world: &World, secrets: &[String]) -> Row {
    let name = "no pending sign-in at all (fresh install), the waiting state of another";
    let fresh = Layer::open(&temp_home("hostile-fresh"), Timeouts::default());
    let (kind, message) = refusal(fresh.app.finish_redirect(&world.link).await, name);
    assert_eq!(kind, "state_mismatch", "{message}");
    assert!(
        !fresh.store.metadata_path().exists(),
        "{name}: no metadata file was created"
    );
    assert!(world.waiting().await);
    assert_redacted(&log_text(), &fresh.app, secrets, name);
    Row::new(name, format!("{kind}: {message}"), "yes (no file created)")
}

/// Hundreds of links at once: strangers' states, replays and oversized ones.
async fn link_burst(world: &World, secrets: &[String]) -> Row {
    let name = format!("{LINK_BURST} links at once (wrong states, replays, 1 MB ones)");
    let before = world.layer.stored().await;
    let mut links = Vec::new();
    let mut all = secrets.to_vec();
    for i in 0..LINK_BURST {
        let link = match i % 3 {
            0 => world.used_link.clone(),
            _ if i % 50 == 1 => format!("fitauth://callback?code=x&state={}", "b".repeat(1 << 20)),
            _ => {
                let (code, state) = (random(16), random(32));
                all.extend([code.clone(), state.clone()]);
                format!("fitauth://callback?code={code}&state={state}")
            }
        };
        links.push(link);
    }
    let mut burst = tokio::task::JoinSet::new();
    for link in links {
        let app = world.layer.app.clone();
        burst.spawn(async move { app.finish_redirect(&link).await });
    }
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    let outcomes = tokio::time::timeout(GUARD, burst.join_all())
        .await
        .expect("the burst ends");
    for result in outcomes {
        let (kind, _) = refusal(result, &name);
        *kinds.entry(kind).or_default() += 1;
    }
    assert_eq!(kinds.values().sum::<usize>(), LINK_BURST);
    assert!(
        kinds.keys().all(
            |k| ["state_mismatch", "already_taken", "malformed_redirect"].contains(&k.as_str())
        ),
        "{kinds:?}"
    );
    assert_eq!(before, world.layer.stored().await, "{name}: stored");
    assert!(world.waiting().await);
    assert_redacted(&log_text(), &world.layer.app, &all, &name);
    let summary = kinds
        .iter()
        .map(|(k, n)| format!("{k} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    Row::new(
        &name,
        format!("every one refused: {summary}"),
        "yes (file and keyring identical; sign-in waiting)",
    )
}

// --- the loopback listener ----------------------------------------------------------------------

/// What one raw connection to the loopback listener got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Answer {
    Status(u16),
    /// Held open without a request until the sign-in was over.
    Held,
    /// Closed without an answer (the listener was gone, or cut a 20 KB head short).
    Closed,
}

/// One hostile client of the loopback listener; `kind` picks what it does.
async fn poke(
    addr: SocketAddr,
    kind: usize,
    state: String,
    all_in: Arc<tokio::sync::Barrier>,
    mut over: tokio::sync::watch::Receiver<bool>,
) -> (usize, Answer, Vec<String>) {
    let (code, other) = (random(16), random(32));
    let carried = vec![code.clone(), other.clone()];
    let connected = tokio::net::TcpStream::connect(addr).await;
    let Ok(mut stream) = connected else {
        all_in.wait().await;
        return (kind, Answer::Closed, carried);
    };
    let request: Vec<u8> = match kind {
        0 | 1 => {
            // Idle, or a request head that never ends (slowloris): held until it is all over.
            if kind == 1 {
                let _ = stream.write_all(b"GET /callback?code=").await;
            }
            all_in.wait().await;
            let _ = over.wait_for(|over| *over).await;
            return (kind, Answer::Held, carried);
        }
        2 => {
            let mut junk = vec![0u8; 512];
            rand::fill(&mut junk[..]);
            junk.extend_from_slice(b"\r\n\r\n");
            junk
        }
        3 => format!("GET /callback?code={code}&state={other} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .into_bytes(),
        4 => format!("GET /callback?code={code}&state={state}%00 HTTP/1.1\r\n\r\n").into_bytes(),
        5 => format!("GET /callback?code={code}&state={state}&state={state} HTTP/1.1\r\n\r\n")
            .into_bytes(),
        6 => format!(
            "GET /callback?pad={} HTTP/1.1\r\n\r\n",
            "p".repeat(20 * 1024)
        )
        .into_bytes(),
        7 => [
            b"GET /callback?code=\xc0\xaf".as_slice(),
            code.as_bytes(),
            b"&state=\xff\xfe\x00 HTTP/1.1\r\n\r\n",
        ]
        .concat(),
        8 => b"GET /favicon.ico HTTP/1.1\r\n\r\n".to_vec(),
        _ => format!(
            "POST /callback?code={code}&state={state} HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
        )
        .into_bytes(),
    };
    let _ = stream.write_all(&request).await;
    all_in.wait().await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(GUARD, stream.read_to_end(&mut answer)).await;
    let status = std::str::from_utf8(answer.get(9..12).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok());
    match (read, status) {
        (Ok(_), Some(status)) => (kind, Answer::Status(status), carried),
        _ => (kind, Answer::Closed, carried),
    }
}

/// A real sign-in over loopback while hundreds of connections poke the listener.
async fn connection_burst(world: &World, secrets: &[String]) -> Row {
    let name = format!(
        "loopback: {CONNECTION_BURST} raw connections (idle, slowloris, junk, wrong / NUL / \
         doubled state, 20 KB head, invalid UTF-8, other path, POST) while a real sign-in completes"
    );
    let (sign_in, wait) = world
        .layer
        .begin(&world.sandbox, RedirectMode::Loopback)
        .await;
    let port = Url::parse(&sign_in.redirect_uri).unwrap().port().unwrap();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let app = world.layer.app.clone();
    let finish = tokio::spawn(async move { app.finish_loopback(wait.unwrap()).await });

    let (over, watch) = tokio::sync::watch::channel(false);
    let all_in = Arc::new(tokio::sync::Barrier::new(CONNECTION_BURST + 1));
    let mut pokes = tokio::task::JoinSet::new();
    for i in 0..CONNECTION_BURST {
        let (state, all_in) = (sign_in.state.clone(), all_in.clone());
        pokes.spawn(poke(addr, i % 10, state, all_in, watch.clone()));
    }
    // The person's browser, in the middle of it: every connection is open, every request sent.
    all_in.wait().await;
    let location = approve(&sign_in).await;
    let (status, page) = follow(&location).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Signed in"), "{page}");
    let connected = tokio::time::timeout(GUARD, finish)
        .await
        .expect("the sign-in ends")
        .unwrap()
        .expect("the real sign-in connects");
    over.send(true).unwrap();
    let answers = tokio::time::timeout(GUARD, pokes.join_all())
        .await
        .expect("every poke ends");

    assert!(connected.updated, "the same person's account, updated");
    assert_eq!(connected.account.id, world.account.id);
    assert_eq!(world.layer.app.accounts().await.unwrap().len(), 1);
    assert!(
        matches!(
            world
                .layer
                .app
                .sign_in_status(&sign_in.state)
                .await
                .unwrap(),
            SignInStatus::Ended(OutcomeStatus::Connected { .. })
        ),
        "the real sign-in is noted as connected"
    );
    assert!(world.waiting().await, "the other sign-in still waits");
    // Listening stopped with the sign-in: a replay of the real redirect finds no one.
    assert!(reqwest::get(&location).await.is_err());

    let mut counts = std::collections::BTreeMap::<Answer, usize>::new();
    let mut all = secrets.to_vec();
    all.push(sign_in.state.clone());
    all.extend(carried(&location));
    all.extend(world.layer.stored().await.secrets());
    for (kind, answer, carried) in answers {
        all.extend(carried);
        *counts.entry(answer).or_default() += 1;
        match (kind, answer) {
            (0 | 1, a) => assert_eq!(a, Answer::Held),
            (_, Answer::Status(s)) => {
                assert!(s == 400 || (kind == 8 && s == 404), "poke {kind} got {s}")
            }
            (_, _) => {}
        }
    }
    let refused = counts
        .iter()
        .filter(|(a, _)| matches!(a, Answer::Status(400 | 404)))
        .map(|(_, n)| n)
        .sum::<usize>();
    assert!(refused >= CONNECTION_BURST / 4, "{counts:?}");
    assert_redacted(&log_text(), &world.layer.app, &all, &name);
    let summary = counts
        .iter()
        .map(|(a, n)| match a {
            Answer::Status(s) => format!("HTTP {s} ×{n}"),
            Answer::Held => format!("held, never answered ×{n}"),
            Answer::Closed => format!("closed without an answer ×{n}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    Row::new(
        &name,
        format!(
            "{summary} (400: “Not this sign-in … it was ignored”); none ended the wait; the \
             real browser got 200 “Signed in”"
        ),
        "yes but for the real sign-in's result (its account updated; the other sign-in waiting)",
    )
}

// --- a locked and an absent Secret Service ------------------------------------------------------

/// What a child process reports.
#[derive(Debug, Serialize, Deserialize)]
struct ChildReport {
    kind: String,
    message: String,
    /// Why `Fitauth::open` found no keyring, if it did not.
    keyring_problem: Option<String>,
    /// A stranger's link while the keyring could not be used.
    stranger: Option<String>,
    finished_afterwards: bool,
    log: String,
}

const CHILD_OUT: &str = "FITAUTH_HOSTILE_OUT";
const CHILD_HOME: &str = "FITAUTH_HOSTILE_HOME";
const CHILD_LINK: &str = "FITAUTH_HOSTILE_LINK";

fn child_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} (run by hostile_redirects_are_refused_and_change_nothing)")
    })
}

fn write_child_report(report: &ChildReport) {
    std::fs::write(child_env(CHILD_OUT), serde_json::to_vec(report).unwrap()).unwrap();
}

/// Runs this test binary's `test` (an ignored child) with `envs`, inside `wrapper` if given;
/// returns its report.
async fn run_child(test: &str, wrapper: Option<&str>, envs: &[(&str, String)]) -> ChildReport {
    let out = temp_home("hostile-child").join("report.json");
    let exe = std::env::current_exe().unwrap();
    let args = [
        test,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ];
    let mut command = match wrapper {
        Some(script) => {
            let mut c = tokio::process::Command::new("dbus-run-session");
            c.args(["--", "bash", "-c", script, "child"])
                .arg(&exe)
                .args(args);
            c
        }
        None => {
            let mut c = tokio::process::Command::new(&exe);
            c.args(args);
            c
        }
    };
    command
        .env(CHILD_OUT, &out)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(120), command.output())
        .await
        .unwrap_or_else(|_| panic!("{test}: the child finished"))
        .unwrap();
    assert!(
        output.status.success(),
        "{test}: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
}

/// A D-Bus session of the child's own, with an unlocked gnome-keyring (as `scripts/test` makes).
const OWN_SESSION: &str = r#"
set -eu
export XDG_DATA_HOME="$SCRATCH/data" XDG_RUNTIME_DIR="$SCRATCH/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
eval "$(printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
exec "$@"
"#;

async fn locked_secret_service() -> Row {
    let name = "locked Secret Service: the waiting sign-in's own link";
    let scratch = temp_home("hostile-locked");
    let report = run_child(
        "child_with_a_locked_secret_service",
        Some(OWN_SESSION),
        &[
            ("SCRATCH", scratch.display().to_string()),
            ("KEYRING_PASSWORD", KEYRING_PASSWORD.into()),
        ],
    )
    .await;
    assert_eq!(report.kind, "keyring_locked", "{}", report.message);
    assert_sentence(&report.message, name);
    assert_eq!(report.stranger.as_deref(), Some("state_mismatch"));
    assert!(report.finished_afterwards);
    let _ = std::fs::remove_dir_all(&scratch);
    Row::new(
        name,
        format!("{}: {}", report.kind, report.message),
        "yes (file identical, keyring identical after unlocking, sign-in waiting; once \
         unlocked, the same link connects)",
    )
}

async fn absent_secret_service(world: &World, secrets: &[String]) -> Row {
    let name = "absent Secret Service (DBUS_SESSION_BUS_ADDRESS points nowhere): the waiting sign-in's own link";
    let before = world.layer.stored().await;
    let report = run_child(
        "child_without_a_secret_service",
        None,
        &[
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/fitauth-test-bus".into(),
            ),
            (CHILD_HOME, world.layer.home.display().to_string()),
            (CHILD_LINK, world.link.clone()),
        ],
    )
    .await;
    assert_eq!(report.kind, "keyring_unavailable", "{}", report.message);
    assert_sentence(&report.message, name);
    assert_eq!(
        report.keyring_problem.as_deref(),
        Some("keyring_unavailable")
    );
    assert_eq!(report.stranger.as_deref(), Some("state_mismatch"));
    assert_eq!(before, world.layer.stored().await, "{name}: stored");
    assert!(world.waiting().await, "{name}: the sign-in still waits");
    assert_redacted(&report.log, &world.layer.app, secrets, name);
    Row::new(
        name,
        format!("{}: {}", report.kind, report.message),
        "yes (file and keyring identical; sign-in waiting)",
    )
}

/// The child of [`locked_secret_service`], in its own D-Bus session: sets up a world, locks the
/// keyring, hands the layer the waiting sign-in's own link, then unlocks (a new keyring daemon
/// with the password, as a fresh login would) and finishes the same link.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a child of hostile_redirects_are_refused_and_change_nothing, in a D-Bus session of its own"]
async fn child_with_a_locked_secret_service() {
    capture_log();
    let home = temp_home("hostile-locked-home");
    let world = world(&home).await;
    let before = world.layer.stored().await;
    let mut secrets = world.secrets().await;

    let _ = tokio::process::Command::new("secret-tool")
        .args(["lock", "--collection=login"])
        .stderr(std::process::Stdio::null())
        .status()
        .await; // secret-tool may crash after locking (Debian 12); the lock takes effect
    let store = world.layer.store.clone();
    let account = world.account.clone();
    let locked = tokio::task::spawn_blocking(move || store.access_token(&account))
        .await
        .unwrap()
        .expect_err("the keyring is locked");
    assert_eq!(locked.kind(), "keyring_locked");

    let result = world.layer.app.finish_redirect(&world.link).await;
    let (kind, message) = refusal(result, "locked");
    let stranger = format!(
        "fitauth://callback?code={}&state={}",
        random(16),
        random(32)
    );
    secrets.extend(carried(&stranger));
    let (stranger_kind, _) = refusal(world.layer.app.finish_redirect(&stranger).await, "locked");
    assert_eq!(
        std::fs::read(world.layer.store.metadata_path()).unwrap(),
        before.file
    );
    assert!(world.waiting().await);

    let unlocked = tokio::process::Command::new("sh")
        .args([
            "-c",
            "printf %s \"$KEYRING_PASSWORD\" | gnome-keyring-daemon --replace --unlock --components=secrets",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .unwrap();
    assert!(unlocked.success());
    let reopened = Layer::open(&home, Timeouts::default());
    assert_eq!(
        before,
        reopened.stored().await,
        "keyring and file as they were"
    );
    let connected = reopened.app.finish_redirect(&world.link).await.unwrap();
    assert!(connected.updated);
    assert_redacted(&log_text(), &world.layer.app, &secrets, "locked");
    assert_redacted(&log_text(), &reopened.app, &secrets, "locked");
    write_child_report(&ChildReport {
        kind,
        message,
        keyring_problem: None,
        stranger: Some(stranger_kind),
        finished_afterwards: true,
        log: String::new(),
    });
}

/// The child of [`absent_secret_service`]: opens Fitauth as the apps do, with no D-Bus to find
/// a Secret Service on, and hands it the waiting sign-in's own link and a stranger's.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a child of hostile_redirects_are_refused_and_change_nothing, without a D-Bus session"]
async fn child_without_a_secret_service() {
    capture_log();
    let app = Fitauth::open(Options {
        home: Some(PathBuf::from(child_env(CHILD_HOME))),
        timeouts: Timeouts::default(),
    })
    .unwrap();
    let keyring_problem = app.keyring_problem().map(|e| e.kind().to_owned());
    let (kind, message) = refusal(app.finish_redirect(&child_env(CHILD_LINK)).await, "absent");
    let stranger = format!(
        "fitauth://callback?code={}&state={}",
        random(16),
        random(32)
    );
    let (stranger_kind, _) = refusal(app.finish_redirect(&stranger).await, "absent");
    write_child_report(&ChildReport {
        kind,
        message,
        keyring_problem,
        stranger: Some(stranger_kind),
        finished_afterwards: false,
        log: log_text(),
    });
}

// --- the whole table ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn hostile_redirects_are_refused_and_change_nothing() {
    capture_log();
    let world = world(&temp_home("hostile")).await;
    let secrets = world.secrets().await;
    let mut rows = Vec::new();
    for case in cases(&world) {
        rows.push(check_link(&world, &case, &secrets).await);
    }
    rows.push(no_sign_in_at_all(&world, &secrets).await);
    rows.push(link_burst(&world, &secrets).await);
    rows.push(connection_burst(&world, &secrets).await);
    if cfg!(target_os = "linux") {
        rows.push(absent_secret_service(&world, &secrets).await);
        rows.push(locked_secret_service().await);
    }

    // Through all of that the sign-in kept waiting: its own link still finishes it.
    let connected = world.layer.app.finish_redirect(&world.link).await.unwrap();
    assert_eq!(connected.account.id, world.account.id);
    let mut all = secrets.clone();
    all.extend(world.layer.stored().await.secrets());
    let log = log_text();
    assert_redacted(&log, &world.layer.app, &all, "the end");
    // The capture is real: the refusals above were logged (without their values).
    assert!(
        log.contains("no pending sign-in matches; refused"),
        "nothing captured?"
    );
    assert!(log.contains("state checked: it matches a pending sign-in"));
    rows.push(Row::new(
        "the waiting sign-in's own link, after all of the above",
        "— (connected: the account updated)".into(),
        "the sign-in was still waiting",
    ));

    let mut md = String::from(
        "# hostile-input: what Fitauth refuses where a sign-in comes back\n\n\
         Links handed to the use-case layer's `finish_redirect` (deep links, pasted addresses) \
         and raw connections to the loopback listener, with a connected account and a sign-in \
         waiting in the store. \"state unchanged\": the metadata file byte for byte and every \
         keyring entry it refers to are identical, and the waiting sign-in still waits. \"log \
         redacted\": the tracing output (captured at trace level) and the activity log hold no \
         code, state, token or verifier, neither the input's nor the stored ones.\n\n\
         | case | refusal shown (kind: message) | state unchanged | log redacted |\n\
         |---|---|---|---|\n",
    );
    for r in &rows {
        md.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            cell(&r.case),
            cell(&r.refusal),
            cell(&r.unchanged),
            r.redacted
        ));
    }
    write_report("hostile-input", &md);
}

//! The fault matrix (issue "Hardening"): every provider call the use-case layer makes
//! ([`Fitauth`]) against every fault the sandbox can switch on, over loopback, with the real
//! keyring. For each cell:
//!
//! 1. the error a person sees: its kind, and a message that is one sentence naming the problem;
//! 2. what is stored (tokens read straight from the keyring through the store, the account's
//!    metadata) is unchanged: none of these faults is the provider saying the tokens are dead
//!    (`invalid_grant`, `invalid_token`), the only answer that may change them;
//! 3. once the fault is cleared, the same operation succeeds;
//! 4. the whole operation (every call it makes, retries included) ended within the client's
//!    timeout — the person's `--timeout` — plus [`SLACK`] for the store and keyring work
//!    around the calls, which no timeout cuts short.
//!
//! The profile call is best effort by design (a sign-in whose tokens arrived connects without
//! it, `service::connect`), so its row is a sign-in that succeeds: it must save the new pair
//! and keep the name and user id it already knew.
//!
//! Every cell has its own sandbox, data directory and HTTP client, so cells run side by side.
//! The table goes to `target/tmp/reports/fault-matrix.md`.

#[path = "support/layer.rs"]
mod layer;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fitauth_core::service::apps::RegistrationInput;
use fitauth_core::service::connect::SignInRequest;
use fitauth_core::{
    AccountState, AppType, ClientSecret, Error, ProviderKind, RedirectMode, Timeouts,
};
use fitauth_sandbox::{FaultKind, FaultSpec};
use layer::{assert_sentence, cell, sandbox, temp_home, write_report, Layer};

/// The client timeout of the `slow` cells (short, so the matrix is quick).
const SLOW_TIMEOUT: Duration = Duration::from_secs(2);
/// The client timeout of the other cells (their calls answer at once; room for a busy machine).
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long the `slow` fault holds an answer: well past [`SLOW_TIMEOUT`].
const SLOW_DELAY_MS: u64 = 6_000;
/// What an operation may take beyond its timeout: reading and writing the store and the keyring
/// around the calls — tens of milliseconds alone, but the cells run side by side against one
/// keyring, on a machine that may be busy.
const SLACK: Duration = Duration::from_secs(2);
/// Cells run at the same time.
const PARALLEL: usize = 9;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// Finishing a sign-in: the code exchange.
    Exchange,
    Refresh,
    Introspect,
    Revoke,
    /// The profile call a sign-in makes to learn who connected.
    Identity,
}

impl Op {
    const ALL: [Op; 5] = [
        Op::Exchange,
        Op::Refresh,
        Op::Introspect,
        Op::Revoke,
        Op::Identity,
    ];

    fn label(self) -> &'static str {
        match self {
            Op::Exchange => "exchange (finish sign-in)",
            Op::Refresh => "refresh",
            Op::Introspect => "introspect",
            Op::Revoke => "revoke",
            Op::Identity => "profile (on sign-in)",
        }
    }

    /// The sandbox endpoint (Fitbit dialect) the operation calls.
    fn path(self) -> &'static str {
        match self {
            Op::Exchange | Op::Refresh => "/oauth2/token",
            Op::Introspect => "/1.1/oauth2/introspect",
            Op::Revoke => "/oauth2/revoke",
            Op::Identity => "/1/user/-/profile.json",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Status500,
    Status503,
    Html,
    MalformedJson,
    Slow,
    Reset,
    TooManyRequests,
    Gone,
    Conflict,
}

impl Fault {
    const ALL: [Fault; 9] = [
        Fault::Status500,
        Fault::Status503,
        Fault::Html,
        Fault::MalformedJson,
        Fault::Slow,
        Fault::Reset,
        Fault::TooManyRequests,
        Fault::Gone,
        Fault::Conflict,
    ];

    fn label(self) -> &'static str {
        match self {
            Fault::Status500 => "500",
            Fault::Status503 => "503",
            Fault::Html => "HTML for JSON",
            Fault::MalformedJson => "malformed JSON",
            Fault::Slow => "slow (past the timeout)",
            Fault::Reset => "connection reset",
            Fault::TooManyRequests => "429",
            Fault::Gone => "410",
            Fault::Conflict => "409",
        }
    }

    fn spec(self, path: &str) -> FaultSpec {
        let (kind, status) = match self {
            Fault::Status500 => (FaultKind::ServerError, Some(500)),
            Fault::Status503 => (FaultKind::ServerError, Some(503)),
            Fault::Html => (FaultKind::Html, None),
            Fault::MalformedJson => (FaultKind::MalformedJson, None),
            Fault::Slow => (FaultKind::Slow, None),
            Fault::Reset => (FaultKind::Reset, None),
            Fault::TooManyRequests => (FaultKind::RateLimited, None),
            Fault::Gone => (FaultKind::Gone, None),
            Fault::Conflict => (FaultKind::Conflict, None),
        };
        FaultSpec {
            kind,
            path: Some(path.to_owned()),
            times: None,
            delay_ms: (self == Fault::Slow).then_some(SLOW_DELAY_MS),
            status,
        }
    }

    fn timeout(self) -> Duration {
        if self == Fault::Slow {
            SLOW_TIMEOUT
        } else {
            TIMEOUT
        }
    }

    /// The error kind a person gets, and words its message must contain.
    fn expected(self) -> (&'static str, &'static str) {
        match self {
            Fault::Status500 => ("server_error", "HTTP 500"),
            Fault::Status503 => ("server_error", "HTTP 503"),
            Fault::Html => ("unexpected_response", "an HTML page"),
            Fault::MalformedJson => ("unexpected_response", "malformed JSON"),
            Fault::Slow => ("timeout", "did not answer in time"),
            Fault::Reset => ("network", "connection"),
            Fault::TooManyRequests => ("rate_limited", "Rate-limited"),
            Fault::Gone => ("retired", "retired"),
            Fault::Conflict => ("conflict", "conflict"),
        }
    }
}

/// One row of the table.
struct Row {
    op: Op,
    fault: Fault,
    kind: String,
    message: String,
    stored: &'static str,
    next_ok: bool,
    seconds: f64,
}

async fn run_cell(op: Op, fault: Fault) -> Row {
    let name = format!("{} × {}", op.label(), fault.label());
    let sandbox = sandbox().await;
    let control = sandbox.control();
    let layer = Layer::open(
        &temp_home("fault-matrix"),
        Timeouts {
            connect: fault.timeout(),
            total: fault.timeout(),
        },
    );
    let connected = layer.connect(&sandbox).await;
    let account = connected.account.clone();
    assert_eq!(account.display_name.as_deref(), Some("Sam Sandbox"));
    // A sign-in to finish under the fault, consented before it is switched on.
    let link = match op {
        Op::Exchange | Op::Identity => Some(layer.consented_link(&sandbox).await.1),
        _ => None,
    };
    let before = layer.stored().await;
    let tokens_before = layer.tokens(&account.name).await;
    control.clear_requests();

    control.set_fault(fault.spec(op.path()));
    let started = Instant::now();
    let outcome = tokio::time::timeout(4 * fault.timeout(), attempt(&layer, op, link.as_deref()))
        .await
        .unwrap_or_else(|_| panic!("{name}: still running after 4× the timeout"));
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        seconds <= (fault.timeout() + SLACK).as_secs_f64(),
        "{name}: took {seconds:.2} s, past the {} s timeout",
        fault.timeout().as_secs()
    );
    let hit = control
        .requests()
        .iter()
        .filter(|r| r.path == op.path())
        .count();
    assert!(hit > 0, "{name}: the faulted endpoint was called");

    let after_meta = layer.app.account_by_id(&account.id).await.unwrap();
    let tokens_after = layer.tokens(&account.name).await;
    let (kind, message, stored) = match (op, outcome) {
        (Op::Identity, Ok(())) => {
            // Connected without the profile: the new pair is saved (the sign-in worked), and
            // who the account is stays as it was known.
            assert_ne!(tokens_after, tokens_before, "{name}: the new pair is saved");
            assert_eq!(after_meta.name, account.name, "{name}");
            assert_eq!(after_meta.user_id, account.user_id, "{name}");
            assert_eq!(
                after_meta.display_name, account.display_name,
                "{name}: the name is kept"
            );
            assert_eq!(layer.app.accounts().await.unwrap().len(), 1, "{name}");
            let log = layer.app.exchange_log().tagged(&account.id);
            let last_profile = log
                .iter()
                .rev()
                .find(|x| x.operation == fitauth_core::Operation::Identity)
                .expect("the profile call is in the account's activity log");
            assert!(
                last_profile.transport_error.is_some()
                    || last_profile.status != Some(200)
                    || !last_profile.response_body.contains("encodedId"),
                "{name}: the activity log shows the failed profile call"
            );
            (
                "— (connected)".to_owned(),
                format!(
                    "none: connected as {}; the failed profile call is in the activity log",
                    after_meta.label()
                ),
                "new pair saved (sign-in succeeded); name and user kept",
            )
        }
        (Op::Identity, Err(e)) => panic!("{name}: the sign-in should connect: {e:?}"),
        (_, Ok(())) => panic!("{name}: succeeded under the fault"),
        (_, Err(e)) => {
            let (kind, words) = fault.expected();
            let message = e.to_string();
            assert_eq!(e.kind(), kind, "{name}: {message}");
            assert!(message.contains(words), "{name}: {message}");
            assert_sentence(&message, &name);
            assert_eq!(tokens_after, tokens_before, "{name}: tokens unchanged");
            assert_eq!(after_meta, account, "{name}: account unchanged");
            // A failed exchange has taken its sign-in and noted the failure (the file changes
            // for that); every other operation leaves the store as it was, byte for byte.
            if op != Op::Exchange {
                assert_eq!(
                    before,
                    layer.stored().await,
                    "{name}: nothing stored changed"
                );
            }
            (kind.to_owned(), message, "yes")
        }
    };

    control.clear_faults();
    let next = match op {
        Op::Exchange | Op::Identity => {
            let (_, link) = layer.consented_link(&sandbox).await;
            attempt(&layer, op, Some(&link)).await
        }
        _ => attempt(&layer, op, None).await,
    };
    next.unwrap_or_else(|e| panic!("{name}: the next call fails: {e:?}"));
    let after = layer.app.account_by_id(&account.id).await.unwrap();
    match op {
        Op::Revoke => assert_eq!(after.state, AccountState::Revoked, "{name}"),
        _ => {
            assert_eq!(after.state, AccountState::Active, "{name}");
            assert_eq!(after.display_name.as_deref(), Some("Sam Sandbox"));
        }
    }
    drop(sandbox);
    Row {
        op,
        fault,
        kind,
        message,
        stored,
        next_ok: true,
        seconds,
    }
}

/// Runs the operation once through the use-case layer.
async fn attempt(layer: &Layer, op: Op, link: Option<&str>) -> Result<(), Error> {
    let app = &layer.app;
    match op {
        Op::Exchange | Op::Identity => {
            let connected = app
                .finish_redirect(link.expect("a link"))
                .await
                .map_err(|r| r.into_error().expect("the sign-in was ours"))?;
            assert!(connected.updated, "the same person's account is updated");
            Ok(())
        }
        Op::Refresh => app.refresh(None).await.map(drop),
        Op::Introspect => {
            let (_, verdict) = app.introspect(None).await?;
            assert!(verdict.active);
            Ok(())
        }
        Op::Revoke => app
            .revoke(None, fitauth_core::TokenKind::Refresh)
            .await
            .map(drop),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_under_every_fault() {
    let limit = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    let mut cells = tokio::task::JoinSet::new();
    for op in Op::ALL {
        for fault in Fault::ALL {
            let limit = limit.clone();
            cells.spawn(async move {
                let _turn = limit.acquire_owned().await.unwrap();
                run_cell(op, fault).await
            });
        }
    }
    let (mut rows, mut failed) = (Vec::new(), Vec::new());
    while let Some(row) = cells.join_next().await {
        match row {
            Ok(row) => rows.push(row),
            Err(e) => {
                let panic = e.into_panic();
                let text = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failed.push(text);
            }
        }
    }
    assert!(failed.is_empty(), "cells failed:\n{}", failed.join("\n"));
    let position = |r: &Row| {
        (
            Op::ALL.iter().position(|o| *o == r.op),
            Fault::ALL.iter().position(|f| *f == r.fault),
        )
    };
    rows.sort_by_key(position);
    assert_eq!(rows.len(), Op::ALL.len() * Fault::ALL.len());

    let mut md = String::from(
        "# fault-matrix: each provider call under each sandbox fault\n\n\
         Through the use-case layer (`Fitauth`), Fitbit dialect, real keyring. \"stored\" compares \
         the tokens read from the keyring and the account's metadata before and after: none of \
         these faults is the provider declaring the tokens dead, so none may change them (the \
         profile row is a sign-in that succeeds: its new pair is saved, the known name kept). \
         \"next call\" repeats the operation once the fault is cleared. Seconds: the whole \
         operation, every call and retry in it, which must end within the timeout (2 s for the \
         slow cells, 10 s otherwise) plus 2 s for the store and keyring work around the calls \
         (nine cells run side by side against one keyring).\n\n\
         | operation | fault | error kind | message | stored | next call | seconds | timeout |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for r in &rows {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {:.2} | {} s |\n",
            r.op.label(),
            r.fault.label(),
            r.kind,
            cell(&r.message),
            r.stored,
            if r.next_ok { "ok" } else { "FAILED" },
            r.seconds,
            r.fault.timeout().as_secs()
        ));
    }
    write_report("fault-matrix", &md);
}

/// Google accounts are told apart by the ID token's subject and show the Health user id: an
/// identity outage during a reconnect must not swap the one for the other, nor the email label.
#[tokio::test(flavor = "multi_thread")]
async fn a_google_identity_outage_keeps_the_health_user_id() {
    let sandbox = sandbox().await;
    let layer = Layer::open(
        &temp_home("fault-google"),
        Timeouts {
            connect: TIMEOUT,
            total: TIMEOUT,
        },
    );
    let registration = layer
        .app
        .save_registration(RegistrationInput {
            name: "google".into(),
            provider: ProviderKind::GoogleHealth,
            client_id: "sandbox-google".into(),
            app_type: AppType::Client,
            redirect: RedirectMode::Loopback,
            base_url: Some(sandbox.base_url().into()),
            client_secret: Some(ClientSecret::new("sandbox-google-secret")),
            testing: false,
        })
        .await
        .unwrap();
    let sleep = "https://www.googleapis.com/auth/googlehealth.sleep.readonly";
    let request = || SignInRequest::new(registration.clone(), vec![sleep.into()]);
    let first = layer.connect_over_loopback(request()).await.account;
    assert_eq!(first.user_id.as_deref(), Some("sandbox-user-0001"));
    assert_eq!(
        first.display_name.as_deref(),
        Some("sam.sandbox@example.com")
    );

    sandbox
        .control()
        .set_fault(Fault::Status503.spec("/v4/users/me/identity"));
    let again = layer.connect_over_loopback(request()).await;
    assert!(again.updated);
    assert_eq!(again.account.id, first.id);
    assert_eq!(
        again.account.user_id, first.user_id,
        "not the subject instead"
    );
    assert_eq!(again.account.display_name, first.display_name);
    assert_ne!(
        again.account.generation, first.generation,
        "the new pair saved"
    );
}

/// One deadline per operation: an introspect whose token is due refreshes first, and both calls
/// together — not each — end within the timeout (before, each call had the full timeout, so a
/// dead provider cost an introspect more than the time the person asked for).
#[tokio::test(flavor = "multi_thread")]
async fn a_refresh_and_an_introspect_share_one_timeout() {
    // Long enough that the refresh's first try (a third of it) outlasts the slow answer below.
    const DEADLINE: Duration = Duration::from_secs(9);
    // One operation's store and keyring work (the matrix's cells may run beside it).
    const MARGIN: Duration = Duration::from_millis(1_500);
    let sandbox = sandbox().await;
    let control = sandbox.control();
    let layer = Layer::open(
        &temp_home("fault-deadline"),
        Timeouts {
            connect: DEADLINE,
            total: DEADLINE,
        },
    );
    // An access token that is due at once, so introspect refreshes first.
    control.update_settings(fitauth_sandbox::SettingsPatch {
        access_token_ttl_secs: Some(60),
        ..Default::default()
    });
    let account = layer.connect(&sandbox).await.account;
    let tokens_before = layer.tokens(&account.name).await;
    // The token endpoint takes 2.5 s, then the introspect endpoint never answers: with a
    // timeout per call this took 2.5 + 9 s; with one per operation, 9 s.
    control.set_fault(FaultSpec {
        kind: FaultKind::Slow,
        path: Some(Op::Refresh.path().to_owned()),
        times: Some(1),
        delay_ms: Some(2_500),
        status: None,
    });
    control.set_fault(FaultSpec {
        delay_ms: Some(20_000),
        ..Fault::Slow.spec(Op::Introspect.path())
    });
    let started = Instant::now();
    let e = layer.app.introspect(None).await.unwrap_err();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(e.kind(), "timeout", "{e}");
    assert!(
        seconds <= (DEADLINE + MARGIN).as_secs_f64(),
        "refresh and introspect took {seconds:.2} s together, past the {} s timeout",
        DEADLINE.as_secs()
    );
    // The refresh went through and its pair is saved; only the question timed out.
    assert_ne!(layer.tokens(&account.name).await, tokens_before);
    control.clear_faults();
    let (_, verdict) = layer.app.introspect(None).await.unwrap();
    assert!(verdict.active);
}

//! Kill trials: `fitauth refresh` and `fitauth token` killed with `SIGKILL` at random moments of a
//! refresh, one at a time and then several at once on one account, against the sandbox (real
//! processes, the real keyring, HTTP over loopback). No account may be lost, and the sandbox must
//! never see a stale refresh token: one the provider rotated longer ago than its grace interval,
//! or whose new pair was already used.
//!
//! Fitbit's refresh tokens are single-use, and "a duplicate refresh token request made within a
//! short grace interval" gets the same new pair back
//! (<https://dev.fitbit.com/build/reference/web-api/authorization/refresh-token/>). A process
//! killed after the provider rotated but before the keyring write leaves the old token stored;
//! the next refresh must then be answered as such a duplicate. The sandbox counts what each
//! refresh request presented (`fitauth_sandbox::RefreshStats`); the table goes to
//! `target/tmp/reports/kill-trials.md`. `FITAUTH_KILL_SEED` replays a run's choices.

mod common;
#[path = "../../../tests/support/trials.rs"]
mod trials;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{status_json, Harness};
use serde_json::json;
use tokio::process::Command;
use trials::{kill_after, Ended, Rng, Row, HANG_GUARD};

const ACCOUNT: &str = "k";
/// Killed one at a time, each followed by a refresh that must succeed.
const SEQUENTIAL_TRIALS: u64 = 40;
/// Processes refreshing the one account at once, and how many commands each runs.
const WORKERS: u64 = 4;
const ROUNDS: u64 = 8;
/// How often a concurrent run is killed.
const KILL_PERCENT: u64 = 50;

#[tokio::test(flavor = "multi_thread")]
async fn no_account_is_lost_and_no_stale_token_is_sent_when_fitauth_is_killed() {
    let seed = trials::seed();
    let mut rng = Rng::new(seed);
    let h = Arc::new(Harness::start().await);
    // Every access token is inside the 5-minute refresh window, so `fitauth token` refreshes too.
    h.settings(json!({ "access_token_ttl_secs": 60, "rate_limit": 100_000 }))
        .await;
    h.login_fitbit(ACCOUNT).await;
    let span = whole_refresh(&h).await;
    println!("kill trials: a whole `fitauth refresh` takes up to {span:?} here");

    let mut rows = vec![sequential(&h, &mut rng, span, seed).await];
    // A concurrent run may first wait for another's refresh (the account's lock).
    rows.push(concurrent(&h, &mut rng, span * 2, None, seed).await);
    let hold = Duration::from_millis(200);
    rows.push(concurrent(&h, &mut rng, (span + hold) * 2, Some(hold), seed).await);

    trials::report(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
        "kill-trials",
        "Kill trials: `fitauth` killed (SIGKILL) mid-refresh",
        "`fitauth refresh` / `fitauth token` on one Fitbit sandbox account, killed at random \
         moments: one at a time (some with the provider's answer held back, so kills land after \
         the rotation and before the save), then 4 processes at once, restarted after each kill \
         (the last phase with every answer held 200 ms). *Answered*: refresh requests the sandbox \
         answered with tokens; *within-grace duplicates*: old refresh tokens presented again \
         within Fitbit's grace interval (a killed refresh's recovery); *stale*: tokens presented \
         after they were rotated past the grace interval or after their new pair was used; \
         *lost*: accounts that need a reconnect afterwards.",
        &rows,
    );
    for row in &rows {
        assert_eq!(row.stats.stale, 0, "{}: stale refresh tokens", row.phase);
        assert_eq!(
            row.stats.revoked + row.stats.unknown,
            0,
            "{}: refused refresh tokens",
            row.phase
        );
        assert_eq!(row.accounts_lost, 0, "{}: accounts lost", row.phase);
        assert!(row.kills > 0, "{}: nothing was killed", row.phase);
    }
}

/// A `fitauth` command on the trial account, with a timeout that a loaded machine cannot hit.
fn fitauth(h: &Harness, command: &str) -> Command {
    let mut cmd = h.command(&[command, "--account", ACCOUNT]);
    cmd.env("FITAUTH_TIMEOUT", "20");
    cmd
}

/// How long a whole `fitauth refresh` takes on this machine (the longest of three), to spread
/// the kill moments over: process start, keyring reads, the request, the keyring writes.
async fn whole_refresh(h: &Harness) -> Duration {
    let mut longest = Duration::ZERO;
    for _ in 0..3 {
        let started = Instant::now();
        let out = fitauth(h, "refresh").output().await.unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        longest = longest.max(started.elapsed());
    }
    longest
}

/// Accounts that need a reconnect: a refresh that fails, or a state other than active after it.
async fn accounts_lost(h: &Harness) -> u64 {
    let refreshed = fitauth(h, "refresh").output().await.unwrap();
    let introspected = fitauth(h, "introspect").output().await.unwrap();
    let status = h.ok(&["status", "--json"]).await;
    let active = status_json(&status)
        .iter()
        .filter(|a| a["state"] == "active")
        .count();
    let lost = !(refreshed.status.success() && introspected.status.success() && active == 1);
    if lost {
        println!(
            "account lost: refresh {}, introspect {}, status {status}",
            String::from_utf8_lossy(&refreshed.stderr),
            String::from_utf8_lossy(&introspected.stderr)
        );
    }
    u64::from(lost)
}

/// Kills one command at a time at a random moment, then checks that the next refresh succeeds
/// and the account still works. A third of the trials kill anywhere in a whole refresh, a third
/// anywhere with the provider's answer held back, and a third after the provider has rotated
/// (seen in its counters) while the answer is held: the refresh token then exists only in the
/// answer that never arrives.
async fn sequential(h: &Harness, rng: &mut Rng, span: Duration, seed: u64) -> Row {
    let before = h.refresh_stats();
    let (mut kills, mut unsaved_rotations) = (0, 0);
    for trial in 0..SEQUENTIAL_TRIALS {
        let command = if rng.percent(50) { "refresh" } else { "token" };
        let kind = rng.below(3);
        let hold = Duration::from_millis(100 + rng.below(300));
        if kind > 0 {
            h.fault(json!({ "kind": "slow", "path": "/oauth2/token",
                            "delay_ms": hold.as_millis() as u64, "times": 1 }))
                .await;
        }
        let stored = h.stored_refresh_token(ACCOUNT);
        let at_start = h.refresh_stats();
        let child = fitauth(h, command).spawn().unwrap();
        let ended = match kind {
            0 => kill_after(child, Some(rng.up_to(span))).await,
            1 => kill_after(child, Some(rng.up_to(span + hold))).await,
            _ => {
                let deadline = Instant::now() + HANG_GUARD;
                while h.refresh_stats().answered() == at_start.answered() {
                    assert!(
                        Instant::now() < deadline,
                        "the refresh never reached the sandbox"
                    );
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                kill_after(child, Some(rng.up_to(hold / 2))).await
            }
        };
        h.clear_faults().await;
        match ended {
            Ended::Killed => kills += 1,
            Ended::Exited(out) => assert!(
                out.status.success(),
                "trial {trial}: {command} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
        // The provider rotated, but the new pair never reached the keyring.
        let unsaved = h.refresh_stats().answered() > at_start.answered()
            && h.stored_refresh_token(ACCOUNT) == stored;
        unsaved_rotations += u64::from(unsaved);

        let ahead = h.refresh_stats();
        let out = fitauth(h, "refresh").output().await.unwrap();
        assert!(
            out.status.success(),
            "trial {trial} ({command}, kill kind {kind}): the next refresh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let recovery = h.refresh_stats() - ahead;
        assert_eq!(recovery.refused(), 0, "trial {trial}: {recovery:?}");
        if unsaved {
            assert_eq!(
                recovery.within_grace, 1,
                "trial {trial}: the lost answer is recovered as a duplicate: {recovery:?}"
            );
        }
        h.ok(&["introspect", "--account", ACCOUNT]).await;
    }
    println!("kill trials: {unsaved_rotations} kills fell between the rotation and the save");
    assert!(
        unsaved_rotations > 0,
        "no kill landed between the provider's rotation and the save"
    );
    Row {
        phase: "one at a time".into(),
        trials: SEQUENTIAL_TRIALS,
        kills,
        stats: h.refresh_stats() - before,
        accounts_lost: accounts_lost(h).await,
        seed,
    }
}

/// [`WORKERS`] processes loop `fitauth refresh` / `fitauth token` on the one account, each run
/// killed with probability [`KILL_PERCENT`] within `span` and followed at once by the next;
/// `hold` holds back every token answer. Runs that are not killed must succeed.
async fn concurrent(
    h: &Arc<Harness>,
    rng: &mut Rng,
    span: Duration,
    hold: Option<Duration>,
    seed: u64,
) -> Row {
    if let Some(hold) = hold {
        h.fault(json!({ "kind": "slow", "path": "/oauth2/token",
                        "delay_ms": hold.as_millis() as u64 }))
            .await;
    }
    let before = h.refresh_stats();
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        let (h, stop, rng) = (h.clone(), stop.clone(), rng.split());
        workers.spawn(trials::run_loop(
            rng,
            stop,
            ROUNDS,
            KILL_PERCENT,
            span,
            move |rng| fitauth(&h, if rng.percent(50) { "refresh" } else { "token" }),
        ));
    }
    let (mut runs, mut kills, mut failures) = (0, 0, vec![]);
    while let Some(done) = workers.join_next().await {
        let done = done.unwrap();
        runs += done.runs;
        kills += done.kills;
        failures.extend(done.failures);
    }
    h.clear_faults().await;
    assert!(
        failures.is_empty(),
        "runs that were not killed failed: {failures:#?}"
    );
    Row {
        phase: match hold {
            None => format!("{WORKERS} at once"),
            Some(hold) => format!("{WORKERS} at once, answers held {}ms", hold.as_millis()),
        },
        trials: runs,
        kills,
        stats: h.refresh_stats() - before,
        accounts_lost: accounts_lost(h).await,
        seed,
    }
}

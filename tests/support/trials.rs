//! What the kill trials of the command (`crates/fitauth-cli/tests/kill_trials.rs`) and of the
//! desktop app (`tests/e2e/tests/kill_trials.rs`) share, included by both with `#[path]`: a seeded
//! random generator, killing a process at a chosen moment, command loops that may be killed and
//! restarted, and the report table.
//!
//! A kill is `SIGKILL` (`kill(2)`: it "cannot be caught, blocked, or ignored",
//! <https://man7.org/linux/man-pages/man7/signal.7.html>): no shield, no cleanup, the process is
//! gone at whatever instruction it was on. What must survive it is the account: the refresh token
//! in the keyring either is still the one the provider knows or, if the provider had already
//! rotated it, is answered again within Fitbit's duplicate-request grace
//! (<https://dev.fitbit.com/build/reference/web-api/authorization/refresh-token/>).

#![allow(dead_code)] // each test crate uses its own part

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fitauth_sandbox::RefreshStats;
use tokio::process::{Child, Command};

/// A command that does not end within this is hung: the trial fails (a hang guard, not a
/// timing assertion).
pub const HANG_GUARD: Duration = Duration::from_secs(90);

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014;
/// reference code: <https://prng.di.unimi.it/splitmix64.c>): small, seedable, good enough to
/// pick kill moments, and the same sequence for the same seed on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0; the modulo bias is irrelevant at these sizes).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A uniformly random span of `0..max`.
    pub fn up_to(&mut self, max: Duration) -> Duration {
        Duration::from_micros(self.below(max.as_micros().max(1) as u64))
    }

    /// An independent generator for a concurrent worker.
    pub fn split(&mut self) -> Rng {
        Rng(self.next_u64())
    }
}

/// The run's seed: `FITAUTH_KILL_SEED` replays a run, otherwise the clock picks one. Printed, so
/// a failure can be replayed (the kill moments, not the scheduler's timing).
pub fn seed() -> u64 {
    let seed = std::env::var("FITAUTH_KILL_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    println!("kill trials: seed {seed} (FITAUTH_KILL_SEED={seed} replays the choices)");
    seed
}

/// How a process ended.
#[derive(Debug)]
pub enum Ended {
    /// By our `SIGKILL`.
    Killed,
    /// On its own, before the kill was due.
    Exited(std::process::Output),
}

/// Lets `child` run for `delay`, then kills it with `SIGKILL`, unless it ended first; with no
/// `delay` it must end on its own (within [`HANG_GUARD`]). Its stdout and stderr must be piped
/// (they are returned when it ends on its own).
pub async fn kill_after(mut child: Child, delay: Option<Duration>) -> Ended {
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let due = delay.unwrap_or(HANG_GUARD);
    let status = tokio::select! {
        status = child.wait() => Some(status.expect("waited for the child")),
        _ = tokio::time::sleep(due) => None,
    };
    let status = match status {
        Some(status) => status,
        None => {
            assert!(delay.is_some(), "a command hung for {HANG_GUARD:?}");
            // It may have ended just now: then the signal finds a zombie and changes nothing.
            let _ = child.start_kill();
            let status = tokio::time::timeout(HANG_GUARD, child.wait())
                .await
                .expect("a killed process is reaped")
                .expect("waited for the child");
            if was_killed(status) {
                return Ended::Killed;
            }
            status
        }
    };
    Ended::Exited(std::process::Output {
        status,
        stdout: read_all(stdout.as_mut()).await,
        stderr: read_all(stderr.as_mut()).await,
    })
}

async fn read_all(pipe: Option<&mut (impl tokio::io::AsyncRead + Unpin)>) -> Vec<u8> {
    let mut out = vec![];
    if let Some(pipe) = pipe {
        let _ = tokio::io::AsyncReadExt::read_to_end(pipe, &mut out).await;
    }
    out
}

pub fn was_killed(status: ExitStatus) -> bool {
    status.signal() == Some(9)
}

/// What one looping worker did.
#[derive(Debug, Default)]
pub struct Loop {
    pub runs: u64,
    pub kills: u64,
    /// Every run that ended on its own without success: the command line's stderr.
    pub failures: Vec<String>,
}

/// Runs commands from `make` one after the other, `rounds` times or until `stop` is set; each run is killed with
/// probability `kill_percent` at a random moment within `span` (then the next one starts at
/// once, as a restarted program would). A run that ends on its own must succeed: its failures
/// are returned.
pub async fn run_loop(
    mut rng: Rng,
    stop: Arc<AtomicBool>,
    rounds: u64,
    kill_percent: u64,
    span: Duration,
    mut make: impl FnMut(&mut Rng) -> Command,
) -> Loop {
    let mut done = Loop::default();
    while done.runs < rounds && !stop.load(Ordering::SeqCst) {
        let child = make(&mut rng).spawn().expect("started the command");
        let delay = rng.percent(kill_percent).then(|| rng.up_to(span));
        done.runs += 1;
        match kill_after(child, delay).await {
            Ended::Killed => done.kills += 1,
            Ended::Exited(out) if !out.status.success() => done.failures.push(format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )),
            Ended::Exited(_) => {}
        }
    }
    done
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct Row {
    pub phase: String,
    pub trials: u64,
    pub kills: u64,
    /// What the sandbox counted during the phase.
    pub stats: RefreshStats,
    pub accounts_lost: u64,
    pub seed: u64,
}

/// Writes the report `name` to `<target tmp>/reports/<name>.md` and prints it.
pub fn report(tmp_dir: &Path, name: &str, title: &str, what: &str, rows: &[Row]) {
    let mut md = format!(
        "# {title}\n\n{what}\n\n\
         | phase | trials | kills | refreshes the provider answered | within-grace duplicates | stale refresh tokens | refused (revoked, unknown) | accounts lost | seed |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for r in rows {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.phase,
            r.trials,
            r.kills,
            r.stats.answered(),
            r.stats.within_grace,
            r.stats.stale,
            r.stats.revoked + r.stats.unknown,
            r.accounts_lost,
            r.seed
        ));
    }
    let dir = tmp_dir.join("reports");
    std::fs::create_dir_all(&dir).expect("the reports folder");
    std::fs::write(dir.join(format!("{name}.md")), &md).expect("the report is written");
    println!("{md}");
}

//! A desktop app launched as a person would: time until its window is visible on the X display
//! (polled with `xdotool`), then the memory of the app and every process it started (WebKit's
//! web and network processes) as PSS, after it has settled. Runs under Xvfb (scripts/bench).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct App {
    pub exe: PathBuf,
    /// The window title, matched exactly.
    pub title: String,
    pub env: Vec<(String, String)>,
}

pub struct Launch {
    pub visible_after: Duration,
    pub pss_kib: u64,
    /// The same PSS by process: the app's own, then each WebKit helper by name.
    pub pss_by_process: Vec<(String, u64)>,
}

pub fn launch(app: &App, settle: Duration, log: &std::path::Path) -> Result<Launch, String> {
    // A copy still running (the E2E driver's, ending) would take this launch as its second
    // instance: wait until it is gone.
    let deadline = Instant::now() + Duration::from_secs(30);
    while running(&app.exe) {
        if Instant::now() > deadline {
            return Err(format!(
                "{} is still running from before",
                app.exe.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let stderr = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let started = Instant::now();
    let mut child = Command::new(&app.exe)
        .envs(app.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("{}: {e}", app.exe.display()))?;
    let pattern = format!("^{}$", app.title);
    let visible_after = loop {
        if let Ok(Some(status)) = child.try_wait() {
            let said = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = said.lines().rev().take(12).collect();
            return Err(format!(
                "{} exited ({status}) before showing a window; it said:\n{}",
                app.exe.display(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ));
        }
        let found = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", &pattern])
            .stderr(Stdio::null())
            .output()
            .map_err(|e| format!("xdotool: {e}"))?;
        if found.status.success() && !found.stdout.is_empty() {
            break started.elapsed();
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            return Err(format!("no window titled {:?} within 60 s", app.title));
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    std::thread::sleep(settle);
    let pss_by_process = tree_pss(child.id());
    stop(&mut child);
    Ok(Launch {
        visible_after,
        pss_kib: pss_by_process.iter().map(|(_, kib)| kib).sum(),
        pss_by_process,
    })
}

/// SIGTERM (both apps quit the orderly way on it), then a kill after 15 s.
fn stop(child: &mut std::process::Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    // WebKit's helpers end with their parent; give them a moment so the next launch starts clean.
    std::thread::sleep(Duration::from_millis(300));
}

/// Whether a process of `exe` is running.
fn running(exe: &std::path::Path) -> bool {
    let Ok(exe) = std::fs::canonicalize(exe) else {
        return false;
    };
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| std::fs::read_link(entry.path().join("exe")).is_ok_and(|p| p == exe))
}

/// PSS of `root` and all its descendants, from /proc/PID/smaps_rollup, with each process's
/// name (`comm`: "WebKitWebProces", "WebKitNetworkPr", ...); `root` first.
pub fn tree_pss(root: u32) -> Vec<(String, u64)> {
    let mut parents = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(ppid) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| parent_of(&stat))
            {
                parents.push((pid, ppid));
            }
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let p = tree[i];
        tree.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    tree.iter()
        .map(|pid| {
            let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            (name.trim().to_owned(), pss_kib(*pid))
        })
        .collect()
}

/// The parent pid from /proc/PID/stat (the field after the parenthesised name, which may contain
/// spaces and parentheses).
fn parent_of(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

fn pss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("Pss:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_pid_after_an_odd_name() {
        assert_eq!(parent_of("42 (a) b (c)) S 7 42 42 0"), Some(7));
        assert_eq!(parent_of("1 (init) S 0 1 1"), Some(0));
    }

    #[test]
    fn this_process_has_memory() {
        let tree = tree_pss(std::process::id());
        assert!(tree[0].1 > 0);
        assert!(!tree[0].0.is_empty());
    }
}

//! `fitauth-bench`: the figures of docs/benchmarks.md, each against a baseline measured in the
//! same run. `scripts/bench` builds everything (Fitauth, the bare Tauri app of
//! benches/bare-tauri, both `.deb`s) and runs this inside a private D-Bus session with a
//! throwaway gnome-keyring, under Xvfb; `scripts/bench --smoke` (part of the test command) runs
//! each figure once, without targets, so the benchmark cannot rot.

mod cli;
mod desktop;
mod protocol;
mod report;
mod sizes;
mod stats;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use fitauth_sandbox::{Sandbox, SandboxConfig};

use report::{Machine, Report, Row, Unit};
use stats::Summary;

#[derive(Parser, Debug)]
#[command(about = "Fitauth's benchmarks against same-run baselines")]
struct Args {
    /// One repetition of everything, no targets (the test command's smoke run).
    #[arg(long)]
    smoke: bool,
    /// Only these parts (repeatable; all of them when absent). `--only protocol` needs none of
    /// the files below: scripts/bench-profiles uses it to compare release profiles.
    #[arg(long, value_enum)]
    only: Vec<Part>,
    /// Protocol calls per row (default: 200, or 2 in a smoke run).
    #[arg(long)]
    calls: Option<usize>,
    /// Fitauth's desktop executable.
    #[arg(long)]
    app: Option<PathBuf>,
    /// The `fitauth` command.
    #[arg(long)]
    cli: Option<PathBuf>,
    /// The bare Tauri app (benches/bare-tauri).
    #[arg(long)]
    bare: Option<PathBuf>,
    /// Fitauth's .deb.
    #[arg(long)]
    app_deb: Option<PathBuf>,
    /// The bare app's .deb.
    #[arg(long)]
    bare_deb: Option<PathBuf>,
    /// The repository (for the scripted browser, tests/support/consenting-browser).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Where to write the Markdown table (otherwise it is only printed).
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Where to write the JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Text added after the table (scripts/bench passes where the bytes go, from cargo bloat).
    #[arg(long)]
    notes: Vec<PathBuf>,
    /// The IPC round-trips `ipc_round_trips` (tests/e2e/tests/desktop.rs) measured in the
    /// windows: `{refresh_ms, introspect_ms, ping_ms}`.
    #[arg(long)]
    ipc: Option<PathBuf>,
    /// The command line to print as "reproduce with".
    #[arg(long, default_value = "scripts/bench")]
    command: String,
}

/// The parts of the benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    /// Executables, `.deb`s and installed sizes.
    Sizes,
    /// Launch to a visible window, and memory.
    Launch,
    /// The IPC round-trips (from `--ipc`).
    Ipc,
    /// Each protocol call through fitauth-core, plain reqwest and curl.
    Protocol,
    /// The `fitauth` command: a cached token, eight concurrent tokens.
    Cli,
}

/// Whole-process timings of the `fitauth` command and its baselines.
#[derive(Default)]
struct CliTimings {
    cached: Vec<f64>,
    lookup: Vec<f64>,
    single: Vec<f64>,
    concurrent: Vec<f64>,
    concurrent_fresh: Vec<f64>,
    concurrent_lookups: Vec<f64>,
}

/// A path the chosen parts need.
fn need<'a>(path: &'a Option<PathBuf>, flag: &str) -> Result<&'a PathBuf, String> {
    path.as_ref()
        .ok_or_else(|| format!("{flag} is needed for the parts asked for (see --only)"))
}

struct Plan {
    launches: usize,
    settle: Duration,
    calls: usize,
    token_runs: usize,
    concurrency_runs: usize,
    /// Targets apply (not in a smoke run).
    targets: bool,
}

impl Plan {
    fn target(&self, ratio: f64) -> Option<f64> {
        self.targets.then_some(ratio)
    }
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fitauth-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let plan = if args.smoke {
        Plan {
            launches: 1,
            settle: Duration::from_secs(1),
            calls: args.calls.unwrap_or(2),
            token_runs: 2,
            concurrency_runs: 1,
            targets: false,
        }
    } else {
        Plan {
            launches: 7,
            settle: Duration::from_secs(10),
            calls: args.calls.unwrap_or(200),
            token_runs: 30,
            concurrency_runs: 10,
            targets: true,
        }
    };
    let wants = |part: Part| args.only.is_empty() || args.only.contains(&part);
    let scratch = std::env::temp_dir().join(format!("fitauth-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    let mut notes = Vec::new();

    if wants(Part::Sizes) {
        rows.extend(size_rows(&args, &plan, &scratch)?);
    }
    if wants(Part::Launch) {
        rows.extend(launch_rows(&args, &plan, &scratch, &mut notes)?);
    }
    if let (true, Some(path)) = (wants(Part::Ipc), &args.ipc) {
        rows.extend(ipc_rows(path)?);
    }
    if wants(Part::Protocol) || wants(Part::Cli) {
        provider_rows(&args, &plan, &scratch, &wants, &mut rows, &mut notes).await?;
    }
    if let Some(root) = &args.root {
        notes.push(ui_bundle_note(&root.join("ui/dist")));
    }
    for path in &args.notes {
        notes.push(std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    let report = Report {
        date: today(),
        smoke: args.smoke,
        command: args.command.clone(),
        machine: machine(),
        rows,
        notes,
    };
    let markdown = report.markdown();
    print!("{markdown}");
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())? + "\n";
    for (path, text) in [(&args.markdown, markdown), (&args.json, json)] {
        let Some(path) = path else { continue };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// What people download and install.
fn size_rows(args: &Args, plan: &Plan, scratch: &Path) -> Result<Vec<Row>, String> {
    eprintln!("== sizes");
    let (app, cli, bare) = (
        need(&args.app, "--app")?,
        need(&args.cli, "--cli")?,
        need(&args.bare, "--bare")?,
    );
    let (app_deb, bare_deb) = (
        need(&args.app_deb, "--app-deb")?,
        need(&args.bare_deb, "--bare-deb")?,
    );
    let size = |p: &PathBuf| sizes::file_bytes(p).map(|b| Summary::exact(b as f64));
    let installed =
        |deb: &PathBuf| sizes::installed_bytes(deb, scratch).map(|b| Summary::exact(b as f64));
    Ok(vec![
        Row::new(
            "release executable (`fitauth-desktop`)",
            Unit::Bytes,
            size(app)?,
            "bare Tauri",
            size(bare)?,
            plan.target(1.25),
        ),
        Row::new(
            "both executables (`fitauth-desktop` + `fitauth`)",
            Unit::Bytes,
            Summary::exact(size(app)?.median + size(cli)?.median),
            "bare Tauri",
            size(bare)?,
            None,
        ),
        Row::new(
            "`.deb`",
            Unit::Bytes,
            size(app_deb)?,
            "bare Tauri",
            size(bare_deb)?,
            plan.target(1.25),
        ),
        Row::new(
            "installed size",
            Unit::Bytes,
            installed(app_deb)?,
            "bare Tauri",
            installed(bare_deb)?,
            plan.target(1.25),
        ),
    ])
}

/// Each app's own data directories under the scratch directory.
fn app_env(scratch: &Path, home: &str) -> Vec<(String, String)> {
    let dir = scratch.join("data").join(home);
    vec![
        ("XDG_DATA_HOME".to_owned(), dir.display().to_string()),
        (
            "XDG_CONFIG_HOME".to_owned(),
            dir.join("config").display().to_string(),
        ),
        (
            "FITAUTH_HOME".to_owned(),
            dir.join("fitauth").display().to_string(),
        ),
    ]
}

/// Launch and memory, the two apps taking turns.
fn launch_rows(
    args: &Args,
    plan: &Plan,
    scratch: &Path,
    notes: &mut Vec<String>,
) -> Result<Vec<Row>, String> {
    eprintln!(
        "== launches ({} each, {} s to settle)",
        plan.launches,
        plan.settle.as_secs()
    );
    let fitauth_app = desktop::App {
        exe: need(&args.app, "--app")?.clone(),
        title: "Fitauth".into(),
        env: app_env(scratch, "app"),
    };
    let bare_app = desktop::App {
        exe: need(&args.bare, "--bare")?.clone(),
        title: "Bare Tauri".into(),
        env: app_env(scratch, "bare"),
    };
    let (mut launch, mut pss) = ((vec![], vec![]), (vec![], vec![]));
    let mut by_process = (BTreeMap::new(), BTreeMap::new());
    for _ in 0..plan.launches {
        let a = tokio::task::block_in_place(|| {
            desktop::launch(
                &fitauth_app,
                plan.settle,
                &scratch.join("fitauth-desktop.log"),
            )
        })?;
        let b = tokio::task::block_in_place(|| {
            desktop::launch(&bare_app, plan.settle, &scratch.join("bare-tauri.log"))
        })?;
        launch.0.push(a.visible_after.as_secs_f64());
        launch.1.push(b.visible_after.as_secs_f64());
        pss.0.push(a.pss_kib as f64);
        pss.1.push(b.pss_kib as f64);
        for (launch, into) in [(&a, &mut by_process.0), (&b, &mut by_process.1)] {
            // Summed by name within a launch (two web processes count as one entry).
            let mut this = BTreeMap::new();
            for (i, (name, kib)) in launch.pss_by_process.iter().enumerate() {
                let name = if i == 0 {
                    "the app itself"
                } else {
                    name.as_str()
                };
                *this.entry(name.to_owned()).or_insert(0.0) += *kib as f64;
            }
            for (name, kib) in this {
                into.entry(name).or_insert_with(Vec::new).push(kib);
            }
        }
    }
    let medians = |m: &BTreeMap<String, Vec<f64>>| {
        m.iter()
            .map(|(name, kib)| format!("{name} {:.0} MiB", Summary::of(kib).median / 1024.0))
            .collect::<Vec<_>>()
            .join(", ")
    };
    notes.push(format!(
        "Where the memory is (PSS by process, medians): Fitauth: {}; bare Tauri: {}.",
        medians(&by_process.0),
        medians(&by_process.1)
    ));
    Ok(vec![
        Row::new(
            "launch to a visible window",
            Unit::Seconds,
            Summary::of(&launch.0),
            "bare Tauri",
            Summary::of(&launch.1),
            plan.target(1.2),
        ),
        Row::new(
            format!(
                "PSS of the app and its WebKit processes after {} s",
                plan.settle.as_secs()
            ),
            Unit::Kib,
            Summary::of(&pss.0),
            "bare Tauri",
            Summary::of(&pss.1),
            plan.target(1.15),
        ),
    ])
}

/// Through the desktop's IPC, measured in the page by the E2E driver (scripts/bench).
fn ipc_rows(path: &Path) -> Result<Vec<Row>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let ipc: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let seconds = |key: &str| -> Result<Summary, String> {
        let ms: Vec<f64> = ipc[key]
            .as_array()
            .ok_or(format!("{key} missing from {}", path.display()))?
            .iter()
            .filter_map(|v| v.as_f64())
            .map(|ms| ms / 1e3)
            .collect();
        Ok(Summary::of(&ms))
    };
    let ping = seconds("ping_ms")?;
    Ok(vec![
        Row::new(
            "Inspect's Refresh through IPC (refresh, save, answer)",
            Unit::Seconds,
            seconds("refresh_ms")?,
            "bare Tauri IPC round-trip",
            ping.clone(),
            None,
        ),
        Row::new(
            "Inspect's Introspect through IPC",
            Unit::Seconds,
            seconds("introspect_ms")?,
            "bare Tauri IPC round-trip",
            ping,
            None,
        ),
    ])
}

/// The provider side, in this process, on loopback: the protocol calls and the `fitauth`
/// command.
async fn provider_rows(
    args: &Args,
    plan: &Plan,
    scratch: &Path,
    wants: &dyn Fn(Part) -> bool,
    rows: &mut Vec<Row>,
    notes: &mut Vec<String>,
) -> Result<(), String> {
    let sandbox = Sandbox::start(SandboxConfig {
        port: 0,
        auto_approve: true,
        ..Default::default()
    })
    .await
    .map_err(|e| format!("the sandbox did not start: {e}"))?;
    let base = sandbox.base_url().to_owned();
    // Fitbit's 150 requests an hour would stop the introspect rows: the benchmark measures the
    // calls, not the quota.
    sandbox
        .control()
        .update_settings(fitauth_sandbox::SettingsPatch {
            rate_limit: Some(u32::MAX),
            ..Default::default()
        });

    if wants(Part::Protocol) {
        eprintln!("== protocol calls ({} each)", plan.calls);
        let protocol = protocol::Protocol::new(&base)?;
        for (name, t) in protocol.run(plan.calls).await? {
            let core = Summary::of(&t.core);
            rows.push(Row::new(
                format!("{name} through fitauth-core"),
                Unit::Seconds,
                core.clone(),
                "plain warm reqwest",
                Summary::of(&t.reqwest),
                plan.target(1.2),
            ));
            rows.push(Row::new(
                format!("{name} through fitauth-core"),
                Unit::Seconds,
                core,
                "`curl`, a process per request",
                Summary::of(&t.curl),
                None,
            ));
        }
        notes.push(format!(
            "The protocol rows are {} calls each; `curl` is a process per request, so its figure \
             includes starting curl.",
            plan.calls
        ));
    }

    if wants(Part::Cli) {
        eprintln!("== the fitauth command");
        let cli = cli::Cli {
            fitauth: need(&args.cli, "--cli")?.clone(),
            home: scratch.join("data").join("cli"),
            base: base.clone(),
            browser: need(&args.root, "--root")?.join("tests/support/consenting-browser"),
        };
        let control = sandbox.control();
        let t = tokio::task::block_in_place(|| {
            // The scripted browser fills in the consent page; auto-approve redirects at once.
            cli.login()?;
            let lookup_args = cli::access_token_lookup()?;
            let mut t = CliTimings::default();
            for _ in 0..plan.token_runs {
                t.cached.push(cli.cached_token()?);
                t.lookup.push(cli::secret_tool_lookup(&lookup_args)?);
            }
            control.clear_refresh_stats();
            for _ in 0..plan.concurrency_runs {
                // One refresh that leaves a token due within five minutes...
                cli::issue_short_tokens(&control, true);
                t.single.push(cli.refresh()?);
                // ...which eight `fitauth token` then find, and refresh once between them.
                cli::issue_short_tokens(&control, false);
                t.concurrent.push(cli.concurrent_tokens(8)?);
                // What eight processes cost on their own: eight on the fresh token, and eight
                // lookups of the keyring.
                t.concurrent_fresh.push(cli.concurrent_tokens(8)?);
                t.concurrent_lookups
                    .push(cli::concurrent_lookups(&lookup_args, 8)?);
            }
            Ok::<_, String>(t)
        })?;
        rows.push(Row::new(
            "cached `fitauth token`, whole process",
            Unit::Seconds,
            Summary::of(&t.cached),
            "`secret-tool lookup`",
            Summary::of(&t.lookup),
            plan.target(2.0),
        ));
        rows.push(Row::new(
            "8 concurrent `fitauth token` on an expired token",
            Unit::Seconds,
            Summary::of(&t.concurrent),
            "one `fitauth refresh`",
            Summary::of(&t.single),
            plan.target(1.5),
        ));
        rows.push(Row::new(
            "8 concurrent `fitauth token` on a fresh token (no refresh)",
            Unit::Seconds,
            Summary::of(&t.concurrent_fresh),
            "one cached `fitauth token`",
            Summary::of(&t.cached),
            None,
        ));
        rows.push(Row::new(
            "8 concurrent `secret-tool lookup`",
            Unit::Seconds,
            Summary::of(&t.concurrent_lookups),
            "one `secret-tool lookup`",
            Summary::of(&t.lookup),
            None,
        ));
        let stats = control.refresh_stats();
        let refreshes =
            stats.active + stats.within_grace + stats.stale + stats.revoked + stats.unknown;
        let per_eight =
            (refreshes as f64 - plan.concurrency_runs as f64) / plan.concurrency_runs as f64;
        notes.push(format!(
            "The eight concurrent `fitauth token` sent {per_eight:.1} refresh request(s) to the \
             provider per run (one is the aim: the refresh lock makes the other seven wait and \
             read the new token)."
        ));
    }
    sandbox.shutdown().await;
    Ok(())
}

/// What the UI adds: the files of ui/dist, which the executable embeds (compressed by Tauri).
fn ui_bundle_note(dist: &std::path::Path) -> String {
    let mut files = Vec::new();
    let mut dirs = vec![dist.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(meta) = entry.metadata() {
                files.push((path, meta.len()));
            }
        }
    }
    let total: u64 = files.iter().map(|(_, n)| n).sum();
    let by = |ext: &str| -> u64 {
        files
            .iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == ext))
            .map(|(_, n)| n)
            .sum()
    };
    format!(
        "The UI bundle (ui/dist, embedded in the executable): {} files, {:.0} kB \
         (JavaScript {:.0} kB, CSS {:.0} kB, HTML {:.0} kB), before Tauri compresses it.",
        files.len(),
        total as f64 / 1e3,
        by("js") as f64 / 1e3,
        by("css") as f64 / 1e3,
        by("html") as f64 / 1e3
    )
}

fn today() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    )
}

fn machine() -> Machine {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let field = |text: &str, key: &str| {
        text.lines()
            .find_map(|l| {
                l.strip_prefix(key).map(|v| {
                    v.trim_start_matches([' ', '\t', ':', '='])
                        .trim()
                        .trim_matches('"')
                        .to_owned()
                })
            })
            .unwrap_or_else(|| "unknown".into())
    };
    let mem_kib: f64 = field(&read("/proc/meminfo"), "MemTotal")
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap_or(0.0);
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "rustc unknown".into());
    Machine {
        cpu: field(&cpuinfo, "model name"),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_gib: mem_kib / 1024.0 / 1024.0,
        os: field(&read("/etc/os-release"), "PRETTY_NAME"),
        kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
        rustc,
    }
}

//! The `fitauth` command as scripts use it, whole processes: a cached `fitauth token` beside
//! `secret-tool lookup` of the same keyring item, and eight concurrent `fitauth token` on an
//! expired token beside one `fitauth refresh` (the refresh lock makes the eight share one refresh).

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use fitauth_sandbox::{Control, SettingsPatch};

/// The login the tests use too.
#[path = "../../../tests/support/logins.rs"]
mod logins;

pub const ACCOUNT: &str = "bench";

pub struct Cli {
    pub fitauth: PathBuf,
    pub home: PathBuf,
    pub base: String,
    pub browser: PathBuf,
}

impl Cli {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.fitauth);
        cmd.args(args)
            .env("FITAUTH_HOME", &self.home)
            .env("FITAUTH_FITBIT_BASE_URL", &self.base)
            .env("FITAUTH_GOOGLE_BASE_URL", &self.base)
            .env("FITAUTH_SANDBOX_URL", &self.base)
            .env("BROWSER", &self.browser)
            .env_remove("FITAUTH_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    fn ok(&self, args: &[&str]) -> Result<Output, String> {
        let out = self
            .command(args)
            .output()
            .map_err(|e| format!("{}: {e}", self.fitauth.display()))?;
        if !out.status.success() {
            return Err(format!(
                "fitauth {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(out)
    }

    /// `fitauth login` against the sandbox, with the scripted browser consenting.
    pub fn login(&self) -> Result<(), String> {
        self.ok(&logins::fitbit_public_client(ACCOUNT)).map(|_| ())
    }

    /// Whole-process time of `fitauth token` with a fresh token (no network: store and keyring).
    pub fn cached_token(&self) -> Result<f64, String> {
        let started = Instant::now();
        self.ok(&["token", "--account", ACCOUNT])?;
        Ok(started.elapsed().as_secs_f64())
    }

    /// One `fitauth refresh`: the baseline of the concurrency row.
    pub fn refresh(&self) -> Result<f64, String> {
        let started = Instant::now();
        self.ok(&["refresh", "--account", ACCOUNT])?;
        Ok(started.elapsed().as_secs_f64())
    }

    /// `n` `fitauth token` started together; the time until the last one ends.
    pub fn concurrent_tokens(&self, n: usize) -> Result<f64, String> {
        let started = Instant::now();
        let children = (0..n)
            .map(|_| self.command(&["token", "--account", ACCOUNT]).spawn())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        for child in children {
            let out = child.wait_with_output().map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(format!(
                    "a concurrent fitauth token failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
        Ok(started.elapsed().as_secs_f64())
    }
}

/// Makes the stored access token due (the sandbox issues one that ends within the five minutes
/// `fitauth token` allows) or lets the next refresh issue a long one.
pub fn issue_short_tokens(control: &Control, short: bool) {
    control.update_settings(SettingsPatch {
        access_token_ttl_secs: Some(if short { 60 } else { 28_800 }),
        ..Default::default()
    });
}

/// The `secret-tool lookup` arguments of the account's access token: its item's attributes, as
/// `secret-tool search` lists them.
pub fn access_token_lookup() -> Result<Vec<String>, String> {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "service", "fitauth"])
        .output()
        .map_err(|e| format!("secret-tool: {e}"))?;
    // Items are separated by a "[/org/freedesktop/secrets/...]" line; stdout and stderr both
    // carry parts of each item, depending on the version: read both.
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut item: Vec<(String, String)> = Vec::new();
    let mut found = None;
    for line in text.lines().chain(std::iter::once("[end]")) {
        if line.starts_with('[') {
            if item.iter().any(|(_, v)| v.ends_with("/access_token")) {
                found = Some(std::mem::take(&mut item));
                break;
            }
            item.clear();
        } else if let Some((k, v)) = line.split_once(" = ") {
            if let Some(name) = k.trim().strip_prefix("attribute.") {
                item.push((name.to_owned(), v.trim().to_owned()));
            }
        }
    }
    let item = found.ok_or("no access token item in the keyring")?;
    Ok(item.into_iter().flat_map(|(k, v)| [k, v]).collect())
}

/// Whole-process time of `secret-tool lookup`.
pub fn secret_tool_lookup(args: &[String]) -> Result<f64, String> {
    concurrent_lookups(args, 1)
}

/// `n` `secret-tool lookup` started together; the time until the last one ends. What the
/// keyring alone costs eight processes at once on this machine.
pub fn concurrent_lookups(args: &[String], n: usize) -> Result<f64, String> {
    let started = Instant::now();
    let children = (0..n)
        .map(|_| {
            Command::new("secret-tool")
                .arg("lookup")
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .spawn()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("secret-tool: {e}"))?;
    for child in children {
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if !out.status.success() || out.stdout.is_empty() {
            return Err("secret-tool lookup found nothing".into());
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

//! Opening the consent page: `$BROWSER` when set (as many Unix tools honour it), else the
//! system's default browser.

use std::process::{Command, Stdio};

/// Opens `url`; returns a sentence about what failed, if it did.
pub fn open(url: &str) -> Result<(), String> {
    if let Some(browser) = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty())
    {
        return open_with_browser_var(&browser, url);
    }
    system_open(url)
}

/// `$BROWSER` is a `:`-separated list of commands; `%s` stands for the URL, else it is appended.
fn open_with_browser_var(var: &str, url: &str) -> Result<(), String> {
    let mut last_error = String::from("$BROWSER is empty");
    for candidate in var.split(':').map(str::trim).filter(|c| !c.is_empty()) {
        let mut words: Vec<String> = candidate.split_whitespace().map(str::to_owned).collect();
        if words.iter().any(|w| w.contains("%s")) {
            words = words.into_iter().map(|w| w.replace("%s", url)).collect();
        } else {
            words.push(url.to_owned());
        }
        match spawn(&words) {
            Ok(()) => return Ok(()),
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}

fn system_open(url: &str) -> Result<(), String> {
    let words: Vec<String> = if cfg!(target_os = "macos") {
        vec!["open".into(), url.into()]
    } else if cfg!(target_os = "windows") {
        vec![
            "rundll32".into(),
            "url.dll,FileProtocolHandler".into(),
            url.into(),
        ]
    } else {
        vec!["xdg-open".into(), url.into()]
    };
    spawn(&words)
}

/// Starts the browser without waiting for it (a browser may run for hours); a reaper thread
/// collects its exit status so no zombie is left behind.
fn spawn(words: &[String]) -> Result<(), String> {
    let (program, args) = words.split_first().ok_or("no browser command")?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start {program} ({e})"))?;
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

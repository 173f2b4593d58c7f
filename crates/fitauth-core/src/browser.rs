//! Opening the consent page in the person's browser, never in a webview (RFC 8252 §8.12,
//! <https://www.rfc-editor.org/rfc/rfc8252#section-8.12>).
//!
//! `$BROWSER`, when set, is read the way Unix tools read it: a `:`-separated list of commands,
//! tried in order, where `%s` stands for the URL (else the URL is appended). Without it, the
//! system's default browser opens the URL (`xdg-open`, `open`, or the URL handler on Windows).
//! Both faces read it here, so `fitauth login` and the desktop app open the same browser.

use std::process::{Command, Stdio};

use crate::error::Error;

/// Who shows the consent page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Browser {
    /// The system's default browser.
    #[default]
    System,
    /// Commands to try in order (from `$BROWSER`, or a test's scripted browser), each as words,
    /// with extra environment variables for them.
    Commands {
        commands: Vec<Vec<String>>,
        env: Vec<(String, String)>,
    },
}

impl Browser {
    /// `$BROWSER` when set and not blank, else the system browser.
    pub fn from_env() -> Self {
        match std::env::var("BROWSER") {
            Ok(var) => Self::from_browser_var(&var),
            Err(_) => Browser::System,
        }
    }

    /// Reads a `$BROWSER` value.
    pub fn from_browser_var(var: &str) -> Self {
        let commands: Vec<Vec<String>> = var
            .split(':')
            .map(|c| c.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .filter(|words| !words.is_empty())
            .collect();
        if commands.is_empty() {
            Browser::System
        } else {
            Browser::Commands {
                commands,
                env: vec![],
            }
        }
    }

    /// One command with extra environment (tests' scripted browsers).
    pub fn command(words: Vec<String>, env: Vec<(String, String)>) -> Self {
        Browser::Commands {
            commands: vec![words],
            env,
        }
    }

    /// Opens `url`: the first command that starts wins. Does not wait for the browser.
    pub fn open(&self, url: &str) -> Result<(), Error> {
        match self {
            Browser::System => spawn(&system_command(url), &[]),
            Browser::Commands { commands, env } => {
                let mut last = Error::Browser {
                    reason: "no browser command".into(),
                };
                for words in commands {
                    match spawn(&with_url(words, url), env) {
                        Ok(()) => return Ok(()),
                        Err(e) => last = e,
                    }
                }
                Err(last)
            }
        }
    }
}

fn with_url(words: &[String], url: &str) -> Vec<String> {
    if words.iter().any(|w| w.contains("%s")) {
        words.iter().map(|w| w.replace("%s", url)).collect()
    } else {
        let mut words = words.to_vec();
        words.push(url.to_owned());
        words
    }
}

fn system_command(url: &str) -> Vec<String> {
    if cfg!(target_os = "macos") {
        vec!["open".into(), url.into()]
    } else if cfg!(target_os = "windows") {
        vec![
            "rundll32".into(),
            "url.dll,FileProtocolHandler".into(),
            url.into(),
        ]
    } else {
        vec!["xdg-open".into(), url.into()]
    }
}

/// Starts the browser without waiting for it (a browser may run for hours); a reaper thread
/// collects its exit status so no zombie is left behind.
fn spawn(words: &[String], env: &[(String, String)]) -> Result<(), Error> {
    let (program, args) = words.split_first().ok_or_else(|| Error::Browser {
        reason: "the browser command is empty".into(),
    })?;
    let mut child = Command::new(program)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::Browser {
            reason: format!("could not start {program}: {e}"),
        })?;
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_var_is_a_colon_separated_list_with_percent_s() {
        assert_eq!(Browser::from_browser_var("  "), Browser::System);
        let b = Browser::from_browser_var("nope-browser %s --new:firefox");
        let Browser::Commands { commands, .. } = &b else {
            panic!("{b:?}")
        };
        assert_eq!(commands.len(), 2);
        assert_eq!(
            with_url(&commands[0], "http://x"),
            ["nope-browser", "http://x", "--new"]
        );
        assert_eq!(with_url(&commands[1], "http://x"), ["firefox", "http://x"]);
    }

    #[test]
    fn a_browser_that_cannot_start_is_a_browser_error() {
        let e = Browser::from_browser_var("/nonexistent/browser")
            .open("http://127.0.0.1/")
            .unwrap_err();
        assert_eq!(e.kind(), "browser");
        assert!(e.to_string().contains("/nonexistent/browser"), "{e}");
    }
}

//! Getting `fitauth://callback` links delivered (real app only; tests call
//! [`crate::connect::handle_links`] directly).
//!
//! How the plugin delivers links (<https://v2.tauri.app/plugin/deep-linking/>): on Linux and
//! Windows the OS starts a second copy of the app with the link as its only argument;
//! single-instance (feature `deep-link`, registered first) forwards it to this copy, where the
//! deep-link plugin emits it. A link that cold-starts the app is only available through
//! `get_current()`, so both are read; a repeat finds its sign-in already taken
//! (`Fitauth::finish_redirect`) and is ignored.

use tauri::{App, Runtime};
use tauri_plugin_deep_link::DeepLinkExt;

use crate::connect::handle_links;

pub const SCHEME: &str = "fitauth";

/// Listens for links, then handles the one that started the app, if any.
pub fn listen<R: Runtime>(app: &App<R>) {
    let handle = app.handle().clone();
    app.deep_link()
        .on_open_url(move |event| handle_links(&handle, event.urls()));
    match app.deep_link().get_current() {
        Ok(Some(urls)) => {
            tracing::info!("the app was started by a link");
            handle_links(app.handle(), urls);
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not read the link that started the app"),
    }
}

/// Whether `fitauth://` links reach this app; `FITAUTH_REDIRECT=scheme|loopback` decides
/// explicitly. On Linux a development build (or an AppImage) registers itself as the handler,
/// but only when no handler exists: an installed deb/rpm registers the scheme at install time,
/// and its copy forwards links here through single-instance anyway
/// (<https://v2.tauri.app/plugin/deep-linking/#registering-desktop-deep-links-at-runtime>).
pub fn scheme_redirects<R: Runtime>(app: &App<R>) -> bool {
    match std::env::var("FITAUTH_REDIRECT").as_deref() {
        Ok("scheme") => return true,
        Ok("loopback") => return false,
        _ => {}
    }
    platform_scheme_redirects(app)
}

#[cfg(target_os = "macos")]
fn platform_scheme_redirects<R: Runtime>(_app: &App<R>) -> bool {
    // Registered by the bundle's Info.plist; only an installed .app receives links.
    true
}

#[cfg(windows)]
fn platform_scheme_redirects<R: Runtime>(app: &App<R>) -> bool {
    let dl = app.deep_link();
    if dl.is_registered(SCHEME).unwrap_or(false) {
        return true;
    }
    if cfg!(debug_assertions) && std::env::var_os("FITAUTH_NO_SCHEME_REGISTRATION").is_none() {
        return dl.register_all().is_ok();
    }
    false
}

#[cfg(target_os = "linux")]
fn platform_scheme_redirects<R: Runtime>(app: &App<R>) -> bool {
    let current = std::process::Command::new("xdg-mime")
        .args(["query", "default", &format!("x-scheme-handler/{SCHEME}")])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    if !current.is_empty() {
        if handler_is_ours(&current) {
            tracing::info!(handler = %current, "fitauth:// links are handled by Fitauth");
            return true;
        }
        // Another program claims fitauth://: never hand it a sign-in's code.
        tracing::warn!(
            handler = %current,
            "fitauth:// links open a program that is not Fitauth; Fitbit sign-ins use loopback"
        );
        return false;
    }
    let may_register = (cfg!(debug_assertions) || std::env::var_os("APPIMAGE").is_some())
        && std::env::var_os("FITAUTH_NO_SCHEME_REGISTRATION").is_none();
    if !may_register {
        tracing::info!("fitauth:// links are not registered; Fitbit sign-ins use loopback");
        return false;
    }
    match app.deep_link().register_all() {
        Ok(()) => {
            unquote_exec(app);
            tracing::info!("registered this build as the fitauth:// handler");
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not register fitauth:// links; Fitbit sign-ins use loopback");
            false
        }
    }
}

/// Whether the desktop entry `entry` (as `xdg-mime query default` names it) starts Fitauth: its
/// program is this executable (a development build or AppImage registered itself), or an
/// installed `fitauth-desktop` owned by root (the deb/rpm; it forwards links to this copy through
/// single-instance). Entries are looked up as the XDG Base Directory spec says
/// (<https://specifications.freedesktop.org/basedir-spec/latest/>).
#[cfg(target_os = "linux")]
fn handler_is_ours(entry: &str) -> bool {
    let Ok(exe) = std::env::current_exe() else {
        return false;
    };
    let exe = std::env::var_os("APPIMAGE")
        .map(std::path::PathBuf::from)
        .unwrap_or(exe);
    let home_data = std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".local/share"))
        });
    let data_dirs = std::env::var("XDG_DATA_DIRS")
        .ok()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/usr/local/share:/usr/share".into());
    let dirs = home_data
        .into_iter()
        .chain(data_dirs.split(':').map(std::path::PathBuf::from));
    for dir in dirs {
        let file = dir.join("applications").join(entry);
        if let Ok(text) = std::fs::read_to_string(&file) {
            return exec_program(&text)
                .and_then(|program| resolve(&program))
                .is_some_and(|program| program_is_ours(&program, &exe));
        }
    }
    false
}

/// The program of a desktop entry's `Exec=` line (its first word, quotes removed)
/// (<https://specifications.freedesktop.org/desktop-entry-spec/latest/exec-variables.html>).
#[cfg(target_os = "linux")]
fn exec_program(desktop_entry: &str) -> Option<String> {
    let mut in_main_group = false;
    for line in desktop_entry.lines().map(str::trim) {
        if line.starts_with('[') {
            in_main_group = line == "[Desktop Entry]";
        } else if let Some(exec) = line.strip_prefix("Exec=").filter(|_| in_main_group) {
            let exec = exec.trim_start();
            let program = match exec.strip_prefix('"') {
                Some(rest) => rest.split('"').next()?,
                None => exec.split_whitespace().next()?,
            };
            return (!program.is_empty()).then(|| program.to_owned());
        }
    }
    None
}

/// `program` as a path: itself when it has a slash, else found in `PATH`.
#[cfg(target_os = "linux")]
fn resolve(program: &str) -> Option<std::path::PathBuf> {
    if program.contains('/') {
        return Some(program.into());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// This very executable, or an installed copy of Fitauth's (root-owned, so no user program
/// can have put it there).
#[cfg(target_os = "linux")]
fn program_is_ours(program: &std::path::Path, exe: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let canonical = |p: &std::path::Path| std::fs::canonicalize(p).ok();
    if canonical(program).is_some_and(|p| Some(p) == canonical(exe)) {
        return true;
    }
    program.file_name().is_some_and(|n| n == "fitauth-desktop")
        && std::fs::metadata(program)
            .is_ok_and(|m| m.is_file() && m.uid() == 0 && m.mode() & 0o022 == 0)
}

/// The plugin writes `Exec="/path/bin" %u`, which generic `xdg-open` cannot run (see
/// <https://github.com/tauri-apps/plugins-workspace/pull/3374>); without spaces in the path the
/// quotes are not needed.
#[cfg(target_os = "linux")]
fn unquote_exec<R: Runtime>(app: &App<R>) {
    use tauri::Manager;
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let exe = std::env::var("APPIMAGE")
        .map(std::path::PathBuf::from)
        .unwrap_or(exe);
    let exe_text = exe.display().to_string();
    if exe_text.contains(char::is_whitespace) {
        return;
    }
    let Some(name) = exe.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let Ok(data) = app.path().data_dir() else {
        return;
    };
    let file = data
        .join("applications")
        .join(format!("{name}-handler.desktop"));
    if let Ok(text) = std::fs::read_to_string(&file) {
        let fixed = text.replace(&format!("Exec=\"{exe_text}\""), &format!("Exec={exe_text}"));
        if fixed != text {
            let _ = std::fs::write(&file, fixed);
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_program_of_a_desktop_entry() {
        let entry = "[Desktop Entry]\nName=Fitauth\nExec=fitauth-desktop %u\n[Desktop Action x]\nExec=other\n";
        assert_eq!(exec_program(entry).as_deref(), Some("fitauth-desktop"));
        let quoted = "[Desktop Entry]\nExec=\"/opt/my apps/fitauth-desktop\" %u\n";
        assert_eq!(
            exec_program(quoted).as_deref(),
            Some("/opt/my apps/fitauth-desktop")
        );
        assert_eq!(exec_program("[Desktop Action a]\nExec=x\n"), None);
        assert_eq!(exec_program("[Desktop Entry]\nExec=\n"), None);
    }

    #[test]
    fn only_this_executable_or_a_root_owned_install_is_ours() {
        let exe = std::env::current_exe().unwrap();
        assert!(program_is_ours(&exe, &exe));
        // A user-writable file named like the app is someone else's.
        let dir = std::env::temp_dir().join(format!("fitauth-handler-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let impostor = dir.join("fitauth-desktop");
        std::fs::write(&impostor, "#!/bin/sh\n").unwrap();
        // World-writable: not an installed copy, whoever owns it (root too).
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&impostor, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(!program_is_ours(&impostor, &exe));
        // Another program altogether is never ours.
        assert!(!program_is_ours(std::path::Path::new("/bin/sh"), &exe));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

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
        tracing::info!(handler = %current, "fitauth:// links are handled");
        return true;
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

//! The desktop's own preferences, in `settings.json` in the app's data directory (beside the log
//! file; the store the `fitauth` command shares holds no desktop preference): whether closing the
//! window keeps Fitauth in the tray, whether the person was asked about starting at login, and
//! which "needs you" causes were already said. Starting at login itself is the official
//! autostart plugin's (an XDG autostart entry on Linux), asked once after the first connection.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime, State};

use crate::error::{CommandError, CommandResult};
use crate::state::{lock, Desktop};

/// What the person can change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// Closing the window keeps Fitauth running in the tray (with its background refresh);
    /// off: closing the window quits.
    #[serde(default = "yes")]
    pub close_to_tray: bool,
    /// Fitauth starts at login, in the tray. The system's autostart entry is the truth: this
    /// copy is written to the file but never read from it.
    #[serde(default)]
    pub start_at_login: bool,
    /// The person answered "start at login?" (asked once, after the first connection).
    #[serde(default)]
    pub asked_start_at_login: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            close_to_tray: true,
            start_at_login: false,
            asked_start_at_login: false,
        }
    }
}

fn yes() -> bool {
    true
}

/// A change to some preferences; the ones left out stay as they are (so two answers given at
/// nearly the same time do not undo each other).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PreferencesChange {
    pub close_to_tray: Option<bool>,
    pub start_at_login: Option<bool>,
    pub asked_start_at_login: Option<bool>,
}

impl PreferencesChange {
    fn apply(&self, p: &mut Preferences) {
        if let Some(v) = self.close_to_tray {
            p.close_to_tray = v;
        }
        if let Some(v) = self.start_at_login {
            p.start_at_login = v;
        }
        if let Some(v) = self.asked_start_at_login {
            p.asked_start_at_login = v;
        }
    }
}

/// The whole file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub preferences: Preferences,
    /// The "needs you" causes already notified ([`fitauth_core::attention::Attention::key`]),
    /// so each is said once, across restarts too.
    #[serde(default)]
    pub notified: BTreeSet<String>,
}

impl Settings {
    /// Reads `path`; a missing or unreadable file is the defaults (said in the log).
    pub fn load(path: &Path) -> Settings {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "settings.json is not valid; using the defaults");
                Settings::default()
            }),
            Err(_) => Settings::default(),
        }
    }

    /// Writes `path` atomically: a temporary file of this process and moment, renamed over it.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension(format!(
            "json.{}-{}.tmp",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let written = std::fs::write(&tmp, serde_json::to_vec_pretty(self).unwrap_or_default())
            .and_then(|()| std::fs::rename(&tmp, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }
}

/// Where the settings live: `settings.json` in the app's data directory.
pub fn path<R: Runtime>(app: &AppHandle<R>) -> Option<PathBuf> {
    app.path()
        .app_data_dir()
        .ok()
        .map(|d| d.join("settings.json"))
}

/// Saves the current settings, if the app has a data directory. One save at a time, each
/// copying the settings when its turn comes, so the file never goes back to an older copy.
pub fn persist(desktop: &Desktop) {
    let Some(path) = lock(&desktop.settings_path).clone() else {
        return;
    };
    let _turn = lock(&desktop.settings_saving);
    let settings = lock(&desktop.settings).clone();
    if let Err(e) = settings.save(&path) {
        tracing::warn!(error = %e, "could not save the settings");
    }
}

/// Whether Fitauth starts at login (false where the autostart plugin is not set up: the tests'
/// mock runtime).
fn starts_at_login<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.try_state::<tauri_plugin_autostart::AutoLaunchManager>()
        .and_then(|m| m.is_enabled().ok())
        .unwrap_or(false)
}

#[tauri::command]
pub fn get_preferences<R: Runtime>(app: AppHandle<R>, desktop: State<'_, Desktop>) -> Preferences {
    Preferences {
        start_at_login: starts_at_login(&app),
        ..lock(&desktop.settings).preferences.clone()
    }
}

#[tauri::command]
pub fn set_preferences<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    change: PreferencesChange,
) -> CommandResult<Preferences> {
    let wanted = change.start_at_login;
    if wanted.is_some_and(|on| on != starts_at_login(&app)) {
        if let Some(manager) = app.try_state::<tauri_plugin_autostart::AutoLaunchManager>() {
            let done = if wanted == Some(true) {
                manager.enable()
            } else {
                manager.disable()
            };
            done.map_err(|e| {
                CommandError::new(
                    "autostart",
                    format!("Fitauth could not change whether it starts at login ({e})."),
                    "Try again; your desktop's startup applications settings can do it too.",
                )
            })?;
        }
    }
    let preferences = {
        let mut settings = lock(&desktop.settings);
        change.apply(&mut settings.preferences);
        settings.preferences.clone()
    };
    persist(&desktop);
    tracing::info!(
        close_to_tray = preferences.close_to_tray,
        start_at_login = preferences.start_at_login,
        "preferences saved"
    );
    Ok(get_preferences(app, desktop))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_keep_fitauth_in_the_tray_and_the_file_round_trips() {
        let dir = std::env::temp_dir().join(format!("fitauth-settings-{}", std::process::id()));
        let path = dir.join("settings.json");
        let _ = std::fs::remove_file(&path);
        assert!(Settings::load(&path).preferences.close_to_tray);
        let mut s = Settings::default();
        s.preferences.close_to_tray = false;
        s.notified.insert("id:reconnect".into());
        s.save(&path).unwrap();
        let back = Settings::load(&path);
        assert!(!back.preferences.close_to_tray);
        assert!(back.notified.contains("id:reconnect"));
        // A change touches only what it names.
        let mut p = back.preferences.clone();
        PreferencesChange {
            asked_start_at_login: Some(true),
            ..Default::default()
        }
        .apply(&mut p);
        assert!(!p.close_to_tray && p.asked_start_at_login);
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1, "only settings.json, no temporary file");
        std::fs::write(&path, b"{not json").unwrap();
        assert!(Settings::load(&path).preferences.close_to_tray);
        let _ = std::fs::remove_dir_all(dir);
    }
}

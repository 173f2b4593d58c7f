//! The desktop's own preferences, in `settings.json` in the app's data directory (beside the log
//! file; the store the `fitauth` command shares holds no desktop preference): whether closing the
//! window keeps Fitauth in the tray, and which "needs you" causes were already said.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime, State};

use crate::error::CommandResult;
use crate::state::{lock, Desktop};

/// What the person can change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// Closing the window keeps Fitauth running in the tray (with its background refresh);
    /// off: closing the window quits.
    #[serde(default = "yes")]
    pub close_to_tray: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            close_to_tray: true,
        }
    }
}

fn yes() -> bool {
    true
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

    /// Writes `path` atomically (a temporary file renamed over it).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self).unwrap_or_default())?;
        std::fs::rename(tmp, path)
    }
}

/// Where the settings live: `settings.json` in the app's data directory.
pub fn path<R: Runtime>(app: &AppHandle<R>) -> Option<PathBuf> {
    app.path()
        .app_data_dir()
        .ok()
        .map(|d| d.join("settings.json"))
}

/// Saves the current settings, if the app has a data directory.
pub fn persist(desktop: &Desktop) {
    let Some(path) = lock(&desktop.settings_path).clone() else {
        return;
    };
    let settings = lock(&desktop.settings).clone();
    if let Err(e) = settings.save(&path) {
        tracing::warn!(error = %e, "could not save the settings");
    }
}

#[tauri::command]
pub fn get_preferences(desktop: State<'_, Desktop>) -> Preferences {
    lock(&desktop.settings).preferences.clone()
}

#[tauri::command]
pub fn set_preferences(
    desktop: State<'_, Desktop>,
    preferences: Preferences,
) -> CommandResult<Preferences> {
    lock(&desktop.settings).preferences = preferences.clone();
    persist(&desktop);
    tracing::info!(
        close_to_tray = preferences.close_to_tray,
        "preferences saved"
    );
    Ok(preferences)
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
        std::fs::write(&path, b"{not json").unwrap();
        assert!(Settings::load(&path).preferences.close_to_tray);
        let _ = std::fs::remove_dir_all(dir);
    }
}

//! End-to-end tests of the desktop app live in `tests/desktop.rs` (a real window driven through
//! WebDriver) and `tests/kill_trials.rs` (the app killed mid-refresh); run them with
//! `scripts/e2e`. What they share is here.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The debug build of the workspace binary `name` (in `CARGO_TARGET_DIR` when that is set), or
/// the path in the environment variable `override_var` when that is set.
pub fn built_binary(name: &str, override_var: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(override_var) {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| root().join(dir)) // an absolute dir replaces the root
        .unwrap_or_else(|| root().join("target"));
    target.join("debug").join(name)
}

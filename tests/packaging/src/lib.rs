//! Checks of what ships: the release workflow (`.github/workflows/release.yml`, which cannot run
//! here, so it is parsed and its structure checked) and the installer configuration
//! (`src-tauri/tauri.conf.json`, `tauri.linux.conf.json`, the desktop entry template). The
//! installed package itself is exercised by `scripts/package-test`.

use std::path::PathBuf;

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file of the repository, as text.
pub fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

//! Turns on Tauri's ACL for our own commands: without an app manifest every command would be
//! callable from any local window. `capabilities/main.json` then grants exactly these to `main`.

/// Every command the UI may call. Keep in sync with `generate_handler!` in `src/lib.rs`.
const COMMANDS: &[&str] = &[
    "app_overview",
    "scope_catalog",
    "start_connect",
    "cancel_connect",
    "paste_redirect",
    "list_accounts",
    "inspect_account",
    "refresh_account",
    "introspect_account",
    "revoke_account",
    "remove_account",
    "reveal_secret",
    "list_apps",
    "save_app",
    "remove_app",
    "start_sandbox",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}

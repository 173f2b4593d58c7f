//! Turns on Tauri's ACL for our own commands: without an app manifest every command would be
//! callable from any local window. `capabilities/main.json` then grants exactly these to `main`.

/// Every command the UI may call. Keep in sync with `generate_handler!` in `src/lib.rs`.
const COMMANDS: &[&str] = &[
    "app_overview",
    "scope_catalog",
    "start_connect",
    "get_app_token",
    "cancel_connect",
    "paste_redirect",
    "list_accounts",
    "inspect_account",
    "refresh_account",
    "introspect_account",
    "revoke_account",
    "send_request",
    "import_token",
    "remove_account",
    "rename_account",
    "reveal_secret",
    "list_apps",
    "save_app",
    "remove_app",
    "start_sandbox",
    "migration_plan",
    "start_migration",
    "get_preferences",
    "set_preferences",
];

/// `generate_context!` embeds `../ui/dist`, which `npm run build` (scripts/run, scripts/test)
/// creates. So that `cargo build --workspace` works on a fresh checkout without Node, a missing
/// dist gets a placeholder page that says how to build the real UI.
fn ensure_frontend_dist() {
    let dist = std::path::Path::new("../ui/dist");
    if !dist.join("index.html").exists() {
        let _ = std::fs::create_dir_all(dist);
        let _ = std::fs::write(
            dist.join("index.html"),
            "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Fitauth</title>\
             <p>The Fitauth UI has not been built. Run <code>scripts/run</code>, or \
             <code>npm --prefix ui ci &amp;&amp; npm --prefix ui run build</code>, then rebuild.</p></html>\n",
        );
    }
}

fn main() {
    ensure_frontend_dist();
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}

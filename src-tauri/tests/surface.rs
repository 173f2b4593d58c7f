//! What the webview may do, pinned (issue "Hardening", desktop surface): the window's capability
//! grants exactly Fitauth's own commands and event listening — no `core:default`, no window,
//! path or plugin permissions (opener, deep-link, shell, dialog); every command the app
//! registers is in the ACL's manifest (`build.rs`) and the other way round; and the content
//! security policy allows only the bundled page and the IPC channel. The end-to-end test
//! (`tests/e2e/tests/desktop.rs`, `the_page_is_fenced_in`) checks the same fence from inside the
//! running window; this one fails the moment a grant is added to the files.
//!
//! Tauri's capability and CSP formats: <https://v2.tauri.app/security/capabilities/>,
//! <https://v2.tauri.app/security/csp/>.

use std::collections::BTreeSet;
use std::path::Path;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The quoted names in `const COMMANDS: &[&str] = &[ ... ];` of build.rs.
fn manifest_commands() -> BTreeSet<String> {
    let build = read("build.rs");
    let start = build.find("const COMMANDS").expect("COMMANDS in build.rs");
    let list = &build[start..start + build[start..].find("];").expect("end of COMMANDS")];
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The commands in `tauri::generate_handler![ ... ]` of src/lib.rs (the function names).
fn registered_commands() -> BTreeSet<String> {
    let lib = read("src/lib.rs");
    let start = lib
        .find("generate_handler![")
        .expect("generate_handler! in src/lib.rs")
        + "generate_handler![".len();
    let end = start + lib[start..].find(']').expect("end of generate_handler!");
    lib[start..end]
        .split(',')
        .map(|path| path.trim().rsplit("::").next().unwrap_or("").to_owned())
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn every_registered_command_is_in_the_acl_manifest_and_no_other() {
    let manifest = manifest_commands();
    assert!(manifest.len() >= 10, "{manifest:?}");
    assert_eq!(registered_commands(), manifest);
}

#[test]
fn the_window_may_call_only_fitauths_commands() {
    let capabilities: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
    assert_eq!(capabilities, ["main.json"], "one capability file");
    let main: serde_json::Value = serde_json::from_str(&read("capabilities/main.json")).unwrap();
    assert_eq!(main["windows"], serde_json::json!(["main"]));
    assert!(main.get("remote").is_none(), "no remote origin gets IPC");
    let granted: BTreeSet<String> = main["permissions"]
        .as_array()
        .expect("a permission list")
        .iter()
        .map(|p| p.as_str().expect("plain permission names").to_owned())
        .collect();
    let mut expected: BTreeSet<String> = manifest_commands()
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    expected.insert("core:event:allow-listen".into());
    expected.insert("core:event:allow-unlisten".into());
    assert_eq!(granted, expected);

    let conf: serde_json::Value = serde_json::from_str(&read("tauri.conf.json")).unwrap();
    assert_eq!(
        conf["app"]["security"]["capabilities"],
        serde_json::json!(["main"]),
        "only the main capability is enabled"
    );
    assert_eq!(conf["app"]["withGlobalTauri"], false);
}

#[test]
fn the_content_security_policy_allows_only_the_bundled_page_and_ipc() {
    let conf: serde_json::Value = serde_json::from_str(&read("tauri.conf.json")).unwrap();
    let security = &conf["app"]["security"];
    assert_eq!(security["freezePrototype"], true);
    assert!(
        security
            .get("dangerousDisableAssetCspModification")
            .is_none(),
        "Tauri adds its nonces and hashes to the policy"
    );
    let csp = security["csp"].as_str().expect("a CSP string");
    let directives: BTreeSet<&str> = csp.split(';').map(str::trim).collect();
    let expected: BTreeSet<&str> = [
        "default-src 'self'",
        "connect-src ipc: http://ipc.localhost",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
    ]
    .into_iter()
    .collect();
    assert_eq!(directives, expected, "{csp}");
    for word in ["unsafe-inline", "unsafe-eval", "http:", "https:", "*"] {
        assert!(
            !csp.split_whitespace()
                .any(|t| t.trim_matches('\'') == word.trim_matches('\'')),
            "{word} in {csp}"
        );
    }
}

//! The release workflow cannot run here (it needs GitHub's runners), so it is parsed as YAML and
//! its structure checked: what triggers it, that tests gate the installers, that every OS builds
//! the promised installers with tauri-action v1, and that secrets and actions are what the README
//! documents.

use fitauth_packaging_tests::{read, root};
use serde_json::Value;

const WORKFLOW: &str = ".github/workflows/release.yml";

/// The secrets the README documents; anything else referenced is a mistake.
const DOCUMENTED_SECRETS: &[&str] = &[
    "GITHUB_TOKEN",
    "FITAUTH_DEFAULT_GOOGLE_CLIENT_SECRET",
    "APPLE_CERTIFICATE",
    "APPLE_CERTIFICATE_PASSWORD",
    "APPLE_SIGNING_IDENTITY",
    "APPLE_ID",
    "APPLE_PASSWORD",
    "APPLE_TEAM_ID",
    "WINDOWS_CERTIFICATE",
    "WINDOWS_CERTIFICATE_PASSWORD",
];

fn workflow() -> Value {
    let text = read(WORKFLOW);
    assert!(!text.contains('\t'), "YAML must not contain tabs");
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{WORKFLOW} is not valid YAML: {e}"))
}

fn steps(job: &Value) -> &Vec<Value> {
    job["steps"].as_array().expect("a job has steps")
}

fn step_using<'a>(job: &'a Value, action: &str) -> Option<&'a Value> {
    steps(job).iter().find(|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with(&format!("{action}@")))
    })
}

#[test]
fn it_is_triggered_by_version_tags() {
    let wf = workflow();
    // `on` is a plain string key in YAML 1.2 (not the boolean `true` of YAML 1.1).
    let tags = wf["on"]["push"]["tags"].as_array().expect("on.push.tags");
    assert!(tags.iter().any(|t| t == "v*"), "{tags:?}");
    assert!(wf["on"]["push"]["branches"].is_null(), "not on every push");
    assert_eq!(
        wf["permissions"]["contents"], "read",
        "least privilege by default"
    );
}

#[test]
fn the_tests_run_first_with_the_readme_command() {
    let wf = workflow();
    let test = &wf["jobs"]["test"];
    assert!(test["runs-on"].as_str().unwrap().starts_with("ubuntu-"));
    assert!(
        steps(test).iter().any(|s| s["run"] == "./scripts/test"),
        "the test job runs exactly the README's test command"
    );
    let readme = read("README.md");
    assert!(readme.contains("./scripts/test "), "the README names it");
    assert_eq!(
        wf["jobs"]["build"]["needs"], "test",
        "installers wait for the tests"
    );
}

#[test]
fn every_os_builds_its_installers_with_tauri_action_v1() {
    let wf = workflow();
    let build = &wf["jobs"]["build"];
    assert_eq!(
        build["permissions"]["contents"], "write",
        "it creates the release"
    );
    assert_eq!(build["strategy"]["fail-fast"], false);
    let matrix = build["strategy"]["matrix"]["include"]
        .as_array()
        .expect("a matrix of platforms");
    let entry = |os: &str| {
        matrix
            .iter()
            .find(|m| m["platform"].as_str().unwrap().starts_with(os))
            .unwrap_or_else(|| panic!("no {os} build"))
    };
    let bundles = |m: &Value| -> Vec<String> {
        let args = m["args"].as_str().unwrap();
        let list = args
            .split("--bundles ")
            .nth(1)
            .expect("--bundles")
            .split_whitespace()
            .next()
            .unwrap();
        list.split(',').map(str::to_owned).collect()
    };
    assert_eq!(bundles(entry("ubuntu-")), ["deb", "rpm", "appimage"]);
    assert_eq!(bundles(entry("windows-")), ["msi", "nsis"]);
    let mac = entry("macos-");
    assert_eq!(bundles(mac), ["app", "dmg"]);
    assert!(mac["args"]
        .as_str()
        .unwrap()
        .contains("--target universal-apple-darwin"));
    let targets = mac["rust_targets"].as_str().unwrap();
    assert!(targets.contains("aarch64-apple-darwin") && targets.contains("x86_64-apple-darwin"));

    let tauri = step_using(build, "tauri-apps/tauri-action").expect("a tauri-action step");
    assert_eq!(tauri["uses"], "tauri-apps/tauri-action@v1");
    let with = &tauri["with"];
    assert_eq!(with["args"], "${{ matrix.args }}");
    assert_eq!(
        with["releaseDraft"], true,
        "a person reviews before publishing"
    );
    assert_eq!(with["prerelease"], false);
    assert!(with["tagName"].as_str().unwrap().contains("__VERSION__"));
    // The pinned Tauri CLI from ui/package.json, not whatever is latest.
    let script = with["tauriScript"].as_str().unwrap();
    let cli = script.split_whitespace().nth(1).expect("node <path>");
    assert_eq!(cli, "ui/node_modules/@tauri-apps/cli/tauri.js");
    if root().join("ui/node_modules").is_dir() {
        assert!(root().join(cli).is_file(), "{cli} is the CLI's entry point");
    }
    assert!(read("ui/package.json").contains("\"@tauri-apps/cli\""));
    assert_eq!(tauri["env"]["GITHUB_TOKEN"], "${{ secrets.GITHUB_TOKEN }}");
}

#[test]
fn build_time_defaults_and_signing_are_wired_but_optional() {
    let wf = workflow();
    let build = &wf["jobs"]["build"];
    for var in [
        "FITAUTH_DEFAULT_GOOGLE_CLIENT_ID",
        "FITAUTH_DEFAULT_GOOGLE_CLIENT_SECRET",
        "FITAUTH_DEFAULT_FITBIT_CLIENT_ID",
    ] {
        assert!(build["env"][var].is_string(), "{var} reaches the build");
        // The name the Rust code reads at build time.
        assert!(
            read("crates/fitauth-core/src/defaults.rs")
                .contains(&format!("option_env!(\"{var}\")")),
            "{var} is read by fitauth_core::defaults"
        );
    }
    let all = steps(build);
    let mac = all
        .iter()
        .find(|s| s["if"] == "runner.os == 'macOS'")
        .expect("a macOS signing step");
    for secret in [
        "APPLE_CERTIFICATE",
        "APPLE_SIGNING_IDENTITY",
        "APPLE_ID",
        "APPLE_PASSWORD",
        "APPLE_TEAM_ID",
    ] {
        assert_eq!(mac["env"][secret], format!("${{{{ secrets.{secret} }}}}"));
    }
    assert!(
        mac["run"].as_str().unwrap().contains("-n \"${!name}\""),
        "only configured secrets are passed on, so unsigned builds still work"
    );
    let win = all
        .iter()
        .find(|s| s["if"] == "runner.os == 'Windows'")
        .expect("a Windows signing step");
    assert!(win["run"]
        .as_str()
        .unwrap()
        .contains("if (-not $env:WINDOWS_CERTIFICATE)"));
    assert!(win["run"]
        .as_str()
        .unwrap()
        .contains("src-tauri/tauri.windows.conf.json"));
}

#[test]
fn secrets_are_documented_and_actions_are_pinned() {
    let text = read(WORKFLOW);
    let readme = read("README.md");
    for part in text.split("secrets.").skip(1) {
        let name: String = part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        assert!(
            DOCUMENTED_SECRETS.contains(&name.as_str()),
            "undocumented secret {name}"
        );
        assert!(
            name == "GITHUB_TOKEN" || readme.contains(&name),
            "the README does not mention {name}"
        );
    }
    let wf = workflow();
    for (job_name, job) in wf["jobs"].as_object().unwrap() {
        for step in steps(job) {
            if let Some(uses) = step["uses"].as_str() {
                let (_, version) = uses.split_once('@').expect("action@version");
                assert!(
                    version.starts_with('v') || version.len() == 40 || version == "stable",
                    "{job_name}: {uses} is not pinned to a version"
                );
            }
            // Untrusted values go through env, never straight into a shell line.
            if let Some(run) = step["run"].as_str() {
                assert!(
                    !run.contains("${{ github.event"),
                    "{job_name}: event data interpolated into a script"
                );
            }
        }
    }
}

#[test]
fn scripts_it_runs_exist() {
    let text = read(WORKFLOW);
    for word in text.split(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
        if let Some(path) = word.strip_prefix("./scripts/") {
            let file = root().join("scripts").join(path);
            assert!(file.is_file(), "{word} does not exist");
        }
    }
    // The Linux packages' beforeBundleCommand.
    assert!(root().join("scripts/stage-cli").is_file());
}

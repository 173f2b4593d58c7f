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
    assert!(
        with["args"]
            .as_str()
            .unwrap()
            .starts_with("${{ matrix.args }}"),
        "each OS's bundles and target"
    );
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
    for secret in ["WINDOWS_CERTIFICATE", "WINDOWS_CERTIFICATE_PASSWORD"] {
        assert_eq!(win["env"][secret], format!("${{{{ secrets.{secret} }}}}"));
    }
    let win_run = win["run"].as_str().unwrap();
    assert!(
        win_run.starts_with("if (-not $env:WINDOWS_CERTIFICATE)"),
        "without a certificate the step does nothing, so unsigned builds still work"
    );
    // The thumbprint reaches the bundler as an extra --config file, not by rewriting a
    // tracked file.
    assert!(win_run.contains("certificateThumbprint"));
    assert!(win_run.contains("FITAUTH_SIGNING_ARGS=--config "));
    assert!(
        !win_run.contains("src-tauri/"),
        "no tracked file is changed"
    );
    let tauri = step_using(build, "tauri-apps/tauri-action").unwrap();
    assert!(tauri["with"]["args"]
        .as_str()
        .unwrap()
        .contains("${{ env.FITAUTH_SIGNING_ARGS }}"));
    // The signing steps run before the build they affect.
    let position = |step: &Value| all.iter().position(|s| s == step).unwrap();
    assert!(position(mac) < position(tauri) && position(win) < position(tauri));
}

/// The inputs of tauri-action v1 (`src/inputs.ts` and `src/index.ts` of tauri-apps/tauri-action;
/// v1 renamed `includeUpdaterJson` to `uploadUpdaterJson`). An unknown input is silently ignored
/// by GitHub, so a typo here would go unnoticed until a release.
const TAURI_ACTION_INPUTS: &[&str] = &[
    "projectPath",
    "tauriScript",
    "args",
    "tagName",
    "releaseId",
    "releaseName",
    "releaseBody",
    "releaseDraft",
    "prerelease",
    "releaseCommitish",
    "generateReleaseNotes",
    "uploadUpdaterJson",
    "uploadUpdaterSignatures",
    "updaterJsonPreferNsis",
    "uploadPlainBinary",
    "uploadWorkflowArtifacts",
    "workflowArtifactNamePattern",
    "releaseAssetNamePattern",
    "retryAttempts",
    "owner",
    "repo",
    "githubBaseUrl",
    "mobile",
];

/// What tauri-action v1 sets with `core.setOutput`.
const TAURI_ACTION_OUTPUTS: &[&str] = &[
    "releaseId",
    "releaseHtmlUrl",
    "releaseUploadUrl",
    "artifactPaths",
    "appVersion",
];

#[test]
fn tauri_action_gets_only_inputs_it_knows() {
    let wf = workflow();
    let build = &wf["jobs"]["build"];
    let tauri = step_using(build, "tauri-apps/tauri-action").unwrap();
    for key in tauri["with"].as_object().unwrap().keys() {
        assert!(
            TAURI_ACTION_INPUTS.contains(&key.as_str()),
            "tauri-action v1 has no input {key}"
        );
    }
    assert_eq!(tauri["with"]["uploadUpdaterJson"], false, "no updater yet");
    let id = tauri["id"].as_str().expect("the step has an id");
    let text = read(WORKFLOW);
    let prefix = format!("steps.{id}.outputs.");
    let used: Vec<String> = text
        .split(prefix.as_str())
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect();
    assert!(!used.is_empty(), "a later step uses the action's outputs");
    for output in used {
        assert!(
            TAURI_ACTION_OUTPUTS.contains(&output.as_str()),
            "tauri-action v1 has no output {output}"
        );
    }
}

#[test]
fn ui_packages_are_installed_for_the_runner_platform() {
    let wf = workflow();
    let build = &wf["jobs"]["build"];
    let ui = steps(build)
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("npm ci --prefix ui"))
        })
        .expect("a step installing the UI packages");
    let run = ui["run"].as_str().unwrap();
    assert_eq!(ui["shell"], "bash", "the same script on every OS");
    assert!(run.starts_with("npm ci --prefix ui || npm install --prefix ui --no-save"));
    // The lock, written on Linux, lacks the other platforms' native packages (npm/cli#4828).
    for native in ["win32-x64-msvc", "darwin-arm64"] {
        assert!(run.contains(native), "{native}");
    }
    for package in ["@rollup/rollup-$native@", "@tauri-apps/cli-$native@"] {
        assert!(run.contains(package), "{package}");
    }
    let lock = read("ui/package-lock.json");
    for parent in ["node_modules/rollup\"", "node_modules/@tauri-apps/cli\""] {
        assert!(lock.contains(parent), "{parent} is in the lock");
    }
    assert!(run.ends_with("node ui/node_modules/@tauri-apps/cli/tauri.js --version\n"));
}

#[test]
fn the_cli_is_attached_to_the_same_release_for_every_os() {
    let wf = workflow();
    let build = &wf["jobs"]["build"];
    let matrix = build["strategy"]["matrix"]["include"].as_array().unwrap();
    let archives: Vec<&str> = matrix
        .iter()
        .map(|m| m["cli_archive"].as_str().expect("cli_archive"))
        .collect();
    assert_eq!(
        archives,
        [
            "fitauth-linux-x86_64.tar.gz",
            "fitauth-windows-x86_64.zip",
            "fitauth-macos-universal.tar.gz"
        ]
    );
    let all = steps(build);
    let tauri = step_using(build, "tauri-apps/tauri-action").unwrap();
    let cli = all
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("cargo build --release --locked -p fitauth-cli"))
        })
        .expect("a step building the fitauth command");
    let position = |step: &Value| all.iter().position(|s| s == step).unwrap();
    assert!(
        position(tauri) < position(cli),
        "the release exists by then"
    );
    let run = cli["run"].as_str().unwrap();
    // Only the command itself, not the desktop app that shares target/release/fitauth*.
    assert!(run.contains("cp target/release/fitauth.exe dist-cli/"));
    assert!(run.contains("cp target/release/fitauth dist-cli/"));
    assert!(!run.contains("fitauth*"));
    assert!(run.contains("lipo -create"), "a universal macOS command");
    assert!(run.contains("gh release upload \"$TAG\" \"$ARCHIVE\" --clobber"));
    assert_eq!(cli["env"]["TAG"], "v${{ steps.tauri.outputs.appVersion }}");
    assert_eq!(
        tauri["with"]["tagName"], "v__VERSION__",
        "the tag the archive step looks up"
    );
    assert_eq!(cli["env"]["GH_TOKEN"], "${{ secrets.GITHUB_TOKEN }}");
    assert!(read("crates/fitauth-cli/Cargo.toml").contains("name = \"fitauth\""));
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

//! The installer configuration, checked without building: the desktop entry passes the link,
//! the scheme is declared, the icons are ours, and the files the packages add exist.
//! `scripts/package-test` then builds, installs and exercises the real package.

use fitauth_packaging_tests::{read, root};
use serde_json::Value;

fn json(path: &str) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_desktop_entry_template_passes_the_link() {
    let conf = json("src-tauri/tauri.conf.json");
    let linux = &conf["bundle"]["linux"];
    for format in ["deb", "rpm"] {
        let template = linux[format]["desktopTemplate"].as_str().expect(format);
        let text = read(&format!("src-tauri/{template}"));
        // Tauri's stock entry drops the URL (tauri#15928); `%u`, exactly one, is what the
        // deep-link plugin accepts.
        assert!(
            text.lines().any(|l| l == "Exec={{exec}} %u"),
            "{format}: {text}"
        );
        assert!(text.contains("MimeType={{mime_type}}"));
    }
    assert_eq!(
        conf["plugins"]["deep-link"]["desktop"]["schemes"][0],
        "fitauth"
    );
}

#[test]
fn the_package_metadata_is_filled_in() {
    let conf = json("src-tauri/tauri.conf.json");
    let bundle = &conf["bundle"];
    for field in [
        "shortDescription",
        "longDescription",
        "category",
        "license",
        "publisher",
        "copyright",
        "homepage",
    ] {
        assert!(
            bundle[field].as_str().is_some_and(|v| !v.trim().is_empty()),
            "bundle.{field} is empty"
        );
    }
    let cargo = read("src-tauri/Cargo.toml");
    assert!(
        cargo.contains("authors = ["),
        "the .deb's Maintainer comes from authors"
    );
    let targets: Vec<_> = bundle["targets"].as_array().unwrap().iter().collect();
    assert_eq!(targets, ["deb", "rpm"], "offline bundles only by default");
}

#[test]
fn the_icons_are_our_own_and_all_there() {
    let conf = json("src-tauri/tauri.conf.json");
    let icons = conf["bundle"]["icon"].as_array().unwrap();
    for ext in ["png", "icns", "ico"] {
        assert!(
            icons.iter().any(|i| i.as_str().unwrap().ends_with(ext)),
            "no .{ext} icon"
        );
    }
    for icon in icons {
        let path = root().join("src-tauri").join(icon.as_str().unwrap());
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(bytes.len() > 500, "{} looks empty", path.display());
    }
    // The source they were made from (`tauri icon src-tauri/icons/icon.svg`).
    assert!(read("src-tauri/icons/icon.svg").contains("<title>Fitauth</title>"));
}

#[test]
fn the_linux_packages_add_the_cli_and_the_license() {
    let linux = json("src-tauri/tauri.linux.conf.json");
    let script = linux["build"]["beforeBundleCommand"].as_str().unwrap();
    // Run from the UI folder (Tauri's frontend dir).
    let script_path = root().join("ui").join(script);
    assert!(script_path.is_file(), "{script}");
    for format in ["deb", "rpm"] {
        let files = linux["bundle"]["linux"][format]["files"]
            .as_object()
            .unwrap();
        assert_eq!(
            files["/usr/bin/fitauth"], "../target/package-staging/fitauth",
            "{format}: the staged CLI"
        );
        for (dest, source) in files {
            if dest == "/usr/bin/fitauth" {
                continue; // built by the script above
            }
            let source = root().join("src-tauri").join(source.as_str().unwrap());
            assert!(
                source.is_file(),
                "{format}: {dest} ← {} is missing",
                source.display()
            );
        }
    }
    assert!(read("src-tauri/linux/copyright").contains("License: MIT or Apache-2.0"));
}

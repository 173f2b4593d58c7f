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
fn the_linux_packages_link_the_cli_to_the_one_executable_and_add_the_license() {
    let linux = json("src-tauri/tauri.linux.conf.json");
    // No second executable is built or staged: `fitauth` is a link to fitauth-desktop.
    assert!(linux["build"]["beforeBundleCommand"].is_null());
    let postinst = read("src-tauri/linux/postinst");
    assert!(postinst.contains("ln -sf fitauth-desktop /usr/bin/fitauth"));
    let postrm = read("src-tauri/linux/postrm");
    assert!(postrm.contains("rm -f /usr/bin/fitauth"));
    for format in ["deb", "rpm"] {
        let config = &linux["bundle"]["linux"][format];
        assert_eq!(config["postInstallScript"], "linux/postinst", "{format}");
        assert_eq!(config["postRemoveScript"], "linux/postrm", "{format}");
        let files = config["files"].as_object().unwrap();
        assert!(
            !files.contains_key("/usr/bin/fitauth"),
            "{format}: a second copy"
        );
        for (dest, source) in files {
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

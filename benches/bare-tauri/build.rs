//! One command of our own (`ping`, the IPC floor the benchmark measures), allowed to `main` only.
fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(&["ping"])),
    )
    .expect("tauri-build");
}

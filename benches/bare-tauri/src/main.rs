//! The baseline of `scripts/bench`: what any Tauri 2 app with Fitauth's plugins costs (size,
//! launch, memory, an IPC round-trip), so Fitauth's figures can be read as ratios against it.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// The smallest round-trip through Tauri's IPC.
#[tauri::command]
fn ping(n: u64) -> u64 {
    n
}

fn main() {
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|_, _, _| {}))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .invoke_handler(tauri::generate_handler![ping])
        .run(tauri::generate_context!())
        .expect("the bare Tauri app");
}

// Prevents an extra console window on Windows in release.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // While this process has one thread (see the function).
    fitauth_core::clock::init_local_offset();
    fitauth_desktop::run();
}

// Prevents an extra console window on Windows in release.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    // While this process has one thread (see the function).
    fitauth_core::clock::init_local_offset();
    // One executable, two faces: the Linux packages link `fitauth` to this file.
    if fitauth_desktop::called_as_cli(std::env::args_os()) {
        return fitauth_cli::main();
    }
    fitauth_desktop::run();
    ExitCode::SUCCESS
}

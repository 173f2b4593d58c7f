//! The `fitauth` command; everything is in the library (`fitauth_cli::main`).

fn main() -> std::process::ExitCode {
    fitauth_cli::main()
}

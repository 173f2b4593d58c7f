//! `fitauth-sandbox`: run the offline provider in the foreground.

use std::io::Write;
use std::net::IpAddr;

use clap::Parser;
use fitauth_sandbox::{Sandbox, SandboxConfig};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "An offline Fitbit and Google OAuth 2.0 provider for trying and testing Fitauth"
)]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// Address to bind; keep it on loopback.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Skip the consent page: approve every valid authorization at once.
    #[arg(long)]
    auto_approve: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // RUST_LOG as a target list (`info`, `fitauth_sandbox=debug,tower_http=trace`).
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse::<tracing_subscriber::filter::Targets>().ok())
        .unwrap_or_else(|| {
            tracing_subscriber::filter::Targets::new()
                .with_target("fitauth_sandbox", tracing::Level::INFO)
        });
    tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .init();
    let args = Args::parse();
    let sandbox = match Sandbox::start(SandboxConfig {
        bind: args.bind,
        port: args.port,
        auto_approve: args.auto_approve,
    })
    .await
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "fitauth-sandbox: could not listen on {}:{} ({e})",
                args.bind, args.port
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("fitauth sandbox listening on {}", sandbox.base_url());
    let _ = std::io::stdout().flush();
    shutdown_signal().await;
    sandbox.shutdown().await;
    std::process::ExitCode::SUCCESS
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("signal handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

//! `fitauth`: the command-line companion of the Fitauth desktop app. It shares the app's store
//! (metadata file + OS keyring), so a script can run
//! `curl -H "Authorization: Bearer $(fitauth token)" …` and always get a fresh token.
//!
//! A thin face over `fitauth_core::service`: each command parses its arguments, calls the
//! use-case layer and prints. Exit status 0 on success; otherwise non-zero with one line on
//! stderr that says what happened and what to do.
//!
//! A library with one entry point, [`main`]; the `fitauth` binary is `fitauth_cli::main()`.

mod accounts;
mod api;
mod apps;
mod hints;
mod import;
mod login;
mod migrate;
mod output;
mod sandbox;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use fitauth_core::service::Options;
use fitauth_core::{Error, Fitauth, Timeouts};

#[derive(Parser, Debug)]
#[command(
    name = "fitauth",
    version,
    about = "Connect a Fitbit account over OAuth 2.0 and see what its tokens are doing"
)]
struct Cli {
    /// Machine-readable JSON output (never contains a secret).
    #[arg(long, global = true)]
    json: bool,

    /// Seconds a command may wait for the provider, all its calls and retries together.
    #[arg(long, global = true, env = "FITAUTH_TIMEOUT", default_value_t = 30)]
    timeout: u64,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Connect an account: consent in the browser, then store the tokens.
    Login(login::LoginArgs),
    /// Sign an account in again through its own registration, under the same name: when its
    /// grant ended, or to ask for more scopes (`--add-scopes`).
    Reconnect(login::ReconnectArgs),
    /// List connected accounts with their scopes, expiry and state.
    #[command(visible_alias = "accounts")]
    Status(accounts::AccountArg),
    /// Print the access token (refreshed first when it expires within 5 minutes).
    Token(accounts::AccountArg),
    /// Refresh the access token now.
    Refresh(accounts::AccountArg),
    /// Ask the provider about the access token (Fitbit introspect, Google tokeninfo); refreshed
    /// first when it expires within 5 minutes.
    Introspect(accounts::AccountArg),
    /// Revoke the account at the provider, then remove its tokens from this machine.
    #[command(visible_alias = "logout")]
    Revoke(accounts::RevokeArgs),
    /// Import a token you already have: the access token on stdin's first line, the refresh
    /// token (optional) on the second; stored once the provider says it is active.
    Import(import::ImportArgs),
    /// Send a request to the provider's API with the account's token (refreshed first when
    /// due; once more after a 401), like `gh api`: `fitauth api /1/user/-/profile.json`.
    Api(api::ApiArgs),
    /// Move a Fitbit account to Google Health (Fitbit's old service was turned off): sign in
    /// with Google once; the account keeps its name.
    Migrate(migrate::MigrateArgs),
    /// Give an account another name.
    Rename {
        /// The account's current name.
        account: String,
        /// Its new name.
        new_name: String,
    },
    /// Decode a JWT's header and claims (decoded, not verified).
    Decode {
        /// The token; `-` reads it from stdin.
        jwt: String,
    },
    /// Manage app registrations (client id, app type, redirect, endpoints).
    #[command(subcommand)]
    Apps(apps::AppsCommand),
    /// Run the offline sandbox provider in the foreground.
    Sandbox(sandbox::SandboxArgs),
}

/// What every command gets.
pub struct Ctx {
    pub json: bool,
    timeouts: Timeouts,
}

impl Ctx {
    /// Opens Fitauth's data; only commands that need it pay for the keyring connection.
    pub fn fitauth(&self) -> Result<Fitauth, Error> {
        Fitauth::open(Options {
            home: None,
            timeouts: self.timeouts,
        })
    }
}

fn init_logging() {
    // Quiet by default: stderr is for the one-line error. FITAUTH_LOG=debug shows the exchanges
    // (redacted).
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let Ok(value) = std::env::var("FITAUTH_LOG") else {
        return;
    };
    match fitauth_core::logging::directives(&value).parse::<tracing_subscriber::filter::Targets>() {
        Ok(filter) => {
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
                .try_init();
        }
        Err(e) => {
            eprintln!("fitauth: FITAUTH_LOG is not a level or a target list ({e}); not logging")
        }
    }
}

async fn run(cli: Cli) -> Result<(), Error> {
    let ctx = Ctx {
        json: cli.json,
        timeouts: Timeouts {
            connect: Duration::from_secs(cli.timeout.clamp(1, 30)),
            total: Duration::from_secs(cli.timeout.max(1)),
        },
    };
    match cli.command {
        Command::Login(args) => login::run(&ctx, args).await,
        Command::Reconnect(args) => login::reconnect(&ctx, args).await,
        Command::Status(args) => accounts::status(&ctx, args).await,
        Command::Token(args) => accounts::token(&ctx, args).await,
        Command::Refresh(args) => accounts::refresh(&ctx, args).await,
        Command::Introspect(args) => accounts::introspect(&ctx, args).await,
        Command::Revoke(args) => accounts::revoke(&ctx, args).await,
        Command::Api(args) => api::run(&ctx, args).await,
        Command::Import(args) => import::run(&ctx, args).await,
        Command::Migrate(args) => migrate::run(&ctx, args).await,
        Command::Rename { account, new_name } => accounts::rename(&ctx, &account, &new_name).await,
        Command::Decode { jwt } => accounts::decode(&ctx, &jwt),
        Command::Apps(cmd) => apps::run(&ctx, cmd).await,
        Command::Sandbox(args) => sandbox::run(args).await,
    }
}

/// Ctrl-C and SIGTERM stop `fitauth` at once, except while a refresh holds new tokens not yet
/// saved (see `fitauth_core::shield`): then it says so, finishes the save, and stops.
/// `login`, `migrate` and `sandbox` handle Ctrl-C themselves.
fn stop_on_signals() {
    tokio::spawn(async {
        let code = interrupted().await;
        if fitauth_core::shield::is_held() {
            eprintln!("fitauth: saving the new tokens first; stopping in a moment.");
            fitauth_core::shield::released(Duration::from_secs(10)).await;
        }
        std::process::exit(code);
    });
}

/// Waits for Ctrl-C or SIGTERM; the exit code a shell expects for it (128 + signal).
async fn interrupted() -> i32 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => 130,
                _ = term.recv() => 143,
            },
            Err(_) => tokio::signal::ctrl_c().await.map_or(1, |()| 130),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map_or(1, |()| 130)
    }
}

/// Runs `fitauth` with the process's arguments; the exit code to return from `main`.
pub fn main() -> ExitCode {
    fitauth_core::clock::init_local_offset();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run_cli()),
        Err(e) => {
            eprintln!("fitauth: could not start: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_cli() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    if !matches!(
        cli.command,
        Command::Login(_) | Command::Reconnect(_) | Command::Migrate(_) | Command::Sandbox(_)
    ) {
        stop_on_signals();
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fitauth: {}", hints::one_line(&e));
            ExitCode::FAILURE
        }
    }
}

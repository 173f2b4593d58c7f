//! `fitauth login`: turn the flags into a registration and a sign-in request, open the browser,
//! wait (Ctrl-C cancels), print who connected. Everything else — the redirect, the exchange,
//! whose account it is — is the use-case layer's (`fitauth_core::service::connect`), the same
//! code the desktop app runs.

use std::io::IsTerminal;
use std::time::Duration;

use clap::Args;
use fitauth_core::service::apps::{RegistrationInput, COMMAND_SANDBOX_APP};
use fitauth_core::service::connect::{Connected, Refused, SignInRequest, SignInStatus};
use fitauth_core::store::OutcomeStatus;
use fitauth_core::{AppRegistration, Browser, ClientSecret, Error, Fitauth, ProviderKind};

use crate::{output, sandbox, Ctx};

/// Scopes a sandbox login asks for when none are given.
const SANDBOX_DEFAULT_SCOPES: &str = "activity heartrate profile sleep";

/// How long to wait for the browser: a pending sign-in lives 10 minutes.
const WAIT: Duration = Duration::from_secs(600);

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// fitbit, google-health, or sandbox (the built-in offline provider).
    #[arg(long)]
    provider: String,
    /// The app's client id (not needed for the sandbox, nor with a built-in client).
    #[arg(long)]
    client_id: Option<String>,
    /// The app's client secret (server apps, Google desktop clients). Also read from
    /// FITAUTH_CLIENT_SECRET, which keeps it out of shell history.
    #[arg(long, env = "FITAUTH_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// Fitbit app type.
    #[arg(long, default_value = "client")]
    app_type: String,
    /// Space-separated scopes, e.g. "activity sleep profile".
    #[arg(long)]
    scopes: Option<String>,
    /// How the browser comes back: a loopback listener, or the fitauth:// link (the desktop app
    /// receives it, or you paste the address). Google always uses loopback. Default: loopback;
    /// the fitauth:// link for the implicit grant (whose token a loopback listener never sees).
    #[arg(long)]
    redirect: Option<String>,
    /// How to get the token: `code` (authorization code, with PKCE unless --no-pkce on a server
    /// app), `implicit` (Fitbit client and personal apps: the token in the redirect, no refresh
    /// token) or `client-credentials` (Fitbit server apps: an app token with no user).
    #[arg(long, default_value = "code")]
    grant: String,
    /// The access token's lifetime: code `8h` (the default) or `1h` (Fitbit; its refreshes keep
    /// it); implicit `1d`, `1w`, `30d` or `1y`; client credentials `1h`, `8h`, `1d`, `1w`, `30d`
    /// or `1y` (or seconds).
    #[arg(long)]
    lifetime: Option<String>,
    /// Name to store the account under. Default: named after the person who signs in (the same
    /// person signing in again updates their account).
    #[arg(long)]
    account: Option<String>,
    /// Name of the app registration (defaults to the client id).
    #[arg(long)]
    app: Option<String>,
    /// Print the URL instead of opening a browser.
    #[arg(long)]
    no_browser: bool,
    /// Server apps only: skip PKCE.
    #[arg(long)]
    no_pkce: bool,
    /// Ask the provider to show the consent screen again (`consent`, `login`, …).
    #[arg(long)]
    prompt: Option<String>,
    /// Move every endpoint of the provider to this base URL.
    #[arg(long)]
    base_url: Option<String>,
    /// Google: the project's OAuth consent screen is in Testing, so refresh tokens end seven
    /// days after consent (Fitauth warns a day before).
    #[arg(long)]
    testing: bool,
    /// Loopback port to listen on. Default: 47813 for the real Fitbit (which matches the
    /// redirect URL exactly, so register http://127.0.0.1:47813/callback), else any free port.
    #[arg(long)]
    port: Option<u16>,
}

/// `fitauth reconnect`: the account signs in again through its own registration.
#[derive(Args, Debug)]
pub struct ReconnectArgs {
    /// The account (not needed when there is only one).
    #[arg(long)]
    account: Option<String>,
    /// Ask for more: space-separated scopes to add to what the account asked for before (what
    /// was denied is asked for again too), like `gh auth refresh --scopes`.
    #[arg(long)]
    add_scopes: Option<String>,
    /// How the browser comes back: loopback or scheme (the fitauth:// link). Default: as the
    /// account's registration is set up.
    #[arg(long)]
    redirect: Option<String>,
    /// Print the URL instead of opening a browser.
    #[arg(long)]
    no_browser: bool,
    /// Loopback port to listen on (as at login: the real Fitbit matches the redirect URL
    /// exactly). Default: 47813 for the real Fitbit, else any free port.
    #[arg(long)]
    port: Option<u16>,
}

/// Connects an account again (a grant that ended, or more scopes), under the same name.
pub async fn reconnect(ctx: &Ctx, args: ReconnectArgs) -> Result<(), Error> {
    let fitauth = ctx.fitauth()?;
    let more: Vec<String> = args
        .add_scopes
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let mut request = fitauth
        .reconnect_request(args.account.as_deref(), &more)
        .await?;
    // A sandbox account signs in again on the sandbox this command runs (or finds).
    let sandboxed = fitauth_core::service::apps::is_sandbox(&request.app.name);
    let embedded = if sandboxed {
        let running = sandbox::ensure_running().await?;
        request.app = fitauth
            .use_sandbox(&request.app.name, running.base_url())
            .await?;
        Some(running)
    } else {
        None
    };
    // As the registration is set up to come back (Fitbit matches its redirect URL exactly); the
    // sandbox takes either, and loopback needs no paste.
    request.redirect = Some(match &args.redirect {
        Some(r) => r.parse()?,
        None if sandboxed => fitauth_core::RedirectMode::Loopback,
        None => request.app.redirect,
    });
    request.port = args.port;
    sign_in_and_wait(ctx, &fitauth, request, args.no_browser, embedded).await
}

/// The registration these flags mean: the sandbox's, one built from `--client-id`, or the one
/// compiled into this build.
async fn registration(
    fitauth: &Fitauth,
    args: &LoginArgs,
) -> Result<(AppRegistration, Option<sandbox::RunningSandbox>), Error> {
    if args.provider == "sandbox" {
        if args.client_id.is_some() || args.base_url.is_some() {
            return Err(Error::Invalid(
                "--provider sandbox uses the built-in sandbox registration; leave out --client-id \
                 and --base-url (or use --provider fitbit with them)"
                    .into(),
            ));
        }
        let (app, running) = sandbox_registration(fitauth).await?;
        return Ok((app, Some(running)));
    }
    let provider: ProviderKind = args.provider.parse()?;
    let app = match &args.client_id {
        Some(client_id) => {
            fitauth
                .save_registration(RegistrationInput {
                    name: args.app.clone().unwrap_or_else(|| client_id.clone()),
                    provider,
                    client_id: client_id.clone(),
                    app_type: args.app_type.parse()?,
                    redirect: args.redirect.as_deref().unwrap_or("loopback").parse()?,
                    base_url: args.base_url.clone(),
                    client_secret: args.client_secret.clone().map(ClientSecret::new),
                    testing: args.testing,
                })
                .await?
        }
        // No --client-id: the registration named by --app, else this build's built-in client,
        // else the first one stored for the provider (as the desktop's Connect picks).
        None if args.base_url.is_some() => {
            return Err(Error::Invalid(
                "--base-url goes with --client-id (a registration of its own)".into(),
            ))
        }
        None => stored_registration(fitauth, provider, args.app.as_deref()).await?,
    };
    Ok((app, None))
}

/// The command line's sandbox registration, on the sandbox it runs (or finds).
pub(crate) async fn sandbox_registration(
    fitauth: &Fitauth,
) -> Result<(AppRegistration, sandbox::RunningSandbox), Error> {
    let running = sandbox::ensure_running().await?;
    let app = fitauth
        .use_sandbox(COMMAND_SANDBOX_APP, running.base_url())
        .await?;
    Ok((app, running))
}

/// A stored registration of `provider`: the one named `app`, else this build's built-in
/// client, else the first one stored (as the desktop's Connect picks).
pub(crate) async fn stored_registration(
    fitauth: &Fitauth,
    provider: ProviderKind,
    app: Option<&str>,
) -> Result<AppRegistration, Error> {
    let builtin = match app {
        Some(_) => None,
        None => fitauth.builtin_registration(provider).await?,
    };
    match builtin {
        Some(app) => Ok(app),
        None => fitauth.registration_for(provider, app).await,
    }
}

/// The grant `--grant` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    Code,
    Implicit,
    ClientCredentials,
}

fn grant(name: &str) -> Result<Grant, Error> {
    match name {
        "code" => Ok(Grant::Code),
        "implicit" => Ok(Grant::Implicit),
        "client-credentials" => Ok(Grant::ClientCredentials),
        other => Err(Error::Invalid(format!(
            "--grant {other} is not one Fitauth knows; use code, implicit or client-credentials"
        ))),
    }
}

/// `--lifetime` in seconds: `1h`, `8h`, `1d`, `1w`, `30d`, `1y`, or a number of seconds.
fn lifetime(text: &str) -> Result<u64, Error> {
    let seconds = match text.trim() {
        "1h" => Some(3_600),
        "8h" => Some(28_800),
        "1d" => Some(86_400),
        "1w" | "7d" => Some(604_800),
        "30d" => Some(2_592_000),
        "1y" | "365d" => Some(31_536_000),
        n => n.parse().ok(),
    };
    seconds.ok_or_else(|| {
        Error::Invalid(format!(
            "--lifetime {text} is not a lifetime; use 1h, 8h, 1d, 1w, 30d, 1y or seconds"
        ))
    })
}

pub async fn run(ctx: &Ctx, args: LoginArgs) -> Result<(), Error> {
    let grant = grant(&args.grant)?;
    let lifetime = args.lifetime.as_deref().map(lifetime).transpose()?;
    if grant == Grant::ClientCredentials {
        // What cannot work at all is said first: only a Fitbit server app has this grant.
        if args.provider != "fitbit" || (args.client_id.is_some() && args.app_type != "server") {
            let what = if args.provider != "fitbit" {
                format!("--provider {}", args.provider)
            } else {
                format!("a {} app", args.app_type)
            };
            return Err(Error::Invalid(format!(
                "the client-credentials grant is for Fitbit server apps (it authenticates with \
                 the client secret), not {what}"
            )));
        }
        // No browser, no person: these would be silently ignored.
        let ignored: Vec<&str> = [
            ("--scopes", args.scopes.is_some()),
            ("--prompt", args.prompt.is_some()),
            ("--redirect", args.redirect.is_some()),
            ("--no-pkce", args.no_pkce),
            ("--no-browser", args.no_browser),
            ("--port", args.port.is_some()),
        ]
        .into_iter()
        .filter_map(|(flag, given)| given.then_some(flag))
        .collect();
        if !ignored.is_empty() {
            return Err(Error::Invalid(format!(
                "--grant client-credentials asks for an app token without a browser or a person; \
                 leave out {}",
                ignored.join(", ")
            )));
        }
    }
    let fitauth = ctx.fitauth()?;
    // The sandbox lives as long as this login; its tokens keep working while a `fitauth sandbox`
    // on the same address runs (see the README).
    let (app, embedded) = registration(&fitauth, &args).await?;
    if grant == Grant::ClientCredentials {
        let name = args
            .account
            .clone()
            .unwrap_or_else(|| format!("{}-app-token", app.name));
        let saved = fitauth.app_token(app, lifetime, &name).await?;
        drop(embedded);
        output::connected(ctx, &saved.account, saved.updated);
        return Ok(());
    }
    let scopes: Vec<String> = args
        .scopes
        .as_deref()
        .or(embedded.as_ref().map(|_| SANDBOX_DEFAULT_SCOPES))
        .ok_or_else(|| {
            Error::Invalid("--scopes is required, e.g. --scopes \"activity sleep profile\"".into())
        })?
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let redirect = match (&args.redirect, grant) {
        (Some(r), _) => r.parse()?,
        (None, Grant::Implicit) => fitauth_core::RedirectMode::Scheme,
        (None, _) => fitauth_core::RedirectMode::Loopback,
    };
    let request = SignInRequest {
        account: args.account.clone(),
        redirect: Some(redirect),
        port: args.port,
        prompt: args.prompt.clone(),
        pkce: !args.no_pkce,
        response_type: if grant == Grant::Implicit {
            fitauth_core::ResponseType::Token
        } else {
            fitauth_core::ResponseType::Code
        },
        expires_in: lifetime,
        ..SignInRequest::new(app, scopes)
    };
    sign_in_and_wait(ctx, &fitauth, request, args.no_browser, embedded).await
}

/// Starts `request`'s sign-in, opens the consent page (or prints it), and waits for the redirect
/// (loopback, a pasted address, or the desktop app receiving the link). `embedded` is the
/// sandbox this command runs, kept alive until the sign-in ends.
async fn sign_in_and_wait(
    ctx: &Ctx,
    fitauth: &Fitauth,
    request: SignInRequest,
    no_browser: bool,
    embedded: Option<sandbox::RunningSandbox>,
) -> Result<(), Error> {
    let (sign_in, loopback) = fitauth.begin_sign_in(request).await?;

    let url = sign_in.authorize_url.as_str();
    if no_browser {
        eprintln!("Open this address in your browser to continue:\n{url}");
    } else if let Err(e) = Browser::from_env().open(url) {
        eprintln!("{e} Open this address yourself:\n{url}");
    }

    let outcome =
        match loopback {
            Some(wait) => {
                waiting("Waiting for you to finish in the browser", async {
                    fitauth.finish_loopback(wait).await.map(Finished::Here)
                })
                .await
            }
            None => waiting(
                "Paste the address the browser was sent to (it starts with fitauth://callback), \
                 or let the Fitauth app receive it",
                pasted_or_by_app(fitauth, &sign_in.state),
            )
            .await,
        };
    if outcome.is_err() {
        // Cancelled, timed out or refused: a late redirect for it must change nothing.
        let _ = fitauth.cancel_sign_in(&sign_in.state).await;
    }
    drop(embedded);
    match outcome? {
        Finished::Here(connected) => output::connected(ctx, &connected.account, connected.updated),
        Finished::ByApp(account, updated) => output::connected(ctx, &account, updated),
    }
    Ok(())
}

/// How the sign-in came back.
enum Finished {
    /// This process exchanged the code.
    Here(Connected),
    /// The desktop app received the link and saved the connection (`true`: as the person's
    /// existing account).
    ByApp(fitauth_core::Account, bool),
}

/// Waits for `work` with a progress line (a spinner on a terminal), Ctrl-C and a time limit.
pub(crate) async fn waiting<T>(
    what: &str,
    work: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let interactive = std::io::stderr().is_terminal();
    if !interactive {
        eprintln!("{what}… (Ctrl-C to cancel)");
    }
    let spinner = async {
        if !interactive {
            return std::future::pending::<()>().await;
        }
        let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
        for i in 0.. {
            eprint!("\r{} {what}… (Ctrl-C to cancel) ", frames[i % frames.len()]);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let result = tokio::select! {
        r = work => r,
        _ = spinner => unreachable!(),
        _ = tokio::signal::ctrl_c() => Err(Error::Cancelled),
        _ = tokio::time::sleep(WAIT) => Err(Error::AuthorizationExpired),
    };
    if interactive {
        eprint!("\r\x1b[2K");
    }
    result
}

/// `--redirect scheme`: the address is pasted here, or the desktop app (which shares the store)
/// receives the `fitauth://` link. Whichever takes the pending sign-in first exchanges the code;
/// the other learns how it ended from the store.
async fn pasted_or_by_app(fitauth: &Fitauth, state: &str) -> Result<Finished, Error> {
    let mut lines = stdin_lines();
    let mut stdin_open = true;
    loop {
        tokio::select! {
            line = lines.recv(), if stdin_open => match line {
                None => stdin_open = false,
                Some(Err(e)) => {
                    return Err(Error::Invalid(format!("the pasted address could not be read ({e})")))
                }
                Some(Ok(line)) if line.trim().is_empty() => {}
                Some(Ok(line)) => match fitauth.finish_redirect(&line).await {
                    Ok(connected) => return Ok(Finished::Here(connected)),
                    // The desktop app has it: wait for its outcome below.
                    Err(Refused::AlreadyTaken) => {}
                    Err(refused) => return Err(refused.into_error().unwrap_or(Error::StateMismatch)),
                },
            },
            _ = tokio::time::sleep(Duration::from_millis(250)) => {
                match fitauth.sign_in_status(state).await? {
                    SignInStatus::Waiting | SignInStatus::Ended(OutcomeStatus::InProgress) => {}
                    SignInStatus::Ended(OutcomeStatus::Connected { account_id, updated, .. }) => {
                        tracing::info!("the desktop app finished the sign-in");
                        let account = fitauth.account_by_id(&account_id).await?;
                        return Ok(Finished::ByApp(account, updated));
                    }
                    SignInStatus::Ended(OutcomeStatus::Failed { error }) => {
                        return Err(Error::FinishedElsewhereFailed { reason: error.message })
                    }
                    // Cancelled (a cancel leaves no trace), or expired.
                    SignInStatus::Unknown => {
                        return Err(Error::Cancelled)
                    }
                }
            }
        }
    }
}

/// Lines of standard input, read on a plain thread rather than tokio's blocking pool: a read
/// that never finishes (the desktop app completed the sign-in instead) must not keep the process
/// alive.
fn stdin_lines() -> tokio::sync::mpsc::UnboundedReceiver<std::io::Result<String>> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

//! `fitauth login`: register the app, consent in the browser, receive the redirect (loopback
//! listener, or a pasted `fitauth://callback` address), exchange the code, store the account.

use std::io::IsTerminal;
use std::time::Duration;

use clap::Args;
use fitauth_core::defaults;
use fitauth_core::{
    AppRegistration, AppType, AuthorizeOptions, Authorized, ClientSecret, Error, LoopbackListener,
    OAuthClient, PendingAuthorization, ProviderKind, RedirectMode, RedirectParams,
};

use crate::{browser, output, sandbox, Ctx};

/// Scopes a sandbox login asks for when none are given.
const SANDBOX_DEFAULT_SCOPES: &str = "activity heartrate profile sleep";

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// fitbit, google-health, or sandbox (the built-in offline provider).
    #[arg(long)]
    provider: String,
    /// The app's client id (not needed for the sandbox).
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
    /// How the browser comes back: a loopback listener, or the fitauth:// link (you paste the
    /// address). Google always uses loopback.
    #[arg(long, default_value = "loopback")]
    redirect: String,
    /// Name to store the account under.
    #[arg(long, default_value = "default")]
    account: String,
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
    /// Loopback port to listen on. Default: 47813 for the real Fitbit (which matches the
    /// redirect URL exactly, so register http://127.0.0.1:47813/callback), else any free port.
    #[arg(long)]
    port: Option<u16>,
}

/// The loopback port for a sign-in through `app`: Fitbit compares redirect URLs exactly, so the
/// real Fitbit gets the fixed, documented port; Google, the sandbox and moved endpoints take any.
fn loopback_port(app: &AppRegistration, asked: Option<u16>) -> u16 {
    if let Some(port) = asked {
        return port;
    }
    let moved = app.base_url.is_some()
        || app.endpoints.is_some()
        || std::env::var_os(app.provider.base_url_env()).is_some();
    if app.provider == ProviderKind::Fitbit && !moved {
        defaults::FITBIT_LOOPBACK_PORT
    } else {
        0
    }
}

/// How long to wait for the browser: a pending authorization lives 10 minutes.
const WAIT: Duration = Duration::from_secs(600);

pub async fn run(ctx: &Ctx, args: LoginArgs) -> Result<(), Error> {
    let store = ctx.store()?;
    store.check_secrets_writable()?;
    // The sandbox lives as long as this login; its tokens keep working while a `fitauth sandbox`
    // on the same address runs (see the README).
    let mut embedded = None;
    // A registration compiled into this build (fitauth_core::defaults), used without --client-id.
    let mut builtin: Option<defaults::BuiltIn> = None;
    let (kind, client_id, base_url, default_scopes) = if args.provider == "sandbox" {
        let running = sandbox::ensure_running().await?;
        let base = running.base_url().to_owned();
        embedded = Some(running);
        (
            ProviderKind::Fitbit,
            args.client_id
                .clone()
                .unwrap_or_else(|| "sandbox-client".into()),
            Some(base),
            Some(SANDBOX_DEFAULT_SCOPES),
        )
    } else {
        let kind: ProviderKind = args.provider.parse()?;
        match args.client_id.clone() {
            Some(id) => (kind, id, args.base_url.clone(), None),
            None => {
                let found = defaults::builtin(kind).ok_or_else(|| {
                    Error::Config(format!(
                        "--client-id is required: this copy of fitauth has no built-in {} client \
                         (or try --provider sandbox)",
                        kind.as_str()
                    ))
                })?;
                let id = found.registration.client_id.clone();
                builtin = Some(found);
                (kind, id, args.base_url.clone(), None)
            }
        }
    };
    let scopes: Vec<String> = args
        .scopes
        .as_deref()
        .or(default_scopes)
        .ok_or_else(|| {
            Error::Config("--scopes is required, e.g. --scopes \"activity sleep profile\"".into())
        })?
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let mut redirect: RedirectMode = args.redirect.parse()?;
    if kind == ProviderKind::GoogleHealth {
        redirect = RedirectMode::Loopback;
    }

    let app = match builtin {
        Some(found) if args.base_url.is_none() => found.install(&store)?,
        _ => {
            let app = AppRegistration {
                name: args.app.clone().unwrap_or_else(|| client_id.clone()),
                provider: kind,
                client_id,
                app_type: args.app_type.parse::<AppType>()?,
                redirect,
                base_url,
                endpoints: None,
                has_client_secret: false,
            };
            let secret = args
                .client_secret
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(ClientSecret::new);
            store.save_app(app, secret.as_ref())?
        }
    };
    let config = store.client_config(&app)?;
    config.client_auth()?; // a missing secret is reported before the browser opens
    let client = OAuthClient::new(config, ctx.http.clone());

    let listener = match redirect {
        RedirectMode::Loopback => {
            Some(LoopbackListener::bind(loopback_port(&app, args.port)).await?)
        }
        RedirectMode::Scheme => None,
    };
    let redirect_uri = listener
        .as_ref()
        .map(|l| l.redirect_uri())
        .unwrap_or_else(|| "fitauth://callback".into());
    let mut options = AuthorizeOptions::code(scopes.clone(), redirect_uri);
    options.pkce = !args.no_pkce;
    options.prompt = args.prompt.clone();
    let pending = PendingAuthorization::start(client.config(), options)?;

    let url = pending.authorize_url.as_str();
    if args.no_browser {
        eprintln!("Open this address in your browser to continue:\n{url}");
    } else if let Err(reason) = browser::open(url) {
        eprintln!("Could not open a browser ({reason}). Open this address yourself:\n{url}");
    }

    let authorized = match &listener {
        Some(listener) => {
            wait(
                "Waiting for you to finish in the browser",
                listener.accept(&pending),
            )
            .await?
        }
        None => {
            // The desktop app shares this store: when the OS hands it the fitauth:// link, it
            // finds this pending sign-in there and finishes it. Whichever comes first wins.
            let state = pending.state.as_str().to_owned();
            store.save_pending(&pending, &app.name, &args.account)?;
            let outcome = wait(
                "Paste the address the browser was sent to (it starts with fitauth://callback), \
                 or let the Fitauth app receive it",
                async {
                    tokio::select! {
                        pasted = read_pasted(&pending) => pasted.map(Finished::Pasted),
                        saved = finished_by_app(&store, &state, &args.account, pending.created_at) =>
                            saved.map(Finished::ByApp),
                    }
                },
            )
            .await;
            if !matches!(outcome, Ok(Finished::ByApp(_))) {
                store.remove_pending(&state)?;
            }
            match outcome? {
                Finished::Pasted(authorized) => authorized,
                Finished::ByApp(account) => {
                    drop(embedded);
                    output::connected(ctx, &account);
                    return Ok(());
                }
            }
        }
    };
    let Authorized::Code { code, .. } = authorized else {
        return Err(Error::MalformedRedirect(
            "expected an authorization code".into(),
        ));
    };
    let tokens = client.exchange_code(&pending, &code).await?;
    // "Connected as …": best effort; a token without the profile scope still connects.
    let identity = match client.identity(&tokens.access_token).await {
        Ok(identity) => Some(identity),
        Err(e) => {
            tracing::info!(error = %e, "no identity; falling back to the token's user id");
            None
        }
    };
    let account =
        store.save_connection(&args.account, &app, &tokens, &scopes, identity.as_ref())?;
    drop(embedded);
    output::connected(ctx, &account);
    Ok(())
}

/// Waits for `work` with a progress line (a spinner on a terminal), Ctrl-C and a time limit.
async fn wait<T>(
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

/// How a `--redirect scheme` sign-in came back.
enum Finished {
    /// The address was pasted here; this process exchanges the code.
    Pasted(Authorized),
    /// The desktop app received the link and saved the connection.
    ByApp(fitauth_core::Account),
}

/// Waits until the desktop app has taken the pending sign-in `state` off the store (it does when
/// it finishes or fails it), and returns the account it saved.
async fn finished_by_app(
    store: &fitauth_core::Store,
    state: &str,
    account: &str,
    since: i64,
) -> Result<fitauth_core::Account, Error> {
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let meta = store.load()?;
        if meta
            .pending
            .iter()
            .any(|p| p.authorization.state.matches(state))
        {
            continue;
        }
        tracing::info!("the pending sign-in was taken by another program");
        return match meta.account(account) {
            Ok(saved) if saved.updated_at >= since => Ok(saved.clone()),
            _ => Err(Error::FinishedElsewhereFailed),
        };
    }
}

/// Reads pasted lines until one is a redirect for this authorization.
///
/// Standard input is read on a plain thread, not tokio's blocking pool: a read that never
/// finishes (the desktop app completed the sign-in instead) must not keep the process alive.
async fn read_pasted(pending: &PendingAuthorization) -> Result<Authorized, Error> {
    let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        let line = lines
            .recv()
            .await
            .ok_or(Error::Cancelled)?
            .map_err(|e| Error::Storage {
                reason: format!("could not read the pasted address ({e})"),
            })?;
        if line.trim().is_empty() {
            continue;
        }
        return RedirectParams::parse(&line).and_then(|p| p.verify(pending));
    }
}

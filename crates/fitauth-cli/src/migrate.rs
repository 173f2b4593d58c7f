//! `fitauth migrate`: move a legacy Fitbit account to Google Health. Says what happened and what
//! will happen, opens the Google sign-in with the Google scopes that stand for the account's
//! Fitbit ones, and prints how the move ended. The rules (which registration, the identity
//! check, revoking the legacy token, keeping the name) are the use-case layer's
//! (`fitauth_core::service::migrate`), the same code the desktop app's "Move to Google" runs.

use clap::Args;
use fitauth_core::migration::{WHAT_HAPPENED, WHAT_STAYS, WHAT_TO_DO};
use fitauth_core::service::apps::COMMAND_SANDBOX_APP;
use fitauth_core::{Browser, Error};

use crate::login::waiting;
use crate::{output, sandbox, Ctx};

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// The Fitbit account to move (optional when only one Fitbit account is connected).
    #[arg(long)]
    account: Option<String>,
    /// The Google Health app registration to sign in through. Default: the one built into this
    /// copy of Fitauth, else the first one stored (`fitauth apps list`).
    #[arg(long)]
    app: Option<String>,
    /// Print the URL instead of opening a browser.
    #[arg(long)]
    no_browser: bool,
    /// Loopback port to listen on (Google accepts any; default: a free one).
    #[arg(long)]
    port: Option<u16>,
}

pub async fn run(ctx: &Ctx, args: MigrateArgs) -> Result<(), Error> {
    let fitauth = ctx.fitauth()?;
    let legacy = fitauth.legacy_account(args.account.as_deref()).await?;
    // A sandbox account moves on the sandbox: `fitauth sandbox`'s, or one started for this.
    let running = if legacy.app == COMMAND_SANDBOX_APP {
        Some(sandbox::ensure_running().await?)
    } else {
        None
    };
    let plan = fitauth
        .migration_plan(
            Some(&legacy.name),
            args.app.as_deref(),
            running.as_ref().map(|r| r.base_url()),
        )
        .await?;
    eprintln!("{WHAT_HAPPENED}\n{WHAT_TO_DO}\n{WHAT_STAYS}");
    eprintln!(
        "Moving \"{}\" through \"{}\"; asking Google for: {}.",
        plan.account.name,
        plan.target.name,
        output::labels(&plan.scopes.google)
    );
    if !plan.scopes.unmapped.is_empty() {
        eprintln!(
            "Google Health has no equivalent of: {}.",
            plan.scopes.unmapped.join(", ")
        );
    }
    let (sign_in, wait) = fitauth.begin_migration(&plan, args.port).await?;
    let url = sign_in.authorize_url.as_str();
    if args.no_browser {
        eprintln!("Open this address in your browser to continue:\n{url}");
    } else if let Err(e) = Browser::from_env().open(url) {
        eprintln!("{e} Open this address yourself:\n{url}");
    }
    let Some(wait) = wait else {
        return Err(Error::Internal(
            "a Google sign-in always comes back over loopback".into(),
        ));
    };
    let outcome = waiting(
        "Waiting for you to finish in the browser",
        fitauth.finish_loopback(wait),
    )
    .await;
    if outcome.is_err() {
        let _ = fitauth.cancel_sign_in(&sign_in.state).await;
    }
    drop(running);
    let connected = outcome?;
    let Some(migration) = &connected.migration else {
        // The Fitbit account was removed while the person signed in (another `fitauth` or the
        // desktop app): nothing to move, the Google connection is an account of its own.
        output::connected(ctx, &connected.account, connected.updated);
        eprintln!(
            "Nothing was moved: \"{}\" was removed while you were signing in. The Google \
             connection was saved as \"{}\".",
            plan.account.name, connected.account.name
        );
        return Ok(());
    };
    output::migrated(ctx, &connected.account, connected.updated, migration);
    if migration.moved() {
        Ok(())
    } else {
        Err(Error::NotMoved {
            account: migration.legacy.name.clone(),
            why: migration.same_account.sentence(&migration.legacy.name),
        })
    }
}

//! Commands on connected accounts: status, token, refresh, introspect, revoke, decode.

use clap::Args;
use fitauth_core::{jwt, Error, Revoked};

use crate::{output, Ctx};

#[derive(Args, Debug)]
pub struct AccountArg {
    /// The account to use (optional when only one is connected).
    #[arg(long)]
    account: Option<String>,
}

pub async fn status(ctx: &Ctx, args: AccountArg) -> Result<(), Error> {
    let store = ctx.store()?;
    let meta = store.load()?;
    let accounts: Vec<_> = match &args.account {
        Some(name) => vec![meta.account(name)?.clone()],
        None => meta.accounts.clone(),
    };
    output::status(ctx, &accounts, &store.secrets_location());
    Ok(())
}

pub async fn token(ctx: &Ctx, args: AccountArg) -> Result<(), Error> {
    let session = ctx.session()?;
    let account = session.store().resolve_account(args.account.as_deref())?;
    let token = session.fresh_access_token(&account.name).await?;
    // The one place a secret is printed, on purpose, and only to stdout.
    println!("{}", token.secret());
    Ok(())
}

pub async fn refresh(ctx: &Ctx, args: AccountArg) -> Result<(), Error> {
    let session = ctx.session()?;
    let account = session.store().resolve_account(args.account.as_deref())?;
    let account = session.refresh(&account.name).await?;
    output::refreshed(ctx, &account);
    Ok(())
}

pub async fn introspect(ctx: &Ctx, args: AccountArg) -> Result<(), Error> {
    let session = ctx.session()?;
    let account = session.store().resolve_account(args.account.as_deref())?;
    let token = session.fresh_access_token(&account.name).await?;
    let client = session.client_for(&account).await?;
    let verdict = client.inspect(&token).await?;
    output::introspection(ctx, &account, &verdict);
    Ok(())
}

pub async fn revoke(ctx: &Ctx, args: AccountArg) -> Result<(), Error> {
    let session = ctx.session()?;
    let store = session.store();
    let account = store.resolve_account(args.account.as_deref())?;
    let client = session.client_for(&account).await?;
    // Revoking either token ends the grant; prefer the refresh token, which outlives the other.
    let token = match store.refresh_token(&account)? {
        Some(r) => Some(r.secret().to_owned()),
        None => store
            .access_token(&account)
            .ok()
            .map(|a| a.secret().to_owned()),
    };
    let outcome = match token {
        Some(token) => client.revoke(&token).await?,
        None => Revoked::AlreadyInvalid,
    };
    // Only now that the provider has let go are the local secrets removed.
    let account = store.forget_tokens(&account.name)?;
    output::revoked(ctx, &account, outcome);
    Ok(())
}

pub fn decode(ctx: &Ctx, token: &str) -> Result<(), Error> {
    let token = if token == "-" {
        let mut buf = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut buf).map_err(|e| {
            Error::Storage {
                reason: format!("could not read stdin ({e})"),
            }
        })?;
        buf
    } else {
        token.to_owned()
    };
    let decoded = jwt::decode(&token)?;
    output::decoded(ctx, &decoded);
    Ok(())
}
